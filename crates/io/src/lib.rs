//! Profile input and output: Parquet and NDJSON profile files as normalized Arrow record
//! batches, the CDNOW converter, the synthetic profile generator, and segment membership files.
//!
//! [`open`] reads a profile file of either format as a stream of batches with one shape:
//! every timestamp and date becomes `Timestamp(Microsecond, "UTC")`, every integer `Int64`,
//! every float `Float64`, every string `Utf8` and every list `List` (see [`normalize_schema`]).
//! Each profile is one row with a string `_id`, and experience events are the list of structs
//! `xEvent`.

#![deny(missing_docs)]

mod atomic;
mod cdnow;
mod cdnow_arrow;
mod error;
mod generate;
mod members;
mod ndjson_lines;
mod ndjson_reader;
mod ndjson_schema;
mod ndjson_timestamp;
mod normalize;
mod parquet_dictionaries;
mod parquet_reader;
mod source;
mod validate;
pub mod xdm;

pub use cdnow::{CdnowSummary, convert_cdnow};
pub use cdnow_arrow::cdnow_schema;
pub use error::IoError;
pub use generate::{
    EVENT_TYPES, EventCounts, GENERATED_UNTIL, GenerateOptions, GenerateSummary, HISTORY_MICROS,
    MAX_EVENTS_PER_PROFILE, generate_batch, generate_profiles, generated_schema,
};
pub use members::write_members;
pub use normalize::{normalize_batch, normalize_schema, normalize_type};
pub use source::{DEFAULT_EVENT_LIMIT, ProfileReader, ReadOptions, open, open_fields, read_all};
pub use validate::validate_profile_schema;
