//! Errors of `open` for unsupported files and for schemas that break the profile rules.

mod support;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field};
use parquet::arrow::ArrowWriter;
use seg_io::{IoError, ReadOptions, open};
use support::TestResult;

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) -> TestResult {
    let batch = RecordBatch::try_from_iter(columns)?;
    let mut writer = ArrowWriter::try_new(File::create(path)?, batch.schema(), None)?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(())
}

fn open_error(path: &Path) -> Result<IoError, String> {
    open(path, &ReadOptions::default())
        .err()
        .ok_or_else(|| format!("expected an error for {}", path.display()))
}

#[test]
fn unknown_extension_is_rejected() -> TestResult {
    let path = PathBuf::from("profiles.csv");

    let error = open_error(&path)?;
    assert_eq!(
        error.to_string(),
        "cannot read profiles.csv: unsupported file extension; rename the file to end in .parquet, \
         .ndjson, .jsonl or .json, or convert it to one of these formats"
    );
    Ok(())
}

#[test]
fn zero_batch_size_is_rejected() -> TestResult {
    let result = open(Path::new("profiles.parquet"), &ReadOptions { batch_size: 0, ..ReadOptions::default() });
    assert!(matches!(result, Err(IoError::InvalidBatchSize)));
    Ok(())
}

#[test]
fn missing_file_names_path() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("absent.ndjson");

    let error = open_error(&path)?;
    assert!(matches!(error, IoError::File { action: "open", .. }));
    assert!(error.to_string().starts_with(&format!("failed to open {}: ", path.display())));
    Ok(())
}

#[test]
fn parquet_without_id_lists_columns() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("profiles.parquet");
    write_parquet(
        &path,
        vec![
            ("customerId", Arc::new(StringArray::from(vec!["a"])) as ArrayRef),
            ("age", Arc::new(Int64Array::from(vec![40]))),
        ],
    )?;

    let error = open_error(&path)?;
    assert_eq!(
        error.to_string(),
        format!(
            "{} has no `_id` column (columns found: customerId, age); add a string column named \
             `_id` that holds the profile id, or rename the id column to `_id`",
            path.display()
        )
    );
    Ok(())
}

#[test]
fn ndjson_without_id_lists_columns() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("profiles.ndjson");
    std::fs::write(&path, "{\"id\":\"p1\"}\n")?;

    let error = open_error(&path)?;
    assert!(matches!(&error, IoError::MissingIdColumn { columns, .. } if columns == &["id"]));
    Ok(())
}

#[test]
fn numeric_id_is_rejected() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("profiles.parquet");
    write_parquet(&path, vec![("_id", Arc::new(Int64Array::from(vec![1])) as ArrayRef)])?;

    let error = open_error(&path)?;
    assert_eq!(
        error.to_string(),
        format!(
            "column `_id` in {} has type Int64, but profile ids must be strings; write `_id` as a \
             string column (in JSON, put the ids in quotes)",
            path.display()
        )
    );
    Ok(())
}

#[test]
fn events_must_be_list_of_structs() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("profiles.ndjson");
    std::fs::write(&path, "{\"_id\":\"p1\",\"xEvent\":[\"click\"]}\n")?;

    let error = open_error(&path)?;
    let expected_type = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
    assert!(
        matches!(&error, IoError::ColumnType { column, found, .. } if column == "xEvent" && found == &expected_type)
    );
    Ok(())
}

#[test]
fn events_need_timestamp() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("profiles.ndjson");
    std::fs::write(&path, "{\"_id\":\"p1\",\"xEvent\":[{\"eventType\":\"click\"}]}\n")?;

    let error = open_error(&path)?;
    assert_eq!(
        error.to_string(),
        format!(
            "column `xEvent` in {} has no `timestamp` field (event fields found: eventType); add \
             the time of each event as a `timestamp` field of a timestamp or date type",
            path.display()
        )
    );
    Ok(())
}

#[test]
fn empty_ndjson_has_no_id() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("profiles.ndjson");
    std::fs::write(&path, "\n\n")?;

    let error = open_error(&path)?;
    assert!(matches!(&error, IoError::MissingIdColumn { columns, .. } if columns.is_empty()));
    Ok(())
}
