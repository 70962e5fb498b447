//! Implicit conversions: integers to doubles, and string literals to the type they are
//! compared with (`"true"` for a boolean field, `"2024-01-31T00:00:00Z"` for a timestamp).

use seg_pql::{Diagnostic, Span};

use super::{codes, type_mismatch};
use crate::plan::{Node, NodeKind};
use crate::types::{DataType, Scalar};

/// Converts an integer node to a double node; leaves doubles unchanged.
pub(crate) fn to_double(node: Node) -> Node {
    if node.data_type != DataType::Int {
        return node;
    }
    let span = node.span;
    if let NodeKind::Literal(Scalar::Int(value)) = node.kind {
        return Node { kind: NodeKind::Literal(Scalar::Double(value as f64)), data_type: DataType::Double, span };
    }
    Node { kind: NodeKind::ToDouble(Box::new(node)), data_type: DataType::Double, span }
}

/// Brings two operands of a comparison to one comparable type.
///
/// # Errors
///
/// Returns a type mismatch when the types differ and no literal can be converted.
pub(crate) fn unify(lhs: Node, rhs: Node, operator: &str) -> Result<(Node, Node), Diagnostic> {
    if lhs.data_type == rhs.data_type {
        return Ok((lhs, rhs));
    }
    if lhs.data_type.is_numeric() && rhs.data_type.is_numeric() {
        return Ok((to_double(lhs), to_double(rhs)));
    }
    if let Some(converted) = convert_literal(&rhs, &lhs.data_type)? {
        return Ok((lhs, converted));
    }
    if let Some(converted) = convert_literal(&lhs, &rhs.data_type)? {
        return Ok((converted, rhs));
    }
    Err(Diagnostic::new(
        codes::TYPE_MISMATCH,
        format!("cannot compare {} with {} using `{operator}`", lhs.data_type, rhs.data_type),
        lhs.span.to(rhs.span),
    )
    .with_help("compare values of one type; string literals convert to the other side's type when they can"))
}

/// Converts a literal to `target`, or returns `None` when `node` is not a literal that a
/// comparison may convert.
///
/// # Errors
///
/// Returns a diagnostic naming the literal when it is a string that does not read as `target`.
pub(crate) fn convert_literal(node: &Node, target: &DataType) -> Result<Option<Node>, Diagnostic> {
    let NodeKind::Literal(scalar) = &node.kind else {
        return Ok(None);
    };
    let converted = match (scalar, target) {
        (Scalar::Int(value), DataType::Double) => Scalar::Double(*value as f64),
        (Scalar::String(text), DataType::Bool | DataType::Int | DataType::Double | DataType::Timestamp) => {
            parse_string(text, target, node.span)?
        }
        _ => return Ok(None),
    };
    Ok(Some(Node { data_type: target.clone(), kind: NodeKind::Literal(converted), span: node.span }))
}

/// Converts a constant to `target` for `in` lists.
///
/// # Errors
///
/// Returns a type mismatch naming the element when it cannot be converted.
pub(crate) fn scalar_to(scalar: Scalar, target: &DataType, span: Span) -> Result<Scalar, Diagnostic> {
    if scalar.data_type() == *target {
        return Ok(scalar);
    }
    match (&scalar, target) {
        (Scalar::Int(value), DataType::Double) => Ok(Scalar::Double(*value as f64)),
        (Scalar::String(text), DataType::Bool | DataType::Int | DataType::Double | DataType::Timestamp) => {
            parse_string(text, target, span)
        }
        _ => Err(type_mismatch(&format!("a value of type {target}"), &scalar.data_type(), span)),
    }
}

fn parse_string(text: &str, target: &DataType, span: Span) -> Result<Scalar, Diagnostic> {
    let parsed = match target {
        DataType::Bool => match text {
            "true" => Some(Scalar::Bool(true)),
            "false" => Some(Scalar::Bool(false)),
            _ => None,
        },
        DataType::Int => text.trim().parse().ok().map(Scalar::Int),
        DataType::Double => text.trim().parse::<f64>().ok().filter(|v| v.is_finite()).map(Scalar::Double),
        DataType::Timestamp => text
            .parse::<jiff::Timestamp>()
            .ok()
            .and_then(|t| i64::try_from(t.as_microsecond()).ok())
            .map(Scalar::Timestamp),
        _ => None,
    };
    parsed.ok_or_else(|| {
        let example = match target {
            DataType::Bool => "`true` or `false`",
            DataType::Timestamp => "an RFC 3339 time such as \"2024-01-31T00:00:00Z\"",
            _ => "a number",
        };
        Diagnostic::new(codes::TYPE_MISMATCH, format!("the string {text:?} is not a valid {target}"), span)
            .with_help(format!("write {example}"))
    })
}
