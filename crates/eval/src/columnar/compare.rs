//! Comparison kernels: `=`, `!=`, `<`, `<=`, `>`, `>=` between two values of one type, and
//! `in` / `notIn` against a list of constants. A null operand makes every result false.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Datum, DictionaryArray, Float64Array, Int64Array,
    Scalar as ArrowScalar, StringArray, TimestampMicrosecondArray,
};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use arrow::compute::kernels::cmp;
use arrow::datatypes::{Int32Type, Int64Type};
use seg_plan::{DataType, Node, Scalar};
use seg_pql::ast::Comparison;

use super::EvalError;
use super::arrays::{
    Operand, and_valid, is_string_dictionary, constant_mask, downcast, i64_parts, mask, null_as_false, scalar_array,
};

/// The list length from which `in` looks values up in a hash set instead of scanning the list.
// NOTE: not measured yet; below it a scan of a few constants is assumed cheaper than hashing.
pub(super) const HASH_SET_MIN_LEN: usize = 16;

/// Compares two values of the type of `lhs` row by row; false where either is null.
///
/// Doubles compare as IEEE 754 numbers (`-0.0 = 0.0`, NaN equals nothing and is unordered),
/// which Arrow's comparison kernels do not do, so they use their own loop.
pub(super) fn compare(
    op: Comparison,
    left: Operand<'_>,
    right: Operand<'_>,
    lhs: &Node,
    len: usize,
) -> Result<BooleanArray, EvalError> {
    match (&left, &right) {
        (Operand::Scalar(Scalar::Null), _) | (_, Operand::Scalar(Scalar::Null)) => {
            return Ok(constant_mask(false, len));
        }
        (Operand::Scalar(a), Operand::Scalar(b)) => {
            return Ok(constant_mask(holds(op, compare_scalars(a, b)), len));
        }
        _ => {}
    }
    match lhs.data_type {
        DataType::Double => compare_doubles(op, &left, &right, lhs, len),
        DataType::Null => Ok(constant_mask(false, len)),
        DataType::String if matches!(op, Comparison::Eq | Comparison::NotEq) => {
            match (&left, &right) {
                (Operand::Array(array), Operand::Scalar(Scalar::String(constant)))
                | (Operand::Scalar(Scalar::String(constant)), Operand::Array(array)) => {
                    let strings = downcast::<StringArray>(array, lhs)?;
                    let equal = equal_to_constant(strings, constant.as_bytes());
                    let bits = if op == Comparison::Eq { equal } else { !&equal };
                    Ok(mask(and_valid(bits, strings.nulls())))
                }
                _ => compare_with_arrow(op, &left, &right, lhs),
            }
        }
        _ => compare_with_arrow(op, &left, &right, lhs),
    }
}

/// Sets the bit of each string equal to `constant`, ignoring nulls.
///
/// Lengths come from the offsets alone, so only strings of the constant's length reach a byte
/// comparison, and for constants of 8 bytes or more that comparison starts with the first and
/// last 8 bytes as two integers. Event types and other categorical strings mostly differ in
/// length or in those bytes, so few values need a full comparison.
fn equal_to_constant(strings: &StringArray, constant: &[u8]) -> BooleanBuffer {
    let offsets = strings.value_offsets();
    let bytes = strings.value_data();
    let Ok(wanted) = i32::try_from(constant.len()) else {
        return BooleanBuffer::new_unset(strings.len());
    };
    let value = |i: usize| -> Option<&[u8]> {
        let (start, end) = (offsets[i], offsets[i + 1]);
        (end - start == wanted).then(|| &bytes[start as usize..end as usize])
    };
    let (Some(head), Some(tail)) = (constant.first_chunk::<8>(), constant.last_chunk::<8>()) else {
        return BooleanBuffer::collect_bool(strings.len(), |i| value(i) == Some(constant));
    };
    let (head, tail) = (u64::from_ne_bytes(*head), u64::from_ne_bytes(*tail));
    let middle = &constant[8..constant.len().max(16) - 8];
    BooleanBuffer::collect_bool(strings.len(), |i| {
        let Some(value) = value(i) else {
            return false;
        };
        match (value.first_chunk::<8>(), value.last_chunk::<8>()) {
            (Some(first), Some(last)) => {
                u64::from_ne_bytes(*first) == head
                    && u64::from_ne_bytes(*last) == tail
                    && value.get(8..value.len().max(16) - 8) == Some(middle)
            }
            _ => false,
        }
    })
}

/// Gives each row of a string dictionary the bit of its dictionary value in `passing`, which
/// has one bit per value. Rows with a null key, a null value or a key outside the dictionary
/// get false.
pub(super) fn dictionary_map(
    dictionary: &DictionaryArray<Int32Type>,
    passing: &BooleanArray,
) -> Result<BooleanArray, EvalError> {
    let values = dictionary.values();
    if !is_string_dictionary(dictionary.data_type()) || passing.len() != values.len() {
        return Err(EvalError::InvalidPlan(format!(
            "a dictionary of {} values with values of type {} has {} test results",
            values.len(),
            values.data_type(),
            passing.len()
        )));
    }
    let passing: Vec<bool> = (0..values.len())
        .map(|value| values.is_valid(value) && passing.is_valid(value) && passing.value(value))
        .collect();
    let keys = dictionary.keys();
    let bits = BooleanBuffer::collect_bool(keys.len(), |row| {
        let key = keys.values()[row];
        usize::try_from(key)
            .ok()
            .and_then(|key| passing.get(key).copied())
            .unwrap_or(false)
    });
    Ok(mask(and_valid(bits, keys.nulls())))
}

/// Applies a comparison operator to the ordering of two values; `None` is unordered (NaN).
fn holds(op: Comparison, ordering: Option<Ordering>) -> bool {
    let Some(ordering) = ordering else {
        return op == Comparison::NotEq;
    };
    match op {
        Comparison::Eq => ordering.is_eq(),
        Comparison::NotEq => ordering.is_ne(),
        Comparison::Lt => ordering.is_lt(),
        Comparison::LtEq => ordering.is_le(),
        Comparison::Gt => ordering.is_gt(),
        Comparison::GtEq => ordering.is_ge(),
    }
}

fn compare_scalars(a: &Scalar, b: &Scalar) -> Option<Ordering> {
    match (a, b) {
        (Scalar::Bool(a), Scalar::Bool(b)) => Some(a.cmp(b)),
        (Scalar::Int(a), Scalar::Int(b)) | (Scalar::Timestamp(a), Scalar::Timestamp(b)) => {
            Some(a.cmp(b))
        }
        (Scalar::Double(a), Scalar::Double(b)) => a.partial_cmp(b),
        (Scalar::String(a), Scalar::String(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// One side of an Arrow comparison: timestamps are read as `Int64` so that time zone labels
/// of the input and of literals never make Arrow reject the pair.
enum Side {
    Array(ArrayRef),
    Scalar(ArrowScalar<ArrayRef>),
}

impl Side {
    fn new(operand: &Operand<'_>, node: &Node) -> Result<Side, EvalError> {
        let side = match operand {
            Operand::Array(array) if node.data_type == DataType::Timestamp => {
                let timestamps = downcast::<TimestampMicrosecondArray>(array, node)?;
                Side::Array(Arc::new(timestamps.reinterpret_cast::<Int64Type>()))
            }
            Operand::Array(array) => Side::Array(array.clone()),
            Operand::Scalar(Scalar::Timestamp(micros)) => {
                Side::Scalar(ArrowScalar::new(Arc::new(Int64Array::from(vec![*micros]))))
            }
            Operand::Scalar(scalar) => {
                Side::Scalar(ArrowScalar::new(scalar_array(scalar, &node.data_type, 1)))
            }
        };
        Ok(side)
    }

    fn datum(&self) -> &dyn Datum {
        match self {
            Side::Array(array) => array,
            Side::Scalar(scalar) => scalar,
        }
    }
}

fn compare_with_arrow(
    op: Comparison,
    left: &Operand<'_>,
    right: &Operand<'_>,
    lhs: &Node,
) -> Result<BooleanArray, EvalError> {
    let left = Side::new(left, lhs)?;
    let right = Side::new(right, lhs)?;
    let (l, r) = (left.datum(), right.datum());
    let result = match op {
        Comparison::Eq => cmp::eq(l, r)?,
        Comparison::NotEq => cmp::neq(l, r)?,
        Comparison::Lt => cmp::lt(l, r)?,
        Comparison::LtEq => cmp::lt_eq(l, r)?,
        Comparison::Gt => cmp::gt(l, r)?,
        Comparison::GtEq => cmp::gt_eq(l, r)?,
    };
    Ok(null_as_false(&result))
}

/// A double operand: its values and nulls, or a constant.
enum Doubles<'a> {
    Array(&'a [f64], Option<&'a NullBuffer>),
    Scalar(f64),
}

impl<'a> Doubles<'a> {
    fn new(operand: &'a Operand<'_>, node: &Node) -> Result<Doubles<'a>, EvalError> {
        match operand {
            Operand::Array(array) => {
                let doubles = downcast::<Float64Array>(array, node)?;
                Ok(Doubles::Array(doubles.values(), doubles.nulls()))
            }
            Operand::Scalar(Scalar::Double(value)) => Ok(Doubles::Scalar(*value)),
            Operand::Scalar(other) => Err(EvalError::InvalidPlan(format!(
                "a double comparison has the constant {other} of type {}",
                other.data_type()
            ))),
        }
    }

    fn nulls(&self) -> Option<&'a NullBuffer> {
        match self {
            Doubles::Array(_, nulls) => *nulls,
            Doubles::Scalar(_) => None,
        }
    }
}

fn compare_doubles(
    op: Comparison,
    left: &Operand<'_>,
    right: &Operand<'_>,
    lhs: &Node,
    len: usize,
) -> Result<BooleanArray, EvalError> {
    let left = Doubles::new(left, lhs)?;
    let right = Doubles::new(right, lhs)?;
    let bits = match op {
        Comparison::Eq => zip_doubles(&left, &right, len, |a, b| a == b),
        Comparison::NotEq => zip_doubles(&left, &right, len, |a, b| a != b),
        Comparison::Lt => zip_doubles(&left, &right, len, |a, b| a < b),
        Comparison::LtEq => zip_doubles(&left, &right, len, |a, b| a <= b),
        Comparison::Gt => zip_doubles(&left, &right, len, |a, b| a > b),
        Comparison::GtEq => zip_doubles(&left, &right, len, |a, b| a >= b),
    };
    let valid = NullBuffer::union(left.nulls(), right.nulls());
    Ok(mask(and_valid(bits, valid.as_ref())))
}

fn zip_doubles(
    left: &Doubles<'_>,
    right: &Doubles<'_>,
    len: usize,
    test: impl Fn(f64, f64) -> bool,
) -> BooleanBuffer {
    match (left, right) {
        (Doubles::Array(a, _), Doubles::Array(b, _)) => {
            BooleanBuffer::collect_bool(len, |i| test(a[i], b[i]))
        }
        (Doubles::Array(a, _), Doubles::Scalar(b)) => {
            BooleanBuffer::collect_bool(len, |i| test(a[i], *b))
        }
        (Doubles::Scalar(a), Doubles::Array(b, _)) => {
            BooleanBuffer::collect_bool(len, |i| test(*a, b[i]))
        }
        (Doubles::Scalar(a), Doubles::Scalar(b)) => {
            BooleanBuffer::collect_bool(len, |_| test(*a, *b))
        }
    }
}

/// Evaluates `value in [list]`, or `notIn` when `negated`; false where the value is null.
///
/// Doubles match by IEEE equality, so `-0.0` is in `[0.0]` and NaN is in no list.
pub(super) fn in_list(
    values: &ArrayRef,
    node: &Node,
    list: &[Scalar],
    negated: bool,
) -> Result<BooleanArray, EvalError> {
    let len = values.len();
    let (members, nulls) = match node.data_type {
        DataType::Int | DataType::Timestamp => {
            let (ints, nulls) = i64_parts(values, node)?;
            let constants = constants(list, |scalar| match scalar {
                Scalar::Int(value) | Scalar::Timestamp(value) => Some(*value),
                _ => None,
            })?;
            (member_bits(len, &constants, |i| ints[i]), nulls)
        }
        DataType::Double => {
            let doubles = downcast::<Float64Array>(values, node)?;
            let constants = constants(list, |scalar| match scalar {
                Scalar::Double(value) => Some(double_key(*value)),
                _ => None,
            })?;
            let values = doubles.values();
            (
                member_bits(len, &constants, |i| double_key(values[i])),
                doubles.nulls(),
            )
        }
        DataType::String => {
            let strings = downcast::<StringArray>(values, node)?;
            let constants = constants(list, |scalar| match scalar {
                Scalar::String(value) => Some(value.as_str()),
                _ => None,
            })?;
            (
                member_bits(len, &constants, |i| strings.value(i)),
                strings.nulls(),
            )
        }
        DataType::Bool => {
            let booleans = downcast::<BooleanArray>(values, node)?;
            let constants = constants(list, |scalar| match scalar {
                Scalar::Bool(value) => Some(*value),
                _ => None,
            })?;
            (
                member_bits(len, &constants, |i| booleans.value(i)),
                booleans.nulls(),
            )
        }
        _ => return Ok(constant_mask(false, len)),
    };
    let bits = if negated { !&members } else { members };
    Ok(mask(and_valid(bits, nulls)))
}

/// Maps a double to a hashable key under IEEE equality: `-0.0` and `0.0` share a key, and a
/// NaN value gets a NaN key that no finite constant has.
fn double_key(value: f64) -> u64 {
    (value + 0.0).to_bits()
}

fn constants<'a, T>(
    list: &'a [Scalar],
    convert: impl Fn(&'a Scalar) -> Option<T>,
) -> Result<Vec<T>, EvalError> {
    list.iter()
        .map(|scalar| {
            convert(scalar).ok_or_else(|| {
                EvalError::InvalidPlan(format!(
                    "the `in` list contains {scalar}, which does not have the value's type"
                ))
            })
        })
        .collect()
}

/// Sets the bit of each row whose key is among `constants`.
fn member_bits<T: Eq + std::hash::Hash + Copy>(
    len: usize,
    constants: &[T],
    key: impl Fn(usize) -> T,
) -> BooleanBuffer {
    if constants.len() < HASH_SET_MIN_LEN {
        return BooleanBuffer::collect_bool(len, |i| constants.contains(&key(i)));
    }
    let set: HashSet<T> = constants.iter().copied().collect();
    BooleanBuffer::collect_bool(len, |i| set.contains(&key(i)))
}
