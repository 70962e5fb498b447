//! Reading fields through arrays (projection) and predicates on array values.
//!
//! `xEvent.commerce.order.priceTotal` reads the field of every event: its value is an array
//! with one element per event, and every array crossed on the way flattens one level, so
//! `xEvent.productListItems.SKU` is the SKUs of all items of all events. No plan node holds
//! such an array. Instead the binder rewrites each use:
//!
//! - a predicate on an array value (`=`, `in`, string tests, `matches`, `occurs`) becomes a
//!   [`ListFunction::Exists`] over each array crossed, with the predicate on the element, so
//!   it is true when some element satisfies it;
//! - `.count()`, `.sum()`, `.average()`, `.min()` and `.max()` on a projection aggregate the
//!   projected field of each element of the one array crossed.

use seg_pql::ast::{AggregateKind, Expr, ExprKind, Name};
use seg_pql::{Diagnostic, Span};

use super::list::{ListSource, aggregate_function};
use super::Binder;
use crate::plan::{ListFunction, Node, NodeKind};
use crate::types::DataType;

/// An array source and the field path read from each of its elements.
pub(super) struct Projection {
    /// The array crossed first, with its filters.
    pub source: ListSource,
    /// Field names read from each element; the first is a field of the element.
    pub rest: Vec<Name>,
}

/// Whether some element or every element must satisfy a predicate.
#[derive(Clone, Copy)]
enum Quantifier {
    Any,
    All,
}

/// Builds a predicate from the value read from one array element.
pub(super) type ElementPredicate<'a> = dyn FnMut(&mut Binder, Node) -> Result<Node, Diagnostic> + 'a;

impl Binder {
    /// Returns the projection that `expr` denotes, or `None` when `expr` reads no field
    /// through an array.
    pub(super) fn projection(&mut self, expr: &Expr) -> Result<Option<Projection>, Diagnostic> {
        let mut names = Vec::new();
        let mut root = expr;
        while let ExprKind::Field { base, name } = &root.kind {
            names.push(name.clone());
            root = base;
        }
        names.reverse();
        if let ExprKind::Up { path, .. } = &root.kind {
            names.splice(0..0, path.iter().cloned());
        }
        if names.is_empty() {
            return Ok(None);
        }
        let mut node = match &root.kind {
            ExprKind::Filter { .. } => {
                let source = self.bind_list(root)?;
                return Ok(Some(Projection { source, rest: names }));
            }
            ExprKind::Up { levels, .. } => self.bind_up(*levels, &[], root.span)?,
            ExprKind::Ident(_) | ExprKind::Param(_) | ExprKind::This => self.bind_expr(root)?,
            _ => return Ok(None),
        };
        for (index, name) in names.iter().enumerate() {
            if let DataType::List(element) = &node.data_type {
                let element = (**element).clone();
                let source = ListSource { list: node, filters: Vec::new(), element };
                return Ok(Some(Projection { source, rest: names[index..].to_vec() }));
            }
            let span = node.span.to(name.span);
            node = self.field_of(node, name, span)?;
        }
        Ok(None)
    }

    /// Binds `expr` as the operand of a predicate that `build` makes from a scalar value.
    ///
    /// When `expr` is a projection or an array of scalars, the predicate is built on each
    /// element and the result is true when some element satisfies it. Otherwise it is `build`
    /// applied to the bound value.
    pub(super) fn bind_any_element(
        &mut self,
        expr: &Expr,
        span: Span,
        build: &mut ElementPredicate<'_>,
    ) -> Result<Node, Diagnostic> {
        if let Some(projection) = self.projection(expr)? {
            return self.quantify_projection(projection, Quantifier::Any, span, build);
        }
        let node = self.bind_expr(expr)?;
        self.quantify_value(node, Quantifier::Any, span, build)
    }

    /// Binds an array-valued `expr` (an array field, a filtered array or a projection) and
    /// builds a predicate that is true when every element satisfies `build`, with no check for
    /// a null array. Also returns the first array crossed, for such a check.
    ///
    /// # Errors
    ///
    /// Returns a type mismatch when `expr` is not an array.
    pub(super) fn bind_every_element(
        &mut self,
        expr: &Expr,
        span: Span,
        build: &mut ElementPredicate<'_>,
    ) -> Result<(Node, Node), Diagnostic> {
        if let Some(projection) = self.projection(expr)? {
            let root = projection.source.list.clone();
            return Ok((self.quantify_projection(projection, Quantifier::All, span, build)?, root));
        }
        let source = self.bind_list(expr)?;
        let root = source.list.clone();
        let projection = Projection { source, rest: Vec::new() };
        Ok((self.quantify_projection(projection, Quantifier::All, span, build)?, root))
    }

    /// Returns the first array that `expr` crosses (the array itself when `expr` is an array
    /// value), or `None` when `expr` is not array-valued.
    pub(super) fn array_root(&mut self, expr: &Expr) -> Result<Option<Node>, Diagnostic> {
        if let Some(projection) = self.projection(expr)? {
            return Ok(Some(projection.source.list));
        }
        let node = match &expr.kind {
            ExprKind::Filter { .. } => self.bind_list(expr)?.list,
            _ => self.bind_expr(expr)?,
        };
        Ok(matches!(node.data_type, DataType::List(_)).then_some(node))
    }

    /// Applies `build` to `node`, or to each element of it (recursively) when it is an array.
    fn quantify_value(
        &mut self,
        node: Node,
        quantifier: Quantifier,
        span: Span,
        build: &mut ElementPredicate<'_>,
    ) -> Result<Node, Diagnostic> {
        let DataType::List(element) = &node.data_type else {
            return build(self, node);
        };
        let element = (**element).clone();
        let source = ListSource { list: node, filters: Vec::new(), element };
        self.quantify_projection(Projection { source, rest: Vec::new() }, quantifier, span, build)
    }

    /// Builds `Exists` (or `Forall`) over the projection's source with the predicate on the
    /// projected field of the element, nesting one more level for every further array crossed.
    fn quantify_projection(
        &mut self,
        projection: Projection,
        quantifier: Quantifier,
        span: Span,
        build: &mut ElementPredicate<'_>,
    ) -> Result<Node, Diagnostic> {
        let Projection { mut source, rest } = projection;
        let element = source.element.clone();
        let predicate = self.in_element_scope(&element, false, |binder| {
            let mut node = binder.column(binder.current_scope(), Vec::new(), span);
            for (index, name) in rest.iter().enumerate() {
                if let DataType::List(inner) = &node.data_type {
                    let inner = (**inner).clone();
                    let source = ListSource { list: node, filters: Vec::new(), element: inner };
                    let projection = Projection { source, rest: rest[index..].to_vec() };
                    return binder.quantify_projection(projection, quantifier, span, build);
                }
                let field_span = node.span.to(name.span);
                node = binder.field_of(node, name, field_span)?;
            }
            binder.quantify_value(node, quantifier, span, build)
        })?;
        let function = match quantifier {
            Quantifier::Any => {
                source.filters.push(predicate);
                ListFunction::Exists
            }
            Quantifier::All => ListFunction::Forall(Box::new(predicate)),
        };
        Ok(Self::aggregate(source, function, DataType::Bool, span))
    }

    /// Binds `.count()` (`kind` `None`) or another aggregate method without arguments on a
    /// projection, or returns `None` when `receiver` is not a projection.
    ///
    /// The projected array is flattened: over `xEvent.productListItems.quantity`, `count` is the
    /// sum of the per-event item counts, `sum` the sum of the per-event sums, and `min` and `max`
    /// the extreme of the per-event extremes.
    ///
    /// # Errors
    ///
    /// Returns the binding and type errors of the projection and the aggregate.
    pub(super) fn bind_projection_aggregate(
        &mut self,
        receiver: &Expr,
        kind: Option<AggregateKind>,
        span: Span,
    ) -> Result<Option<Node>, Diagnostic> {
        let Some(projection) = self.projection(receiver)? else {
            return Ok(None);
        };
        if kind == Some(AggregateKind::Average) && self.crosses_inner_array(&projection) {
            // Averaging per array and then across arrays would weigh short arrays too much, so
            // the projected values are flattened into one list first.
            let list = self.projection_value(projection, span)?;
            let element = list.data_type.element().cloned().unwrap_or(DataType::Null);
            let value = self.in_element_scope(&element, false, |binder| Ok(binder.column(binder.current_scope(), Vec::new(), span)))?;
            let (function, data_type) = aggregate_function(AggregateKind::Average, value)?;
            let source = ListSource { list, filters: Vec::new(), element };
            return Ok(Some(Self::aggregate(source, function, data_type, span)));
        }
        let Projection { source, rest } = projection;
        self.aggregate_level(source, &rest, kind, span).map(Some)
    }

    /// Returns true when reading the projection's path from an element crosses another array.
    pub(super) fn crosses_inner_array(&self, projection: &Projection) -> bool {
        let mut data_type = projection.source.element.clone();
        for name in &projection.rest {
            match &data_type {
                DataType::List(_) => return true,
                DataType::Struct(_) => data_type = data_type.field(&name.text).cloned().unwrap_or(DataType::Null),
                _ => return false,
            }
        }
        false
    }

    /// Binds a projection as one list value: the projected field of every element of every
    /// array crossed, in order, with one level of nesting removed per inner array.
    pub(super) fn projection_value(&mut self, projection: Projection, span: Span) -> Result<Node, Diagnostic> {
        let Projection { source, rest } = projection;
        let element = source.element.clone();
        let (value, nested) = self.in_element_scope(&element, false, |binder| {
            let mut node = binder.column(binder.current_scope(), Vec::new(), span);
            for (index, name) in rest.iter().enumerate() {
                if let DataType::List(inner) = &node.data_type {
                    let inner = (**inner).clone();
                    let source = ListSource { list: node, filters: Vec::new(), element: inner };
                    let projection = Projection { source, rest: rest[index..].to_vec() };
                    return Ok((binder.projection_value(projection, span)?, true));
                }
                let field_span = node.span.to(name.span);
                node = binder.field_of(node, name, field_span)?;
            }
            Ok((node, false))
        })?;
        let mapped_type = DataType::List(Box::new(value.data_type.clone()));
        let flat_type = value.data_type.clone();
        let kind = NodeKind::ListMap { list: Box::new(source.list), filters: source.filters, element: Box::new(value) };
        let mapped = Node { kind, data_type: mapped_type, span };
        if !nested {
            return Ok(mapped);
        }
        Ok(Node { kind: NodeKind::Flatten(Box::new(mapped)), data_type: flat_type, span })
    }

    /// Aggregates one array of a projection: the projected field of each element, or the
    /// aggregate of the next array crossed.
    fn aggregate_level(
        &mut self,
        source: ListSource,
        rest: &[Name],
        kind: Option<AggregateKind>,
        span: Span,
    ) -> Result<Node, Diagnostic> {
        let element = source.element.clone();
        let value = self.in_element_scope(&element, false, |binder| {
            let mut node = binder.column(binder.current_scope(), Vec::new(), span);
            for (index, name) in rest.iter().enumerate() {
                if matches!(node.data_type, DataType::List(_)) {
                    return binder.aggregate_inner(node, &rest[index..], kind, span).map(Some);
                }
                let field_span = node.span.to(name.span);
                node = binder.field_of(node, name, field_span)?;
            }
            if matches!(node.data_type, DataType::List(_)) {
                return binder.aggregate_inner(node, &[], kind, span).map(Some);
            }
            Ok(kind.map(|_| node))
        })?;
        let Some(value) = value else {
            return Ok(Self::aggregate(source, ListFunction::Count, DataType::Int, span));
        };
        // NOTE: an outer `sum` skips nulls, so an inner integer sum that overflows to null is
        // left out of the total rather than making it null.
        let (function, data_type) = match kind {
            None => (ListFunction::Sum(Box::new(value)), DataType::Int),
            Some(kind) => aggregate_function(kind, value)?,
        };
        Ok(Self::aggregate(source, function, data_type, span))
    }

    /// Aggregates an inner array met while walking a projection inside an element scope.
    fn aggregate_inner(
        &mut self,
        list: Node,
        rest: &[Name],
        kind: Option<AggregateKind>,
        span: Span,
    ) -> Result<Node, Diagnostic> {
        let DataType::List(element) = &list.data_type else {
            return Err(super::type_mismatch("an array", &list.data_type, list.span));
        };
        let element = (**element).clone();
        self.aggregate_level(ListSource { list, filters: Vec::new(), element }, rest, kind, span)
    }
}
