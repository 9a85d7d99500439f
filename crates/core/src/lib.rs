//! # sendas-core
//!
//! The pure core of SendAs Lens: it reads Microsoft 365 audit exports, tells
//! who really sent as whom, and measures how late the log is. It has no web
//! dependencies: the CLI runs it natively, the browser app runs the same code
//! compiled to WebAssembly in a Web Worker, so both give the same answers.
//!
//! The data flows one way:
//!
//! 1. [`ingest`]: bytes of any export format → [`model::AuditEvent`]s (or row errors),
//!    push-based so chunks can arrive from anywhere;
//! 2. [`classify`]: each `SendAs` / `SendOnBehalf` / `Send` → a [`model::SendClass`]
//!    with evidence, by a rule table;
//! 3. [`report`]: aggregations, delays and plain-language findings → [`report::Summary`].
//!
//! [`Analysis`] ties them together over one or more inputs; [`generate`] writes deterministic
//! synthetic exports for benchmarks.
//!
//! ```
//! use sendas_core::{Analysis, SourceMeta};
//!
//! let csv = "CreationDate,UserIds,Operations,AuditData\n\
//! 2026-11-20T09:00:00,tony@contoso.com,SendAs,\"{\"\"CreationTime\"\":\"\"2026-11-20T09:00:00\"\",\
//! \"\"Id\"\":\"\"1\"\",\"\"Operation\"\":\"\"SendAs\"\",\"\"UserId\"\":\"\"tony@contoso.com\"\",\
//! \"\"ClientInfoString\"\":\"\"Client=ConnectorWorkProvider\"\",\"\"MailboxOwnerUPN\"\":\"\"mvptweets@contoso.com\"\"}\"\n";
//! let mut analysis = Analysis::default();
//! analysis.read_source(SourceMeta { name: "audit.csv".into(), exported_at: None }, csv.as_bytes()).unwrap();
//! let result = analysis.finish();
//! assert_eq!(result.summary.by_class.connector, 1);
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod analysis;
pub mod classify;
pub mod display;
pub mod generate;
pub mod ingest;
pub mod kql;
pub mod model;
pub mod report;
pub mod sorting;
mod text;
pub mod time;

pub use analysis::{
    Analysis, AnalysisResult, Input, JoinError, MemoryInput, NoUsableInput, Progress, ReadError, SourceMeta,
    SourceReader, KEPT_ERRORS,
};
pub use ingest::PURVIEW_EXPORT_CAP;
