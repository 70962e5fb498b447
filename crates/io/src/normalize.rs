//! Normalization of Arrow schemas and batches to the one shape that later stages expect.
//!
//! The rules are listed on [`normalize_type`], which is public, so that they appear in the
//! rendered documentation.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, FixedSizeListArray, ListArray, MapArray, PrimitiveArray, RecordBatch,
    RecordBatchOptions, StructArray,
};
use arrow::buffer::{OffsetBuffer, ScalarBuffer};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, FieldRef, Fields, Int64Type, Schema, SchemaRef, TimeUnit,
    TimestampMicrosecondType, UInt64Type,
};
use arrow::error::ArrowError;

use crate::error::IoError;
use crate::xdm::{UTC, timestamp_type};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Returns `schema` with every field type normalized by the rules of [`normalize_type`].
pub fn normalize_schema(schema: &Schema) -> Schema {
    let fields: Vec<FieldRef> = schema.fields().iter().map(normalize_field).collect();
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

/// Returns the normalized form of one Arrow type:
///
/// | input type                                   | normalized type                   |
/// |----------------------------------------------|-----------------------------------|
/// | `Timestamp` of any unit and time zone        | `Timestamp(Microsecond, "UTC")`   |
/// | `Date32`, `Date64`                           | the same, at 00:00 UTC            |
/// | `Int8` to `Int64`, `UInt8` to `UInt64`       | `Int64`                           |
/// | `Float16`, `Float32`                         | `Float64`                         |
/// | `LargeUtf8`, `Utf8View`, `Dictionary<_, V>`  | `Utf8` (a dictionary becomes `V`, normalized) |
/// | `LargeList`                                  | `List`                            |
///
/// The rules apply at any depth inside structs, lists, fixed-size lists and maps. Field names,
/// nullability and metadata are kept. Other types pass through unchanged.
///
/// A timestamp without a time zone is read as UTC. A timestamp with a time zone keeps its
/// instant, because Arrow stores every timestamp as an offset from the Unix epoch in UTC.
pub fn normalize_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => timestamp_type(),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => DataType::Int64,
        DataType::Float16 | DataType::Float32 => DataType::Float64,
        DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        DataType::Dictionary(_, value_type) => normalize_type(value_type),
        DataType::List(item) | DataType::LargeList(item) => DataType::List(normalize_field(item)),
        DataType::FixedSizeList(item, size) => DataType::FixedSizeList(normalize_field(item), *size),
        DataType::Struct(fields) => DataType::Struct(normalize_fields(fields)),
        DataType::Map(entries, sorted) => DataType::Map(normalize_field(entries), *sorted),
        other => other.clone(),
    }
}

/// Converts every column of `batch` to its normalized type (see [`normalize_type`]). Null
/// values stay null, and a null list or struct keeps its null slot.
///
/// # Errors
///
/// Returns [`IoError::Normalize`] naming the column when a value does not fit the normalized
/// type: a `UInt64` above `i64::MAX`, a timestamp or date outside the range of `i64`
/// microseconds (about 292,000 years around 1970), or a `LargeList` whose offsets exceed
/// `i32::MAX`.
pub fn normalize_batch(batch: &RecordBatch) -> Result<RecordBatch, IoError> {
    let schema = Arc::new(normalize_schema(&batch.schema()));
    normalize_batch_to(batch, &schema, None)
}

/// Converts `batch` to `schema`, which must be `normalize_schema(batch.schema())` up to schema
/// metadata. `path` names the source file in errors.
pub(crate) fn normalize_batch_to(
    batch: &RecordBatch,
    schema: &SchemaRef,
    path: Option<&Path>,
) -> Result<RecordBatch, IoError> {
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (column, field) in batch.columns().iter().zip(schema.fields()) {
        columns.push(normalize_array(column, field.data_type(), field.name(), path)?);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(schema.clone(), columns, &options)
        .map_err(|source| IoError::Arrow { path: path.map(Path::to_path_buf), source })
}

fn normalize_field(field: &FieldRef) -> FieldRef {
    let data_type = normalize_type(field.data_type());
    if &data_type == field.data_type() {
        return field.clone();
    }
    Arc::new(field.as_ref().clone().with_data_type(data_type))
}

fn normalize_fields(fields: &Fields) -> Fields {
    fields.iter().map(normalize_field).collect()
}

/// Converts one array to `to`, the normalized form of its type. `column` is the dotted path of
/// the array, used in errors.
fn normalize_array(
    array: &ArrayRef,
    to: &DataType,
    column: &str,
    path: Option<&Path>,
) -> Result<ArrayRef, IoError> {
    if array.data_type() == to {
        return Ok(array.clone());
    }
    let failure = |problem: String, hint: &'static str| IoError::Normalize {
        path: path.map(Path::to_path_buf),
        column: column.to_string(),
        from: array.data_type().clone(),
        to: to.clone(),
        message: format!("{problem}; {hint}"),
    };
    let arrow_failure = |source: ArrowError| IoError::Arrow { path: path.map(Path::to_path_buf), source };

    match (array.data_type(), to) {
        (DataType::Struct(_), DataType::Struct(to_fields)) => {
            let input = array.as_struct();
            let mut children = Vec::with_capacity(to_fields.len());
            for (child, field) in input.columns().iter().zip(to_fields) {
                let child_column = format!("{column}.{}", field.name());
                children.push(normalize_array(child, field.data_type(), &child_column, path)?);
            }
            let output = StructArray::try_new_with_length(
                to_fields.clone(),
                children,
                input.nulls().cloned(),
                input.len(),
            )
            .map_err(arrow_failure)?;
            Ok(Arc::new(output))
        }

        (DataType::List(_), DataType::List(to_item)) => {
            let input = array.as_list::<i32>();
            let values = normalize_array(input.values(), to_item.data_type(), &format!("{column}[]"), path)?;
            let output =
                ListArray::try_new(to_item.clone(), input.offsets().clone(), values, input.nulls().cloned())
                    .map_err(arrow_failure)?;
            Ok(Arc::new(output))
        }

        (DataType::LargeList(_), DataType::List(to_item)) => {
            let input = array.as_list::<i64>();
            let mut offsets = Vec::with_capacity(input.offsets().len());
            for &offset in input.offsets().iter() {
                let offset = i32::try_from(offset).map_err(|_| {
                    failure(
                        format!("list offset {offset} exceeds the List maximum of {}", i32::MAX),
                        "read the file with a smaller ReadOptions::batch_size",
                    )
                })?;
                offsets.push(offset);
            }
            let values = normalize_array(input.values(), to_item.data_type(), &format!("{column}[]"), path)?;
            let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
            let output = ListArray::try_new(to_item.clone(), offsets, values, input.nulls().cloned())
                .map_err(arrow_failure)?;
            Ok(Arc::new(output))
        }

        (DataType::FixedSizeList(_, size), DataType::FixedSizeList(to_item, _)) => {
            let input = array.as_fixed_size_list();
            let values = normalize_array(input.values(), to_item.data_type(), &format!("{column}[]"), path)?;
            let output = FixedSizeListArray::try_new(to_item.clone(), *size, values, input.nulls().cloned())
                .map_err(arrow_failure)?;
            Ok(Arc::new(output))
        }

        (DataType::Map(_, _), DataType::Map(to_entries, sorted)) => {
            let input = array.as_map();
            let entries: ArrayRef = Arc::new(input.entries().clone());
            let entries = normalize_array(&entries, to_entries.data_type(), column, path)?;
            let output = MapArray::try_new(
                to_entries.clone(),
                input.offsets().clone(),
                entries.as_struct().clone(),
                input.nulls().cloned(),
                *sorted,
            )
            .map_err(arrow_failure)?;
            Ok(Arc::new(output))
        }

        (DataType::Timestamp(unit, _), _) => {
            let raw =
                cast_with_options(array, &DataType::Int64, &CastOptions::default()).map_err(arrow_failure)?;
            let raw = raw.as_primitive::<Int64Type>();
            let micros = match unit {
                TimeUnit::Second => scale_up(raw, 1_000_000),
                TimeUnit::Millisecond => scale_up(raw, 1_000),
                TimeUnit::Microsecond => Ok(raw.reinterpret_cast::<TimestampMicrosecondType>()),
                // Flooring keeps an instant before 1970 in the microsecond that contains it.
                TimeUnit::Nanosecond => Ok(raw.unary(|nanos: i64| nanos.div_euclid(1_000))),
            };
            let micros = micros.map_err(|message| failure(message, TIMESTAMP_RANGE_HINT))?;
            Ok(Arc::new(micros.with_timezone(UTC)))
        }

        (DataType::Date32, _) => {
            let days = array.as_primitive::<Date32Type>();
            let micros: PrimitiveArray<TimestampMicrosecondType> = days
                .try_unary(|days| {
                    i64::from(days)
                        .checked_mul(MICROS_PER_DAY)
                        .ok_or_else(|| format!("date {days} days from 1970-01-01 is out of range"))
                })
                .map_err(|message| failure(message, TIMESTAMP_RANGE_HINT))?;
            Ok(Arc::new(micros.with_timezone(UTC)))
        }

        (DataType::Date64, _) => {
            let millis = array.as_primitive::<Date64Type>().reinterpret_cast::<Int64Type>();
            let micros =
                scale_up(&millis, 1_000).map_err(|message| failure(message, TIMESTAMP_RANGE_HINT))?;
            Ok(Arc::new(micros.with_timezone(UTC)))
        }

        (DataType::UInt64, _) => {
            let values = array.as_primitive::<UInt64Type>();
            let converted: PrimitiveArray<Int64Type> = values
                .try_unary(|value| {
                    i64::try_from(value)
                        .map_err(|_| format!("value {value} exceeds the Int64 maximum {}", i64::MAX))
                })
                .map_err(|message| failure(message, "store such values as strings or as Float64"))?;
            Ok(Arc::new(converted))
        }

        _ => {
            let options = CastOptions { safe: false, ..CastOptions::default() };
            cast_with_options(array, to, &options).map_err(|error| {
                failure(error.to_string(), "convert the column to a supported type before reading")
            })
        }
    }
}

const TIMESTAMP_RANGE_HINT: &str =
    "check the unit of the column, because microseconds since 1970 must fit in 64 bits";

/// Multiplies raw timestamps in a coarser unit by `factor` to get microseconds.
fn scale_up(
    raw: &PrimitiveArray<Int64Type>,
    factor: i64,
) -> Result<PrimitiveArray<TimestampMicrosecondType>, String> {
    raw.try_unary(|value| {
        value.checked_mul(factor).ok_or_else(|| format!("value {value} is out of range for microseconds"))
    })
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::{Field, IntervalUnit};

    use super::*;

    #[test]
    fn normalize_type_widens_nested_integers() {
        let input = DataType::LargeList(Arc::new(Field::new(
            "item",
            DataType::Struct(Fields::from(vec![Field::new("n", DataType::UInt8, false)])),
            true,
        )));
        let expected = DataType::List(Arc::new(Field::new(
            "item",
            DataType::Struct(Fields::from(vec![Field::new("n", DataType::Int64, false)])),
            true,
        )));
        assert_eq!(normalize_type(&input), expected);
    }

    #[test]
    fn normalize_type_unpacks_string_dictionary() {
        let input = DataType::Dictionary(Box::new(DataType::Int16), Box::new(DataType::LargeUtf8));
        assert_eq!(normalize_type(&input), DataType::Utf8);
    }

    #[test]
    fn normalize_type_keeps_other_types() {
        let input = DataType::Interval(IntervalUnit::DayTime);
        assert_eq!(normalize_type(&input), input);
    }
}
