//! Canonical PQL text for syntax trees.
//!
//! The output uses lowercase keywords, uppercase chain clauses, one space around binary
//! operators, `, ` between arguments, and only the parentheses that precedence requires, so
//! that parsing the printed text yields the same tree (spans aside). Doubles are printed with
//! Rust's shortest round-trip form and always contain a `.` or an exponent.
//!
//! Some trees built in code have no text that parses back to them, and print as text that
//! fails to parse or parses differently. These are a non-finite double, a name that is not a
//! word, a `Call` named `chain`, an identifier that is a reserved word, `$0`, `Up` with zero
//! levels, and an `OccursTail::Direction` with `from`.

use std::fmt::{self, Write as _};

use crate::ast::{
    BinaryOp, Binding, ChainStep, Expr, ExprKind, Literal, Name, OccursTail, QuantifierKind, Query, TimeWord, UnaryOp,
};

/// Precedence levels of the printed forms, loosest first.
mod level {
    /// `let`, comprehensions and lambdas, which extend as far right as possible.
    pub const OPEN: u8 = 0;
    /// `or`.
    pub const OR: u8 = 1;
    /// `not` and `!`.
    pub const NOT: u8 = 3;
    /// Comparisons, `in`, `like`, `matches` and `occurs`.
    pub const COMPARISON: u8 = 4;
    /// `+` and `-`.
    pub const SUM: u8 = 5;
    /// Unary minus, and negative number literals, which print with their sign.
    pub const NEG: u8 = 7;
    /// `.name`, `.name(args)` and `[cond]`.
    pub const POSTFIX: u8 = 8;
    /// Literals, names, calls and bracketed forms.
    pub const PRIMARY: u8 = 9;
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.params.is_empty() {
            // Without parentheses a lambda body would read as the lambda head of the query.
            if matches!(self.body.kind, ExprKind::Lambda { .. }) {
                return write_parenthesized(f, &self.body);
            }
            return write_expr(f, &self.body);
        }
        f.write_str("(")?;
        write_names(f, &self.params, ", ")?;
        f.write_str(") => ")?;
        write_expr(f, &self.body)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, self)
    }
}

/// Writes an expression. Children are written by direct calls rather than through `write!`, and
/// each kind has its own function, which keeps the stack used per tree level small.
fn write_expr(f: &mut fmt::Formatter<'_>, expr: &Expr) -> fmt::Result {
    match &expr.kind {
        ExprKind::Literal(literal) => write_literal(f, literal),
        ExprKind::Array(elements) => {
            f.write_str("[")?;
            write_list(f, elements)?;
            f.write_str("]")
        }
        ExprKind::Object(entries) => write_object(f, entries),
        ExprKind::Time(word) => write!(f, "{word}"),
        ExprKind::Param(index) => write!(f, "${index}"),
        ExprKind::Ident(name) => f.write_str(&name.text),
        ExprKind::This => f.write_str("this"),
        ExprKind::Up { levels, path } => write_up(f, *levels, path),
        ExprKind::Field { .. } | ExprKind::Method { .. } | ExprKind::Filter { .. } => write_postfix(f, expr),
        ExprKind::Call { name, args } => {
            f.write_str(&name.text)?;
            f.write_str("(")?;
            write_list(f, args)?;
            f.write_str(")")
        }
        ExprKind::Unary { .. } => write_prefix_run(f, expr),
        ExprKind::Binary { .. } => write_binary_chain(f, expr),
        ExprKind::Occurs { subject, tail } => {
            write_operand(f, subject, level::SUM)?;
            f.write_str(" occurs ")?;
            write_tail(f, tail)
        }
        ExprKind::Quantifier { kind, bindings } => {
            f.write_str(match kind {
                QuantifierKind::Select => "select ",
                QuantifierKind::Exists => "exists ",
                QuantifierKind::Forall => "forall ",
            })?;
            write_bindings(f, bindings)
        }
        ExprKind::Aggregate { kind, value, bindings } => {
            f.write_str(kind.keyword())?;
            f.write_str(" ")?;
            if let Some(value) = value {
                write_operand(f, value, level::SUM)?;
                f.write_str(" over ")?;
            }
            write_bindings(f, bindings)
        }
        ExprKind::Let { name, value, body } => write_let(f, name, value, body),
        ExprKind::Lambda { params, body } => {
            f.write_str("(")?;
            write_names(f, params, ", ")?;
            f.write_str(") => ")?;
            write_expr(f, body)
        }
        ExprKind::Chain { events, order_field, steps } => write_chain(f, events, order_field, steps),
    }
}

fn write_object(f: &mut fmt::Formatter<'_>, entries: &[(String, Expr)]) -> fmt::Result {
    f.write_str("{")?;
    for (index, (key, value)) in entries.iter().enumerate() {
        if index > 0 {
            f.write_str(", ")?;
        }
        write_string(f, key)?;
        f.write_str(": ")?;
        write_expr(f, value)?;
    }
    f.write_str("}")
}

fn write_up(f: &mut fmt::Formatter<'_>, levels: u32, path: &[Name]) -> fmt::Result {
    for _ in 0..levels {
        f.write_str("^")?;
    }
    for name in path {
        f.write_str(".")?;
        f.write_str(&name.text)?;
    }
    Ok(())
}

fn write_postfix(f: &mut fmt::Formatter<'_>, expr: &Expr) -> fmt::Result {
    match &expr.kind {
        ExprKind::Field { base, name } => {
            // `^.a` followed by `.b` would read as the longer path `^.a.b`.
            if matches!(base.kind, ExprKind::Up { .. }) {
                write_parenthesized(f, base)?;
            } else {
                write_operand(f, base, level::POSTFIX)?;
            }
            f.write_str(".")?;
            f.write_str(&name.text)
        }
        ExprKind::Method { receiver, name, args } => {
            write_operand(f, receiver, level::POSTFIX)?;
            f.write_str(".")?;
            f.write_str(&name.text)?;
            f.write_str("(")?;
            write_list(f, args)?;
            f.write_str(")")
        }
        ExprKind::Filter { base, cond } => {
            write_operand(f, base, level::POSTFIX)?;
            f.write_str("[")?;
            write_expr(f, cond)?;
            f.write_str("]")
        }
        _ => write_expr(f, expr),
    }
}

/// Writes a run of prefix operators such as `not not -x` in a loop.
fn write_prefix_run(f: &mut fmt::Formatter<'_>, expr: &Expr) -> fmt::Result {
    let mut current = expr;
    while let ExprKind::Unary { op, operand } = &current.kind {
        match op {
            UnaryOp::Not => f.write_str("not ")?,
            UnaryOp::Neg => {
                f.write_str("-")?;
                // `-5` would parse as the literal -5 instead of negating 5.
                if is_unsigned_number(operand) {
                    return write_parenthesized(f, operand);
                }
            }
        }
        let operand_level = if *op == UnaryOp::Not { level::NOT } else { level::NEG };
        if precedence(operand) < operand_level {
            return write_parenthesized(f, operand);
        }
        current = operand;
    }
    write_expr(f, current)
}

/// Writes a left-nested chain of one precedence level, such as `a or b or c`, in a loop.
fn write_binary_chain(f: &mut fmt::Formatter<'_>, expr: &Expr) -> fmt::Result {
    let ExprKind::Binary { op, lhs, rhs } = &expr.kind else {
        return write_expr(f, expr);
    };
    let chain_level = op.precedence();
    if chain_level == level::COMPARISON {
        // Comparisons do not chain, so neither side may be a bare comparison.
        write_operand(f, lhs, level::SUM)?;
        write_operator(f, *op)?;
        return write_operand(f, rhs, level::SUM);
    }

    // Collect the right operands from the top down, then print from the leftmost operand.
    let mut links = Vec::new();
    let mut leftmost = expr;
    while let ExprKind::Binary { op, lhs, rhs } = &leftmost.kind {
        if op.precedence() != chain_level {
            break;
        }
        links.push((*op, rhs.as_ref()));
        leftmost = lhs;
    }
    write_operand(f, leftmost, chain_level)?;
    for (op, rhs) in links.into_iter().rev() {
        write_operator(f, op)?;
        write_operand(f, rhs, chain_level + 1)?;
    }
    Ok(())
}

fn write_operator(f: &mut fmt::Formatter<'_>, op: BinaryOp) -> fmt::Result {
    f.write_str(" ")?;
    f.write_str(op.symbol())?;
    f.write_str(" ")
}

fn write_let(f: &mut fmt::Formatter<'_>, name: &Name, value: &Expr, body: &Expr) -> fmt::Result {
    f.write_str("let ")?;
    f.write_str(&name.text)?;
    f.write_str(" = ")?;
    let value_text = value.to_string();
    // Inside the value a bare `in` ends the value, and a lambda body would swallow the `in` of
    // the `let`.
    if has_bare_in_or_arrow(&value_text) {
        write!(f, "({value_text})")?;
    } else {
        f.write_str(&value_text)?;
    }
    f.write_str(" in ")?;
    write_expr(f, body)
}

fn write_chain(f: &mut fmt::Formatter<'_>, events: &Expr, order_field: &Name, steps: &[ChainStep]) -> fmt::Result {
    f.write_str("chain(")?;
    write_expr(f, events)?;
    f.write_str(", ")?;
    f.write_str(&order_field.text)?;
    f.write_str(", [")?;
    for (index, step) in steps.iter().enumerate() {
        if index > 0 {
            f.write_str(", ")?;
        }
        write_step(f, step)?;
    }
    f.write_str("])")
}

impl fmt::Display for OccursTail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_tail(f, self)
    }
}

fn write_tail(f: &mut fmt::Formatter<'_>, tail: &OccursTail) -> fmt::Result {
    match tail {
        OccursTail::Offset { cmp, amount, unit, direction, reference } => {
            let unit = if *amount == 1 { unit.singular() } else { unit.plural() };
            write!(f, "{} {amount} {unit} {} ", cmp.symbol(), direction.keyword())?;
            write_operand(f, reference, level::POSTFIX)
        }
        OccursTail::Direction { direction, reference } => {
            f.write_str(direction.keyword())?;
            f.write_str(" ")?;
            write_operand(f, reference, level::POSTFIX)
        }
        OccursTail::On { reference } => {
            // `on` is optional, so it is left out before a time word, where it adds nothing.
            if !matches!(reference.kind, ExprKind::Time(_)) {
                f.write_str("on ")?;
            }
            write_operand(f, reference, level::POSTFIX)
        }
        OccursTail::Between { start, end } => {
            f.write_str("between ")?;
            write_operand(f, start, level::POSTFIX)?;
            f.write_str(" and ")?;
            write_operand(f, end, level::POSTFIX)
        }
    }
}

impl fmt::Display for TimeWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeWord::Now => f.write_str("now"),
            TimeWord::Today => f.write_str("today"),
            TimeWord::Yesterday => f.write_str("yesterday"),
            TimeWord::Tomorrow => f.write_str("tomorrow"),
            TimeWord::This(unit) => write!(f, "this {}", unit.singular()),
            TimeWord::Last(unit) => write!(f, "last {}", unit.singular()),
            TimeWord::Next(unit) => write!(f, "next {}", unit.singular()),
        }
    }
}

/// Returns how tightly the printed form of `expr` binds.
fn precedence(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Literal(Literal::Int(value)) if *value < 0 => level::NEG,
        ExprKind::Literal(Literal::Double(value)) if value.is_sign_negative() => level::NEG,
        ExprKind::Literal(_)
        | ExprKind::Array(_)
        | ExprKind::Object(_)
        | ExprKind::Time(_)
        | ExprKind::Param(_)
        | ExprKind::Ident(_)
        | ExprKind::This
        | ExprKind::Up { .. }
        | ExprKind::Call { .. }
        | ExprKind::Chain { .. } => level::PRIMARY,
        ExprKind::Field { .. } | ExprKind::Method { .. } | ExprKind::Filter { .. } => level::POSTFIX,
        ExprKind::Unary { op: UnaryOp::Neg, .. } => level::NEG,
        ExprKind::Unary { op: UnaryOp::Not, .. } => level::NOT,
        ExprKind::Binary { op, .. } => op.precedence(),
        ExprKind::Occurs { .. } => level::COMPARISON,
        ExprKind::Quantifier { .. } | ExprKind::Aggregate { .. } | ExprKind::Let { .. } | ExprKind::Lambda { .. } => {
            level::OPEN
        }
    }
}

/// Writes `expr`, in parentheses when it binds more loosely than `min_level`.
fn write_operand(f: &mut fmt::Formatter<'_>, expr: &Expr, min_level: u8) -> fmt::Result {
    if precedence(expr) < min_level { write_parenthesized(f, expr) } else { write_expr(f, expr) }
}

fn write_parenthesized(f: &mut fmt::Formatter<'_>, expr: &Expr) -> fmt::Result {
    f.write_str("(")?;
    write_expr(f, expr)?;
    f.write_str(")")
}

fn write_list(f: &mut fmt::Formatter<'_>, exprs: &[Expr]) -> fmt::Result {
    for (index, expr) in exprs.iter().enumerate() {
        if index > 0 {
            f.write_str(", ")?;
        }
        write_expr(f, expr)?;
    }
    Ok(())
}

fn write_names(f: &mut fmt::Formatter<'_>, names: &[Name], separator: &str) -> fmt::Result {
    for (index, name) in names.iter().enumerate() {
        if index > 0 {
            f.write_str(separator)?;
        }
        f.write_str(&name.text)?;
    }
    Ok(())
}

/// Writes `V from A where C, ...`. A range is parsed as an `or` expression, and a condition
/// runs as far right as possible, so a condition that is a comprehension needs parentheses
/// unless its binding is the last.
fn write_bindings(f: &mut fmt::Formatter<'_>, bindings: &[Binding]) -> fmt::Result {
    for (index, binding) in bindings.iter().enumerate() {
        if index > 0 {
            f.write_str(", ")?;
        }
        f.write_str(&binding.var.text)?;
        f.write_str(" from ")?;
        write_operand(f, &binding.range, level::OR)?;
        if let Some(cond) = &binding.cond {
            f.write_str(" where ")?;
            let is_last = index + 1 == bindings.len();
            write_operand(f, cond, if is_last { level::OPEN } else { level::OR })?;
        }
    }
    Ok(())
}

fn write_step(f: &mut fmt::Formatter<'_>, step: &ChainStep) -> fmt::Result {
    f.write_str(&step.label.text)?;
    f.write_str(": WHAT(")?;
    write_expr(f, &step.what)?;
    f.write_str(")")?;
    if let Some(when) = &step.when {
        f.write_str(" WHEN(")?;
        write_tail(f, when)?;
        f.write_str(")")?;
    }
    if let Some(count) = step.count {
        write!(f, " COUNT({count})")?;
    }
    if let Some(where_) = &step.where_ {
        f.write_str(" WHERE(")?;
        write_expr(f, where_)?;
        f.write_str(")")?;
    }
    Ok(())
}

fn write_literal(f: &mut fmt::Formatter<'_>, literal: &Literal) -> fmt::Result {
    match literal {
        Literal::String(value) => write_string(f, value),
        Literal::Int(value) => write!(f, "{value}"),
        // `Debug` prints the shortest text that parses back to the same value, and it always
        // has a `.` or an exponent: `1.0`, `0.1`, `1e20`, `1e-7`.
        Literal::Double(value) => write!(f, "{value:?}"),
        Literal::Bool(value) => write!(f, "{value}"),
    }
}

/// Writes a string literal. Every backslash is doubled: a single one followed by another
/// character would also parse, but `\"` and `\\` would not.
fn write_string(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in value.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '"' => f.write_str("\\\"")?,
            other => f.write_char(other)?,
        }
    }
    f.write_char('"')
}

fn is_unsigned_number(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Literal(Literal::Int(value)) => *value >= 0,
        ExprKind::Literal(Literal::Double(value)) => !value.is_sign_negative(),
        _ => false,
    }
}

/// Returns whether printed text has, outside brackets and strings, the keyword `in` (not as a
/// field name after `.`) or a lambda arrow `=>`.
fn has_bare_in_or_arrow(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut previous_token = b' ';
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        match byte {
            b'"' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' {
                    index += if bytes[index] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'=' if depth == 0 && bytes.get(index + 1) == Some(&b'>') => return true,
            _ if byte.is_ascii_alphanumeric() || byte == b'_' => {
                let start = index;
                while index < bytes.len() && (bytes[index].is_ascii_alphanumeric() || bytes[index] == b'_') {
                    index += 1;
                }
                let word = &text[start..index];
                if depth == 0 && previous_token != b'.' && word.eq_ignore_ascii_case("in") {
                    return true;
                }
                previous_token = b'a';
                continue;
            }
            _ => {}
        }
        if !byte.is_ascii_whitespace() {
            previous_token = byte;
        }
        index += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{AggregateKind, Comparison, Direction, TimeUnit};

    fn ident(text: &str) -> Expr {
        Expr::new(ExprKind::Ident(Name::new(text)))
    }

    fn int(value: i64) -> Expr {
        Expr::new(ExprKind::Literal(Literal::Int(value)))
    }

    fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
        Expr::new(ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) })
    }

    #[test]
    fn doubles_always_look_like_doubles() {
        for (value, expected) in [(1.0, "1.0"), (1e20, "1e20"), (1e-7, "1e-7"), (0.45, "0.45"), (-2.5, "-2.5")] {
            let expr = Expr::new(ExprKind::Literal(Literal::Double(value)));
            assert_eq!(expr.to_string(), expected);
        }
    }

    #[test]
    fn strings_escape_backslash_and_quote() {
        let expr = Expr::new(ExprKind::Literal(Literal::String(r#"a\w"b"#.to_string())));
        assert_eq!(expr.to_string(), r#""a\\w\"b""#);
    }

    #[test]
    fn negation_of_literal_keeps_parentheses() {
        let expr = Expr::new(ExprKind::Unary { op: UnaryOp::Neg, operand: Box::new(int(5)) });
        assert_eq!(expr.to_string(), "-(5)");
        let expr = Expr::new(ExprKind::Unary { op: UnaryOp::Neg, operand: Box::new(int(-5)) });
        assert_eq!(expr.to_string(), "--5");
    }

    #[test]
    fn comparison_operands_are_parenthesized() {
        let inner = binary(BinaryOp::Eq, ident("a"), ident("b"));
        let expr = binary(BinaryOp::Eq, inner, ident("c"));
        assert_eq!(expr.to_string(), "(a = b) = c");
    }

    #[test]
    fn arithmetic_uses_minimal_parentheses() {
        let sum = binary(BinaryOp::Add, ident("a"), ident("b"));
        assert_eq!(binary(BinaryOp::Mul, sum.clone(), ident("c")).to_string(), "(a + b) * c");
        assert_eq!(binary(BinaryOp::Sub, ident("c"), sum.clone()).to_string(), "c - (a + b)");
        assert_eq!(binary(BinaryOp::Add, sum, ident("c")).to_string(), "a + b + c");
    }

    #[test]
    fn offset_tail_uses_plural_units() {
        let tail = OccursTail::Offset {
            cmp: Comparison::LtEq,
            amount: 3,
            unit: TimeUnit::Day,
            direction: Direction::Before,
            reference: Box::new(Expr::new(ExprKind::Time(TimeWord::Now))),
        };
        assert_eq!(tail.to_string(), "<= 3 days before now");
    }

    #[test]
    fn let_value_with_bare_in_is_parenthesized() {
        let value = binary(BinaryOp::In, ident("a"), ident("b"));
        let expr =
            Expr::new(ExprKind::Let { name: Name::new("V"), value: Box::new(value), body: Box::new(ident("V")) });
        assert_eq!(expr.to_string(), "let V = (a in b) in V");
    }

    #[test]
    fn bare_in_scan_ignores_fields_and_strings() {
        assert!(has_bare_in_or_arrow("a in b"));
        assert!(has_bare_in_or_arrow("(a) => a"));
        assert!(!has_bare_in_or_arrow("a.in"));
        assert!(!has_bare_in_or_arrow("\"in\" = x"));
        assert!(!has_bare_in_or_arrow("f(a in b)"));
        assert!(!has_bare_in_or_arrow("index = inside"));
    }

    #[test]
    fn aggregate_short_form_omits_over() {
        let expr = Expr::new(ExprKind::Aggregate {
            kind: AggregateKind::Sum,
            value: None,
            bindings: vec![Binding { var: Name::new("X"), range: ident("numbers"), cond: None }],
        });
        assert_eq!(expr.to_string(), "sum X from numbers");
    }
}
