//! List aggregates: filtering a list's elements and computing exists, forall, count, sum,
//! average, min, max, distinct count or head over the rest.

use std::cmp::Ordering;

use seg_plan::{DataType, ListFunction, Node};

use super::error::ReferenceError;
use super::interpret::{Interpreter, child_scopes, order};
use super::value::Value;

/// Evaluates a `ListAggregate` node: `list` in the current scopes, `filters` and the function's
/// expression once per element in the child scope.
pub(super) fn evaluate(
    interpreter: &Interpreter<'_>,
    list: &Node,
    filters: &[Node],
    function: &ListFunction,
    scopes: &[&Value],
) -> Result<Value, ReferenceError> {
    let list = interpreter.value(list, scopes)?;
    let elements = list_elements(&list)?;

    let mut kept = Vec::new();
    for element in elements {
        let child = child_scopes(scopes, element);
        let mut passes = true;
        for filter in filters {
            passes &= interpreter.predicate(filter, &child)?;
        }
        if passes {
            kept.push(child);
        }
    }

    match function {
        ListFunction::Exists => Ok(Value::Bool(!kept.is_empty())),
        ListFunction::Count => Ok(Value::Int(i64::try_from(kept.len()).unwrap_or(i64::MAX))),
        ListFunction::Forall(condition) => {
            let mut all_hold = true;
            for child in &kept {
                all_hold &= interpreter.predicate(condition, child)?;
            }
            Ok(Value::Bool(all_hold))
        }
        ListFunction::Sum(expression) => sum(&non_null_values(interpreter, expression, &kept)?, &expression.data_type),
        ListFunction::Average(expression) => average(&non_null_values(interpreter, expression, &kept)?),
        ListFunction::Min(expression) => extreme(&non_null_values(interpreter, expression, &kept)?, Ordering::Less),
        ListFunction::Max(expression) => extreme(&non_null_values(interpreter, expression, &kept)?, Ordering::Greater),
        ListFunction::CountDistinct(expression) => {
            let mut distinct: Vec<Value> = Vec::new();
            for value in non_null_values(interpreter, expression, &kept)? {
                if !distinct.contains(&value) {
                    distinct.push(value);
                }
            }
            Ok(Value::Int(i64::try_from(distinct.len()).unwrap_or(i64::MAX)))
        }
        ListFunction::First(expression) => match kept.first() {
            Some(child) => interpreter.value(expression, child),
            None => Ok(Value::Null),
        },
    }
}

/// Returns the elements of a list value; a null list has none.
pub(super) fn list_elements(list: &Value) -> Result<&[Value], ReferenceError> {
    match list {
        Value::List(elements) => Ok(elements),
        Value::Null => Ok(&[]),
        other => Err(ReferenceError::mismatch("list aggregate", "list", other)),
    }
}

fn non_null_values(
    interpreter: &Interpreter<'_>,
    expression: &Node,
    element_scopes: &[Vec<&Value>],
) -> Result<Vec<Value>, ReferenceError> {
    let mut values = Vec::new();
    for child in element_scopes {
        let value = interpreter.value(expression, child)?;
        if !value.is_null() {
            values.push(value);
        }
    }
    Ok(values)
}

/// Adds the values: integers exactly, giving null when the total does not fit in `i64`
/// (whatever the partial sums do), doubles in list order. No values give a zero of
/// `data_type`.
fn sum(values: &[Value], data_type: &DataType) -> Result<Value, ReferenceError> {
    match data_type {
        DataType::Int => {
            let total = integer_total(values)?;
            Ok(i64::try_from(total).map_or(Value::Null, Value::Int))
        }
        DataType::Double => Ok(Value::Double(double_total(values)?)),
        other => Err(ReferenceError::TypeMismatch {
            operation: "sum",
            expected: "integer or double expression",
            found: other.to_string(),
        }),
    }
}

/// Returns the mean as a double, or null without values. Integers are added exactly before
/// the one division.
fn average(values: &[Value]) -> Result<Value, ReferenceError> {
    let Some(first) = values.first() else {
        return Ok(Value::Null);
    };
    let count = values.len() as f64;
    let total = match first {
        // NOTE: the exact total rounds to the nearest double only here.
        Value::Int(_) => integer_total(values)? as f64,
        _ => double_total(values)?,
    };
    Ok(Value::Double(total / count))
}

/// Adds integers in `i128`, which cannot overflow for fewer than 2^64 values.
fn integer_total(values: &[Value]) -> Result<i128, ReferenceError> {
    let mut total: i128 = 0;
    for value in values {
        match value {
            Value::Int(a) => total += i128::from(*a),
            other => return Err(ReferenceError::mismatch("sum", "integer", other)),
        }
    }
    Ok(total)
}

fn double_total(values: &[Value]) -> Result<f64, ReferenceError> {
    let mut total = 0.0;
    for value in values {
        match value {
            Value::Double(a) => total += a,
            other => return Err(ReferenceError::mismatch("sum", "double", other)),
        }
    }
    Ok(total)
}

/// Returns the first value that no later value beats in direction `preferred` (`Less` for min,
/// `Greater` for max), or null without values. Values that do not compare with the current
/// best (NaN) are skipped unless they come first.
fn extreme(values: &[Value], preferred: Ordering) -> Result<Value, ReferenceError> {
    let Some(mut best) = values.first() else {
        return Ok(Value::Null);
    };
    for candidate in &values[1..] {
        if order(candidate, best)? == Some(preferred) {
            best = candidate;
        }
    }
    Ok(best.clone())
}
