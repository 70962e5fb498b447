//! The segmentation service over a workspace directory: segment definitions, segment jobs
//! and memberships, kept as files that are always written atomically.
//!
//! Open a [`Workspace`] (it takes an exclusive lock), create definitions, then start a job
//! with [`Workspace::start_job`] and wait on its [`JobHandle`].

#![deny(missing_docs)]

pub mod atomic;
pub mod audience;
pub mod catalog;
pub mod definition;
pub mod definition_file;
pub mod engine;
pub mod error;
pub mod estimate;
pub mod export;
mod export_external;
pub mod export_membership;
pub mod export_writer;
pub mod fields;
pub mod jobs;
pub mod membership;
pub mod preview;
pub mod preview_store;
pub mod query;
pub mod read_counts;
pub mod runner;
pub mod sample;
pub mod schedule;
pub mod search;
pub mod workspace;

pub use catalog::{DefinitionPage, ListQuery, PageInfo};
pub use definition::{Expression, SchemaName, SegmentDefinition};
pub use definition_file::{DefinitionFile, load_definition_dir, load_definition_file, read_definition_file};
pub use seg_plan::EvaluationInfo;
pub use engine::{CompiledSegment, Definition, Engine, JobOutcome, RunOptions};
pub use error::ServiceError;
pub use export::{ExportJob, ExportJobPage, ExportRequest, request_export_cancel};
pub use export_writer::ExportFormat;
pub use estimate::{EstimateRequest, EstimateResponse, SamplingPolicy, estimate};
pub use jobs::{JobMetrics, JobProperties, JobStatus, SegmentJob, StatusCounts, request_cancel};
pub use membership::{Membership, MembershipStatus, SegmentMemberships};
pub use preview::{PreviewRequest, PreviewResponse, preview};
pub use preview_store::{DeletedPreview, StoredPreview};
pub use query::Target;
pub use read_counts::ReadCounts;
pub use runner::{JobHandle, JobRequest};
pub use workspace::Workspace;
