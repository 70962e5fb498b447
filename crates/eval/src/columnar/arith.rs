//! Arithmetic kernels: `+ - * / %`, negation and the integer-to-double conversion. A result is
//! null when an operand is null, on division or remainder by zero, and on integer overflow.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanBufferBuilder, Float64Array, Int64Array, PrimitiveArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{ArrowPrimitiveType, Float64Type, Int64Type};
use seg_plan::{ArithmeticOp, DataType, Node, Scalar};

use super::EvalError;
use super::arrays::{Operand, downcast, new_null};

/// Computes `left op right` row by row for operands of the node's type, `Int` or `Double`.
///
/// `Int` results that overflow `i64` are null. `%` takes the sign of the dividend and, like
/// `i64::checked_rem`, treats `i64::MIN % -1` as an overflow. `Double` results follow
/// IEEE 754, except that a zero divisor (`/` or `%`) gives null instead of an infinity or NaN.
pub(super) fn arithmetic(
    op: ArithmeticOp,
    left: Operand<'_>,
    right: Operand<'_>,
    node: &Node,
    len: usize,
) -> Result<ArrayRef, EvalError> {
    if matches!(left, Operand::Scalar(Scalar::Null))
        || matches!(right, Operand::Scalar(Scalar::Null))
    {
        return Ok(new_null(&node.data_type, len));
    }
    match node.data_type {
        DataType::Int => {
            let left = Values::ints(&left, node)?;
            let right = Values::ints(&right, node)?;
            let result: Int64Array = match op {
                ArithmeticOp::Add => zip_checked(&left, &right, len, i64::checked_add),
                ArithmeticOp::Sub => zip_checked(&left, &right, len, i64::checked_sub),
                ArithmeticOp::Mul => zip_checked(&left, &right, len, i64::checked_mul),
                ArithmeticOp::Div => zip_checked(&left, &right, len, i64::checked_div),
                ArithmeticOp::Rem => zip_checked(&left, &right, len, i64::checked_rem),
            };
            Ok(Arc::new(result))
        }
        DataType::Double => {
            let left = Values::doubles(&left, node)?;
            let right = Values::doubles(&right, node)?;
            let result: Float64Array = match op {
                ArithmeticOp::Add => zip_checked(&left, &right, len, |a, b| Some(a + b)),
                ArithmeticOp::Sub => zip_checked(&left, &right, len, |a, b| Some(a - b)),
                ArithmeticOp::Mul => zip_checked(&left, &right, len, |a, b| Some(a * b)),
                ArithmeticOp::Div => {
                    zip_checked(&left, &right, len, |a, b| (b != 0.0).then(|| a / b))
                }
                ArithmeticOp::Rem => {
                    zip_checked(&left, &right, len, |a, b| (b != 0.0).then(|| a % b))
                }
            };
            Ok(Arc::new(result))
        }
        _ => Err(EvalError::InvalidPlan(format!(
            "arithmetic on a value of type {}",
            node.data_type
        ))),
    }
}

/// Negates numbers; `-i64::MIN` overflows and gives null.
pub(super) fn negate(values: &ArrayRef, node: &Node) -> Result<ArrayRef, EvalError> {
    match node.data_type {
        DataType::Int => {
            let ints = downcast::<Int64Array>(values, node)?;
            Ok(Arc::new(ints.unary_opt::<_, Int64Type>(i64::checked_neg)))
        }
        DataType::Double => {
            let doubles = downcast::<Float64Array>(values, node)?;
            Ok(Arc::new(doubles.unary::<_, Float64Type>(|value| -value)))
        }
        _ => Err(EvalError::InvalidPlan(format!(
            "negation of a value of type {}",
            node.data_type
        ))),
    }
}

/// Converts integers to the nearest double.
pub(super) fn to_double(values: &ArrayRef, node: &Node) -> Result<ArrayRef, EvalError> {
    let ints = downcast::<Int64Array>(values, node)?;
    Ok(Arc::new(ints.unary::<_, Float64Type>(|value| value as f64)))
}

/// A numeric operand: its values and nulls, or a constant.
enum Values<'a, T> {
    Array(&'a [T], Option<&'a NullBuffer>),
    Scalar(T),
}

impl<'a> Values<'a, i64> {
    fn ints(operand: &'a Operand<'_>, node: &Node) -> Result<Self, EvalError> {
        match operand {
            Operand::Array(array) => {
                let ints = downcast::<Int64Array>(array, node)?;
                Ok(Values::Array(ints.values(), ints.nulls()))
            }
            Operand::Scalar(Scalar::Int(value)) => Ok(Values::Scalar(*value)),
            Operand::Scalar(other) => Err(mismatched_constant(other, node)),
        }
    }
}

impl<'a> Values<'a, f64> {
    fn doubles(operand: &'a Operand<'_>, node: &Node) -> Result<Self, EvalError> {
        match operand {
            Operand::Array(array) => {
                let doubles = downcast::<Float64Array>(array, node)?;
                Ok(Values::Array(doubles.values(), doubles.nulls()))
            }
            Operand::Scalar(Scalar::Double(value)) => Ok(Values::Scalar(*value)),
            Operand::Scalar(other) => Err(mismatched_constant(other, node)),
        }
    }
}

impl<'a, T> Values<'a, T> {
    fn nulls(&self) -> Option<&'a NullBuffer> {
        match self {
            Values::Array(_, nulls) => *nulls,
            Values::Scalar(_) => None,
        }
    }
}

fn mismatched_constant(constant: &Scalar, node: &Node) -> EvalError {
    EvalError::InvalidPlan(format!(
        "arithmetic of type {} has the constant {constant}",
        node.data_type
    ))
}

/// Applies `op` to each pair of values; a row is null where an operand is null or `op`
/// returns `None`.
fn zip_checked<T: ArrowPrimitiveType>(
    left: &Values<'_, T::Native>,
    right: &Values<'_, T::Native>,
    len: usize,
    op: impl Fn(T::Native, T::Native) -> Option<T::Native>,
) -> PrimitiveArray<T> {
    let mut computed = BooleanBufferBuilder::new(len);
    let mut record = |result: Option<T::Native>| {
        computed.append(result.is_some());
        result.unwrap_or_default()
    };
    let values: Vec<T::Native> = match (left, right) {
        (Values::Array(a, _), Values::Array(b, _)) => {
            (0..len).map(|i| record(op(a[i], b[i]))).collect()
        }
        (Values::Array(a, _), Values::Scalar(b)) => {
            (0..len).map(|i| record(op(a[i], *b))).collect()
        }
        (Values::Scalar(a), Values::Array(b, _)) => {
            (0..len).map(|i| record(op(*a, b[i]))).collect()
        }
        (Values::Scalar(a), Values::Scalar(b)) => (0..len).map(|_| record(op(*a, *b))).collect(),
    };

    let computed = NullBuffer::new(computed.finish());
    let operands = NullBuffer::union(left.nulls(), right.nulls());
    let nulls = NullBuffer::union(operands.as_ref(), Some(&computed));
    PrimitiveArray::new(values.into(), nulls)
}
