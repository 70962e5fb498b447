//! Test profiles as JSON lines read into Arrow batches, plan node builders, and helpers that
//! evaluate one predicate or value over a batch.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::datatypes::{
    DataType as ArrowType, Field, Fields, Schema, SchemaRef, TimeUnit as ArrowTimeUnit,
};
use jiff::Timestamp;
use seg_plan::{
    ArithmeticOp, DataType, FieldType, ListFunction, Node, NodeKind, Scalar, SegmentPlan,
};
use seg_pql::Span;
use seg_pql::ast::Comparison;

use super::super::{EvalError, Segment, evaluate_batch};
use crate::EvalContext;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The evaluation time of every test: Tuesday 2018-08-28 10:00 UTC.
pub const NOW: &str = "2018-08-28T10:00:00Z";

/// Returns an RFC 3339 instant in microseconds since the epoch.
pub fn at(text: &str) -> i64 {
    let timestamp: Timestamp = text
        .parse()
        .unwrap_or_else(|error| panic!("invalid test time {text}: {error}"));
    timestamp.as_microsecond()
}

pub fn context() -> EvalContext {
    EvalContext { now: at(NOW) }
}

/// Timestamps labelled with a fixed offset, because arrow-json without its `chrono-tz`
/// feature rejects the `UTC` label; the engine reads both the same way.
fn timestamp_type() -> ArrowType {
    ArrowType::Timestamp(ArrowTimeUnit::Microsecond, Some("+00:00".into()))
}

fn list_of(item: ArrowType) -> ArrowType {
    ArrowType::List(Arc::new(Field::new_list_field(item, true)))
}

fn item_type() -> ArrowType {
    ArrowType::Struct(Fields::from(vec![
        Field::new("SKU", ArrowType::Utf8, true),
        Field::new("quantity", ArrowType::Int64, true),
    ]))
}

fn event_type() -> ArrowType {
    let order = ArrowType::Struct(Fields::from(vec![Field::new(
        "priceTotal",
        ArrowType::Float64,
        true,
    )]));
    let commerce = ArrowType::Struct(Fields::from(vec![Field::new("order", order, true)]));
    ArrowType::Struct(Fields::from(vec![
        Field::new("timestamp", timestamp_type(), true),
        Field::new("eventType", ArrowType::Utf8, true),
        Field::new("commerce", commerce, true),
        Field::new("productListItems", list_of(item_type()), true),
    ]))
}

/// Returns the profile schema: scalar attributes, a nested `person` struct, a list of strings and an
/// `xEvent` list of events with nested structs and a nested item list.
pub fn schema() -> SchemaRef {
    let name = ArrowType::Struct(Fields::from(vec![Field::new(
        "firstName",
        ArrowType::Utf8,
        true,
    )]));
    let person = ArrowType::Struct(Fields::from(vec![
        Field::new("gender", ArrowType::Utf8, true),
        Field::new("name", name, true),
    ]));
    Arc::new(Schema::new(vec![
        Field::new("_id", ArrowType::Utf8, true),
        Field::new("age", ArrowType::Int64, true),
        Field::new("score", ArrowType::Float64, true),
        Field::new("name", ArrowType::Utf8, true),
        Field::new("vip", ArrowType::Boolean, true),
        Field::new("birth", timestamp_type(), true),
        Field::new("person", person, true),
        Field::new("tags", list_of(ArrowType::Utf8), true),
        Field::new("xEvent", list_of(event_type()), true),
    ]))
}

/// Reads JSON lines with the profile schema into one batch.
pub fn batch_from_json(lines: &[&str]) -> Result<RecordBatch, Box<dyn std::error::Error>> {
    let text = lines.join("\n");
    let mut reader = arrow_json::ReaderBuilder::new(schema()).build(text.as_bytes())?;
    let batch = reader.next().ok_or("no rows in test JSON")??;
    Ok(batch)
}

/// Five profiles covering present, null and missing values at every level:
///
/// - p0: every attribute set; three unsorted events, one with two items.
/// - p1: every attribute null, including `person`, `tags` and `xEvent`.
/// - p2: extreme numbers; a `person` struct whose fields are null; empty lists.
/// - p3: a non-ASCII name; events with null price, null timestamp, null and empty items.
/// - p4: an event list whose only event is null.
pub fn profiles() -> Result<RecordBatch, Box<dyn std::error::Error>> {
    batch_from_json(&[
        r#"{"_id": "p0", "age": 30, "score": 1.5, "name": "Alice Smith", "vip": true, "birth": "1990-05-01T00:00:00Z",
            "person": {"gender": "female", "name": {"firstName": "Alice"}}, "tags": ["a", "b"],
            "xEvent": [
              {"timestamp": "2018-08-27T09:00:00Z", "eventType": "commerce.purchases", "commerce": {"order": {"priceTotal": 120.0}},
               "productListItems": [{"SKU": "CD", "quantity": 2}, {"SKU": "DVD", "quantity": 1}]},
              {"timestamp": "2018-08-20T09:00:00Z", "eventType": "web.pageView", "productListItems": []},
              {"timestamp": "2018-08-28T08:00:00Z", "eventType": "commerce.productListAdds", "commerce": {"order": {"priceTotal": 30.5}},
               "productListItems": [{"SKU": "CD", "quantity": 1}]}]}"#,
        r#"{"_id": "p1", "age": null, "score": null, "name": null, "vip": null, "birth": null, "person": null, "tags": null, "xEvent": null}"#,
        r#"{"_id": "p2", "age": 9223372036854775807, "score": -2.0, "name": "bob", "vip": false, "birth": "2000-01-01T00:00:00Z",
            "person": {"gender": null, "name": null}, "tags": [], "xEvent": []}"#,
        r#"{"_id": "p3", "age": 17, "score": 0.0, "name": "ÉLODIE Σ", "vip": true, "birth": "2018-08-28T09:59:59Z",
            "person": {"gender": "male", "name": {"firstName": "Lod"}}, "tags": ["c"],
            "xEvent": [
              {"timestamp": "2018-07-15T00:00:00Z", "eventType": "commerce.purchases", "commerce": {"order": {"priceTotal": null}}, "productListItems": null},
              {"timestamp": null, "eventType": "commerce.purchases", "commerce": null, "productListItems": [{"SKU": "CD", "quantity": null}]},
              {"timestamp": "2018-07-15T00:00:00Z", "eventType": "commerce.purchases", "commerce": {"order": {"priceTotal": 10.0}},
               "productListItems": [{"SKU": null, "quantity": 5}]}]}"#,
        r#"{"_id": "p4", "age": -9223372036854775808, "score": 1e308, "name": "", "vip": false, "xEvent": [null]}"#,
    ])
}

pub fn node(kind: NodeKind, data_type: DataType) -> Node {
    Node {
        kind,
        data_type,
        span: Span::new(0, 0),
    }
}

/// Reads a dotted path from scope `scope`.
pub fn column(scope: usize, path: &str, data_type: DataType) -> Node {
    let path = if path.is_empty() {
        Vec::new()
    } else {
        path.split('.').map(str::to_string).collect()
    };
    node(NodeKind::Column { scope, path }, data_type)
}

pub fn literal(scalar: Scalar) -> Node {
    let data_type = scalar.data_type();
    node(NodeKind::Literal(scalar), data_type)
}

pub fn int(value: i64) -> Node {
    literal(Scalar::Int(value))
}

pub fn double(value: f64) -> Node {
    literal(Scalar::Double(value))
}

pub fn string(value: &str) -> Node {
    literal(Scalar::String(value.to_string()))
}

pub fn compare(op: Comparison, lhs: Node, rhs: Node) -> Node {
    node(
        NodeKind::Compare {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        DataType::Bool,
    )
}

pub fn not(operand: Node) -> Node {
    node(NodeKind::Not(Box::new(operand)), DataType::Bool)
}

pub fn and(operands: Vec<Node>) -> Node {
    node(NodeKind::And(operands), DataType::Bool)
}

pub fn or(operands: Vec<Node>) -> Node {
    node(NodeKind::Or(operands), DataType::Bool)
}

pub fn arithmetic(op: ArithmeticOp, lhs: Node, rhs: Node) -> Node {
    let data_type = lhs.data_type.clone();
    node(
        NodeKind::Arithmetic {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        data_type,
    )
}

pub fn truthy(operand: Node) -> Node {
    node(NodeKind::Truthy(Box::new(operand)), DataType::Bool)
}

pub fn item_data_type() -> DataType {
    DataType::Struct(vec![
        FieldType {
            name: "SKU".to_string(),
            data_type: DataType::String,
        },
        FieldType {
            name: "quantity".to_string(),
            data_type: DataType::Int,
        },
    ])
}

/// Reads the `xEvent` list of the profile from scope `scope`.
pub fn events(scope: usize) -> Node {
    let event = DataType::Struct(vec![FieldType {
        name: "timestamp".to_string(),
        data_type: DataType::Timestamp,
    }]);
    column(scope, "xEvent", DataType::List(Box::new(event)))
}

/// Reads the `productListItems` list of the event in scope `scope`.
pub fn items(scope: usize) -> Node {
    column(
        scope,
        "productListItems",
        DataType::List(Box::new(item_data_type())),
    )
}

pub fn aggregate(list: Node, filters: Vec<Node>, function: ListFunction) -> Node {
    let data_type = match &function {
        ListFunction::Exists | ListFunction::Forall(_) => DataType::Bool,
        ListFunction::Count | ListFunction::CountDistinct(_) => DataType::Int,
        ListFunction::Average(_) => DataType::Double,
        ListFunction::Sum(value)
        | ListFunction::Min(value)
        | ListFunction::Max(value)
        | ListFunction::First(value) => {
            value.data_type.clone()
        }
    };
    node(
        NodeKind::ListAggregate {
            list: Box::new(list),
            filters,
            function,
        },
        data_type,
    )
}

pub fn plan(root: Node) -> SegmentPlan {
    SegmentPlan {
        root,
        dependencies: Vec::new(),
    }
}

/// Evaluates one predicate as a segment over `batch` and returns its mask as booleans.
pub fn mask_of(root: Node, batch: &RecordBatch) -> Result<Vec<bool>, EvalError> {
    let plan = plan(root);
    let masks = evaluate_batch(
        &[Segment {
            id: "test",
            plan: &plan,
        }],
        batch,
        &context(),
    )?;
    let mask = &masks[0];
    assert_eq!(mask.null_count(), 0, "a segment mask has nulls");
    assert_eq!(
        mask.len(),
        batch.num_rows(),
        "a segment mask has another length than the batch"
    );
    Ok(mask.iter().map(|bit| bit.unwrap_or(false)).collect())
}

/// Evaluates a value node over `batch` through the evaluator itself, at scope 0.
pub fn value_of(value: Node, batch: &RecordBatch) -> Result<ArrayRef, EvalError> {
    let mut evaluator = super::super::eval::BatchEvaluator::new(batch, &context());
    evaluator.array(&value)
}

/// Reads an `Int64` result as options.
pub fn ints(array: &ArrayRef) -> Vec<Option<i64>> {
    array
        .as_primitive::<arrow::datatypes::Int64Type>()
        .iter()
        .collect()
}

/// Reads a `Float64` result as options.
pub fn doubles(array: &ArrayRef) -> Vec<Option<f64>> {
    array
        .as_primitive::<arrow::datatypes::Float64Type>()
        .iter()
        .collect()
}

/// Reads a `Utf8` result as options.
pub fn strings(array: &ArrayRef) -> Vec<Option<String>> {
    array
        .as_string::<i32>()
        .iter()
        .map(|value| value.map(str::to_string))
        .collect()
}

/// Reads a boolean mask as booleans, with null as false.
pub fn bools(mask: &BooleanArray) -> Vec<bool> {
    mask.iter().map(|bit| bit.unwrap_or(false)).collect()
}
