//! The default rule table: the product's knowledge of who sends, as data.
//!
//! Order matters (first match wins): connector cards are stamped with a person's name, so
//! the connector rule must run before anything that trusts `UserId`; system and application
//! identities come before the owner and delegate rules that assume a person.

use super::{clients, first_party, Condition, Field, Rule};
use crate::model::SendClass;

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

fn contains(field: Field, values: &[&str]) -> Condition {
    Condition::Contains { field, any_of: strings(values) }
}

fn equals(field: Field, values: &[&str]) -> Condition {
    Condition::Equals { field, any_of: strings(values) }
}

/// The rules SendAs Lens ships with.
pub fn default_rules() -> Vec<Rule> {
    vec![
        Rule {
            name: "connector-work-provider".into(),
            class: SendClass::Connector,
            explanation: "An Office 365 Connector wrote a card into a Group mailbox. The record carries the \
                name of the account that created the connector, not of anyone who sent it; changing the \
                group's owner does not change it."
                .into(),
            condition: Condition::All(vec![
                contains(Field::ClientInfo, &["ConnectorWorkProvider"]),
                Condition::Note { field: Field::Actor, because: "stamped account: the connector's creator".into() },
                Condition::Note { field: Field::MailboxOwner, because: "the Group mailbox the card went into".into() },
            ]),
        },
        Rule {
            name: "system-identity".into(),
            class: SendClass::System,
            explanation: "The actor is the local system account or a Microsoft datacenter service, not a person."
                .into(),
            condition: Condition::Any(vec![
                equals(Field::Actor, &["S-1-5-18"]),
                equals(Field::ActorSid, &["S-1-5-18"]),
                Condition::StartsWith { field: Field::Actor, any_of: strings(&["NT AUTHORITY\\SYSTEM"]) },
                equals(Field::UserType, &["System", "SystemPolicy"]),
                equals(Field::LogonType, &["Transport", "SystemService"]),
            ]),
        },
        Rule {
            name: "application-identity".into(),
            class: SendClass::Application,
            explanation: "An application sent the message: the record says the user is an application or \
                service principal, names an app that is not one of Microsoft's mail clients, or came \
                through REST with no mail client behind it."
                .into(),
            condition: Condition::Any(vec![
                equals(Field::UserType, &["Application", "ServicePrincipal"]),
                Condition::PresentAndNotIn { field: Field::AppId, values: first_party::ids() },
                Condition::All(vec![
                    contains(Field::ClientInfo, &["Client=RESTSystem"]),
                    Condition::Not(Box::new(Condition::Contains {
                        field: Field::ClientInfo,
                        any_of: clients::mail_client_markers(),
                    })),
                ]),
            ]),
        },
        Rule {
            name: "admin-logon".into(),
            class: SendClass::Admin,
            explanation: "The session was an administrator's logon to the mailbox.".into(),
            condition: equals(Field::LogonType, &["Admin", "DelegatedAdmin"]),
        },
        Rule {
            name: "mailbox-owner".into(),
            class: SendClass::Owner,
            explanation: "The actor is the owner of the mailbox the message was sent from.".into(),
            condition: Condition::ActorOwnsMailbox,
        },
        Rule {
            name: "delegate-mail-client".into(),
            class: SendClass::Delegate,
            explanation: "A person used a mail client (OWA, Outlook, mobile) or a delegate logon to send \
                from a mailbox that is not their own."
                .into(),
            condition: Condition::All(vec![
                Condition::ActorIsNotMailbox,
                Condition::Any(vec![
                    Condition::Contains { field: Field::ClientInfo, any_of: clients::mail_client_markers() },
                    equals(Field::LogonType, &["Delegated"]),
                ]),
            ]),
        },
    ]
}
