//! Orders the segments of one job so that every `inSegment` target is evaluated before the
//! segments that read it.

use std::collections::HashMap;
use std::fmt;

use crate::plan::SegmentPlan;

/// An error that keeps a set of segments from being evaluated together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderError {
    /// A segment reads a segment id that is not part of the job.
    UnknownSegment {
        /// The segment whose definition calls `inSegment`.
        segment: String,
        /// The id it reads.
        missing: String,
    },
    /// Segments read each other in a cycle; the ids are listed along the cycle, the first
    /// repeated at the end.
    Cycle(Vec<String>),
    /// Two segments share an id.
    DuplicateId(String),
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::UnknownSegment { segment, missing } => write!(
                f,
                "segment `{segment}` reads `inSegment(\"{missing}\")`, but no segment with id `{missing}` is part of this job; add its definition or fix the id"
            ),
            OrderError::Cycle(ids) => write!(
                f,
                "segments read each other in a cycle: {}; break the cycle by removing one `inSegment`",
                ids.join(" -> ")
            ),
            OrderError::DuplicateId(id) => write!(f, "two segment definitions have the id `{id}`; give each a unique id"),
        }
    }
}

impl std::error::Error for OrderError {}

/// Returns the indices of `segments` in evaluation order: dependencies first, and otherwise
/// the input order.
///
/// # Errors
///
/// Returns an [`OrderError`] for duplicate ids, unknown `inSegment` targets and cycles.
pub fn evaluation_order(segments: &[(String, SegmentPlan)]) -> Result<Vec<usize>, OrderError> {
    let mut index_of = HashMap::with_capacity(segments.len());
    for (index, (id, _)) in segments.iter().enumerate() {
        if index_of.insert(id.as_str(), index).is_some() {
            return Err(OrderError::DuplicateId(id.clone()));
        }
    }
    let mut state = vec![Visit::New; segments.len()];
    let mut order = Vec::with_capacity(segments.len());
    let mut path = Vec::new();
    for start in 0..segments.len() {
        visit(start, segments, &index_of, &mut state, &mut order, &mut path)?;
    }
    Ok(order)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    InProgress,
    Done,
}

fn visit(
    index: usize,
    segments: &[(String, SegmentPlan)],
    index_of: &HashMap<&str, usize>,
    state: &mut [Visit],
    order: &mut Vec<usize>,
    path: &mut Vec<usize>,
) -> Result<(), OrderError> {
    match state[index] {
        Visit::Done => return Ok(()),
        Visit::InProgress => {
            let first = path.iter().position(|&i| i == index).unwrap_or(0);
            let mut cycle: Vec<String> = path[first..].iter().map(|&i| segments[i].0.clone()).collect();
            cycle.push(segments[index].0.clone());
            return Err(OrderError::Cycle(cycle));
        }
        Visit::New => {}
    }
    state[index] = Visit::InProgress;
    path.push(index);
    let (id, plan) = &segments[index];
    for dependency in &plan.dependencies {
        let Some(&target) = index_of.get(dependency.as_str()) else {
            return Err(OrderError::UnknownSegment { segment: id.clone(), missing: dependency.clone() });
        };
        visit(target, segments, index_of, state, order, path)?;
    }
    path.pop();
    state[index] = Visit::Done;
    order.push(index);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Node, NodeKind};
    use crate::types::DataType;

    fn segment(id: &str, dependencies: &[&str]) -> (String, SegmentPlan) {
        let root = Node { kind: NodeKind::And(Vec::new()), data_type: DataType::Bool, span: Default::default() };
        let dependencies = dependencies.iter().map(|d| d.to_string()).collect();
        (id.to_string(), SegmentPlan { root, dependencies })
    }

    #[test]
    fn dependencies_come_first() {
        let segments = [segment("a", &["b"]), segment("b", &["c"]), segment("c", &[])];
        assert_eq!(evaluation_order(&segments), Ok(vec![2, 1, 0]));
    }

    #[test]
    fn independent_keep_input_order() {
        let segments = [segment("x", &[]), segment("y", &[])];
        assert_eq!(evaluation_order(&segments), Ok(vec![0, 1]));
    }

    #[test]
    fn cycle_is_reported_along_path() {
        let segments = [segment("a", &["b"]), segment("b", &["a"])];
        let expected = OrderError::Cycle(vec!["a".into(), "b".into(), "a".into()]);
        assert_eq!(evaluation_order(&segments), Err(expected));
    }

    #[test]
    fn self_reference_is_cycle() {
        let segments = [segment("a", &["a"])];
        assert_eq!(evaluation_order(&segments), Err(OrderError::Cycle(vec!["a".into(), "a".into()])));
    }

    #[test]
    fn unknown_target_is_named() {
        let segments = [segment("a", &["zz"])];
        let error = evaluation_order(&segments).err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("segment `a` reads `inSegment(\"zz\")`, but no segment with id `zz` is part of this job; add its definition or fix the id")
        );
    }
}
