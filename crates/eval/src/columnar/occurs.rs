//! The `occurs` kernel: whether a timestamp lies in the instants a time condition accepts.
//!
//! The calendar rules live in `seg_plan::time`; this file only decides how often to apply them.
//! References that are constant for the batch (time words, `date(y, m, d)`, timestamp
//! literals) resolve once, and the timestamps are tested against at most three ranges.
//! A reference read from a column resolves per row.

use arrow::array::{ArrayRef, BooleanArray, BooleanBufferBuilder};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use seg_plan::time::{
    Interval, Ranges, between_ranges, date_parts, day_interval, direction_ranges, offset_ranges, on_ranges,
    resolve_word,
};
use seg_plan::{Node, Scalar, TimeCondition, TimeRef};

use super::EvalError;
use super::arrays::{and_valid, i64_parts, mask};
use super::eval::BatchEvaluator;

/// A time reference evaluated over the current scope.
enum Reference<'p> {
    /// The same interval for every row; `None` when it does not resolve (an invalid date, or
    /// a time outside the supported calendar), which matches nothing.
    Constant(Option<Interval>),
    /// A timestamp per row, each the single instant it names, or with `day` the UTC day that
    /// contains it; null matches nothing.
    PerRow {
        node: &'p Node,
        times: ArrayRef,
        day: bool,
    },
}

impl<'p> BatchEvaluator<'p> {
    /// Evaluates `subject occurs <condition>`; false where the subject is null.
    ///
    /// With `selected`, only the rows whose bit is set are tested, and the others are false.
    /// A conjunction passes the rows that its earlier operands left true.
    pub(super) fn occurs(
        &mut self,
        subject: &'p Node,
        condition: &'p TimeCondition,
        selected: Option<&BooleanBuffer>,
    ) -> Result<BooleanArray, EvalError> {
        let values = self.array(subject)?;
        let (times, nulls) = i64_parts(&values, subject)?;

        let (first, second) = match condition {
            TimeCondition::Offset { reference, .. }
            | TimeCondition::Direction { reference, .. }
            | TimeCondition::On(reference) => (self.reference(reference)?, None),
            TimeCondition::Between(start, end) => {
                (self.reference(start)?, Some(self.reference(end)?))
            }
        };

        let bits = match (&first, &second) {
            (Reference::Constant(first), None) => match first {
                Some(first) => {
                    in_ranges(times, &condition_ranges(condition, *first, *first), selected)
                }
                None => BooleanBuffer::new_unset(times.len()),
            },
            (Reference::Constant(first), Some(Reference::Constant(second))) => {
                match (first, second) {
                    (Some(first), Some(second)) => in_ranges(
                        times,
                        &condition_ranges(condition, *first, *second),
                        selected,
                    ),
                    _ => BooleanBuffer::new_unset(times.len()),
                }
            }
            _ => {
                let first = RowIntervals::new(&first)?;
                let second = second.as_ref().map(RowIntervals::new).transpose()?;
                per_row(times, condition, &first, second.as_ref())
            }
        };
        Ok(mask(and_valid(bits, nulls)))
    }

    fn reference(&mut self, reference: &'p TimeRef) -> Result<Reference<'p>, EvalError> {
        let reference = match reference {
            TimeRef::Word(word) => Reference::Constant(resolve_word(*word, self.now)),
            TimeRef::Day { year, month, day } => Reference::Constant(day_interval(
                i64::from(*year),
                i64::from(*month),
                i64::from(*day),
            )),
            TimeRef::Instant(node) => match self.value(node)? {
                super::arrays::Operand::Scalar(Scalar::Timestamp(micros)) => {
                    Reference::Constant(Some(Interval::instant(*micros)))
                }
                super::arrays::Operand::Scalar(Scalar::Null) => Reference::Constant(None),
                super::arrays::Operand::Scalar(other) => {
                    return Err(EvalError::InvalidPlan(format!(
                        "a time reference is the constant {other}"
                    )));
                }
                super::arrays::Operand::Array(array) => Reference::PerRow {
                    node,
                    times: array,
                    day: false,
                },
            },
            TimeRef::DayOf(node) => {
                let times = self.array(node)?;
                Reference::PerRow {
                    node,
                    times,
                    day: true,
                }
            }
        };
        Ok(reference)
    }
}

/// Returns the instants a condition accepts, given its reference, or for `between` its two
/// references; `second` is ignored by the other forms.
fn condition_ranges(condition: &TimeCondition, first: Interval, second: Interval) -> Ranges {
    match condition {
        TimeCondition::Offset {
            cmp,
            amount,
            unit,
            direction,
            ..
        } => offset_ranges(*cmp, *amount, *unit, *direction, first),
        TimeCondition::Direction { direction, .. } => direction_ranges(*direction, first),
        TimeCondition::On(_) => on_ranges(first),
        TimeCondition::Between(_, _) => between_ranges(first, second),
    }
}

/// Sets the bit of each timestamp inside one of the ranges; with `selected`, of each selected
/// timestamp only.
fn in_ranges(times: &[i64], ranges: &Ranges, selected: Option<&BooleanBuffer>) -> BooleanBuffer {
    if let Some(selected) = selected {
        let mut bits = BooleanBufferBuilder::new(times.len());
        bits.append_n(times.len(), false);
        for row in selected.set_indices() {
            if ranges.contains(times[row]) {
                bits.set_bit(row, true);
            }
        }
        return bits.finish();
    }
    match *ranges.as_slice() {
        [] => BooleanBuffer::new_unset(times.len()),
        [(lo, hi)] => BooleanBuffer::collect_bool(times.len(), |i| lo <= times[i] && times[i] < hi),
        [(lo1, hi1), (lo2, hi2)] => BooleanBuffer::collect_bool(times.len(), |i| {
            let t = times[i];
            (lo1 <= t && t < hi1) || (lo2 <= t && t < hi2)
        }),
        _ => BooleanBuffer::collect_bool(times.len(), |i| ranges.contains(times[i])),
    }
}

/// The interval of a reference at each row.
enum RowIntervals<'a> {
    Constant(Option<Interval>),
    PerRow(&'a [i64], Option<&'a NullBuffer>, bool),
}

impl<'a> RowIntervals<'a> {
    fn new(reference: &'a Reference<'_>) -> Result<RowIntervals<'a>, EvalError> {
        match reference {
            Reference::Constant(interval) => Ok(RowIntervals::Constant(*interval)),
            Reference::PerRow { node, times, day } => {
                let (times, nulls) = i64_parts(times, node)?;
                Ok(RowIntervals::PerRow(times, nulls, *day))
            }
        }
    }

    fn at(&self, row: usize) -> Option<Interval> {
        match self {
            RowIntervals::Constant(interval) => *interval,
            RowIntervals::PerRow(times, nulls, day) => {
                if !nulls.is_none_or(|nulls| nulls.is_valid(row)) {
                    return None;
                }
                if !day {
                    return Some(Interval::instant(times[row]));
                }
                let (year, month, day) = date_parts(times[row])?;
                day_interval(year, month, day)
            }
        }
    }
}

/// Tests each timestamp against the ranges of its own row's references.
fn per_row(
    times: &[i64],
    condition: &TimeCondition,
    first: &RowIntervals<'_>,
    second: Option<&RowIntervals<'_>>,
) -> BooleanBuffer {
    BooleanBuffer::collect_bool(times.len(), |row| {
        let Some(start) = first.at(row) else {
            return false;
        };
        let end = match second {
            Some(second) => match second.at(row) {
                Some(end) => end,
                None => return false,
            },
            None => start,
        };
        condition_ranges(condition, start, end).contains(times[row])
    })
}
