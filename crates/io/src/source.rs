//! Opening a profile file of any supported format as a stream of normalized record batches.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::SchemaRef;

use crate::error::IoError;
use crate::xdm::EVENT_COLUMN;
use crate::{ndjson_reader, parquet_reader};

/// The default of [`ReadOptions::event_limit`]: 5,000 events, the number of experience events
/// per profile above which Adobe Experience Platform leaves a profile out of segmentation.
pub const DEFAULT_EVENT_LIMIT: usize = 5_000;

/// Options for reading a profile file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// Maximum number of profiles in one record batch. Must be at least 1.
    pub batch_size: usize,
    /// Skip NDJSON lines that are not valid JSON or not a JSON object instead of ending the read
    /// with an error, and count them in [`ProfileReader::skipped_lines`]. Errors that concern a
    /// field rather than a line still end the read, such as a value whose JSON type differs
    /// between lines or an invalid timestamp. Parquet files have no lines, so it does not apply
    /// to them.
    pub skip_bad_lines: bool,
    /// The number of `xEvent` events above which a profile is counted in
    /// [`ProfileReader::profiles_over_event_limit`]. Such profiles are still read in full.
    pub event_limit: usize,
    /// Read Parquet string columns whose data pages are all dictionary-encoded as
    /// `Dictionary(Int32, Utf8)` arrays instead of `Utf8`, except `_id` and the keys and values
    /// of maps. Decoding is then cheaper, and the columnar evaluator compares such a column by
    /// its dictionary. Every consumer of the batches must accept both types. NDJSON files are
    /// read as `Utf8` either way.
    pub keep_string_dictionaries: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            batch_size: 65_536,
            skip_bad_lines: false,
            event_limit: DEFAULT_EVENT_LIMIT,
            keep_string_dictionaries: false,
        }
    }
}

/// A stream of record batches of profiles, read lazily from one file.
///
/// Every batch has the schema returned by [`ProfileReader::schema`], which is normalized (see
/// [`crate::normalize_schema`]) and has passed [`crate::validate_profile_schema`].
///
/// # Errors
///
/// Each item is a batch or the error that stopped reading, after which the reader should not
/// be polled again. A Parquet file yields [`IoError::ParquetDecode`] for a batch that cannot be
/// decoded. An NDJSON file yields [`IoError::JsonSyntax`], [`IoError::JsonNotObject`],
/// [`IoError::JsonTimestamp`] or [`IoError::JsonDecode`] for a line that does not fit the
/// inferred schema, each naming the file, and [`IoError::File`] when the file cannot be read.
/// Both formats yield [`IoError::Normalize`] for a value outside its normalized type, and
/// [`IoError::Arrow`] when Arrow fails to convert a column.
pub struct ProfileReader {
    schema: SchemaRef,
    batches: Box<dyn Iterator<Item = Result<RecordBatch, IoError>> + Send>,
    /// NDJSON lines skipped so far, shared with the line reader inside `batches`.
    skipped_lines: Arc<AtomicU64>,
    event_limit: usize,
    profiles_over_event_limit: u64,
}

impl ProfileReader {
    pub(crate) fn new(
        schema: SchemaRef,
        batches: Box<dyn Iterator<Item = Result<RecordBatch, IoError>> + Send>,
        options: &ReadOptions,
        skipped_lines: Arc<AtomicU64>,
    ) -> Self {
        ProfileReader { schema, batches, skipped_lines, event_limit: options.event_limit, profiles_over_event_limit: 0 }
    }

    /// Returns the normalized schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Returns the number of NDJSON lines skipped so far because they are not valid JSON
    /// objects, which is final once the reader is exhausted. It is always 0 unless
    /// [`ReadOptions::skip_bad_lines`] is set.
    pub fn skipped_lines(&self) -> u64 {
        self.skipped_lines.load(Ordering::Relaxed)
    }

    /// Returns the number of profiles read so far whose `xEvent` list has more than
    /// [`ReadOptions::event_limit`] events, which is final once the reader is exhausted.
    ///
    /// Profiles are counted from the `xEvent` column of the batches, so a reader from
    /// [`open_fields`] whose fields leave out `xEvent` counts none.
    pub fn profiles_over_event_limit(&self) -> u64 {
        self.profiles_over_event_limit
    }
}

impl Iterator for ProfileReader {
    type Item = Result<RecordBatch, IoError>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.batches.next()?;
        if let Ok(batch) = &batch {
            self.profiles_over_event_limit += count_over_event_limit(batch, self.event_limit);
        }
        Some(batch)
    }
}

/// Counts the rows of `batch` whose `xEvent` list has more than `limit` elements. A batch
/// without an `xEvent` list column counts 0.
fn count_over_event_limit(batch: &RecordBatch, limit: usize) -> u64 {
    let Some(events) = batch.column_by_name(EVENT_COLUMN).and_then(|column| column.as_list_opt::<i32>()) else {
        return 0;
    };
    let over = (0..events.len()).filter(|&row| events.is_valid(row) && events.value_length(row) as usize > limit).count();
    over as u64
}

impl std::fmt::Debug for ProfileReader {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("ProfileReader").field("schema", &self.schema).finish_non_exhaustive()
    }
}

/// The file formats that [`open`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Parquet,
    Ndjson,
}

/// Chooses the format from the file extension, ignoring ASCII case.
fn format_of(path: &Path) -> Option<Format> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "parquet" => Some(Format::Parquet),
        // A `.json` file is read as NDJSON too: one profile object per line.
        "ndjson" | "jsonl" | "json" => Some(Format::Ndjson),
        _ => None,
    }
}

/// Opens a profile file, choosing the reader by the extension: `.parquet` for Parquet, and
/// `.ndjson`, `.jsonl` or `.json` for newline-delimited JSON with one profile object per line.
///
/// Parquet is read one batch at a time. NDJSON is read twice: once in full to infer the
/// schema, then line by line as batches are requested. Memory use grows with the batch size,
/// not the file size. With [`ReadOptions::skip_bad_lines`], NDJSON lines that are not JSON
/// objects are left out of both passes, and each pass logs the first 10 at the `warn` level.
///
/// # Errors
///
/// Returns [`IoError::UnsupportedExtension`] for any other extension,
/// [`IoError::InvalidBatchSize`] when `options.batch_size` is 0, an error naming the file if it
/// cannot be opened or its schema cannot be read or inferred, and the errors of
/// [`crate::validate_profile_schema`]. Errors in later batches come from the iterator.
pub fn open(path: &Path, options: &ReadOptions) -> Result<ProfileReader, IoError> {
    open_with(path, options, None)
}

/// Opens a profile file like [`open`], but reads only `_id` and the fields whose path consists
/// of names in `fields`. Add `identityMap`, `id` and `primary` to read the identity map.
///
/// Pass every word of the definitions to evaluate: a field is read when each name on its path,
/// such as `xEvent`, `commerce`, `order` and `priceTotal`, is one of them. A struct or list that
/// is named but has no named field below keeps one field, so its nulls and lengths stay right.
/// The batches then lack the other fields, which evaluate as missing.
///
/// Only Parquet files skip the other fields, which saves decoding them. NDJSON files are read
/// with every field, as [`open`] reads them.
///
/// # Errors
///
/// Returns the errors of [`open`].
pub fn open_fields(path: &Path, options: &ReadOptions, fields: &HashSet<&str>) -> Result<ProfileReader, IoError> {
    open_with(path, options, Some(fields))
}

fn open_with(path: &Path, options: &ReadOptions, fields: Option<&HashSet<&str>>) -> Result<ProfileReader, IoError> {
    let format = format_of(path).ok_or_else(|| IoError::UnsupportedExtension { path: path.to_path_buf() })?;
    if options.batch_size == 0 {
        return Err(IoError::InvalidBatchSize);
    }
    match format {
        Format::Parquet => parquet_reader::open_parquet(path, options, fields),
        Format::Ndjson => ndjson_reader::open_ndjson(path, options),
    }
}

/// Reads a whole profile file into memory with [`open`], collecting every batch.
///
/// # Errors
///
/// Returns the errors of [`open`] and the first error of any batch.
pub fn read_all(path: &Path, options: &ReadOptions) -> Result<(SchemaRef, Vec<RecordBatch>), IoError> {
    let reader = open(path, options)?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>()?;
    Ok((schema, batches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_of_ignores_case() {
        assert_eq!(format_of(Path::new("a/B.PARQUET")), Some(Format::Parquet));
    }

    #[test]
    fn format_of_rejects_missing_extension() {
        assert_eq!(format_of(Path::new("profiles")), None);
    }
}
