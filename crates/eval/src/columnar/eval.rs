//! Evaluation of plan nodes over one batch: dispatch from node kinds to the kernels, and the
//! logical connectives, null tests and segment references that need no kernel of their own.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::compute::{and, is_not_null, is_null, not, or};
use arrow::datatypes::DataType as ArrowType;
use seg_plan::{ListFunction, Node, NodeKind, Scalar};
use seg_pql::ast::Comparison;

use super::arrays::{Operand, constant_mask, mask, null_as_false, validity};
use super::scope::{Scopes, non_empty_lists};
use super::{EvalError, arith, compare, strings};
use crate::EvalContext;

/// A conjunction tests a time condition only at its remaining true rows when they are fewer
/// than one in this many. Each such row costs a cache miss on the timestamps, so at one row in
/// twenty the row-by-row test measured no faster than a scan of every row.
// NOTE: not tuned further than that measurement.
const SPARSE_SHARE: usize = 64;

/// Evaluates the segments of one call over one batch, sharing scopes and column reads.
pub(super) struct BatchEvaluator<'p> {
    /// The open scopes and their cached columns.
    pub(super) scopes: Scopes<'p>,
    /// The evaluation time in microseconds since the Unix epoch, UTC.
    pub(super) now: i64,
    /// The masks of the segments evaluated so far, for `inSegment`.
    segments: Vec<(&'p str, BooleanArray)>,
}

impl<'p> BatchEvaluator<'p> {
    /// Creates an evaluator for one batch.
    pub(super) fn new(batch: &RecordBatch, context: &EvalContext) -> BatchEvaluator<'p> {
        BatchEvaluator {
            scopes: Scopes::new(batch),
            now: context.now,
            segments: Vec::new(),
        }
    }

    /// Evaluates a segment's root predicate over the profiles and keeps the mask for later
    /// `inSegment` references to `id`.
    pub(super) fn segment(
        &mut self,
        id: &'p str,
        root: &'p Node,
    ) -> Result<BooleanArray, EvalError> {
        let mask = self.predicate(root)?;
        self.segments.push((id, mask.clone()));
        Ok(mask)
    }

    /// Evaluates a node at a boolean position into a mask without nulls over the current scope.
    pub(super) fn predicate(&mut self, node: &'p Node) -> Result<BooleanArray, EvalError> {
        let len = self.scopes.len();
        match &node.kind {
            NodeKind::Not(inner) => Ok(not(&self.predicate(inner)?)?),
            NodeKind::And(operands) => self.all(operands),
            NodeKind::Or(operands) => self.any(operands),
            NodeKind::Compare { op, lhs, rhs } => {
                if let Some(mask) = self.compare_dictionary(*op, lhs, rhs)? {
                    return Ok(mask);
                }
                let left = self.value(lhs)?;
                let right = self.value(rhs)?;
                compare::compare(*op, left, right, lhs, len)
            }
            NodeKind::InList {
                value,
                list,
                negated,
            } => {
                let test = |values: &ArrayRef| compare::in_list(values, value, list, *negated);
                if let Some(mask) = self.over_dictionary(value, &test)? {
                    return Ok(mask);
                }
                test(&self.array(value)?)
            }
            NodeKind::IsNull { value, negated } => {
                let operand = self.value(value)?;
                is_null_mask(operand, *negated, len)
            }
            NodeKind::Truthy(value) => {
                let operand = self.value(value)?;
                Ok(truthy(operand, len))
            }
            NodeKind::StringTest {
                op,
                value,
                patterns,
                case_sensitive,
                negated,
            } => {
                let test = |values: &ArrayRef| {
                    strings::string_test(values, value, *op, patterns, *case_sensitive, *negated)
                };
                if let Some(mask) = self.over_dictionary(value, &test)? {
                    return Ok(mask);
                }
                test(&self.array(value)?)
            }
            NodeKind::Regex { value, regex, .. } => {
                let test = |values: &ArrayRef| strings::regex_match(values, value, regex);
                if let Some(mask) = self.over_dictionary(value, &test)? {
                    return Ok(mask);
                }
                test(&self.array(value)?)
            }
            NodeKind::Occurs { subject, condition } => self.occurs(subject, condition, None),
            NodeKind::ListAggregate {
                list,
                filters,
                function: function @ (ListFunction::Exists | ListFunction::Forall(_)),
            } => self.list_predicate(list, filters, function),
            NodeKind::Chain(chain) => self.chain(chain),
            NodeKind::InSegment(id) => self.in_segment(id),
            NodeKind::Literal(_)
            | NodeKind::Column { .. }
            | NodeKind::Arithmetic { .. }
            | NodeKind::Negate(_)
            | NodeKind::ToDouble(_)
            | NodeKind::ListAggregate { .. } => {
                let operand = self.value(node)?;
                Ok(truthy(operand, len))
            }
            NodeKind::ListEquals { .. } => Ok(null_as_false(self.computed(node)?.as_boolean())),
            _ => {
                let operand = self.value(node)?;
                Ok(truthy(operand, len))
            }
        }
    }

    /// Evaluates a node into its value over the current scope; constants stay scalars.
    pub(super) fn value(&mut self, node: &'p Node) -> Result<Operand<'p>, EvalError> {
        let len = self.scopes.len();
        let array = match &node.kind {
            NodeKind::Literal(scalar) => return Ok(Operand::Scalar(scalar)),
            NodeKind::Column { scope, path } => {
                self.scopes.column(*scope, path, &node.data_type)?
            }
            NodeKind::Arithmetic { op, lhs, rhs } => {
                let left = self.value(lhs)?;
                let right = self.value(rhs)?;
                arith::arithmetic(*op, left, right, node, len)?
            }
            NodeKind::Negate(inner) => {
                let values = self.array(inner)?;
                arith::negate(&values, inner)?
            }
            NodeKind::ToDouble(inner) => {
                let values = self.array(inner)?;
                arith::to_double(&values, inner)?
            }
            NodeKind::ListAggregate {
                list,
                filters,
                function,
            } => match function {
                ListFunction::Exists | ListFunction::Forall(_) => Arc::new(self.predicate(node)?),
                _ => self.list_value(list, filters, function)?,
            },
            NodeKind::Not(_)
            | NodeKind::And(_)
            | NodeKind::Or(_)
            | NodeKind::Compare { .. }
            | NodeKind::InList { .. }
            | NodeKind::IsNull { .. }
            | NodeKind::Truthy(_)
            | NodeKind::StringTest { .. }
            | NodeKind::Regex { .. }
            | NodeKind::Occurs { .. }
            | NodeKind::Chain(_)
            | NodeKind::InSegment(_) => Arc::new(self.predicate(node)?),
            _ => self.computed(node)?,
        };
        Ok(Operand::Array(array))
    }

    /// Evaluates a node into an array with one slot per row of the current scope.
    pub(super) fn array(&mut self, node: &'p Node) -> Result<ArrayRef, EvalError> {
        let len = self.scopes.len();
        Ok(self.value(node)?.into_array(&node.data_type, len))
    }

    /// Evaluates a conjunction, skipping the remaining operands once no row can be true.
    /// A skipped operand reports no error, so a type error in it shows only in batches where
    /// it runs.
    pub(super) fn all(&mut self, operands: &'p [Node]) -> Result<BooleanArray, EvalError> {
        let mut result: Option<BooleanArray> = None;
        for operand in operands {
            if result.as_ref().is_some_and(|acc| !acc.values().has_true()) {
                break;
            }
            let next = match (&result, &operand.kind) {
                // A time test of few remaining rows runs at those rows only.
                (Some(acc), NodeKind::Occurs { subject, condition })
                    if acc.true_count() < acc.len() / SPARSE_SHARE =>
                {
                    self.occurs(subject, condition, Some(acc.values()))?
                }
                _ => self.predicate(operand)?,
            };
            result = Some(match result {
                Some(acc) => and(&acc, &next)?,
                None => next,
            });
        }
        Ok(result.unwrap_or_else(|| constant_mask(true, self.scopes.len())))
    }

    /// Evaluates a disjunction, skipping the remaining operands once every row is true, with
    /// the same effect on errors as [`Self::all`].
    fn any(&mut self, operands: &'p [Node]) -> Result<BooleanArray, EvalError> {
        let mut result: Option<BooleanArray> = None;
        for operand in operands {
            if result.as_ref().is_some_and(|acc| !acc.values().has_false()) {
                break;
            }
            let next = self.predicate(operand)?;
            result = Some(match result {
                Some(acc) => or(&acc, &next)?,
                None => next,
            });
        }
        Ok(result.unwrap_or_else(|| constant_mask(false, self.scopes.len())))
    }

    /// Evaluates `=` or `!=` between a string column and a constant over the column's
    /// dictionary, when the batch stores the column as one; `None` otherwise.
    fn compare_dictionary(
        &mut self,
        op: Comparison,
        lhs: &'p Node,
        rhs: &'p Node,
    ) -> Result<Option<BooleanArray>, EvalError> {
        if !matches!(op, Comparison::Eq | Comparison::NotEq) {
            return Ok(None);
        }
        let (column, constant) = match (&lhs.kind, &rhs.kind) {
            (NodeKind::Column { .. }, NodeKind::Literal(constant @ Scalar::String(_))) => (lhs, constant),
            (NodeKind::Literal(constant @ Scalar::String(_)), NodeKind::Column { .. }) => (rhs, constant),
            _ => return Ok(None),
        };
        let test = |values: &ArrayRef| {
            let operand = Operand::Array(values.clone());
            compare::compare(op, operand, Operand::Scalar(constant), column, values.len())
        };
        self.over_dictionary(column, &test)
    }

    /// Runs a string test once per dictionary value of a string column that the batch stores as
    /// a dictionary, and gives each row the result of its key. Returns `None` for other columns.
    /// The test must be false for a null value.
    fn over_dictionary(
        &mut self,
        value: &'p Node,
        test: impl FnOnce(&ArrayRef) -> Result<BooleanArray, EvalError>,
    ) -> Result<Option<BooleanArray>, EvalError> {
        let NodeKind::Column { scope, path } = &value.kind else {
            return Ok(None);
        };
        let Some(dictionary) = self.scopes.string_dictionary(*scope, path)? else {
            return Ok(None);
        };
        let passing = test(dictionary.values())?;
        Ok(Some(compare::dictionary_map(&dictionary, &passing)?))
    }

    /// Returns the mask of an earlier segment, repeated for every element in a child scope.
    fn in_segment(&mut self, id: &str) -> Result<BooleanArray, EvalError> {
        let Some((_, profiles)) = self.segments.iter().find(|(evaluated, _)| *evaluated == id)
        else {
            return Err(EvalError::UnknownSegment { id: id.to_string() });
        };
        if self.scopes.depth() == 0 {
            return Ok(profiles.clone());
        }
        let profiles: ArrayRef = Arc::new(profiles.clone());
        let repeated = self.scopes.broadcast(&profiles, 0)?;
        Ok(null_as_false(repeated.as_boolean()))
    }
}

/// Evaluates `isNull` (or `isNotNull` when `negated`) over the logical nulls of a value.
fn is_null_mask(
    operand: Operand<'_>,
    negated: bool,
    len: usize,
) -> Result<BooleanArray, EvalError> {
    match operand {
        Operand::Scalar(scalar) => Ok(constant_mask(
            matches!(scalar, Scalar::Null) != negated,
            len,
        )),
        Operand::Array(array) if negated => Ok(is_not_null(&array)?),
        Operand::Array(array) => Ok(is_null(&array)?),
    }
}

/// Evaluates a value at a boolean position: a boolean is itself with null as false, a list is
/// true when it is not null and not empty, and any other value is true when it is not null.
fn truthy(operand: Operand<'_>, len: usize) -> BooleanArray {
    match operand {
        Operand::Scalar(scalar) => {
            constant_mask(!matches!(scalar, Scalar::Null | Scalar::Bool(false)), len)
        }
        Operand::Array(array) => match array.data_type() {
            ArrowType::Boolean => null_as_false(array.as_boolean()),
            ArrowType::List(_) => mask(non_empty_lists(array.as_list())),
            _ => mask(validity(&array)),
        },
    }
}
