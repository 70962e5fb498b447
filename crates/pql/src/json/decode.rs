//! `pql/json` to syntax tree, with errors that name the JSON path of the bad node.

use std::fmt;

use serde_json::{Map, Value};

use super::encode::{OPERATOR_NAMES, aggregate_name, binary_name, quantifier_name, unary_name};
use super::{JSON_ERROR_CODE, MAX_JSON_DEPTH};
use crate::ast::{
    AggregateKind, BinaryOp, Binding, ChainStep, Comparison, Direction, Expr, ExprKind, Literal, Name, OccursTail,
    QuantifierKind, Query, Span, TimeUnit, TimeWord, UnaryOp,
};
use crate::diagnostic::{Diagnostic, did_you_mean};

type Result<T> = std::result::Result<T, Diagnostic>;

/// Every node type that may stand where an expression is expected.
const NODE_TYPES: [&str; 17] = [
    "literal",
    "fieldLookup",
    "parameterReference",
    "fnApply",
    "varRef",
    "fnCreate",
    "filter",
    "this",
    "upReference",
    "timeReference",
    "occurs",
    "quantifier",
    "aggregate",
    "letIn",
    "array",
    "object",
    "chain",
];

const HELP_FORMAT: &str = "docs/pql-json.md lists the fields of every node type";

/// The location of a JSON value, as a chain of steps from the root, kept on the stack.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Step<'a>,
    depth: usize,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path { parent: None, step: Step::Root, depth: 0 };

    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path { parent: Some(self), step: Step::Key(key), depth: self.depth + 1 }
    }

    fn index(&'a self, index: usize) -> Path<'a> {
        Path { parent: Some(self), step: Step::Index(index), depth: self.depth + 1 }
    }

    fn error(&self, problem: impl fmt::Display, help: impl Into<String>) -> Diagnostic {
        Diagnostic::new(JSON_ERROR_CODE, format!("{self}: {problem}"), Span::default()).with_help(help)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut steps = Vec::new();
        let mut current = Some(self);
        while let Some(path) = current {
            steps.push(path.step);
            current = path.parent;
        }
        let mut wrote_key = false;
        for step in steps.into_iter().rev() {
            match step {
                Step::Root => {}
                Step::Key(key) => {
                    if wrote_key {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                    wrote_key = true;
                }
                Step::Index(index) => {
                    write!(f, "[{index}]")?;
                    wrote_key = true;
                }
            }
        }
        if !wrote_key {
            f.write_str("root")?;
        }
        Ok(())
    }
}

pub(super) fn decode_query(value: &Value) -> Result<Query> {
    let path = Path::ROOT;
    let object = as_object(value, &path)?;
    if node_type(object, &path)? != "fnCreate" {
        return Ok(Query { params: Vec::new(), body: expr(value, &path)? });
    }
    // A root `fnCreate` is the lambda head of the definition.
    let params = lambda_params(object, &path)?;
    let body = child(object, "body", &path)?;
    Ok(Query { params, body })
}

fn as_object<'v>(value: &'v Value, path: &Path<'_>) -> Result<&'v Map<String, Value>> {
    match value {
        Value::Object(object) => Ok(object),
        other => Err(path.error(
            format!("expected a node object, found {}", kind_of(other)),
            format!("write a JSON object with a \"nodeType\" key; {HELP_FORMAT}"),
        )),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn field<'v>(object: &'v Map<String, Value>, key: &str, path: &Path<'_>) -> Result<&'v Value> {
    object.get(key).ok_or_else(|| path.error(format!("missing \"{key}\""), format!("add \"{key}\"; {HELP_FORMAT}")))
}

fn string_field<'v>(object: &'v Map<String, Value>, key: &str, path: &Path<'_>) -> Result<&'v str> {
    match field(object, key, path)? {
        Value::String(text) => Ok(text),
        other => Err(path.key(key).error(
            format!("expected a string, found {}", kind_of(other)),
            format!("write \"{key}\" as a JSON string"),
        )),
    }
}

fn array_field<'v>(object: &'v Map<String, Value>, key: &str, path: &Path<'_>) -> Result<&'v [Value]> {
    match field(object, key, path)? {
        Value::Array(items) => Ok(items),
        other => Err(path
            .key(key)
            .error(format!("expected an array, found {}", kind_of(other)), format!("write \"{key}\" as a JSON array"))),
    }
}

fn bool_flag(object: &Map<String, Value>, key: &str, path: &Path<'_>) -> Result<bool> {
    match object.get(key) {
        None => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(other) => Err(path.key(key).error(
            format!("expected a boolean, found {}", kind_of(other)),
            format!("write \"{key}\" as true or false, or leave it out"),
        )),
    }
}

fn unsigned_field(object: &Map<String, Value>, key: &str, minimum: u64, max: u64, path: &Path<'_>) -> Result<u64> {
    let value = field(object, key, path)?;
    match value.as_u64() {
        Some(number) if (minimum..=max).contains(&number) => Ok(number),
        _ => Err(path.key(key).error(
            format!("expected an integer from {minimum} to {max}, found {value}"),
            format!("write \"{key}\" as a whole number in that range"),
        )),
    }
}

fn name_field(object: &Map<String, Value>, key: &str, path: &Path<'_>) -> Result<Name> {
    string_field(object, key, path).map(Name::new)
}

fn node_type<'v>(object: &'v Map<String, Value>, path: &Path<'_>) -> Result<&'v str> {
    string_field(object, "nodeType", path)
}

/// Picks the keyword that `text` names, or fails listing the valid ones.
fn keyword<T: Copy>(text: &str, choices: &[(&str, T)], path: &Path<'_>, description: &str) -> Result<T> {
    if let Some((_, value)) = choices.iter().find(|(word, _)| *word == text) {
        return Ok(*value);
    }
    let valid: Vec<&str> = choices.iter().map(|(word, _)| *word).collect();
    Err(path.error(format!("invalid {description} {text:?}"), format!("write one of: {}", valid.join(", "))))
}

fn child(object: &Map<String, Value>, key: &str, path: &Path<'_>) -> Result<Expr> {
    expr(field(object, key, path)?, &path.key(key))
}

fn optional_child(object: &Map<String, Value>, key: &str, path: &Path<'_>) -> Result<Option<Expr>> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => expr(value, &path.key(key)).map(Some),
    }
}

fn expr_list(items: &[Value], path: &Path<'_>) -> Result<Vec<Expr>> {
    items.iter().enumerate().map(|(index, item)| expr(item, &path.index(index))).collect()
}

fn expr(value: &Value, path: &Path<'_>) -> Result<Expr> {
    // The value at `path` is nested `path.depth + 1` levels deep.
    if path.depth >= MAX_JSON_DEPTH {
        return Err(path.error(
            format!("JSON input nests deeper than {MAX_JSON_DEPTH} levels"),
            "split the definition into smaller ones",
        ));
    }
    let object = as_object(value, path)?;
    let kind = match node_type(object, path)? {
        // The old root form: the profile written as an `XDMObject` literal.
        "literal" if is_xdm_profile(object) => ExprKind::Param(1),
        "literal" => ExprKind::Literal(literal(object, path)?),
        "parameterReference" => ExprKind::Param(position(object, path)?),
        "fieldLookup" => field_lookup(object, path)?,
        "varRef" => ExprKind::Ident(name_field(object, "varName", path)?),
        "fnApply" => fn_apply(object, path)?,
        "fnCreate" => {
            let params = lambda_params(object, path)?;
            ExprKind::Lambda { params, body: Box::new(child(object, "body", path)?) }
        }
        "filter" => ExprKind::Filter {
            base: Box::new(child(object, "object", path)?),
            cond: Box::new(child(object, "condition", path)?),
        },
        "this" => ExprKind::This,
        "upReference" => up_reference(object, path)?,
        "timeReference" => ExprKind::Time(time_word(object, path)?),
        "occurs" => ExprKind::Occurs {
            subject: Box::new(child(object, "subject", path)?),
            tail: tail(field(object, "tail", path)?, &path.key("tail"))?,
        },
        "quantifier" => quantifier(object, path)?,
        "aggregate" => aggregate(object, path)?,
        "letIn" => ExprKind::Let {
            name: name_field(object, "varName", path)?,
            value: Box::new(child(object, "value", path)?),
            body: Box::new(child(object, "body", path)?),
        },
        "array" => ExprKind::Array(expr_list(array_field(object, "elements", path)?, &path.key("elements"))?),
        "object" => object_literal(object, path)?,
        "chain" => chain(object, path)?,
        "set" => {
            return Err(path.error(
                "a set node mixes conditions and bindings in a way that has no defined meaning",
                "write the conditions joined with \"and\", and the bindings as a quantifier node",
            ));
        }
        "varDecl" => {
            return Err(path.error(
                "a varDecl node is only valid in the \"bindings\" of a quantifier or aggregate",
                "move the binding into a quantifier or aggregate node",
            ));
        }
        other => {
            let help = match did_you_mean(other, NODE_TYPES) {
                Some(suggestion) => format!("did you mean \"{suggestion}\"?"),
                None => format!("write one of: {}", NODE_TYPES.join(", ")),
            };
            return Err(path.key("nodeType").error(format!("unknown node type {other:?}"), help));
        }
    };
    Ok(Expr::new(kind))
}

fn literal(object: &Map<String, Value>, path: &Path<'_>) -> Result<Literal> {
    let literal_type = string_field(object, "literalType", path)?;
    let value = field(object, "value", path)?;
    let value_path = path.key("value");
    let mismatch = |expected: &str| {
        value_path.error(
            format!("expected {expected} for literalType {literal_type:?}, found {value}"),
            format!("write the value as {expected}, or change \"literalType\""),
        )
    };
    match literal_type {
        "String" | "string" => {
            value.as_str().map(|text| Literal::String(text.to_string())).ok_or_else(|| mismatch("a string"))
        }
        "Integer" | "integer" => {
            let number = match value {
                Value::Number(number) => number.as_i64(),
                // Older pql/json writes integer values as strings, such as "6".
                Value::String(text) => text.parse::<i64>().ok(),
                _ => None,
            };
            number.map(Literal::Int).ok_or_else(|| mismatch("a 64-bit integer, as a number or a string of digits"))
        }
        "Double" | "double" => value.as_f64().map(Literal::Double).ok_or_else(|| mismatch("a number")),
        "Boolean" | "boolean" => value.as_bool().map(Literal::Bool).ok_or_else(|| mismatch("true or false")),
        other => Err(path
            .key("literalType")
            .error(
                format!("unknown literalType {other:?}"),
                "write one of: String, Integer, Double, Boolean, or XDMObject with the value \"profile\"",
            )),
    }
}

fn position(object: &Map<String, Value>, path: &Path<'_>) -> Result<u32> {
    bool_flag(object, "explicit", path)?;
    let position = unsigned_field(object, "position", 1, u64::from(u32::MAX), path)?;
    // `unsigned_field` checked the range.
    Ok(u32::try_from(position).unwrap_or(u32::MAX))
}

/// Reads an `fnApply` whose `function` is an `fnCreate` with one parameter, applied to one
/// array: the elements of the array for which the lambda's body holds, which is how older
/// pql/json writes a filtered range such as "the events whose device model is 1". The result is
/// the method call `array.filter((X) => body)`.
fn lambda_apply(object: &Map<String, Value>, path: &Path<'_>) -> Result<ExprKind> {
    let function_path = path.key("function");
    let function_value = field(object, "function", path)?;
    let function = as_object(function_value, &function_path)?;
    if node_type(function, &function_path)? != "fnCreate" {
        return Err(function_path.key("nodeType").error(
            "the \"function\" of an fnApply must be an fnCreate node",
            "write the lambda as {\"nodeType\":\"fnCreate\",\"params\":[…],\"body\":…}",
        ));
    }
    let lambda = expr(function_value, &function_path)?;
    let params_path = path.key("params");
    let mut params = expr_list(array_field(object, "params", path)?, &params_path)?;
    let lambda_arity = match &lambda.kind {
        ExprKind::Lambda { params, .. } => params.len(),
        _ => 0,
    };
    if lambda_arity != 1 || params.len() != 1 {
        return Err(params_path.error(
            format!(
                "an fnApply of a lambda filters one array with a one-parameter lambda, found {lambda_arity} lambda parameters and {} arguments",
                params.len()
            ),
            "give the fnCreate one parameter and the fnApply one array in \"params\"",
        ));
    }
    let receiver = Box::new(params.remove(0));
    Ok(ExprKind::Method { receiver, name: Name::new("filter"), args: vec![lambda] })
}

/// Returns true for the profile root: a `parameterReference` with position 1 and no
/// `"explicit": true`, or the `XDMObject` literal `"profile"` that older pql/json writes.
fn is_profile_root(base: &Map<String, Value>, path: &Path<'_>) -> Result<bool> {
    match base.get("nodeType").and_then(Value::as_str) {
        Some("parameterReference") => Ok(position(base, path)? == 1 && !bool_flag(base, "explicit", path)?),
        Some("literal") => Ok(is_xdm_profile(base)),
        _ => Ok(false),
    }
}

fn is_xdm_profile(literal: &Map<String, Value>) -> bool {
    literal.get("literalType").and_then(Value::as_str) == Some("XDMObject")
        && literal.get("value").and_then(Value::as_str) == Some("profile")
}

/// Reads a field lookup. On a `parameterReference` with position 1 and no `"explicit": true`,
/// it is a bare identifier such as `workAddress`. Otherwise it reads a field of its object.
fn field_lookup(object: &Map<String, Value>, path: &Path<'_>) -> Result<ExprKind> {
    let name = name_field(object, "fieldName", path)?;
    let base_value = field(object, "object", path)?;
    let base_path = path.key("object");
    if let Value::Object(base) = base_value
        && is_profile_root(base, &base_path)?
    {
        return Ok(ExprKind::Ident(name));
    }
    Ok(ExprKind::Field { base: Box::new(expr(base_value, &base_path)?), name })
}

fn fn_apply(object: &Map<String, Value>, path: &Path<'_>) -> Result<ExprKind> {
    if object.contains_key("function") {
        return lambda_apply(object, path);
    }
    let name = string_field(object, "fnName", path)?;
    let params_path = path.key("params");
    let mut params = expr_list(array_field(object, "params", path)?, &params_path)?;

    if bool_flag(object, "method", path)? {
        if params.is_empty() {
            return Err(params_path.error(
                format!("method {name:?} has no receiver"),
                "put the receiver first in \"params\", then the arguments",
            ));
        }
        let receiver = Box::new(params.remove(0));
        return Ok(ExprKind::Method { receiver, name: Name::new(name), args: params });
    }
    // `!` is read as `not`, as in PQL text.
    let is_operator = OPERATOR_NAMES.contains(&name) || name == "!";
    if bool_flag(object, "call", path)? || !is_operator {
        return Ok(ExprKind::Call { name: Name::new(name), args: params });
    }

    let unary = [UnaryOp::Not, UnaryOp::Neg].into_iter().find(|op| unary_name(*op) == name);
    // `-` with one operand is negation, as in PQL text.
    let unary =
        unary.or((name == "-" && params.len() == 1).then_some(UnaryOp::Neg)).or((name == "!").then_some(UnaryOp::Not));
    if let Some(op) = unary {
        let [operand] = take_params::<1>(params, name, &params_path)?;
        return Ok(ExprKind::Unary { op, operand: Box::new(operand) });
    }
    let op = BinaryOp::ALL.into_iter().find(|op| binary_name(*op) == name).unwrap_or(BinaryOp::Eq);
    let [lhs, rhs] = take_params::<2>(params, name, &params_path)?;
    Ok(ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) })
}

fn take_params<const N: usize>(params: Vec<Expr>, name: &str, path: &Path<'_>) -> Result<[Expr; N]> {
    let count = params.len();
    params.try_into().map_err(|_| {
        path.error(
            format!("operator {name:?} takes {N} operands, found {count}"),
            "fix the operands, or add \"call\": true for a function with this name",
        )
    })
}

fn lambda_params(object: &Map<String, Value>, path: &Path<'_>) -> Result<Vec<Name>> {
    let params_path = path.key("params");
    let items = array_field(object, "params", path)?;
    let mut names = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let item_path = params_path.index(index);
        names.push(name_field(as_object(item, &item_path)?, "varName", &item_path)?);
    }
    Ok(names)
}

fn up_reference(object: &Map<String, Value>, path: &Path<'_>) -> Result<ExprKind> {
    let levels = unsigned_field(object, "levels", 1, u64::from(u32::MAX), path)?;
    let path_key = path.key("path");
    let mut names = Vec::new();
    for (index, item) in array_field(object, "path", path)?.iter().enumerate() {
        match item {
            Value::String(text) => names.push(Name::new(text.as_str())),
            other => {
                return Err(path_key.index(index).error(
                    format!("expected a field name string, found {}", kind_of(other)),
                    "write the path as an array of field names",
                ));
            }
        }
    }
    Ok(ExprKind::Up { levels: u32::try_from(levels).unwrap_or(u32::MAX), path: names })
}

fn unit(object: &Map<String, Value>, path: &Path<'_>) -> Result<TimeUnit> {
    let text = string_field(object, "unit", path)?;
    let choices: Vec<(&str, TimeUnit)> = TimeUnit::ALL.iter().map(|unit| (unit.singular(), *unit)).collect();
    keyword(text, &choices, &path.key("unit"), "time unit")
}

fn time_word(object: &Map<String, Value>, path: &Path<'_>) -> Result<TimeWord> {
    let word = string_field(object, "word", path)?;
    let word_path = path.key("word");
    match word {
        "now" => Ok(TimeWord::Now),
        "today" => Ok(TimeWord::Today),
        "yesterday" => Ok(TimeWord::Yesterday),
        "tomorrow" => Ok(TimeWord::Tomorrow),
        "this" => Ok(TimeWord::This(unit(object, path)?)),
        "last" => Ok(TimeWord::Last(unit(object, path)?)),
        "next" => Ok(TimeWord::Next(unit(object, path)?)),
        other => Err(word_path.error(
            format!("invalid time word {other:?}"),
            "write one of: now, today, yesterday, tomorrow, this, last, next",
        )),
    }
}

fn tail(value: &Value, path: &Path<'_>) -> Result<OccursTail> {
    let object = match value {
        Value::Object(object) => object,
        other => {
            return Err(path.error(
                format!("expected an occurs tail object, found {}", kind_of(other)),
                "write an object with a \"form\" key: offset, direction, on or between",
            ));
        }
    };
    let reference = || child(object, "reference", path).map(Box::new);
    let direction = |choices: &[(&str, Direction)]| {
        keyword(string_field(object, "direction", path)?, choices, &path.key("direction"), "direction")
    };
    match string_field(object, "form", path)? {
        "offset" => {
            let cmp = keyword(
                string_field(object, "comparison", path)?,
                &[
                    ("=", Comparison::Eq),
                    ("!=", Comparison::NotEq),
                    ("<", Comparison::Lt),
                    ("<=", Comparison::LtEq),
                    (">", Comparison::Gt),
                    (">=", Comparison::GtEq),
                ],
                &path.key("comparison"),
                "comparison",
            )?;
            Ok(OccursTail::Offset {
                cmp,
                amount: unsigned_field(object, "amount", 0, u64::MAX, path)?,
                unit: unit(object, path)?,
                direction: direction(&[
                    ("before", Direction::Before),
                    ("after", Direction::After),
                    ("from", Direction::From),
                ])?,
                reference: reference()?,
            })
        }
        "direction" => Ok(OccursTail::Direction {
            direction: direction(&[("before", Direction::Before), ("after", Direction::After)])?,
            reference: reference()?,
        }),
        "on" => Ok(OccursTail::On { reference: reference()? }),
        "between" => Ok(OccursTail::Between {
            start: Box::new(child(object, "start", path)?),
            end: Box::new(child(object, "end", path)?),
        }),
        other => Err(path
            .key("form")
            .error(format!("invalid occurs form {other:?}"), "write one of: offset, direction, on, between")),
    }
}

fn bindings(object: &Map<String, Value>, path: &Path<'_>) -> Result<Vec<Binding>> {
    let bindings_path = path.key("bindings");
    let items = array_field(object, "bindings", path)?;
    if items.is_empty() {
        return Err(bindings_path.error("expected at least one binding", "add a varDecl node"));
    }
    let mut out = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let item_path = bindings_path.index(index);
        let binding = as_object(item, &item_path)?;
        if let Some(Value::String(other)) = binding.get("nodeType")
            && other != "varDecl"
        {
            return Err(item_path.error(format!("expected a varDecl node, found {other:?}"), "write a varDecl node"));
        }
        out.push(Binding {
            var: name_field(binding, "varName", &item_path)?,
            range: child(binding, "range", &item_path)?,
            cond: optional_child(binding, "condition", &item_path)?,
        });
    }
    Ok(out)
}

fn quantifier(object: &Map<String, Value>, path: &Path<'_>) -> Result<ExprKind> {
    let choices = [QuantifierKind::Select, QuantifierKind::Exists, QuantifierKind::Forall]
        .map(|kind| (quantifier_name(kind), kind));
    let kind = keyword(string_field(object, "quantifier", path)?, &choices, &path.key("quantifier"), "quantifier")?;
    Ok(ExprKind::Quantifier { kind, bindings: bindings(object, path)? })
}

fn aggregate(object: &Map<String, Value>, path: &Path<'_>) -> Result<ExprKind> {
    let choices = [AggregateKind::Sum, AggregateKind::Average, AggregateKind::Min, AggregateKind::Max]
        .map(|kind| (aggregate_name(kind), kind));
    let kind = keyword(string_field(object, "fnName", path)?, &choices, &path.key("fnName"), "aggregate")?;
    Ok(ExprKind::Aggregate {
        kind,
        value: optional_child(object, "value", path)?.map(Box::new),
        bindings: bindings(object, path)?,
    })
}

fn object_literal(object: &Map<String, Value>, path: &Path<'_>) -> Result<ExprKind> {
    let entries_path = path.key("entries");
    let items = array_field(object, "entries", path)?;
    let mut entries = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let item_path = entries_path.index(index);
        let entry = as_object(item, &item_path)?;
        entries.push((string_field(entry, "key", &item_path)?.to_string(), child(entry, "value", &item_path)?));
    }
    Ok(ExprKind::Object(entries))
}

fn chain(object: &Map<String, Value>, path: &Path<'_>) -> Result<ExprKind> {
    let events = Box::new(child(object, "events", path)?);
    let order_field = name_field(object, "orderField", path)?;
    let steps_path = path.key("steps");
    let items = array_field(object, "steps", path)?;
    if items.is_empty() {
        return Err(
            steps_path.error("expected at least one chain step", "add a step object with \"label\" and \"what\"")
        );
    }
    let mut steps = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let item_path = steps_path.index(index);
        let step = as_object(item, &item_path)?;
        let when = match step.get("when") {
            None | Some(Value::Null) => None,
            Some(value) => Some(tail(value, &item_path.key("when"))?),
        };
        let count = match step.get("count") {
            None | Some(Value::Null) => None,
            Some(_) => Some(unsigned_field(step, "count", 1, u64::MAX, &item_path)?),
        };
        steps.push(ChainStep {
            label: name_field(step, "label", &item_path)?,
            what: child(step, "what", &item_path)?,
            when,
            count,
            where_: optional_child(step, "where", &item_path)?,
        });
    }
    Ok(ExprKind::Chain { events, order_field, steps })
}

/// Returns the nesting depth of objects and arrays in `value`, counting the outermost as 1 and
/// stopping once it exceeds `limit`. It walks the value with a heap stack, so any depth is safe.
pub(super) fn json_depth(value: &Value, limit: usize) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(value, 1usize)];
    while let Some((value, depth)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(object) => Box::new(object.values()),
            _ => continue,
        };
        deepest = deepest.max(depth);
        if deepest > limit {
            break;
        }
        pending.extend(children.map(|child| (child, depth + 1)));
    }
    deepest
}
