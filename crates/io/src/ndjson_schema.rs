//! Schema inference for NDJSON profile files.
//!
//! arrow-json infers the structure from every line of the file. A pass over the same values
//! adds what arrow-json cannot know:
//!
//! - A field whose values are of two JSON kinds (say a string on one line and a number on
//!   another) is an error naming the field, where arrow-json would silently read it as Utf8.
//! - A field named `timestamp` contains RFC 3339 strings or milliseconds since the Unix epoch,
//!   in any mix, and becomes `Timestamp(Microsecond, "UTC")`. Any other value in it is an
//!   error.
//! - Any other string field whose non-null values all parse as RFC 3339 date-times becomes a
//!   timestamp too.
//! - `identityMap` becomes `Map<Utf8, List<Struct{id, primary, ...}>>` in place of a struct
//!   with one field per namespace.
//! - `xEvent`, when every line has an empty or null event array, becomes a list of structs
//!   with only a `timestamp` field, so that the schema still validates.
//!
//! Fields are sorted by name at every level, so the column order does not depend on whether
//! serde_json keeps object keys in insertion order (its `preserve_order` feature).

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, TimeUnit};
use arrow::error::ArrowError;
use arrow_json::reader::infer_json_schema_from_iterator;
use serde_json::{Map, Value};

use crate::error::IoError;
use crate::ndjson_lines::{JsonLines, json_kind_name};
use crate::ndjson_timestamp::{join_path, parse_rfc3339_micros};
use crate::xdm::{
    EVENT_COLUMN, ID_COLUMN, IDENTITY_MAP_COLUMN, TIMESTAMP_FIELD, identity_fields, identity_map_type,
};

/// Infers the Arrow schema of an NDJSON file from all of its lines.
///
/// Timestamp fields get the type `Timestamp(Microsecond, None)`, which normalization turns
/// into `Timestamp(Microsecond, "UTC")`. The file's values are still strings or milliseconds;
/// [`crate::ndjson_timestamp::TimestampPlan`] converts them.
/// With `skip_bad_lines`, lines that are not JSON objects are left out of the inference.
pub(crate) fn infer_ndjson_schema(path: &Path, skip_bad_lines: bool) -> Result<Schema, IoError> {
    let file = File::open(path).map_err(|source| IoError::file("open", path, source))?;
    let mut lines = JsonLines::new(path, BufReader::new(file));
    if skip_bad_lines {
        lines = lines.skipping_bad_lines(std::sync::Arc::default());
    }
    let mut kinds = FieldKinds::default();
    let mut failure: Option<IoError> = None;
    let mut last_line = 0;

    // arrow-json stops at the first Err, whose text is unused because `failure` stores the
    // real error.
    let values = std::iter::from_fn(|| {
        let result = lines.next()?.and_then(|(line, object)| {
            last_line = line;
            kinds.record_object(&object, "", line, path)?;
            let mut value = Value::Object(object);
            drop_null_elements(&mut value);
            Ok(value)
        });
        Some(result.map_err(|error| {
            failure = Some(error);
            ArrowError::JsonError(String::new())
        }))
    });
    let inferred = infer_json_schema_from_iterator(values);
    if let Some(error) = failure {
        return Err(error);
    }
    let inferred = inferred.map_err(|error| IoError::JsonDecode {
        path: path.to_path_buf(),
        first_line: 1,
        last_line,
        message: error.to_string(),
    })?;

    let mut fields = Vec::with_capacity(inferred.fields().len());
    for field in sorted(inferred.fields()) {
        let field = rewrite_field(&field, "", &kinds)?;
        let field = match field.name().as_str() {
            IDENTITY_MAP_COLUMN => identity_map_field(&field, path)?,
            EVENT_COLUMN => event_field(field),
            _ => field,
        };
        fields.push(field);
    }
    Ok(Schema::new(fields))
}

/// The JSON kind that each field path holds, and whether all its strings are RFC 3339.
#[derive(Default)]
struct FieldKinds {
    by_path: HashMap<String, PathKinds>,
}

struct PathKinds {
    kind: &'static str,
    first_line: usize,
    all_strings_rfc3339: bool,
}

impl FieldKinds {
    fn record_object(
        &mut self,
        object: &Map<String, Value>,
        prefix: &str,
        line: usize,
        path: &Path,
    ) -> Result<(), IoError> {
        for (name, value) in object {
            let field = join_path(prefix, name);
            // A `timestamp` field may mix RFC 3339 strings and numbers, so only its values
            // are checked, not their kinds.
            if name == TIMESTAMP_FIELD {
                check_timestamp_value(value, &field, line, path)?;
                continue;
            }
            self.record_value(value, field, line, path)?;
        }
        Ok(())
    }

    fn record_value(
        &mut self,
        value: &Value,
        field: String,
        line: usize,
        path: &Path,
    ) -> Result<(), IoError> {
        if value.is_null() {
            return Ok(());
        }
        let kind = json_kind_name(value);
        let is_rfc3339 = match value {
            Value::String(text) => parse_rfc3339_micros(text).is_some(),
            _ => false,
        };
        match value {
            Value::Array(items) => {
                let element = format!("{field}[]");
                for item in items {
                    self.record_value(item, element.clone(), line, path)?;
                }
            }
            Value::Object(object) => self.record_object(object, &field, line, path)?,
            _ => {}
        }

        match self.by_path.get_mut(&field) {
            Some(seen) if seen.kind != kind => Err(IoError::JsonTypeConflict {
                path: path.to_path_buf(),
                field,
                first_kind: seen.kind,
                first_line: seen.first_line,
                second_kind: kind,
                second_line: line,
            }),
            Some(seen) => {
                seen.all_strings_rfc3339 &= is_rfc3339;
                Ok(())
            }
            None => {
                self.by_path
                    .insert(field, PathKinds { kind, first_line: line, all_strings_rfc3339: is_rfc3339 });
                Ok(())
            }
        }
    }

    fn is_rfc3339_string(&self, field: &str) -> bool {
        self.by_path.get(field).is_some_and(|seen| seen.kind == "string" && seen.all_strings_rfc3339)
    }
}

/// Rejects a value of a `timestamp` field that is neither null, an RFC 3339 string nor a number.
fn check_timestamp_value(value: &Value, field: &str, line: usize, path: &Path) -> Result<(), IoError> {
    let valid = match value {
        Value::Null | Value::Number(_) => true,
        Value::String(text) => parse_rfc3339_micros(text).is_some(),
        _ => false,
    };
    if valid {
        return Ok(());
    }
    Err(IoError::JsonTimestamp {
        path: path.to_path_buf(),
        field: field.to_string(),
        line,
        value: value.to_string(),
    })
}

fn sorted(fields: &Fields) -> Vec<FieldRef> {
    let mut fields: Vec<FieldRef> = fields.iter().cloned().collect();
    fields.sort_by(|a, b| a.name().cmp(b.name()));
    fields
}

/// Sorts struct fields and gives timestamp fields the type [`decoded_timestamp_type`].
fn rewrite_field(field: &Field, prefix: &str, kinds: &FieldKinds) -> Result<Field, IoError> {
    let field_path = join_path(prefix, field.name());
    let data_type = rewrite_type(field.data_type(), &field_path, Some(field.name()), kinds)?;
    Ok(field.clone().with_data_type(data_type))
}

/// Rewrites the type at `field_path`. `name` is the field name, or `None` for list elements.
fn rewrite_type(
    data_type: &DataType,
    field_path: &str,
    name: Option<&str>,
    kinds: &FieldKinds,
) -> Result<DataType, IoError> {
    let rewritten = match data_type {
        DataType::Int64 | DataType::Float64 | DataType::Utf8 if name == Some(TIMESTAMP_FIELD) => {
            decoded_timestamp_type()
        }
        // Ids stay strings even when they look like date-times.
        DataType::Utf8 if name != Some(ID_COLUMN) && kinds.is_rfc3339_string(field_path) => {
            decoded_timestamp_type()
        }
        DataType::List(item) => {
            let element_path = format!("{field_path}[]");
            let item_type = rewrite_type(item.data_type(), &element_path, None, kinds)?;
            DataType::List(Arc::new(item.as_ref().clone().with_data_type(item_type)))
        }
        DataType::Struct(fields) => {
            let mut rewritten = Vec::with_capacity(fields.len());
            for field in sorted(fields) {
                rewritten.push(rewrite_field(&field, field_path, kinds)?);
            }
            DataType::Struct(Fields::from(rewritten))
        }
        other => other.clone(),
    };
    Ok(rewritten)
}

/// Turns the inferred struct of namespaces into the identity map type.
///
/// The identity fields are `id` and `primary` followed by any other field that an identity
/// object has (such as `authenticatedState`), merged over all namespaces.
fn identity_map_field(field: &Field, path: &Path) -> Result<Field, IoError> {
    let shape_error =
        || IoError::JsonIdentityMap { path: path.to_path_buf(), found: field.data_type().clone() };
    let DataType::Struct(namespaces) = field.data_type() else {
        return match field.data_type() {
            DataType::Null => Ok(field.clone().with_data_type(identity_map_type(identity_fields()))),
            _ => Err(shape_error()),
        };
    };

    let mut merged: Vec<FieldRef> = identity_fields().iter().cloned().collect();
    for namespace in namespaces {
        let identity = match namespace.data_type() {
            DataType::List(item) => item.data_type(),
            DataType::Null => continue,
            _ => return Err(shape_error()),
        };
        let identity_fields = match identity {
            DataType::Struct(fields) => fields,
            DataType::Null => continue,
            _ => return Err(shape_error()),
        };
        for identity_field in identity_fields {
            match merged.iter().position(|known| known.name() == identity_field.name()) {
                None => merged.push(identity_field.clone()),
                Some(index) if merged[index].data_type() == identity_field.data_type() => {}
                Some(_) if identity_field.data_type() == &DataType::Null => {}
                Some(index) if merged[index].data_type() == &DataType::Null => {
                    merged[index] = identity_field.clone()
                }
                Some(_) => return Err(shape_error()),
            }
        }
    }
    Ok(field.clone().with_data_type(identity_map_type(Fields::from(merged))))
}

/// Gives an event column that never held an event the type `List<Struct{timestamp}>`.
fn event_field(field: Field) -> Field {
    let item = match field.data_type() {
        DataType::Null => Field::new_list_field(DataType::Null, true),
        DataType::List(item) if item.data_type() == &DataType::Null => item.as_ref().clone(),
        _ => return field,
    };
    let event =
        DataType::Struct(Fields::from(vec![Field::new(TIMESTAMP_FIELD, decoded_timestamp_type(), true)]));
    field.with_data_type(DataType::List(Arc::new(item.with_data_type(event))))
}

/// Returns the timestamp type that arrow-json decodes into.
///
/// It has no time zone because arrow 59 without its `chrono-tz` feature cannot parse the zone
/// name `UTC`, only offsets, and the arrow-json decoder parses the zone of its target type.
/// The values are microseconds in UTC either way.
fn decoded_timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, None)
}

/// Removes null elements from every array in `value`. arrow-json's inference rejects a null
/// element next to objects, such as `"xEvent": [null, {...}]`, although the decoder reads it as
/// a null struct. A null element carries no element type, so inference can skip it.
fn drop_null_elements(value: &mut Value) {
    match value {
        Value::Array(elements) => {
            elements.retain(|element| !element.is_null());
            elements.iter_mut().for_each(drop_null_elements);
        }
        Value::Object(object) => object.values_mut().for_each(drop_null_elements),
        _ => {}
    }
}
