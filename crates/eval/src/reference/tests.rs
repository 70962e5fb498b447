//! Hand-written profiles and plans with known results.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Int32Array, Int64Array, Int64Builder, ListArray, MapBuilder, RecordBatch, StringArray,
    StringBuilder, StructArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType as ArrowType, Field, Fields, Schema};
use seg_plan::{
    ArithmeticOp, ChainPlan, ChainStepPlan, DataType, FieldType, ListFunction, Node, NodeKind, Scalar, SegmentPlan,
    StringOp, TimeCondition, TimeRef,
};
use seg_pql::Span;
use seg_pql::ast::{Comparison, Direction, TimeUnit, TimeWord};

use super::{ReferenceError, Value, evaluate_profile, profiles_from_batch};
use crate::EvalContext;
use crate::columnar::Segment;

/// 2024-03-15T12:00:00Z.
const NOW: i64 = 1_710_504_000_000_000;
const HOUR: i64 = 3_600_000_000;

fn node(kind: NodeKind, data_type: DataType) -> Node {
    Node { kind, data_type, span: Span::default() }
}

fn column(scope: usize, path: &[&str], data_type: DataType) -> Node {
    let path = path.iter().map(|name| name.to_string()).collect();
    node(NodeKind::Column { scope, path }, data_type)
}

fn literal(scalar: Scalar) -> Node {
    let data_type = scalar.data_type();
    node(NodeKind::Literal(scalar), data_type)
}

fn compare(op: Comparison, lhs: Node, rhs: Node) -> Node {
    node(NodeKind::Compare { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, DataType::Bool)
}

fn arithmetic(op: ArithmeticOp, lhs: Node, rhs: Node) -> Node {
    let data_type = lhs.data_type.clone();
    node(NodeKind::Arithmetic { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, data_type)
}

fn is_null(value: Node) -> Node {
    node(NodeKind::IsNull { value: Box::new(value), negated: false }, DataType::Bool)
}

fn not(operand: Node) -> Node {
    node(NodeKind::Not(Box::new(operand)), DataType::Bool)
}

fn record(fields: &[(&str, Value)]) -> Value {
    Value::Struct(fields.iter().map(|(name, value)| (name.to_string(), value.clone())).collect())
}

fn event_type() -> DataType {
    let field = |name: &str, data_type: DataType| FieldType { name: name.to_string(), data_type };
    DataType::Struct(vec![
        field("timestamp", DataType::Timestamp),
        field("eventType", DataType::String),
        field("quantity", DataType::Int),
    ])
}

fn events_column() -> Node {
    column(0, &["xEvent"], DataType::List(Box::new(event_type())))
}

fn event(timestamp: Option<i64>, event_type: &str, quantity: Option<i64>) -> Value {
    record(&[
        ("timestamp", timestamp.map_or(Value::Null, Value::Timestamp)),
        ("eventType", Value::String(event_type.to_string())),
        ("quantity", quantity.map_or(Value::Null, Value::Int)),
    ])
}

fn profile_with_events(events: Vec<Value>) -> Value {
    record(&[("xEvent", Value::List(events))])
}

/// Evaluates one segment with the given root on one profile.
fn qualifies(root: Node, profile: &Value) -> Result<bool, ReferenceError> {
    let plan = SegmentPlan { root, dependencies: Vec::new() };
    let segments = [Segment { id: "s", plan: &plan }];
    let results = evaluate_profile(&segments, profile, &EvalContext { now: NOW })?;
    Ok(results[0])
}

fn person_profile(age: Value) -> Value {
    record(&[("person", record(&[("age", age)]))])
}

fn age() -> Node {
    column(0, &["person", "age"], DataType::Int)
}

#[test]
fn null_field_fails_every_comparison() -> Result<(), ReferenceError> {
    let profile = person_profile(Value::Null);
    assert!(!qualifies(compare(Comparison::Eq, age(), literal(Scalar::Int(30))), &profile)?);
    assert!(!qualifies(compare(Comparison::NotEq, age(), literal(Scalar::Int(30))), &profile)?);
    assert!(qualifies(not(compare(Comparison::Eq, age(), literal(Scalar::Int(30)))), &profile)?);
    Ok(())
}

#[test]
fn null_struct_reads_as_null() -> Result<(), ReferenceError> {
    let profile = record(&[("person", Value::Null)]);
    assert!(qualifies(is_null(age()), &profile)?);
    assert!(!qualifies(compare(Comparison::Lt, age(), literal(Scalar::Int(30))), &profile)?);
    Ok(())
}

#[test]
fn negated_tests_false_on_null() -> Result<(), ReferenceError> {
    let profile = person_profile(Value::Null);
    let not_in = NodeKind::InList { value: Box::new(age()), list: vec![Scalar::Int(1)], negated: true };
    assert!(!qualifies(node(not_in, DataType::Bool), &profile)?);

    let name = record(&[("name", Value::Null)]);
    let does_not_contain = NodeKind::StringTest {
        op: StringOp::Contains,
        value: Box::new(column(0, &["name"], DataType::String)),
        patterns: vec!["a".to_string()],
        case_sensitive: true,
        negated: true,
    };
    assert!(!qualifies(node(does_not_contain, DataType::Bool), &name)?);
    Ok(())
}

#[test]
fn integer_overflow_gives_null() -> Result<(), ReferenceError> {
    let profile = person_profile(Value::Int(i64::MAX));
    let plus_one = arithmetic(ArithmeticOp::Add, age(), literal(Scalar::Int(1)));
    assert!(qualifies(is_null(plus_one.clone()), &profile)?);
    assert!(!qualifies(compare(Comparison::Gt, plus_one, literal(Scalar::Int(0))), &profile)?);
    Ok(())
}

#[test]
fn zero_divisor_gives_null() -> Result<(), ReferenceError> {
    let profile = person_profile(Value::Int(7));
    let remainder = arithmetic(ArithmeticOp::Rem, age(), literal(Scalar::Int(0)));
    assert!(qualifies(is_null(remainder), &profile)?);
    let quotient = arithmetic(ArithmeticOp::Div, literal(Scalar::Double(1.0)), literal(Scalar::Double(-0.0)));
    assert!(qualifies(is_null(quotient), &profile)?);
    Ok(())
}

#[test]
fn remainder_takes_dividend_sign() -> Result<(), ReferenceError> {
    let profile = person_profile(Value::Int(-7));
    let remainder = arithmetic(ArithmeticOp::Rem, age(), literal(Scalar::Int(3)));
    assert!(qualifies(compare(Comparison::Eq, remainder, literal(Scalar::Int(-1))), &profile)?);
    let double_remainder = arithmetic(ArithmeticOp::Rem, literal(Scalar::Double(-7.5)), literal(Scalar::Double(2.0)));
    assert!(qualifies(compare(Comparison::Eq, double_remainder, literal(Scalar::Double(-1.5))), &profile)?);
    Ok(())
}

#[test]
fn negative_zero_equals_zero() -> Result<(), ReferenceError> {
    let profile = record(&[]);
    let equal = compare(Comparison::Eq, literal(Scalar::Double(-0.0)), literal(Scalar::Double(0.0)));
    assert!(qualifies(equal, &profile)?);
    Ok(())
}

#[test]
fn case_insensitive_uses_lowercase() -> Result<(), ReferenceError> {
    let profile = record(&[("name", Value::String("ÉCOLE".to_string()))]);
    let starts_with = |case_sensitive| {
        let kind = NodeKind::StringTest {
            op: StringOp::StartsWith,
            value: Box::new(column(0, &["name"], DataType::String)),
            patterns: vec!["x".to_string(), "éc".to_string()],
            case_sensitive,
            negated: false,
        };
        node(kind, DataType::Bool)
    };
    assert!(qualifies(starts_with(false), &profile)?);
    assert!(!qualifies(starts_with(true), &profile)?);
    Ok(())
}

#[test]
fn truthy_list_needs_elements() -> Result<(), ReferenceError> {
    let tags = || column(0, &["tags"], DataType::List(Box::new(DataType::String)));
    let truthy = || node(NodeKind::Truthy(Box::new(tags())), DataType::Bool);
    assert!(!qualifies(truthy(), &record(&[("tags", Value::List(Vec::new()))]))?);
    assert!(qualifies(truthy(), &record(&[("tags", Value::List(vec![Value::Null]))]))?);
    assert!(!qualifies(truthy(), &record(&[("tags", Value::Null)]))?);
    Ok(())
}

fn aggregate(filters: Vec<Node>, function: ListFunction, data_type: DataType) -> Node {
    node(NodeKind::ListAggregate { list: Box::new(events_column()), filters, function }, data_type)
}

fn quantity() -> Node {
    column(1, &["quantity"], DataType::Int)
}

#[test]
fn sum_skips_nulls_and_empty_is_zero() -> Result<(), ReferenceError> {
    let sum = || aggregate(Vec::new(), ListFunction::Sum(Box::new(quantity())), DataType::Int);
    let profile = profile_with_events(vec![event(Some(1), "a", Some(2)), event(Some(2), "a", None), Value::Null]);
    assert!(qualifies(compare(Comparison::Eq, sum(), literal(Scalar::Int(2))), &profile)?);

    let empty = profile_with_events(Vec::new());
    assert!(qualifies(compare(Comparison::Eq, sum(), literal(Scalar::Int(0))), &empty)?);
    Ok(())
}

#[test]
fn sum_overflow_gives_null() -> Result<(), ReferenceError> {
    let sum = aggregate(Vec::new(), ListFunction::Sum(Box::new(quantity())), DataType::Int);
    let profile = profile_with_events(vec![event(Some(1), "a", Some(i64::MAX)), event(Some(2), "a", Some(1))]);
    assert!(qualifies(is_null(sum), &profile)?);
    Ok(())
}

#[test]
fn average_without_values_is_null() -> Result<(), ReferenceError> {
    let average = aggregate(Vec::new(), ListFunction::Average(Box::new(quantity())), DataType::Double);
    let profile = profile_with_events(vec![event(Some(1), "a", None)]);
    assert!(qualifies(is_null(average), &profile)?);
    Ok(())
}

#[test]
fn filter_reads_profile_scope() -> Result<(), ReferenceError> {
    // Counts events whose quantity equals the profile's `limit`.
    let same_as_limit = compare(Comparison::Eq, quantity(), column(0, &["limit"], DataType::Int));
    let count = aggregate(vec![same_as_limit], ListFunction::Count, DataType::Int);
    let events = vec![event(Some(1), "a", Some(3)), event(Some(2), "b", Some(3)), event(Some(3), "c", Some(4))];
    let profile = record(&[("limit", Value::Int(3)), ("xEvent", Value::List(events))]);
    assert!(qualifies(compare(Comparison::Eq, count, literal(Scalar::Int(2))), &profile)?);
    Ok(())
}

#[test]
fn forall_over_nothing_holds() -> Result<(), ReferenceError> {
    let positive = compare(Comparison::Gt, quantity(), literal(Scalar::Int(0)));
    let forall = aggregate(Vec::new(), ListFunction::Forall(Box::new(positive)), DataType::Bool);
    assert!(qualifies(forall, &record(&[("xEvent", Value::Null)]))?);
    Ok(())
}

fn step(event_type: &str, count: u64) -> ChainStepPlan {
    let kind = NodeKind::StringTest {
        op: StringOp::Equals,
        value: Box::new(column(1, &["eventType"], DataType::String)),
        patterns: vec![event_type.to_string()],
        case_sensitive: true,
        negated: false,
    };
    ChainStepPlan { label: event_type.to_string(), condition: node(kind, DataType::Bool), count }
}

fn chain(steps: Vec<ChainStepPlan>) -> Node {
    let plan = ChainPlan { list: events_column(), order_path: vec!["timestamp".to_string()], steps };
    node(NodeKind::Chain(Box::new(plan)), DataType::Bool)
}

#[test]
fn chain_count_needs_distinct_events() -> Result<(), ReferenceError> {
    let views_then_buy = || chain(vec![step("view", 2), step("buy", 1)]);
    let one_view = profile_with_events(vec![event(Some(10), "view", None), event(Some(20), "buy", None)]);
    assert!(!qualifies(views_then_buy(), &one_view)?);

    // The events are out of order in the list; only timestamps count.
    let two_views = profile_with_events(vec![
        event(Some(30), "buy", None),
        event(Some(10), "view", None),
        event(Some(20), "view", None),
    ]);
    assert!(qualifies(views_then_buy(), &two_views)?);
    Ok(())
}

#[test]
fn chain_equal_timestamps() -> Result<(), ReferenceError> {
    // Two views at one instant satisfy COUNT(2), but a buy at that instant is not after them.
    let same_instant = vec![event(Some(10), "view", None), event(Some(10), "view", None)];
    assert!(qualifies(chain(vec![step("view", 2)]), &profile_with_events(same_instant.clone()))?);

    let mut with_buy = same_instant;
    with_buy.push(event(Some(10), "buy", None));
    assert!(!qualifies(chain(vec![step("view", 2), step("buy", 1)]), &profile_with_events(with_buy))?);
    Ok(())
}

#[test]
fn chain_skips_null_timestamps() -> Result<(), ReferenceError> {
    let events = vec![event(None, "view", None), event(Some(20), "buy", None)];
    assert!(!qualifies(chain(vec![step("view", 1), step("buy", 1)]), &profile_with_events(events))?);
    Ok(())
}

fn occurs(subject: Node, condition: TimeCondition) -> Node {
    node(NodeKind::Occurs { subject: Box::new(subject), condition }, DataType::Bool)
}

#[test]
fn occurs_within_hours_before_now() -> Result<(), ReferenceError> {
    let within_two_hours = || {
        let condition = TimeCondition::Offset {
            cmp: Comparison::LtEq,
            amount: 2,
            unit: TimeUnit::Hour,
            direction: Direction::Before,
            reference: TimeRef::Word(TimeWord::Now),
        };
        occurs(column(0, &["at"], DataType::Timestamp), condition)
    };
    assert!(qualifies(within_two_hours(), &record(&[("at", Value::Timestamp(NOW - HOUR))]))?);
    assert!(!qualifies(within_two_hours(), &record(&[("at", Value::Timestamp(NOW - 3 * HOUR))]))?);
    assert!(!qualifies(within_two_hours(), &record(&[("at", Value::Null)]))?);
    Ok(())
}

#[test]
fn occurs_null_reference_is_false() -> Result<(), ReferenceError> {
    let reference = TimeRef::Instant(Box::new(column(0, &["other"], DataType::Timestamp)));
    let before = occurs(
        column(0, &["at"], DataType::Timestamp),
        TimeCondition::Direction { direction: Direction::Before, reference },
    );
    let profile = record(&[("at", Value::Timestamp(NOW)), ("other", Value::Null)]);
    assert!(!qualifies(before, &profile)?);
    Ok(())
}

#[test]
fn in_segment_reads_earlier_result() -> Result<(), ReferenceError> {
    let adult =
        SegmentPlan { root: compare(Comparison::GtEq, age(), literal(Scalar::Int(18))), dependencies: Vec::new() };
    let in_adult = node(NodeKind::InSegment("adult".to_string()), DataType::Bool);
    let minor = SegmentPlan { root: not(in_adult), dependencies: vec!["adult".to_string()] };
    let segments = [Segment { id: "adult", plan: &adult }, Segment { id: "minor", plan: &minor }];
    let context = EvalContext { now: NOW };

    assert_eq!(evaluate_profile(&segments, &person_profile(Value::Int(20)), &context)?, vec![true, false]);
    assert_eq!(evaluate_profile(&segments, &person_profile(Value::Int(10)), &context)?, vec![false, true]);
    Ok(())
}

#[test]
fn in_segment_unknown_id_fails() {
    let in_other = node(NodeKind::InSegment("other".to_string()), DataType::Bool);
    let result = qualifies(in_other, &record(&[]));
    assert_eq!(result, Err(ReferenceError::UnknownSegment("other".to_string())));
}

#[test]
fn unopened_scope_fails() {
    let result = qualifies(is_null(quantity()), &record(&[]));
    assert_eq!(result, Err(ReferenceError::ScopeNotOpen { scope: 1, open: 1 }));
}

#[test]
fn missing_field_fails() {
    let result = qualifies(is_null(age()), &record(&[("person", record(&[]))]));
    assert_eq!(result, Err(ReferenceError::FieldNotFound { field: "age".to_string(), available: Vec::new() }));
}

#[test]
fn batch_conversion_keeps_nested_nulls() -> Result<(), Box<dyn std::error::Error>> {
    // Row 0: person {age: 5}; row 1: person null, with a stale age of 9 underneath; row 2:
    // person {age: null}. Tags: ["x", null], null, [].
    let age_field = Arc::new(Field::new("age", ArrowType::Int64, true));
    let ages: ArrayRef = Arc::new(Int64Array::from(vec![Some(5), Some(9), None]));
    let person = StructArray::try_new(
        Fields::from(vec![age_field]),
        vec![ages],
        Some(NullBuffer::from(vec![true, false, true])),
    )?;
    let tags = ListArray::try_new(
        Arc::new(Field::new("item", ArrowType::Utf8, true)),
        OffsetBuffer::from_lengths([2, 0, 0]),
        Arc::new(StringArray::from(vec![Some("x"), None])),
        Some(NullBuffer::from(vec![true, false, true])),
    )?;
    let schema = Schema::new(vec![
        Field::new("person", person.data_type().clone(), true),
        Field::new("tags", tags.data_type().clone(), true),
    ]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(person), Arc::new(tags)])?;

    let profiles = profiles_from_batch(&batch)?;
    let expected = vec![
        record(&[
            ("person", record(&[("age", Value::Int(5))])),
            ("tags", Value::List(vec![Value::String("x".to_string()), Value::Null])),
        ]),
        record(&[("person", Value::Null), ("tags", Value::Null)]),
        record(&[("person", record(&[("age", Value::Null)])), ("tags", Value::List(Vec::new()))]),
    ];
    assert_eq!(profiles, expected);
    Ok(())
}

#[test]
fn batch_conversion_reads_maps() -> Result<(), Box<dyn std::error::Error>> {
    // Row 0: {"a": 1, "b": null}; row 1: null; row 2: {}.
    let mut builder = MapBuilder::new(None, StringBuilder::new(), Int64Builder::new());
    builder.keys().append_value("a");
    builder.values().append_value(1);
    builder.keys().append_value("b");
    builder.values().append_null();
    builder.append(true)?;
    builder.append(false)?;
    builder.append(true)?;
    let map = builder.finish();
    let schema = Schema::new(vec![Field::new("counts", map.data_type().clone(), true)]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(map)])?;

    let profiles = profiles_from_batch(&batch)?;
    let entries = vec![("a".to_string(), Value::Int(1)), ("b".to_string(), Value::Null)];
    let expected = vec![
        record(&[("counts", Value::Map(entries))]),
        record(&[("counts", Value::Null)]),
        record(&[("counts", Value::Map(Vec::new()))]),
    ];
    assert_eq!(profiles, expected);
    Ok(())
}

#[test]
fn batch_conversion_rejects_int32() -> Result<(), Box<dyn std::error::Error>> {
    let schema = Schema::new(vec![Field::new("n", ArrowType::Int32, true)]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(Int32Array::from(vec![1]))])?;
    let expected = ReferenceError::UnsupportedArrowType { column: "n".to_string(), data_type: "Int32".to_string() };
    assert_eq!(profiles_from_batch(&batch), Err(expected));
    Ok(())
}
