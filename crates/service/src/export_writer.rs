//! Export output files: projecting profile batches to the requested fields and writing them
//! as Parquet, NDJSON or CSV to a temporary file that is renamed into place when complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ServiceError;
use crate::fields::{batch_to_json, insert_path, lookup};

/// The file format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Apache Parquet; a nested field selected by dot path becomes a column named by the path.
    Parquet,
    /// One JSON object per line, nested as in the profile.
    Ndjson,
    /// Comma-separated values with a header; nested fields are flattened to dot names.
    Csv,
}

impl ExportFormat {
    /// Returns the file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "parquet",
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Csv => "csv",
        }
    }
}

/// Returns the schema of projected batches: `_id`, then one column per dot path (every
/// column when `fields` is empty).
///
/// # Errors
///
/// Returns [`ServiceError::InvalidParameter`] for a path that names no field or crosses a
/// list or map.
pub fn projected_schema(schema: &Schema, fields: &[String]) -> Result<SchemaRef, ServiceError> {
    if fields.is_empty() {
        return Ok(Arc::new(schema.clone()));
    }
    let mut projected = Vec::new();
    for path in with_id(fields) {
        let field = resolve_field(schema, &path)?;
        projected.push(Field::new(path, field.data_type().clone(), true));
    }
    Ok(Arc::new(Schema::new(projected)))
}

/// Projects `batch` to `schema` as built by [`projected_schema`].
///
/// # Errors
///
/// Returns [`ServiceError::InvalidParameter`] for a path that names no field.
pub fn project(batch: &RecordBatch, schema: &SchemaRef, fields: &[String]) -> Result<RecordBatch, ServiceError> {
    if fields.is_empty() {
        return Ok(batch.clone());
    }
    let mut columns: Vec<ArrayRef> = Vec::new();
    for path in with_id(fields) {
        columns.push(resolve_column(batch, &path)?);
    }
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| ServiceError::Evaluation(e.to_string()))
}

/// Drops rows whose selected fields, `_id` aside, are all null.
pub fn drop_empty_profiles(batch: &RecordBatch) -> Result<RecordBatch, ServiceError> {
    let keep: BooleanArray = (0..batch.num_rows())
        .map(|row| {
            let has_value = batch
                .schema()
                .fields()
                .iter()
                .zip(batch.columns())
                .any(|(field, column)| field.name() != "_id" && column.is_valid(row));
            Some(has_value)
        })
        .collect();
    filter_record_batch(batch, &keep).map_err(|e| ServiceError::Evaluation(e.to_string()))
}

fn with_id(fields: &[String]) -> Vec<String> {
    let mut paths = vec!["_id".to_string()];
    paths.extend(fields.iter().filter(|f| f.as_str() != "_id").cloned());
    paths
}

fn invalid_path(path: &str, reason: &str) -> ServiceError {
    ServiceError::InvalidParameter {
        parameter: "field",
        value: path.to_string(),
        expected: format!("{reason}; name a field of the profile schema by dot path, such as person.name.firstName"),
    }
}

fn resolve_field(schema: &Schema, path: &str) -> Result<Field, ServiceError> {
    let mut parts = path.split('.');
    let first = parts.next().unwrap_or_default();
    let mut field = schema.field_with_name(first).map_err(|_| invalid_path(path, "no such field"))?.clone();
    for part in parts {
        let DataType::Struct(children) = field.data_type() else {
            return Err(invalid_path(path, "the path crosses a field that is not a struct"));
        };
        let child = children.iter().find(|c| c.name() == part).ok_or_else(|| invalid_path(path, "no such field"))?;
        field = child.as_ref().clone();
    }
    Ok(field)
}

fn resolve_column(batch: &RecordBatch, path: &str) -> Result<ArrayRef, ServiceError> {
    let mut parts = path.split('.');
    let first = parts.next().unwrap_or_default();
    let mut column = batch.column_by_name(first).cloned().ok_or_else(|| invalid_path(path, "no such field"))?;
    for part in parts {
        let parent = column.as_struct_opt().ok_or_else(|| invalid_path(path, "the path crosses a field that is not a struct"))?;
        let child = parent.column_by_name(part).cloned().ok_or_else(|| invalid_path(path, "no such field"))?;
        // A null parent struct makes the child null too.
        column = match parent.nulls() {
            Some(nulls) if nulls.null_count() > 0 => {
                let valid = BooleanArray::new(nulls.inner().clone(), None);
                arrow::compute::nullif(&child, &arrow::compute::not(&valid).map_err(|e| ServiceError::Evaluation(e.to_string()))?)
                    .map_err(|e| ServiceError::Evaluation(e.to_string()))?
            }
            _ => child,
        };
    }
    Ok(column)
}

/// One output file being written to a temporary file beside its final path.
pub struct OutputFile {
    path: PathBuf,
    temporary: tempfile::NamedTempFile,
    writer: FormatWriter,
    rows: u64,
}

enum FormatWriter {
    Parquet(Box<ArrowWriter<File>>),
    Ndjson(BufWriter<File>),
    Csv { out: BufWriter<File>, columns: Vec<String> },
}

impl OutputFile {
    /// Creates the temporary file for `path` and writes the CSV header when the format needs one.
    ///
    /// # Errors
    ///
    /// Returns a file error when the directory or the temporary file cannot be created.
    pub fn create(path: &Path, format: ExportFormat, schema: &SchemaRef) -> Result<Self, ServiceError> {
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(directory).map_err(|e| ServiceError::file("create directory", directory, e))?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".seg-").suffix(".tmp");
        // tempfile creates files with mode 0o600. An export file gets 0o666 less the umask,
        // as `File::create` would give it.
        #[cfg(unix)]
        builder.permissions(<std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o666));
        let temporary = builder
            .tempfile_in(directory)
            .map_err(|e| ServiceError::file("create a temporary file in", directory, e))?;
        let file = temporary.as_file().try_clone().map_err(|e| ServiceError::file("open", temporary.path(), e))?;
        let writer = match format {
            ExportFormat::Parquet => {
                let writer = ArrowWriter::try_new(file, schema.clone(), None)
                    .map_err(|e| ServiceError::file("write", path, std::io::Error::other(e)))?;
                FormatWriter::Parquet(Box::new(writer))
            }
            ExportFormat::Ndjson => FormatWriter::Ndjson(BufWriter::new(file)),
            ExportFormat::Csv => {
                let columns = csv_columns(schema);
                let mut out = BufWriter::new(file);
                let header: Vec<String> = columns.iter().map(|c| csv_cell(&Value::String(c.clone()))).collect();
                writeln!(out, "{}", header.join(",")).map_err(|e| ServiceError::file("write", path, e))?;
                FormatWriter::Csv { out, columns }
            }
        };
        Ok(OutputFile { path: path.to_path_buf(), temporary, writer, rows: 0 })
    }

    /// Appends the rows of a projected batch.
    ///
    /// # Errors
    ///
    /// Returns a file error when writing fails.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), ServiceError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let path = self.path.clone();
        let write_error = |e: std::io::Error| ServiceError::file("write", &path, e);
        match &mut self.writer {
            FormatWriter::Parquet(writer) => writer.write(batch).map_err(|e| write_error(std::io::Error::other(e)))?,
            FormatWriter::Ndjson(out) => {
                for row in batch_to_json(batch)? {
                    serde_json::to_writer(&mut *out, &nest(row)).map_err(|e| write_error(std::io::Error::other(e)))?;
                    out.write_all(b"\n").map_err(write_error)?;
                }
            }
            FormatWriter::Csv { out, columns } => {
                for row in batch_to_json(batch)? {
                    let nested = nest(row);
                    let cells: Vec<String> =
                        columns.iter().map(|c| csv_cell(lookup(&nested, c).unwrap_or(&Value::Null))).collect();
                    writeln!(out, "{}", cells.join(",")).map_err(write_error)?;
                }
            }
        }
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Finishes the format, syncs the file, renames it to its final path and syncs the
    /// directory. Returns the number of rows written.
    ///
    /// # Errors
    ///
    /// Returns a file error when closing, syncing or renaming fails; the final path is then
    /// left as it was.
    pub fn finish(self) -> Result<u64, ServiceError> {
        let path = self.path;
        let write_error = |e: std::io::Error| ServiceError::file("write", &path, e);
        match self.writer {
            FormatWriter::Parquet(writer) => {
                writer.close().map_err(|e| write_error(std::io::Error::other(e)))?;
            }
            FormatWriter::Ndjson(mut out) | FormatWriter::Csv { mut out, .. } => out.flush().map_err(write_error)?,
        }
        self.temporary.as_file().sync_all().map_err(|e| ServiceError::file("sync", self.temporary.path(), e))?;
        self.temporary.persist(&path).map_err(|e| ServiceError::file("rename a temporary file to", &path, e.error))?;
        #[cfg(unix)]
        if let Some(directory) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(directory)
                .and_then(|d| d.sync_all())
                .map_err(|e| ServiceError::file("sync directory", directory, e))?;
        }
        Ok(self.rows)
    }
}

/// Turns the dot-named columns of a projected row (`person.name.firstName`) back into nested
/// objects.
fn nest(row: Map<String, Value>) -> Map<String, Value> {
    let mut nested = Map::new();
    for (key, value) in row {
        insert_path(&mut nested, &key, value);
    }
    nested
}

/// Returns the CSV column names. Struct fields are flattened to dot names, and a list or map
/// stays one column of JSON text.
fn csv_columns(schema: &Schema) -> Vec<String> {
    fn walk(prefix: &str, field: &Field, columns: &mut Vec<String>) {
        let name = if prefix.is_empty() { field.name().clone() } else { format!("{prefix}.{}", field.name()) };
        match field.data_type() {
            DataType::Struct(children) if !children.is_empty() => {
                for child in children {
                    walk(&name, child, columns);
                }
            }
            _ => columns.push(name),
        }
    }
    let mut columns = Vec::new();
    for field in schema.fields() {
        walk("", field, &mut columns);
    }
    columns
}

/// Formats one CSV cell: null is empty, strings are quoted when they contain a comma, a
/// quote or a line break, and arrays or objects are written as JSON text.
fn csv_cell(value: &Value) -> String {
    let text = match value {
        Value::Null => return String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray, StructArray};
    use arrow::datatypes::Fields;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn person_batch() -> Result<RecordBatch, Box<dyn std::error::Error>> {
        let name_fields = Fields::from(vec![Field::new("first", DataType::Utf8, true), Field::new("last", DataType::Utf8, true)]);
        let name = StructArray::new(
            name_fields.clone(),
            vec![Arc::new(StringArray::from(vec![Some("Ada"), None])), Arc::new(StringArray::from(vec![Some("Lovelace, A."), None]))],
            None,
        );
        let person_fields = Fields::from(vec![Field::new("name", DataType::Struct(name_fields), true), Field::new("age", DataType::Int64, true)]);
        let person = StructArray::new(person_fields, vec![Arc::new(name), Arc::new(Int64Array::from(vec![Some(36), None]))], None);
        let schema = Schema::new(vec![
            Field::new("_id", DataType::Utf8, false),
            Field::new("person", person.data_type().clone(), true),
        ]);
        Ok(RecordBatch::try_new(Arc::new(schema), vec![Arc::new(StringArray::from(vec!["a", "b"])), Arc::new(person)])?)
    }

    #[test]
    fn csv_flattens_structs_to_dot_names() -> TestResult {
        let batch = person_batch()?;
        let fields = vec!["person.name".to_string()];
        let schema = projected_schema(&batch.schema(), &fields)?;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("people.csv");
        let mut output = OutputFile::create(&path, ExportFormat::Csv, &schema)?;
        output.write(&project(&batch, &schema, &fields)?)?;
        assert_eq!(output.finish()?, 2);
        let text = std::fs::read_to_string(&path)?;
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines, ["_id,person.name.first,person.name.last", "a,Ada,\"Lovelace, A.\"", "b,,"]);
        Ok(())
    }

    #[test]
    fn empty_profiles_are_dropped() -> TestResult {
        let batch = person_batch()?;
        let fields = vec!["person.age".to_string()];
        let schema = projected_schema(&batch.schema(), &fields)?;
        let kept = drop_empty_profiles(&project(&batch, &schema, &fields)?)?;
        assert_eq!(kept.num_rows(), 1);
        Ok(())
    }

    #[test]
    fn path_through_scalar_is_rejected() -> TestResult {
        let batch = person_batch()?;
        let result = projected_schema(&batch.schema(), &["person.age.years".to_string()]);
        assert!(matches!(result, Err(ServiceError::InvalidParameter { .. })));
        Ok(())
    }
}
