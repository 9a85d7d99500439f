//! The kept sends: whole, or, when only the summary is wanted, packed a thousand at a time in
//! the codec's compact form ([`crate::report::codec`]) while the inputs are read.
//!
//! A kept [`ClassifiedEvent`] is about 600 bytes before its strings, and the record store of a
//! million-record export is about 37 MB: held whole beside the store, 40,000 sends took the
//! CLI's `summary` to 76 MB. Packed, they take a few megabytes until the report is assembled,
//! which unpacks them only once it has dropped the store (`summary.rs`).

use crate::report::codec::{decode_sends, encode_sends};
use crate::report::ClassifiedEvent;

/// Sends per packed chunk.
const CHUNK: usize = 1024;

/// The kept sends, in input order.
#[derive(Default)]
pub(crate) struct SendStore {
    /// Pack full chunks ([`SendStore::packed`]).
    pack: bool,
    packed: Vec<Vec<u8>>,
    /// The sends after the packed chunks.
    whole: Vec<ClassifiedEvent>,
}

impl SendStore {
    /// A store that packs every full chunk of sends.
    pub(crate) fn packed() -> Self {
        Self { pack: true, ..Self::default() }
    }

    pub(crate) fn len(&self) -> usize {
        self.packed.len() * CHUNK + self.whole.len()
    }

    pub(crate) fn push(&mut self, send: ClassifiedEvent) {
        self.whole.push(send);
        if self.pack && self.whole.len() == CHUNK {
            self.packed.push(encode_sends(&self.whole));
            self.whole.clear();
        }
    }

    /// Puts `send` in the place of send `index` (a repeat that won; rare).
    pub(crate) fn replace(&mut self, index: usize, send: ClassifiedEvent) {
        let chunk = index / CHUNK;
        match self.packed.get_mut(chunk) {
            Some(bytes) => {
                let mut sends = unpack(bytes);
                sends[index % CHUNK] = send;
                *bytes = encode_sends(&sends);
            }
            None => self.whole[index - self.packed.len() * CHUNK] = send,
        }
    }

    /// Every send, whole, in order.
    pub(crate) fn into_vec(self) -> Vec<ClassifiedEvent> {
        let mut all = Vec::with_capacity(self.len());
        for bytes in &self.packed {
            all.extend(unpack(bytes));
        }
        all.extend(self.whole);
        all
    }
}

impl IntoIterator for SendStore {
    type Item = ClassifiedEvent;
    type IntoIter = Box<dyn Iterator<Item = ClassifiedEvent>>;

    /// Every send, whole, in order, a packed chunk unpacked only when reached (a part's sends
    /// join another analysis's without all being whole at once).
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.packed.into_iter().flat_map(|bytes| unpack(&bytes)).chain(self.whole))
    }
}

/// A chunk this store packed. The codec reads back exactly what it wrote (tested in
/// `report/codec.rs`); failing here would be a bug in it, not in any input.
fn unpack(bytes: &[u8]) -> Vec<ClassifiedEvent> {
    decode_sends(bytes).expect("the codec reads back what it wrote")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_or_not_the_sends_come_back_the_same_in_order() {
        let sample = include_bytes!("../../../../src/sample/field-report.jsonl");
        let mut analysis = crate::Analysis::default();
        analysis.read_source(crate::SourceMeta { name: "s".into(), exported_at: None }, sample).unwrap();
        let mut sends = analysis.finish().sends;
        while sends.len() < 3 * CHUNK + 10 {
            sends.extend_from_within(..sends.len().min(500));
        }
        for mut store in [SendStore::default(), SendStore::packed()] {
            sends.iter().cloned().for_each(|s| store.push(s));
            assert_eq!(store.len(), sends.len());
            let mut expected = sends.clone();
            for index in [0, CHUNK - 1, CHUNK, 2 * CHUNK + 5, sends.len() - 1] {
                let other = sends[(index + 7) % sends.len()].clone();
                store.replace(index, other.clone());
                expected[index] = other;
            }
            let copy = SendStore { pack: store.pack, packed: store.packed.clone(), whole: store.whole.clone() };
            assert_eq!(copy.into_iter().collect::<Vec<_>>(), expected);
            assert_eq!(store.into_vec(), expected);
        }
    }
}
