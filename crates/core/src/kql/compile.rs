//! A rule's [`Condition`] as a KQL [`Expr`]: the one translation, checked against the Rust
//! rules on the same values (the tests below, and `crates/core/tests/kql.rs`).

use super::expr::{Column, Expr};
use crate::classify::{Condition, Field};
use crate::model::{LogonType, UserType};

/// The column a rule field reads.
pub fn column(field: Field) -> Column {
    match field {
        Field::Actor => Column::UserId,
        Field::ActorSid => Column::LogonUserSid,
        Field::ClientInfo => Column::ClientInfoString,
        Field::LogonType => Column::LogonType,
        Field::UserType => Column::UserType,
        Field::AppId => Column::AppId,
        Field::Mailbox => Column::Mailbox,
        Field::MailboxOwner => Column::MailboxOwnerUpn,
        Field::Operation => Column::Operation,
    }
}

/// The values a rule can compare with, minus the empty one: a present value is never empty,
/// so the Rust rule never matches it, while in KQL an empty value would.
fn non_empty(values: &[String]) -> Vec<String> {
    values.iter().filter(|v| !v.is_empty()).cloned().collect()
}

/// `Contains`/`StartsWith` with an empty needle hold for any present value, in Rust as in KQL;
/// written as `isnotempty` so that the emulation need not guess Kusto's corner.
fn with_empty_needle(c: Column, values: &[String], test: fn(Column, Vec<String>) -> Expr) -> Expr {
    let rest = non_empty(values);
    if rest.len() == values.len() {
        test(c, rest)
    } else {
        Expr::NotEmpty(c)
    }
}

/// The condition as KQL. Exhaustive on purpose: a new kind of condition does not compile
/// until it has a translation.
pub fn compile(condition: &Condition) -> Expr {
    match condition {
        Condition::Contains { field, any_of } => with_empty_needle(column(*field), any_of, Expr::Contains),
        Condition::StartsWith { field, any_of } => with_empty_needle(column(*field), any_of, Expr::StartsWith),
        Condition::EndsWith { field, any_of } => with_empty_needle(column(*field), any_of, Expr::EndsWith),
        Condition::Equals { field, any_of } => Expr::In(column(*field), non_empty(any_of)),
        Condition::PresentAndNotIn { field, values } => {
            let c = column(*field);
            Expr::And(vec![Expr::NotEmpty(c), Expr::NotIn(c, non_empty(values))])
        }
        Condition::ActorOwnsMailbox => Expr::Or(vec![
            // The session's own mailbox, by SID, unless the send names another mailbox.
            Expr::And(vec![
                Expr::Empty(Column::SendAsUserSmtp),
                Expr::Empty(Column::SendOnBehalfOfUserSmtp),
                Expr::NotEmpty(Column::LogonUserSid),
                Expr::SameAs(Column::LogonUserSid, Column::MailboxOwnerSid),
            ]),
            Expr::And(vec![
                Expr::NotEmpty(Column::UserId),
                Expr::NotEmpty(Column::Mailbox),
                Expr::SameAs(Column::UserId, Column::Mailbox),
            ]),
        ]),
        Condition::ActorIsNotMailbox => Expr::And(vec![
            Expr::NotEmpty(Column::UserId),
            Expr::NotEmpty(Column::Mailbox),
            Expr::NotSameAs(Column::UserId, Column::Mailbox),
        ]),
        Condition::Note { .. } => Expr::True,
        Condition::All(parts) => {
            // A `Note` only records evidence: it holds always, and says nothing in KQL.
            let mut parts: Vec<Expr> = parts.iter().map(compile).filter(|e| *e != Expr::True).collect();
            match parts.len() {
                0 => Expr::True,
                1 => parts.remove(0),
                _ => Expr::And(parts),
            }
        }
        Condition::Any(parts) => {
            let parts: Vec<Expr> = parts.iter().map(compile).collect();
            if parts.contains(&Expr::True) {
                Expr::True
            } else {
                Expr::Or(parts)
            }
        }
        Condition::Not(inner) => Expr::Not(Box::new(compile(inner))),
    }
}

/// How a table may spell an enum value: its number, its name, and the names `parse` also takes.
const LOGON_TYPE_SPELLINGS: [&str; 15] = [
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "Owner",
    "Admin",
    "Delegate",
    "Delegated",
    "Transport",
    "SystemService",
    "BestAccess",
    "DelegatedAdmin",
];
const USER_TYPE_SPELLINGS: [&str; 22] = [
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "10",
    "Regular",
    "Reserved",
    "Admin",
    "DcAdmin",
    "System",
    "Application",
    "ServicePrincipal",
    "CustomPolicy",
    "SystemPolicy",
    "PartnerTechnician",
    "Guest",
];

/// For each schema name, every spelling a table may hold for it: the `case()` that turns a
/// table's `Logon_Type` (names, "Delegate" or "Delegated") or `RawEventData.LogonType`
/// (numbers) into the name the rules compare with. Built from the Rust parser itself.
pub fn logon_type_names() -> Vec<(&'static str, Vec<&'static str>)> {
    names(&LOGON_TYPE_SPELLINGS, |s| LogonType::parse(s).map(LogonType::name))
}

/// The same for `UserType`.
pub fn user_type_names() -> Vec<(&'static str, Vec<&'static str>)> {
    names(&USER_TYPE_SPELLINGS, |s| UserType::parse(s).map(UserType::name))
}

fn names(
    spellings: &[&'static str],
    parse: impl Fn(&str) -> Option<&'static str>,
) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut out: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for &spelling in spellings {
        let Some(name) = parse(spelling) else { continue };
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, all)) => all.push(spelling),
            None => out.push((name, vec![spelling])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_the_parser_takes_is_normalised_to_its_name() {
        let delegated = logon_type_names().into_iter().find(|(n, _)| *n == "Delegated").unwrap().1;
        assert_eq!(delegated, vec!["2", "Delegate", "Delegated"]);
        assert_eq!(logon_type_names().len(), 7);
        assert_eq!(user_type_names().len(), 11);
        for (name, spellings) in logon_type_names() {
            assert!(spellings.iter().all(|s| LogonType::parse(s).map(LogonType::name) == Some(name)));
        }
    }
}
