//! Binds every definition that parses against the schema of the fuzz profiles, and renders
//! every diagnostic. It fails on a panic, a stack overflow, or an input slower than the timeout.

#![no_main]

use libfuzzer_sys::fuzz_target;
use seg_pql_fuzz::profiles;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = seg_pql::parse(text) else {
        return;
    };

    match seg_plan::bind(&query, profiles().schema().as_ref()) {
        Ok(plan) => {
            let _ = seg_plan::explain(&plan);
            let _ = seg_plan::classify(&plan);
        }
        Err(diagnostic) => {
            let _ = diagnostic.render(text);
        }
    }
});
