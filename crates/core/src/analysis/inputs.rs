//! The multi-file policy, once for both faces: which inputs count, and what an unusable one
//! costs (only itself).
//!
//! [`Analysis::analyse`] reads a list of [`Input`]s, each a name and a way to read its bytes.
//! An input that cannot be used (not an export, unreadable, empty) is listed in the report's
//! `unusable_inputs` with its reason, and the others are analysed; only when no input is usable
//! is there no report ([`NoUsableInput`]). The CLI and the browser's worker both call it, so
//! they cannot disagree about a mixed drop.
//!
//! Reading is `async` because the browser's file reads are: the worker awaits each slice while
//! the next ones are being read. The CLI's reads are always ready, so it runs the same future
//! to completion on the spot.

use serde::{Deserialize, Serialize};

use super::source::SourceMeta;
use super::{Analysis, AnalysisResult};
use crate::report::UnusableInput;

/// One input of a multi-file analysis: a name and a way to read its bytes.
///
/// `async fn` here has no `Send` bound on purpose: each face runs its inputs on one thread
/// (the worker's event loop, a CLI thread).
#[allow(async_fn_in_trait)]
pub trait Input {
    /// The file name and, if known, when the export was taken.
    fn meta(&self) -> SourceMeta;

    /// Bytes in all, for progress.
    fn size(&self) -> u64;

    /// The next chunk of bytes, of any size; `None` at the end. An `Err` says, in words for
    /// the user, why the bytes could not be read (`cannot open: …`): the input is then unusable.
    async fn next_chunk(&mut self) -> Option<Result<&[u8], String>>;
}

/// An input held in memory, handed over `chunk` bytes at a time (the app's built-in sample,
/// tests, examples).
#[derive(Clone, Debug)]
pub struct MemoryInput<'a> {
    meta: SourceMeta,
    rest: &'a [u8],
    size: u64,
    chunk: usize,
}

impl<'a> MemoryInput<'a> {
    /// The bytes of a file called `name`, handed over whole.
    pub fn new(name: &str, bytes: &'a [u8]) -> Self {
        Self::with_meta(SourceMeta { name: name.to_owned(), exported_at: None }, bytes)
    }

    /// The bytes of an input described by `meta`, handed over whole.
    pub fn with_meta(meta: SourceMeta, bytes: &'a [u8]) -> Self {
        Self { meta, rest: bytes, size: bytes.len() as u64, chunk: usize::MAX }
    }

    /// Hands the bytes over `chunk` at a time instead (at least one byte).
    pub fn in_chunks_of(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }
}

impl Input for MemoryInput<'_> {
    fn meta(&self) -> SourceMeta {
        self.meta.clone()
    }

    fn size(&self) -> u64 {
        self.size
    }

    async fn next_chunk(&mut self) -> Option<Result<&[u8], String>> {
        if self.rest.is_empty() {
            return None;
        }
        let (chunk, rest) = self.rest.split_at(self.chunk.min(self.rest.len()));
        self.rest = rest;
        Some(Ok(chunk))
    }
}

/// How far reading has come, over every input.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The input being read.
    pub file: String,
    /// Bytes read so far, every input.
    pub bytes: u64,
    /// Bytes in every input.
    pub total: u64,
    /// Records read so far, every input.
    pub rows: u64,
}

/// No input could be used, so there is no report: each input with its reason, in input order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoUsableInput {
    /// Every input, with why it could not be used.
    pub inputs: Vec<UnusableInput>,
}

impl std::fmt::Display for NoUsableInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.inputs.as_slice() {
            [] => f.write_str("no input was given"),
            [one] => write!(f, "{}: {}", one.file, one.reason),
            many => {
                f.write_str("no input is usable: ")?;
                for (i, input) in many.iter().enumerate() {
                    let separator = if i == 0 { "" } else { "; " };
                    write!(f, "{separator}{}: {}", input.file, input.reason)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for NoUsableInput {}

impl Analysis {
    /// Reads every input, in order, and reports on them together, calling `progress` after each
    /// chunk. An unusable input costs only itself: it is listed in the report's
    /// `unusable_inputs`, and the others are analysed. With no usable input there is no report.
    ///
    /// ```
    /// use sendas_core::{Analysis, MemoryInput};
    ///
    /// let export = "CreationDate,UserIds,Operations,AuditData\n\
    /// 2026-11-20T09:00:00,tony@contoso.com,SendAs,\"{\"\"CreationTime\"\":\"\"2026-11-20T09:00:00\"\",\
    /// \"\"Id\"\":\"\"1\"\",\"\"Operation\"\":\"\"SendAs\"\",\"\"UserId\"\":\"\"tony@contoso.com\"\",\
    /// \"\"ClientInfoString\"\":\"\"Client=ConnectorWorkProvider\"\",\"\"MailboxOwnerUPN\"\":\"\"mvptweets@contoso.com\"\"}\"\n";
    /// let inputs = vec![
    ///     MemoryInput::new("audit.csv", export.as_bytes()),
    ///     MemoryInput::new("notes.txt", b"not an export"),
    /// ];
    /// let mut updates = 0;
    /// let result = pollster::block_on(Analysis::default().analyse(inputs, |_| updates += 1)).unwrap();
    /// assert_eq!(result.summary.by_class.connector, 1);
    /// assert_eq!(result.summary.unusable_inputs[0].file, "notes.txt");
    /// assert!(updates >= 2);
    ///
    /// // Nothing usable: no report, and every input's reason.
    /// let empty = vec![MemoryInput::new("empty.csv", b"")];
    /// let none = pollster::block_on(Analysis::default().analyse(empty, |_| {})).unwrap_err();
    /// assert_eq!(none.to_string(), "empty.csv: the file is empty");
    /// ```
    pub async fn analyse<I: Input>(
        mut self,
        inputs: impl IntoIterator<Item = I>,
        mut progress: impl FnMut(&Progress),
    ) -> Result<AnalysisResult, NoUsableInput> {
        let inputs: Vec<I> = inputs.into_iter().collect();
        let mut at = Progress { total: inputs.iter().map(Input::size).sum(), ..Progress::default() };
        // Each input is dropped once read, with its buffers and any reads still under way.
        for input in inputs {
            self.read_input(input, &mut at, &mut progress).await;
        }
        self.report()
    }

    /// Reads one input of several, as [`Analysis::analyse`] does, moving `at` on and calling
    /// `progress` after each chunk (a face that reads some inputs otherwise, in parts on
    /// several threads, reads the rest through here, then calls [`Analysis::report`]).
    pub async fn read_input<I: Input>(
        &mut self,
        mut input: I,
        at: &mut Progress,
        progress: &mut impl FnMut(&Progress),
    ) {
        let meta = input.meta();
        at.file.clone_from(&meta.name);
        let (done_bytes, done_rows) = (at.bytes, at.rows);
        let mut reader = self.start_source(meta);
        let failure = loop {
            match input.next_chunk().await {
                None => break None,
                Some(Err(reason)) => break Some(reason),
                Some(Ok(chunk)) => {
                    let pushed = reader.push(chunk);
                    let stats = reader.stats();
                    (at.bytes, at.rows) = (done_bytes + stats.bytes, done_rows + stats.rows_read);
                    progress(at);
                    if pushed.is_err() {
                        break None;
                    }
                }
            }
        };
        (at.bytes, at.rows) = (done_bytes + input.size(), done_rows + reader.stats().rows_read);
        match failure {
            Some(reason) => reader.unreadable(reason),
            // An unusable input is recorded as such; the next is read all the same.
            None => drop(reader.finish()),
        }
    }

    /// The report on every input read: [`Analysis::finish`], unless no input was usable.
    pub fn report(self) -> Result<AnalysisResult, NoUsableInput> {
        let result = self.finish();
        if result.summary.unusable_inputs.len() == result.summary.sources.len() {
            return Err(NoUsableInput { inputs: result.summary.unusable_inputs });
        }
        Ok(result)
    }
}
