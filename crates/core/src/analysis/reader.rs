//! Reading one input into an analysis, push-style: the API both faces' readers sit on.

use super::source::SourceMeta;
use super::Analysis;
use crate::ingest::split::PartEnd;
use crate::ingest::{FatalError, Format, IngestStats, Ingestor};

/// Why an input could not be read.
#[derive(Debug)]
pub enum ReadError<E> {
    /// Reading the bytes failed (I/O, browser file API).
    Read(E),
    /// The bytes are not a usable export.
    Fatal(FatalError),
}

/// One input being read into an [`Analysis`]: push its bytes, then finish it.
pub struct SourceReader<'a> {
    analysis: &'a mut Analysis,
    file: u32,
    ingestor: Ingestor,
    outcome: Result<(), FatalError>,
}

impl<'a> SourceReader<'a> {
    pub(super) fn new(analysis: &'a mut Analysis, file: u32, ingestor: Ingestor) -> Self {
        Self { analysis, file, ingestor, outcome: Ok(()) }
    }
}

impl SourceReader<'_> {
    /// Reads the next chunk. An `Err` means the input is unusable: later chunks are ignored,
    /// and [`SourceReader::finish`] returns the same error.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), FatalError> {
        if self.outcome.is_ok() {
            self.outcome = self.ingestor.push(chunk, self.analysis);
        }
        self.outcome.clone()
    }

    /// Counts so far (`bytes` is the progress).
    pub fn stats(&self) -> IngestStats {
        self.ingestor.stats()
    }

    /// Ends the input and records how reading it went.
    pub fn finish(mut self) -> Result<Format, FatalError> {
        // Where the bytes stopped is known before the last row is flushed; what that row read
        // (an ambiguous date in a last row with no line break) only after.
        let before = self.ingestor.part_end();
        let outcome = std::mem::replace(&mut self.outcome, Ok(())).and_then(|()| self.ingestor.finish(self.analysis));
        if let Some(source) = self.analysis.sources.get_mut(self.file as usize) {
            source.part_end = PartEnd { at_row_boundary: before.at_row_boundary, ..self.ingestor.part_end() };
        }
        let format = self.ingestor.format();
        self.analysis.finish_source(self.file, format, self.ingestor.stats(), outcome.as_ref().err().cloned());
        // Every record rejected before one showed the format: the input was read (its rows are
        // counted), but there is no format to name.
        outcome.and(format.ok_or(FatalError::Empty))
    }

    /// Records the counts so far and how the bytes so far end, without ending the input.
    pub(super) fn end_part(mut self) {
        self.note_part_end();
        let error = self.outcome.clone().err();
        self.analysis.finish_source(self.file, self.ingestor.format(), self.ingestor.stats(), error);
    }

    fn note_part_end(&mut self) {
        if let Some(source) = self.analysis.sources.get_mut(self.file as usize) {
            source.part_end = self.ingestor.part_end();
        }
    }

    /// The bytes could not be read (an I/O or browser file error, said in `reason`): the input
    /// is recorded as unusable. Records read before the failure stay counted.
    pub fn unreadable(self, reason: String) {
        let error = FatalError::Unreadable { reason };
        self.analysis.finish_source(self.file, self.ingestor.format(), self.ingestor.stats(), Some(error));
    }
}

impl Analysis {
    /// Starts reading one input, push-style: the caller owns the buffers. [`Analysis::analyse`]
    /// reads every input through here.
    pub fn start_source(&mut self, meta: SourceMeta) -> SourceReader<'_> {
        let file = self.add_source(meta);
        let mut ingestor = Ingestor::with_record_limit(file, self.record_limit);
        ingestor.set_fast_lane(self.fast_lane);
        SourceReader::new(self, file, ingestor)
    }

    /// Reads a whole input held in memory (tests, small files).
    pub fn read_source(&mut self, meta: SourceMeta, bytes: &[u8]) -> Result<Format, FatalError> {
        let mut reader = self.start_source(meta);
        // An error is kept, and `finish` returns it.
        let _ = reader.push(bytes);
        reader.finish()
    }

    /// Reads one input from its chunks, as they come, calling `progress` after each chunk
    /// (tests, benchmarks and the fuzzer cut inputs this way).
    pub fn read_source_chunks<C: AsRef<[u8]>, E: std::fmt::Display>(
        &mut self,
        meta: SourceMeta,
        chunks: impl IntoIterator<Item = Result<C, E>>,
        mut progress: impl FnMut(&IngestStats),
    ) -> Result<Format, ReadError<E>> {
        let mut reader = self.start_source(meta);
        for chunk in chunks {
            match chunk {
                Ok(chunk) => {
                    if reader.push(chunk.as_ref()).is_err() {
                        break;
                    }
                    progress(&reader.stats());
                }
                Err(e) => {
                    reader.unreadable(e.to_string());
                    return Err(ReadError::Read(e));
                }
            }
        }
        reader.finish().map_err(ReadError::Fatal)
    }
}
