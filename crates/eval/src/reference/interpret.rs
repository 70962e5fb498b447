//! Evaluation of plan nodes over one profile, one node at a time.
//!
//! The environment is the list of open scope rows: index 0 is the profile, and each list
//! aggregate or chain appends the element it is looking at. A `Column { scope, path }` node
//! reads `scopes[scope]` and walks `path` through struct fields.

use std::cmp::Ordering;

use seg_plan::time::{
    Interval, Ranges, between_ranges, date_parts, day_interval, direction_ranges, offset_ranges, on_ranges, resolve_word,
};
use seg_plan::{ArithmeticOp, Node, NodeKind, Scalar, StringOp, TimeCondition, TimeRef};
use seg_pql::ast::Comparison;

use super::error::ReferenceError;
use super::value::Value;
use super::{Segment, aggregate, chain};
use crate::EvalContext;

/// Evaluates the segments for one profile, in the given order, and returns whether the profile
/// qualifies for each.
///
/// The order must be a dependency order: an `inSegment` node reads the result of a segment
/// that comes earlier in `segments`. When two segments share an id, `inSegment` reads the
/// later of the two that precede it.
///
/// # Errors
///
/// Returns a [`ReferenceError`] when a plan does not fit the profile (a field it names is not
/// in the profile, a value has another kind than the plan's type) or when `inSegment` names a
/// segment that is not evaluated earlier.
pub fn evaluate_profile(
    segments: &[Segment<'_>],
    profile: &Value,
    context: &EvalContext,
) -> Result<Vec<bool>, ReferenceError> {
    let mut earlier: Vec<(&str, bool)> = Vec::with_capacity(segments.len());
    for segment in segments {
        let interpreter = Interpreter { context, earlier: &earlier };
        let qualifies = interpreter.predicate(&segment.plan.root, &[profile])?;
        earlier.push((segment.id, qualifies));
    }
    Ok(earlier.into_iter().map(|(_, qualifies)| qualifies).collect())
}

/// The state shared by every node of one segment's evaluation.
pub(super) struct Interpreter<'a> {
    /// The evaluation time.
    context: &'a EvalContext,
    /// Ids and results of the segments evaluated before this one, in evaluation order.
    earlier: &'a [(&'a str, bool)],
}

impl Interpreter<'_> {
    /// Evaluates a node that must yield a boolean; null counts as false.
    pub(super) fn predicate(&self, node: &Node, scopes: &[&Value]) -> Result<bool, ReferenceError> {
        match self.value(node, scopes)? {
            Value::Bool(holds) => Ok(holds),
            Value::Null => Ok(false),
            other => Err(ReferenceError::mismatch("predicate", "boolean", &other)),
        }
    }

    /// Evaluates any node to its value.
    pub(super) fn value(&self, node: &Node, scopes: &[&Value]) -> Result<Value, ReferenceError> {
        let value = match &node.kind {
            NodeKind::Literal(scalar) => Value::from_scalar(scalar),
            NodeKind::Column { scope, path } => read_column(scopes, *scope, path)?,
            NodeKind::Not(operand) => Value::Bool(!self.predicate(operand, scopes)?),
            NodeKind::And(operands) => Value::Bool(self.predicates(operands, scopes)?.iter().all(|&holds| holds)),
            NodeKind::Or(operands) => Value::Bool(self.predicates(operands, scopes)?.iter().any(|&holds| holds)),
            NodeKind::Compare { op, lhs, rhs } => {
                Value::Bool(compare(*op, &self.value(lhs, scopes)?, &self.value(rhs, scopes)?)?)
            }
            NodeKind::InList { value, list, negated } => {
                Value::Bool(in_list(&self.value(value, scopes)?, list, *negated)?)
            }
            NodeKind::Arithmetic { op, lhs, rhs } => {
                arithmetic(*op, &self.value(lhs, scopes)?, &self.value(rhs, scopes)?)?
            }
            NodeKind::Negate(operand) => negate(&self.value(operand, scopes)?)?,
            NodeKind::ToDouble(operand) => to_double(&self.value(operand, scopes)?)?,
            NodeKind::IsNull { value, negated } => Value::Bool(self.value(value, scopes)?.is_null() != *negated),
            NodeKind::Truthy(operand) => Value::Bool(truthy(&self.value(operand, scopes)?)),
            NodeKind::StringTest { op, value, patterns, case_sensitive, negated } => {
                let text = self.value(value, scopes)?;
                Value::Bool(string_test(*op, &text, patterns, *case_sensitive, *negated)?)
            }
            NodeKind::Regex { value, regex, .. } => match self.value(value, scopes)? {
                Value::String(text) => Value::Bool(regex.is_match(&text)),
                Value::Null => Value::Bool(false),
                other => return Err(ReferenceError::mismatch("regex test", "string", &other)),
            },
            NodeKind::Occurs { subject, condition } => Value::Bool(self.occurs(subject, condition, scopes)?),
            NodeKind::ListAggregate { list, filters, function } => {
                aggregate::evaluate(self, list, filters, function, scopes)?
            }
            NodeKind::Chain(plan) => Value::Bool(chain::evaluate(self, plan, scopes)?),
            NodeKind::InSegment(id) => Value::Bool(self.in_segment(id)?),
            _ => match self.computed(node, scopes)? {
                Some(value) => value,
                None => return Err(ReferenceError::TypeMismatch {
                    operation: "evaluation",
                    expected: "a node kind the interpreter knows",
                    found: format!("{:?}", node.kind),
                }),
            },
        };
        Ok(value)
    }

    /// Evaluates every operand, so that a plan error in a later operand is not hidden by an
    /// earlier false or true.
    fn predicates(&self, operands: &[Node], scopes: &[&Value]) -> Result<Vec<bool>, ReferenceError> {
        operands.iter().map(|operand| self.predicate(operand, scopes)).collect()
    }

    fn occurs(&self, subject: &Node, condition: &TimeCondition, scopes: &[&Value]) -> Result<bool, ReferenceError> {
        let instant = match self.value(subject, scopes)? {
            Value::Timestamp(micros) => micros,
            Value::Null => return Ok(false),
            other => return Err(ReferenceError::mismatch("occurs", "timestamp", &other)),
        };
        let ranges = self.ranges(condition, scopes)?;
        Ok(ranges.is_some_and(|ranges| ranges.contains(instant)))
    }

    /// Computes the instants an `occurs` condition accepts, or `None` when a reference has no
    /// interval: a null instant, an invalid date, or a word outside the calendar range.
    fn ranges(&self, condition: &TimeCondition, scopes: &[&Value]) -> Result<Option<Ranges>, ReferenceError> {
        let ranges = match condition {
            TimeCondition::Offset { cmp, amount, unit, direction, reference } => self
                .interval(reference, scopes)?
                .map(|interval| offset_ranges(*cmp, *amount, *unit, *direction, interval)),
            TimeCondition::Direction { direction, reference } => {
                self.interval(reference, scopes)?.map(|interval| direction_ranges(*direction, interval))
            }
            TimeCondition::On(reference) => self.interval(reference, scopes)?.map(on_ranges),
            TimeCondition::Between(first, last) => {
                let first = self.interval(first, scopes)?;
                let last = self.interval(last, scopes)?;
                first.zip(last).map(|(first, last)| between_ranges(first, last))
            }
        };
        Ok(ranges)
    }

    fn interval(&self, reference: &TimeRef, scopes: &[&Value]) -> Result<Option<Interval>, ReferenceError> {
        match reference {
            TimeRef::Word(word) => Ok(resolve_word(*word, self.context.now)),
            TimeRef::Day { year, month, day } => Ok(day_interval((*year).into(), (*month).into(), (*day).into())),
            TimeRef::DayOf(node) => match self.value(node, scopes)? {
                Value::Timestamp(micros) => Ok(date_parts(micros).and_then(|(y, m, d)| day_interval(y, m, d))),
                Value::Null => Ok(None),
                other => Err(ReferenceError::mismatch("occurs reference", "timestamp", &other)),
            },
            TimeRef::Instant(node) => match self.value(node, scopes)? {
                Value::Timestamp(micros) => Ok(Some(Interval::instant(micros))),
                Value::Null => Ok(None),
                other => Err(ReferenceError::mismatch("occurs reference", "timestamp", &other)),
            },
        }
    }

    /// Returns the evaluation time in microseconds since the Unix epoch, UTC.
    pub(super) fn now(&self) -> i64 {
        self.context.now
    }

    fn in_segment(&self, id: &str) -> Result<bool, ReferenceError> {
        let earlier = self.earlier.iter().rev().find(|(earlier_id, _)| *earlier_id == id);
        earlier.map(|(_, qualifies)| *qualifies).ok_or_else(|| ReferenceError::UnknownSegment(id.to_string()))
    }
}

/// Returns the scopes of a list element: the enclosing scopes followed by the element.
pub(super) fn child_scopes<'v>(scopes: &[&'v Value], element: &'v Value) -> Vec<&'v Value> {
    let mut child = scopes.to_vec();
    child.push(element);
    child
}

fn read_column(scopes: &[&Value], scope: usize, path: &[String]) -> Result<Value, ReferenceError> {
    let row = scopes.get(scope).ok_or(ReferenceError::ScopeNotOpen { scope, open: scopes.len() })?;
    Ok(walk_path(row, path)?.clone())
}

/// Follows struct field names from `row`; a null struct along the way gives null.
///
/// # Errors
///
/// Returns [`ReferenceError::FieldNotFound`] for a name the struct does not have, and a type
/// mismatch when the path continues below a value that is not a struct.
pub(super) fn walk_path<'v>(row: &'v Value, path: &[String]) -> Result<&'v Value, ReferenceError> {
    let mut current = row;
    for name in path {
        current = match current {
            Value::Null => return Ok(&Value::Null),
            Value::Struct(fields) => match fields.iter().find(|(field, _)| field == name) {
                Some((_, value)) => value,
                None => {
                    let available = fields.iter().map(|(field, _)| field.clone()).collect();
                    return Err(ReferenceError::FieldNotFound { field: name.clone(), available });
                }
            },
            other => return Err(ReferenceError::mismatch("field access", "struct", other)),
        };
    }
    Ok(current)
}

/// Orders two non-null values of one scalar kind: integers, timestamps and booleans
/// numerically (false before true), strings by bytes, doubles by IEEE 754 (`None` when either
/// is NaN).
pub(super) fn order(lhs: &Value, rhs: &Value) -> Result<Option<Ordering>, ReferenceError> {
    let ordering = match (lhs, rhs) {
        (Value::Int(a), Value::Int(b)) => a.cmp(b),
        (Value::Timestamp(a), Value::Timestamp(b)) => a.cmp(b),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        (Value::String(a), Value::String(b)) => a.as_bytes().cmp(b.as_bytes()),
        (Value::Double(a), Value::Double(b)) => return Ok(a.partial_cmp(b)),
        _ => {
            let found = format!("{} and {}", lhs.kind_name(), rhs.kind_name());
            let expected = "two values of one scalar kind";
            return Err(ReferenceError::TypeMismatch { operation: "comparison", expected, found });
        }
    };
    Ok(Some(ordering))
}

/// Returns whether `=` holds between two values.
pub(super) fn compare_equal(lhs: &Value, rhs: &Value) -> Result<bool, ReferenceError> {
    compare(Comparison::Eq, lhs, rhs)
}

/// Applies a comparison, which is false when either side is null. Doubles follow IEEE 754, so
/// `-0.0 = 0.0` is true and every comparison with NaN is false except `!=`.
fn compare(op: Comparison, lhs: &Value, rhs: &Value) -> Result<bool, ReferenceError> {
    if lhs.is_null() || rhs.is_null() {
        return Ok(false);
    }
    let holds = match order(lhs, rhs)? {
        None => op == Comparison::NotEq,
        Some(ordering) => match op {
            Comparison::Eq => ordering == Ordering::Equal,
            Comparison::NotEq => ordering != Ordering::Equal,
            Comparison::Lt => ordering == Ordering::Less,
            Comparison::LtEq => ordering != Ordering::Greater,
            Comparison::Gt => ordering == Ordering::Greater,
            Comparison::GtEq => ordering != Ordering::Less,
        },
    };
    Ok(holds)
}

fn in_list(value: &Value, list: &[Scalar], negated: bool) -> Result<bool, ReferenceError> {
    if value.is_null() {
        return Ok(false);
    }
    let mut found = false;
    for constant in list {
        if compare(Comparison::Eq, value, &Value::from_scalar(constant))? {
            found = true;
        }
    }
    Ok(found != negated)
}

/// Applies an arithmetic operator: integers with overflow checks, doubles with IEEE 754 except
/// that a zero divisor gives null for `/` and `%`.
fn arithmetic(op: ArithmeticOp, lhs: &Value, rhs: &Value) -> Result<Value, ReferenceError> {
    match (lhs, rhs) {
        (Value::Null, _) | (_, Value::Null) => Ok(Value::Null),
        (Value::Int(a), Value::Int(b)) => {
            // `checked_div` and `checked_rem` return `None` for a zero divisor and for
            // `i64::MIN` by -1, the one quotient that overflows.
            let result = match op {
                ArithmeticOp::Add => a.checked_add(*b),
                ArithmeticOp::Sub => a.checked_sub(*b),
                ArithmeticOp::Mul => a.checked_mul(*b),
                ArithmeticOp::Div => a.checked_div(*b),
                ArithmeticOp::Rem => a.checked_rem(*b),
            };
            Ok(result.map_or(Value::Null, Value::Int))
        }
        (Value::Double(a), Value::Double(b)) => {
            let result = match op {
                ArithmeticOp::Add => a + b,
                ArithmeticOp::Sub => a - b,
                ArithmeticOp::Mul => a * b,
                ArithmeticOp::Div | ArithmeticOp::Rem if *b == 0.0 => return Ok(Value::Null),
                ArithmeticOp::Div => a / b,
                ArithmeticOp::Rem => a % b,
            };
            Ok(Value::Double(result))
        }
        _ => {
            let found = format!("{} and {}", lhs.kind_name(), rhs.kind_name());
            Err(ReferenceError::TypeMismatch {
                operation: "arithmetic",
                expected: "two integers or two doubles",
                found,
            })
        }
    }
}

fn negate(value: &Value) -> Result<Value, ReferenceError> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::Int(a) => Ok(a.checked_neg().map_or(Value::Null, Value::Int)),
        Value::Double(a) => Ok(Value::Double(-a)),
        other => Err(ReferenceError::mismatch("negation", "integer or double", other)),
    }
}

fn to_double(value: &Value) -> Result<Value, ReferenceError> {
    match value {
        Value::Null => Ok(Value::Null),
        // NOTE: integers beyond 2^53 round to the nearest double, as Rust's `as` does.
        Value::Int(a) => Ok(Value::Double(*a as f64)),
        other => Err(ReferenceError::mismatch("conversion to double", "integer", other)),
    }
}

/// Converts a value at a boolean position: a boolean is itself, a list is true when non-empty, and any
/// other value is true when not null.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(holds) => *holds,
        Value::List(elements) => !elements.is_empty(),
        _ => true,
    }
}

fn string_test(
    op: StringOp,
    value: &Value,
    patterns: &[String],
    case_sensitive: bool,
    negated: bool,
) -> Result<bool, ReferenceError> {
    let text = match value {
        Value::String(text) => text,
        Value::Null => return Ok(false),
        other => return Err(ReferenceError::mismatch("string test", "string", other)),
    };
    let fold = |s: &str| if case_sensitive { s.to_string() } else { s.to_lowercase() };
    let text = fold(text);

    let mut any_holds = false;
    for pattern in patterns {
        let pattern = fold(pattern);
        let holds = match op {
            StringOp::Equals => text == pattern,
            StringOp::Contains => text.contains(&pattern),
            StringOp::StartsWith => text.starts_with(&pattern),
            StringOp::EndsWith => text.ends_with(&pattern),
        };
        any_holds |= holds;
    }
    Ok(any_holds != negated)
}
