//! Pinned renderings of typed plans by `explain`.

use std::sync::Arc;

use arrow::datatypes::{DataType as Arrow, Field, Fields, Schema, TimeUnit};
use seg_plan::{bind, explain};

fn schema() -> Schema {
    let timestamp = Arrow::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let item = Fields::from(vec![Field::new("SKU", Arrow::Utf8, true), Field::new("quantity", Arrow::Int64, true)]);
    let event = Fields::from(vec![
        Field::new("timestamp", timestamp.clone(), true),
        Field::new("eventType", Arrow::Utf8, true),
        Field::new("value", Arrow::Float64, true),
        Field::new("productListItems", Arrow::List(Arc::new(Field::new("item", Arrow::Struct(item), true))), true),
    ]);
    let person = Fields::from(vec![
        Field::new("age", Arrow::Int32, true),
        Field::new("name", Arrow::Utf8, true),
        Field::new("lastLogin", timestamp, true),
    ]);
    Schema::new(vec![
        Field::new("_id", Arrow::Utf8, false),
        Field::new("person", Arrow::Struct(person), true),
        Field::new("xEvent", Arrow::List(Arc::new(Field::new("item", Arrow::Struct(event), true))), true),
    ])
}

fn render(text: &str) -> String {
    let query = seg_pql::parse(text).unwrap_or_else(|d| panic!("{}", d.render(text)));
    let plan = bind(&query, &schema()).unwrap_or_else(|d| panic!("{}", d.render(text)));
    explain(&plan)
}

#[test]
fn event_count_comparison() {
    let expected = "\
Compare >= -> boolean
  Aggregate count -> integer
    list: Column $0.xEvent -> array of object
    filter: Compare = -> boolean
      Column $1.eventType -> string
      Literal \"commerce.purchases\"
  Literal 3
";
    assert_eq!(render("xEvent[eventType = \"commerce.purchases\"].count() >= 3"), expected);
}

#[test]
fn profile_arithmetic() {
    let expected = "\
Compare > -> boolean
  Arithmetic + -> integer
    Column $0.person.age -> integer
    Literal 1
  Literal 2
";
    assert_eq!(render("person.age + 1 > 2"), expected);
}

#[test]
fn negated_membership() {
    let expected = "\
And -> boolean
  Compare >= -> boolean
    Column $0.person.age -> integer
    Literal 21
  Not -> boolean
    In [\"a\", \"b\"] -> boolean
      Column $0.person.name -> string
";
    assert_eq!(render("person.age >= 21 and not (person.name in [\"a\", \"b\"])"), expected);
}

#[test]
fn string_tests_and_patterns() {
    let expected = "\
Or -> boolean
  StringTest contains \"x\" (case-insensitive) -> boolean
    Column $0.person.name -> string
  Regex \"J%n\" as \"(?s)^J.*n$\" -> boolean
    Column $0.person.name -> string
  Regex \"^J.*n$\" -> boolean
    Column $0.person.name -> string
";
    let text = "person.name.contains(\"x\", false) or person.name like \"J%n\" or person.name.matches(\"^J.*n$\")";
    assert_eq!(render(text), expected);
}

#[test]
fn nested_filter_scopes() {
    let expected = "\
Aggregate exists -> boolean
  list: Column $0.xEvent -> array of object
  filter: And -> boolean
    Occurs <= 3 days before now -> boolean
      Column $1.timestamp -> timestamp
    Aggregate exists -> boolean
      list: Column $1.productListItems -> array of object
      filter: Or -> boolean
        Compare = -> boolean
          Column $2.SKU -> string
          Literal \"CD\"
        Compare > -> boolean
          Column $0.person.age -> integer
          Arithmetic * -> integer
            Column $2.quantity -> integer
            Literal 2
";
    let text = "xEvent[timestamp occurs <= 3 days before now and productListItems[SKU = \"CD\" or ^^.person.age > quantity * 2]]";
    assert_eq!(render(text), expected);
}

#[test]
fn chain_steps() {
    let expected = "\
Chain ordered by timestamp -> boolean
  list: Column $0.xEvent -> array of object
  step A (count 1): And -> boolean
    Compare = -> boolean
      Column $1.eventType -> string
      Literal \"view\"
    Occurs on today -> boolean
      Column $1.timestamp -> timestamp
  step B (count 2): And -> boolean
    Compare = -> boolean
      Column $1.eventType -> string
      Literal \"buy\"
";
    let text = "chain(xEvent, timestamp, [A: WHAT(eventType = \"view\") WHEN(today), B: WHAT(eventType = \"buy\") COUNT(2)])";
    assert_eq!(render(text), expected);
}

#[test]
fn sum_with_between() {
    let expected = "\
Compare > -> boolean
  Aggregate sum -> double
    list: Column $0.xEvent -> array of object
    filter: Occurs between date(2024, 1, 1) and last month -> boolean
      Column $1.timestamp -> timestamp
    value: Column $1.value -> double
  Literal 10.5
";
    let text = "(sum E.value over E from xEvent where E.timestamp occurs between date(2024, 1, 1) and last month) > 10.5";
    assert_eq!(render(text), expected);
}

#[test]
fn forall_with_instant_reference() {
    let expected = "\
Aggregate forall -> boolean
  list: Column $0.xEvent -> array of object
  predicate: And -> boolean
    Occurs < 2 hours after <instant> -> boolean
      Column $1.timestamp -> timestamp
      instant: Column $0.person.lastLogin -> timestamp
";
    assert_eq!(render("forall E from xEvent where E.timestamp occurs < 2 hours after person.lastLogin"), expected);
}

#[test]
fn segment_null_test_and_negation() {
    let expected = "\
And -> boolean
  InSegment \"a\" -> boolean
  IsNotNull -> boolean
    Column $0.person.name -> string
  Compare < -> boolean
    Negate -> integer
      Column $0.person.age -> integer
    Literal 0
";
    assert_eq!(render("inSegment(\"a\") and person.name.isNotNull() and -person.age < 0"), expected);
}
