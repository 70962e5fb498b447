//! `seg validate` and `seg explain` on the bundled CDNOW profiles and on small temporary files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn seg(args: &[&str], dir: &Path) -> Result<Output, std::io::Error> {
    Command::new(env!("CARGO_BIN_EXE_seg")).args(args).current_dir(dir).output()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A sample profile with a person and one event, for `--schema`.
const SAMPLE: &str = r#"{"_id": "1", "person": {"age": 3}, "xEvent": [{"timestamp": "2024-01-01T00:00:00Z", "eventType": "a"}]}
"#;

#[test]
fn explain_prints_cdnow_plan() -> TestResult {
    let args = ["explain", "testdata/cdnow/segments/frequent-buyers.pql", "--profiles", "testdata/cdnow/profiles.parquet"];
    let output = seg(&args, &repository())?;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let expected = "\
Compare >= -> boolean
  Aggregate count -> integer
    list: Column $0.xEvent -> array of object
    filter: Compare = -> boolean
      Column $1.eventType -> string
      Literal \"commerce.purchases\"
  Literal 10
evaluation: batch
  neither streaming nor edge: this event condition has no time window relative to now; streaming and edge need every event within the last 24 hours
  not edge: edge evaluates a single event, and the event conditions of this definition need 10 events together
";
    assert_eq!(stdout(&output), expected);
    Ok(())
}

#[test]
fn explain_accepts_expression() -> TestResult {
    let text = "chain(xEvent, timestamp, [C0: WHAT(eventType = \"commerce.purchases\") WHEN(today)])";
    let output = seg(&["explain", text, "--profiles", "testdata/cdnow/profiles.parquet"], &repository())?;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let expected = "\
Chain ordered by timestamp -> boolean
  list: Column $0.xEvent -> array of object
  step C0 (count 1): And -> boolean
    Compare = -> boolean
      Column $1.eventType -> string
      Literal \"commerce.purchases\"
    Occurs on today -> boolean
      Column $1.timestamp -> timestamp
evaluation: batch, streaming, edge
";
    assert_eq!(stdout(&output), expected);
    Ok(())
}

#[test]
fn explain_invalid_shows_diagnostic() -> TestResult {
    let output = seg(&["explain", "xEvent[evenType = \"a\"]", "--profiles", "testdata/cdnow/profiles.parquet"], &repository())?;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error[E0101]: unknown field `evenType`"), "{stderr}");
    Ok(())
}

#[test]
fn validate_cdnow_segments_json() -> TestResult {
    let args = ["validate", "testdata/cdnow/segments", "--profiles", "testdata/cdnow/profiles.parquet", "--json"];
    let output = seg(&args, &repository())?;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&output))?;
    let reports = reports.as_array().ok_or("not an array")?;
    assert_eq!(reports.len(), 7);
    for report in reports {
        assert_eq!(report["valid"], true, "{report}");
        assert_eq!(report["evaluationInfo"]["batch"]["enabled"], true, "{report}");
    }
    let by_id = |id: &str| reports.iter().find(|report| report["id"] == id).cloned().unwrap_or_default();
    let frequent = by_id("frequent-buyers");
    assert_eq!(frequent["evaluationInfo"]["continuous"]["enabled"], false);
    assert_eq!(frequent["file"], "testdata/cdnow/segments/frequent-buyers.pql");
    let combined = by_id("lapsed-big-spenders");
    assert_eq!(combined["evaluationInfo"]["continuous"]["enabled"], true);
    assert_eq!(combined["evaluationInfo"]["synchronous"]["enabled"], true);
    assert_eq!(by_id("bulk-cd-buyers")["file"], "testdata/cdnow/segments/bulk-cd-buyers.json");
    Ok(())
}

#[test]
fn validate_reports_every_invalid_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("sample.ndjson"), SAMPLE)?;
    std::fs::create_dir(dir.path().join("segments"))?;
    std::fs::write(dir.path().join("segments/typo.pql"), "person.agee > 1")?;
    std::fs::write(dir.path().join("segments/syntax.pql"), "person.age >")?;
    std::fs::write(dir.path().join("segments/broken.json"), "{\"id\": \"broken\"")?;
    std::fs::write(dir.path().join("segments/fine.pql"), "person.age > 1")?;
    let output = seg(&["validate", "segments", "--schema", "sample.ndjson"], dir.path())?;
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("invalid  typo (segments/typo.pql)\nerror[E0101]: unknown field `agee` in `person`"), "{text}");
    assert!(text.contains("invalid  syntax (segments/syntax.pql)\nerror[E0001]"), "{text}");
    assert!(text.contains("invalid  broken (segments/broken.json): invalid JSON"), "{text}");
    assert!(text.contains("valid    fine (segments/fine.pql): batch, streaming, edge"), "{text}");
    assert!(text.ends_with("4 definitions: 1 valid, 3 invalid\n"), "{text}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("3 of 4 definitions are invalid"), "{stderr}");
    Ok(())
}

#[test]
fn validate_json_diagnostic_shape() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("sample.ndjson"), SAMPLE)?;
    std::fs::write(dir.path().join("typo.pql"), "person.age > 1 and\nperson.agee > 1")?;
    let output = seg(&["validate", "typo.pql", "--schema", "sample.ndjson", "--json"], dir.path())?;
    assert_eq!(output.status.code(), Some(1));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&output))?;
    let report = &reports[0];
    assert_eq!(report["id"], "typo");
    assert_eq!(report["valid"], false);
    assert_eq!(report["evaluationInfo"], serde_json::Value::Null);
    let diagnostic = &report["diagnostics"][0];
    assert_eq!(diagnostic["code"], "E0101");
    assert_eq!(diagnostic["help"], "did you mean `age`?");
    assert_eq!(diagnostic["span"]["start"], 26);
    assert_eq!(diagnostic["span"]["end"], 30);
    assert_eq!(diagnostic["line"], 2);
    assert_eq!(diagnostic["column"], 8);
    Ok(())
}

#[test]
fn validate_uses_other_definitions() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("sample.ndjson"), SAMPLE)?;
    let event = "chain(xEvent, timestamp, [C0: WHAT(eventType = \"a\") WHEN(today)])";
    std::fs::write(dir.path().join("adults.pql"), "person.age >= 18")?;
    std::fs::write(dir.path().join("buyers.pql"), "xEvent[eventType = \"a\"]")?;
    std::fs::write(dir.path().join("adult-shoppers.pql"), format!("inSegment(\"adults\") and {event}"))?;
    std::fs::write(dir.path().join("buyer-shoppers.pql"), format!("inSegment(\"buyers\") and {event}"))?;
    std::fs::write(dir.path().join("unknown-shoppers.pql"), format!("inSegment(\"elsewhere\") and {event}"))?;
    let output = seg(&["validate", ".", "--schema", "sample.ndjson"], dir.path())?;
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let text = stdout(&output);
    assert!(text.contains("valid    adult-shoppers (./adult-shoppers.pql): batch, streaming, edge"), "{text}");
    assert!(text.contains("valid    buyer-shoppers (./buyer-shoppers.pql): batch\n"), "{text}");
    assert!(text.contains("the segment reads events"), "{text}");
    assert!(text.contains("valid    unknown-shoppers (./unknown-shoppers.pql): batch\n"), "{text}");
    assert!(text.contains("the segment is unknown here"), "{text}");
    Ok(())
}

#[test]
fn validate_needs_schema_source() -> TestResult {
    let output = seg(&["validate", "testdata/cdnow/segments"], &repository())?;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--profiles"), "{stderr}");
    Ok(())
}
