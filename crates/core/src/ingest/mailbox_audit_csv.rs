//! `Search-MailboxAuditLog` (and `New-MailboxAuditLogSearch`) output CSV.
//!
//! A flat table from the mailbox audit log itself: `LastAccessed` (culture-formatted; UTC in
//! Exchange Online), `Operation`, `LogonType` as `Owner`/`Delegate`/`Admin`, `ClientInfoString`,
//! `LogonUserDisplayName` (the actor is a display name here), `MailboxOwnerUPN` /
//! `MailboxResolvedOwnerName`, `SendAsUserSmtp`. Records have no unique id, so they are never
//! treated as duplicates of each other.

use super::CsvHeader;

/// `LastAccessed` is this export's time column and no other's.
pub(crate) fn matches(header: &CsvHeader) -> bool {
    header.has("LastAccessed") && header.has("Operation")
}
