//! Reading profile files while skipping NDJSON lines that are not JSON objects.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::IoError;
use crate::source::{ProfileReader, ReadOptions, open};

/// The number of NDJSON lines skipped so far by a reader from [`open_skipping_bad_lines`].
#[derive(Clone, Debug, Default)]
pub struct SkippedLines(Arc<AtomicU64>);

impl SkippedLines {
    /// Returns the number of lines skipped so far. It is final once the reader is exhausted.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Opens a profile file like [`open`], but an NDJSON line that is not valid JSON or not a JSON
/// object is skipped and counted instead of ending the read with an error. Parquet files are
/// read as by [`open`], and their count stays 0.
///
/// Other errors still end the read, such as a value whose JSON kind differs between lines or an
/// invalid timestamp, because they concern a field rather than a line.
///
/// # Errors
///
/// Returns the errors of [`open`], except those of bad lines.
pub fn open_skipping_bad_lines(path: &Path, options: &ReadOptions) -> Result<(ProfileReader, SkippedLines), IoError> {
    let skipped = SkippedLines::default();
    let is_ndjson = path
        .extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| ["ndjson", "jsonl", "json"].contains(&extension.to_ascii_lowercase().as_str()));
    if !is_ndjson || options.batch_size == 0 {
        return Ok((open(path, options)?, skipped));
    }
    let reader = crate::ndjson_reader::open_ndjson_with(path, options, Some(Arc::clone(&skipped.0)))?;
    Ok((reader, skipped))
}
