//! Checks that a normalized schema has the columns the engine relies on.

use std::path::Path;

use arrow::datatypes::{DataType, Schema};

use crate::error::IoError;
use crate::xdm::{EVENT_COLUMN, ID_COLUMN, TIMESTAMP_FIELD, timestamp_type};

/// Checks a normalized profile schema: `_id` must be a Utf8 column, and `xEvent`, when present,
/// must be a list of structs with a `timestamp` field of the normalized timestamp type.
///
/// `path` names the file in errors.
///
/// # Errors
///
/// Returns [`IoError::MissingIdColumn`], [`IoError::ColumnType`] or
/// [`IoError::MissingEventTimestamp`] for the first rule that the schema breaks.
pub fn validate_profile_schema(schema: &Schema, path: &Path) -> Result<(), IoError> {
    let Ok(id) = schema.field_with_name(ID_COLUMN) else {
        return Err(IoError::MissingIdColumn {
            path: path.to_path_buf(),
            columns: schema.fields().iter().map(|field| field.name().clone()).collect(),
        });
    };
    if id.data_type() != &DataType::Utf8 {
        return Err(IoError::ColumnType {
            path: path.to_path_buf(),
            column: ID_COLUMN.to_string(),
            found: id.data_type().clone(),
            expected: "profile ids must be strings; write `_id` as a string column (in JSON, \
                       put the ids in quotes)",
        });
    }

    let Ok(events) = schema.field_with_name(EVENT_COLUMN) else {
        return Ok(());
    };
    let event_fields = match events.data_type() {
        DataType::List(item) => match item.data_type() {
            DataType::Struct(fields) => fields,
            _ => return Err(event_type_error(path, events.data_type())),
        },
        other => return Err(event_type_error(path, other)),
    };
    let Some((_, timestamp)) = event_fields.find(TIMESTAMP_FIELD) else {
        return Err(IoError::MissingEventTimestamp {
            path: path.to_path_buf(),
            fields: event_fields.iter().map(|field| field.name().clone()).collect(),
        });
    };
    if timestamp.data_type() != &timestamp_type() {
        return Err(IoError::ColumnType {
            path: path.to_path_buf(),
            column: format!("{EVENT_COLUMN}.{TIMESTAMP_FIELD}"),
            found: timestamp.data_type().clone(),
            expected: "event timestamps must be an Arrow timestamp or date type (in JSON, \
                       RFC 3339 strings or milliseconds since the Unix epoch)",
        });
    }
    Ok(())
}

fn event_type_error(path: &Path, found: &DataType) -> IoError {
    IoError::ColumnType {
        path: path.to_path_buf(),
        column: EVENT_COLUMN.to_string(),
        found: found.clone(),
        expected: "`xEvent` must be a list of event structs; rename the column if it holds \
                   something else",
    }
}
