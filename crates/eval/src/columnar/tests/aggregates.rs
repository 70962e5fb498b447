//! List aggregates over events and nested items, including empty and null lists, nested
//! filters and reads of enclosing scopes.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Int64Array, ListArray, RecordBatch, StringArray, StructArray,
    TimestampMicrosecondArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType as ArrowType, Field, Fields, Schema};
use seg_plan::{DataType, ListFunction, Node};
use seg_pql::ast::Comparison;

use super::fixtures::*;

const F: bool = false;
const T: bool = true;

fn event_type() -> Node {
    column(1, "eventType", DataType::String)
}

fn price() -> Node {
    column(1, "commerce.order.priceTotal", DataType::Double)
}

fn is_purchase() -> Node {
    compare(Comparison::Eq, event_type(), string("commerce.purchases"))
}

/// Aggregates over every event of the profile, without filters.
fn over_events(function: ListFunction) -> Node {
    aggregate(events(0), Vec::new(), function)
}

fn item_count() -> Node {
    aggregate(items(1), Vec::new(), ListFunction::Count)
}

#[test]
fn count_all_and_filtered() -> TestResult {
    let batch = profiles()?;
    let all = value_of(over_events(ListFunction::Count), &batch)?;
    let purchases = value_of(
        aggregate(events(0), vec![is_purchase()], ListFunction::Count),
        &batch,
    )?;
    assert_eq!(
        ints(&all),
        [Some(3), Some(0), Some(0), Some(3), Some(1)],
        "a null event is still an element"
    );
    assert_eq!(
        ints(&purchases),
        [Some(1), Some(0), Some(0), Some(3), Some(0)]
    );
    Ok(())
}

#[test]
fn count_with_several_filters() -> TestResult {
    let batch = profiles()?;
    let priced = compare(Comparison::Gt, price(), double(5.0));
    let count = value_of(
        aggregate(events(0), vec![is_purchase(), priced], ListFunction::Count),
        &batch,
    )?;
    assert_eq!(ints(&count), [Some(1), Some(0), Some(0), Some(1), Some(0)]);
    Ok(())
}

#[test]
fn exists_empty_and_null_lists() -> TestResult {
    let batch = profiles()?;
    let page_view = compare(Comparison::Eq, event_type(), string("web.pageView"));
    assert_eq!(
        mask_of(
            aggregate(events(0), vec![page_view], ListFunction::Exists),
            &batch
        )?,
        [T, F, F, F, F]
    );
    assert_eq!(
        mask_of(over_events(ListFunction::Exists), &batch)?,
        [T, F, F, T, T]
    );
    Ok(())
}

#[test]
fn forall_empty_is_true() -> TestResult {
    let batch = profiles()?;
    let all_purchases = over_events(ListFunction::Forall(Box::new(is_purchase())));
    assert_eq!(
        mask_of(all_purchases, &batch)?,
        [F, T, T, T, F],
        "a null event satisfies no predicate"
    );
    Ok(())
}

#[test]
fn forall_with_filter() -> TestResult {
    let batch = profiles()?;
    let priced = compare(Comparison::GtEq, price(), double(10.0));
    let purchases_priced = aggregate(
        events(0),
        vec![is_purchase()],
        ListFunction::Forall(Box::new(priced)),
    );
    assert_eq!(mask_of(purchases_priced, &batch)?, [T, T, T, F, T]);
    Ok(())
}

#[test]
fn sum_average_min_max_doubles() -> TestResult {
    let batch = profiles()?;
    let sum = value_of(over_events(ListFunction::Sum(Box::new(price()))), &batch)?;
    let average = value_of(
        over_events(ListFunction::Average(Box::new(price()))),
        &batch,
    )?;
    let min = value_of(over_events(ListFunction::Min(Box::new(price()))), &batch)?;
    let max = value_of(over_events(ListFunction::Max(Box::new(price()))), &batch)?;
    assert_eq!(
        doubles(&sum),
        [Some(150.5), Some(0.0), Some(0.0), Some(10.0), Some(0.0)]
    );
    assert_eq!(
        doubles(&average),
        [Some(75.25), None, None, Some(10.0), None]
    );
    assert_eq!(doubles(&min), [Some(30.5), None, None, Some(10.0), None]);
    assert_eq!(doubles(&max), [Some(120.0), None, None, Some(10.0), None]);
    Ok(())
}

#[test]
fn sum_and_average_of_nested_counts() -> TestResult {
    let batch = profiles()?;
    let sum = value_of(
        over_events(ListFunction::Sum(Box::new(item_count()))),
        &batch,
    )?;
    let average = value_of(
        over_events(ListFunction::Average(Box::new(item_count()))),
        &batch,
    )?;
    assert_eq!(ints(&sum), [Some(3), Some(0), Some(0), Some(2), Some(0)]);
    assert_eq!(
        doubles(&average),
        [Some(1.0), None, None, Some(2.0 / 3.0), Some(0.0)]
    );
    Ok(())
}

#[test]
fn min_max_strings_and_timestamps() -> TestResult {
    let batch = profiles()?;
    let timestamp = column(1, "timestamp", DataType::Timestamp);
    let first_type = value_of(
        over_events(ListFunction::Min(Box::new(event_type()))),
        &batch,
    )?;
    let last_type = value_of(
        over_events(ListFunction::Max(Box::new(event_type()))),
        &batch,
    )?;
    let latest = value_of(over_events(ListFunction::Max(Box::new(timestamp))), &batch)?;

    let latest = latest.as_any().downcast_ref::<TimestampMicrosecondArray>();
    let latest: Vec<Option<i64>> = latest.ok_or("not a timestamp array")?.iter().collect();
    let adds = Some("commerce.productListAdds".to_string());
    let purchase = Some("commerce.purchases".to_string());
    let page_view = Some("web.pageView".to_string());

    assert_eq!(
        strings(&first_type),
        [adds, None, None, purchase.clone(), None]
    );
    assert_eq!(strings(&last_type), [page_view, None, None, purchase, None]);
    let expected_latest = [
        Some(at("2018-08-28T08:00:00Z")),
        None,
        None,
        Some(at("2018-07-15T00:00:00Z")),
        None,
    ];
    assert_eq!(latest, expected_latest);
    Ok(())
}

#[test]
fn nested_filter_on_items() -> TestResult {
    let batch = profiles()?;
    let has_cd = aggregate(
        items(1),
        vec![compare(
            Comparison::Eq,
            column(2, "SKU", DataType::String),
            string("CD"),
        )],
        ListFunction::Exists,
    );
    let count = value_of(
        aggregate(events(0), vec![has_cd], ListFunction::Count),
        &batch,
    )?;
    assert_eq!(ints(&count), [Some(2), Some(0), Some(0), Some(1), Some(0)]);
    Ok(())
}

#[test]
fn item_reads_profile_two_scopes_up() -> TestResult {
    let batch = profiles()?;
    let cd_for_women = aggregate(
        items(1),
        vec![
            compare(
                Comparison::Eq,
                column(2, "SKU", DataType::String),
                string("CD"),
            ),
            compare(
                Comparison::Eq,
                column(0, "person.gender", DataType::String),
                string("female"),
            ),
        ],
        ListFunction::Exists,
    );
    let count = value_of(
        aggregate(events(0), vec![cd_for_women], ListFunction::Count),
        &batch,
    )?;
    assert_eq!(ints(&count), [Some(2), Some(0), Some(0), Some(0), Some(0)]);
    Ok(())
}

#[test]
fn item_reads_event_one_scope_up() -> TestResult {
    let batch = profiles()?;
    let purchased_items = aggregate(
        items(1),
        vec![compare(
            Comparison::Eq,
            column(1, "eventType", DataType::String),
            string("commerce.purchases"),
        )],
        ListFunction::Count,
    );
    let total = value_of(
        over_events(ListFunction::Sum(Box::new(purchased_items))),
        &batch,
    )?;
    assert_eq!(ints(&total), [Some(2), Some(0), Some(0), Some(2), Some(0)]);
    Ok(())
}

#[test]
fn item_quantity_sum_and_null_values() -> TestResult {
    let batch = profiles()?;
    let quantity = column(2, "quantity", DataType::Int);
    let per_event = aggregate(items(1), Vec::new(), ListFunction::Sum(Box::new(quantity)));
    let largest = value_of(over_events(ListFunction::Max(Box::new(per_event))), &batch)?;
    assert_eq!(ints(&largest), [Some(3), None, None, Some(5), Some(0)]);
    Ok(())
}

#[test]
fn int_sum_overflow_is_null() -> TestResult {
    let batch = batch_from_json(&[
        r#"{"_id": "fits", "xEvent": [{"productListItems": [{"quantity": 9223372036854775807}, {"quantity": 1}, {"quantity": -1}]}]}"#,
        r#"{"_id": "overflows", "xEvent": [{"productListItems": [{"quantity": 9223372036854775807}, {"quantity": 1}]}]}"#,
    ])?;
    let quantity = column(2, "quantity", DataType::Int);
    let per_event = aggregate(items(1), Vec::new(), ListFunction::Sum(Box::new(quantity)));
    let largest = value_of(over_events(ListFunction::Max(Box::new(per_event))), &batch)?;
    assert_eq!(
        ints(&largest),
        [Some(i64::MAX), None],
        "the exact total decides, not the partial sums"
    );
    Ok(())
}

#[test]
fn aggregates_on_sliced_batch() -> TestResult {
    let batch = profiles()?.slice(1, 3);
    let count = value_of(over_events(ListFunction::Count), &batch)?;
    let purchases = mask_of(
        aggregate(events(0), vec![is_purchase()], ListFunction::Exists),
        &batch,
    )?;
    assert_eq!(ints(&count), [Some(0), Some(0), Some(3)]);
    assert_eq!(purchases, [F, F, T]);
    Ok(())
}

/// Builds a batch whose `codes` list has a null row whose offsets still span two values, as
/// Arrow allows: rows `["a", "b"]`, null (over `"x", "y"`), `["c"]`.
fn null_list_over_values() -> Result<RecordBatch, Box<dyn std::error::Error>> {
    let values: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "x", "y", "c"]));
    let code = Field::new("code", ArrowType::Utf8, true);
    let elements = StructArray::try_new(Fields::from(vec![code]), vec![values], None)?;
    let element_field = Arc::new(Field::new_list_field(elements.data_type().clone(), true));
    let offsets = OffsetBuffer::new(vec![0, 2, 4, 5].into());
    let nulls = NullBuffer::from(vec![true, false, true]);
    let codes = ListArray::try_new(element_field, offsets, Arc::new(elements), Some(nulls))?;
    let weights: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3]));
    let schema = Schema::new(vec![
        Field::new("codes", codes.data_type().clone(), true),
        Field::new("weight", ArrowType::Int64, true),
    ]);
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        vec![Arc::new(codes), weights],
    )?)
}

fn codes() -> Node {
    let element = DataType::Struct(vec![seg_plan::FieldType {
        name: "code".to_string(),
        data_type: DataType::String,
    }]);
    column(0, "codes", DataType::List(Box::new(element)))
}

#[test]
fn null_list_owns_no_values() -> TestResult {
    let batch = null_list_over_values()?;
    let count = value_of(aggregate(codes(), Vec::new(), ListFunction::Count), &batch)?;
    let has_x = aggregate(
        codes(),
        vec![compare(
            Comparison::Eq,
            column(1, "code", DataType::String),
            string("x"),
        )],
        ListFunction::Exists,
    );
    let weighted = aggregate(
        codes(),
        Vec::new(),
        ListFunction::Sum(Box::new(column(0, "weight", DataType::Int))),
    );
    assert_eq!(ints(&count), [Some(2), Some(0), Some(1)]);
    assert_eq!(mask_of(has_x, &batch)?, [F, F, F]);
    assert_eq!(
        ints(&value_of(weighted, &batch)?),
        [Some(2), Some(0), Some(3)],
        "each element reads its own profile"
    );
    Ok(())
}

#[test]
fn null_list_sliced() -> TestResult {
    let batch = null_list_over_values()?.slice(1, 2);
    let count = value_of(aggregate(codes(), Vec::new(), ListFunction::Count), &batch)?;
    let first = value_of(
        aggregate(
            codes(),
            Vec::new(),
            ListFunction::Min(Box::new(column(1, "code", DataType::String))),
        ),
        &batch,
    )?;
    assert_eq!(ints(&count), [Some(0), Some(1)]);
    assert_eq!(strings(&first), [None, Some("c".to_string())]);
    Ok(())
}

#[test]
fn list_of_scalars_reads_element() -> TestResult {
    let batch = profiles()?;
    let tags = column(0, "tags", DataType::List(Box::new(DataType::String)));
    let has_b = aggregate(
        tags,
        vec![compare(
            Comparison::Eq,
            column(1, "", DataType::String),
            string("b"),
        )],
        ListFunction::Exists,
    );
    assert_eq!(mask_of(has_b, &batch)?, [T, F, F, F, F]);
    Ok(())
}
