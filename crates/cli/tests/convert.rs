//! `seg convert`: the documented pql/json example, both ways, from arguments and files.

use std::process::{Command, Output};

const EXAMPLE_TEXT: &str = r#"workAddress.country = "US""#;
const EXAMPLE_JSON: &str = r#"{"nodeType":"fnApply","fnName":"=","params":[{"nodeType":"fieldLookup","fieldName":"country","object":{"nodeType":"fieldLookup","fieldName":"workAddress","object":{"nodeType":"parameterReference","position":1}}},{"nodeType":"literal","literalType":"String","value":"US"}]}"#;

fn seg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seg")).args(args).output().expect("failed to start seg")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn text_converts_to_json() {
    let output = seg(&["convert", "--to", "json", EXAMPLE_TEXT]);
    assert_eq!(stdout(&output), format!("{EXAMPLE_JSON}\n"));
}

#[test]
fn json_converts_to_text() {
    let output = seg(&["convert", "--to", "text", EXAMPLE_JSON]);
    assert_eq!(stdout(&output), format!("{EXAMPLE_TEXT}\n"));
}

#[test]
fn file_argument_is_read() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("example.json");
    std::fs::write(&path, format!("  \n{EXAMPLE_JSON}\n")).unwrap();
    let output = seg(&["convert", "--to", "text", path.to_str().unwrap()]);
    assert_eq!(stdout(&output), format!("{EXAMPLE_TEXT}\n"));
}

#[test]
fn invalid_json_exits_with_diagnostic() {
    let output = seg(&["convert", "--to", "text", r#"{"nodeType":"fieldLokup"}"#]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error[E0010]: nodeType: unknown node type \"fieldLokup\""), "{stderr}");
    assert!(stderr.contains("did you mean \"fieldLookup\"?"), "{stderr}");
}

#[test]
fn invalid_text_exits_with_diagnostic() {
    let output = seg(&["convert", "--to", "json", "a = "]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid PQL text"), "{stderr}");
    assert!(stderr.contains("error[E0001]"), "{stderr}");
}
