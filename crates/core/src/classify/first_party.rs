//! Microsoft's own mail clients, by application (client) id.
//!
//! A send made through one of these is a person using a mail client; any other app id on a
//! send is an application acting on its own. The ids are Microsoft's published first-party
//! application ids (Entra ID sign-in logs show them with these names). Add ids here, with
//! their names, as tenants report them; an id missing from this table makes a human send
//! look like an application, never the reverse.

use serde::Serialize;

/// A first-party Microsoft mail client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FirstPartyApp {
    /// Application (client) id.
    pub id: &'static str,
    /// Its display name.
    pub name: &'static str,
}

/// First-party ids that stand for a person using a mail client.
pub const FIRST_PARTY_MAIL_CLIENTS: &[FirstPartyApp] = &[
    // OWA and Exchange's own protocol front doors log this id as the AppId of sends.
    FirstPartyApp { id: "00000002-0000-0ff1-ce00-000000000000", name: "Office 365 Exchange Online" },
    FirstPartyApp { id: "d3590ed6-52b3-4102-aeff-aad2292ab01c", name: "Microsoft Office (Outlook desktop)" },
    FirstPartyApp { id: "27922004-5251-4030-b22d-91ecd9a37ea4", name: "Outlook Mobile" },
    FirstPartyApp { id: "5d661950-3475-41cd-a2c3-d671a3162bc1", name: "Microsoft Outlook (new Outlook)" },
    FirstPartyApp { id: "9199bf20-a13f-4107-85dc-02114787ef48", name: "One Outlook Web" },
    FirstPartyApp { id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264", name: "Microsoft Teams" },
];

/// The ids alone, as a rule's value list.
pub(crate) fn ids() -> Vec<String> {
    FIRST_PARTY_MAIL_CLIENTS.iter().map(|a| a.id.to_owned()).collect()
}
