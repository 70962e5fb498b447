//! Reading Parquet profile files in batches.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::IoError;
use crate::normalize::{normalize_batch_to, normalize_schema};
use crate::source::{ProfileReader, ReadOptions};
use crate::validate::validate_profile_schema;
use crate::xdm::ID_COLUMN;

/// Opens a Parquet file as a [`ProfileReader`] that decodes `options.batch_size` rows at a time.
///
/// With `columns`, only the top-level columns of that list and `_id` are decoded, in file
/// order; names that the file lacks are ignored.
pub(crate) fn open_parquet(
    path: &Path,
    options: &ReadOptions,
    columns: Option<&[&str]>,
) -> Result<ProfileReader, IoError> {
    let file = File::open(path).map_err(|source| IoError::file("open", path, source))?;
    let parquet_failure = |source| IoError::Parquet { action: "read", path: path.to_path_buf(), source };

    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_failure)?;
    let mut schema = Arc::new(normalize_schema(builder.schema()));
    validate_profile_schema(&schema, path)?;
    if let Some(columns) = columns {
        let indices: Vec<usize> = (0..schema.fields().len())
            .filter(|&index| {
                let name = schema.field(index).name();
                name == ID_COLUMN || columns.contains(&name.as_str())
            })
            .collect();
        schema = Arc::new(schema.project(&indices).map_err(|source| IoError::Arrow { path: Some(path.to_path_buf()), source })?);
        let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
        builder = builder.with_projection(mask);
    }
    let reader = builder.with_batch_size(options.batch_size).build().map_err(parquet_failure)?;

    let batch_schema = schema.clone();
    let path = path.to_path_buf();
    let batches = reader.map(move |batch| {
        let batch = batch.map_err(|source| IoError::ParquetDecode { path: path.clone(), source })?;
        normalize_batch_to(&batch, &batch_schema, Some(&path))
    });
    Ok(ProfileReader::new(schema, Box::new(batches)))
}
