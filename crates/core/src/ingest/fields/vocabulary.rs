//! The field vocabulary: every spelling of every field the product reads, in one table.
//!
//! The same audit field travels under many names: `Operation` / `Operations` / `ActionType`,
//! `LogonType` / `Logon_Type`, `ClientIPAddress` / `Client_IPAddress`,
//! `createdDateTime` / `CreationDate` / `TimeGenerated [UTC]` / `Timestamp`, `AuditData` /
//! `RawEventData`. [`ALIASES`] maps every spelling (compared ignoring ASCII case) to one
//! [`FieldId`], and both CSV headers and JSON keys go through it, so a new spelling is one line
//! here.

/// A field of the audit record the product reads, whatever the export calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldId {
    Id,
    CreationTime,
    EnvelopeTime,
    RecordType,
    Workload,
    Operation,
    UserId,
    UserPrincipalName,
    LogonUserDisplayName,
    ActorSid,
    MailboxOwnerUpn,
    MailboxResolvedOwnerName,
    MailboxOwnerSid,
    SendAsSmtp,
    SendOnBehalfSmtp,
    ClientInfo,
    LogonType,
    UserType,
    AppId,
    ClientAppId,
    ContextClientAppId,
    ClientIp,
    ClientIpAddress,
    Subject,
    ObjectId,
    IngestionTime,
    ContentCreated,
    Parameters,
    ModifiedProperties,
}

pub(crate) const FIELD_COUNT: usize = FieldId::ModifiedProperties as usize + 1;

/// What a key or column is to the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyRole {
    /// A value kept as text.
    Scalar(FieldId),
    /// A JSON value kept verbatim, parsed only when the operation needs it.
    Raw(FieldId),
    /// The nested AuditData record (an object, or JSON text in a string).
    AuditData,
    /// The `Item` object, for its `Subject`.
    Item,
    /// The `AppAccessContext` object, for its `ClientAppId`.
    AppAccessContext,
}

/// Every spelling of every field, compared ignoring ASCII case.
pub(crate) const ALIASES: &[(&str, KeyRole)] = &[
    ("Id", KeyRole::Scalar(FieldId::Id)),
    ("RecordId", KeyRole::Scalar(FieldId::Id)),
    ("Identity", KeyRole::Scalar(FieldId::Id)),
    ("OfficeId", KeyRole::Scalar(FieldId::Id)),
    ("SourceRecordId", KeyRole::Scalar(FieldId::Id)),
    ("CreationTime", KeyRole::Scalar(FieldId::CreationTime)),
    ("CreationDate", KeyRole::Scalar(FieldId::EnvelopeTime)),
    ("createdDateTime", KeyRole::Scalar(FieldId::EnvelopeTime)),
    ("TimeGenerated", KeyRole::Scalar(FieldId::EnvelopeTime)),
    ("LastAccessed", KeyRole::Scalar(FieldId::EnvelopeTime)),
    // Defender XDR advanced hunting (`CloudAppEvents`): the event time.
    ("Timestamp", KeyRole::Scalar(FieldId::EnvelopeTime)),
    ("RecordType", KeyRole::Scalar(FieldId::RecordType)),
    ("auditLogRecordType", KeyRole::Scalar(FieldId::RecordType)),
    ("Workload", KeyRole::Scalar(FieldId::Workload)),
    ("OfficeWorkload", KeyRole::Scalar(FieldId::Workload)),
    ("service", KeyRole::Scalar(FieldId::Workload)),
    ("Operation", KeyRole::Scalar(FieldId::Operation)),
    ("Operations", KeyRole::Scalar(FieldId::Operation)),
    ("ActionType", KeyRole::Scalar(FieldId::Operation)),
    ("UserId", KeyRole::Scalar(FieldId::UserId)),
    ("UserIds", KeyRole::Scalar(FieldId::UserId)),
    ("userPrincipalName", KeyRole::Scalar(FieldId::UserPrincipalName)),
    ("LogonUserDisplayName", KeyRole::Scalar(FieldId::LogonUserDisplayName)),
    ("LogonUserSid", KeyRole::Scalar(FieldId::ActorSid)),
    ("MailboxOwnerUPN", KeyRole::Scalar(FieldId::MailboxOwnerUpn)),
    ("MailboxResolvedOwnerName", KeyRole::Scalar(FieldId::MailboxResolvedOwnerName)),
    ("MailboxOwnerSid", KeyRole::Scalar(FieldId::MailboxOwnerSid)),
    ("SendAsUserSmtp", KeyRole::Scalar(FieldId::SendAsSmtp)),
    ("SendOnBehalfOfUserSmtp", KeyRole::Scalar(FieldId::SendOnBehalfSmtp)),
    ("ClientInfoString", KeyRole::Scalar(FieldId::ClientInfo)),
    ("LogonType", KeyRole::Scalar(FieldId::LogonType)),
    ("Logon_Type", KeyRole::Scalar(FieldId::LogonType)),
    ("UserType", KeyRole::Scalar(FieldId::UserType)),
    ("AppId", KeyRole::Scalar(FieldId::AppId)),
    ("ClientAppId", KeyRole::Scalar(FieldId::ClientAppId)),
    ("ClientIP", KeyRole::Scalar(FieldId::ClientIp)),
    ("ClientIPAddress", KeyRole::Scalar(FieldId::ClientIpAddress)),
    ("Client_IPAddress", KeyRole::Scalar(FieldId::ClientIpAddress)),
    ("ItemName", KeyRole::Scalar(FieldId::Subject)),
    ("ItemSubject", KeyRole::Scalar(FieldId::Subject)),
    ("ObjectId", KeyRole::Scalar(FieldId::ObjectId)),
    ("ingestion_time()", KeyRole::Scalar(FieldId::IngestionTime)),
    ("ingestion_time", KeyRole::Scalar(FieldId::IngestionTime)),
    ("IngestionTime", KeyRole::Scalar(FieldId::IngestionTime)),
    ("_TimeReceived", KeyRole::Scalar(FieldId::IngestionTime)),
    ("TimeReceived", KeyRole::Scalar(FieldId::IngestionTime)),
    ("contentCreated", KeyRole::Scalar(FieldId::ContentCreated)),
    ("Parameters", KeyRole::Raw(FieldId::Parameters)),
    ("ModifiedProperties", KeyRole::Raw(FieldId::ModifiedProperties)),
    ("AuditData", KeyRole::AuditData),
    // Advanced hunting's copy of the audit record, Management Activity API names and all.
    ("RawEventData", KeyRole::AuditData),
    ("Item", KeyRole::Item),
    ("AppAccessContext", KeyRole::AppAccessContext),
];

/// Strips what exports add around a column name: a BOM, spaces, quotes,
/// and Log Analytics' ` [UTC]` suffix.
pub(crate) fn normalise_header(name: &str) -> &str {
    let name = name.trim_start_matches('\u{feff}').trim().trim_matches('"').trim();
    match name.rfind(" [") {
        Some(i) if name.ends_with(']') => name[..i].trim_end(),
        _ => name,
    }
}

/// The role of a CSV column, if the product reads it.
pub(crate) fn role_of_header(name: &str) -> Option<KeyRole> {
    role_of_key(normalise_header(name))
}

/// The role of a JSON key (used as it is: keys carry no quotes, BOMs or `[UTC]` suffixes).
pub(crate) fn role_of_key(name: &str) -> Option<KeyRole> {
    // Every key of every record comes through here, and most are no alias at all: one probe of
    // a hash table on the length and the first eight letters, case folded, usually says so.
    // A hit compares the next eight letters the same way, and only longer keys letter by letter.
    let bytes = name.as_bytes();
    let prefix = folded_prefix(bytes);
    let mut slot = alias_slot(prefix, bytes.len());
    loop {
        let (alias_prefix, alias_second, length, index) = ALIAS_TABLE[slot];
        if index == NO_ALIAS {
            return None;
        }
        if alias_prefix == prefix
            && length as usize == bytes.len()
            && alias_second == folded_prefix(bytes.get(8..).unwrap_or_default())
        {
            let (alias, role) = ALIASES[index as usize];
            let rest = |key: &'static [u8]| key.get(16..).unwrap_or_default();
            if bytes.len() <= 16 || rest(alias.as_bytes()).eq_ignore_ascii_case(&bytes[16..]) {
                return Some(role);
            }
        }
        // Linear probing; the table is never full, so an empty slot ends every search.
        slot = (slot + 1) % ALIAS_SLOTS;
    }
}

/// The first eight bytes of a key, zero-padded, ASCII capitals lowered (eight at a time: a byte
/// from `A` to `Z`, top bit clear, gets 0x20 added). Equal for two keys that are equal ignoring
/// ASCII case.
fn folded_prefix(bytes: &[u8]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = match bytes.first_chunk::<8>() {
        Some(head) => u64::from_le_bytes(*head),
        None => bytes.iter().rev().fold(0, |word, &b| word << 8 | u64::from(b)),
    };
    let low7 = word & !HIGH;
    let at_least_a = low7 + ONES * (0x80 - u64::from(b'A'));
    let above_z = low7 + ONES * (0x80 - u64::from(b'Z') - 1);
    let capitals = at_least_a & !above_z & !word & HIGH;
    word | (capitals >> 2)
}

/// [`folded_prefix`] at compile time, a byte at a time.
const fn folded_prefix_const(bytes: &[u8]) -> u64 {
    let mut word = 0u64;
    let mut i = 0;
    while i < 8 && i < bytes.len() {
        word |= (bytes[i].to_ascii_lowercase() as u64) << (8 * i);
        i += 1;
    }
    word
}

const NO_ALIAS: u8 = u8::MAX;
/// Slots in [`ALIAS_TABLE`]: a power of two, well above the number of aliases.
const ALIAS_SLOTS: usize = 256;

/// Where a key's search starts: a multiplicative hash of its folded prefix and length.
const fn alias_slot(prefix: u64, length: usize) -> usize {
    let mixed = (prefix ^ (length as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xD6E8_FEB8_6659_FD93);
    (mixed >> (64 - ALIAS_SLOTS.trailing_zeros())) as usize
}

/// Every alias by [`alias_slot`]: its first and second eight bytes folded, its length, and its
/// index in [`ALIASES`] (built at compile time).
static ALIAS_TABLE: [(u64, u64, u8, u8); ALIAS_SLOTS] = {
    assert!(ALIASES.len() < ALIAS_SLOTS / 2 && ALIASES.len() < NO_ALIAS as usize);
    let mut table = [(0u64, 0u64, 0u8, NO_ALIAS); ALIAS_SLOTS];
    let mut i = 0;
    while i < ALIASES.len() {
        let alias = ALIASES[i].0.as_bytes();
        assert!(alias.len() <= u8::MAX as usize);
        let prefix = folded_prefix_const(alias);
        let second = match alias.split_at_checked(8) {
            Some((_, rest)) => folded_prefix_const(rest),
            None => 0,
        };
        let mut slot = alias_slot(prefix, alias.len());
        while table[slot].3 != NO_ALIAS {
            slot = (slot + 1) % ALIAS_SLOTS;
        }
        table[slot] = (prefix, second, alias.len() as u8, i as u8);
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alias_is_found_by_its_length() {
        for (alias, role) in ALIASES {
            assert_eq!(role_of_key(alias), Some(*role), "{alias}");
            assert_eq!(role_of_key(&alias.to_ascii_uppercase()), Some(*role), "{alias}");
        }
        assert_eq!(role_of_key(&"x".repeat(200)), None);
    }

    #[test]
    fn a_key_has_a_role_exactly_when_it_is_an_alias_ignoring_case() {
        let by_search =
            |key: &str| ALIASES.iter().find(|(alias, _)| alias.eq_ignore_ascii_case(key)).map(|(_, role)| *role);
        let mut keys: Vec<String> = Vec::new();
        for (alias, _) in ALIASES {
            keys.push(alias.to_string());
            keys.push(alias[..alias.len() - 1].to_string());
            keys.push(format!("{alias}x"));
            keys.push(format!("x{}", &alias[1..]));
            keys.push(format!("{}X", &alias[..alias.len() - 1]));
            keys.push(alias.replace(|c: char| c.is_ascii_lowercase(), "_"));
        }
        keys.extend(["", "I", "id", "ID_", "Ιd", "Id\u{0}", "ÿÿÿÿÿÿÿÿÿ"].map(String::from));
        for key in keys {
            assert_eq!(role_of_key(&key), by_search(&key), "{key:?}");
        }
    }

    #[test]
    fn the_folded_prefix_is_the_byte_by_byte_one() {
        let mut keys: Vec<Vec<u8>> = ALIASES.iter().map(|(alias, _)| alias.as_bytes().to_vec()).collect();
        keys.extend(ALIASES.iter().map(|(alias, _)| alias.to_ascii_uppercase().into_bytes()));
        // Every byte value in every position, next to the letters' edges.
        for b in 0..=255u8 {
            keys.push(vec![b; 9]);
            keys.push([b"@AZ[`az{".as_slice(), &[b]].concat());
            keys.push(vec![b'a', b, b'Z', b.wrapping_add(0x20), b]);
        }
        for key in keys {
            assert_eq!(folded_prefix(&key), folded_prefix_const(&key), "{key:?}");
        }
    }

    #[test]
    fn headers_are_matched_loosely() {
        assert_eq!(role_of_header("\u{feff}\"CreationDate\""), Some(KeyRole::Scalar(FieldId::EnvelopeTime)));
        assert_eq!(role_of_header("TimeGenerated [UTC]"), Some(KeyRole::Scalar(FieldId::EnvelopeTime)));
        assert_eq!(role_of_header("logon_type"), Some(KeyRole::Scalar(FieldId::LogonType)));
        assert_eq!(role_of_header("SendonBehalfOfUserSmtp"), Some(KeyRole::Scalar(FieldId::SendOnBehalfSmtp)));
        assert_eq!(role_of_header("RawEventData"), Some(KeyRole::AuditData));
        assert_eq!(role_of_header("\"ActionType\""), Some(KeyRole::Scalar(FieldId::Operation)));
        assert_eq!(role_of_header("Timestamp [UTC]"), Some(KeyRole::Scalar(FieldId::EnvelopeTime)));
        assert_eq!(role_of_header("Nope"), None);
    }
}
