//! Conversion of pest's parse tree into the syntax tree of [`crate::ast`].
//!
//! Every builder function takes the depth of the node it builds and fails with `E0005` when the
//! tree would grow deeper than the limit, so later recursive walks (printing, comparison,
//! dropping) stay within the stack.

use pest::iterators::Pair;

use super::Rule;
use super::errors;
use crate::ast::{
    AggregateKind, BinaryOp, Binding, ChainStep, Comparison, Direction, Expr, ExprKind, Literal, Name, OccursTail,
    QuantifierKind, Query, Span, TimeUnit, TimeWord, UnaryOp,
};
use crate::diagnostic::Diagnostic;

type Result<T> = std::result::Result<T, Diagnostic>;

/// Builds syntax trees, enforcing a maximum tree depth.
pub(super) struct TreeBuilder {
    max_tree_depth: usize,
}

impl TreeBuilder {
    pub(super) fn new(max_tree_depth: usize) -> Self {
        TreeBuilder { max_tree_depth }
    }

    /// Builds a [`Query`] from a `query` pair.
    pub(super) fn query(&self, pair: Pair<'_, Rule>) -> Result<Query> {
        let mut params = Vec::new();
        let mut body = None;
        for child in significant(pair) {
            match child.as_rule() {
                Rule::lambda_head => params = significant(child).map(|name| name_of(&name)).collect(),
                Rule::expr => body = Some(self.expr(child, 1)?),
                Rule::EOI => {}
                other => return Err(errors::internal_error(other)),
            }
        }
        match body {
            Some(body) => Ok(Query { params, body }),
            None => Err(errors::internal_error(Rule::query)),
        }
    }

    /// Builds an [`Expr`] from an `expr_only` pair.
    pub(super) fn lone_expr(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        match significant(pair).find(|child| child.as_rule() == Rule::expr) {
            Some(expr) => self.expr(expr, 1),
            None => Err(errors::internal_error(Rule::expr_only)),
        }
    }

    fn check_depth(&self, depth: usize, pair: &Pair<'_, Rule>) -> Result<()> {
        if depth > self.max_tree_depth {
            return Err(errors::tree_too_deep(span_of(pair), self.max_tree_depth));
        }
        Ok(())
    }

    /// Builds the expression of any expression-level pair. Precedence levels that hold a single
    /// operand add no node, so they are skipped in a loop instead of by recursion.
    fn expr(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        self.check_depth(depth, &pair)?;
        let mut pair = pair;
        loop {
            let rule = pair.as_rule();
            let mut children = significant(pair.clone());
            let first_child = children.next();
            let single_child = children.next().is_none();
            let next = match rule {
                Rule::expr | Rule::expr_no_in | Rule::paren | Rule::time_ref | Rule::aggregate_value => first_child,
                Rule::or_expr
                | Rule::or_no_in
                | Rule::and_expr
                | Rule::and_no_in
                | Rule::sum_expr
                | Rule::product
                | Rule::not_expr
                | Rule::not_no_in
                | Rule::predicate
                | Rule::predicate_no_in
                | Rule::unary
                | Rule::postfix
                    if single_child =>
                {
                    first_child
                }
                _ => return self.compound(pair, depth),
            };
            match next {
                Some(next) => pair = next,
                None => return Err(errors::internal_error(rule)),
            }
        }
    }

    /// Builds a node that is more than a single-operand wrapper.
    fn compound(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        match pair.as_rule() {
            Rule::or_expr | Rule::or_no_in | Rule::and_expr | Rule::and_no_in | Rule::sum_expr | Rule::product => {
                self.operator_chain(pair, depth)
            }
            Rule::not_expr | Rule::not_no_in => self.negation(pair, depth),
            Rule::predicate | Rule::predicate_no_in => self.predicate(pair, depth),
            Rule::unary => self.unary(pair, depth),
            Rule::postfix => self.postfix(pair, depth),
            Rule::let_expr | Rule::let_no_in => self.let_expr(pair, depth),
            Rule::quantifier | Rule::quantifier_no_in => self.quantifier(pair, depth),
            Rule::aggregate | Rule::aggregate_no_in => self.aggregate(pair, depth),
            Rule::lambda => self.lambda(pair, depth),
            Rule::array => self.array(pair, depth),
            Rule::object => self.object(pair, depth),
            Rule::chain => self.chain(pair, depth),
            Rule::call => self.call(pair, depth),
            Rule::string => Ok(Expr::spanned(ExprKind::Literal(Literal::String(string_value(&pair))), span_of(&pair))),
            Rule::integer | Rule::double => number_literal(pair.as_str(), span_of(&pair)),
            Rule::boolean => {
                let value = first_significant(&pair).is_some_and(|word| word.as_rule() == Rule::kw_true);
                Ok(Expr::spanned(ExprKind::Literal(Literal::Bool(value)), span_of(&pair)))
            }
            Rule::time_word => Ok(Expr::spanned(ExprKind::Time(time_word(&pair)?), span_of(&pair))),
            Rule::this => Ok(Expr::spanned(ExprKind::This, span_of(&pair))),
            Rule::param => param(&pair),
            Rule::up => up(pair),
            Rule::ident => Ok(Expr::spanned(ExprKind::Ident(name_of(&pair)), span_of(&pair))),
            other => Err(errors::internal_error(other)),
        }
    }

    /// Builds a left-associative chain `a op b op c` as `(a op b) op c`.
    fn operator_chain(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let children: Vec<Pair<'_, Rule>> = significant(pair.clone()).collect();
        let operand_count = children.len().div_ceil(2);
        // The first operand ends up deepest: one level below each of the chain's nodes.
        let first_depth = depth + operand_count - 1;
        self.check_depth(first_depth, &pair)?;

        let start = children[0].as_span().start();
        let mut lhs = self.expr(children[0].clone(), first_depth)?;
        for (index, operator_and_operand) in children[1..].chunks(2).enumerate() {
            let [operator, operand] = operator_and_operand else {
                return Err(errors::internal_error(pair.as_rule()));
            };
            let node_depth = first_depth - 1 - index;
            let rhs = self.expr(operand.clone(), node_depth + 1)?;
            let op = binary_operator(operator)?;
            let span = Span::new(start, end_of(operand));
            lhs = Expr::spanned(ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span);
        }
        Ok(lhs)
    }

    /// Builds `not not x`: each `not` wraps the rest of the pair.
    fn negation(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let end = end_of(&pair);
        let mut operator_starts = Vec::new();
        let mut current = pair;
        loop {
            let mut children = significant(current.clone());
            match (children.next(), children.next()) {
                (Some(operator), Some(operand)) if operator.as_rule() == Rule::not_op => {
                    operator_starts.push(operator.as_span().start());
                    current = operand;
                }
                _ => break,
            }
        }

        let operand_depth = depth + operator_starts.len();
        self.check_depth(operand_depth, &current)?;
        let mut expr = self.expr(current, operand_depth)?;
        for start in operator_starts.into_iter().rev() {
            expr = Expr::spanned(ExprKind::Unary { op: UnaryOp::Not, operand: Box::new(expr) }, Span::new(start, end));
        }
        Ok(expr)
    }

    /// Builds a comparison or an `occurs` test.
    fn predicate(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let mut children = significant(pair);
        let (Some(subject), Some(operator)) = (children.next(), children.next()) else {
            return Err(errors::internal_error(rule));
        };
        let lhs = Box::new(self.expr(subject, depth + 1)?);

        if operator.as_rule() == Rule::occurs_test {
            let Some(tail) = significant(operator).find(|child| child.as_rule() == Rule::occurs_tail) else {
                return Err(errors::internal_error(Rule::occurs_test));
            };
            let tail = self.occurs_tail(tail, depth + 1)?;
            return Ok(Expr::spanned(ExprKind::Occurs { subject: lhs, tail }, span));
        }

        let Some(operand) = children.next() else {
            return Err(errors::internal_error(rule));
        };
        let op = binary_operator(&operator)?;
        let rhs = Box::new(self.expr(operand, depth + 1)?);
        Ok(Expr::spanned(ExprKind::Binary { op, lhs, rhs }, span))
    }

    /// Builds unary minus signs. A minus written directly before a number literal becomes part of
    /// the literal, so `-9223372036854775808` is a valid integer.
    fn unary(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let end = end_of(&pair);
        let children: Vec<Pair<'_, Rule>> = significant(pair.clone()).collect();
        let Some((operand, signs)) = children.split_last() else {
            return Err(errors::internal_error(Rule::unary));
        };
        let mut sign_starts: Vec<usize> = signs.iter().map(|sign| sign.as_span().start()).collect();

        let operand_depth = depth + sign_starts.len();
        self.check_depth(operand_depth, &pair)?;
        let mut expr = match (number_token(operand), sign_starts.pop()) {
            (Some(number), Some(sign_start)) => {
                let text = format!("-{}", number.as_str());
                number_literal(&text, Span::new(sign_start, end))?
            }
            (_, popped) => {
                sign_starts.extend(popped);
                self.expr(operand.clone(), operand_depth)?
            }
        };
        for start in sign_starts.into_iter().rev() {
            expr = Expr::spanned(ExprKind::Unary { op: UnaryOp::Neg, operand: Box::new(expr) }, Span::new(start, end));
        }
        Ok(expr)
    }

    /// Builds field accesses, method calls and filters from left to right.
    fn postfix(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let mut children = significant(pair.clone());
        let Some(primary) = children.next() else {
            return Err(errors::internal_error(Rule::postfix));
        };
        let operations: Vec<Pair<'_, Rule>> = children.collect();
        // The primary ends up below every operation.
        let primary_depth = depth + operations.len();
        self.check_depth(primary_depth, &pair)?;

        let start = primary.as_span().start();
        let mut expr = self.expr(primary, primary_depth)?;
        for (index, operation) in operations.into_iter().enumerate() {
            let child_depth = primary_depth - index;
            let span = Span::new(start, end_of(&operation));
            let rule = operation.as_rule();
            let mut parts = significant(operation);
            let kind = match rule {
                Rule::field_access => {
                    let Some(name) = parts.next() else { return Err(errors::internal_error(rule)) };
                    ExprKind::Field { base: Box::new(expr), name: name_of(&name) }
                }
                Rule::method_call => {
                    let Some(name) = parts.next() else { return Err(errors::internal_error(rule)) };
                    let args = self.exprs(parts, child_depth)?;
                    ExprKind::Method { receiver: Box::new(expr), name: name_of(&name), args }
                }
                Rule::filter => {
                    let Some(cond) = parts.next() else { return Err(errors::internal_error(rule)) };
                    let cond = self.expr(cond, child_depth)?;
                    ExprKind::Filter { base: Box::new(expr), cond: Box::new(cond) }
                }
                other => return Err(errors::internal_error(other)),
            };
            expr = Expr::spanned(kind, span);
        }
        Ok(expr)
    }

    fn exprs<'i>(&self, pairs: impl Iterator<Item = Pair<'i, Rule>>, depth: usize) -> Result<Vec<Expr>> {
        pairs.map(|pair| self.expr(pair, depth)).collect()
    }

    fn let_expr(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let span = span_of(&pair);
        let parts: Vec<Pair<'_, Rule>> =
            significant(pair).filter(|child| !matches!(child.as_rule(), Rule::kw_let | Rule::kw_in)).collect();
        let [name, value, body] = parts.as_slice() else {
            return Err(errors::internal_error(Rule::let_expr));
        };
        let value = self.expr(value.clone(), depth + 1)?;
        let body = self.expr(body.clone(), depth + 1)?;
        let kind = ExprKind::Let { name: name_of(name), value: Box::new(value), body: Box::new(body) };
        Ok(Expr::spanned(kind, span))
    }

    fn quantifier(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let span = span_of(&pair);
        let mut kind = None;
        let mut bindings = Vec::new();
        for child in significant(pair) {
            match child.as_rule() {
                Rule::quantifier_kind => kind = Some(quantifier_kind(&child)?),
                Rule::binding | Rule::binding_no_in => bindings.push(self.binding(child, depth + 1)?),
                other => return Err(errors::internal_error(other)),
            }
        }
        let Some(kind) = kind else { return Err(errors::internal_error(Rule::quantifier)) };
        Ok(Expr::spanned(ExprKind::Quantifier { kind, bindings }, span))
    }

    fn aggregate(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let span = span_of(&pair);
        let mut kind = None;
        let mut value = None;
        let mut bindings = Vec::new();
        for child in significant(pair) {
            match child.as_rule() {
                Rule::aggregate_kind => kind = Some(aggregate_kind(&child)?),
                Rule::aggregate_value => value = Some(Box::new(self.expr(child, depth + 1)?)),
                Rule::kw_over => {}
                Rule::binding | Rule::binding_no_in => bindings.push(self.binding(child, depth + 1)?),
                other => return Err(errors::internal_error(other)),
            }
        }
        let Some(kind) = kind else { return Err(errors::internal_error(Rule::aggregate)) };
        Ok(Expr::spanned(ExprKind::Aggregate { kind, value, bindings }, span))
    }

    /// Builds `V from A [where C]`. The range and the condition are children of the
    /// comprehension node, so `depth` is their depth.
    fn binding(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Binding> {
        let rule = pair.as_rule();
        let parts: Vec<Pair<'_, Rule>> = significant(pair)
            .filter(|child| !matches!(child.as_rule(), Rule::kw_from | Rule::kw_where | Rule::colon))
            .collect();
        let (var, range, cond) = match parts.as_slice() {
            [var, range] => (var, range, None),
            [var, range, cond] => (var, range, Some(cond)),
            _ => return Err(errors::internal_error(rule)),
        };
        Ok(Binding {
            var: name_of(var),
            range: self.expr(range.clone(), depth)?,
            cond: cond.map(|cond| self.expr(cond.clone(), depth)).transpose()?,
        })
    }

    fn lambda(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let span = span_of(&pair);
        let mut params = Vec::new();
        let mut body = None;
        for child in significant(pair) {
            match child.as_rule() {
                Rule::ident => params.push(name_of(&child)),
                Rule::expr => body = Some(self.expr(child, depth + 1)?),
                other => return Err(errors::internal_error(other)),
            }
        }
        let Some(body) = body else { return Err(errors::internal_error(Rule::lambda)) };
        Ok(Expr::spanned(ExprKind::Lambda { params, body: Box::new(body) }, span))
    }

    fn array(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let span = span_of(&pair);
        let elements = self.exprs(significant(pair), depth + 1)?;
        Ok(Expr::spanned(ExprKind::Array(elements), span))
    }

    fn object(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let span = span_of(&pair);
        let mut entries = Vec::new();
        for entry in significant(pair) {
            let mut parts = significant(entry);
            let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
                return Err(errors::internal_error(Rule::object_entry));
            };
            entries.push((string_value(&key), self.expr(value, depth + 1)?));
        }
        Ok(Expr::spanned(ExprKind::Object(entries), span))
    }

    fn call(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let span = span_of(&pair);
        let mut parts = significant(pair);
        let Some(name) = parts.next() else { return Err(errors::internal_error(Rule::call)) };
        let args = self.exprs(parts, depth + 1)?;
        Ok(Expr::spanned(ExprKind::Call { name: name_of(&name), args }, span))
    }

    fn chain(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<Expr> {
        let span = span_of(&pair);
        let mut events = None;
        let mut order_field = None;
        let mut steps = Vec::new();
        for child in significant(pair) {
            match child.as_rule() {
                Rule::kw_chain => {}
                Rule::expr => events = Some(self.expr(child, depth + 1)?),
                Rule::member_name => order_field = Some(name_of(&child)),
                Rule::chain_step => steps.push(self.chain_step(child, depth + 1)?),
                other => return Err(errors::internal_error(other)),
            }
        }
        let (Some(events), Some(order_field)) = (events, order_field) else {
            return Err(errors::internal_error(Rule::chain));
        };
        Ok(Expr::spanned(ExprKind::Chain { events: Box::new(events), order_field, steps }, span))
    }

    /// Builds one chain step, rejecting `COUNT(0)` (`E0003`) and repeated clauses (`E0004`).
    fn chain_step(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<ChainStep> {
        let mut label = None;
        let mut what = None;
        let mut when = None;
        let mut count = None;
        let mut where_ = None;
        for clause in significant(pair) {
            let rule = clause.as_rule();
            if rule == Rule::ident {
                label = Some(name_of(&clause));
                continue;
            }
            let label_text = label.as_ref().map_or("", |name: &Name| name.text.as_str());
            let clause_span = span_of(&clause);
            let Some(argument) = significant(clause).find(|part| !is_clause_keyword(part.as_rule())) else {
                return Err(errors::internal_error(rule));
            };
            match rule {
                Rule::what_clause => what = Some(self.expr(argument, depth)?),
                Rule::when_clause => {
                    reject_repeated_clause(when.is_some(), "WHEN", label_text, clause_span)?;
                    when = Some(self.occurs_tail(argument, depth)?);
                }
                Rule::count_clause => {
                    reject_repeated_clause(count.is_some(), "COUNT", label_text, clause_span)?;
                    count = Some(step_count(&argument, label_text, clause_span)?);
                }
                Rule::where_clause => {
                    reject_repeated_clause(where_.is_some(), "WHERE", label_text, clause_span)?;
                    where_ = Some(self.expr(argument, depth)?);
                }
                other => return Err(errors::internal_error(other)),
            }
        }
        let (Some(label), Some(what)) = (label, what) else {
            return Err(errors::internal_error(Rule::chain_step));
        };
        Ok(ChainStep { label, what, when, count, where_ })
    }

    /// Builds the time condition of `occurs` or `WHEN`, whose references are at `depth`.
    fn occurs_tail(&self, pair: Pair<'_, Rule>, depth: usize) -> Result<OccursTail> {
        let Some(form) = first_significant(&pair) else {
            return Err(errors::internal_error(Rule::occurs_tail));
        };
        let rule = form.as_rule();
        let parts: Vec<Pair<'_, Rule>> = significant(form).collect();
        let reference = |pair: &Pair<'_, Rule>| self.expr(pair.clone(), depth).map(Box::new);
        let tail = match (rule, parts.as_slice()) {
            (Rule::offset_tail, [cmp, amount, unit_word, direction_word, time]) => OccursTail::Offset {
                cmp: comparison(cmp)?,
                amount: unsigned(amount)?,
                unit: unit(unit_word)?,
                direction: direction(direction_word)?,
                reference: reference(time)?,
            },
            (Rule::direction_tail, [direction_word, time]) => {
                OccursTail::Direction { direction: direction(direction_word)?, reference: reference(time)? }
            }
            (Rule::between_tail, [_, start, _, end]) => {
                OccursTail::Between { start: reference(start)?, end: reference(end)? }
            }
            (Rule::on_tail, [_, time] | [time]) => OccursTail::On { reference: reference(time)? },
            _ => return Err(errors::internal_error(rule)),
        };
        Ok(tail)
    }
}

fn reject_repeated_clause(repeated: bool, clause: &str, label: &str, span: Span) -> Result<()> {
    if repeated {
        return Err(Diagnostic::new("E0004", format!("chain step `{label}` has more than one {clause} clause"), span)
            .with_help(format!("keep a single {clause} clause in each step")));
    }
    Ok(())
}

fn step_count(pair: &Pair<'_, Rule>, label: &str, clause_span: Span) -> Result<u64> {
    let count = unsigned(pair)?;
    if count == 0 {
        return Err(Diagnostic::new(
            "E0003",
            format!("chain step `{label}` has COUNT(0), but a step needs at least one matching event"),
            clause_span,
        )
        .with_help("use COUNT(1) or more, or remove the COUNT clause"));
    }
    Ok(count)
}

fn is_clause_keyword(rule: Rule) -> bool {
    matches!(rule, Rule::kw_what | Rule::kw_when | Rule::kw_count | Rule::kw_chain_where)
}

/// Punctuation pairs exist only for error messages and carry no meaning in the tree.
fn is_punctuation(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::open_paren
            | Rule::close_paren
            | Rule::open_bracket
            | Rule::close_bracket
            | Rule::open_brace
            | Rule::close_brace
            | Rule::comma
            | Rule::colon
            | Rule::arrow
            | Rule::equals_sign
    )
}

/// Returns the children of a pair without punctuation. A binding's `:` is punctuation too, so
/// `V from A : C` builds like `V from A where C`.
fn significant<'i>(pair: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
    pair.into_inner().filter(|child| !is_punctuation(child.as_rule()))
}

fn first_significant<'i>(pair: &Pair<'i, Rule>) -> Option<Pair<'i, Rule>> {
    significant(pair.clone()).next()
}

/// Returns the span of a pair without trailing whitespace. The generated parser skips the
/// whitespace after a token before it tries an optional part such as `("or" ~ and_expr)*`, so
/// that whitespace ends up inside the pair.
fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let start = pair.as_span().start();
    Span::new(start, start + pair.as_str().trim_end_matches(is_whitespace).len())
}

fn end_of(pair: &Pair<'_, Rule>) -> usize {
    span_of(pair).end
}

/// Returns whether `c` is one of the characters the grammar's `WHITESPACE` rule skips.
fn is_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn name_of(pair: &Pair<'_, Rule>) -> Name {
    Name { text: pair.as_str().to_string(), span: span_of(pair) }
}

/// Returns the number token of a `postfix` that is nothing but a number literal.
fn number_token<'i>(pair: &Pair<'i, Rule>) -> Option<Pair<'i, Rule>> {
    let mut children = significant(pair.clone());
    let only = children.next()?;
    if children.next().is_some() {
        return None;
    }
    matches!(only.as_rule(), Rule::integer | Rule::double).then_some(only)
}

/// Parses an integer or double literal, with its sign when a minus was folded into it.
fn number_literal(text: &str, span: Span) -> Result<Expr> {
    let is_double = text.contains(['.', 'e', 'E']);
    let literal = if is_double {
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Literal::Double(value),
            _ => {
                return Err(Diagnostic::new(
                    "E0002",
                    format!("double `{text}` is outside the range of a 64-bit float (about -1.8e308 to 1.8e308)"),
                    span,
                ));
            }
        }
    } else {
        match text.parse::<i64>() {
            Ok(value) => Literal::Int(value),
            Err(_) => {
                return Err(Diagnostic::new(
                    "E0002",
                    format!("integer `{text}` is outside the 64-bit range {} to {}", i64::MIN, i64::MAX),
                    span,
                )
                .with_help(format!("write `{text}.0` for an approximate double")));
            }
        }
    };
    Ok(Expr::spanned(ExprKind::Literal(literal), span))
}

/// Parses the integer of an `occurs` amount or a `COUNT`.
fn unsigned(pair: &Pair<'_, Rule>) -> Result<u64> {
    let text = pair.as_str();
    text.parse::<u64>().map_err(|_| {
        Diagnostic::new("E0002", format!("number `{text}` is larger than the maximum {}", u64::MAX), span_of(pair))
    })
}

fn param(pair: &Pair<'_, Rule>) -> Result<Expr> {
    let text = pair.as_str();
    match text[1..].parse::<u32>() {
        Ok(index) if index >= 1 => Ok(Expr::spanned(ExprKind::Param(index), span_of(pair))),
        _ => Err(Diagnostic::new(
            "E0002",
            format!("parameter `{text}` does not exist, because parameters are numbered from `$1` to `${}`", u32::MAX),
            span_of(pair),
        )),
    }
}

fn up(pair: Pair<'_, Rule>) -> Result<Expr> {
    let span = span_of(&pair);
    let mut levels = 0;
    let mut path = Vec::new();
    // `up_start` is compound-atomic, so its carets and name are flattened in here.
    for child in pair.into_inner().flatten() {
        match child.as_rule() {
            Rule::up_start => {}
            Rule::carets => {
                levels = u32::try_from(child.as_str().len()).map_err(|_| {
                    Diagnostic::new("E0002", format!("more than {} carets in a row", u32::MAX), span_of(&child))
                })?;
            }
            Rule::member_name => path.push(name_of(&child)),
            other => return Err(errors::internal_error(other)),
        }
    }
    Ok(Expr::spanned(ExprKind::Up { levels, path }, span))
}

/// Resolves the escapes of a `string` pair: `\\` and `\"` become one character, any other
/// backslash pair stays as written.
fn string_value(pair: &Pair<'_, Rule>) -> String {
    let raw = pair.as_str();
    let body = raw.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).unwrap_or(raw);
    let mut value = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        match chars.next() {
            Some(escaped @ ('\\' | '"')) => value.push(escaped),
            Some(other) => {
                value.push('\\');
                value.push(other);
            }
            None => value.push('\\'),
        }
    }
    value
}

fn binary_operator(pair: &Pair<'_, Rule>) -> Result<BinaryOp> {
    let op = match pair.as_rule() {
        Rule::kw_or => BinaryOp::Or,
        Rule::kw_and => BinaryOp::And,
        Rule::add_op if pair.as_str() == "+" => BinaryOp::Add,
        Rule::add_op => BinaryOp::Sub,
        Rule::mul_op => match pair.as_str() {
            "*" => BinaryOp::Mul,
            "/" => BinaryOp::Div,
            _ => BinaryOp::Rem,
        },
        Rule::cmp_op | Rule::cmp_op_no_in => match pair.as_str().to_ascii_lowercase().as_str() {
            "=" => BinaryOp::Eq,
            "!=" => BinaryOp::NotEq,
            "<" => BinaryOp::Lt,
            "<=" => BinaryOp::LtEq,
            ">" => BinaryOp::Gt,
            ">=" => BinaryOp::GtEq,
            "in" => BinaryOp::In,
            "notin" => BinaryOp::NotIn,
            "like" => BinaryOp::Like,
            "matches" => BinaryOp::Matches,
            _ => return Err(errors::internal_error(pair.as_rule())),
        },
        other => return Err(errors::internal_error(other)),
    };
    Ok(op)
}

fn comparison(pair: &Pair<'_, Rule>) -> Result<Comparison> {
    Ok(match pair.as_str() {
        "=" => Comparison::Eq,
        "!=" => Comparison::NotEq,
        "<" => Comparison::Lt,
        "<=" => Comparison::LtEq,
        ">" => Comparison::Gt,
        ">=" => Comparison::GtEq,
        _ => return Err(errors::internal_error(pair.as_rule())),
    })
}

fn direction(pair: &Pair<'_, Rule>) -> Result<Direction> {
    let word = match pair.as_rule() {
        Rule::direction => first_significant(pair).map(|word| word.as_rule()),
        other => Some(other),
    };
    match word {
        Some(Rule::kw_before) => Ok(Direction::Before),
        Some(Rule::kw_after) => Ok(Direction::After),
        Some(Rule::kw_from) => Ok(Direction::From),
        _ => Err(errors::internal_error(pair.as_rule())),
    }
}

fn unit(pair: &Pair<'_, Rule>) -> Result<TimeUnit> {
    let word = pair.as_str().to_ascii_lowercase();
    let unit = match word.as_str() {
        "millisecond" | "milliseconds" => TimeUnit::Millisecond,
        "second" | "seconds" => TimeUnit::Second,
        "minute" | "minutes" => TimeUnit::Minute,
        "hour" | "hours" => TimeUnit::Hour,
        "day" | "days" => TimeUnit::Day,
        "week" | "weeks" => TimeUnit::Week,
        "month" | "months" => TimeUnit::Month,
        "year" | "years" => TimeUnit::Year,
        "decade" | "decades" => TimeUnit::Decade,
        "century" | "centuries" => TimeUnit::Century,
        "millennium" | "millennia" | "millenium" => TimeUnit::Millennium,
        _ => return Err(errors::internal_error(Rule::unit)),
    };
    Ok(unit)
}

fn time_word(pair: &Pair<'_, Rule>) -> Result<TimeWord> {
    let Some(word) = first_significant(pair) else {
        return Err(errors::internal_error(Rule::time_word));
    };
    let time = match word.as_rule() {
        Rule::kw_now => TimeWord::Now,
        Rule::kw_today => TimeWord::Today,
        Rule::kw_yesterday => TimeWord::Yesterday,
        Rule::kw_tomorrow => TimeWord::Tomorrow,
        Rule::relative_time => {
            let mut parts = significant(word);
            let (Some(relation), Some(unit_word)) = (parts.next(), parts.next()) else {
                return Err(errors::internal_error(Rule::relative_time));
            };
            let unit = unit(&unit_word)?;
            match relation.as_rule() {
                Rule::kw_this => TimeWord::This(unit),
                Rule::kw_last => TimeWord::Last(unit),
                _ => TimeWord::Next(unit),
            }
        }
        other => return Err(errors::internal_error(other)),
    };
    Ok(time)
}

fn quantifier_kind(pair: &Pair<'_, Rule>) -> Result<QuantifierKind> {
    match first_significant(pair).map(|word| word.as_rule()) {
        Some(Rule::kw_select) => Ok(QuantifierKind::Select),
        Some(Rule::kw_exists) => Ok(QuantifierKind::Exists),
        Some(Rule::kw_forall) => Ok(QuantifierKind::Forall),
        _ => Err(errors::internal_error(Rule::quantifier_kind)),
    }
}

/// Reads an aggregate keyword whose first letter the parser replaced by the marker byte.
fn aggregate_kind(pair: &Pair<'_, Rule>) -> Result<AggregateKind> {
    let rest = pair.as_str().get(1..).unwrap_or_default();
    match rest.to_ascii_lowercase().as_str() {
        "um" => Ok(AggregateKind::Sum),
        "verage" => Ok(AggregateKind::Average),
        "in" => Ok(AggregateKind::Min),
        "ax" => Ok(AggregateKind::Max),
        _ => Err(errors::internal_error(Rule::aggregate_kind)),
    }
}
