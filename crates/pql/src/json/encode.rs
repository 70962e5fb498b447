//! Syntax tree to `pql/json`, through an ordered node tree that can become either a
//! `serde_json::Value` or compact text with the keys in the documented order.

use std::fmt::Write as _;

use crate::ast::{
    AggregateKind, BinaryOp, Binding, ChainStep, Expr, ExprKind, Literal, Name, OccursTail, QuantifierKind, Query,
    TimeWord, UnaryOp,
};

/// A JSON value whose objects keep their keys in insertion order.
pub(super) enum Json {
    Bool(bool),
    Int(i64),
    Unsigned(u64),
    Double(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(&'static str, Json)>),
}

impl Json {
    pub(super) fn into_value(self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Json::Bool(value) => Value::Bool(value),
            Json::Int(value) => Value::from(value),
            Json::Unsigned(value) => Value::from(value),
            // `Value::from` turns a non-finite double into `null`.
            Json::Double(value) => Value::from(value),
            Json::String(value) => Value::String(value),
            Json::Array(items) => Value::Array(items.into_iter().map(Json::into_value).collect()),
            Json::Object(entries) => {
                Value::Object(entries.into_iter().map(|(key, value)| (key.to_string(), value.into_value())).collect())
            }
        }
    }

    pub(super) fn write_to(&self, out: &mut String) {
        match self {
            Json::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
            Json::Int(value) => {
                let _ = write!(out, "{value}");
            }
            Json::Unsigned(value) => {
                let _ = write!(out, "{value}");
            }
            Json::Double(value) => out.push_str(&serde_json::Value::from(*value).to_string()),
            Json::String(value) => write_string(out, value),
            Json::Array(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    item.write_to(out);
                }
                out.push(']');
            }
            Json::Object(entries) => {
                out.push('{');
                for (index, (key, value)) in entries.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    write_string(out, key);
                    out.push(':');
                    value.write_to(out);
                }
                out.push('}');
            }
        }
    }
}

fn write_string(out: &mut String, text: &str) {
    // Serializing a `str` cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_default());
}

fn string(text: &str) -> Json {
    Json::String(text.to_string())
}

fn node(node_type: &'static str, mut fields: Vec<(&'static str, Json)>) -> Json {
    fields.insert(0, ("nodeType", string(node_type)));
    Json::Object(fields)
}

/// The `fnName` of each operator.
pub(super) fn binary_name(op: BinaryOp) -> &'static str {
    op.symbol()
}

pub(super) fn unary_name(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Not => "not",
        UnaryOp::Neg => "neg",
    }
}

/// Every operator `fnName`. A function call with one of these names is marked `"call": true`.
pub(super) const OPERATOR_NAMES: [&str; 19] = [
    "or", "and", "=", "!=", "<", "<=", ">", ">=", "in", "notIn", "like", "matches", "+", "-", "*", "/", "%", "not",
    "neg",
];

pub(super) fn quantifier_name(kind: QuantifierKind) -> &'static str {
    match kind {
        QuantifierKind::Select => "select",
        QuantifierKind::Exists => "exists",
        QuantifierKind::Forall => "forall",
    }
}

pub(super) fn aggregate_name(kind: AggregateKind) -> &'static str {
    kind.keyword()
}

pub(super) fn encode_query(query: &Query) -> Json {
    let mut encoder = Encoder { variables: Vec::new() };
    let lambda_body = matches!(query.body.kind, ExprKind::Lambda { .. });
    if query.params.is_empty() && !lambda_body {
        return encoder.expr(&query.body);
    }
    // A lambda head, or a body that is itself a lambda, is written as an `fnCreate` root, so
    // that a root `fnCreate` always stands for the head.
    encoder.lambda(&query.params, &query.body)
}

/// Writes nodes, tracking the variables in scope so that a bare identifier naming one becomes a
/// `varRef`, and any other a field lookup on the implicit parameter.
struct Encoder {
    variables: Vec<String>,
}

impl Encoder {
    fn expr(&mut self, expr: &Expr) -> Json {
        match &expr.kind {
            ExprKind::Literal(literal) => encode_literal(literal),
            ExprKind::Array(elements) => {
                let elements = elements.iter().map(|element| self.expr(element)).collect();
                node("array", vec![("elements", Json::Array(elements))])
            }
            ExprKind::Object(entries) => {
                let entries = entries
                    .iter()
                    .map(|(key, value)| Json::Object(vec![("key", string(key)), ("value", self.expr(value))]))
                    .collect();
                node("object", vec![("entries", Json::Array(entries))])
            }
            ExprKind::Time(word) => encode_time(*word),
            ExprKind::Param(position) => node(
                "parameterReference",
                vec![("position", Json::Unsigned(u64::from(*position))), ("explicit", Json::Bool(true))],
            ),
            ExprKind::Ident(name) => self.ident(name),
            ExprKind::This => node("this", Vec::new()),
            ExprKind::Up { levels, path } => node(
                "upReference",
                vec![
                    ("levels", Json::Unsigned(u64::from(*levels))),
                    ("path", Json::Array(path.iter().map(|name| string(&name.text)).collect())),
                ],
            ),
            ExprKind::Field { base, name } => {
                node("fieldLookup", vec![("fieldName", string(&name.text)), ("object", self.expr(base))])
            }
            ExprKind::Method { receiver, name, args } => {
                let mut params = vec![self.expr(receiver)];
                params.extend(args.iter().map(|arg| self.expr(arg)));
                node(
                    "fnApply",
                    vec![("fnName", string(&name.text)), ("method", Json::Bool(true)), ("params", Json::Array(params))],
                )
            }
            ExprKind::Call { name, args } => {
                let mut fields = vec![("fnName", string(&name.text))];
                if OPERATOR_NAMES.contains(&name.text.as_str()) {
                    fields.push(("call", Json::Bool(true)));
                }
                fields.push(("params", self.list(args)));
                node("fnApply", fields)
            }
            ExprKind::Filter { base, cond } => {
                node("filter", vec![("object", self.expr(base)), ("condition", self.expr(cond))])
            }
            ExprKind::Unary { op, operand } => apply(unary_name(*op), vec![self.expr(operand)]),
            ExprKind::Binary { op, lhs, rhs } => {
                let params = vec![self.expr(lhs), self.expr(rhs)];
                apply(binary_name(*op), params)
            }
            ExprKind::Occurs { subject, tail } => {
                node("occurs", vec![("subject", self.expr(subject)), ("tail", self.tail(tail))])
            }
            ExprKind::Quantifier { kind, bindings } => {
                let depth = self.variables.len();
                let bindings = self.bindings(bindings);
                self.variables.truncate(depth);
                node("quantifier", vec![("quantifier", string(quantifier_name(*kind))), ("bindings", bindings)])
            }
            ExprKind::Aggregate { kind, value, bindings } => {
                let depth = self.variables.len();
                let bindings = self.bindings(bindings);
                let mut fields = vec![("fnName", string(aggregate_name(*kind)))];
                if let Some(value) = value {
                    fields.push(("value", self.expr(value)));
                }
                self.variables.truncate(depth);
                fields.push(("bindings", bindings));
                node("aggregate", fields)
            }
            ExprKind::Let { name, value, body } => {
                let value = self.expr(value);
                self.variables.push(name.text.clone());
                let body = self.expr(body);
                self.variables.pop();
                node("letIn", vec![("varName", string(&name.text)), ("value", value), ("body", body)])
            }
            ExprKind::Lambda { params, body } => self.lambda(params, body),
            ExprKind::Chain { events, order_field, steps } => {
                let events = self.expr(events);
                let steps = steps.iter().map(|step| self.step(step)).collect();
                node(
                    "chain",
                    vec![("events", events), ("orderField", string(&order_field.text)), ("steps", Json::Array(steps))],
                )
            }
        }
    }

    fn ident(&self, name: &Name) -> Json {
        if self.variables.contains(&name.text) {
            return node("varRef", vec![("varName", string(&name.text))]);
        }
        let implicit = node("parameterReference", vec![("position", Json::Unsigned(1))]);
        node("fieldLookup", vec![("fieldName", string(&name.text)), ("object", implicit)])
    }

    fn list(&mut self, exprs: &[Expr]) -> Json {
        Json::Array(exprs.iter().map(|expr| self.expr(expr)).collect())
    }

    fn lambda(&mut self, params: &[Name], body: &Expr) -> Json {
        let depth = self.variables.len();
        self.variables.extend(params.iter().map(|name| name.text.clone()));
        let body = self.expr(body);
        self.variables.truncate(depth);
        let params = params.iter().map(|name| Json::Object(vec![("varName", string(&name.text))])).collect();
        node("fnCreate", vec![("params", Json::Array(params)), ("body", body)])
    }

    /// Writes the bindings and leaves their variables in scope; the caller removes them.
    fn bindings(&mut self, bindings: &[Binding]) -> Json {
        let mut out = Vec::with_capacity(bindings.len());
        for binding in bindings {
            let range = self.expr(&binding.range);
            self.variables.push(binding.var.text.clone());
            let mut fields = vec![("varName", string(&binding.var.text)), ("range", range)];
            if let Some(cond) = &binding.cond {
                fields.push(("condition", self.expr(cond)));
            }
            out.push(node("varDecl", fields));
        }
        Json::Array(out)
    }

    fn tail(&mut self, tail: &OccursTail) -> Json {
        match tail {
            OccursTail::Offset { cmp, amount, unit, direction, reference } => Json::Object(vec![
                ("form", string("offset")),
                ("comparison", string(cmp.symbol())),
                ("amount", Json::Unsigned(*amount)),
                ("unit", string(unit.singular())),
                ("direction", string(direction.keyword())),
                ("reference", self.expr(reference)),
            ]),
            OccursTail::Direction { direction, reference } => Json::Object(vec![
                ("form", string("direction")),
                ("direction", string(direction.keyword())),
                ("reference", self.expr(reference)),
            ]),
            OccursTail::On { reference } => {
                Json::Object(vec![("form", string("on")), ("reference", self.expr(reference))])
            }
            OccursTail::Between { start, end } => {
                Json::Object(vec![("form", string("between")), ("start", self.expr(start)), ("end", self.expr(end))])
            }
        }
    }

    fn step(&mut self, step: &ChainStep) -> Json {
        let mut fields = vec![("label", string(&step.label.text)), ("what", self.expr(&step.what))];
        if let Some(when) = &step.when {
            fields.push(("when", self.tail(when)));
        }
        if let Some(count) = step.count {
            fields.push(("count", Json::Unsigned(count)));
        }
        if let Some(where_) = &step.where_ {
            fields.push(("where", self.expr(where_)));
        }
        Json::Object(fields)
    }
}

fn apply(name: &'static str, params: Vec<Json>) -> Json {
    node("fnApply", vec![("fnName", string(name)), ("params", Json::Array(params))])
}

fn encode_literal(literal: &Literal) -> Json {
    let (literal_type, value) = match literal {
        Literal::String(value) => ("String", string(value)),
        Literal::Int(value) => ("Integer", Json::Int(*value)),
        Literal::Double(value) => ("Double", Json::Double(*value)),
        Literal::Bool(value) => ("Boolean", Json::Bool(*value)),
    };
    node("literal", vec![("literalType", string(literal_type)), ("value", value)])
}

fn encode_time(word: TimeWord) -> Json {
    let (word, unit) = match word {
        TimeWord::Now => ("now", None),
        TimeWord::Today => ("today", None),
        TimeWord::Yesterday => ("yesterday", None),
        TimeWord::Tomorrow => ("tomorrow", None),
        TimeWord::This(unit) => ("this", Some(unit)),
        TimeWord::Last(unit) => ("last", Some(unit)),
        TimeWord::Next(unit) => ("next", Some(unit)),
    };
    let mut fields = vec![("word", string(word))];
    if let Some(unit) = unit {
        fields.push(("unit", string(unit.singular())));
    }
    node("timeReference", fields)
}

/// Returns the number of nested nodes on the longest path from `expr` down, counting occurs
/// tails, bindings and chain steps through their expressions. Its frames are small, so that it
/// can measure a deep tree before the encoder recurses through it.
pub(super) fn tree_depth(expr: &Expr) -> usize {
    let mut deepest = 0;
    for_each_child(expr, &mut |child| deepest = deepest.max(tree_depth(child)));
    deepest + 1
}

fn for_each_child(expr: &Expr, visit: &mut dyn FnMut(&Expr)) {
    match &expr.kind {
        ExprKind::Literal(_)
        | ExprKind::Time(_)
        | ExprKind::Param(_)
        | ExprKind::Ident(_)
        | ExprKind::This
        | ExprKind::Up { .. } => {}
        ExprKind::Array(elements) => elements.iter().for_each(visit),
        ExprKind::Object(entries) => entries.iter().for_each(|(_, value)| visit(value)),
        ExprKind::Field { base, .. } => visit(base),
        ExprKind::Method { receiver, args, .. } => {
            visit(receiver);
            args.iter().for_each(visit);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(visit),
        ExprKind::Filter { base, cond } => {
            visit(base);
            visit(cond);
        }
        ExprKind::Unary { operand, .. } => visit(operand),
        ExprKind::Binary { lhs, rhs, .. } => {
            visit(lhs);
            visit(rhs);
        }
        ExprKind::Occurs { subject, tail } => {
            visit(subject);
            for_each_tail_child(tail, visit);
        }
        ExprKind::Quantifier { bindings, .. } => for_each_binding_child(bindings, visit),
        ExprKind::Aggregate { value, bindings, .. } => {
            if let Some(value) = value {
                visit(value);
            }
            for_each_binding_child(bindings, visit);
        }
        ExprKind::Let { value, body, .. } => {
            visit(value);
            visit(body);
        }
        ExprKind::Lambda { body, .. } => visit(body),
        ExprKind::Chain { events, steps, .. } => {
            visit(events);
            for step in steps {
                visit(&step.what);
                if let Some(when) = &step.when {
                    for_each_tail_child(when, visit);
                }
                if let Some(where_) = &step.where_ {
                    visit(where_);
                }
            }
        }
    }
}

fn for_each_tail_child(tail: &OccursTail, visit: &mut dyn FnMut(&Expr)) {
    match tail {
        OccursTail::Offset { reference, .. }
        | OccursTail::Direction { reference, .. }
        | OccursTail::On { reference } => visit(reference),
        OccursTail::Between { start, end } => {
            visit(start);
            visit(end);
        }
    }
}

fn for_each_binding_child(bindings: &[Binding], visit: &mut dyn FnMut(&Expr)) {
    for binding in bindings {
        visit(&binding.range);
        if let Some(cond) = &binding.cond {
            visit(cond);
        }
    }
}
