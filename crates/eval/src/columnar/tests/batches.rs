//! The public entry points: several segments with `inSegment`, parallel evaluation over many
//! batches, and the errors they report.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, RecordBatch};
use arrow::datatypes::{DataType as ArrowType, Field, Schema};
use roaring::RoaringBitmap;
use seg_plan::{DataType, ListFunction, Node, NodeKind, SegmentPlan};
use seg_pql::ast::Comparison;

use super::super::{EvalError, Segment, evaluate_batch, evaluate_batches, mask_to_bitmap};
use super::fixtures::*;

const F: bool = false;
const T: bool = true;

fn adult() -> Node {
    compare(Comparison::GtEq, column(0, "age", DataType::Int), int(18))
}

fn in_segment(id: &str) -> Node {
    node(NodeKind::InSegment(id.to_string()), DataType::Bool)
}

#[test]
fn in_segment_reads_earlier_mask() -> TestResult {
    let batch = profiles()?;
    let adults = plan(adult());
    let adult_vips = plan(and(vec![
        in_segment("adults"),
        truthy(column(0, "vip", DataType::Bool)),
    ]));
    let not_adults = plan(not(in_segment("adults")));
    let segments = [
        Segment {
            id: "adults",
            plan: &adults,
        },
        Segment {
            id: "adult-vips",
            plan: &adult_vips,
        },
        Segment {
            id: "not-adults",
            plan: &not_adults,
        },
    ];
    let masks = evaluate_batch(&segments, &batch, &context())?;
    assert_eq!(bools(&masks[0]), [T, F, T, F, F]);
    assert_eq!(bools(&masks[1]), [T, F, F, F, F]);
    assert_eq!(bools(&masks[2]), [F, T, F, T, T]);
    Ok(())
}

#[test]
fn in_segment_inside_event_filter() -> TestResult {
    let batch = profiles()?;
    let adults = plan(adult());
    let adult_events = plan(compare(
        Comparison::Eq,
        aggregate(events(0), vec![in_segment("adults")], ListFunction::Count),
        int(3),
    ));
    let segments = [
        Segment {
            id: "adults",
            plan: &adults,
        },
        Segment {
            id: "events",
            plan: &adult_events,
        },
    ];
    let masks = evaluate_batch(&segments, &batch, &context())?;
    assert_eq!(bools(&masks[1]), [T, F, F, F, F]);
    Ok(())
}

#[test]
fn in_segment_unknown_id() -> TestResult {
    let batch = profiles()?;
    let reader = plan(in_segment("later"));
    let later = plan(adult());
    let segments = [
        Segment {
            id: "reader",
            plan: &reader,
        },
        Segment {
            id: "later",
            plan: &later,
        },
    ];
    let error = evaluate_batch(&segments, &batch, &context()).err();
    assert!(
        matches!(&error, Some(EvalError::UnknownSegment { id }) if id == "later"),
        "got {error:?}"
    );
    Ok(())
}

#[test]
fn unexpected_arrow_type_names_column() -> TestResult {
    let schema = Schema::new(vec![Field::new("age", ArrowType::Int32, true)]);
    let ages: ArrayRef = Arc::new(Int32Array::from(vec![20, 30]));
    let batch = RecordBatch::try_new(Arc::new(schema), vec![ages])?;
    let error = mask_of(adult(), &batch).err();
    let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(
        matches!(error, Some(EvalError::UnexpectedType { .. })),
        "got {message}"
    );
    assert!(
        message.contains("`age`"),
        "message does not name the column: {message}"
    );
    assert!(
        message.contains("Int32"),
        "message does not name the Arrow type: {message}"
    );
    Ok(())
}

#[test]
fn empty_batch_gives_empty_masks() -> TestResult {
    let batch = profiles()?.slice(0, 0);
    let count_events = compare(
        Comparison::Gt,
        aggregate(events(0), Vec::new(), ListFunction::Count),
        int(0),
    );
    assert_eq!(mask_of(count_events, &batch)?, Vec::<bool>::new());
    Ok(())
}

/// Builds a segment of each kind, for comparing evaluation paths.
fn mixed_plans() -> Vec<SegmentPlan> {
    let purchases = compare(
        Comparison::Eq,
        column(1, "eventType", DataType::String),
        string("commerce.purchases"),
    );
    vec![
        plan(adult()),
        plan(aggregate(events(0), vec![purchases], ListFunction::Exists)),
        plan(or(vec![
            in_segment("s0"),
            truthy(column(0, "vip", DataType::Bool)),
        ])),
        plan(and(Vec::new())),
    ]
}

fn segments(plans: &[SegmentPlan]) -> Vec<Segment<'_>> {
    let ids = ["s0", "s1", "s2", "s3"];
    plans
        .iter()
        .zip(ids)
        .map(|(plan, id)| Segment { id, plan })
        .collect()
}

fn several_batches() -> Result<Vec<RecordBatch>, Box<dyn std::error::Error>> {
    let profiles = profiles()?;
    Ok(vec![
        profiles.clone(),
        profiles.slice(1, 3),
        profiles.slice(0, 0),
        profiles.slice(2, 3),
        profiles,
    ])
}

#[test]
fn batches_equal_single_batch_results() -> TestResult {
    let plans = mixed_plans();
    let segments = segments(&plans);
    let batches = several_batches()?;
    let bitmaps = evaluate_batches(&segments, &batches, &context())?;

    let mut expected = vec![RoaringBitmap::new(); segments.len()];
    let mut first_row = 0u32;
    for batch in &batches {
        let masks = evaluate_batch(&segments, batch, &context())?;
        for (bitmap, mask) in expected.iter_mut().zip(&masks) {
            *bitmap |= mask_to_bitmap(mask, first_row);
        }
        first_row += batch.num_rows() as u32;
    }
    assert_eq!(bitmaps, expected);
    assert_eq!(
        bitmaps[3].len(),
        u64::from(first_row),
        "an empty conjunction selects every row"
    );
    Ok(())
}

#[test]
fn batches_row_numbers() -> TestResult {
    let plans = mixed_plans();
    let segments = segments(&plans);
    let bitmaps = evaluate_batches(&segments, &several_batches()?, &context())?;
    // Batch row counts are 5, 3, 0, 3, 5, so batches start at rows 0, 5, 8, 8, 11. Adults
    // are p0 and p2 of each batch that contains them.
    assert_eq!(bitmaps[0].iter().collect::<Vec<_>>(), [0, 2, 6, 8, 11, 13]);
    Ok(())
}

#[test]
fn batches_same_for_any_thread_count() -> TestResult {
    let plans = mixed_plans();
    let segments = segments(&plans);
    let batches = several_batches()?;
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let several = rayon::ThreadPoolBuilder::new().num_threads(4).build()?;
    let with_one = single.install(|| evaluate_batches(&segments, &batches, &context()))?;
    let with_four = several.install(|| evaluate_batches(&segments, &batches, &context()))?;
    assert_eq!(with_one, with_four);
    Ok(())
}

#[test]
fn batches_without_input() -> TestResult {
    let plans = mixed_plans();
    let segments = segments(&plans);
    let bitmaps = evaluate_batches(&segments, &[], &context())?;
    assert_eq!(bitmaps, vec![RoaringBitmap::new(); 4]);
    assert!(evaluate_batches(&[], &several_batches()?, &context())?.is_empty());
    Ok(())
}

#[test]
fn batches_report_first_failing_batch() -> TestResult {
    let plans = [plan(adult())];
    let segments = [Segment {
        id: "adults",
        plan: &plans[0],
    }];
    let schema = Schema::new(vec![Field::new("age", ArrowType::Int32, true)]);
    let ages: ArrayRef = Arc::new(Int32Array::from(vec![20]));
    let wrong = RecordBatch::try_new(Arc::new(schema), vec![ages])?;
    let error = evaluate_batches(&segments, &[profiles()?, wrong], &context()).err();
    assert!(
        matches!(error, Some(EvalError::UnexpectedType { .. })),
        "got {error:?}"
    );
    Ok(())
}
