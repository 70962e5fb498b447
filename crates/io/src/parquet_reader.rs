//! Reading Parquet profile files in batches.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use parquet::arrow::ProjectionMask;
use arrow::array::RecordBatchReader;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::schema::types::SchemaDescriptor;

use crate::error::IoError;
use crate::normalize::{normalize_batch_to, normalize_schema};
use crate::source::{ProfileReader, ReadOptions};
use crate::validate::validate_profile_schema;
use crate::xdm::ID_COLUMN;

/// Opens a Parquet file as a [`ProfileReader`] that decodes `options.batch_size` rows at a time.
///
/// With `fields`, only the leaf columns that [`leaves_named_by`] selects are decoded.
pub(crate) fn open_parquet(
    path: &Path,
    options: &ReadOptions,
    fields: Option<&HashSet<&str>>,
) -> Result<ProfileReader, IoError> {
    let file = File::open(path).map_err(|source| IoError::file("open", path, source))?;
    let parquet_failure = |source| IoError::Parquet { action: "read", path: path.to_path_buf(), source };

    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_failure)?;
    let full_schema = Arc::new(normalize_schema(builder.schema()));
    validate_profile_schema(&full_schema, path)?;
    if let Some(fields) = fields {
        let leaves = leaves_named_by(builder.parquet_schema(), fields);
        let mask = ProjectionMask::leaves(builder.parquet_schema(), leaves);
        builder = builder.with_projection(mask);
    }
    let reader = builder.with_batch_size(options.batch_size).build().map_err(parquet_failure)?;
    let schema = match fields {
        Some(_) => Arc::new(normalize_schema(&reader.schema())),
        None => full_schema,
    };

    let batch_schema = schema.clone();
    let path = path.to_path_buf();
    let batches = reader.map(move |batch| {
        let batch = batch.map_err(|source| IoError::ParquetDecode { path: path.clone(), source })?;
        normalize_batch_to(&batch, &batch_schema, Some(&path))
    });
    Ok(ProfileReader::new(schema, Box::new(batches), options, Arc::default()))
}

/// The names that Parquet gives to the levels of lists and maps, which are not field names.
const STRUCTURAL_NAMES: [&str; 7] = ["list", "element", "item", "array", "key_value", "key", "value"];

/// Returns the indexes of the leaf columns that a reader of the fields in `names` needs.
///
/// A leaf is needed when every field name on its path appears in `names`. The levels of lists
/// and maps (such as `list` and `element`) do not count. The `_id` leaf is always needed.
/// When `names` contains every field name down to a struct or list but no leaf below it, its
/// first leaf is needed too, because that leaf's levels carry the nulls and lengths of the
/// struct or list (for `xEvent.count()`, say).
fn leaves_named_by(schema: &SchemaDescriptor, names: &HashSet<&str>) -> Vec<usize> {
    let paths: Vec<Vec<&str>> = schema
        .columns()
        .iter()
        .map(|column| {
            let parts = column.path().parts();
            parts.iter().map(String::as_str).filter(|part| !STRUCTURAL_NAMES.contains(part)).collect()
        })
        .collect();
    let known = |path: &[&str]| path.iter().take_while(|part| names.contains(*part)).count();

    let mut needed: Vec<usize> = (0..paths.len())
        .filter(|&index| {
            let path = &paths[index];
            path.first() == Some(&ID_COLUMN) || known(path) == path.len()
        })
        .collect();

    // Named prefixes, longest first, so a fallback leaf for a nested list also serves the
    // lists and structs around it.
    let mut prefixes: Vec<&[&str]> = paths
        .iter()
        .flat_map(|path| (1..=known(path)).map(move |length| &path[..length]))
        .collect();
    prefixes.sort_by_key(|prefix| std::cmp::Reverse(prefix.len()));
    prefixes.dedup();
    for prefix in prefixes {
        let covered = needed.iter().any(|&index| paths[index].starts_with(prefix));
        if !covered && let Some(first) = paths.iter().position(|path| path.starts_with(prefix)) {
            needed.push(first);
        }
    }
    needed.sort_unstable();
    needed.dedup();
    needed
}
