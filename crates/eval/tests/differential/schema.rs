//! The family of profile schemas: the full profile type, random variants of it with shuffled
//! fields and missing columns, and conversion of profile values into Arrow record batches.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, ListArray, RecordBatch, StringArray, StructArray,
    TimestampMicrosecondArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType as ArrowType, Field, Fields, Schema, TimeUnit as ArrowTimeUnit};
use arrow::error::ArrowError;
use proptest::prelude::*;
use seg_eval::reference::Value;
use seg_plan::{DataType, FieldType};

/// The type of a profile value in the test schemas.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Bool,
    Int,
    Double,
    String,
    Timestamp,
    List(Box<Kind>),
    Struct(Vec<(String, Kind)>),
}

impl Kind {
    /// Returns the type of a field of a struct kind.
    pub fn field(&self, name: &str) -> Option<&Kind> {
        match self {
            Kind::Struct(fields) => fields.iter().find(|(field, _)| field == name).map(|(_, kind)| kind),
            _ => None,
        }
    }

    /// Returns the plan type of values of this kind.
    pub fn data_type(&self) -> DataType {
        match self {
            Kind::Bool => DataType::Bool,
            Kind::Int => DataType::Int,
            Kind::Double => DataType::Double,
            Kind::String => DataType::String,
            Kind::Timestamp => DataType::Timestamp,
            Kind::List(element) => DataType::List(Box::new(element.data_type())),
            Kind::Struct(fields) => DataType::Struct(
                fields
                    .iter()
                    .map(|(name, kind)| FieldType { name: name.clone(), data_type: kind.data_type() })
                    .collect(),
            ),
        }
    }

    /// Returns the normalized Arrow type of values of this kind.
    pub fn arrow_type(&self) -> ArrowType {
        match self {
            Kind::Bool => ArrowType::Boolean,
            Kind::Int => ArrowType::Int64,
            Kind::Double => ArrowType::Float64,
            Kind::String => ArrowType::Utf8,
            Kind::Timestamp => ArrowType::Timestamp(ArrowTimeUnit::Microsecond, Some("UTC".into())),
            Kind::List(element) => ArrowType::List(Arc::new(Field::new("item", element.arrow_type(), true))),
            Kind::Struct(fields) => ArrowType::Struct(arrow_fields(fields)),
        }
    }
}

fn field(name: &str, kind: Kind) -> (String, Kind) {
    (name.to_string(), kind)
}

/// Returns the element type of `productListItems`.
fn item_kind() -> Kind {
    Kind::Struct(vec![field("SKU", Kind::String), field("quantity", Kind::Int)])
}

/// Returns the element type of `xEvent`.
pub fn event_kind() -> Kind {
    Kind::Struct(vec![
        field("timestamp", Kind::Timestamp),
        field("eventType", Kind::String),
        field("value", Kind::Double),
        field("quantity", Kind::Int),
        field("productListItems", Kind::List(Box::new(item_kind()))),
    ])
}

/// Returns the full profile type, with fields in canonical order.
pub fn profile_kind() -> Kind {
    let person = Kind::Struct(vec![
        field("age", Kind::Int),
        field("score", Kind::Double),
        field("name", Kind::String),
        field("vip", Kind::Bool),
        field("birth", Kind::Timestamp),
    ]);
    let home = Kind::Struct(vec![field("countryCode", Kind::String), field("city", Kind::String)]);
    Kind::Struct(vec![
        field("_id", Kind::String),
        field("person", person),
        field("homeAddress", home),
        field("tags", Kind::List(Box::new(Kind::String))),
        field("xEvent", Kind::List(Box::new(event_kind()))),
    ])
}

/// Generates a variant of the profile type: every struct's fields shuffled, and each
/// top-level column except `_id` left out one time in eight.
pub fn shape_strategy() -> BoxedStrategy<Kind> {
    let Kind::Struct(columns) = profile_kind() else { unreachable!("the profile kind is a struct") };
    let column_strategies: Vec<BoxedStrategy<Option<(String, Kind)>>> = columns
        .into_iter()
        .map(|(name, kind)| {
            let shuffled = shuffled(kind);
            if name == "_id" {
                shuffled.prop_map(move |kind| Some((name.clone(), kind))).boxed()
            } else {
                let kept = shuffled.prop_map(move |kind| Some((name.clone(), kind)));
                prop_oneof![1 => Just(None), 7 => kept].boxed()
            }
        })
        .collect();
    column_strategies
        .prop_map(|columns| columns.into_iter().flatten().collect::<Vec<_>>())
        .prop_shuffle()
        .prop_map(Kind::Struct)
        .boxed()
}

fn shuffled(kind: Kind) -> BoxedStrategy<Kind> {
    match kind {
        Kind::Struct(fields) => {
            let field_strategies: Vec<BoxedStrategy<(String, Kind)>> = fields
                .into_iter()
                .map(|(name, kind)| shuffled(kind).prop_map(move |kind| (name.clone(), kind)).boxed())
                .collect();
            field_strategies.prop_shuffle().prop_map(Kind::Struct).boxed()
        }
        Kind::List(element) => shuffled(*element).prop_map(|element| Kind::List(Box::new(element))).boxed(),
        leaf => Just(leaf).boxed(),
    }
}

fn arrow_fields(fields: &[(String, Kind)]) -> Fields {
    fields.iter().map(|(name, kind)| Field::new(name, kind.arrow_type(), true)).collect()
}

/// Builds a record batch with one row per profile.
///
/// With `stale_children`, the slots under a null struct hold non-null values and a null list
/// slot covers one element, as Arrow allows: readers must ignore both.
pub fn batch_from_profiles(shape: &Kind, profiles: &[Value], stale_children: bool) -> Result<RecordBatch, ArrowError> {
    let Kind::Struct(columns) = shape else { unreachable!("a profile shape is a struct") };
    let rows: Vec<&Value> = profiles.iter().collect();
    let arrays = columns
        .iter()
        .map(|(name, kind)| array_from_values(kind, &children(&rows, name), stale_children))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(Arc::new(Schema::new(arrow_fields(columns))), arrays)
}

/// Returns field `name` of each struct value, or null for a null value.
fn children<'v>(values: &[&'v Value], name: &str) -> Vec<&'v Value> {
    values
        .iter()
        .map(|value| match value {
            Value::Struct(fields) => fields.iter().find(|(field, _)| field == name).map_or(&Value::Null, |(_, v)| v),
            _ => &Value::Null,
        })
        .collect()
}

fn array_from_values(kind: &Kind, values: &[&Value], stale_children: bool) -> Result<ArrayRef, ArrowError> {
    let array: ArrayRef = match kind {
        Kind::Bool => Arc::new(values.iter().map(|v| as_bool(v)).collect::<BooleanArray>()),
        Kind::Int => Arc::new(values.iter().map(|v| as_int(v)).collect::<Int64Array>()),
        Kind::Double => Arc::new(values.iter().map(|v| as_double(v)).collect::<Float64Array>()),
        Kind::String => Arc::new(values.iter().map(|v| as_str(v)).collect::<StringArray>()),
        Kind::Timestamp => {
            Arc::new(values.iter().map(|v| as_timestamp(v)).collect::<TimestampMicrosecondArray>().with_timezone("UTC"))
        }
        Kind::List(element) => list_array(element, values, stale_children)?,
        Kind::Struct(fields) => struct_array(fields, values, stale_children)?,
    };
    Ok(array)
}

fn list_array(element: &Kind, values: &[&Value], stale_children: bool) -> Result<ArrayRef, ArrowError> {
    let stale = stale_value(element);
    let mut lengths = Vec::with_capacity(values.len());
    let mut elements: Vec<&Value> = Vec::new();
    for value in values {
        match value {
            Value::List(items) => {
                lengths.push(items.len());
                elements.extend(items.iter());
            }
            _ if stale_children => {
                lengths.push(1);
                elements.push(&stale);
            }
            _ => lengths.push(0),
        }
    }
    let validity = NullBuffer::from(values.iter().map(|v| matches!(v, Value::List(_))).collect::<Vec<_>>());
    let item_field = Arc::new(Field::new("item", element.arrow_type(), true));
    let element_array = array_from_values(element, &elements, stale_children)?;
    Ok(Arc::new(ListArray::try_new(item_field, OffsetBuffer::from_lengths(lengths), element_array, Some(validity))?))
}

fn struct_array(fields: &[(String, Kind)], values: &[&Value], stale_children: bool) -> Result<ArrayRef, ArrowError> {
    let present: Vec<bool> = values.iter().map(|v| matches!(v, Value::Struct(_))).collect();
    let mut arrays = Vec::with_capacity(fields.len());
    for (name, kind) in fields {
        let stale = stale_value(kind);
        let mut column = children(values, name);
        if stale_children {
            for (slot, &is_present) in column.iter_mut().zip(&present) {
                if !is_present {
                    *slot = &stale;
                }
            }
        }
        arrays.push(array_from_values(kind, &column, stale_children)?);
    }
    Ok(Arc::new(StructArray::try_new(arrow_fields(fields), arrays, Some(NullBuffer::from(present)))?))
}

/// Returns a non-null value of `kind` to leave under null parents.
fn stale_value(kind: &Kind) -> Value {
    match kind {
        Kind::Bool => Value::Bool(true),
        Kind::Int => Value::Int(1),
        Kind::Double => Value::Double(1.0),
        Kind::String => Value::String("a".to_string()),
        Kind::Timestamp => Value::Timestamp(0),
        Kind::List(element) => Value::List(vec![stale_value(element)]),
        Kind::Struct(fields) => {
            Value::Struct(fields.iter().map(|(name, kind)| (name.clone(), stale_value(kind))).collect())
        }
    }
}

fn as_bool(value: &Value) -> Option<bool> {
    if let Value::Bool(b) = value { Some(*b) } else { None }
}

fn as_int(value: &Value) -> Option<i64> {
    if let Value::Int(i) = value { Some(*i) } else { None }
}

fn as_double(value: &Value) -> Option<f64> {
    if let Value::Double(d) = value { Some(*d) } else { None }
}

fn as_str(value: &Value) -> Option<&str> {
    if let Value::String(s) = value { Some(s) } else { None }
}

fn as_timestamp(value: &Value) -> Option<i64> {
    if let Value::Timestamp(t) = value { Some(*t) } else { None }
}
