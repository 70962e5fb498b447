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
    count: u64,
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
                steps.push(Step {
                    matches: matches.values().clone(),
                    count: step.count,
                });
            }

            let mut order = Vec::new();
            let bits = BooleanBuffer::collect_bool(ranges.parent_len(), |row| {
                sort_events(ranges.range(row), times.values(), times.nulls(), &mut order);
                chain_holds(&order, times.values(), &steps)
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
