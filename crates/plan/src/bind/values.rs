//! Binding of computed values: `let`, `if`, array and object literals, date functions, maps,
//! `regexGroup`, and the methods that build new lists (`filter`, `map`, `topN`, `bottomN`,
//! `distinct`, `intersection`, `groupBy`).

use seg_pql::ast::{Expr, ExprKind, Literal, Name};
use seg_pql::{Diagnostic, Span};

use super::list::ListSource;
use super::predicates::{compile_regex, constant};
use super::{Binder, LetBinding, Variable, argument_count, codes, coerce, type_mismatch};
use crate::plan::{DatePart, MapPart, Node, NodeKind};
use crate::time::day_interval;
use crate::types::{DataType, FieldType, Scalar};

impl Binder {
    /// Binds `let name = value in body`, with `bind_body` binding the body once the name is
    /// visible. The value is bound here once so that its errors show even when the body does
    /// not use it, and again at each use.
    pub(super) fn bind_let(
        &mut self,
        name: &Name,
        value: &Expr,
        _body: &Expr,
        bind_body: impl FnOnce(&mut Binder) -> Result<Node, Diagnostic>,
    ) -> Result<Node, Diagnostic> {
        self.bind_expr(value)?;
        let binding = LetBinding {
            expr: value.clone(),
            implicit: self.implicit.clone(),
            variables: self.variables.len(),
            profile_fallback: self.profile_fallback,
        };
        self.lets.push(binding);
        self.variables.push((name.text.clone(), Variable::Let(self.lets.len() - 1)));
        let result = bind_body(self);
        self.variables.pop();
        self.lets.pop();
        result
    }

    /// Runs `bind` on the value of `let` binding `index`, with the names that were visible at
    /// the `let` and the scopes open now.
    pub(super) fn with_let<T>(
        &mut self,
        index: usize,
        bind: impl FnOnce(&mut Binder, &Expr) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        let binding = self.lets[index].clone();
        let implicit = std::mem::replace(&mut self.implicit, binding.implicit.clone());
        let hidden = self.variables.split_off(binding.variables);
        let fallback = std::mem::replace(&mut self.profile_fallback, binding.profile_fallback);
        let result = bind(self, &binding.expr);
        self.implicit = implicit;
        self.variables.extend(hidden);
        self.profile_fallback = fallback;
        result
    }

    /// Returns the `let` binding a bare name refers to, if any.
    pub(super) fn let_index(&self, expr: &Expr) -> Option<usize> {
        let ExprKind::Ident(name) = &expr.kind else {
            return None;
        };
        match self.variable(&name.text) {
            Some(Variable::Let(index)) => Some(index),
            _ => None,
        }
    }

    /// Turns a list source into a list value: the list itself without filters, else the
    /// elements that pass them.
    pub(super) fn list_value(&mut self, source: ListSource, span: Span) -> Node {
        if source.filters.is_empty() {
            return source.list;
        }
        let scope = self.push_scope(source.element.clone());
        let element = self.column(scope, Vec::new(), span);
        self.pop_scope();
        let data_type = source.list.data_type.clone();
        let kind = NodeKind::ListMap { list: Box::new(source.list), filters: source.filters, element: Box::new(element) };
        Node { kind, data_type, span }
    }

    /// Binds an array literal; its elements must share one type, and integers mixed with
    /// doubles become doubles.
    pub(super) fn bind_array(&mut self, elements: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let mut nodes = Vec::with_capacity(elements.len());
        for element in elements {
            nodes.push(self.bind_expr(element)?);
        }
        let mut element_type = DataType::Null;
        for node in &nodes {
            element_type = common_type(&element_type, &node.data_type).ok_or_else(|| {
                type_mismatch(&format!("an element of type {element_type}"), &node.data_type, node.span)
                    .with_help("the elements of an array literal must have one type")
            })?;
        }
        let nodes = nodes.into_iter().map(|node| convert_to(node, &element_type)).collect();
        Ok(Node { kind: NodeKind::Array(nodes), data_type: DataType::List(Box::new(element_type)), span })
    }

    /// Binds an object literal `{"name": value, ...}`.
    pub(super) fn bind_object(&mut self, fields: &[(String, Expr)], span: Span) -> Result<Node, Diagnostic> {
        let mut nodes: Vec<(String, Node)> = Vec::with_capacity(fields.len());
        for (name, value) in fields {
            if nodes.iter().any(|(existing, _)| existing == name) {
                return Err(Diagnostic::new(codes::TYPE_MISMATCH, format!("the object literal repeats the key {name:?}"), value.span)
                    .with_help("give each key of an object literal once"));
            }
            nodes.push((name.clone(), self.bind_expr(value)?));
        }
        let types = nodes.iter().map(|(name, node)| FieldType { name: name.clone(), data_type: node.data_type.clone() }).collect();
        Ok(Node { kind: NodeKind::Object(nodes), data_type: DataType::Struct(types), span })
    }

    /// Binds `if(condition, then, otherwise)`.
    pub(super) fn bind_if(&mut self, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [condition, then, otherwise] = args else {
            return Err(argument_count("if", 3, args.len(), span).with_help("write `if(condition, value, other value)`"));
        };
        let condition = self.bind_predicate(condition)?;
        let then = self.bind_expr(then)?;
        let otherwise = self.bind_expr(otherwise)?;
        let Some(data_type) = common_type(&then.data_type, &otherwise.data_type) else {
            return Err(Diagnostic::new(
                codes::TYPE_MISMATCH,
                format!("the branches of `if` have different types: {} and {}", then.data_type, otherwise.data_type),
                then.span.to(otherwise.span),
            )
            .with_help("give both branches one type, e.g. two numbers or two strings"));
        };
        let then = convert_to(then, &data_type);
        let otherwise = convert_to(otherwise, &data_type);
        let kind = NodeKind::If { condition: Box::new(condition), then: Box::new(then), otherwise: Box::new(otherwise) };
        Ok(Node { kind, data_type, span })
    }

    /// Binds `date(year, month, day)` as a value: a constant timestamp when every argument is
    /// an integer literal, else a [`NodeKind::MakeDate`].
    pub(super) fn bind_date_value(&mut self, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [year, month, day] = args else {
            return Err(argument_count("date", 3, args.len(), span));
        };
        if let (Some(Scalar::Int(y)), Some(Scalar::Int(m)), Some(Scalar::Int(d))) = (constant(year), constant(month), constant(day)) {
            let Some(interval) = day_interval(y, m, d) else {
                return Err(invalid_date(y, m, d, span));
            };
            return Ok(Node { kind: NodeKind::Literal(Scalar::Timestamp(interval.start)), data_type: DataType::Timestamp, span });
        }
        let mut parts = Vec::with_capacity(3);
        for arg in [year, month, day] {
            let node = self.bind_expr(arg)?;
            if node.data_type != DataType::Int {
                return Err(type_mismatch("an integer", &node.data_type, node.span)
                    .with_help("`date` takes a year, a month and a day as integers, e.g. `date(currentYear() - 1, 10, 1)`"));
            }
            parts.push(Box::new(node));
        }
        let (day, month, year) = (parts.pop(), parts.pop(), parts.pop());
        let (Some(year), Some(month), Some(day)) = (year, month, day) else {
            return Err(argument_count("date", 3, args.len(), span));
        };
        Ok(Node { kind: NodeKind::MakeDate { year, month, day }, data_type: DataType::Timestamp, span })
    }

    /// Binds `currentMonth()`, `currentYear()` or `currentDayOfMonth()`.
    pub(super) fn bind_current(&mut self, name: &Name, part: DatePart, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        if !args.is_empty() {
            return Err(argument_count(&name.text, 0, args.len(), span));
        }
        let now = Node { kind: NodeKind::TimeValue(seg_pql::ast::TimeWord::Now), data_type: DataType::Timestamp, span };
        Ok(Node { kind: NodeKind::DatePart { part, value: Box::new(now) }, data_type: DataType::Int, span })
    }

    /// Binds `getMonth()`, `getYear()` or `getDayOfMonth()` on a timestamp.
    pub(super) fn bind_date_part(&mut self, receiver: &Expr, name: &Name, part: DatePart, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        if !args.is_empty() {
            return Err(argument_count(&name.text, 0, args.len(), span));
        }
        let value = self.bind_expr(receiver)?;
        if value.data_type != DataType::Timestamp {
            return Err(type_mismatch("a timestamp", &value.data_type, value.span)
                .with_help(format!("`{}` reads a timestamp field such as `person.birthDate`", name.text)));
        }
        Ok(Node { kind: NodeKind::DatePart { part, value: Box::new(value) }, data_type: DataType::Int, span })
    }

    /// Binds `value.regexGroup(pattern, group)`. Without a group index it is group 1 when the
    /// pattern has a capture group, else the whole match.
    pub(super) fn bind_regex_group(&mut self, receiver: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let (pattern, group) = match args {
            [pattern] => (pattern, None),
            [pattern, group] => (pattern, Some(group)),
            _ => return Err(argument_count("regexGroup", 2, args.len(), span).with_help("write `regexGroup(\"pattern\", 1)`")),
        };
        let ExprKind::Literal(Literal::String(source)) = &pattern.kind else {
            return Err(Diagnostic::new(codes::NOT_CONSTANT, "the pattern must be a string literal", pattern.span)
                .with_help("write the pattern in double quotes, e.g. `\"^J.*n$\"`"));
        };
        let regex = compile_regex(source, pattern.span)?;
        let groups = regex.captures_len() - 1;
        let group = match group {
            None => usize::from(groups > 0),
            Some(arg) => match constant(arg) {
                Some(Scalar::Int(index)) if index >= 0 && (index as usize) <= groups => index as usize,
                Some(Scalar::Int(index)) => {
                    return Err(Diagnostic::new(
                        codes::INVALID_PATTERN,
                        format!("group {index} does not exist: the pattern {source:?} has {groups} capture groups"),
                        arg.span,
                    )
                    .with_help("use 0 for the whole match or the number of a group from 1"));
                }
                _ => {
                    return Err(Diagnostic::new(codes::NOT_CONSTANT, "the group index must be an integer literal", arg.span)
                        .with_help("write the group number, e.g. `regexGroup(\"@(\\\\w+)\", 1)`"));
                }
            },
        };
        let value = self.bind_expr(receiver)?;
        if value.data_type != DataType::String {
            return Err(type_mismatch("a string", &value.data_type, value.span));
        }
        let kind = NodeKind::RegexGroup { value: Box::new(value), regex, source: source.clone(), group };
        Ok(Node { kind, data_type: DataType::String, span })
    }

    /// Binds `map.get(key)`.
    pub(super) fn bind_get(&mut self, receiver: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [key] = args else {
            return Err(argument_count("get", 1, args.len(), span));
        };
        let map = self.bind_expr(receiver)?;
        let DataType::Map(value_type) = &map.data_type else {
            return Err(type_mismatch("a map", &map.data_type, map.span).with_help("`get` reads an entry of a map such as `identityMap`"));
        };
        let value_type = (**value_type).clone();
        let key = self.bind_expr(key)?;
        if key.data_type != DataType::String {
            return Err(type_mismatch("a string key", &key.data_type, key.span));
        }
        Ok(Node { kind: NodeKind::MapGet { map: Box::new(map), key: Box::new(key) }, data_type: value_type, span })
    }

    /// Binds `map.keys()` or `map.values()`.
    pub(super) fn bind_map_part(&mut self, receiver: &Expr, name: &Name, part: MapPart, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        if !args.is_empty() {
            return Err(argument_count(&name.text, 0, args.len(), span));
        }
        let map = self.bind_expr(receiver)?;
        if !matches!(map.data_type, DataType::Map(_)) {
            return Err(type_mismatch("a map", &map.data_type, map.span));
        }
        Ok(map_list(map, part, span))
    }

    /// Binds `mapEntry(key, value)`: a `{key, value}` object, which `map` turns into a map entry.
    pub(super) fn bind_map_entry(&mut self, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [key, value] = args else {
            return Err(argument_count("mapEntry", 2, args.len(), span));
        };
        let key = self.bind_expr(key)?;
        if key.data_type != DataType::String {
            return Err(type_mismatch("a string key", &key.data_type, key.span).with_help("map keys are strings"));
        }
        let value = self.bind_expr(value)?;
        let fields = vec![
            FieldType { name: "key".to_string(), data_type: DataType::String },
            FieldType { name: "value".to_string(), data_type: value.data_type.clone() },
        ];
        let kind = NodeKind::Object(vec![("key".to_string(), key), ("value".to_string(), value)]);
        Ok(Node { kind, data_type: DataType::Struct(fields), span })
    }

    /// Binds a method argument evaluated per element: a one-parameter lambda binds its
    /// parameter to the element, any other expression reads the element's fields by bare name.
    pub(super) fn bind_element_arg<T>(
        &mut self,
        element: &DataType,
        arg: &Expr,
        bind: impl FnOnce(&mut Binder, &Expr) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        match &arg.kind {
            ExprKind::Lambda { params, body } => {
                let [param] = params.as_slice() else {
                    return Err(lambda_arity(params.len(), 1, arg.span));
                };
                self.with_variable(param, element, |binder| bind(binder, body))
            }
            _ => self.in_element_scope(element, true, |binder| bind(binder, arg)),
        }
    }

    /// Binds `list.filter(condition)` as a list value.
    pub(super) fn bind_filter_method(&mut self, receiver: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let source = self.filter_source(receiver, args, span)?;
        Ok(self.list_value(source, span))
    }

    /// Binds the list source of `list.filter(condition)`.
    pub(super) fn filter_source(&mut self, receiver: &Expr, args: &[Expr], span: Span) -> Result<ListSource, Diagnostic> {
        let [condition] = args else {
            return Err(argument_count("filter", 1, args.len(), span));
        };
        let mut source = self.bind_list(receiver)?;
        let element = source.element.clone();
        let filter = self.bind_element_arg(&element, condition, |binder, condition| binder.bind_predicate(condition))?;
        source.filters.push(filter);
        Ok(source)
    }

    /// Binds `list.map(expression)`, or on a map `map((K, V) => ...)` over its entries. A body
    /// that is a `mapEntry(...)` makes the result a map.
    pub(super) fn bind_map_method(&mut self, receiver: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [arg] = args else {
            return Err(argument_count("map", 1, args.len(), span));
        };
        let source = self.bind_list(receiver)?;
        let element_type = source.element.clone();
        let (element, body) = match &arg.kind {
            ExprKind::Lambda { params, body } if params.len() == 2 => {
                if !matches!(receiver_map(&source), Some(true)) {
                    return Err(lambda_arity(2, 1, arg.span).with_help("a lambda with two parameters maps the entries of a map"));
                }
                let element = self.in_element_scope(&element_type, false, |binder| {
                    let scope = binder.current_scope();
                    binder.variables.push((params[0].text.clone(), Variable::Row(scope, vec!["key".to_string()])));
                    binder.variables.push((params[1].text.clone(), Variable::Row(scope, vec!["value".to_string()])));
                    let result = binder.bind_expr(body);
                    binder.variables.truncate(binder.variables.len() - 2);
                    result
                })?;
                (element, &**body)
            }
            ExprKind::Lambda { body, .. } => (self.bind_element_arg(&element_type, arg, |binder, body| binder.bind_expr(body))?, &**body),
            _ => (self.bind_element_arg(&element_type, arg, |binder, body| binder.bind_expr(body))?, arg),
        };
        let data_type = DataType::List(Box::new(element.data_type.clone()));
        let kind = NodeKind::ListMap { list: Box::new(source.list), filters: source.filters, element: Box::new(element) };
        let list = Node { kind, data_type, span };
        let makes_entries = matches!(&body.kind, ExprKind::Call { name, .. } if name.text == "mapEntry");
        if !makes_entries {
            return Ok(list);
        }
        let Some(DataType::Struct(fields)) = list.data_type.element() else {
            return Ok(list);
        };
        let value_type = fields.iter().find(|field| field.name == "value").map(|field| field.data_type.clone()).unwrap_or(DataType::Null);
        Ok(Node { kind: NodeKind::ToMap(Box::new(list)), data_type: DataType::Map(Box::new(value_type)), span })
    }

    /// Binds `list.topN(key, n)` or `list.bottomN(key, n)`.
    pub(super) fn bind_top(&mut self, receiver: &Expr, name: &Name, descending: bool, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [key, count] = args else {
            return Err(argument_count(&name.text, 2, args.len(), span).with_help(format!("write `{}(price, 5)`", name.text)));
        };
        let count = match constant(count) {
            Some(Scalar::Int(count)) if count >= 0 => count as u64,
            _ => {
                return Err(Diagnostic::new(codes::NOT_CONSTANT, format!("the count of `{}` must be a non-negative integer literal", name.text), count.span)
                    .with_help(format!("write the count as a number, e.g. `{}(price, 5)`", name.text)));
            }
        };
        let source = self.bind_list(receiver)?;
        let element = source.element.clone();
        let key = self.bind_element_arg(&element, key, |binder, key| binder.bind_expr(key))?;
        if !matches!(key.data_type, DataType::Int | DataType::Double | DataType::String | DataType::Timestamp) {
            return Err(type_mismatch("a number, string or timestamp to sort by", &key.data_type, key.span));
        }
        let data_type = source.list.data_type.clone();
        let kind = NodeKind::ListTop { list: Box::new(source.list), filters: source.filters, key: Box::new(key), count, descending };
        Ok(Node { kind, data_type, span })
    }

    /// Binds `list.distinct()` as a list value.
    pub(super) fn bind_distinct(&mut self, receiver: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        if !args.is_empty() {
            return Err(argument_count("distinct", 0, args.len(), span));
        }
        let list = self.bind_scalar_list(receiver, "distinct")?;
        let data_type = list.data_type.clone();
        Ok(Node { kind: NodeKind::Distinct(Box::new(list)), data_type, span })
    }

    /// Binds `a.intersection(b)`: the distinct elements of `a` that equal some element of `b`,
    /// in the order of `a`; null when either is null or they have no element in common.
    pub(super) fn bind_intersection(&mut self, receiver: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [other] = args else {
            return Err(argument_count("intersection", 1, args.len(), span));
        };
        let list = self.bind_scalar_list(receiver, "intersection")?;
        let element = list.data_type.element().cloned().unwrap_or(DataType::Null);
        let other_list = self.bind_scalar_list(other, "intersection")?;
        let found = self.in_element_scope(&element, false, |binder| {
            let value = binder.column(binder.current_scope(), Vec::new(), span);
            binder.member_of(false, value, other, span)
        })?;
        let data_type = list.data_type.clone();
        let common = NodeKind::ListMap {
            list: Box::new(list),
            filters: vec![found],
            element: Box::new(Node { kind: NodeKind::Column { scope: self.current_scope() + 1, path: Vec::new() }, data_type: element, span }),
        };
        let common = Node { kind: common, data_type: data_type.clone(), span };
        let distinct = Node { kind: NodeKind::Distinct(Box::new(common)), data_type: data_type.clone(), span };
        let not_empty = super::to_predicate(distinct.clone());
        let other_not_null = Node {
            kind: NodeKind::IsNull { value: Box::new(other_list), negated: true },
            data_type: DataType::Bool,
            span,
        };
        let condition = Node { kind: NodeKind::And(vec![other_not_null, not_empty]), data_type: DataType::Bool, span };
        let null = Node { kind: NodeKind::Literal(Scalar::Null), data_type: data_type.clone(), span };
        let kind = NodeKind::If { condition: Box::new(condition), then: Box::new(distinct), otherwise: Box::new(null) };
        Ok(Node { kind, data_type, span })
    }

    /// Binds `list.groupBy(key)`: a map from each key, as text, to the elements with that key.
    pub(super) fn bind_group_by(&mut self, receiver: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [key] = args else {
            return Err(argument_count("groupBy", 1, args.len(), span));
        };
        let source = self.bind_list(receiver)?;
        let element = source.element.clone();
        let key = self.bind_element_arg(&element, key, |binder, key| binder.bind_expr(key))?;
        if !matches!(key.data_type, DataType::String | DataType::Int | DataType::Bool) {
            return Err(type_mismatch("a string, integer or boolean key", &key.data_type, key.span)
                .with_help("group by a field that identifies the group, e.g. `groupBy(storeId)`"));
        }
        let data_type = DataType::Map(Box::new(source.list.data_type.clone()));
        let kind = NodeKind::GroupBy { list: Box::new(source.list), filters: source.filters, key: Box::new(key) };
        Ok(Node { kind, data_type, span })
    }

    /// Binds an array-valued expression whose elements are scalars, as one list value.
    pub(super) fn bind_scalar_list(&mut self, expr: &Expr, method: &str) -> Result<Node, Diagnostic> {
        let list = match self.projection(expr)? {
            Some(projection) if !projection.rest.is_empty() => {
                let span = expr.span;
                let rest = projection.rest.clone();
                let source = projection.source;
                let element = source.element.clone();
                let value = self.in_element_scope(&element, false, |binder| {
                    let mut node = binder.column(binder.current_scope(), Vec::new(), span);
                    for name in &rest {
                        if matches!(node.data_type, DataType::List(_)) {
                            return Err(type_mismatch("a field read through one array", &node.data_type, name.span)
                                .with_help(format!("`{method}` reads a field through one array; filter or map the inner array first")));
                        }
                        let field_span = node.span.to(name.span);
                        node = binder.field_of(node, name, field_span)?;
                    }
                    Ok(node)
                })?;
                let data_type = DataType::List(Box::new(value.data_type.clone()));
                let kind = NodeKind::ListMap { list: Box::new(source.list), filters: source.filters, element: Box::new(value) };
                Node { kind, data_type, span }
            }
            _ => {
                let source = self.bind_list(expr)?;
                self.list_value(source, expr.span)
            }
        };
        match list.data_type.element() {
            Some(DataType::Bool | DataType::Int | DataType::Double | DataType::String | DataType::Timestamp | DataType::Null) => Ok(list),
            _ => Err(type_mismatch("an array of booleans, numbers, strings or timestamps", &list.data_type, list.span)
                .with_help(format!("`{method}` compares elements with `=`; read a field of the elements first"))),
        }
    }
}

/// Reads field `name` of a computed object, or the entry `name` of a computed map.
pub(super) fn computed_field(base: Node, name: &Name, span: Span) -> Result<Node, Diagnostic> {
    match &base.data_type {
        DataType::Struct(fields) => {
            let Some(field) = fields.iter().find(|field| field.name == name.text) else {
                return Err(super::unknown_field(name, &base, fields));
            };
            let data_type = field.data_type.clone();
            Ok(Node { kind: NodeKind::Field { value: Box::new(base), name: name.text.clone() }, data_type, span })
        }
        DataType::Map(_) => Ok(map_entry(base, name, span)),
        other => Err(Diagnostic::new(codes::TYPE_MISMATCH, format!("cannot read field `{}` of a value of type {other}", name.text), name.span)
            .with_help("only objects and maps have fields")),
    }
}

/// Reads the entry `name` of a map, as `map.get("name")` does.
pub(super) fn map_entry(map: Node, name: &Name, span: Span) -> Node {
    let DataType::Map(value_type) = &map.data_type else {
        return map;
    };
    let data_type = (**value_type).clone();
    let key = Node { kind: NodeKind::Literal(Scalar::String(name.text.clone())), data_type: DataType::String, span: name.span };
    Node { kind: NodeKind::MapGet { map: Box::new(map), key: Box::new(key) }, data_type, span }
}

/// Builds the list of keys, values or entries of a map node.
pub(super) fn map_list(map: Node, part: MapPart, span: Span) -> Node {
    let value_type = match &map.data_type {
        DataType::Map(value) => (**value).clone(),
        _ => DataType::Null,
    };
    let element = match part {
        MapPart::Keys => DataType::String,
        MapPart::Values => value_type,
        MapPart::Entries => entry_type(value_type),
    };
    Node { kind: NodeKind::MapList { map: Box::new(map), part }, data_type: DataType::List(Box::new(element)), span }
}

/// Returns the `{key, value}` object type of a map's entries.
pub(super) fn entry_type(value_type: DataType) -> DataType {
    DataType::Struct(vec![
        FieldType { name: "key".to_string(), data_type: DataType::String },
        FieldType { name: "value".to_string(), data_type: value_type },
    ])
}

/// Returns `Some(true)` when the source lists the entries of a map.
fn receiver_map(source: &ListSource) -> Option<bool> {
    Some(matches!(source.list.kind, NodeKind::MapList { part: MapPart::Entries, .. }))
}

/// Returns the type both values convert to, or `None` when there is none.
pub(super) fn common_type(lhs: &DataType, rhs: &DataType) -> Option<DataType> {
    match (lhs, rhs) {
        _ if lhs == rhs => Some(lhs.clone()),
        (DataType::Null, other) | (other, DataType::Null) => Some(other.clone()),
        (DataType::Int, DataType::Double) | (DataType::Double, DataType::Int) => Some(DataType::Double),
        (DataType::List(a), DataType::List(b)) => match (&**a, &**b) {
            (DataType::Null, other) | (other, DataType::Null) => Some(DataType::List(Box::new(other.clone()))),
            _ => None,
        },
        _ => None,
    }
}

/// Converts a node to `target`, which [`common_type`] chose for it.
pub(super) fn convert_to(node: Node, target: &DataType) -> Node {
    if node.data_type == *target {
        return node;
    }
    if *target == DataType::Double {
        return coerce::to_double(node);
    }
    // A null literal or an empty array takes the other side's type.
    Node { data_type: target.clone(), ..node }
}

fn lambda_arity(found: usize, expected: usize, span: Span) -> Diagnostic {
    Diagnostic::new(codes::BAD_PARAMETER, format!("this lambda takes {found} parameters, but the method passes {expected}"), span)
        .with_help("write `(E) => ...` for each element, or `(K, V) => ...` to map the entries of a map")
}

fn invalid_date(y: i64, m: i64, d: i64, span: Span) -> Diagnostic {
    Diagnostic::new(codes::INVALID_DATE, format!("date({y}, {m}, {d}) is not a calendar day"), span)
        .with_help("write a year from -9999 to 9999, a month from 1 to 12 and a day that exists in that month")
}
