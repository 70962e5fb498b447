//! Conversion of normalized Arrow record batches into one plain value per profile.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType as ArrowType, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType};

use super::error::ReferenceError;
use super::value::Value;

/// Converts every row of a normalized batch into one [`Value::Struct`] per profile, with the
/// batch's columns as fields in schema order.
///
/// Accepted column types, at any depth: `Int64`, `Float64`, `Utf8`, `Boolean`,
/// `Timestamp(Microsecond, _)`, `Null`, `List`, `Struct` and `Map` with `Utf8` keys. Nulls may
/// appear anywhere, and a null struct or list is [`Value::Null`] whatever its children hold.
///
/// # Errors
///
/// Returns [`ReferenceError::UnsupportedArrowType`] for any other type, such as `Int32` or a
/// millisecond timestamp, which the normalization step would have converted.
pub fn profiles_from_batch(batch: &RecordBatch) -> Result<Vec<Value>, ReferenceError> {
    let schema = batch.schema();
    for field in schema.fields() {
        check_type(field.name(), field.data_type())?;
    }

    let mut profiles = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let mut fields = Vec::with_capacity(batch.num_columns());
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            fields.push((field.name().clone(), value_at(column.as_ref(), row)));
        }
        profiles.push(Value::Struct(fields));
    }
    Ok(profiles)
}

/// Rejects types that [`value_at`] cannot read, before any row is converted.
fn check_type(column: &str, data_type: &ArrowType) -> Result<(), ReferenceError> {
    let unsupported =
        || ReferenceError::UnsupportedArrowType { column: column.to_string(), data_type: data_type.to_string() };
    match data_type {
        ArrowType::Null | ArrowType::Boolean | ArrowType::Int64 | ArrowType::Float64 | ArrowType::Utf8 => Ok(()),
        ArrowType::Timestamp(TimeUnit::Microsecond, _) => Ok(()),
        ArrowType::List(item) => check_type(column, item.data_type()),
        ArrowType::Struct(fields) => fields.iter().try_for_each(|field| check_type(column, field.data_type())),
        ArrowType::Map(entries, _) => {
            let ArrowType::Struct(parts) = entries.data_type() else {
                return Err(unsupported());
            };
            if parts.len() != 2 || parts[0].data_type() != &ArrowType::Utf8 {
                return Err(unsupported());
            }
            check_type(column, parts[1].data_type())
        }
        _ => Err(unsupported()),
    }
}

/// Reads the value at `row` of an array whose type passed [`check_type`].
fn value_at(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        ArrowType::Boolean => Value::Bool(array.as_boolean().value(row)),
        ArrowType::Int64 => Value::Int(array.as_primitive::<Int64Type>().value(row)),
        ArrowType::Float64 => Value::Double(array.as_primitive::<Float64Type>().value(row)),
        ArrowType::Utf8 => Value::String(array.as_string::<i32>().value(row).to_string()),
        ArrowType::Timestamp(_, _) => Value::Timestamp(array.as_primitive::<TimestampMicrosecondType>().value(row)),
        ArrowType::List(_) => {
            let elements = array.as_list::<i32>().value(row);
            Value::List((0..elements.len()).map(|index| value_at(elements.as_ref(), index)).collect())
        }
        ArrowType::Struct(_) => {
            let record = array.as_struct();
            let fields = record
                .column_names()
                .into_iter()
                .zip(record.columns())
                .map(|(name, column)| (name.to_string(), value_at(column.as_ref(), row)))
                .collect();
            Value::Struct(fields)
        }
        ArrowType::Map(_, _) => {
            let entries = array.as_map().value(row);
            let keys = entries.column(0).as_string::<i32>();
            let values = entries.column(1);
            let pairs = (0..entries.len())
                .map(|index| (keys.value(index).to_string(), value_at(values.as_ref(), index)))
                .collect();
            Value::Map(pairs)
        }
        // Only `ArrowType::Null` reaches here: it has no validity buffer, so `is_null` is false,
        // but every row of it is null.
        _ => Value::Null,
    }
}
