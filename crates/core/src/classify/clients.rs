//! What a `ClientInfoString` says about who sent: one table of markers, read by the rules (is a
//! person's mail client behind this send?) and by the findings (which client, in words).

/// A marker of a client in `ClientInfoString` (compared ignoring ASCII case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientMarker {
    /// The text that shows the client (`Client=OWA`).
    pub marker: &'static str,
    /// The client's name in sentences and legends, when this marker names one.
    pub name: Option<&'static str>,
    /// A person's mail client, as the delegate and application rules test for it.
    pub mail_client: bool,
}

const fn marker(marker: &'static str, name: Option<&'static str>, mail_client: bool) -> ClientMarker {
    ClientMarker { marker, name, mail_client }
}

/// Every marker, in the order names are given (the first named marker a string contains names
/// its client). Outlook mobile's user agents are mail clients too, found by the broader
/// `Outlook` marker, which names nothing itself.
pub const CLIENT_MARKERS: [ClientMarker; 10] = [
    marker("ConnectorWorkProvider", Some("an Office 365 connector"), false),
    marker("Client=OWA", Some("OWA"), true),
    marker("Client=MSExchangeRPC", Some("Outlook"), true),
    marker("Client=OutlookService", Some("Outlook mobile"), true),
    marker("Outlook-iOS", Some("Outlook mobile"), false),
    marker("Outlook-Android", Some("Outlook mobile"), false),
    marker("Client=ActiveSync", Some("ActiveSync"), true),
    marker("Client=WebServices", Some("EWS"), true),
    marker("Client=REST", Some("REST"), false),
    marker("Outlook", None, true),
];

/// The markers of a person's mail client, in table order.
pub fn mail_client_markers() -> Vec<String> {
    CLIENT_MARKERS.iter().filter(|m| m.mail_client).map(|m| m.marker.to_owned()).collect()
}

/// A short client name from a `ClientInfoString`, for sentences and legends.
pub fn client_name(client_info: &str) -> Option<&'static str> {
    let lower = client_info.to_ascii_lowercase();
    CLIENT_MARKERS.iter().filter(|m| lower.contains(&m.marker.to_ascii_lowercase())).find_map(|m| m.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names_come_from_client_info() {
        assert_eq!(client_name("Client=OWA;Action=ViaProxy"), Some("OWA"));
        assert_eq!(client_name("Client=MSExchangeRPC"), Some("Outlook"));
        assert_eq!(client_name("Client=OutlookService;Outlook-iOS/2.0"), Some("Outlook mobile"));
        assert_eq!(client_name("Outlook-Android/2.0"), Some("Outlook mobile"));
        assert_eq!(client_name("Client=REST;Client=RESTSystem;ConnectorWorkProvider"), Some("an Office 365 connector"));
        assert_eq!(client_name("Client=Unheard"), None);
        assert_eq!(client_name("Microsoft Outlook 16"), None, "a mail client, but not one it can name");
    }

    #[test]
    fn every_named_mail_client_is_seen_by_the_rules() {
        // A client the findings call a person's mail client must make the delegate rule hold.
        let markers = mail_client_markers();
        for m in CLIENT_MARKERS
            .iter()
            .filter(|m| m.name.is_some() && m.marker != "ConnectorWorkProvider" && m.marker != "Client=REST")
        {
            assert!(
                markers.iter().any(|k| m.marker.to_ascii_lowercase().contains(&k.to_ascii_lowercase())),
                "{} is named but no rule marker finds it",
                m.marker
            );
        }
    }
}
