//! `seg-engine` is the whole `seg` library behind one dependency: PQL parsing, binding against
//! an Arrow schema, columnar evaluation into roaring bitmaps, the Parquet and NDJSON profile
//! readers, and the segmentation service.
//!
//! # The stages
//!
//! ```text
//!  PQL text ──parse──▶ Query (syntax tree) ──bind + schema──▶ SegmentPlan (typed plan)
//!  seg_pql::parse                          seg_plan::bind           │
//!                                                                   │ seg_plan::evaluation_order
//!                                                                   ▼
//!  Parquet / NDJSON ──seg_io::open──▶ RecordBatch ──▶ seg_eval::columnar::evaluate_batches
//!                                                                   │
//!                                                                   ▼
//!                                           one RoaringBitmap of row numbers per segment
//!                                                                   │
//!                                                                   ▼
//!       seg_service: definitions, jobs, memberships, preview, estimate, export in a workspace
//! ```
//!
//! 1. [`pql`] parses a definition into a syntax tree with byte spans. Syntax errors are
//!    [`Diagnostic`]s with a code, a span and often a hint; [`Diagnostic::render`] prints them
//!    against the source text.
//! 2. [`plan`] binds the tree against the Arrow schema of the profiles: it resolves every
//!    field, checks types and resolves time expressions, and returns a [`SegmentPlan`].
//!    [`plan::evaluation_order`] orders a set of plans so that every `inSegment` target comes
//!    before the segments that read it.
//! 3. [`io`] reads profile files as normalized Arrow record batches, one row per profile with a
//!    string `_id` and the experience events in the list column `xEvent`.
//! 4. [`eval`] evaluates the plans over the batches, in parallel with rayon, into one
//!    [`RoaringBitmap`] per segment whose values are row numbers in input order. The reference
//!    interpreter in [`eval::reference`] evaluates one profile at a time and exists to check the
//!    columnar engine.
//! 5. [`service`] keeps definitions, segment jobs and memberships in a workspace directory and
//!    serves preview, estimate and export requests, with the objects of the Segmentation
//!    Service.
//!
//! [`SegmentSet`] and [`evaluate_file`] wrap stages 1 to 4 for the common case.
//!
//! # Example
//!
//! Compile two definitions against the schema of the bundled CDNOW profiles, evaluate them as
//! of 1 July 1998, and read the bitmaps:
//!
//! ```
//! use std::path::Path;
//!
//! use seg_engine::eval::EvalContext;
//! use seg_engine::eval::columnar::{Segment, evaluate_batches};
//! use seg_engine::io::{ReadOptions, read_all};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cdnow/profiles.parquet");
//! let (schema, batches) = read_all(&path, &ReadOptions::default())?;
//!
//! let definitions = [
//!     ("frequent-buyers", r#"xEvent[eventType = "commerce.purchases"].count() >= 10"#),
//!     ("frequent-and-recent", r#"inSegment("frequent-buyers") and xEvent[timestamp occurs <= 3 months before now].count() > 0"#),
//! ];
//! let mut plans = Vec::new();
//! for (id, text) in definitions {
//!     // A diagnostic renders against its source text, with the line and a caret.
//!     let query = seg_engine::pql::parse(text).map_err(|d| d.render(text))?;
//!     let plan = seg_engine::plan::bind(&query, &schema).map_err(|d| d.render(text))?;
//!     plans.push((id.to_string(), plan));
//! }
//!
//! // `inSegment` targets must be evaluated first.
//! let order = seg_engine::plan::evaluation_order(&plans)?;
//! let segments: Vec<Segment<'_>> =
//!     order.iter().map(|&i| Segment { id: &plans[i].0, plan: &plans[i].1 }).collect();
//!
//! let now = "1998-07-01T00:00:00Z".parse::<seg_engine::Timestamp>()?.as_microsecond();
//! let bitmaps = evaluate_batches(&segments, &batches, &EvalContext { now })?;
//!
//! let total: usize = batches.iter().map(|batch| batch.num_rows()).sum();
//! assert_eq!(total, 23_570);
//! for (segment, members) in segments.iter().zip(&bitmaps) {
//!     println!("{}: {} of {total} profiles", segment.id, members.len());
//! }
//! // Every member of the second segment is a member of the first.
//! assert!(bitmaps[1].is_subset(&bitmaps[0]));
//! assert!(!bitmaps[1].is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! The same in one call with [`evaluate_file`]:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cdnow/profiles.parquet");
//! let now = "1998-07-01T00:00:00Z".parse()?;
//! let audiences = seg_engine::evaluate_file(
//!     &path,
//!     [("frequent-buyers", r#"xEvent[eventType = "commerce.purchases"].count() >= 10"#)],
//!     now,
//! )?;
//! let members = audiences.members("frequent-buyers").ok_or("no such segment")?;
//! let first_ids: Vec<&str> = audiences.profile_ids(members).take(3).collect();
//! println!("{} members, the first are {first_ids:?}", members.len());
//! # Ok(())
//! # }
//! ```
//!
//! # Example programs
//!
//! `crates/engine/examples/` has three programs, which `cargo test` runs as tests:
//!
//! - `audience_sizes` evaluates a directory of `.pql` definitions over a profile file and
//!   prints the size of each audience.
//! - `service_workflow` saves definitions in a workspace, runs a segment job, previews and
//!   estimates an audience, and exports its members.
//! - `single_profile` evaluates one profile given as JSON against a set of definitions, as an
//!   edge or streaming caller does.
//!
//! Run one with `cargo run -p seg-engine --example audience_sizes`. The user guide in `docs/`
//! of the repository covers the `seg` command, the profile data model and operations.
//!
//! # Modules and top-level items
//!
//! The five library crates are re-exported whole as [`pql`], [`plan`], [`eval`], [`io`] and
//! [`service`]. The types most programs name are also at the top level.

#![deny(missing_docs)]

mod segments;

/// The Rust examples of `docs/library.md`, which run as doctests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/library.md")]
mod library_guide {}

pub use seg_eval as eval;
pub use seg_io as io;
pub use seg_plan as plan;
pub use seg_pql as pql;
pub use seg_service as service;

pub use arrow;
pub use roaring;

pub use arrow::array::RecordBatch;
pub use arrow::datatypes::{Schema, SchemaRef};
pub use jiff::Timestamp;
pub use roaring::RoaringBitmap;
pub use seg_eval::EvalContext;
pub use seg_eval::columnar::{EvalError, Segment};
pub use seg_io::{IoError, ReadOptions};
pub use seg_plan::{OrderError, SegmentPlan};
pub use seg_pql::{Diagnostic, ParseOptions};
pub use seg_service::{ServiceError, Workspace};

pub use segments::{Audiences, DefinitionError, Error, SegmentSet, evaluate_file};
