//! Evaluates every definition that binds against the fuzz profiles with both the columnar
//! engine and the reference interpreter, and requires the same members.

#![no_main]

use libfuzzer_sys::fuzz_target;
use seg_eval::EvalContext;
use seg_eval::columnar::{EvalError, Segment, evaluate_batch};
use seg_eval::reference::{evaluate_profile, profiles_from_batch};
use seg_pql_fuzz::profiles;

/// 2024-06-15T12:00:00Z, inside the span of the fuzz profiles' events.
const NOW_MICROS: i64 = 1_718_452_800_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = seg_pql::parse(text) else {
        return;
    };
    let batch = profiles();
    let Ok(plan) = seg_plan::bind(&query, batch.schema().as_ref()) else {
        return;
    };
    // A lone `inSegment` has no earlier segment to read, which both evaluators reject.
    let segments = [Segment { id: "fuzz", plan: &plan }];
    let context = EvalContext { now: NOW_MICROS };

    let masks = match evaluate_batch(&segments, batch, &context) {
        Ok(masks) => masks,
        Err(EvalError::UnknownSegment { .. }) => return,
        Err(error) => panic!("columnar evaluation of {text:?} failed: {error}"),
    };
    let rows = profiles_from_batch(batch).expect("the fuzz profiles convert to values");
    for (row, profile) in rows.iter().enumerate() {
        let expected = match evaluate_profile(&segments, profile, &context) {
            Ok(result) => result[0],
            Err(error) => panic!("reference failed on {text:?} where columnar succeeded: {error}"),
        };
        assert_eq!(masks[0].value(row), expected, "{text:?} disagrees on row {row}");
    }
});
