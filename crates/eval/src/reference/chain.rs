//! Chains: whether some assignment of distinct events to the steps satisfies every step in
//! strictly increasing time order.

use std::collections::HashMap;

use seg_plan::ChainPlan;

use super::aggregate::list_elements;
use super::error::ReferenceError;
use super::interpret::{Interpreter, child_scopes, walk_path};
use super::value::Value;

/// Evaluates a chain over the event list of the current scope.
///
/// Events whose ordering timestamp is null never match. List order plays no part: only
/// timestamps and step conditions do.
pub(super) fn evaluate(
    interpreter: &Interpreter<'_>,
    plan: &ChainPlan,
    scopes: &[&Value],
) -> Result<bool, ReferenceError> {
    let list = interpreter.value(&plan.list, scopes)?;

    let mut timestamps = Vec::new();
    let mut step_matches: Vec<Vec<bool>> = vec![Vec::new(); plan.steps.len()];
    for event in list_elements(&list)? {
        let timestamp = match walk_path(event, &plan.order_path)? {
            Value::Timestamp(micros) => *micros,
            Value::Null => continue,
            other => return Err(ReferenceError::mismatch("chain ordering field", "timestamp", other)),
        };
        timestamps.push(timestamp);
        let child = child_scopes(scopes, event);
        for (step, matches) in plan.steps.iter().zip(&mut step_matches) {
            matches.push(interpreter.predicate(&step.condition, &child)?);
        }
    }

    let counts: Vec<u64> = plan.steps.iter().map(|step| step.count).collect();
    Ok(chain_holds(&timestamps, &step_matches, &counts))
}

/// Decides a chain over plain data: `step_matches[k][i]` is true when event `i`, at
/// `timestamps[i]`, satisfies step `k`, which needs `counts[k]` distinct events.
///
/// Step `k` must use events strictly later than every event that step `k - 1` used. Events of
/// different steps are therefore distinct without further checks.
pub(super) fn chain_holds(timestamps: &[i64], step_matches: &[Vec<bool>], counts: &[u64]) -> bool {
    let mut search = Search { timestamps, step_matches, counts, memo: HashMap::new() };
    search.holds_from(0, None)
}

struct Search<'a> {
    timestamps: &'a [i64],
    step_matches: &'a [Vec<bool>],
    counts: &'a [u64],
    /// Results of `holds_from`, which depends only on its arguments.
    memo: HashMap<(usize, Option<i64>), bool>,
}

impl Search<'_> {
    /// Returns whether steps `step..` can all hold with events strictly after `after` (no bound
    /// when `None`).
    ///
    /// Later steps only see the latest timestamp that this step uses, call it `end`, so it is
    /// enough to try every reachable `end`. A set of `count` distinct candidates with latest
    /// timestamp `end` exists exactly when some candidate is at `end` and at least `count`
    /// candidates are at or before `end`: take that candidate and any `count - 1` others.
    fn holds_from(&mut self, step: usize, after: Option<i64>) -> bool {
        if step == self.counts.len() {
            return true;
        }
        if let Some(&known) = self.memo.get(&(step, after)) {
            return known;
        }

        let candidates: Vec<i64> = self
            .timestamps
            .iter()
            .zip(&self.step_matches[step])
            .filter(|&(&timestamp, &matches)| matches && after.is_none_or(|after| timestamp > after))
            .map(|(&timestamp, _)| timestamp)
            .collect();
        let mut holds = false;
        for &end in &candidates {
            let at_or_before_end = candidates.iter().filter(|&&timestamp| timestamp <= end).count() as u64;
            if at_or_before_end >= self.counts[step] && self.holds_from(step + 1, Some(end)) {
                holds = true;
                break;
            }
        }

        self.memo.insert((step, after), holds);
        holds
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::chain_holds;

    /// Tries every assignment of distinct events to steps, straight from the definition.
    fn brute_force(timestamps: &[i64], step_matches: &[Vec<bool>], counts: &[u64]) -> bool {
        fn assign(
            step: usize,
            after: Option<i64>,
            used: u32,
            ts: &[i64],
            matches: &[Vec<bool>],
            counts: &[u64],
        ) -> bool {
            if step == counts.len() {
                return true;
            }
            let events = ts.len();
            for subset in 0u32..(1 << events) {
                if subset & used != 0 || u64::from(subset.count_ones()) != counts[step] {
                    continue;
                }
                let members: Vec<usize> = (0..events).filter(|&i| subset & (1 << i) != 0).collect();
                let valid = members.iter().all(|&i| matches[step][i] && after.is_none_or(|after| ts[i] > after));
                let end = members.iter().map(|&i| ts[i]).max();
                if valid && assign(step + 1, end, used | subset, ts, matches, counts) {
                    return true;
                }
            }
            false
        }
        assign(0, None, 0, timestamps, step_matches, counts)
    }

    fn chain_case() -> impl Strategy<Value = (Vec<i64>, Vec<Vec<bool>>, Vec<u64>)> {
        (0usize..=6, 1usize..=3).prop_flat_map(|(events, steps)| {
            (
                prop::collection::vec(0i64..5, events),
                prop::collection::vec(prop::collection::vec(any::<bool>(), events), steps),
                prop::collection::vec(1u64..=3, steps),
            )
        })
    }

    proptest! {
        #[test]
        fn search_matches_brute_force((timestamps, matches, counts) in chain_case()) {
            prop_assert_eq!(
                chain_holds(&timestamps, &matches, &counts),
                brute_force(&timestamps, &matches, &counts)
            );
        }
    }

    #[test]
    fn equal_timestamps_count_separately() {
        // Two events at the same instant satisfy a COUNT(2) step.
        assert!(chain_holds(&[10, 10], &[vec![true, true]], &[2]));
    }

    #[test]
    fn next_step_after_nth_event() {
        // Step 1 needs two events. Choosing those at 10 and 15 lets step 2 match at 20.
        let matches = [vec![true, true, true, false], vec![false, false, false, true]];
        assert!(chain_holds(&[10, 30, 15, 20], &matches, &[2, 1]));
        // The two earliest step-1 events are at 10 and 25, so nothing at 20 can follow them.
        assert!(!chain_holds(&[10, 30, 25, 20], &matches, &[2, 1]));
    }
}
