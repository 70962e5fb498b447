//! Binding of comparisons, membership, patterns and `occurs`.

use regex::Regex;
use seg_pql::ast::{BinaryOp, Comparison, Direction, Expr, ExprKind, Literal, OccursTail, UnaryOp};
use seg_pql::{Diagnostic, Span};

use super::{Binder, codes, coerce, type_mismatch};
use crate::plan::{Node, NodeKind, TimeCondition, TimeRef};
use crate::time::day_interval;
use crate::types::{DataType, Scalar};

/// Comparable operand types; lists, objects and maps compare only in later versions.
pub(super) fn is_comparable(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Bool | DataType::Int | DataType::Double | DataType::String | DataType::Timestamp)
}

impl Binder {
    pub(super) fn bind_compare(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> Result<Node, Diagnostic> {
        let comparison = match op {
            BinaryOp::Eq => Comparison::Eq,
            BinaryOp::NotEq => Comparison::NotEq,
            BinaryOp::Lt => Comparison::Lt,
            BinaryOp::LtEq => Comparison::LtEq,
            BinaryOp::Gt => Comparison::Gt,
            _ => Comparison::GtEq,
        };
        if matches!(lhs.kind, ExprKind::Array(_)) || matches!(rhs.kind, ExprKind::Array(_)) {
            return self.bind_list_equality(comparison, lhs, rhs, span);
        }
        self.bind_any_element(lhs, span, &mut |binder, lhs| {
            binder.bind_any_element(rhs, span, &mut |_, rhs| compare_nodes(comparison, lhs.clone(), rhs, span))
        })
    }

    /// Binds `list = [..]` or `list != [..]`: whole-list equality, in order.
    fn bind_list_equality(&mut self, comparison: Comparison, lhs: &Expr, rhs: &Expr, span: Span) -> Result<Node, Diagnostic> {
        let negated = match comparison {
            Comparison::Eq => false,
            Comparison::NotEq => true,
            _ => {
                return Err(Diagnostic::new(codes::TYPE_MISMATCH, format!("arrays compare only with `=` and `!=`, not `{}`", comparison.symbol()), span)
                    .with_help("compare the elements instead, e.g. `list.max() > 3`"));
            }
        };
        let lhs = self.bind_scalar_list(lhs, comparison.symbol())?;
        let rhs = self.bind_scalar_list(rhs, comparison.symbol())?;
        let Some(common) = super::values::common_type(&lhs.data_type, &rhs.data_type) else {
            return Err(Diagnostic::new(
                codes::TYPE_MISMATCH,
                format!("cannot compare {} with {} using `{}`", lhs.data_type, rhs.data_type, comparison.symbol()),
                lhs.span.to(rhs.span),
            )
            .with_help("compare arrays whose elements have one type"));
        };
        let lhs = super::values::convert_to(lhs, &common);
        let rhs = super::values::convert_to(rhs, &common);
        let kind = NodeKind::ListEquals { lhs: Box::new(lhs), rhs: Box::new(rhs), negated };
        Ok(Node { kind, data_type: DataType::Bool, span })
    }

    pub(super) fn bind_in(&mut self, negated: bool, value: &Expr, list: &Expr, span: Span) -> Result<Node, Diagnostic> {
        let constants = match &list.kind {
            ExprKind::Array(elements) => elements.iter().all(|element| constant(element).is_some()),
            _ => false,
        };
        if !constants {
            return self.bind_in_array(negated, value, list, span);
        }
        self.bind_any_element(value, span, &mut |_, value| in_list_node(negated, value, list, span))
    }

    pub(super) fn bind_pattern(&mut self, op: BinaryOp, value: &Expr, pattern: &Expr, span: Span) -> Result<Node, Diagnostic> {
        self.bind_any_element(value, span, &mut |_, value| pattern_node(op, value, pattern, span))
    }

    pub(super) fn bind_occurs(&mut self, subject: &Expr, tail: &OccursTail, span: Span) -> Result<Node, Diagnostic> {
        self.bind_any_element(subject, span, &mut |binder, subject| binder.occurs_node(subject, tail, span))
    }

    fn occurs_node(&mut self, subject: Node, tail: &OccursTail, span: Span) -> Result<Node, Diagnostic> {
        if subject.data_type != DataType::Timestamp {
            return Err(type_mismatch("a timestamp", &subject.data_type, subject.span)
                .with_help("`occurs` tests timestamp fields such as `timestamp` or `person.birthDate`"));
        }
        let condition = self.bind_time_condition(tail)?;
        Ok(Node { kind: NodeKind::Occurs { subject: Box::new(subject), condition }, data_type: DataType::Bool, span })
    }

    pub(super) fn bind_time_condition(&mut self, tail: &OccursTail) -> Result<TimeCondition, Diagnostic> {
        let condition = match tail {
            OccursTail::Offset { cmp, amount, unit, direction, reference } => TimeCondition::Offset {
                cmp: *cmp,
                amount: *amount,
                unit: *unit,
                direction: *direction,
                reference: self.bind_time_ref(reference)?,
            },
            OccursTail::Direction { direction: Direction::From, reference } => {
                return Err(Diagnostic::new(codes::TYPE_MISMATCH, "`occurs from` needs a distance", reference.span)
                    .with_help("write a window such as `occurs <= 3 days from date(2024, 5, 1)`"));
            }
            OccursTail::Direction { direction, reference } => {
                TimeCondition::Direction { direction: *direction, reference: self.bind_time_ref(reference)? }
            }
            OccursTail::On { reference } => TimeCondition::On(self.bind_time_ref(reference)?),
            OccursTail::Between { start, end } => {
                TimeCondition::Between(self.bind_time_ref(start)?, self.bind_time_ref(end)?)
            }
        };
        Ok(condition)
    }

    fn bind_time_ref(&mut self, reference: &Expr) -> Result<TimeRef, Diagnostic> {
        match &reference.kind {
            ExprKind::Time(word) => Ok(TimeRef::Word(*word)),
            ExprKind::Call { name, args } if name.text == "date" => {
                if args.iter().all(|arg| matches!(constant(arg), Some(Scalar::Int(_)))) {
                    return bind_date(args, reference.span);
                }
                let day = self.bind_date_value(args, reference.span)?;
                Ok(TimeRef::DayOf(Box::new(day)))
            }
            _ => {
                let node = self.bind_expr(reference)?;
                if node.data_type != DataType::Timestamp {
                    return Err(type_mismatch("a time reference or a timestamp", &node.data_type, node.span)
                        .with_help("use `now`, `today`, `last month`, `date(2024, 1, 31)` or a timestamp field"));
                }
                Ok(TimeRef::Instant(Box::new(node)))
            }
        }
    }
}

fn bind_date(args: &[Expr], span: Span) -> Result<TimeRef, Diagnostic> {
    let [year, month, day] = args else {
        return Err(super::argument_count("date", 3, args.len(), span));
    };
    let mut parts = [0i64; 3];
    for (part, arg) in parts.iter_mut().zip([year, month, day]) {
        match constant(arg) {
            Some(Scalar::Int(value)) => *part = value,
            _ => return Err(Diagnostic::new(codes::TYPE_MISMATCH, "expected an integer argument", arg.span)
                .with_help("`date` takes a year, a month and a day as integers, e.g. `date(2024, 1, 31)`")),
        }
    }
    let [y, m, d] = parts;
    if day_interval(y, m, d).is_none() {
        return Err(Diagnostic::new(codes::INVALID_DATE, format!("date({y}, {m}, {d}) is not a calendar day"), span)
            .with_help("write a year from -9999 to 9999, a month from 1 to 12 and a day that exists in that month"));
    }
    // The checks above guarantee that the parts fit.
    Ok(TimeRef::Day { year: y as i16, month: m as i8, day: d as i8 })
}

/// Returns the value of a literal, or of a negated numeric literal.
pub(super) fn constant(expr: &Expr) -> Option<Scalar> {
    match &expr.kind {
        ExprKind::Literal(Literal::String(value)) => Some(Scalar::String(value.clone())),
        ExprKind::Literal(Literal::Int(value)) => Some(Scalar::Int(*value)),
        ExprKind::Literal(Literal::Double(value)) => Some(Scalar::Double(*value)),
        ExprKind::Literal(Literal::Bool(value)) => Some(Scalar::Bool(*value)),
        ExprKind::Unary { op: UnaryOp::Neg, operand } => match constant(operand)? {
            Scalar::Int(value) => value.checked_neg().map(Scalar::Int),
            Scalar::Double(value) => Some(Scalar::Double(-value)),
            _ => None,
        },
        _ => None,
    }
}

/// Translates a `like` pattern (`%` any run, `_` one character) to an anchored regex.
///
/// # Errors
///
/// Returns a diagnostic when the translated pattern exceeds the regex size limit.
pub(super) fn like_regex(pattern: &str, span: Span) -> Result<Regex, Diagnostic> {
    let mut translated = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '%' => translated.push_str(".*"),
            '_' => translated.push('.'),
            other => translated.push_str(&regex::escape(&other.to_string())),
        }
    }
    translated.push('$');
    compile_regex(&translated, span)
}

/// Maximum size in bytes of a compiled regular expression. Bounded repetitions such as
/// `a{1000000}` expand to copies of their body, so without a limit they could use gigabytes.
const REGEX_SIZE_LIMIT: usize = 10 << 20;

/// Compiles a `matches` pattern with find semantics.
pub(super) fn compile_regex(source: &str, span: Span) -> Result<Regex, Diagnostic> {
    regex::RegexBuilder::new(source).size_limit(REGEX_SIZE_LIMIT).build().map_err(|error| {
        let detail = error.to_string().lines().last().unwrap_or("").trim().to_string();
        let help = if matches!(error, regex::Error::CompiledTooBig(_)) {
            "the compiled pattern must fit in 10 MiB, so use a smaller repetition count such as `a{1000}`, \
             or a simpler pattern"
        } else {
            "the pattern syntax is that of the Rust regex crate; look-around and back-references are not available"
        };
        Diagnostic::new(codes::INVALID_PATTERN, format!("invalid regular expression {source:?}: {detail}"), span)
            .with_help(help)
    })
}

pub(super) fn regex_node(value: Node, regex: Regex, source: String, span: Span) -> Node {
    Node { kind: NodeKind::Regex { value: Box::new(value), regex, source }, data_type: DataType::Bool, span }
}

/// Builds a comparison of two scalar values, unifying their types.
pub(super) fn compare_nodes(comparison: Comparison, lhs: Node, rhs: Node, span: Span) -> Result<Node, Diagnostic> {
    for side in [&lhs, &rhs] {
        if !is_comparable(&side.data_type) && side.data_type != DataType::Null {
            return Err(type_mismatch("a boolean, number, string or timestamp", &side.data_type, side.span));
        }
    }
    let (lhs, rhs) = coerce::unify(lhs, rhs, comparison.symbol())?;
    let ordered = matches!(comparison, Comparison::Lt | Comparison::LtEq | Comparison::Gt | Comparison::GtEq);
    if ordered && lhs.data_type == DataType::Bool {
        return Err(type_mismatch("a number, string or timestamp", &lhs.data_type, lhs.span)
            .with_help("booleans compare only with `=` and `!=`"));
    }
    Ok(Node {
        kind: NodeKind::Compare { op: comparison, lhs: Box::new(lhs), rhs: Box::new(rhs) },
        data_type: DataType::Bool,
        span,
    })
}

/// Builds `value in [list]` for a scalar value and an array literal of constants.
pub(super) fn in_list_node(negated: bool, value: Node, list: &Expr, span: Span) -> Result<Node, Diagnostic> {
    if !is_comparable(&value.data_type) {
        return Err(type_mismatch("a boolean, number, string or timestamp", &value.data_type, value.span));
    }
    let elements = match &list.kind {
        ExprKind::Array(elements) => elements,
        _ => return Err(Diagnostic::new(codes::NOT_CONSTANT, "expected an array literal of constants", list.span)),
    };
    let mut scalars = Vec::with_capacity(elements.len());
    for element in elements {
        let scalar = constant(element).ok_or_else(|| {
            Diagnostic::new(codes::NOT_CONSTANT, "the elements of an `in` list must be literals", element.span)
        })?;
        scalars.push((scalar, element.span));
    }
    // An integer value meets a list with a double in it as a double, as in comparisons.
    let value = if value.data_type == DataType::Int && scalars.iter().any(|(scalar, _)| matches!(scalar, Scalar::Double(_))) {
        coerce::to_double(value)
    } else {
        value
    };
    let constants = scalars
        .into_iter()
        .map(|(scalar, span)| coerce::scalar_to(scalar, &value.data_type, span))
        .collect::<Result<_, _>>()?;
    Ok(Node { kind: NodeKind::InList { value: Box::new(value), list: constants, negated }, data_type: DataType::Bool, span })
}

/// Builds a `like` or `matches` test of a string value.
fn pattern_node(op: BinaryOp, value: Node, pattern: &Expr, span: Span) -> Result<Node, Diagnostic> {
    if value.data_type != DataType::String {
        return Err(type_mismatch("a string", &value.data_type, value.span));
    }
    let ExprKind::Literal(Literal::String(source)) = &pattern.kind else {
        let example = if op == BinaryOp::Like { "\"John%\"" } else { "\"^J.*n$\"" };
        return Err(Diagnostic::new(codes::NOT_CONSTANT, "the pattern must be a string literal", pattern.span)
            .with_help(format!("write the pattern in double quotes, e.g. `{example}`")));
    };
    let regex = if op == BinaryOp::Like { like_regex(source, pattern.span)? } else { compile_regex(source, pattern.span)? };
    Ok(regex_node(value, regex, source.clone(), span))
}
