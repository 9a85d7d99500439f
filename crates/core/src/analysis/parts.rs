//! One input read as parts at the same time (threads in the CLI, workers in the browser), and
//! the parts joined into the analysis one pass gives, byte for byte.
//!
//! Where to cut is [`Splitter`](crate::ingest::split::Splitter)'s (a speculation); this room
//! reads a part ([`Analysis::start_part`], [`SourceReader::finish_part`]) and verifies the
//! speculation while joining ([`Analysis::join_parts`]). A join that cannot be verified is an
//! `Err`, and the caller reads the input again in one pass.

use super::reader::SourceReader;
use super::source::SourceMeta;
use super::{Analysis, Joint};
use crate::ingest::Ingestor;

/// Why parts of an input could not be joined: read it again in one pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinError {
    /// No parts were given.
    NoParts,
    /// A part holds other than one input.
    NotOnePart {
        /// Which part.
        part: usize,
    },
    /// A part stopped inside a row, so the next one did not start at a row start: the cut was
    /// speculated wrong (a quoted cell holding lines that look like rows).
    CutInsideRow {
        /// The part that stopped inside a row.
        part: usize,
    },
    /// A part read an ambiguous date (`03/04/2026`) before its own rows showed the day/month
    /// order, while the parts before it had shown it: one pass would have read it otherwise.
    DateOrder {
        /// The part.
        part: usize,
    },
    /// A part found the input unusable.
    Unusable {
        /// The part.
        part: usize,
    },
}

impl std::fmt::Display for JoinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoParts => f.write_str("no parts to join"),
            Self::NotOnePart { part } => write!(f, "part {part} is not one part of one input"),
            Self::CutInsideRow { part } => {
                write!(f, "part {part} ends inside a row: the cut after it was not a row start")
            }
            Self::DateOrder { part } => {
                write!(f, "part {part} read an ambiguous date before the order the input shows was known to it")
            }
            Self::Unusable { part } => write!(f, "part {part} found the input unusable"),
        }
    }
}

impl std::error::Error for JoinError {}

impl Analysis {
    /// Starts reading a part of an input that does not start the input: bytes from a row start
    /// on, after the input's `head` ([`Splitter::head_len`](crate::ingest::split::Splitter::head_len)
    /// bytes). Read the part that starts the input with [`Analysis::start_source`]. End a part
    /// that is not the input's last with [`SourceReader::finish_part`], the last with
    /// [`SourceReader::finish`]. `None` when the head is not exactly the input's header.
    ///
    /// ```
    /// use sendas_core::ingest::split::Splitter;
    /// use sendas_core::{Analysis, SourceMeta};
    ///
    /// let export = b"CreationDate,UserIds,Operations,AuditData\n\
    ///     2026-11-20T09:00:00,tony@contoso.com,SendAs,\"{\"\"Id\"\":\"\"1\"\",\"\"Operation\"\":\"\"SendAs\"\",\"\"UserId\"\":\"\"tony@contoso.com\"\",\"\"ClientInfoString\"\":\"\"Client=ConnectorWorkProvider\"\"}\"\n\
    ///     2026-11-20T09:00:01,kim@contoso.com,FileAccessed,\"{\"\"Id\"\":\"\"2\"\",\"\"Operation\"\":\"\"FileAccessed\"\"}\"\n\
    ///     2026-11-20T09:00:02,kim@contoso.com,FileAccessed,\"{\"\"Id\"\":\"\"3\"\",\"\"Operation\"\":\"\"FileAccessed\"\"}\"\n\
    ///     2026-11-20T09:00:03,kim@contoso.com,FileAccessed,\"{\"\"Id\"\":\"\"1\"\",\"\"Operation\"\":\"\"FileAccessed\"\"}\"\n";
    /// let meta = SourceMeta { name: "audit.csv".into(), exported_at: None };
    /// let splitter = Splitter::new(export).unwrap();
    /// let cut = 200 + splitter.boundary_in(&export[200..]).unwrap();
    /// let (first, second) = export.split_at(cut);
    ///
    /// // Two parts, read apart (on two threads, say).
    /// let mut one = Analysis::default();
    /// let mut reader = one.start_source(meta.clone());
    /// reader.push(first).unwrap();
    /// reader.finish_part();
    /// let mut two = Analysis::default();
    /// let mut reader = two.start_part(meta.clone(), &export[..splitter.head_len()]).unwrap();
    /// reader.push(second).unwrap();
    /// reader.finish().unwrap();
    /// let joined = Analysis::join_parts(vec![one, two]).unwrap().finish();
    ///
    /// // The same report as one pass: the repeated id counted once, lines numbered in the file.
    /// let mut whole = Analysis::default();
    /// whole.read_source(meta, export).unwrap();
    /// let whole = whole.finish();
    /// assert_eq!(joined, whole);
    /// assert_eq!(joined.summary.duplicates, 1);
    /// ```
    pub fn start_part(&mut self, meta: SourceMeta, head: &[u8]) -> Option<SourceReader<'_>> {
        let file = self.sources.len() as u32;
        let ingestor = Ingestor::resume(file, self.record_limit, self.fast_lane, head)?;
        let file = self.add_source(meta);
        Some(SourceReader::new(self, file, ingestor))
    }

    /// Joins analyses of the consecutive parts of one input, in order (each holding one part,
    /// the first read from the input's start), into the analysis one pass over the input gives:
    /// records repeated across parts counted once and the same copy kept, counts added, line
    /// numbers counted from the input's start, the day/month order the first part to show it
    /// showed. An `Err` when the parts do not verify: read the input again in one pass.
    pub fn join_parts(parts: Vec<Analysis>) -> Result<Analysis, JoinError> {
        let count = parts.len();
        let mut parts = parts.into_iter().enumerate();
        let (_, mut joined) = parts.next().ok_or(JoinError::NoParts)?;
        if joined.sources.len() != 1 {
            return Err(JoinError::NotOnePart { part: 0 });
        }
        for (part, later) in parts {
            let [next] = later.sources.as_slice() else {
                return Err(JoinError::NotOnePart { part });
            };
            let so_far = joined.sources.last().map(|s| (s.part_end, s.error.is_some())).unwrap_or_default();
            let (before, unusable) = so_far;
            if unusable {
                return Err(JoinError::Unusable { part: part - 1 });
            }
            if next.error.is_some() {
                return Err(JoinError::Unusable { part });
            }
            if !before.at_row_boundary {
                return Err(JoinError::CutInsideRow { part: part - 1 });
            }
            if before.date_order.is_some() && next.part_end.date_order_consulted {
                return Err(JoinError::DateOrder { part });
            }
            // Its lines count from the end of its head; the true count from the input's start.
            let line_offset = before.line_breaks.saturating_sub(next.part_end.head_line_breaks);
            joined.absorb(later, Joint::SamePart { line_offset, more: part + 1 < count });
        }
        Ok(joined)
    }
}

impl SourceReader<'_> {
    /// Ends a part of an input that is not its last: records its counts and where it stopped,
    /// without ending a row cut at the part's end (the next part holds the rest, and the join
    /// checks there was none).
    pub fn finish_part(self) {
        self.end_part();
    }
}
