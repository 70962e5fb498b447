//! Binds a parsed definition to the profile schema: resolves names to scopes and fields, checks
//! types, and builds the typed plan.

mod coerce;
mod list;
mod membership;
mod methods;
mod predicates;
mod projection;
mod values;

use arrow::datatypes::Schema;
use seg_pql::ast::{BinaryOp, Expr, ExprKind, Literal, Name, QuantifierKind, Query, UnaryOp};
use seg_pql::{Diagnostic, Span, did_you_mean};

use crate::plan::{ArithmeticOp, Node, NodeKind, SegmentPlan};
use crate::types::{DataType, FieldType, Scalar};

/// Diagnostic codes the binder reports; stable across releases.
pub mod codes {
    /// A field name that the schema does not have.
    pub const UNKNOWN_FIELD: &str = "E0101";
    /// A method name that PQL does not define.
    pub const UNKNOWN_METHOD: &str = "E0102";
    /// A function name that PQL does not define.
    pub const UNKNOWN_FUNCTION: &str = "E0103";
    /// A `^` that climbs above the profile.
    pub const SCOPE_UNDERFLOW: &str = "E0104";
    /// A lambda head with more than one parameter, or another misuse of parameters.
    pub const BAD_PARAMETER: &str = "E0105";
    /// Operand types that do not fit the operator.
    pub const TYPE_MISMATCH: &str = "E0201";
    /// The wrong number of arguments.
    pub const ARGUMENT_COUNT: &str = "E0202";
    /// An argument that must be a constant.
    pub const NOT_CONSTANT: &str = "E0203";
    /// A `date(y, m, d)` that names no calendar day.
    pub const INVALID_DATE: &str = "E0204";
    /// A regular expression or `like` pattern that does not compile.
    pub const INVALID_PATTERN: &str = "E0205";
    /// A schema column whose Arrow type has no PQL equivalent.
    pub const UNSUPPORTED_COLUMN: &str = "E0206";
    /// A construct that parses but that the engine does not evaluate. Every construct of the
    /// language is evaluated now, so the binder no longer reports it; the code stays reserved.
    pub const NOT_SUPPORTED: &str = "E0900";
}

/// Binds a parsed definition against the Arrow schema of the profiles.
///
/// # Errors
///
/// Returns a [`Diagnostic`]: an unknown field (with a "did you mean"), a type mismatch (with
/// the expected and found types) or an invalid constant. The operands of `and` and `or` and
/// the steps of a chain bind independently, so the first problem in source order is returned
/// with the problems of the other operands in [`Diagnostic::related`].
pub fn bind(query: &Query, schema: &Schema) -> Result<SegmentPlan, Diagnostic> {
    let (profile, unsupported) = profile_type(schema);
    let mut binder = Binder::new(profile);
    binder.unsupported = unsupported;
    if let Some(extra) = query.params.get(1) {
        return Err(Diagnostic::new(
            codes::BAD_PARAMETER,
            format!("a segment definition takes one parameter, found `{}` as a second one", extra.text),
            extra.span,
        )
        .with_help("write the definition as `(Profile) => ...` with a single parameter"));
    }
    if let Some(param) = query.params.first() {
        binder.variables.push((param.text.clone(), Variable::Row(0, Vec::new())));
    }
    let root = binder.bind_predicate(&query.body);
    let mut errors = std::mem::take(&mut binder.errors);
    match root {
        Ok(root) if errors.is_empty() => return Ok(SegmentPlan { root, dependencies: binder.dependencies }),
        Ok(_) => {}
        Err(diagnostic) => errors.push(diagnostic),
    }
    Err(combine(errors))
}

/// Orders diagnostics by source position, drops repeats (a `let` value binds once per use),
/// and returns the first with the others as related.
fn combine(mut errors: Vec<Diagnostic>) -> Diagnostic {
    errors.sort_by_key(|diagnostic| (diagnostic.span.start, diagnostic.span.end));
    errors.dedup();
    let mut first = errors.remove(0);
    first.related = errors;
    first
}

/// Splits the schema into the profile row type and the columns PQL cannot read, with their
/// Arrow types. Unreadable columns are left out of the row type rather than rejected, because
/// one binary or decimal column should not block every definition.
fn profile_type(schema: &Schema) -> (DataType, Vec<(String, String)>) {
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut unsupported = Vec::new();
    for field in schema.fields() {
        match DataType::from_arrow(field.data_type()) {
            Ok(data_type) => fields.push(FieldType { name: field.name().clone(), data_type }),
            Err(arrow_type) => unsupported.push((field.name().clone(), arrow_type)),
        }
    }
    (DataType::Struct(fields), unsupported)
}

/// Name-resolution state while walking one definition.
pub(crate) struct Binder {
    /// Row types of the open scopes; index 0 is the profile.
    scopes: Vec<DataType>,
    /// The scopes that bare field names resolve against, innermost last: the profile and every
    /// enclosing filter's element scope. `^` climbs this stack.
    implicit: Vec<usize>,
    /// Variables in scope, innermost last.
    variables: Vec<(String, Variable)>,
    /// The open `let` bindings; [`Variable::Let`] indexes this list.
    lets: Vec<LetBinding>,
    /// Segment ids read through `inSegment`.
    dependencies: Vec<String>,
    /// Problems in operands that bind independently, reported once binding ends.
    errors: Vec<Diagnostic>,
    /// Top-level columns left out of the profile type, with their Arrow types.
    unsupported: Vec<(String, String)>,
    /// An element scope whose bare names fall back to profile fields when the element has no
    /// such field: the event scope while a chain step's `WHERE` is bound.
    profile_fallback: Option<usize>,
}

impl Binder {
    fn new(profile: DataType) -> Binder {
        Binder {
            scopes: vec![profile],
            implicit: vec![0],
            variables: Vec::new(),
            lets: Vec::new(),
            errors: Vec::new(),
            dependencies: Vec::new(),
            unsupported: Vec::new(),
            profile_fallback: None,
        }
    }

    fn current_scope(&self) -> usize {
        self.scopes.len() - 1
    }

    /// Binds an expression at a boolean position.
    pub(crate) fn bind_predicate(&mut self, expr: &Expr) -> Result<Node, Diagnostic> {
        match &expr.kind {
            ExprKind::Filter { .. } => self.bind_list_predicate(expr),
            ExprKind::Quantifier { .. } => self.bind_quantifier(expr),
            ExprKind::Let { name, value, body } => self.bind_let(name, value, body, |binder| binder.bind_predicate(body)),
            _ => {
                let node = self.bind_expr(expr)?;
                Ok(to_predicate(node))
            }
        }
    }

    /// Binds an expression in value position.
    pub(crate) fn bind_expr(&mut self, expr: &Expr) -> Result<Node, Diagnostic> {
        match &expr.kind {
            ExprKind::Literal(literal) => Ok(literal_node(literal, expr.span)),
            ExprKind::Param(position) => self.bind_param(*position, expr.span),
            ExprKind::Ident(name) => self.bind_ident(name),
            ExprKind::This => {
                let scope = *self.implicit.last().unwrap_or(&0);
                Ok(self.column(scope, Vec::new(), expr.span))
            }
            ExprKind::Up { levels, path } => self.bind_up(*levels, path, expr.span),
            ExprKind::Field { base, name } => self.bind_field(base, name, expr.span),
            ExprKind::Method { receiver, name, args } => self.bind_method(receiver, name, args, expr.span),
            ExprKind::Call { name, args } => self.bind_call(name, args, expr.span),
            ExprKind::Unary { op: UnaryOp::Not, operand } => {
                let operand = self.bind_predicate(operand)?;
                Ok(Node { kind: NodeKind::Not(Box::new(operand)), data_type: DataType::Bool, span: expr.span })
            }
            ExprKind::Unary { op: UnaryOp::Neg, operand } => self.bind_negate(operand, expr.span),
            ExprKind::Binary { op, lhs, rhs } => self.bind_binary(*op, lhs, rhs, expr.span),
            ExprKind::Occurs { subject, tail } => self.bind_occurs(subject, tail, expr.span),
            ExprKind::Filter { .. } | ExprKind::Quantifier { kind: QuantifierKind::Select, .. } => {
                let source = self.bind_list(expr)?;
                Ok(self.list_value(source, expr.span))
            }
            ExprKind::Quantifier { .. } => self.bind_predicate(expr),
            ExprKind::Aggregate { kind, value, bindings } => {
                self.bind_aggregate(*kind, value.as_deref(), bindings, expr.span)
            }
            ExprKind::Chain { events, order_field, steps } => self.bind_chain(events, order_field, steps, expr.span),
            ExprKind::Array(elements) => self.bind_array(elements, expr.span),
            ExprKind::Object(fields) => self.bind_object(fields, expr.span),
            ExprKind::Time(word) => {
                Ok(Node { kind: NodeKind::TimeValue(*word), data_type: DataType::Timestamp, span: expr.span })
            }
            ExprKind::Let { name, value, body } => self.bind_let(name, value, body, |binder| binder.bind_expr(body)),
            ExprKind::Lambda { .. } => Err(Diagnostic::new(
                codes::BAD_PARAMETER,
                "a lambda is only allowed as the argument of a method",
                expr.span,
            )
            .with_help("pass it to a method that reads each element, e.g. `xEvent.map((E) => E.eventType)`")),
        }
    }

    fn bind_param(&mut self, position: u32, span: Span) -> Result<Node, Diagnostic> {
        if position != 1 {
            return Err(Diagnostic::new(
                codes::BAD_PARAMETER,
                format!("unknown parameter `${position}`"),
                span,
            )
            .with_help("a segment definition has one parameter, the profile: use `$1`"));
        }
        Ok(self.column(0, Vec::new(), span))
    }

    fn bind_ident(&mut self, name: &Name) -> Result<Node, Diagnostic> {
        match self.variable(&name.text) {
            Some(Variable::Row(scope, path)) => return Ok(self.column_at(scope, path, name.span)),
            Some(Variable::Let(index)) => return self.with_let(index, |binder, value| binder.bind_expr(value)),
            None => {}
        }
        let mut scope = *self.implicit.last().unwrap_or(&0);
        let missing_here = self.scopes[scope].field(&name.text).is_none();
        if self.profile_fallback == Some(scope) && missing_here && self.scopes[0].field(&name.text).is_some() {
            scope = 0;
        }
        let root = self.column(scope, Vec::new(), name.span);
        self.field_of(root, name, name.span)
    }

    fn bind_up(&mut self, levels: u32, path: &[Name], span: Span) -> Result<Node, Diagnostic> {
        let depth = self.implicit.len() - 1;
        let Some(index) = depth.checked_sub(levels as usize) else {
            return Err(Diagnostic::new(
                codes::SCOPE_UNDERFLOW,
                format!("`{}` climbs {levels} scopes but only {depth} enclosing filters are open", "^".repeat(levels as usize)),
                span,
            )
            .with_help("inside `xEvent[...]`, `^` is the profile; use one `^` per enclosing filter"));
        };
        let scope = self.implicit[index];
        let mut node = self.column(scope, Vec::new(), span);
        for name in path {
            node = self.field_of(node, name, span)?;
        }
        Ok(node)
    }

    fn bind_field(&mut self, base: &Expr, name: &Name, span: Span) -> Result<Node, Diagnostic> {
        let base = self.bind_expr(base)?;
        self.field_of(base, name, span)
    }

    /// Reads field `name` of a struct-typed column node.
    fn field_of(&mut self, base: Node, name: &Name, span: Span) -> Result<Node, Diagnostic> {
        if matches!(base.data_type, DataType::List(_)) {
            return self.list_field(base, name, span);
        }
        let NodeKind::Column { scope, path } = &base.kind else {
            return values::computed_field(base, name, span);
        };
        match &base.data_type {
            DataType::Struct(fields) => {
                let Some(field) = fields.iter().find(|field| field.name == name.text) else {
                    if *scope == 0 && path.is_empty() {
                        if let Some((_, arrow_type)) = self.unsupported.iter().find(|(column, _)| *column == name.text) {
                            return Err(Diagnostic::new(
                                codes::UNSUPPORTED_COLUMN,
                                format!("column `{}` has Arrow type {arrow_type}, which PQL cannot read", name.text),
                                name.span,
                            )
                            .with_help("convert the column to a string, number, boolean, timestamp, list, struct or map"));
                        }
                    }
                    return Err(unknown_field(name, &base, fields));
                };
                let mut path = path.clone();
                path.push(name.text.clone());
                Ok(Node {
                    kind: NodeKind::Column { scope: *scope, path },
                    data_type: field.data_type.clone(),
                    span: base.span.to(span),
                })
            }
            DataType::List(_) => self.list_field(base, name, span),
            DataType::Map(_) => Ok(values::map_entry(base, name, span)),
            other => Err(Diagnostic::new(
                codes::TYPE_MISMATCH,
                format!("cannot read field `{}` of a value of type {other}", name.text),
                name.span,
            )
            .with_help("only objects have fields")),
        }
    }

    /// Reads field `name` of every element of a list value, as a list in element order.
    fn list_field(&mut self, base: Node, name: &Name, span: Span) -> Result<Node, Diagnostic> {
        let element = base.data_type.element().cloned().unwrap_or(DataType::Null);
        let value = self.in_element_scope(&element, false, |binder| {
            let row = binder.column(binder.current_scope(), Vec::new(), span);
            binder.field_of(row, name, span)
        })?;
        let data_type = DataType::List(Box::new(value.data_type.clone()));
        let kind = NodeKind::ListMap { list: Box::new(base), filters: Vec::new(), element: Box::new(value) };
        Ok(Node { kind, data_type, span })
    }

    fn column(&self, scope: usize, path: Vec<String>, span: Span) -> Node {
        let data_type = self.scopes[scope].clone();
        Node { kind: NodeKind::Column { scope, path }, data_type, span }
    }

    /// Builds a column node for `path` below the row of `scope`, whose types the binder
    /// already checked when it made the variable.
    fn column_at(&self, scope: usize, path: Vec<String>, span: Span) -> Node {
        let mut data_type = self.scopes[scope].clone();
        for name in &path {
            data_type = data_type.field(name).cloned().unwrap_or(DataType::Null);
        }
        Node { kind: NodeKind::Column { scope, path }, data_type, span }
    }

    /// Looks a name up among the variables, innermost first.
    fn variable(&self, name: &str) -> Option<Variable> {
        self.variables.iter().rev().find(|(variable, _)| variable == name).map(|(_, target)| target.clone())
    }

    fn bind_negate(&mut self, operand: &Expr, span: Span) -> Result<Node, Diagnostic> {
        let operand = self.bind_expr(operand)?;
        if !operand.data_type.is_numeric() {
            return Err(type_mismatch("a number", &operand.data_type, operand.span));
        }
        let data_type = operand.data_type.clone();
        Ok(Node { kind: NodeKind::Negate(Box::new(operand)), data_type, span })
    }

    fn bind_binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> Result<Node, Diagnostic> {
        match op {
            BinaryOp::And | BinaryOp::Or => self.bind_logical(op, lhs, rhs, span),
            BinaryOp::Eq | BinaryOp::NotEq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq => {
                self.bind_compare(op, lhs, rhs, span)
            }
            BinaryOp::In | BinaryOp::NotIn => self.bind_in(op == BinaryOp::NotIn, lhs, rhs, span),
            BinaryOp::Like | BinaryOp::Matches => self.bind_pattern(op, lhs, rhs, span),
            BinaryOp::Add => self.bind_arithmetic(ArithmeticOp::Add, lhs, rhs, span),
            BinaryOp::Sub => self.bind_arithmetic(ArithmeticOp::Sub, lhs, rhs, span),
            BinaryOp::Mul => self.bind_arithmetic(ArithmeticOp::Mul, lhs, rhs, span),
            BinaryOp::Div => self.bind_arithmetic(ArithmeticOp::Div, lhs, rhs, span),
            BinaryOp::Rem => self.bind_arithmetic(ArithmeticOp::Rem, lhs, rhs, span),
        }
    }

    fn bind_logical(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> Result<Node, Diagnostic> {
        let mut operands = Vec::new();
        for side in [lhs, rhs] {
            let node = match self.bind_predicate(side) {
                Ok(node) => node,
                Err(diagnostic) => {
                    // The other operand binds on its own, so keep its problems too.
                    self.errors.push(diagnostic);
                    literal_node(&Literal::Bool(false), side.span)
                }
            };
            match (op, node.kind) {
                (BinaryOp::And, NodeKind::And(inner)) | (BinaryOp::Or, NodeKind::Or(inner)) => operands.extend(inner),
                (_, kind) => operands.push(Node { kind, ..node }),
            }
        }
        let kind = if op == BinaryOp::And { NodeKind::And(operands) } else { NodeKind::Or(operands) };
        Ok(Node { kind, data_type: DataType::Bool, span })
    }

    fn bind_arithmetic(&mut self, op: ArithmeticOp, lhs: &Expr, rhs: &Expr, span: Span) -> Result<Node, Diagnostic> {
        let lhs = self.bind_expr(lhs)?;
        let rhs = self.bind_expr(rhs)?;
        for side in [&lhs, &rhs] {
            if !side.data_type.is_numeric() {
                return Err(type_mismatch("a number", &side.data_type, side.span)
                    .with_help(format!("`{}` applies to integers and doubles", arithmetic_symbol(op))));
            }
        }
        let both_int = lhs.data_type == DataType::Int && rhs.data_type == DataType::Int;
        let (lhs, rhs, data_type) = if both_int && op != ArithmeticOp::Div {
            (lhs, rhs, DataType::Int)
        } else {
            (coerce::to_double(lhs), coerce::to_double(rhs), DataType::Double)
        };
        Ok(Node { kind: NodeKind::Arithmetic { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, data_type, span })
    }

    fn bind_call(&mut self, name: &Name, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        match name.text.as_str() {
            "inSegment" => self.bind_in_segment(args, span),
            "date" => self.bind_date_value(args, span),
            "if" => self.bind_if(args, span),
            "mapEntry" => self.bind_map_entry(args, span),
            "currentMonth" => self.bind_current(name, crate::plan::DatePart::Month, args, span),
            "currentYear" => self.bind_current(name, crate::plan::DatePart::Year, args, span),
            "currentDayOfMonth" => self.bind_current(name, crate::plan::DatePart::DayOfMonth, args, span),
            _ => {
                let known = ["inSegment", "date", "if", "mapEntry", "currentMonth", "currentYear", "currentDayOfMonth"];
                let mut diagnostic =
                    Diagnostic::new(codes::UNKNOWN_FUNCTION, format!("unknown function `{}`", name.text), name.span);
                diagnostic = match did_you_mean(&name.text, known) {
                    Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
                    None => diagnostic.with_help(format!(
                        "the PQL functions are {}; call a method on a value with `value.name(...)`",
                        known.join(", ")
                    )),
                };
                Err(diagnostic)
            }
        }
    }

    fn bind_in_segment(&mut self, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [arg] = args else {
            return Err(argument_count("inSegment", 1, args.len(), span));
        };
        let ExprKind::Literal(Literal::String(id)) = &arg.kind else {
            return Err(Diagnostic::new(codes::NOT_CONSTANT, "the segment id of `inSegment` must be a string literal", arg.span)
                .with_help("write the id in quotes, e.g. `inSegment(\"frequent-buyers\")`"));
        };
        if !self.dependencies.contains(id) {
            self.dependencies.push(id.clone());
        }
        Ok(Node { kind: NodeKind::InSegment(id.clone()), data_type: DataType::Bool, span })
    }

    /// Opens a child scope whose rows have `row_type`, returning its index.
    fn push_scope(&mut self, row_type: DataType) -> usize {
        self.scopes.push(row_type);
        self.current_scope()
    }

    fn pop_scope(&mut self) {
        self.scopes.pop();
    }
}

/// What a variable names.
#[derive(Clone, Debug)]
pub(crate) enum Variable {
    /// A field path below the row of a scope; an empty path is the row itself.
    Row(usize, Vec<String>),
    /// A `let` binding, by its index in [`Binder::lets`].
    Let(usize),
}

/// A `let` value and the names visible where it was written, so that each use binds it as
/// written even inside a filter or comprehension opened later.
#[derive(Clone, Debug)]
pub(crate) struct LetBinding {
    /// The bound expression.
    expr: Expr,
    /// The implicit scopes at the `let`.
    implicit: Vec<usize>,
    /// The number of variables visible at the `let`.
    variables: usize,
    /// The profile fallback at the `let`.
    profile_fallback: Option<usize>,
}

/// Returns true for node kinds that never yield null, per the plan's null rules.
pub(crate) fn is_predicate(kind: &NodeKind) -> bool {
    use crate::plan::ListFunction;
    match kind {
        NodeKind::Literal(_)
        | NodeKind::Column { .. }
        | NodeKind::Arithmetic { .. }
        | NodeKind::Negate(_)
        | NodeKind::ToDouble(_)
        | NodeKind::If { .. }
        | NodeKind::TimeValue(_)
        | NodeKind::DatePart { .. }
        | NodeKind::MakeDate { .. }
        | NodeKind::RegexGroup { .. }
        | NodeKind::MapGet { .. }
        | NodeKind::MapList { .. }
        | NodeKind::ToMap(_)
        | NodeKind::Object(_)
        | NodeKind::Field { .. }
        | NodeKind::ListMap { .. }
        | NodeKind::ListTop { .. }
        | NodeKind::Distinct(_)
        | NodeKind::GroupBy { .. }
        | NodeKind::Flatten(_)
        | NodeKind::Array(_) => false,
        NodeKind::ListAggregate { function, .. } => {
            matches!(function, ListFunction::Exists | ListFunction::Forall(_))
        }
        _ => true,
    }
}

/// Wraps a value at a boolean position so that it never yields null.
pub(crate) fn to_predicate(node: Node) -> Node {
    if is_predicate(&node.kind) {
        return node;
    }
    let span = node.span;
    Node { kind: NodeKind::Truthy(Box::new(node)), data_type: DataType::Bool, span }
}

fn literal_node(literal: &Literal, span: Span) -> Node {
    let scalar = match literal {
        Literal::String(value) => Scalar::String(value.clone()),
        Literal::Int(value) => Scalar::Int(*value),
        Literal::Double(value) => Scalar::Double(*value),
        Literal::Bool(value) => Scalar::Bool(*value),
    };
    Node { data_type: scalar.data_type(), kind: NodeKind::Literal(scalar), span }
}

fn arithmetic_symbol(op: ArithmeticOp) -> &'static str {
    match op {
        ArithmeticOp::Add => "+",
        ArithmeticOp::Sub => "-",
        ArithmeticOp::Mul => "*",
        ArithmeticOp::Div => "/",
        ArithmeticOp::Rem => "%",
    }
}

fn unknown_field(name: &Name, base: &Node, fields: &[FieldType]) -> Diagnostic {
    let owner = match &base.kind {
        NodeKind::Column { path, .. } if !path.is_empty() => format!(" in `{}`", path.join(".")),
        _ => String::new(),
    };
    let diagnostic = Diagnostic::new(codes::UNKNOWN_FIELD, format!("unknown field `{}`{owner}", name.text), name.span);
    if let Some(suggestion) = did_you_mean(&name.text, fields.iter().map(|field| field.name.as_str())) {
        return diagnostic.with_help(format!("did you mean `{suggestion}`?"));
    }
    let mut names: Vec<&str> = fields.iter().map(|field| field.name.as_str()).collect();
    names.sort_unstable();
    let shown = names.iter().take(12).map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ");
    let more = if names.len() > 12 { format!(" and {} more", names.len() - 12) } else { String::new() };
    diagnostic.with_help(format!("available fields: {shown}{more}"))
}

pub(crate) fn type_mismatch(expected: &str, found: &DataType, span: Span) -> Diagnostic {
    Diagnostic::new(codes::TYPE_MISMATCH, format!("expected {expected}, found {found}"), span)
}

pub(crate) fn argument_count(function: &str, expected: usize, found: usize, span: Span) -> Diagnostic {
    let plural = if expected == 1 { "" } else { "s" };
    Diagnostic::new(
        codes::ARGUMENT_COUNT,
        format!("`{function}` takes {expected} argument{plural}, found {found}"),
        span,
    )
}


