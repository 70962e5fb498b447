//! Profile input and output: Parquet and NDJSON profile files as normalized Arrow record
//! batches, the CDNOW converter, and segment membership files.

mod atomic;
mod error;
mod members;
pub mod xdm;

pub use error::IoError;
pub use members::write_members;
