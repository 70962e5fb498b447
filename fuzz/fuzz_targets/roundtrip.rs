//! Checks that every definition that parses prints as canonical text that parses back to the
//! same tree, and that printing that tree again gives the same text.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = seg_pql::parse(text) else {
        return;
    };

    let printed = query.to_string();
    let reparsed = match seg_pql::parse(&printed) {
        Ok(reparsed) => reparsed,
        Err(diagnostic) => panic!("canonical text of {text:?} failed to parse:\n{}", diagnostic.render(&printed)),
    };
    assert_eq!(reparsed.to_string(), printed, "canonical text of {text:?} is not a fixed point");
    assert_eq!(reparsed.without_spans(), query.without_spans(), "{text:?} printed as {printed:?}");
});
