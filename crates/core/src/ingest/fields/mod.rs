//! From a record's text to an event: the field vocabulary ([`vocabulary`]), one pass over a
//! record picking those fields ([`record`]), when it happened ([`date_order`]), and what it
//! becomes ([`event`]).

pub(crate) mod date_order;
pub(crate) mod event;
pub(crate) mod record;
pub(crate) mod vocabulary;

pub(crate) use date_order::{clip, DateOrderHint, MappingNotes};
pub(crate) use event::{build_event, reads_details, Built, EventContext};
pub(crate) use record::{json_error_kind, parse_record, pick, RecordFields};
pub(crate) use vocabulary::{normalise_header, role_of_header, FieldId, KeyRole};
