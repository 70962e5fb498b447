//! Runs the PQL examples of `docs/pql.md` and the worked time examples of `docs/time.md` with
//! both evaluators, so the documentation cannot drift from what the engine does.
//!
//! In `docs/pql.md`, a fenced `json` block with a `profiles` key is a case document in the
//! format of `testdata/conformance/README.md` (without `cases`). Each fenced `pql` block is a
//! case over the profiles of the last such block, or of the next one for examples above the
//! first, and the first non-blank line after the block gives the
//! expectation: ``Members: `p1`, `p2`.``, `Members: none.` or ``Error: `E0201`.``.
//!
//! In `docs/time.md`, each row of a table whose header starts with
//! `| Definition | Evaluation time | Event time | Member |` is a case over one profile whose
//! timestamp field `t` holds the event time; `Member` is `yes` or `no`.

mod suite;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use suite::{Summary, report, run_document};

const TIME_TABLE_HEADER: &str = "| Definition | Evaluation time | Event time | Member |";

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

fn read_doc(name: &str) -> String {
    let path = docs_dir().join(name);
    fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// The text between backticks in `text`, in order.
fn quoted(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// Turns the expectation line after an example into the `members` or `error` key of a case.
fn expectation(doc: &str, line_number: usize, line: &str) -> (&'static str, Value) {
    if let Some(rest) = line.strip_prefix("Members:") {
        let members = quoted(rest);
        assert!(
            !members.is_empty() || rest.trim() == "none.",
            "{doc}:{line_number}: write the members in backticks or `Members: none.`, found {line:?}"
        );
        return ("members", json!(members));
    }
    if let Some(rest) = line.strip_prefix("Error:") {
        let codes = quoted(rest);
        assert_eq!(codes.len(), 1, "{doc}:{line_number}: write one code in backticks, found {line:?}");
        return ("error", json!(codes[0]));
    }
    panic!("{doc}:{line_number}: an example must be followed by a `Members:` or `Error:` line, found {line:?}");
}

/// Splits a markdown file into case documents: one per `json` block with profiles, holding
/// the `pql` examples that follow it.
fn pql_documents(doc: &str, text: &str) -> Vec<Map<String, Value>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut documents: Vec<Map<String, Value>> = Vec::new();
    // Examples above the first block of profiles, which run over that block.
    let mut pending: Vec<Value> = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let Some(info) = lines[index].strip_prefix("```") else {
            index += 1;
            continue;
        };
        let start = index + 1;
        let end = (start..lines.len())
            .find(|&line| lines[line].starts_with("```"))
            .unwrap_or_else(|| panic!("{doc}:{}: the fenced block is not closed", index + 1));
        let body = lines[start..end].join("\n");
        index = end + 1;

        match info.trim() {
            "json" => {
                let value: Value =
                    serde_json::from_str(&body).unwrap_or_else(|error| panic!("{doc}:{start}: invalid JSON: {error}"));
                if let Value::Object(mut document) = value
                    && document.contains_key("profiles")
                {
                    document.insert("cases".to_string(), Value::Array(std::mem::take(&mut pending)));
                    documents.push(document);
                }
            }
            "pql" => {
                let next = (index..lines.len()).find(|&line| !lines[line].trim().is_empty());
                let Some(next) = next else {
                    panic!("{doc}:{start}: the example has no `Members:` or `Error:` line after it");
                };
                let (key, expected) = expectation(doc, next + 1, lines[next]);
                let mut case = Map::new();
                case.insert("name".to_string(), json!(format!("line {start}")));
                case.insert("definition".to_string(), json!(body));
                case.insert(key.to_string(), expected);
                match documents.last_mut().and_then(|document| document.get_mut("cases")) {
                    Some(Value::Array(cases)) => cases.push(Value::Object(case)),
                    _ => pending.push(Value::Object(case)),
                }
            }
            _ => {}
        }
    }
    assert!(pending.is_empty(), "{doc}: examples are given, but no block of sample profiles");
    documents
}

fn cell(cells: &[&str], column: usize) -> String {
    cells.get(column).map(|cell| cell.trim().trim_matches('`').to_string()).unwrap_or_default()
}

/// Builds one case document per row of the worked-example tables of `docs/time.md`.
fn time_documents(text: &str) -> Vec<(usize, Map<String, Value>)> {
    let mut documents = Vec::new();
    let mut in_table = false;
    for (number, line) in text.lines().enumerate() {
        if line.starts_with(TIME_TABLE_HEADER) {
            in_table = true;
            continue;
        }
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        if !in_table || line.starts_with("|---") {
            continue;
        }
        let cells: Vec<&str> = line.split('|').collect();
        let (definition, now, event, member) = (cell(&cells, 1), cell(&cells, 2), cell(&cells, 3), cell(&cells, 4));
        let members = match member.as_str() {
            "yes" => json!(["e"]),
            "no" => json!([]),
            other => panic!("time.md:{}: the Member column must be yes or no, found {other:?}", number + 1),
        };
        let document = json!({
            "now": now,
            "profiles": [{"_id": "e", "t": event}],
            "cases": [{"name": format!("line {}", number + 1), "definition": definition, "members": members}],
        });
        if let Value::Object(document) = document {
            documents.push((number + 1, document));
        }
    }
    documents
}

#[test]
fn pql_md_examples() {
    let text = read_doc("pql.md");
    let documents = pql_documents("pql.md", &text);
    assert_eq!(documents.len(), 1, "pql.md should have one block of sample profiles");

    let mut summary = Summary::default();
    for document in &documents {
        let cases = document.get("cases").and_then(Value::as_array).map_or(0, Vec::len);
        assert!(cases >= 100, "pql.md has only {cases} examples");
        run_document("pql.md", document, &mut summary);
    }
    report("pql.md examples", &summary);
}

#[test]
fn time_md_examples() {
    let text = read_doc("time.md");
    let documents = time_documents(&text);
    assert!(documents.len() >= 60, "time.md has only {} worked examples", documents.len());

    let mut summary = Summary::default();
    for (line, document) in &documents {
        run_document(&format!("time.md line {line}"), document, &mut summary);
    }
    report("time.md examples", &summary);
}

/// Every entry of the PQL function index must appear in the index table of `docs/pql.md`.
#[test]
fn pql_md_lists_every_function() {
    let text = read_doc("pql.md");
    let start = text.find("## Function index").expect("pql.md has a function index");
    let index = &text[start..];
    let index = &index[..index[3..].find("\n## ").map_or(index.len(), |end| end + 3)];
    let functions = [
        "and", "or", "not", "!", "if", "=", "!=", ">", ">=", "<", "<=", "+", "-", "*", "/", "%", "in", "notIn",
        "intersects", "intersection", "subsetOf", "supersetOf", "includes", "distinct", "groupBy", "filter", "map",
        "topN", "bottomN", "head", "exists", "count", "sum", "average", "min", "max", "get", "keys", "values",
        "mapEntry", "like", "startsWith", "doesNotStartWith", "endsWith", "doesNotEndWith", "contains",
        "doesNotContain", "equals", "notEqualTo", "matches", "regexGroup", "isNull", "isNotNull", "currentMonth",
        "getMonth", "currentYear", "getYear", "currentDayOfMonth", "getDayOfMonth", "date", "occurs", "now", "today",
        "yesterday", "tomorrow", "this", "last", "next", "[]", "^", "forall", "select", "let", "inSegment", "chain",
        "$1", "xEvent",
    ];
    let missing: Vec<&str> = functions.iter().copied().filter(|name| !index.contains(&format!("`{name}`"))).collect();
    assert!(missing.is_empty(), "the function index of pql.md does not list {missing:?}");
}
