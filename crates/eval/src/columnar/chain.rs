//! The `chain` kernel: whether a profile's events contain the chain steps in time order.
//!
//! Each step's condition runs once over all events of the batch. Then, per profile, the
//! events with an ordering timestamp are ordered by it and matched greedily: each step takes
//! the `count`-th matching event strictly after the event that completed the previous step.
//! Taking the earliest possible completion for every step is optimal, because a later step
//! only depends on how early the previous one completed.

use arrow::array::{Array, AsArray, BooleanArray};
use arrow::buffer::{BooleanBuffer, NullBuffer};
use arrow::datatypes::TimestampMicrosecondType;
use seg_plan::{ChainPlan, DataType};

use super::EvalError;
use super::arrays::{mask, unexpected_type};
use super::eval::BatchEvaluator;

/// One step's matching events and how many distinct ones it needs.
struct Step {
    matches: BooleanBuffer,
    /// The same bits as 64-bit words from event 0, for finding the next match quickly.
    words: Vec<u64>,
    count: u64,
}

impl Step {
    fn new(matches: BooleanBuffer, count: u64) -> Step {
        let words = matches.bit_chunks().iter_padded().collect();
        Step {
            matches,
            words,
            count,
        }
    }

    /// Returns the first matching event in `from..end`.
    fn next_match(&self, from: usize, end: usize) -> Option<usize> {
        if from >= end {
            return None;
        }
        let mut index = from / 64;
        let mut word = self.words[index] & (u64::MAX << (from % 64));
        loop {
            if word != 0 {
                let event = index * 64 + word.trailing_zeros() as usize;
                return (event < end).then_some(event);
            }
            index += 1;
            if index * 64 >= end {
                return None;
            }
            word = self.words[index];
        }
    }
}

impl<'p> BatchEvaluator<'p> {
    /// Evaluates a chain over the events of each row's list.
    pub(super) fn chain(&mut self, chain: &'p ChainPlan) -> Result<BooleanArray, EvalError> {
        self.in_elements(&chain.list, |evaluator| {
            let ranges = evaluator.scopes.ranges()?;
            let depth = evaluator.scopes.depth();
            let times = evaluator
                .scopes
                .column(depth, &chain.order_path, &DataType::Timestamp)?;
            let Some(times) = times.as_primitive_opt::<TimestampMicrosecondType>() else {
                let name = format!("chain ordering column `{}`", chain.order_path.join("."));
                return Err(unexpected_type(
                    name,
                    &DataType::Timestamp,
                    times.data_type(),
                ));
            };

            let mut steps = Vec::with_capacity(chain.steps.len());
            for step in &chain.steps {
                let matches = evaluator.predicate(&step.condition)?;
                steps.push(Step::new(matches.values().clone(), step.count));
            }

            let values = times.values();
            let nulls = times.nulls().filter(|nulls| nulls.null_count() > 0);
            let mut order = Vec::new();
            let bits = BooleanBuffer::collect_bool(ranges.parent_len(), |row| {
                let range = ranges.range(row);
                if nulls.is_none() && is_sorted(&values[range.clone()]) {
                    return sorted_chain_holds(range, values, &steps);
                }
                sort_events(range, values, nulls, &mut order);
                chain_holds(&order, values, &steps)
            });
            Ok(mask(bits))
        })
    }
}

/// Fills `order` with the events of `range` that have a timestamp, ordered by it.
///
/// Events usually arrive sorted, so the sort runs only when the range is out of order. An
/// unstable sort is enough: which of two events with equal timestamps comes first changes
/// neither a step's count nor the time the next step must follow.
fn sort_events(
    range: std::ops::Range<usize>,
    times: &[i64],
    nulls: Option<&NullBuffer>,
    order: &mut Vec<u32>,
) {
    order.clear();
    let mut sorted = true;
    let mut last = i64::MIN;
    for event in range {
        if nulls.is_some_and(|nulls| nulls.is_null(event)) {
            continue;
        }
        sorted &= times[event] >= last;
        last = times[event];
        order.push(event as u32);
    }
    if !sorted {
        order.sort_unstable_by_key(|&event| times[event as usize]);
    }
}

/// Returns whether the timestamps never decrease.
fn is_sorted(times: &[i64]) -> bool {
    times.windows(2).all(|pair| pair[0] <= pair[1])
}

/// Matches the steps greedily against the events of `range`, which are in time order and all
/// have a timestamp, jumping from one match of a step to the next through its bit words.
fn sorted_chain_holds(range: std::ops::Range<usize>, times: &[i64], steps: &[Step]) -> bool {
    let mut cursor = range.start;
    let mut previous: Option<i64> = None;
    for step in steps {
        if step.count == 0 {
            continue;
        }
        if let Some(previous) = previous {
            while cursor < range.end && times[cursor] <= previous {
                cursor += 1;
            }
        }
        let mut found = 0;
        loop {
            let Some(event) = step.next_match(cursor, range.end) else {
                return false;
            };
            cursor = event + 1;
            found += 1;
            if found == step.count {
                previous = Some(times[event]);
                break;
            }
        }
    }
    true
}

/// Matches the steps greedily against events in time order.
fn chain_holds(order: &[u32], times: &[i64], steps: &[Step]) -> bool {
    let mut cursor = 0;
    let mut previous: Option<i64> = None;
    for step in steps {
        if step.count == 0 {
            continue;
        }
        if let Some(previous) = previous {
            while cursor < order.len() && times[order[cursor] as usize] <= previous {
                cursor += 1;
            }
        }
        let mut found = 0;
        let mut completed = None;
        while cursor < order.len() {
            let event = order[cursor] as usize;
            cursor += 1;
            if step.matches.value(event) {
                found += 1;
                if found == step.count {
                    completed = Some(times[event]);
                    break;
                }
            }
        }
        match completed {
            Some(time) => previous = Some(time),
            None => return false,
        }
    }
    true
}
