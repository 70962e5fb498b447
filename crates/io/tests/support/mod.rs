//! Helpers shared by the integration tests: typed access to the columns of record batches.

#![allow(dead_code)]

use std::error::Error;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, StructArray,
    TimestampMicrosecondArray,
};

pub type TestResult = Result<(), Box<dyn Error>>;

pub fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, String> {
    batch.column_by_name(name).ok_or_else(|| format!("batch has no column `{name}`"))
}

pub fn as_struct(array: &ArrayRef) -> Result<&StructArray, String> {
    array.as_struct_opt().ok_or_else(|| format!("expected a struct array, found {}", array.data_type()))
}

pub fn field<'a>(array: &'a ArrayRef, name: &str) -> Result<&'a ArrayRef, String> {
    as_struct(array)?.column_by_name(name).ok_or_else(|| format!("struct has no field `{name}`"))
}

/// Returns the elements of the list at `row`.
pub fn list_at(array: &ArrayRef, row: usize) -> Result<ArrayRef, String> {
    let list = array
        .as_list_opt::<i32>()
        .ok_or_else(|| format!("expected a list array, found {}", array.data_type()))?;
    Ok(list.value(row))
}

pub fn strings(array: &ArrayRef) -> Result<Vec<Option<String>>, String> {
    let values = array
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| format!("expected Utf8, found {}", array.data_type()))?;
    Ok(values.iter().map(|value| value.map(str::to_string)).collect())
}

pub fn int64s(array: &ArrayRef) -> Result<Vec<Option<i64>>, String> {
    let values = array
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| format!("expected Int64, found {}", array.data_type()))?;
    Ok(values.iter().collect())
}

pub fn float64s(array: &ArrayRef) -> Result<Vec<Option<f64>>, String> {
    let values = array
        .as_any()
        .downcast_ref::<Float64Array>()
        .ok_or_else(|| format!("expected Float64, found {}", array.data_type()))?;
    Ok(values.iter().collect())
}

pub fn booleans(array: &ArrayRef) -> Result<Vec<Option<bool>>, String> {
    let values = array
        .as_any()
        .downcast_ref::<BooleanArray>()
        .ok_or_else(|| format!("expected Boolean, found {}", array.data_type()))?;
    Ok(values.iter().collect())
}

/// Returns the values of a `Timestamp(Microsecond, _)` array.
pub fn timestamps(array: &ArrayRef) -> Result<Vec<Option<i64>>, String> {
    let values = array
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .ok_or_else(|| format!("expected Timestamp(Microsecond), found {}", array.data_type()))?;
    Ok(values.iter().collect())
}
