//! The Arrow schema of converted CDNOW profiles and the building of their record batches.

use std::iter::repeat_n;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, ListArray, MapArray, RecordBatch, StringArray,
    StructArray, TimestampMicrosecondArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef};
use arrow::error::ArrowError;

use crate::cdnow::Customer;
use crate::xdm::{
    EVENT_COLUMN, ID_COLUMN, IDENTITY_MAP_COLUMN, UTC, identity_fields, identity_map_type, timestamp_type,
};

/// The identity namespace of the CDNOW customer ids.
const NAMESPACE: &str = "CRMID";
const EVENT_TYPE: &str = "commerce.purchases";
const CURRENCY: &str = "USD";
const SKU: &str = "CD";

/// Returns the schema of the profile files written by [`crate::convert_cdnow`]:
///
/// - `_id` (Utf8, non-null): the customer id as written, such as `00001`.
/// - `identityMap` (`Map<Utf8, List<Struct{id: Utf8, primary: Boolean}>>`): one entry,
///   `CRMID` to `[{id: <customer id>, primary: true}]`.
/// - `xEvent` (`List<Struct>`): one event per purchase row, in file order, with
///   - `_id` (Utf8): `<customer id>-<n>`, where n counts the customer's rows from 1;
///   - `timestamp` (`Timestamp(Microsecond, "UTC")`): 00:00:00 UTC on the purchase date;
///   - `eventType` (Utf8): `commerce.purchases`;
///   - `commerce` (Struct): `order` (Struct of `priceTotal` Float64, the dollar value, and
///     `currencyCode` Utf8, `USD`) and `purchases` (Struct of `value` Float64, 1.0);
///   - `productListItems` (`List<Struct>`): one item with `SKU` (Utf8, `CD`), `quantity`
///     (Int64, the number of CDs) and `priceTotal` (Float64, the dollar value).
///
/// Every field except `_id` and the map's entries and keys is nullable, as XDM fields are
/// optional.
pub fn cdnow_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(ID_COLUMN, DataType::Utf8, false),
        Field::new(IDENTITY_MAP_COLUMN, identity_map_type(identity_fields()), true),
        Field::new(
            EVENT_COLUMN,
            DataType::List(Arc::new(Field::new_list_field(DataType::Struct(event_fields()), true))),
            true,
        ),
    ]))
}

fn event_fields() -> Fields {
    Fields::from(vec![
        Field::new("_id", DataType::Utf8, true),
        Field::new("timestamp", timestamp_type(), true),
        Field::new("eventType", DataType::Utf8, true),
        Field::new("commerce", DataType::Struct(commerce_fields()), true),
        Field::new("productListItems", DataType::List(Arc::new(product_item_field())), true),
    ])
}

fn commerce_fields() -> Fields {
    Fields::from(vec![
        Field::new("order", DataType::Struct(order_fields()), true),
        Field::new("purchases", DataType::Struct(purchases_fields()), true),
    ])
}

fn order_fields() -> Fields {
    Fields::from(vec![
        Field::new("priceTotal", DataType::Float64, true),
        Field::new("currencyCode", DataType::Utf8, true),
    ])
}

fn purchases_fields() -> Fields {
    Fields::from(vec![Field::new("value", DataType::Float64, true)])
}

fn product_item_field() -> Field {
    Field::new_list_field(
        DataType::Struct(Fields::from(vec![
            Field::new("SKU", DataType::Utf8, true),
            Field::new("quantity", DataType::Int64, true),
            Field::new("priceTotal", DataType::Float64, true),
        ])),
        true,
    )
}

/// Builds the record batch of `customers` with `schema`, which must be [`cdnow_schema`].
pub(crate) fn cdnow_batch(schema: &SchemaRef, customers: &[Customer]) -> Result<RecordBatch, ArrowError> {
    let ids: ArrayRef =
        Arc::new(StringArray::from_iter_values(customers.iter().map(|customer| customer.id.as_str())));
    let identity_map = identity_map_array(schema, &ids)?;
    let events = events_array(schema, customers)?;
    RecordBatch::try_new(schema.clone(), vec![ids, identity_map, events])
}

/// Returns the item field of a list type, or the entries field of a map type.
fn child_field(data_type: &DataType) -> Result<&FieldRef, ArrowError> {
    match data_type {
        DataType::List(child) | DataType::Map(child, _) => Ok(child),
        other => Err(ArrowError::SchemaError(format!("expected a list or map type, found {other}"))),
    }
}

fn struct_fields(data_type: &DataType) -> Result<&Fields, ArrowError> {
    match data_type {
        DataType::Struct(fields) => Ok(fields),
        other => Err(ArrowError::SchemaError(format!("expected a struct type, found {other}"))),
    }
}

/// Builds `identityMap`: for each profile one entry from `CRMID` to one primary identity.
fn identity_map_array(schema: &Schema, ids: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    let count = ids.len();
    let map_type = schema.field_with_name(IDENTITY_MAP_COLUMN)?.data_type();
    let entries_field = child_field(map_type)?;
    let entry_fields = struct_fields(entries_field.data_type())?;
    let identities_field = child_field(entry_fields[1].data_type())?;
    let identity_fields = struct_fields(identities_field.data_type())?;

    let primary: ArrayRef = Arc::new(BooleanArray::from(vec![true; count]));
    let identities = StructArray::try_new(identity_fields.clone(), vec![ids.clone(), primary], None)?;
    let identity_lists =
        ListArray::try_new(identities_field.clone(), one_each(count), Arc::new(identities), None)?;
    let keys: ArrayRef = Arc::new(StringArray::from_iter_values(repeat_n(NAMESPACE, count)));
    let entries = StructArray::try_new(entry_fields.clone(), vec![keys, Arc::new(identity_lists)], None)?;
    let map = MapArray::try_new(entries_field.clone(), one_each(count), entries, None, false)?;
    Ok(Arc::new(map))
}

/// Builds `xEvent`: one purchase event per input row, grouped by profile.
fn events_array(schema: &Schema, customers: &[Customer]) -> Result<ArrayRef, ArrowError> {
    let events_field = child_field(schema.field_with_name(EVENT_COLUMN)?.data_type())?;
    let count: usize = customers.iter().map(|customer| customer.purchases.len()).sum();
    let purchases = || customers.iter().flat_map(|customer| customer.purchases.iter());

    let event_ids: Vec<String> = customers
        .iter()
        .flat_map(|customer| (1..=customer.purchases.len()).map(move |n| format!("{}-{n}", customer.id)))
        .collect();
    let event_ids: ArrayRef = Arc::new(StringArray::from(event_ids));
    let timestamps: ArrayRef = Arc::new(
        TimestampMicrosecondArray::from_iter_values(purchases().map(|purchase| purchase.timestamp))
            .with_timezone(UTC),
    );
    let event_types: ArrayRef = Arc::new(StringArray::from_iter_values(repeat_n(EVENT_TYPE, count)));
    let prices: ArrayRef =
        Arc::new(Float64Array::from_iter_values(purchases().map(|purchase| purchase.dollars)));
    let quantities: ArrayRef =
        Arc::new(Int64Array::from_iter_values(purchases().map(|purchase| purchase.cds)));

    let currencies: ArrayRef = Arc::new(StringArray::from_iter_values(repeat_n(CURRENCY, count)));
    let order = StructArray::try_new(order_fields(), vec![prices.clone(), currencies], None)?;
    let purchase_values: ArrayRef = Arc::new(Float64Array::from(vec![1.0; count]));
    let purchase_counts = StructArray::try_new(purchases_fields(), vec![purchase_values], None)?;
    let commerce =
        StructArray::try_new(commerce_fields(), vec![Arc::new(order), Arc::new(purchase_counts)], None)?;

    let item_field = product_item_field();
    let skus: ArrayRef = Arc::new(StringArray::from_iter_values(repeat_n(SKU, count)));
    let items = StructArray::try_new(
        struct_fields(item_field.data_type())?.clone(),
        vec![skus, quantities, prices],
        None,
    )?;
    let product_lists = ListArray::try_new(Arc::new(item_field), one_each(count), Arc::new(items), None)?;

    let events = StructArray::try_new(
        struct_fields(events_field.data_type())?.clone(),
        vec![event_ids, timestamps, event_types, Arc::new(commerce), Arc::new(product_lists)],
        None,
    )?;
    let offsets = OffsetBuffer::from_lengths(customers.iter().map(|customer| customer.purchases.len()));
    Ok(Arc::new(ListArray::try_new(events_field.clone(), offsets, Arc::new(events), None)?))
}

/// Returns list offsets that give each of `count` rows exactly one element.
fn one_each(count: usize) -> OffsetBuffer<i32> {
    OffsetBuffer::from_lengths(repeat_n(1, count))
}
