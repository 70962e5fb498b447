//! Membership tests against array values: `x in arr`, `x notIn arr`, and the array methods
//! `includes`, `intersects`, `subsetOf` and `supersetOf`.
//!
//! Every one is rewritten into `exists` and `forall` over the arrays, with `=` on the elements,
//! so both evaluators run them unchanged. Element equality is that of `=`: a null element
//! equals nothing, and integers meet doubles as doubles.

use seg_pql::ast::{Comparison, Expr, ExprKind};
use seg_pql::{Diagnostic, Span};

use super::predicates::{compare_nodes, in_list_node, is_comparable};
use super::{Binder, codes, type_mismatch};
use crate::plan::{Node, NodeKind};
use crate::types::DataType;

impl Binder {
    /// Binds `value in array` or `value notIn array` for an array that is not a literal.
    ///
    /// `in` is true when the value is not null and equals some element. `notIn` is true when
    /// the value and the array are not null and no element equals the value.
    pub(super) fn bind_in_array(&mut self, negated: bool, value: &Expr, array: &Expr, span: Span) -> Result<Node, Diagnostic> {
        self.bind_any_element(value, span, &mut |binder, value| binder.member_of(negated, value, array, span))
    }

    /// Binds `array.includes(value)`, which is `value in array`.
    pub(super) fn bind_includes(&mut self, array: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [value] = args else {
            return Err(super::argument_count("includes", 1, args.len(), span));
        };
        self.bind_any_element(value, span, &mut |binder, value| binder.member_of(false, value, array, span))
    }

    /// Binds `a.intersects(b)`: true when some element of `a` equals some element of `b`.
    pub(super) fn bind_intersects(&mut self, array: &Expr, args: &[Expr], span: Span) -> Result<Node, Diagnostic> {
        let [other] = args else {
            return Err(super::argument_count("intersects", 1, args.len(), span));
        };
        self.require_array(array)?;
        if let ExprKind::Array(_) = &other.kind {
            return self.bind_any_element(array, span, &mut |_, element| in_list_node(false, element, other, span));
        }
        self.require_array(other)?;
        self.bind_any_element(array, span, &mut |binder, element| {
            binder.bind_any_element(other, span, &mut |_, candidate| {
                element_equality(element.clone(), candidate, span)
            })
        })
    }

    /// Binds `a.subsetOf(b)` (or `b.supersetOf(a)` when `superset`): true when neither array is
    /// null and every element of `a` equals some element of `b`. An empty `a` is a subset of
    /// any array that is not null, and a null element of `a` equals nothing, so it makes the
    /// test false.
    pub(super) fn bind_subset(&mut self, receiver: &Expr, args: &[Expr], superset: bool, span: Span) -> Result<Node, Diagnostic> {
        let [argument] = args else {
            let method = if superset { "supersetOf" } else { "subsetOf" };
            return Err(super::argument_count(method, 1, args.len(), span));
        };
        let (subset, superset) = if superset { (argument, receiver) } else { (receiver, argument) };
        let mut conditions = Vec::new();
        match (&subset.kind, &superset.kind) {
            (ExprKind::Array(elements), _) => {
                conditions.push(self.not_null_array(superset)?);
                for element in elements {
                    let constant = self.bind_expr(element)?;
                    let found = self.bind_any_element(superset, span, &mut |_, candidate| {
                        element_equality(candidate, constant.clone(), span)
                    })?;
                    conditions.push(found);
                }
            }
            (_, ExprKind::Array(_)) => {
                let (every, root) = self.bind_every_element(subset, span, &mut |_, element| {
                    in_list_node(false, element, superset, span)
                })?;
                conditions.push(not_null(root));
                conditions.push(every);
            }
            _ => {
                let (every, root) = self.bind_every_element(subset, span, &mut |binder, element| {
                    binder.bind_any_element(superset, span, &mut |_, candidate| {
                        element_equality(element.clone(), candidate, span)
                    })
                })?;
                conditions.push(not_null(root));
                conditions.push(self.not_null_array(superset)?);
                conditions.push(every);
            }
        }
        Ok(Node { kind: NodeKind::And(conditions), data_type: DataType::Bool, span })
    }

    /// Builds the membership test of a bound scalar `value` in a non-literal `array`.
    pub(super) fn member_of(&mut self, negated: bool, value: Node, array: &Expr, span: Span) -> Result<Node, Diagnostic> {
        if !is_comparable(&value.data_type) && !matches!(value.data_type, DataType::Struct(_)) {
            return Err(type_mismatch("a boolean, number, string or timestamp", &value.data_type, value.span));
        }
        let root = self.require_array(array)?;
        let found = self.bind_any_element(array, span, &mut |_, element| element_equality(value.clone(), element, span))?;
        if !negated {
            return Ok(found);
        }
        let absent = Node { kind: NodeKind::Not(Box::new(found)), data_type: DataType::Bool, span };
        let conditions = vec![not_null(value), not_null(root), absent];
        Ok(Node { kind: NodeKind::And(conditions), data_type: DataType::Bool, span })
    }

    /// Returns the first array `expr` crosses, or a type mismatch when `expr` is not an array.
    fn require_array(&mut self, expr: &Expr) -> Result<Node, Diagnostic> {
        match self.array_root(expr)? {
            Some(root) => Ok(root),
            None => {
                let found = self.bind_expr(expr)?;
                Err(type_mismatch("an array", &found.data_type, found.span))
            }
        }
    }

    fn not_null_array(&mut self, expr: &Expr) -> Result<Node, Diagnostic> {
        Ok(not_null(self.require_array(expr)?))
    }
}

/// Builds `lhs = rhs` on two array elements.
///
/// Two objects are equal when neither is null and each pair of fields is equal under `=` or
/// null on both sides; nested objects compare the same way, and array fields of scalars
/// compare as whole lists, in order.
///
/// # Errors
///
/// Rejects objects with different fields, maps, and other mismatched types as a type mismatch.
pub(super) fn element_equality(lhs: Node, rhs: Node, span: Span) -> Result<Node, Diagnostic> {
    for side in [&lhs, &rhs] {
        if matches!(side.data_type, DataType::Map(_)) {
            return Err(type_mismatch("a boolean, number, string, timestamp or object", &side.data_type, side.span)
                .with_help("maps have no equality; compare entries with `get`, e.g. `m.get(\"k\") = 1`"));
        }
    }
    let (DataType::Struct(fields), DataType::Struct(other_fields)) = (&lhs.data_type, &rhs.data_type) else {
        return compare_nodes(Comparison::Eq, lhs, rhs, span);
    };
    let same_fields = fields.len() == other_fields.len()
        && fields.iter().all(|field| other_fields.iter().any(|other| other.name == field.name));
    if !same_fields {
        return Err(Diagnostic::new(
            codes::TYPE_MISMATCH,
            "cannot compare objects with different fields",
            lhs.span.to(rhs.span),
        )
        .with_help("compare objects of one type, e.g. two elements of the same array"));
    }
    let mut conditions = vec![not_null(lhs.clone()), not_null(rhs.clone())];
    for field in fields {
        let left = field_node(&lhs, &field.name, &field.data_type);
        let right = field_node(&rhs, &field.name, &field.data_type);
        let both_null = Node {
            kind: NodeKind::And(vec![is_null(left.clone()), is_null(right.clone())]),
            data_type: DataType::Bool,
            span,
        };
        let equal = match &field.data_type {
            DataType::List(element) if !matches!(**element, DataType::Struct(_) | DataType::Map(_) | DataType::List(_)) => {
                let kind = NodeKind::ListEquals { lhs: Box::new(left.clone()), rhs: Box::new(right.clone()), negated: false };
                Node { kind, data_type: DataType::Bool, span }
            }
            DataType::List(_) => {
                return Err(Diagnostic::new(
                    codes::TYPE_MISMATCH,
                    format!("cannot compare objects whose field `{}` is an array of objects, maps or arrays", field.name),
                    lhs.span.to(rhs.span),
                )
                .with_help("compare a field that identifies the element instead, e.g. `x.id in xEvent._id`"));
            }
            _ => element_equality(left, right, span)?,
        };
        conditions.push(Node { kind: NodeKind::Or(vec![equal, both_null]), data_type: DataType::Bool, span });
    }
    Ok(Node { kind: NodeKind::And(conditions), data_type: DataType::Bool, span })
}

/// Reads one field of an object node: a longer path for a column, else a field access.
fn field_node(object: &Node, name: &str, data_type: &DataType) -> Node {
    let kind = match &object.kind {
        NodeKind::Column { scope, path } => {
            let mut path = path.clone();
            path.push(name.to_string());
            NodeKind::Column { scope: *scope, path }
        }
        _ => NodeKind::Field { value: Box::new(object.clone()), name: name.to_string() },
    };
    Node { kind, data_type: data_type.clone(), span: object.span }
}

fn is_null(value: Node) -> Node {
    let span = value.span;
    Node { kind: NodeKind::IsNull { value: Box::new(value), negated: false }, data_type: DataType::Bool, span }
}

fn not_null(value: Node) -> Node {
    let span = value.span;
    Node { kind: NodeKind::IsNull { value: Box::new(value), negated: true }, data_type: DataType::Bool, span }
}
