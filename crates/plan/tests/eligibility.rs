//! Evaluation-method eligibility of definitions: one case per rule of `docs/eligibility.md`.

use std::sync::Arc;

use arrow::datatypes::{DataType as Arrow, Field, Fields, Schema, TimeUnit};
use seg_plan::{Eligibility, EvaluationInfo, bind, classify, classify_with};

fn schema() -> Schema {
    let timestamp = Arrow::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let item = Fields::from(vec![Field::new("SKU", Arrow::Utf8, true), Field::new("quantity", Arrow::Int64, true)]);
    let event = Fields::from(vec![
        Field::new("timestamp", timestamp.clone(), true),
        Field::new("eventType", Arrow::Utf8, true),
        Field::new("value", Arrow::Float64, true),
        Field::new("productListItems", Arrow::List(Arc::new(Field::new("item", Arrow::Struct(item), true))), true),
    ]);
    let address = Fields::from(vec![Field::new("countryCode", Arrow::Utf8, true)]);
    let person = Fields::from(vec![Field::new("age", Arrow::Int32, true), Field::new("birthDate", timestamp, true)]);
    Schema::new(vec![
        Field::new("_id", Arrow::Utf8, false),
        Field::new("person", Arrow::Struct(person), true),
        Field::new("homeAddress", Arrow::Struct(address), true),
        Field::new("xEvent", Arrow::List(Arc::new(Field::new("item", Arrow::Struct(event), true))), true),
    ])
}

fn eligibility(text: &str) -> Eligibility {
    let query = seg_pql::parse(text).unwrap_or_else(|d| panic!("{}", d.render(text)));
    let plan = bind(&query, &schema()).unwrap_or_else(|d| panic!("{}", d.render(text)));
    classify(&plan)
}

/// Returns the enabled methods as `batch`, `streaming` and `edge` flags.
fn methods(text: &str) -> (bool, bool, bool) {
    let info = eligibility(text).info;
    (info.batch, info.continuous, info.synchronous)
}

const ALL: (bool, bool, bool) = (true, true, true);
const STREAMING: (bool, bool, bool) = (true, true, false);
const BATCH: (bool, bool, bool) = (true, false, false);

const PURCHASE: &str = "eventType = \"commerce.purchases\"";

#[test]
fn profile_only_is_everywhere() {
    assert_eq!(methods("homeAddress.countryCode = \"US\""), ALL);
    assert_eq!(methods("person.age >= 21 and homeAddress.countryCode.equals(\"US\", false)"), ALL);
}

#[test]
fn profile_time_condition_is_profile_only() {
    assert_eq!(methods("person.birthDate occurs <= 3 days before today"), ALL);
}

#[test]
fn chain_today_is_everywhere() {
    let text = format!("chain(xEvent, timestamp, [C0: WHAT({PURCHASE}) WHEN(today)])");
    assert_eq!(methods(&text), ALL);
}

#[test]
fn event_with_profile_within_day() {
    let text = format!("homeAddress.countryCode = \"US\" and xEvent[{PURCHASE} and timestamp occurs < 24 hours before now]");
    assert_eq!(methods(&text), ALL);
}

#[test]
fn hour_windows_are_within_day() {
    for window in ["<= 23 hours before now", "< 24 hours before now", "<= 1 day before now", "= 3 hours before now", "this hour", "last hour", "after yesterday", "now"] {
        let text = format!("xEvent[{PURCHASE} and timestamp occurs {window}]");
        assert_eq!(methods(&text), ALL, "{window}");
    }
}

#[test]
fn exactly_24_hours_is_accepted() {
    let text = format!("chain(xEvent, timestamp, [C0: WHAT({PURCHASE}) WHEN(<= 24 hours before now)])");
    assert_eq!(methods(&text), ALL);
}

#[test]
fn longer_windows_are_batch() {
    for window in ["<= 25 hours before now", "< 3 days before now", "yesterday", "this week", "last month", "<= 1 day before today", "before now", ">= 1 hour before now"] {
        let text = format!("xEvent[{PURCHASE} and timestamp occurs {window}]");
        assert_eq!(methods(&text), BATCH, "{window}");
    }
}

#[test]
fn absolute_dates_are_batch() {
    let text = format!("xEvent[{PURCHASE} and timestamp occurs on date(2025, 5, 20)]");
    assert_eq!(methods(&text), BATCH);
}

#[test]
fn event_without_window_is_batch() {
    let result = eligibility(&format!("xEvent[{PURCHASE}]"));
    assert_eq!(result.info, EvaluationInfo { batch: true, continuous: false, synchronous: false });
    assert!(result.reasons[0].message.contains("no time window"), "{:?}", result.reasons);
}

#[test]
fn window_on_other_field_is_batch() {
    let text = format!("xEvent[{PURCHASE} and ^.person.birthDate occurs today]");
    assert_eq!(methods(&text), BATCH);
}

#[test]
fn window_reason_names_lookback() {
    let result = eligibility(&format!("xEvent[{PURCHASE} and timestamp occurs <= 3 days before now]"));
    assert_eq!(result.reasons.len(), 1, "{:?}", result.reasons);
    assert!(result.reasons[0].message.contains("can reach back 3 days"), "{}", result.reasons[0].message);
}

#[test]
fn disjunction_takes_widest_window() {
    let text = format!("xEvent[{PURCHASE} and (timestamp occurs today or timestamp occurs last week)]");
    assert_eq!(methods(&text), BATCH);
}

#[test]
fn conjunction_takes_narrowest_window() {
    let text = format!("xEvent[{PURCHASE} and timestamp occurs this week and timestamp occurs today]");
    assert_eq!(methods(&text), ALL);
}

#[test]
fn two_step_chain_is_streaming_only() {
    let text = "homeAddress.countryCode = \"US\" and chain(xEvent, timestamp, [C0: WHAT(eventType = \"email\") WHEN(today), C1: WHAT(eventType = \"checkout\") WHEN(today)])";
    let result = eligibility(text);
    assert_eq!(result.info, EvaluationInfo { batch: true, continuous: true, synchronous: false });
    assert!(result.reasons.iter().all(|reason| reason.edge_only), "{:?}", result.reasons);
}

#[test]
fn chain_step_without_window_is_batch() {
    let text = "chain(xEvent, timestamp, [C0: WHAT(eventType = \"email\") WHEN(today), C1: WHAT(eventType = \"checkout\")])";
    assert_eq!(methods(text), BATCH);
}

#[test]
fn frequency_is_streaming_only() {
    let text = format!("xEvent[{PURCHASE} and timestamp occurs today].count() >= 3");
    assert_eq!(methods(&text), STREAMING);
    let text = format!("chain(xEvent, timestamp, [A: WHAT({PURCHASE}) WHEN(< 24 hours before now) COUNT(5)])");
    assert_eq!(methods(&text), STREAMING);
}

#[test]
fn count_of_one_is_single_event() {
    let text = format!("xEvent[{PURCHASE} and timestamp occurs today].count() > 0");
    assert_eq!(methods(&text), ALL);
    let text = format!("1 <= xEvent[{PURCHASE} and timestamp occurs today].count()");
    assert_eq!(methods(&text), ALL);
}

#[test]
fn unordered_events_are_batch() {
    let text = "xEvent[eventType = \"a\" and timestamp occurs today] and xEvent[eventType = \"b\" and timestamp occurs today]";
    let result = eligibility(text);
    assert!(!result.info.continuous);
    assert!(result.reasons.iter().any(|reason| reason.message.contains("no strict time order")), "{:?}", result.reasons);
}

#[test]
fn wholly_negated_event_is_batch() {
    let text = format!("not xEvent[{PURCHASE} and timestamp occurs today]");
    assert_eq!(methods(&text), BATCH);
    let text = format!("xEvent[{PURCHASE} and timestamp occurs today].count() = 0");
    assert_eq!(methods(&text), BATCH);
}

#[test]
fn negated_event_beside_positive_one() {
    let text = "chain(xEvent, timestamp, [A: WHAT(eventType = \"a\") WHEN(today), B: WHAT(eventType = \"b\") WHEN(today)]) and not xEvent[eventType = \"c\" and timestamp occurs today]";
    let result = eligibility(text);
    assert!(!result.reasons.iter().any(|reason| reason.message.contains("negated")), "{:?}", result.reasons);
}

#[test]
fn forall_over_events_is_negated() {
    let text = "forall E from xEvent[timestamp occurs today] where E.value > 1";
    let result = eligibility(text);
    assert!(result.reasons.iter().any(|reason| reason.message.contains("negated")), "{:?}", result.reasons);
}

#[test]
fn value_aggregate_over_events_is_batch() {
    let text = "(sum E.value over E from xEvent where E.timestamp occurs today) >= 500";
    let result = eligibility(text);
    assert!(!result.info.continuous);
    assert!(result.reasons.iter().any(|reason| reason.message.contains("sum, average")), "{:?}", result.reasons);
}

#[test]
fn segment_of_segments_is_everywhere() {
    let result = eligibility("inSegment(\"a\") and not inSegment(\"b\")");
    assert_eq!(result.info, EvaluationInfo { batch: true, continuous: true, synchronous: true });
    assert!(!result.profile_only, "the segments read may read events");
}

#[test]
fn segment_with_event_is_batch_without_lookup() {
    let text = "inSegment(\"profile-audience\") and chain(xEvent, timestamp, [C0: WHAT(eventType = \"checkout\") WHEN(<= 24 hours before now)])";
    let result = eligibility(text);
    assert!(!result.info.continuous);
    assert!(result.reasons[0].message.contains("is unknown here"), "{:?}", result.reasons);
}

#[test]
fn segment_with_event_uses_lookup() {
    let text = "inSegment(\"profile-audience\") and chain(xEvent, timestamp, [C0: WHAT(eventType = \"checkout\") WHEN(<= 24 hours before now)])";
    let plan = bind(&seg_pql::parse(text).unwrap_or_else(|d| panic!("{d}")), &schema()).unwrap_or_else(|d| panic!("{d}"));
    let profile_target = classify_with(&plan, |id| (id == "profile-audience").then_some(true));
    assert_eq!(profile_target.info, EvaluationInfo { batch: true, continuous: true, synchronous: true });
    let event_target = classify_with(&plan, |_| Some(false));
    assert!(!event_target.info.continuous);
    assert!(event_target.reasons[0].message.contains("reads events"), "{:?}", event_target.reasons);
}

#[test]
fn profile_only_flag_follows_lookup() {
    let plan = bind(&seg_pql::parse("inSegment(\"a\") and person.age > 3").unwrap_or_else(|d| panic!("{d}")), &schema())
        .unwrap_or_else(|d| panic!("{d}"));
    assert!(classify_with(&plan, |_| Some(true)).profile_only);
    assert!(!classify_with(&plan, |_| Some(false)).profile_only);
    assert!(eligibility("person.age > 3").profile_only);
    assert!(!eligibility("xEvent[timestamp occurs today]").profile_only);
}

#[test]
fn bare_event_array_is_batch() {
    assert_eq!(methods("xEvent"), BATCH);
    assert_eq!(methods("xEvent.count() > 0"), BATCH);
}

#[test]
fn evaluation_info_serializes_as_service() {
    let info = EvaluationInfo { batch: true, continuous: false, synchronous: true };
    let json = serde_json::to_string(&info).unwrap_or_default();
    assert_eq!(json, r#"{"batch":{"enabled":true},"continuous":{"enabled":false},"synchronous":{"enabled":true}}"#);
    let back: EvaluationInfo = serde_json::from_str(&json).unwrap_or(EvaluationInfo { batch: false, continuous: false, synchronous: false });
    assert_eq!(back, info);
}

#[test]
fn instant_reference_is_no_window() {
    let text = format!("xEvent[{PURCHASE} and timestamp occurs < 1 hour after ^.person.birthDate]");
    assert_eq!(methods(&text), BATCH);
}

#[test]
fn negated_window_is_no_window() {
    let text = format!("xEvent[{PURCHASE} and not (timestamp occurs before today)]");
    assert_eq!(methods(&text), BATCH);
}

#[test]
fn future_window_is_accepted() {
    let text = format!("xEvent[{PURCHASE} and timestamp occurs tomorrow]");
    assert_eq!(methods(&text), ALL);
}
