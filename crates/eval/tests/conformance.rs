//! Declarative conformance suite: runs every case in `testdata/conformance/*.json` through the
//! NDJSON reader, the parser, the binder and both evaluators, and compares the selected
//! profiles with the members that the case expects.
//!
//! `testdata/conformance/README.md` describes the case format. The test collects every failure
//! before it fails, so one run lists all of them. A case marked `known_failure` is reported
//! separately and does not fail the test.

mod suite;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use suite::{Summary, report, run_document};

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/conformance")
}

#[test]
fn conformance_cases() {
    let mut paths: Vec<PathBuf> = fs::read_dir(conformance_dir())
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", conformance_dir().display()))
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", conformance_dir().display()));
    paths.retain(|path| path.extension().is_some_and(|extension| extension == "json"));
    paths.sort();
    assert!(!paths.is_empty(), "no case files found in {}", conformance_dir().display());

    let mut summary = Summary::default();
    for path in &paths {
        let file_name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let text = fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        let document: Value =
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("{file_name} is not valid JSON: {error}"));
        let Value::Object(document) = document else {
            panic!("{file_name}: the top level must be an object");
        };
        run_document(&file_name, &document, &mut summary);
    }
    println!("conformance: {} files", paths.len());
    report("conformance", &summary);
}

