//! Random definitions written as PQL text and compiled by the binder. They cover constructs
//! that the binder rewrites into other plan nodes: reading a field through one or more
//! arrays (projection), comparing an array with a scalar, aggregates of a projection, and
//! membership tests against arrays, and the computed values of [`COMPUTED`].
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

/// Predicates over computed values: `if`, `let`, time words and date functions, computed
/// dates, `regexGroup`, the list builders, maps from `groupBy`, list equality, comprehensions
/// with two bindings and membership on objects.
const COMPUTED: [&str; 46] = [
    "if(person.age > 30, person.score, 0.5) > 1",
    "if(xEvent.count() > 1, \"many\", person.name) = \"many\"",
    "if(person.score > 0, tags, xEvent.eventType).count() = 2",
    "let n = person.age in xEvent[quantity > n].count() >= 1",
    "let s = xEvent.value.sum() in s > 0 and s < 2",
    "person.birth.getYear() = currentYear() - 1",
    "person.birth.getMonth() = currentMonth()",
    "person.birth.getDayOfMonth() <= currentDayOfMonth()",
    "xEvent[timestamp.getMonth() = 2].count() > 0",
    "person.birth > date(currentYear() - 1, person.age % 12 + 1, 1)",
    "xEvent[timestamp occurs on date(^.person.birth.getYear(), ^.person.birth.getMonth(), ^.xEvent.count())]",
    "xEvent[timestamp > yesterday]",
    "person.birth < last month",
    "now > this week and tomorrow > today",
    "person.name.regexGroup(\"(a+)(b)?\", 1) = \"a\"",
    "person.name.regexGroup(\"([a-c])\") in tags",
    "tags.filter((t) => t != \"a\").count() = 1",
    "xEvent.filter(value > 0).map(quantity).sum() > 1",
    "xEvent.map((e) => e.quantity * 2).max() >= 2",
    "xEvent.topN(value, 2).map(quantity) = [1, 0]",
    "xEvent.bottomN(timestamp, 1).head().eventType = \"a\"",
    "xEvent.topN(quantity, 1).head().value > 0",
    "tags.topN((t) => t, 2).head() = \"b\"",
    "tags.bottomN((t) => t, 3) = [\"a\", \"a\"]",
    "tags.distinct() = [\"a\", \"b\"]",
    "tags.intersection(xEvent.eventType).count() = 1",
    "tags.intersection([\"a\", \"c\"]).isNull()",
    "xEvent.groupBy(eventType).count() = 2",
    "xEvent.groupBy(eventType).get(\"a\").count() >= 1",
    "xEvent.groupBy(quantity).map((K, G) => mapEntry(K, G.value.sum())).values().max() > 0.5",
    "xEvent.groupBy(eventType).keys() = tags",
    "xEvent.productListItems.quantity.average() > 0.5",
    "xEvent.productListItems.SKU.head() = \"a\"",
    "xEvent.productListItems.SKU.distinct().count() >= 2",
    "(select E from xEvent, I from E.productListItems where I.quantity > E.quantity).count() >= 1",
    "(sum I.quantity over E from xEvent where E.value > 0, I from E.productListItems) > 1",
    "(average E.value + I.quantity over E from xEvent, I from E.productListItems) > 0.5",
    "exists E from xEvent, I from E.productListItems where I.SKU = E.eventType",
    "xEvent.productListItems.head() in xEvent.productListItems",
    "{\"SKU\": person.name, \"quantity\": person.age} in xEvent.productListItems",
    "person.age in [person.age, 1]",
    "[person.name] = tags",
    "tags != [\"a\"]",
    "{\"a\": person.age, \"b\": tags}.a > 1",
    "xEvent[productListItems.filter((i) => i.quantity > 0).count() > 1]",
    "xEvent.map(productListItems).count() > 1",
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
        6 => select(COMPUTED.to_vec()).prop_map(str::to_string),
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
