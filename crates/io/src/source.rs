//! Opening a profile file of any supported format as a stream of normalized record batches.

use std::collections::HashSet;
use std::path::Path;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::error::IoError;
use crate::{ndjson_reader, parquet_reader};

/// Options for reading a profile file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// Maximum number of profiles in one record batch. Must be at least 1.
    pub batch_size: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { batch_size: 65_536 }
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
}

impl ProfileReader {
    pub(crate) fn new(
        schema: SchemaRef,
        batches: Box<dyn Iterator<Item = Result<RecordBatch, IoError>> + Send>,
    ) -> Self {
        ProfileReader { schema, batches }
    }

    /// Returns the normalized schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

impl Iterator for ProfileReader {
    type Item = Result<RecordBatch, IoError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.batches.next()
    }
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
/// not the file size.
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
