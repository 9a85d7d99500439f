//! Which copy of an id is kept: a send over any other record, then the earlier, then the
//! lesser content, the same whichever input came first; and the send kept with it.

use super::records::{digest_of, Inserted};
use super::Analysis;
use crate::model::AuditEvent;
use crate::report::ClassifiedEvent;

impl Analysis {
    /// Decides between the stored record and a repeat of it, the same whichever came first:
    /// a send over any other record, then the earlier, then the lesser content (sends) or
    /// workload name. When they differ the id is marked as conflicting; when the repeat wins it
    /// takes the stored record's place. Whether it won.
    pub(super) fn resolve(&mut self, record: u32, copy: Copy<'_>) -> bool {
        let stored = self.records.stored(record);
        let stored_digest = if stored.send { self.send_of(record).map(|i| self.send_digests[i]) } else { None };
        let stored_workload = self.workloads.names.get(stored.workload as usize).map_or("", String::as_str);
        // The lesser key is kept: a send (`false` sorts first), the earlier, the lesser content.
        let key = |send: Option<u128>, time: i64, workload: &str| (send.is_none(), time, send, workload.to_owned());
        let new_key = key(copy.send, copy.time, copy.workload);
        let stored_key = key(stored_digest.or(stored.send.then_some(0)), stored.time, stored_workload);
        if new_key != stored_key {
            self.records.mark_conflict(record);
        }
        let wins = new_key < stored_key;
        if wins {
            let workload = self.workloads.id(copy.workload);
            self.records.take_place(record, copy.time, workload, copy.send.is_some());
        }
        wins
    }

    /// The index of the send kept for a record, if it has one.
    fn send_of(&mut self, record: u32) -> Option<usize> {
        let records = &self.send_records;
        let index =
            self.send_index.get_or_insert_with(|| records.iter().enumerate().map(|(i, &r)| (r, i as u32)).collect());
        index.get(&record).map(|&i| i as usize)
    }

    /// Keeps a send, or not, by what became of its record: a new record's send is kept; a
    /// repeat's is kept when it won ([`Analysis::resolve`]), in place of the send kept before.
    pub(super) fn offer_send(&mut self, outcome: Inserted, wins: bool, send: ClassifiedEvent, digest: u128) {
        match outcome {
            Inserted::New(record) => self.push_send(send, digest, record),
            Inserted::Duplicate { record } if wins => match self.send_of(record) {
                Some(kept) => {
                    self.sends.replace(kept, send);
                    self.send_digests[kept] = digest;
                }
                None => self.push_send(send, digest, record),
            },
            Inserted::Duplicate { .. } => {}
        }
    }

    fn push_send(&mut self, send: ClassifiedEvent, digest: u128, record: u32) {
        if let Some(index) = &mut self.send_index {
            index.insert(record, self.sends.len() as u32);
        }
        self.sends.push(send);
        self.send_digests.push(digest);
        self.send_records.push(record);
    }
}

/// One copy of a record, as a repeat is compared with the stored one.
#[derive(Clone, Copy)]
pub(super) struct Copy<'a> {
    /// When it happened (Unix seconds).
    pub time: i64,
    /// Its workload.
    pub workload: &'a str,
    /// For a send-type record, its content digest.
    pub send: Option<u128>,
}

/// A send's content, as two sends of one id are told apart: every field the rules and the
/// reports read, whole (before any is cut), and its exact time. Not its class: which copy is
/// kept must not change when the rules do.
pub(super) fn send_digest(event: &AuditEvent) -> u128 {
    let e = event;
    let millis = e.time.timestamp_millis().to_string();
    let fields = [
        Some(e.operation.as_str()),
        Some(millis.as_str()),
        e.actor.as_deref(),
        e.actor_sid.as_deref(),
        e.mailbox_owner.as_deref(),
        e.mailbox_owner_sid.as_deref(),
        e.send_as.as_deref(),
        e.send_on_behalf.as_deref(),
        e.client_info.as_deref(),
        e.logon_type.map(|l| l.name()),
        e.user_type.map(|u| u.name()),
        e.app_id.as_deref(),
        e.client_app_id.as_deref(),
        e.subject.as_deref(),
        Some(e.workload.as_str()),
    ];
    digest_of(fields.iter().map(|f| f.unwrap_or("\u{0}absent")))
}
