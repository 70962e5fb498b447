//! Parses arbitrary text. The target fails when parsing or rendering the diagnostic panics,
//! overflows the stack, or runs past libFuzzer's timeout.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(diagnostic) = seg_pql::parse(text) {
        let _ = diagnostic.render(text);
    }
    if let Err(diagnostic) = seg_pql::parse_expr(text) {
        let _ = diagnostic.render(text);
    }
});
