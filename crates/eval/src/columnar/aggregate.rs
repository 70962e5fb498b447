//! List aggregates: `exists`, `forall`, `count`, `sum`, `average`, `min`, `max`, distinct
//! count and `head` over the elements of a list that pass its filters.
//!
//! Filters and element expressions run once over all elements of the batch in the child
//! scope, then each parent row reduces its own range of elements.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBufferBuilder, Float64Array, Int64Array,
    PrimitiveArray, StringArray, TimestampMicrosecondArray, UInt32Array,
};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use arrow::compute::take;
use arrow::datatypes::{
    ArrowPrimitiveType, DataType as ArrowType, Float64Type, Int64Type, UInt32Type,
};
use seg_plan::{DataType, ListFunction, Node, NodeKind};

use super::EvalError;
use super::arrays::{as_list, describe, downcast, mask, unexpected_type};
use super::eval::BatchEvaluator;
use super::scope::ElementRanges;

impl<'p> BatchEvaluator<'p> {
    /// Runs `evaluate` in the child scope whose rows are the elements of `list`, then returns
    /// to the current scope.
    pub(super) fn in_elements<T>(
        &mut self,
        list: &'p Node,
        evaluate: impl FnOnce(&mut Self) -> Result<T, EvalError>,
    ) -> Result<T, EvalError> {
        let key = match &list.kind {
            NodeKind::Column { scope, path } => Some((*scope, path.as_slice())),
            _ => None,
        };
        let reentered = key.is_some_and(|(scope, path)| self.scopes.reenter(scope, path));
        if !reentered {
            let lists = self.array(list)?;
            self.scopes.enter(as_list(&lists, list)?, key)?;
        }
        let result = evaluate(self);
        self.scopes.exit();
        result
    }

    /// Evaluates `exists` or `forall` over the filtered elements of each row's list.
    pub(super) fn list_predicate(
        &mut self,
        list: &'p Node,
        filters: &'p [Node],
        function: &'p ListFunction,
    ) -> Result<BooleanArray, EvalError> {
        self.in_elements(list, |evaluator| {
            let ranges = evaluator.scopes.ranges()?;
            let filter = evaluator.filter(filters)?;
            let bits = match function {
                ListFunction::Exists => {
                    let counts = count_per_row(filter.as_ref().map(BooleanArray::values), &ranges);
                    BooleanBuffer::collect_bool(counts.len(), |row| counts[row] > 0)
                }
                ListFunction::Forall(condition) => {
                    let satisfied = evaluator.predicate(condition)?;
                    let failing = match &filter {
                        Some(filter) => filter.values() & &!satisfied.values(),
                        None => !satisfied.values(),
                    };
                    let counts = count_per_row(Some(&failing), &ranges);
                    BooleanBuffer::collect_bool(counts.len(), |row| counts[row] == 0)
                }
                _ => {
                    return Err(EvalError::InvalidPlan(
                        "a value aggregate at a predicate position".to_string(),
                    ));
                }
            };
            Ok(mask(bits))
        })
    }

    /// Evaluates `count`, `sum`, `average`, `min`, `max`, distinct count or `head` over the
    /// filtered elements of each row's list.
    pub(super) fn list_value(
        &mut self,
        list: &'p Node,
        filters: &'p [Node],
        function: &'p ListFunction,
    ) -> Result<ArrayRef, EvalError> {
        self.in_elements(list, |evaluator| {
            let ranges = evaluator.scopes.ranges()?;
            let filter = evaluator.filter(filters)?;
            let filter = filter.as_ref().map(BooleanArray::values);
            match function {
                ListFunction::Count => {
                    let counts = count_per_row(filter, &ranges);
                    Ok(Arc::new(Int64Array::from_iter_values(
                        counts.into_iter().map(i64::from),
                    )) as ArrayRef)
                }
                ListFunction::Sum(element) => {
                    let values = evaluator.array(element)?;
                    sum(&values, element, filter, &ranges)
                }
                ListFunction::Average(element) => {
                    let values = evaluator.array(element)?;
                    average(&values, element, filter, &ranges)
                }
                ListFunction::Min(element) => {
                    let values = evaluator.array(element)?;
                    extreme(&values, element, filter, &ranges, Ordering::Less)
                }
                ListFunction::Max(element) => {
                    let values = evaluator.array(element)?;
                    extreme(&values, element, filter, &ranges, Ordering::Greater)
                }
                ListFunction::CountDistinct(element) => {
                    let values = evaluator.array(element)?;
                    count_distinct(&values, element, filter, &ranges)
                }
                ListFunction::First(element) => {
                    let values = evaluator.array(element)?;
                    first(&values, filter, &ranges)
                }
                ListFunction::Exists | ListFunction::Forall(_) => Err(EvalError::InvalidPlan(
                    "a predicate aggregate evaluated as a value".to_string(),
                )),
            }
        })
    }

    /// Evaluates the conjunction of element filters; `None` when there are none.
    fn filter(&mut self, filters: &'p [Node]) -> Result<Option<BooleanArray>, EvalError> {
        if filters.is_empty() {
            return Ok(None);
        }
        self.all(filters).map(Some)
    }
}

/// Counts the set bits of each row's element range; with no bits, counts every element.
///
/// A prefix count of set bits per 64-bit word makes each row's count two lookups and two
/// popcounts, whatever the density of the bits and the length of the lists.
fn count_per_row(bits: Option<&BooleanBuffer>, ranges: &ElementRanges) -> Vec<u32> {
    let rows = ranges.parent_len();
    let Some(bits) = bits else {
        return (0..rows)
            .map(|row| ranges.range(row).len() as u32)
            .collect();
    };
    let words: Vec<u64> = bits.bit_chunks().iter_padded().collect();
    let mut before = Vec::with_capacity(words.len() + 1);
    let mut total = 0u32;
    for word in &words {
        before.push(total);
        total += word.count_ones();
    }
    before.push(total);
    // The number of set bits before `element`.
    let rank = |element: usize| -> u32 {
        let (index, shift) = (element / 64, element % 64);
        let partial = match words.get(index) {
            Some(word) if shift > 0 => (word << (64 - shift)).count_ones(),
            _ => 0,
        };
        before[index] + partial
    };
    (0..rows)
        .map(|row| {
            let range = ranges.range(row);
            rank(range.end) - rank(range.start)
        })
        .collect()
}

/// Returns the elements that are aggregated: those passing the filter whose value is not null.
fn included(filter: Option<&BooleanBuffer>, nulls: Option<&NullBuffer>) -> Option<BooleanBuffer> {
    let valid = nulls
        .filter(|nulls| nulls.null_count() > 0)
        .map(NullBuffer::inner);
    match (filter, valid) {
        (None, None) => None,
        (Some(filter), None) => Some(filter.clone()),
        (None, Some(valid)) => Some(valid.clone()),
        (Some(filter), Some(valid)) => Some(filter & valid),
    }
}

/// Visits the included elements of one row in list order.
fn for_each_included(
    range: std::ops::Range<usize>,
    included: Option<&BooleanBuffer>,
    mut visit: impl FnMut(usize),
) {
    match included {
        None => range.for_each(visit),
        Some(bits) => range.filter(|&i| bits.value(i)).for_each(&mut visit),
    }
}

/// Builds a primitive array with one slot per row; `None` becomes null.
fn collect_rows<T: ArrowPrimitiveType>(
    rows: usize,
    mut value: impl FnMut(usize) -> Option<T::Native>,
) -> PrimitiveArray<T> {
    let mut valid = BooleanBufferBuilder::new(rows);
    let values: Vec<T::Native> = (0..rows)
        .map(|row| {
            let result = value(row);
            valid.append(result.is_some());
            result.unwrap_or_default()
        })
        .collect();
    PrimitiveArray::new(values.into(), Some(NullBuffer::new(valid.finish())))
}

/// Sums the included values: 0 for none. Integers are summed exactly in `i128` (no overflow
/// below 2^64 elements), and the row is null when the total does not fit in `i64`, whatever
/// the partial sums do. Doubles are summed in list order.
fn sum(
    values: &ArrayRef,
    element: &Node,
    filter: Option<&BooleanBuffer>,
    ranges: &ElementRanges,
) -> Result<ArrayRef, EvalError> {
    let rows = ranges.parent_len();
    match element.data_type {
        DataType::Int => {
            let ints = downcast::<Int64Array>(values, element)?;
            let included = included(filter, ints.nulls());
            let ints = ints.values();
            let sums = collect_rows::<Int64Type>(rows, |row| {
                let mut total = 0i128;
                for_each_included(ranges.range(row), included.as_ref(), |i| {
                    total += i128::from(ints[i])
                });
                i64::try_from(total).ok()
            });
            Ok(Arc::new(sums))
        }
        DataType::Double => {
            let doubles = downcast::<Float64Array>(values, element)?;
            let included = included(filter, doubles.nulls());
            let doubles = doubles.values();
            let sums = collect_rows::<Float64Type>(rows, |row| {
                let mut total = 0.0;
                for_each_included(ranges.range(row), included.as_ref(), |i| {
                    total += doubles[i]
                });
                Some(total)
            });
            Ok(Arc::new(sums))
        }
        _ => Err(EvalError::InvalidPlan(format!(
            "sum of a value of type {}",
            element.data_type
        ))),
    }
}

/// Averages the included values as a double; null for none. Integers are summed exactly in
/// `i128` and divided once, so large values lose no precision before the division.
fn average(
    values: &ArrayRef,
    element: &Node,
    filter: Option<&BooleanBuffer>,
    ranges: &ElementRanges,
) -> Result<ArrayRef, EvalError> {
    let rows = ranges.parent_len();
    let averages = match element.data_type {
        DataType::Int => {
            let ints = downcast::<Int64Array>(values, element)?;
            let included = included(filter, ints.nulls());
            let ints = ints.values();
            collect_rows::<Float64Type>(rows, |row| {
                let (mut total, mut count) = (0i128, 0u64);
                for_each_included(ranges.range(row), included.as_ref(), |i| {
                    total += i128::from(ints[i]);
                    count += 1;
                });
                (count > 0).then(|| total as f64 / count as f64)
            })
        }
        DataType::Double => {
            let doubles = downcast::<Float64Array>(values, element)?;
            let included = included(filter, doubles.nulls());
            let doubles = doubles.values();
            collect_rows::<Float64Type>(rows, |row| {
                let (mut total, mut count) = (0.0, 0u64);
                for_each_included(ranges.range(row), included.as_ref(), |i| {
                    total += doubles[i];
                    count += 1;
                });
                (count > 0).then(|| total / count as f64)
            })
        }
        _ => {
            return Err(EvalError::InvalidPlan(format!(
                "average of a value of type {}",
                element.data_type
            )));
        }
    };
    Ok(Arc::new(averages))
}

/// Returns the smallest (`direction` = `Less`) or largest (`Greater`) included value per row,
/// null for none, with the element's type.
///
/// The result is the first value in list order that no later value beats. Doubles compare as
/// IEEE 754 numbers: a NaN never beats a value or is beaten by one, so it is the result only
/// when it comes first, and of `-0.0` and `0.0` the first one wins.
fn extreme(
    values: &ArrayRef,
    element: &Node,
    filter: Option<&BooleanBuffer>,
    ranges: &ElementRanges,
    direction: Ordering,
) -> Result<ArrayRef, EvalError> {
    let included = included(filter, values.logical_nulls().as_ref());
    let included = included.as_ref();
    let positions = match values.data_type() {
        ArrowType::Int64 => {
            let ints = values.as_primitive::<Int64Type>().values();
            best_positions(ranges, included, direction, |a, b| {
                Some(ints[a].cmp(&ints[b]))
            })
        }
        ArrowType::Timestamp(_, _) => {
            let times = downcast::<TimestampMicrosecondArray>(values, element)?.values();
            best_positions(ranges, included, direction, |a, b| {
                Some(times[a].cmp(&times[b]))
            })
        }
        ArrowType::Float64 => {
            let doubles = values.as_primitive::<Float64Type>().values();
            best_positions(ranges, included, direction, |a, b| {
                doubles[a].partial_cmp(&doubles[b])
            })
        }
        ArrowType::Utf8 => {
            let strings = downcast::<StringArray>(values, element)?;
            best_positions(ranges, included, direction, |a, b| {
                Some(strings.value(a).cmp(strings.value(b)))
            })
        }
        ArrowType::Boolean => {
            let booleans = values.as_boolean();
            best_positions(ranges, included, direction, |a, b| {
                Some(booleans.value(a).cmp(&booleans.value(b)))
            })
        }
        other => {
            return Err(unexpected_type(
                describe(element),
                &element.data_type,
                other,
            ));
        }
    };
    Ok(take(values, &positions, None)?)
}

/// Returns, per row, the position of the first included element that no later included
/// element beats in `direction`, or null when the row has none. `compare` returns `None` for
/// values that are not ordered.
fn best_positions(
    ranges: &ElementRanges,
    included: Option<&BooleanBuffer>,
    direction: Ordering,
    compare: impl Fn(usize, usize) -> Option<Ordering>,
) -> UInt32Array {
    collect_rows::<UInt32Type>(ranges.parent_len(), |row| {
        let mut best: Option<usize> = None;
        for_each_included(ranges.range(row), included, |i| {
            if best.is_none_or(|best| compare(i, best) == Some(direction)) {
                best = Some(i);
            }
        });
        best.map(|best| best as u32)
    })
}

/// Counts the distinct non-null included values of each row. Doubles are keyed by their bits
/// after adding 0.0, which maps -0.0 to 0.0, so values are distinct exactly when `=` is false
/// (every double in a batch is finite).
fn count_distinct(
    values: &ArrayRef,
    element: &Node,
    filter: Option<&BooleanBuffer>,
    ranges: &ElementRanges,
) -> Result<ArrayRef, EvalError> {
    let included = included(filter, values.logical_nulls().as_ref());
    let included = included.as_ref();
    let rows = ranges.parent_len();
    let counts: Vec<i64> = match values.data_type() {
        ArrowType::Int64 => {
            let ints = values.as_primitive::<Int64Type>().values();
            distinct_per_row(rows, ranges, included, |i| ints[i])
        }
        ArrowType::Timestamp(_, _) => {
            let times = downcast::<TimestampMicrosecondArray>(values, element)?.values();
            distinct_per_row(rows, ranges, included, |i| times[i])
        }
        ArrowType::Float64 => {
            let doubles = values.as_primitive::<Float64Type>().values();
            distinct_per_row(rows, ranges, included, |i| (doubles[i] + 0.0).to_bits())
        }
        ArrowType::Utf8 => {
            let strings = downcast::<StringArray>(values, element)?;
            distinct_per_row(rows, ranges, included, |i| strings.value(i))
        }
        ArrowType::Boolean => {
            let bools = values.as_boolean();
            distinct_per_row(rows, ranges, included, |i| bools.value(i))
        }
        other => return Err(unexpected_type(describe(element), &element.data_type, other)),
    };
    Ok(Arc::new(Int64Array::from(counts)) as ArrayRef)
}

/// Counts the distinct keys of the included elements of each row.
fn distinct_per_row<K: Eq + std::hash::Hash>(
    rows: usize,
    ranges: &ElementRanges,
    included: Option<&BooleanBuffer>,
    key: impl Fn(usize) -> K,
) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    (0..rows)
        .map(|row| {
            seen.clear();
            for_each_included(ranges.range(row), included, |i| {
                seen.insert(key(i));
            });
            i64::try_from(seen.len()).unwrap_or(i64::MAX)
        })
        .collect()
}

/// Takes the value of the first element of each row that passes the filter, or null.
fn first(values: &ArrayRef, filter: Option<&BooleanBuffer>, ranges: &ElementRanges) -> Result<ArrayRef, EvalError> {
    let rows = ranges.parent_len();
    let positions: UInt32Array = (0..rows)
        .map(|row| {
            let mut range = ranges.range(row);
            let position = match filter {
                None => range.next(),
                Some(bits) => range.find(|&i| bits.value(i)),
            };
            position.and_then(|i| u32::try_from(i).ok())
        })
        .collect();
    Ok(take(values, &positions, None)?)
}
