//! Bad input to `seg`: each case prints a diagnostic naming the problem and exits with 1,
//! never a panic.

use std::path::Path;
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn seg(args: &[&str], dir: &Path) -> Result<Output, std::io::Error> {
    Command::new(env!("CARGO_BIN_EXE_seg")).args(args).current_dir(dir).output()
}

fn eval_definition(text: &str) -> Result<(i32, String), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir(dir.path().join("segments"))?;
    std::fs::write(dir.path().join("segments/test.pql"), text)?;
    let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cdnow/profiles.parquet");
    let profiles = profiles.to_str().ok_or("path is not UTF-8")?;
    let output = seg(&["eval", "--profiles", profiles, "--definitions", "segments", "--now", "1998-07-01T00:00:00Z"], dir.path())?;
    Ok((output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned()))
}

#[test]
fn misspelled_field_suggests_name() -> TestResult {
    let (code, stderr) = eval_definition("xEvent[eventTyp = \"commerce.purchases\"].count() > 1")?;
    assert_eq!(code, 1);
    assert!(stderr.contains("error[E0101]: unknown field `eventTyp`"), "{stderr}");
    assert!(stderr.contains("= help: did you mean `eventType`?"), "{stderr}");
    assert!(stderr.contains("       ^^^^^^^^"), "{stderr}");
    Ok(())
}

#[test]
fn type_error_names_both_types() -> TestResult {
    let (code, stderr) = eval_definition("xEvent.count() > \"many\"")?;
    assert_eq!(code, 1);
    assert!(stderr.contains("the string \"many\" is not a valid integer"), "{stderr}");
    Ok(())
}

#[test]
fn syntax_error_shows_caret() -> TestResult {
    let (code, stderr) = eval_definition("xEvent.count() >")?;
    assert_eq!(code, 1);
    assert!(stderr.contains("error[E0001]"), "{stderr}");
    assert!(stderr.contains("line 1, column 17"), "{stderr}");
    Ok(())
}

#[test]
fn cycle_is_rejected() -> TestResult {
    let (code, stderr) = eval_definition("inSegment(\"test\")")?;
    assert_eq!(code, 1);
    assert!(stderr.contains("segments read each other in a cycle: test -> test"), "{stderr}");
    Ok(())
}

#[test]
fn bad_now_is_rejected() -> TestResult {
    let dir = tempfile::tempdir()?;
    let output = seg(&["eval", "--profiles", "x.parquet", "--definitions", ".", "--now", "yesterday"], dir.path())?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.starts_with("seg: invalid --now \"yesterday\""), "{stderr}");
    Ok(())
}

#[test]
fn parse_prints_canonical_form() -> TestResult {
    let dir = tempfile::tempdir()?;
    let output = seg(&["parse", "a.b   =  1 AND NOT(c = \"x\")"], dir.path())?;
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), "a.b = 1 and not c = \"x\"\n");
    Ok(())
}

#[test]
fn parse_error_exits_one() -> TestResult {
    let dir = tempfile::tempdir()?;
    let output = seg(&["parse", "a = = 1"], dir.path())?;
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("^"));
    Ok(())
}
