//! Chains: step order, counts, equal and null timestamps, unsorted events, profile reads.

use seg_plan::{ChainPlan, ChainStepPlan, DataType, Node, NodeKind};
use seg_pql::ast::Comparison;

use super::fixtures::*;

const F: bool = false;
const T: bool = true;

/// Profiles whose events are `type@second` pairs on 2018-01-01 (list order as written):
///
/// - c0: A@1 B@2 C@3, sorted
/// - c1: C@3 B@2 A@1, reverse order
/// - c2: A@2 B@2, equal timestamps
/// - c3: A@1 A@1 B@2, two A at one instant
/// - c4: A@1 B@2 A@3
/// - c5: A@null B@2
/// - c6: B@1 A@2 B@3
/// - c7: no events; c8: null list
fn chain_profiles() -> Result<arrow::array::RecordBatch, Box<dyn std::error::Error>> {
    let event = |kind: &str, second: Option<u32>| match second {
        Some(second) => {
            format!(r#"{{"eventType": "{kind}", "timestamp": "2018-01-01T00:00:0{second}Z"}}"#)
        }
        None => format!(r#"{{"eventType": "{kind}", "timestamp": null}}"#),
    };
    let profile = |id: &str, vip: bool, events: &[(&str, Option<u32>)]| {
        let events: Vec<String> = events
            .iter()
            .map(|(kind, second)| event(kind, *second))
            .collect();
        format!(
            r#"{{"_id": "{id}", "vip": {vip}, "xEvent": [{}]}}"#,
            events.join(", ")
        )
    };
    let lines = [
        profile(
            "c0",
            true,
            &[("A", Some(1)), ("B", Some(2)), ("C", Some(3))],
        ),
        profile(
            "c1",
            false,
            &[("C", Some(3)), ("B", Some(2)), ("A", Some(1))],
        ),
        profile("c2", true, &[("A", Some(2)), ("B", Some(2))]),
        profile(
            "c3",
            true,
            &[("A", Some(1)), ("A", Some(1)), ("B", Some(2))],
        ),
        profile(
            "c4",
            true,
            &[("A", Some(1)), ("B", Some(2)), ("A", Some(3))],
        ),
        profile("c5", true, &[("A", None), ("B", Some(2))]),
        profile(
            "c6",
            true,
            &[("B", Some(1)), ("A", Some(2)), ("B", Some(3))],
        ),
        profile("c7", true, &[]),
        r#"{"_id": "c8", "vip": true, "xEvent": null}"#.to_string(),
    ];
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    batch_from_json(&lines)
}

fn is_type(kind: &str) -> Node {
    compare(
        Comparison::Eq,
        column(1, "eventType", DataType::String),
        string(kind),
    )
}

fn step(condition: Node, count: u64) -> ChainStepPlan {
    ChainStepPlan {
        label: String::new(),
        condition,
        count,
    }
}

fn chain(steps: Vec<ChainStepPlan>) -> Node {
    let plan = ChainPlan {
        list: events(0),
        order_path: vec!["timestamp".to_string()],
        steps,
    };
    node(NodeKind::Chain(Box::new(plan)), DataType::Bool)
}

#[test]
fn chain_one_step() -> TestResult {
    let batch = chain_profiles()?;
    let mask = mask_of(chain(vec![step(is_type("A"), 1)]), &batch)?;
    assert_eq!(
        mask,
        [T, T, T, T, T, F, T, F, F],
        "an event without timestamp never matches"
    );
    Ok(())
}

#[test]
fn chain_three_steps() -> TestResult {
    let batch = chain_profiles()?;
    let steps = vec![
        step(is_type("A"), 1),
        step(is_type("B"), 1),
        step(is_type("C"), 1),
    ];
    assert_eq!(mask_of(chain(steps), &batch)?, [T, T, F, F, F, F, F, F, F]);
    Ok(())
}

#[test]
fn chain_two_steps_order() -> TestResult {
    let batch = chain_profiles()?;
    let steps = vec![step(is_type("A"), 1), step(is_type("B"), 1)];
    let mask = mask_of(chain(steps), &batch)?;
    assert_eq!(mask, [T, T, F, T, T, F, T, F, F]);
    assert!(!mask[2], "B at the same instant as A follows it");
    assert!(mask[6], "a B before the A does not hide the B after it");
    Ok(())
}

#[test]
fn chain_count_two() -> TestResult {
    let batch = chain_profiles()?;
    let steps = vec![step(is_type("A"), 2), step(is_type("B"), 1)];
    let mask = mask_of(chain(steps), &batch)?;
    assert_eq!(mask, [F, F, F, T, F, F, F, F, F]);
    assert!(mask[3], "two events at one instant count twice");
    assert!(!mask[4], "B must follow the second A");
    Ok(())
}

#[test]
fn chain_step_reads_profile() -> TestResult {
    let batch = chain_profiles()?;
    let vip_a = and(vec![is_type("A"), truthy(column(0, "vip", DataType::Bool))]);
    let steps = vec![step(vip_a, 1), step(is_type("B"), 1)];
    assert_eq!(mask_of(chain(steps), &batch)?, [T, F, F, T, T, F, T, F, F]);
    Ok(())
}

#[test]
fn chain_same_step_twice() -> TestResult {
    let batch = chain_profiles()?;
    let steps = vec![step(is_type("A"), 1), step(is_type("A"), 1)];
    assert_eq!(
        mask_of(chain(steps), &batch)?,
        [F, F, F, F, T, F, F, F, F],
        "equal timestamps are not strictly after"
    );
    Ok(())
}
