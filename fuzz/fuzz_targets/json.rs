//! Checks pql/json in both directions: any JSON text that converts to a query converts back to
//! JSON that gives the same query, and any definition that parses as PQL text survives the
//! trip through pql/json.

#![no_main]

use libfuzzer_sys::fuzz_target;
use seg_pql::Query;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(query) = seg_pql::from_json_str(text) {
        assert_survives_json(text, query);
    }
    if let Ok(query) = seg_pql::parse(text) {
        assert_survives_json(text, query);
    }
});

/// Writes `query` as pql/json, loads it again and requires the same tree.
fn assert_survives_json(text: &str, query: Query) {
    let json = seg_pql::to_json_string(&query);
    match seg_pql::from_json_str(&json) {
        Ok(again) => assert_eq!(again.without_spans(), query.without_spans(), "{text:?} written as {json}"),
        Err(diagnostic) => panic!("pql/json of {text:?} failed to load: {}\n{json}", diagnostic.message),
    }
}
