//! Reading Parquet profile files in batches.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::IoError;
use crate::normalize::{normalize_batch_to, normalize_schema};
use crate::source::{ProfileReader, ReadOptions};
use crate::validate::validate_profile_schema;

/// Opens a Parquet file as a [`ProfileReader`] that decodes `options.batch_size` rows at a time.
pub(crate) fn open_parquet(path: &Path, options: &ReadOptions) -> Result<ProfileReader, IoError> {
    let file = File::open(path).map_err(|source| IoError::file("open", path, source))?;
    let parquet_failure = |source| IoError::Parquet { action: "read", path: path.to_path_buf(), source };

    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_failure)?;
    let schema = Arc::new(normalize_schema(builder.schema()));
    validate_profile_schema(&schema, path)?;
    let reader = builder.with_batch_size(options.batch_size).build().map_err(parquet_failure)?;

    let batch_schema = schema.clone();
    let path = path.to_path_buf();
    let batches = reader.map(move |batch| {
        let batch = batch.map_err(|source| IoError::ParquetDecode { path: path.clone(), source })?;
        normalize_batch_to(&batch, &batch_schema, Some(&path))
    });
    Ok(ProfileReader::new(schema, Box::new(batches)))
}
