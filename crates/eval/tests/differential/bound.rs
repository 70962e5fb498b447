//! Random definitions written as PQL text and compiled by the binder. They cover constructs
//! that the binder rewrites into existing plan nodes: reading a field through one or more
//! arrays (projection), comparing an array with a scalar, aggregates of a projection, and
//! membership tests against arrays.
//!
//! The texts are built from fragments over the full profile shape, so every one binds. The
//! plans then go through the same differential check as the generated `Node` trees.

use std::sync::Arc;

use arrow::datatypes::Schema;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use seg_plan::SegmentPlan;

use super::schema::{Kind, profile_kind};

/// Projected operands of numeric type, usable in predicates.
const NUMBERS: [&str; 6] = [
    "xEvent.value",
    "xEvent.quantity",
    "xEvent.productListItems.quantity",
    "xEvent[quantity > 0].value",
    "xEvent[eventType = \"a\"].productListItems.quantity",
    "^.xEvent.quantity",
];

/// Projected operands of string type, usable in predicates; `tags` is an array of strings.
const STRINGS: [&str; 5] =
    ["xEvent.eventType", "xEvent.productListItems.SKU", "tags", "xEvent[value > 0].eventType", "^.tags"];

/// Predicate tails that apply to a number.
const NUMBER_TESTS: [&str; 10] = [
    "= 1",
    "!= 0",
    "< 0.5",
    "<= -1",
    "> 2",
    ">= person.age",
    "< person.score",
    "in [0, 1, 3]",
    "notIn [1, 2.5]",
    "= xEvent.count()",
];

/// Predicate tails that apply to a string.
const STRING_TESTS: [&str; 11] = [
    "= \"a\"",
    "!= \"\"",
    "< \"b\"",
    "= person.name",
    ".contains(\"a\")",
    ".startsWith(\"b\", false)",
    ".doesNotContain(\"c\")",
    "in [\"a\", \"ab\"]",
    "notIn [\"b\"]",
    "like \"a%\"",
    ".matches(\"b|c\")",
];

/// Predicates on projected timestamps.
const TIME_TESTS: [&str; 5] = [
    "xEvent.timestamp occurs last month",
    "xEvent.timestamp occurs <= 3 days before now",
    "xEvent.timestamp > person.birth",
    "xEvent[value > 0].timestamp occurs before today",
    "person.birth < xEvent.timestamp",
];

/// Comparisons of aggregates over projections and arrays of scalars.
const AGGREGATES: [&str; 19] = [
    "xEvent.value.sum() > 0",
    "xEvent.quantity.sum() >= 1",
    "xEvent.value.average() < 0.5",
    "xEvent.quantity.min() = 0",
    "xEvent.timestamp.max() occurs this year",
    "xEvent.eventType.count() = 2",
    "xEvent[value > 0].quantity.max() > 1",
    "xEvent.productListItems.count() > 1",
    "xEvent.productListItems.quantity.sum() < 3",
    "xEvent.productListItems.quantity.min() <= 0",
    "xEvent[value > 0].productListItems.quantity.max() = person.age",
    "xEvent.productListItems.SKU.count() = xEvent.count()",
    "tags.distinct().count() = 2",
    "xEvent.eventType.distinct().count() < xEvent.count()",
    "xEvent[quantity > 0].value.distinct().count() >= 1",
    "tags.head() = \"a\"",
    "xEvent[value > 0].timestamp.head() occurs last month",
    "xEvent.quantity.head() > person.age",
    "tags.head().isNull()",
];

/// Membership tests against arrays and the array set methods.
const MEMBERSHIP: [&str; 16] = [
    "\"a\" in tags",
    "person.name in tags",
    "person.name notIn tags",
    "xEvent.eventType in tags",
    "xEvent.eventType notIn xEvent.productListItems.SKU",
    "xEvent[eventType in ^.tags]",
    "xEvent.quantity in xEvent.productListItems.quantity",
    "tags.includes(\"b\")",
    "xEvent.productListItems.SKU.includes(person.name)",
    "tags.intersects(xEvent.eventType)",
    "tags.intersects([\"a\", \"b\"])",
    "tags.subsetOf([\"a\", \"b\", \"c\"])",
    "tags.subsetOf(xEvent.productListItems.SKU)",
    "tags.supersetOf([\"a\"])",
    "xEvent.eventType.supersetOf(tags)",
    "[\"a\", \"\"].subsetOf(tags)",
];

/// Generates one predicate with a projection or an array operand.
fn atom() -> BoxedStrategy<String> {
    let number = (select(NUMBERS.to_vec()), select(NUMBER_TESTS.to_vec()))
        .prop_map(|(operand, test)| scoped(operand, &format!("{operand} {test}")));
    let string = (select(STRINGS.to_vec()), select(STRING_TESTS.to_vec()))
        .prop_map(|(operand, test)| scoped(operand, &format!("{operand}{}{test}", if test.starts_with('.') { "" } else { " " })));
    let reversed = select(NUMBERS.to_vec()).prop_map(|operand| scoped(operand, &format!("1 < {operand}")));
    prop_oneof![
        4 => number,
        4 => string,
        1 => reversed,
        2 => select(TIME_TESTS.to_vec()).prop_map(str::to_string),
        2 => select(AGGREGATES.to_vec()).prop_map(str::to_string),
        3 => select(MEMBERSHIP.to_vec()).prop_map(str::to_string),
    ]
    .boxed()
}

/// Places a predicate whose operand climbs with `^` inside an event filter, where `^` is the
/// profile. Its other profile reads climb too. Other predicates stay at the profile.
fn scoped(operand: &str, predicate: &str) -> String {
    if operand.starts_with('^') {
        let predicate = predicate.replace(" person.", " ^.person.").replace(" xEvent.count()", " ^.xEvent.count()");
        format!("xEvent[productListItems.quantity > 0 and {predicate}]")
    } else {
        predicate.to_string()
    }
}

/// Generates a definition of one to three predicates joined by `and`, `or` and `not`.
pub fn definition() -> BoxedStrategy<String> {
    let joined = (atom(), select(vec!["and", "or", "and not"]), atom())
        .prop_map(|(lhs, op, rhs)| format!("({lhs}) {op} ({rhs})"));
    prop_oneof![3 => atom(), 2 => joined, 1 => atom().prop_map(|text| format!("not ({text})"))].boxed()
}

/// Returns the Arrow schema of the full profile shape.
fn profile_schema() -> Schema {
    let arrow::datatypes::DataType::Struct(fields) = profile_kind().arrow_type() else {
        unreachable!("the profile kind is a struct")
    };
    Schema::new(fields)
}

/// Parses and binds definitions against the full profile shape.
///
/// # Errors
///
/// Fails the test case when a definition does not parse or bind, because the fragments are
/// meant to bind against that shape.
pub fn compile(texts: &[String]) -> Result<Vec<SegmentPlan>, TestCaseError> {
    let schema = Arc::new(profile_schema());
    texts
        .iter()
        .map(|text| {
            let query = seg_pql::parse(text).map_err(|e| TestCaseError::fail(format!("{text}: {}", e.render(text))))?;
            seg_plan::bind(&query, &schema).map_err(|e| TestCaseError::fail(format!("{text}: {}", e.render(text))))
        })
        .collect()
}

/// Returns the shape the bound definitions read.
pub fn shape() -> Kind {
    profile_kind()
}
