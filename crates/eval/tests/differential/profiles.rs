//! Random profile values and constants: nulls at every level, timestamps around the evaluation
//! time, strings from a small alphabet with case variants, and integers near the `i64` limits.

use proptest::prelude::*;
use seg_eval::reference::Value;
use seg_plan::time::{shift, truncate};
use seg_pql::ast::TimeUnit;

use super::schema::Kind;

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Letters that string values and patterns are made of. The non-ASCII ones change length or
/// context under Unicode lowercasing: `İ` lowercases to two characters, the Kelvin sign `K`
/// to `k`, and a final `Σ` to `ς`.
const LETTERS: [&str; 13] = ["a", "b", "c", "A", "B", "C", "é", "É", "İ", "i", "\u{212A}", "Σ", "σ"];

/// Timestamps at the ends of the `i64` range and of the years -9999 to 9999 that calendar
/// arithmetic supports, where time references saturate or do not exist.
const EXTREME_TIMESTAMPS: [i64; 6] = [
    i64::MIN,
    i64::MAX,
    -377_705_116_800_000_000, // -9999-01-01T00:00:00Z
    253_402_300_799_999_999,  // 9999-12-31T23:59:59.999999Z
    0,
    -1,
];

/// Generates the evaluation time: fixed instants at calendar edges, or any instant from 2015 to 2030.
pub fn now_strategy() -> BoxedStrategy<i64> {
    let edges = vec![
        1_709_251_199_999_999, // 2024-02-29T23:59:59.999999Z, the end of a leap day
        1_711_843_200_000_000, // 2024-03-31T00:00:00Z, the start of a month's last day
        1_704_024_000_000_000, // 2023-12-31T12:00:00Z
        1_717_372_800_000_000, // 2024-06-03T00:00:00Z, a Monday midnight
        1_735_689_600_000_000, // 2025-01-01T00:00:00Z
        1_609_459_199_999_999, // 2020-12-31T23:59:59.999999Z
    ];
    prop_oneof![
        1 => proptest::sample::select(edges),
        1 => 1_420_070_400_000_000i64..1_893_456_000_000_000,
    ]
    .boxed()
}

/// Generates timestamps near `now`: the instant itself, a few microseconds away, minutes to
/// days away, calendar unit boundaries and the microseconds next to them, and up to ten years
/// away. A few are far away, at the extremes of the calendar and of `i64`.
pub fn timestamp_near(now: i64) -> BoxedStrategy<i64> {
    let day_start = now - now.rem_euclid(DAY);
    let unit = proptest::sample::select(TimeUnit::ALL.to_vec());
    let boundary = (unit, -3i64..=3, -1i64..=1).prop_map(move |(unit, steps, jitter)| {
        let start = truncate(now, unit).and_then(|start| shift(start, unit, steps));
        start.unwrap_or(now) + jitter
    });
    prop_oneof![
        2 => Just(now),
        2 => (-3i64..=3).prop_map(move |micros| now + micros),
        3 => (-600i64..=600).prop_map(move |minutes| now + minutes * MINUTE),
        3 => (-96i64..=96).prop_map(move |hours| now + hours * HOUR),
        3 => (-60i64..=60, -1i64..=1).prop_map(move |(days, jitter)| day_start + days * DAY + jitter),
        4 => boundary,
        2 => (-3_650i64..=3_650, 0..DAY).prop_map(move |(days, time)| day_start + days * DAY + time),
        1 => proptest::sample::select(EXTREME_TIMESTAMPS.to_vec()),
    ]
    .boxed()
}

/// Generates integers: mostly small, sometimes at or next to the `i64` limits, sometimes any.
pub fn int_strategy() -> BoxedStrategy<i64> {
    prop_oneof![
        6 => -3i64..=3,
        3 => 0i64..=100,
        1 => proptest::sample::select(vec![i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1]),
        1 => any::<i64>(),
    ]
    .boxed()
}

/// Generates finite doubles whose sums, products and quotients stay finite.
pub fn double_strategy() -> BoxedStrategy<f64> {
    let special = vec![0.0, -0.0, 0.1, 0.2, 0.3, 0.5, 1.0, -1.0, 2.5, 100.25, 1e9, -1e9];
    prop_oneof![
        2 => proptest::sample::select(special),
        2 => (-6i32..=6).prop_map(|half| f64::from(half) * 0.5),
    ]
    .boxed()
}

/// Generates strings of 0 to `max_letters` letters, mostly ASCII.
pub fn string_strategy(max_letters: usize) -> BoxedStrategy<String> {
    let letter = prop_oneof![
        4 => proptest::sample::select(LETTERS[..6].to_vec()),
        1 => proptest::sample::select(LETTERS.to_vec()),
    ];
    proptest::collection::vec(letter, 0..=max_letters).prop_map(|letters| letters.concat()).boxed()
}

/// Generates a value of `kind`: null one time in eight, and lists of `long_lists` columns
/// sometimes with 100 to 200 elements.
pub fn value_strategy(kind: &Kind, now: i64, long_lists: bool) -> BoxedStrategy<Value> {
    let present = match kind {
        Kind::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Kind::Int => int_strategy().prop_map(Value::Int).boxed(),
        Kind::Double => double_strategy().prop_map(Value::Double).boxed(),
        Kind::String => string_strategy(4).prop_map(Value::String).boxed(),
        Kind::Timestamp => timestamp_near(now).prop_map(Value::Timestamp).boxed(),
        Kind::List(element) => {
            let element = value_strategy(element, now, false);
            let lengths = if long_lists {
                prop_oneof![24 => 0usize..=6, 5 => 7usize..=30, 1 => 100usize..=200].boxed()
            } else {
                (0usize..=4).boxed()
            };
            lengths
                .prop_flat_map(move |length| proptest::collection::vec(element.clone(), length))
                .prop_map(Value::List)
                .boxed()
        }
        Kind::Struct(fields) => struct_strategy(fields, now).boxed(),
    };
    prop_oneof![1 => Just(Value::Null), 7 => present].boxed()
}

/// Generates one profile of the given shape; the row itself is never null.
pub fn profile_strategy(shape: &Kind, now: i64) -> BoxedStrategy<Value> {
    let Kind::Struct(fields) = shape else { unreachable!("a profile shape is a struct") };
    struct_strategy(fields, now)
}

fn struct_strategy(fields: &[(String, Kind)], now: i64) -> BoxedStrategy<Value> {
    let field_strategies: Vec<BoxedStrategy<(String, Value)>> = fields
        .iter()
        .map(|(name, kind)| {
            let name = name.clone();
            value_strategy(kind, now, name == "xEvent").prop_map(move |value| (name.clone(), value)).boxed()
        })
        .collect();
    field_strategies.prop_map(Value::Struct).boxed()
}
