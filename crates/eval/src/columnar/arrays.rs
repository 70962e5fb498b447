//! Array helpers shared by the kernels: the Arrow type of each plan type, type checks on
//! input columns, typed access to arrays, and predicate masks without nulls.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, ListArray, StringArray, new_null_array,
};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use arrow::datatypes::{DataType as ArrowType, Field, Fields, TimeUnit as ArrowTimeUnit};
use seg_plan::{DataType, Node, NodeKind, Scalar};

use super::EvalError;

/// The value of a node: a column with one slot per row of the current scope, or a constant
/// that the kernels apply without repeating it per row.
#[derive(Clone, Debug)]
pub(super) enum Operand<'p> {
    /// One value per row.
    Array(ArrayRef),
    /// The same value for every row.
    Scalar(&'p Scalar),
}

impl Operand<'_> {
    /// Returns the operand as an array of `len` rows, repeating a constant.
    pub(super) fn into_array(self, data_type: &DataType, len: usize) -> ArrayRef {
        match self {
            Operand::Array(array) => array,
            Operand::Scalar(scalar) => scalar_array(scalar, data_type, len),
        }
    }
}

/// Builds an array of `len` copies of `scalar`, typed as `data_type` when the scalar is null.
pub(super) fn scalar_array(scalar: &Scalar, data_type: &DataType, len: usize) -> ArrayRef {
    match scalar {
        Scalar::Null => new_null(data_type, len),
        Scalar::Bool(value) => Arc::new(BooleanArray::from(vec![*value; len])),
        Scalar::Int(value) => Arc::new(Int64Array::from_value(*value, len)),
        Scalar::Double(value) => Arc::new(Float64Array::from_value(*value, len)),
        Scalar::String(value) => Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
            value, len,
        ))),
        Scalar::Timestamp(value) => Arc::new(
            arrow::array::TimestampMicrosecondArray::from_value(*value, len).with_timezone_utc(),
        ),
    }
}

/// Builds an all-null array of `len` rows of the Arrow type of `data_type`.
pub(super) fn new_null(data_type: &DataType, len: usize) -> ArrayRef {
    new_null_array(&arrow_type(data_type), len)
}

/// Returns the Arrow type that normalized input uses for a plan type.
pub(super) fn arrow_type(data_type: &DataType) -> ArrowType {
    match data_type {
        DataType::Null => ArrowType::Null,
        DataType::Bool => ArrowType::Boolean,
        DataType::Int => ArrowType::Int64,
        DataType::Double => ArrowType::Float64,
        DataType::String => ArrowType::Utf8,
        DataType::Timestamp => seg_plan::types::arrow_timestamp(),
        DataType::List(element) => {
            ArrowType::List(Arc::new(Field::new_list_field(arrow_type(element), true)))
        }
        DataType::Struct(fields) => {
            ArrowType::Struct(Fields::from_iter(fields.iter().map(|field| {
                Field::new(field.name.clone(), arrow_type(&field.data_type), true)
            })))
        }
        DataType::Map(value) => {
            let entries = Fields::from(vec![
                Field::new("key", ArrowType::Utf8, false),
                Field::new("value", arrow_type(value), true),
            ]);
            ArrowType::Map(
                Arc::new(Field::new("entries", ArrowType::Struct(entries), false)),
                false,
            )
        }
    }
}

/// Checks that an input column has the Arrow type of its plan type, replacing a column of
/// Arrow type `Null` with an all-null column of the plan type.
///
/// # Errors
///
/// [`EvalError::UnexpectedType`] when the Arrow type does not match, naming the value by `name`.
pub(super) fn conform(
    array: ArrayRef,
    data_type: &DataType,
    name: impl FnOnce() -> String,
) -> Result<ArrayRef, EvalError> {
    if array.data_type() == &ArrowType::Null {
        return Ok(new_null(data_type, array.len()));
    }
    if !has_struct(data_type) && contains_dictionary(array.data_type()) {
        // Kernels read strings and lists of strings as `Utf8` arrays. Values with structs keep
        // their dictionaries until a field read or a field access reaches them, so that the
        // dictionary kernels can use them.
        let target = arrow_type(data_type);
        return Ok(arrow::compute::cast(&array, &target)?);
    }
    let matches = matches!(
        (data_type, array.data_type()),
        (DataType::Null, _)
            | (DataType::Bool, ArrowType::Boolean)
            | (DataType::Int, ArrowType::Int64)
            | (DataType::Double, ArrowType::Float64)
            | (DataType::String, ArrowType::Utf8)
            | (
                DataType::Timestamp,
                ArrowType::Timestamp(ArrowTimeUnit::Microsecond, _)
            )
            | (DataType::List(_), ArrowType::List(_))
            | (DataType::Struct(_), ArrowType::Struct(_))
            | (DataType::Map(_), ArrowType::Map(_, _))
    );
    if matches {
        Ok(array)
    } else {
        Err(unexpected_type(name(), data_type, array.data_type()))
    }
}

/// Returns whether a plan type has a struct at any depth.
fn has_struct(data_type: &DataType) -> bool {
    match data_type {
        DataType::Struct(_) | DataType::Map(_) => true,
        DataType::List(item) => has_struct(item),
        _ => false,
    }
}

/// Returns whether an Arrow type has a dictionary at any depth.
fn contains_dictionary(data_type: &ArrowType) -> bool {
    match data_type {
        ArrowType::Dictionary(_, _) => true,
        ArrowType::List(item) => contains_dictionary(item.data_type()),
        ArrowType::Struct(fields) => fields.iter().any(|field| contains_dictionary(field.data_type())),
        _ => false,
    }
}

/// Returns whether an Arrow type is a dictionary of `Utf8` strings, which a string column may
/// be instead of `Utf8`.
pub(super) fn is_string_dictionary(data_type: &ArrowType) -> bool {
    matches!(data_type, ArrowType::Dictionary(_, value) if value.as_ref() == &ArrowType::Utf8)
}

/// Builds the error for a value whose Arrow type does not fit its plan type.
pub(super) fn unexpected_type(name: String, expected: &DataType, found: &ArrowType) -> EvalError {
    EvalError::UnexpectedType {
        name,
        expected: format!("{expected} ({})", arrow_type(expected)),
        found: found.clone(),
    }
}

/// Names a node in error messages: a column by its path, anything else by its source span.
pub(super) fn describe(node: &Node) -> String {
    match &node.kind {
        NodeKind::Column { path, .. } if !path.is_empty() => format!("column `{}`", path.join(".")),
        NodeKind::Column { .. } => "list element".to_string(),
        _ => format!("expression at bytes {}..{}", node.span.start, node.span.end),
    }
}

/// Returns the `i64` values and nulls of an `Int64` or `Timestamp(Microsecond)` array.
pub(super) fn i64_parts<'a>(
    array: &'a ArrayRef,
    node: &Node,
) -> Result<(&'a [i64], Option<&'a NullBuffer>), EvalError> {
    use arrow::array::AsArray;
    use arrow::datatypes::{Int64Type, TimestampMicrosecondType};
    if let Some(ints) = array.as_primitive_opt::<Int64Type>() {
        return Ok((ints.values(), ints.nulls()));
    }
    if let Some(timestamps) = array.as_primitive_opt::<TimestampMicrosecondType>() {
        return Ok((timestamps.values(), timestamps.nulls()));
    }
    Err(unexpected_type(
        describe(node),
        &node.data_type,
        array.data_type(),
    ))
}

/// Downcasts an array to `T`, or reports the node's plan type and the Arrow type found.
pub(super) fn downcast<'a, T: Array + 'static>(
    array: &'a ArrayRef,
    node: &Node,
) -> Result<&'a T, EvalError> {
    array
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| unexpected_type(describe(node), &node.data_type, array.data_type()))
}

/// Downcasts the value of a list node to a `ListArray`.
pub(super) fn as_list<'a>(array: &'a ArrayRef, node: &Node) -> Result<&'a ListArray, EvalError> {
    downcast::<ListArray>(array, node)
}

/// Returns the validity bits of an array, all set when it has no nulls.
pub(super) fn validity(array: &dyn Array) -> BooleanBuffer {
    match array.logical_nulls() {
        Some(nulls) => nulls.into_inner(),
        None => BooleanBuffer::new_set(array.len()),
    }
}

/// Builds a predicate mask without nulls from its bits.
pub(super) fn mask(bits: BooleanBuffer) -> BooleanArray {
    BooleanArray::new(bits, None)
}

/// Returns a mask of `len` rows that are all `value`.
pub(super) fn constant_mask(value: bool, len: usize) -> BooleanArray {
    if value {
        mask(BooleanBuffer::new_set(len))
    } else {
        mask(BooleanBuffer::new_unset(len))
    }
}

/// Turns a boolean array into a predicate mask: a null slot becomes false.
pub(super) fn null_as_false(array: &BooleanArray) -> BooleanArray {
    match array.nulls() {
        Some(nulls) if nulls.null_count() > 0 => mask(array.values() & nulls.inner()),
        _ => mask(array.values().clone()),
    }
}

/// Keeps the bits of `bits` whose row is valid in `nulls`.
pub(super) fn and_valid(bits: BooleanBuffer, nulls: Option<&NullBuffer>) -> BooleanBuffer {
    match nulls {
        Some(nulls) if nulls.null_count() > 0 => &bits & nulls.inner(),
        _ => bits,
    }
}
