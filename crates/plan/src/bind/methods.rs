//! Binding of method calls: string tests, null tests and aggregates over arrays.

use seg_pql::ast::{AggregateKind, Expr, ExprKind, Literal, Name};
use seg_pql::{Diagnostic, Span, did_you_mean};

use super::list::{ListSource, aggregate_function};
use super::predicates::{compile_regex, regex_node};
use super::{Binder, argument_count, codes, type_mismatch};
use crate::plan::{DatePart, ListFunction, MapPart, Node, NodeKind, StringOp};
use crate::types::DataType;

/// Every method name PQL defines, for "did you mean" suggestions.
const METHODS: &[&str] = &[
    "average", "bottomN", "contains", "count", "distinct", "doesNotContain", "doesNotEndWith", "doesNotStartWith",
    "endsWith", "equals", "exists", "filter", "get", "getDayOfMonth", "getMonth", "getYear", "groupBy", "head",
    "includes", "intersection", "intersects", "isNotNull", "isNull", "keys", "map", "matches", "max", "min",
    "notEqualTo", "regexGroup", "startsWith", "subsetOf", "sum", "supersetOf", "topN", "values",
];

impl Binder {
    pub(super) fn bind_method(&mut self, receiver: &Expr, name: &Name, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let method = name.text.as_str();
        match method {
            "isNull" | "isNotNull" => self.bind_null_test(receiver, method == "isNotNull", args, span),
            "equals" | "notEqualTo" => self.bind_string_test(receiver, name, StringOp::Equals, method == "notEqualTo", args, span),
            "contains" | "doesNotContain" => {
                self.bind_string_test(receiver, name, StringOp::Contains, method == "doesNotContain", args, span)
            }
            "startsWith" | "doesNotStartWith" => {
                self.bind_string_test(receiver, name, StringOp::StartsWith, method == "doesNotStartWith", args, span)
            }
            "endsWith" | "doesNotEndWith" => {
                self.bind_string_test(receiver, name, StringOp::EndsWith, method == "doesNotEndWith", args, span)
            }
            "matches" => self.bind_matches(receiver, args, span),
            "includes" => self.bind_includes(receiver, args, span),
            "intersects" => self.bind_intersects(receiver, args, span),
            "subsetOf" => self.bind_subset(receiver, args, false, span),
            "supersetOf" => self.bind_subset(receiver, args, true, span),
            "count" => self.bind_count(receiver, args, span),
            "head" => self.bind_head(receiver, args, span),
            "exists" => self.bind_exists_method(receiver, args, span),
            "sum" => self.bind_aggregate_method(receiver, AggregateKind::Sum, args, span),
            "average" => self.bind_aggregate_method(receiver, AggregateKind::Average, args, span),
            "min" => self.bind_aggregate_method(receiver, AggregateKind::Min, args, span),
            "max" => self.bind_aggregate_method(receiver, AggregateKind::Max, args, span),
            "getMonth" => self.bind_date_part(receiver, name, DatePart::Month, args, span),
            "getYear" => self.bind_date_part(receiver, name, DatePart::Year, args, span),
            "getDayOfMonth" => self.bind_date_part(receiver, name, DatePart::DayOfMonth, args, span),
            "regexGroup" => self.bind_regex_group(receiver, args, span),
            "get" => self.bind_get(receiver, args, span),
            "keys" => self.bind_map_part(receiver, name, MapPart::Keys, args, span),
            "values" => self.bind_map_part(receiver, name, MapPart::Values, args, span),
            "filter" => self.bind_filter_method(receiver, args, span),
            "map" => self.bind_map_method(receiver, args, span),
            "topN" => self.bind_top(receiver, name, true, args, span),
            "bottomN" => self.bind_top(receiver, name, false, args, span),
            "distinct" => self.bind_distinct(receiver, args, span),
            "intersection" => self.bind_intersection(receiver, args, span),
            "groupBy" => self.bind_group_by(receiver, args, span),
            _ => {
                let diagnostic = Diagnostic::new(codes::UNKNOWN_METHOD, format!("unknown method `{method}`"), name.span);
                Err(match did_you_mean(method, METHODS.iter().copied()) {
                    Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
                    None => diagnostic,
                })
            }
        }
    }

    fn bind_null_test(&mut self, receiver: &Expr, negated: bool, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        if !args.is_empty() {
            return Err(argument_count(if negated { "isNotNull" } else { "isNull" }, 0, args.len(), span));
        }
        let value = self.bind_expr(receiver)?;
        Ok(Node { kind: NodeKind::IsNull { value: Box::new(value), negated }, data_type: DataType::Bool, span })
    }

    fn bind_string_test(
        &mut self,
        receiver: &Expr,
        name: &Name,
        op: StringOp,
        negated: bool,
        args: &[Expr],
        span: Span,
    ) -> Result<Node, Diagnostic> {
        let (patterns, case_sensitive) = string_arguments(name, args, span)?;
        let several_allowed = op == StringOp::Equals && !negated;
        if patterns.len() > 1 && !several_allowed {
            return Err(argument_count(&name.text, 1, patterns.len(), span)
                .with_help("pass one string and, optionally, `false` for a case-insensitive test"));
        }
        self.bind_any_element(receiver, span, &mut |_, value| {
            if value.data_type != DataType::String {
                return Err(type_mismatch("a string", &value.data_type, value.span)
                    .with_help(format!("`{}` applies to strings", name.text)));
            }
            let patterns = patterns.clone();
            let kind = NodeKind::StringTest { op, value: Box::new(value), patterns, case_sensitive, negated };
            Ok(Node { kind, data_type: DataType::Bool, span })
        })
    }

    fn bind_matches(&mut self, receiver: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [pattern] = args else {
            return Err(argument_count("matches", 1, args.len(), span));
        };
        let ExprKind::Literal(Literal::String(source)) = &pattern.kind else {
            return Err(Diagnostic::new(codes::NOT_CONSTANT, "the pattern must be a string literal", pattern.span)
                .with_help("write the pattern in double quotes, e.g. `\"^J.*n$\"`"));
        };
        let regex = compile_regex(source, pattern.span)?;
        self.bind_any_element(receiver, span, &mut |_, value| {
            if value.data_type != DataType::String {
                return Err(type_mismatch("a string", &value.data_type, value.span));
            }
            Ok(regex_node(value, regex.clone(), source.clone(), span))
        })
    }

    fn bind_count(&mut self, receiver: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        if !args.is_empty() {
            return Err(argument_count("count", 0, args.len(), span)
                .with_help("filter the array first to count some elements, e.g. `xEvent[eventType = \"purchase\"].count()`"));
        }
        if let ExprKind::Method { receiver: array, name, args: distinct_args } = &receiver.kind
            && name.text == "distinct"
        {
            if !distinct_args.is_empty() {
                return Err(argument_count("distinct", 0, distinct_args.len(), receiver.span));
            }
            let (source, value) = self.bind_element_values(array, "distinct", span)?;
            return Ok(Self::aggregate(source, ListFunction::CountDistinct(Box::new(value)), DataType::Int, span));
        }
        if let Some(node) = self.bind_projection_aggregate(receiver, None, span)? {
            return Ok(node);
        }
        let source = self.bind_list(receiver)?;
        Ok(Self::aggregate(source, ListFunction::Count, DataType::Int, span))
    }

    /// Binds `array.head()`: the first element of an array of scalars, or of a projection
    /// across one array; null for an empty or null array.
    fn bind_head(&mut self, receiver: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        if !args.is_empty() {
            return Err(argument_count("head", 0, args.len(), span));
        }
        let (source, value) = self.bind_element_values(receiver, "head", span)?;
        let data_type = value.data_type.clone();
        Ok(Self::aggregate(source, ListFunction::First(Box::new(value)), data_type, span))
    }

    /// Binds an array, or a projection across arrays, and the element value that `method`
    /// reads in the element scope. Only `head` accepts elements that are not scalars.
    fn bind_element_values(&mut self, array: &Expr, method: &str, span: Span) -> Result<(ListSource, Node), Diagnostic> {
        let (source, path) = match self.projection(array)? {
            Some(projection) if self.crosses_inner_array(&projection) => {
                let list = self.projection_value(projection, span)?;
                let element = list.data_type.element().cloned().unwrap_or(DataType::Null);
                (ListSource { list, filters: Vec::new(), element }, Vec::new())
            }
            Some(projection) => (projection.source, projection.rest),
            None => (self.bind_list(array)?, Vec::new()),
        };
        let element = source.element.clone();
        let value = self.in_element_scope(&element, false, |binder| {
            let mut node = binder.column(binder.current_scope(), Vec::new(), span);
            for name in &path {
                let field_span = node.span.to(name.span);
                node = binder.field_of(node, name, field_span)?;
            }
            Ok(node)
        })?;
        let scalar = matches!(value.data_type, DataType::Bool | DataType::Int | DataType::Double | DataType::String | DataType::Timestamp);
        if !scalar && method != "head" {
            return Err(type_mismatch("an array of booleans, numbers, strings or timestamps", &source.list.data_type, source.list.span)
                .with_help(format!("`{method}` compares elements with `=`; read a field of the elements first, e.g. `xEvent.eventType.{method}()`")));
        }
        Ok((source, value))
    }

    fn bind_exists_method(&mut self, receiver: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [cond] = args else {
            return Err(argument_count("exists", 1, args.len(), span));
        };
        let mut source = self.bind_list(receiver)?;
        let element = source.element.clone();
        let filter = self.bind_element_arg(&element, cond, |binder, cond| binder.bind_predicate(cond))?;
        source.filters.push(filter);
        Ok(Self::aggregate(source, ListFunction::Exists, DataType::Bool, span))
    }

    fn bind_aggregate_method(&mut self, receiver: &Expr, kind: AggregateKind, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        if args.len() > 1 {
            return Err(argument_count(kind.keyword(), 1, args.len(), span));
        }
        if args.is_empty() {
            if let Some(node) = self.bind_projection_aggregate(receiver, Some(kind), span)? {
                return Ok(node);
            }
        }
        let source = self.bind_list(receiver)?;
        let element = source.element.clone();
        let value = match args.first() {
            Some(arg) => self.bind_element_arg(&element, arg, |binder, arg| binder.bind_expr(arg))?,
            None => self.in_element_scope(&element, true, |binder| Ok(binder.column(binder.current_scope(), Vec::new(), span)))?,
        };
        let (function, data_type) = aggregate_function(kind, value)?;
        Ok(Self::aggregate(source, function, data_type, span))
    }
}

/// Reads the constant string arguments and the optional trailing case flag of a string test.
fn string_arguments(name: &Name, args: &[Expr], span: Span) -> Result<(Vec<String>, bool), Diagnostic> {
    let mut patterns = Vec::new();
    let mut case_sensitive = true;
    for (index, arg) in args.iter().enumerate() {
        match &arg.kind {
            ExprKind::Literal(Literal::String(text)) => patterns.push(text.clone()),
            ExprKind::Literal(Literal::Bool(flag)) if index + 1 == args.len() && index > 0 => case_sensitive = *flag,
            ExprKind::Literal(Literal::Bool(_)) => {
                return Err(Diagnostic::new(codes::NOT_CONSTANT, "the case flag must be the last argument", arg.span)
                    .with_help("write the strings first, then `true` or `false`, e.g. `name.equals(\"a\", \"b\", false)`"));
            }
            _ => {
                // TODO: accept any string-valued expression here, as the language allows;
                // the string kernels take constant patterns only.
                return Err(Diagnostic::new(
                    codes::NOT_CONSTANT,
                    format!("the argument of `{}` must be a string literal", name.text),
                    arg.span,
                )
                .with_help("compare with another field using `=`, e.g. `a.city = b.city`"));
            }
        }
    }
    if patterns.is_empty() {
        return Err(argument_count(&name.text, 1, 0, span));
    }
    Ok((patterns, case_sensitive))
}
