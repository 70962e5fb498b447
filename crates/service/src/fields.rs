//! Selecting fields of profile rows by dot path, as JSON objects.

use arrow::array::{RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use serde_json::{Map, Value};

use crate::error::ServiceError;

/// Converts the given rows of `batch` to JSON objects with `_id` and the fields named by dot
/// paths (`person.name.firstName`), nested as in the profile. A missing field is `null`.
/// With `fields` empty, every column is kept.
///
/// # Errors
///
/// Returns [`ServiceError::Evaluation`] when Arrow cannot take the rows or encode them as JSON.
pub fn rows_as_json(batch: &RecordBatch, rows: &[u32], fields: &[String]) -> Result<Vec<Map<String, Value>>, ServiceError> {
    let indices = UInt32Array::from(rows.to_vec());
    let page_rows = take_record_batch(batch, &indices).map_err(|e| ServiceError::Evaluation(e.to_string()))?;
    let full = batch_to_json(&page_rows)?;
    if fields.is_empty() {
        return Ok(full);
    }
    let mut selected = Vec::with_capacity(full.len());
    for row in full {
        let mut object = Map::new();
        object.insert("_id".to_string(), row.get("_id").cloned().unwrap_or(Value::Null));
        for path in fields {
            let value = lookup(&row, path).cloned().unwrap_or(Value::Null);
            insert_path(&mut object, path, value);
        }
        selected.push(object);
    }
    Ok(selected)
}

/// Encodes every row of `batch` as a JSON object with arrow-json.
pub fn batch_to_json(batch: &RecordBatch) -> Result<Vec<Map<String, Value>>, ServiceError> {
    let mut writer = arrow_json::ArrayWriter::new(Vec::new());
    writer.write_batches(&[batch]).map_err(|e| ServiceError::Evaluation(e.to_string()))?;
    writer.finish().map_err(|e| ServiceError::Evaluation(e.to_string()))?;
    let bytes = writer.into_inner();
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Map<String, Value>> =
        serde_json::from_slice(&bytes).map_err(|e| ServiceError::Evaluation(format!("arrow-json output is not JSON: {e}")))?;
    Ok(rows)
}

/// Returns the value at a dot path of a JSON object.
pub fn lookup<'a>(object: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut current = object.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

pub(crate) fn insert_path(object: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            object.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let child = object.entry(head.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            if let Value::Object(child) = child {
                insert_path(child, rest, value);
            }
        }
    }
}
