//! Binding of constructs over arrays: filters `a[cond]`, `select/exists/forall`, aggregate
//! comprehensions and `chain`. Each opens a child scope whose rows are the array's elements.

use seg_pql::ast::{AggregateKind, Binding, ChainStep, Expr, ExprKind, Name, QuantifierKind};
use seg_pql::{Diagnostic, Span};

use super::{Binder, codes, type_mismatch};
use crate::plan::{ChainPlan, ChainStepPlan, ListFunction, MapPart, Node, NodeKind};
use crate::types::{DataType, FieldType};

/// An array with the element filters applied to it so far.
pub(super) struct ListSource {
    /// The list node, in the current scope.
    pub list: Node,
    /// Predicates in the element scope.
    pub filters: Vec<Node>,
    /// The element type.
    pub element: DataType,
}

impl Binder {
    /// Binds an array-valued expression, collecting the filters applied to it.
    pub(super) fn bind_list(&mut self, expr: &Expr) -> Result<ListSource, Diagnostic> {
        match &expr.kind {
            ExprKind::Filter { base, cond } => {
                let mut source = self.bind_list(base)?;
                let filter = self.in_element_scope(&source.element, true, |binder| binder.bind_predicate(cond))?;
                source.filters.push(filter);
                Ok(source)
            }
            ExprKind::Quantifier { kind: QuantifierKind::Select, bindings } => self.bind_select_source(bindings, expr.span),
            ExprKind::Method { receiver, name, args } if name.text == "filter" => self.filter_source(receiver, args, expr.span),
            _ if self.let_index(expr).is_some() => {
                let index = self.let_index(expr).unwrap_or_default();
                self.with_let(index, |binder, value| binder.bind_list(value))
            }
            ExprKind::Field { .. } => {
                // A projection through two or more arrays is one flat array, as in aggregates.
                if let Some(projection) = self.projection(expr)?
                    && self.crosses_inner_array(&projection)
                {
                    let list = self.projection_value(projection, expr.span)?;
                    let element = list.data_type.element().cloned().unwrap_or(DataType::Null);
                    return Ok(ListSource { list, filters: Vec::new(), element });
                }
                self.bind_value_list(expr)
            }
            _ => self.bind_value_list(expr),
        }
    }

    /// Binds an expression whose value is an array, or a map read as its entries.
    fn bind_value_list(&mut self, expr: &Expr) -> Result<ListSource, Diagnostic> {
        let mut list = self.bind_expr(expr)?;
        if matches!(list.data_type, DataType::Map(_)) {
            list = super::values::map_list(list, MapPart::Entries, expr.span);
        }
        let Some(element) = list.data_type.element().cloned() else {
            return Err(type_mismatch("an array", &list.data_type, list.span)
                .with_help("filters, quantifiers and list methods apply to arrays; test a single value with a comparison"));
        };
        Ok(ListSource { list, filters: Vec::new(), element })
    }

    /// Runs `bind` with a child scope of `element` rows open. With `implicit`, bare names in
    /// it resolve against the element (a filter); otherwise only through a variable.
    pub(super) fn in_element_scope<T>(
        &mut self,
        element: &DataType,
        implicit: bool,
        bind: impl FnOnce(&mut Binder) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        let scope = self.push_scope(element.clone());
        if implicit {
            self.implicit.push(scope);
        }
        let result = bind(self);
        if implicit {
            self.implicit.pop();
        }
        self.pop_scope();
        result
    }

    /// Builds the aggregate node of a list source.
    pub(super) fn aggregate(source: ListSource, function: ListFunction, data_type: DataType, span: Span) -> Node {
        let kind = NodeKind::ListAggregate { list: Box::new(source.list), filters: source.filters, function };
        Node { kind, data_type, span }
    }

    /// Binds `array[cond]` at a boolean position: true when some element matches.
    pub(super) fn bind_list_predicate(&mut self, expr: &Expr) -> Result<Node, Diagnostic> {
        let source = self.bind_list(expr)?;
        Ok(Self::aggregate(source, ListFunction::Exists, DataType::Bool, expr.span))
    }

    fn bind_select_source(&mut self, bindings: &[Binding], span: Span) -> Result<ListSource, Diagnostic> {
        let [binding] = bindings else {
            let list = self.bind_tuples(bindings, &mut Vec::new(), span)?;
            let element = list.data_type.element().cloned().unwrap_or(DataType::Null);
            return Ok(ListSource { list, filters: Vec::new(), element });
        };
        let mut source = self.bind_list(&binding.range)?;
        if let Some(cond) = &binding.cond {
            let filter = self.with_variable(&binding.var, &source.element, |binder| binder.bind_predicate(cond))?;
            source.filters.push(filter);
        }
        Ok(source)
    }

    /// Binds several bindings as the list of tuples that satisfy them, in nesting order. A
    /// tuple is an object whose field `"0"` is the element bound to the first variable,
    /// `"1"` to the second, and so on; `bound` collects the scopes of the outer variables.
    fn bind_tuples(&mut self, bindings: &[Binding], bound: &mut Vec<usize>, span: Span) -> Result<Node, Diagnostic> {
        let Some((binding, rest)) = bindings.split_first() else {
            return Err(Diagnostic::new(codes::ARGUMENT_COUNT, "a comprehension needs at least one binding", span));
        };
        let mut source = self.bind_list(&binding.range)?;
        let element = source.element.clone();
        let (cond, inner) = self.with_variable(&binding.var, &element, |binder| {
            let cond = binding.cond.as_ref().map(|cond| binder.bind_predicate(cond)).transpose()?;
            bound.push(binder.current_scope());
            let inner = if rest.is_empty() {
                let fields: Vec<(String, Node)> =
                    bound.iter().enumerate().map(|(index, &scope)| (index.to_string(), binder.column(scope, Vec::new(), span))).collect();
                let types = fields.iter().map(|(name, node)| FieldType { name: name.clone(), data_type: node.data_type.clone() }).collect();
                Ok(Node { kind: NodeKind::Object(fields), data_type: DataType::Struct(types), span })
            } else {
                binder.bind_tuples(rest, bound, span)
            };
            bound.pop();
            Ok((cond, inner?))
        })?;
        source.filters.extend(cond);
        let element_type = inner.data_type.clone();
        let kind = NodeKind::ListMap { list: Box::new(source.list), filters: source.filters, element: Box::new(inner) };
        let mapped = Node { kind, data_type: DataType::List(Box::new(element_type.clone())), span };
        if rest.is_empty() {
            return Ok(mapped);
        }
        Ok(Node { kind: NodeKind::Flatten(Box::new(mapped)), data_type: element_type, span })
    }

    pub(super) fn with_variable<T>(
        &mut self,
        var: &Name,
        element: &DataType,
        bind: impl FnOnce(&mut Binder) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        self.in_element_scope(element, false, |binder| {
            let scope = binder.current_scope();
            binder.variables.push((var.text.clone(), super::Variable::Row(scope, Vec::new())));
            let result = bind(binder);
            binder.variables.pop();
            result
        })
    }

    /// Binds `select|exists|forall` at a boolean position.
    pub(super) fn bind_quantifier(&mut self, expr: &Expr) -> Result<Node, Diagnostic> {
        let ExprKind::Quantifier { kind, bindings } = &expr.kind else {
            return self.bind_predicate(expr);
        };
        self.bind_bindings(*kind, bindings, expr.span)
    }

    /// Binds bindings left to right: each later binding is nested inside the earlier ones, so
    /// its range and condition can read the earlier variables.
    ///
    /// `exists` (and `select` as a condition) holds when some tuple satisfies every condition.
    /// `forall V from A where C, W from B where D` holds when every `V` satisfies `C` and every
    /// `W` of that `V` satisfies `D`.
    fn bind_bindings(&mut self, kind: QuantifierKind, bindings: &[Binding], span: Span) -> Result<Node, Diagnostic> {
        let Some((binding, rest)) = bindings.split_first() else {
            return Err(Diagnostic::new(codes::ARGUMENT_COUNT, "a comprehension needs at least one binding", span));
        };
        let source = self.bind_list(&binding.range)?;
        let element = source.element.clone();
        let (cond, inner) = self.with_variable(&binding.var, &element, |binder| {
            let cond = binding.cond.as_ref().map(|cond| binder.bind_predicate(cond)).transpose()?;
            let inner = if rest.is_empty() { None } else { Some(binder.bind_bindings(kind, rest, span)?) };
            Ok((cond, inner))
        })?;
        let conditions: Vec<Node> = cond.into_iter().chain(inner).collect();
        if kind == QuantifierKind::Forall {
            let all = Node { kind: NodeKind::And(conditions), data_type: DataType::Bool, span };
            return Ok(Self::aggregate(source, ListFunction::Forall(Box::new(all)), DataType::Bool, span));
        }
        let mut source = source;
        source.filters.extend(conditions);
        Ok(Self::aggregate(source, ListFunction::Exists, DataType::Bool, span))
    }

    /// Binds `sum|average|min|max E over V from A where C`, or `sum V from A where C`.
    pub(super) fn bind_aggregate(
        &mut self,
        kind: AggregateKind,
        value: Option<&Expr>,
        bindings: &[Binding],
        span: Span,
    ) -> Result<Node, Diagnostic> {
        let [binding] = bindings else {
            return self.bind_tuple_aggregate(kind, value, bindings, span);
        };
        let mut source = self.bind_list(&binding.range)?;
        let element = source.element.clone();
        let (cond, value) = self.with_variable(&binding.var, &element, |binder| {
            let cond = binding.cond.as_ref().map(|cond| binder.bind_predicate(cond)).transpose()?;
            let value = match value {
                Some(value) => binder.bind_expr(value)?,
                None => binder.column(binder.current_scope(), Vec::new(), binding.var.span),
            };
            Ok((cond, value))
        })?;
        source.filters.extend(cond);
        let (function, data_type) = aggregate_function(kind, value)?;
        Ok(Self::aggregate(source, function, data_type, span))
    }

    /// Binds an aggregate comprehension with several bindings over the list of their tuples.
    /// Without a value expression it aggregates the last variable.
    fn bind_tuple_aggregate(
        &mut self,
        kind: AggregateKind,
        value: Option<&Expr>,
        bindings: &[Binding],
        span: Span,
    ) -> Result<Node, Diagnostic> {
        let list = self.bind_tuples(bindings, &mut Vec::new(), span)?;
        let element = list.data_type.element().cloned().unwrap_or(DataType::Null);
        let value = self.in_element_scope(&element, false, |binder| {
            let scope = binder.current_scope();
            for (index, binding) in bindings.iter().enumerate() {
                binder.variables.push((binding.var.text.clone(), super::Variable::Row(scope, vec![index.to_string()])));
            }
            let last = bindings.len() - 1;
            let result = match value {
                Some(value) => binder.bind_expr(value),
                None => Ok(binder.column_at(scope, vec![last.to_string()], bindings[last].var.span)),
            };
            binder.variables.truncate(binder.variables.len() - bindings.len());
            result
        })?;
        let (function, data_type) = aggregate_function(kind, value)?;
        Ok(Self::aggregate(ListSource { list, filters: Vec::new(), element }, function, data_type, span))
    }

    /// Binds `chain(events, orderField, [steps])`.
    pub(super) fn bind_chain(
        &mut self,
        events: &Expr,
        order_field: &Name,
        steps: &[ChainStep],
        span: Span,
    ) -> Result<Node, Diagnostic> {
        let source = self.bind_list(events)?;
        let DataType::Struct(fields) = &source.element else {
            return Err(type_mismatch("an array of events", &source.list.data_type, source.list.span));
        };
        match fields.iter().find(|field| field.name == order_field.text) {
            Some(field) if field.data_type == DataType::Timestamp => {}
            Some(field) => {
                return Err(type_mismatch("a timestamp field", &field.data_type, order_field.span)
                    .with_help("order the chain by a timestamp field of the events, e.g. `timestamp`"));
            }
            None => return Err(super::unknown_field(order_field, &source.list, fields)),
        }
        if steps.is_empty() {
            return Err(Diagnostic::new(codes::ARGUMENT_COUNT, "a chain needs at least one step", span));
        }
        let mut planned = Vec::with_capacity(steps.len());
        for step in steps {
            match self.bind_chain_step(&source, order_field, step) {
                Ok(step) => planned.push(step),
                Err(diagnostic) => self.errors.push(diagnostic),
            }
        }
        let chain = ChainPlan { list: source.list, order_path: vec![order_field.text.clone()], steps: planned };
        Ok(Node { kind: NodeKind::Chain(Box::new(chain)), data_type: DataType::Bool, span })
    }

    fn bind_chain_step(&mut self, source: &ListSource, order_field: &Name, step: &ChainStep) -> Result<ChainStepPlan, Diagnostic> {
        let count = step.count.unwrap_or(1);
        if count == 0 {
            return Err(Diagnostic::new(codes::TYPE_MISMATCH, "`COUNT(0)` matches no event", step.label.span)
                .with_help("write a count of 1 or more"));
        }
        let mut conditions = source.filters.clone();
        self.in_element_scope(&source.element, true, |binder| {
            conditions.push(binder.bind_predicate(&step.what)?);
            if let Some(when) = &step.when {
                let scope = binder.current_scope();
                let mut subject = binder.column(scope, Vec::new(), order_field.span);
                subject = binder.field_of(subject, order_field, order_field.span)?;
                let condition = binder.bind_time_condition(when)?;
                let span = step.what.span;
                let kind = NodeKind::Occurs { subject: Box::new(subject), condition };
                conditions.push(Node { kind, data_type: DataType::Bool, span });
            }
            if let Some(where_) = &step.where_ {
                conditions.push(binder.bind_step_where(where_)?);
            }
            Ok(())
        })?;
        let condition = Node { kind: NodeKind::And(conditions), data_type: DataType::Bool, span: step.label.span.to(step.what.span) };
        Ok(ChainStepPlan { label: step.label.text.clone(), condition, count })
    }

    /// Binds a step's `WHERE`: each bare name reads the event, or the profile when the event
    /// has no such field.
    fn bind_step_where(&mut self, where_: &Expr) -> Result<Node, Diagnostic> {
        let previous = self.profile_fallback.replace(self.current_scope());
        let result = self.bind_predicate(where_);
        self.profile_fallback = previous;
        result
    }
}

/// Chooses the list function and result type of an aggregate over `value`.
pub(super) fn aggregate_function(kind: AggregateKind, value: Node) -> Result<(ListFunction, DataType), Diagnostic> {
    let orderable = value.data_type.is_numeric() || value.data_type == DataType::Timestamp;
    let keyword = kind.keyword();
    match kind {
        AggregateKind::Sum | AggregateKind::Average if !value.data_type.is_numeric() => {
            Err(type_mismatch("a number", &value.data_type, value.span).with_help(format!("`{keyword}` adds numbers")))
        }
        AggregateKind::Min | AggregateKind::Max if !orderable => {
            Err(type_mismatch("a number or timestamp", &value.data_type, value.span))
        }
        AggregateKind::Sum => {
            let data_type = value.data_type.clone();
            Ok((ListFunction::Sum(Box::new(value)), data_type))
        }
        AggregateKind::Average => Ok((ListFunction::Average(Box::new(super::coerce::to_double(value))), DataType::Double)),
        AggregateKind::Min => {
            let data_type = value.data_type.clone();
            Ok((ListFunction::Min(Box::new(value)), data_type))
        }
        AggregateKind::Max => {
            let data_type = value.data_type.clone();
            Ok((ListFunction::Max(Box::new(value)), data_type))
        }
    }
}
