//! Hand-built cases for rules that random data rarely reaches: integer sums whose partial sums
//! overflow, averages of integers beyond 2^53, Unicode lowercasing that changes length or
//! depends on context, children under null parents, and extreme timestamps.
//!
//! Each case first checks the reference result against the expected one, then runs the full
//! differential check.

use proptest::test_runner::TestCaseError;
use seg_eval::EvalContext;
use seg_eval::columnar::Segment;
use seg_eval::reference::{Value, evaluate_profile};
use seg_plan::{
    ArithmeticOp, ChainPlan, ChainStepPlan, DataType, ListFunction, Node, NodeKind, Scalar, SegmentPlan, StringOp,
    TimeCondition, TimeRef,
};
use seg_pql::ast::{Comparison, Direction, TimeWord};

use super::plans::node;
use super::schema::{Kind, event_kind, profile_kind};
use crate::{Case, check_case};

/// 2024-03-15T12:00:00Z.
const NOW: i64 = 1_710_504_000_000_000;

/// Builds a value of struct kind `kind` with the given fields and null everywhere else.
fn record(kind: &Kind, fields: &[(&str, Value)]) -> Value {
    let Kind::Struct(declared) = kind else { unreachable!("records are built for struct kinds") };
    let values = declared
        .iter()
        .map(|(name, _)| {
            let given = fields.iter().find(|(field, _)| field == name).map(|(_, value)| value.clone());
            (name.clone(), given.unwrap_or(Value::Null))
        })
        .collect();
    Value::Struct(values)
}

fn profile(fields: &[(&str, Value)]) -> Value {
    record(&profile_kind(), fields)
}

fn person(fields: &[(&str, Value)]) -> Value {
    let person_kind = profile_kind().field("person").cloned().unwrap_or(Kind::Bool);
    record(&person_kind, fields)
}

fn event(fields: &[(&str, Value)]) -> Value {
    record(&event_kind(), fields)
}

fn events(list: Vec<Value>) -> Value {
    profile(&[("xEvent", Value::List(list))])
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

fn is_null(value: Node) -> Node {
    node(NodeKind::IsNull { value: Box::new(value), negated: false }, DataType::Bool)
}

fn event_list() -> Node {
    column(0, &["xEvent"], DataType::List(Box::new(event_kind().data_type())))
}

fn aggregate(function: ListFunction, data_type: DataType) -> Node {
    node(NodeKind::ListAggregate { list: Box::new(event_list()), filters: Vec::new(), function }, data_type)
}

fn event_quantity() -> Node {
    column(1, &["quantity"], DataType::Int)
}

fn string_test(op: StringOp, value: Node, pattern: &str) -> Node {
    let kind = NodeKind::StringTest {
        op,
        value: Box::new(value),
        patterns: vec![pattern.to_string()],
        case_sensitive: false,
        negated: false,
    };
    node(kind, DataType::Bool)
}

/// Checks that the reference selects exactly the profiles marked in `expected`, and that the
/// columnar engine agrees with it.
fn run(root: Node, profiles: Vec<Value>, stale_children: bool, expected: &[bool]) -> Result<(), TestCaseError> {
    let plan = SegmentPlan { root, dependencies: Vec::new() };
    let segments = [Segment { id: "seg0", plan: &plan }];
    let context = EvalContext { now: NOW };
    for (profile, &wanted) in profiles.iter().zip(expected) {
        let results = evaluate_profile(&segments, profile, &context)
            .map_err(|e| TestCaseError::fail(format!("reference evaluation failed: {e}")))?;
        assert_eq!(results, vec![wanted], "reference result for {profile}");
    }

    let case = Case { shape: profile_kind(), now: NOW, plans: vec![plan], batches: vec![profiles], stale_children };
    check_case(&case)
}

#[test]
fn sum_partial_overflow_fits() -> Result<(), TestCaseError> {
    // i64::MAX + 1 overflows, but the total i64::MAX - 1 fits.
    let quantities = [i64::MAX, 1, -2];
    let list = quantities.iter().map(|&q| event(&[("quantity", Value::Int(q))])).collect();
    let sum = aggregate(ListFunction::Sum(Box::new(event_quantity())), DataType::Int);
    let root = compare(Comparison::Eq, sum, literal(Scalar::Int(i64::MAX - 1)));
    run(root, vec![events(list)], false, &[true])
}

#[test]
fn sum_total_overflow_is_null() -> Result<(), TestCaseError> {
    let list = [i64::MAX, 1].iter().map(|&q| event(&[("quantity", Value::Int(q))])).collect();
    let sum = aggregate(ListFunction::Sum(Box::new(event_quantity())), DataType::Int);
    run(is_null(sum), vec![events(list)], false, &[true])
}

#[test]
fn average_of_large_ints_exact() -> Result<(), TestCaseError> {
    // 2^53 + 1 has no double, so adding doubles would give 2^52 instead of 2^52 + 1.
    let large = (1i64 << 53) + 1;
    let list = [large, 1].iter().map(|&q| event(&[("quantity", Value::Int(q))])).collect();
    let average = aggregate(ListFunction::Average(Box::new(event_quantity())), DataType::Double);
    let root = compare(Comparison::Eq, average, literal(Scalar::Double(((1i64 << 52) + 1) as f64)));
    run(root, vec![events(list)], false, &[true])
}

#[test]
fn remainder_min_by_minus_one_null() -> Result<(), TestCaseError> {
    let age = column(0, &["person", "age"], DataType::Int);
    let remainder =
        NodeKind::Arithmetic { op: ArithmeticOp::Rem, lhs: Box::new(age), rhs: Box::new(literal(Scalar::Int(-1))) };
    let root = is_null(node(remainder, DataType::Int));
    let profiles = vec![profile(&[("person", person(&[("age", Value::Int(i64::MIN))]))])];
    run(root, profiles, false, &[true])
}

#[test]
fn final_sigma_lowercase() -> Result<(), TestCaseError> {
    // `str::to_lowercase` turns a final capital sigma into `ς`, not `σ`.
    let name = column(0, &["person", "name"], DataType::String);
    let root = string_test(StringOp::Equals, name, "aσ");
    let profiles = vec![
        profile(&[("person", person(&[("name", Value::String("AΣ".to_string()))]))]),
        profile(&[("person", person(&[("name", Value::String("Aσ".to_string()))]))]),
    ];
    run(root, profiles, false, &[false, true])
}

#[test]
fn dotted_capital_i_lowercase() -> Result<(), TestCaseError> {
    // `İ` lowercases to `i` followed by a combining dot, so it contains `i` but does not equal it.
    let name = || column(0, &["person", "name"], DataType::String);
    let profiles = vec![profile(&[("person", person(&[("name", Value::String("İ".to_string()))]))])];
    run(string_test(StringOp::Contains, name(), "i"), profiles.clone(), false, &[true])?;
    run(string_test(StringOp::Equals, name(), "i"), profiles, false, &[false])
}

#[test]
fn stale_children_read_as_null() -> Result<(), TestCaseError> {
    // The batch builder leaves non-null values under the null person and the null event list.
    let age_missing = is_null(column(0, &["person", "age"], DataType::Int));
    let no_events = compare(Comparison::Eq, aggregate(ListFunction::Count, DataType::Int), literal(Scalar::Int(0)));
    let root = node(NodeKind::And(vec![age_missing, no_events]), DataType::Bool);
    run(root, vec![profile(&[])], true, &[true])
}

#[test]
fn extreme_timestamps_occur() -> Result<(), TestCaseError> {
    let timestamp = || column(0, &["person", "birth"], DataType::Timestamp);
    let side = |direction| TimeCondition::Direction { direction, reference: TimeRef::Word(TimeWord::Now) };
    let after_now =
        node(NodeKind::Occurs { subject: Box::new(timestamp()), condition: side(Direction::After) }, DataType::Bool);
    let before_now =
        node(NodeKind::Occurs { subject: Box::new(timestamp()), condition: side(Direction::Before) }, DataType::Bool);
    let born = |micros| profile(&[("person", person(&[("birth", Value::Timestamp(micros))]))]);
    // NOTE: time ranges are half-open with `i64::MAX` as their end, so `i64::MAX` itself is
    // after nothing.
    run(after_now, vec![born(i64::MAX - 1), born(i64::MAX), born(i64::MIN)], false, &[true, false, false])?;
    run(before_now, vec![born(i64::MAX), born(i64::MIN)], false, &[false, true])
}

#[test]
fn chain_count_with_equal_timestamps() -> Result<(), TestCaseError> {
    let step = |event_type: &str, count| ChainStepPlan {
        label: event_type.to_string(),
        condition: string_test(StringOp::Equals, column(1, &["eventType"], DataType::String), event_type),
        count,
    };
    let plan = ChainPlan {
        list: event_list(),
        order_path: vec!["timestamp".to_string()],
        steps: vec![step("view", 2), step("buy", 1)],
    };
    let root = node(NodeKind::Chain(Box::new(plan)), DataType::Bool);
    let at = |micros, event_type: &str| {
        event(&[("timestamp", Value::Timestamp(micros)), ("eventType", Value::String(event_type.to_string()))])
    };
    let profiles = vec![
        events(vec![at(NOW, "view"), at(NOW, "view"), at(NOW, "buy")]),
        events(vec![at(NOW, "view"), at(NOW, "view"), at(NOW + 1, "buy")]),
        events(vec![at(NOW + 1, "buy"), at(NOW, "view")]),
    ];
    run(root, profiles, false, &[false, true, false])
}
