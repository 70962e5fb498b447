//! Profile input and output: Parquet and NDJSON profile files as normalized Arrow record
//! batches, the CDNOW converter, and segment membership files.

mod atomic;
mod error;
mod members;
mod normalize;
mod validate;
pub mod xdm;

pub use error::IoError;
pub use members::write_members;
pub use normalize::{normalize_batch, normalize_schema, normalize_type};
pub use validate::validate_profile_schema;
