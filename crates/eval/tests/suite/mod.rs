//! The case runner shared by the conformance suite and the documentation examples: loads
//! the profiles of one case document through the NDJSON reader, compiles each definition,
//! evaluates it with the columnar engine and the reference interpreter, and compares both
//! member lists with the expected one.
//!
//! A case document is the JSON object that `testdata/conformance/README.md` describes.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use arrow::array::{Array, AsArray, RecordBatch};
use seg_eval::EvalContext;
use seg_eval::columnar::{Segment, evaluate_batches};
use seg_eval::reference::{evaluate_profile, profiles_from_batch};
use seg_io::ReadOptions;
use seg_plan::SegmentPlan;
use serde_json::{Map, Value};

/// The segment id that each case's own definition gets; `segments` entries use their keys.
const CASE_SEGMENT_ID: &str = "conformance-case";

/// Small batches, so that every file with more than a few profiles spans several batches and
/// the row numbering across batches is exercised too.
const BATCH_SIZE: usize = 4;

/// One case of a file, as read from JSON.
struct Case {
    name: String,
    definition: String,
    now: Option<String>,
    expected: Expected,
    known_failure: Option<String>,
}

enum Expected {
    Members(BTreeSet<String>),
    Error(String),
}

/// Profiles of one file, read back through `seg_io`.
struct Profiles {
    schema: arrow::datatypes::SchemaRef,
    batches: Vec<RecordBatch>,
    /// The `_id` of every row, in row-number order across batches.
    ids: Vec<String>,
}

/// The outcome of one case that did not match its expectation.
struct Failure {
    file: String,
    case: String,
    definition: String,
    expected: String,
    detail: String,
    known_failure: Option<String>,
}

/// The outcomes of every case run so far.
#[derive(Default)]
pub struct Summary {
    cases: usize,
    failures: Vec<Failure>,
    known_failures: Vec<Failure>,
    /// Cases marked `known_failure` that passed.
    unexpected_passes: Vec<String>,
}

fn describe(failure: &Failure) -> String {
    format!(
        "- {} / {}\n  definition: {}\n  expected:   {}\n{}\n",
        failure.file, failure.case, failure.definition, failure.expected, failure.detail
    )
}

/// Prints the known failures and the marks to remove, then panics with every failure, if any.
/// `label` names the suite in the messages, such as `conformance`.
pub fn report(label: &str, summary: &Summary) {
    println!("{label}: {} cases", summary.cases);
    for failure in &summary.known_failures {
        println!("known failure ({}):\n{}", failure.known_failure.as_deref().unwrap_or(""), describe(failure));
    }
    for case in &summary.unexpected_passes {
        println!("case marked known_failure now passes, remove the mark: {case}");
    }
    if !summary.failures.is_empty() {
        let mut report = String::new();
        for failure in &summary.failures {
            report.push_str(&describe(failure));
        }
        panic!("{} of {} {label} cases failed:\n{report}", summary.failures.len(), summary.cases);
    }
}

/// Runs every case of one case document; `file_name` names it in messages and temporary files.
pub fn run_document(file_name: &str, document: &Map<String, Value>, summary: &mut Summary) {
    let file_name = file_name.to_string();
    let profiles = load_profiles(&file_name, document);
    let default_now = document.get("now").map(|now| string_field(&file_name, "now", now));
    let segments = bind_segments(&file_name, document, &profiles);

    let cases = document
        .get("cases")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{file_name}: `cases` must be an array"));
    let mut names = BTreeSet::new();
    for case in cases {
        let case = parse_case(&file_name, case);
        assert!(names.insert(case.name.clone()), "{file_name}: two cases are named {:?}", case.name);
        if let Expected::Members(members) = &case.expected {
            let unknown: Vec<&String> = members.iter().filter(|member| !profiles.ids.contains(member)).collect();
            assert!(unknown.is_empty(), "{file_name} / {}: `members` names profiles that do not exist: {unknown:?}", case.name);
        }
        summary.cases += 1;
        let now = case.now.as_ref().or(default_now.as_ref()).map(|now| parse_now(&file_name, &case.name, now));
        let outcome = run_case(&case, now, &segments, &profiles);
        match (outcome, &case.known_failure) {
            (Ok(()), None) => {}
            (Ok(()), Some(_)) => summary.unexpected_passes.push(format!("{file_name} / {}", case.name)),
            (Err(detail), known_failure) => {
                let failure = Failure {
                    file: file_name.clone(),
                    case: case.name.clone(),
                    definition: case.definition.clone(),
                    expected: match &case.expected {
                        Expected::Members(members) => format!("members {members:?}"),
                        Expected::Error(code) => format!("error {code}"),
                    },
                    detail,
                    known_failure: known_failure.clone(),
                };
                if failure.known_failure.is_some() {
                    summary.known_failures.push(failure);
                } else {
                    summary.failures.push(failure);
                }
            }
        }
    }
}

/// Writes the file's profiles as NDJSON and reads them back with `seg_io::read_all`.
fn load_profiles(file_name: &str, document: &Map<String, Value>) -> Profiles {
    let profiles = document
        .get("profiles")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{file_name}: `profiles` must be an array"));
    let mut ndjson = String::new();
    for profile in profiles {
        assert!(profile.get("_id").is_some_and(Value::is_string), "{file_name}: every profile needs a string `_id`");
        ndjson.push_str(&profile.to_string());
        ndjson.push('\n');
    }

    let stem: String = file_name
        .trim_end_matches(".json")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("conformance-{stem}-{}.ndjson", std::process::id()));
    fs::write(&path, ndjson).unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
    let read = seg_io::read_all(&path, &ReadOptions { batch_size: BATCH_SIZE, ..ReadOptions::default() });
    // Removing the file is best effort: a leftover file in the target directory is harmless.
    let _ = fs::remove_file(&path);
    let (schema, batches) = read.unwrap_or_else(|error| panic!("{file_name}: seg_io cannot read the profiles: {error}"));

    let mut ids = Vec::new();
    for batch in &batches {
        let column = batch.column_by_name("_id").unwrap_or_else(|| panic!("{file_name}: no `_id` column"));
        let strings = column.as_string::<i32>();
        for row in 0..strings.len() {
            ids.push(strings.value(row).to_string());
        }
    }
    Profiles { schema, batches, ids }
}

/// Parses and binds the file's `segments`, which cases read through `inSegment`.
fn bind_segments(file_name: &str, document: &Map<String, Value>, profiles: &Profiles) -> Vec<(String, SegmentPlan)> {
    let Some(segments) = document.get("segments") else {
        return Vec::new();
    };
    let Value::Object(segments) = segments else {
        panic!("{file_name}: `segments` must be an object of id to definition");
    };
    let mut bound = Vec::new();
    for (id, definition) in segments {
        let definition = string_field(file_name, id, definition);
        let plan = compile(&definition, profiles)
            .unwrap_or_else(|(code, message)| panic!("{file_name}: segment {id:?} does not compile: {code} {message}"));
        bound.push((id.clone(), plan));
    }
    bound
}

fn parse_case(file_name: &str, case: &Value) -> Case {
    let Value::Object(case) = case else {
        panic!("{file_name}: every case must be an object");
    };
    let text = |key: &str| case.get(key).map(|value| string_field(file_name, key, value));
    let name = text("name").unwrap_or_else(|| panic!("{file_name}: a case has no `name`"));
    let definition = text("definition").unwrap_or_else(|| panic!("{file_name} / {name}: no `definition`"));
    let expected = match (case.get("members"), case.get("error")) {
        (Some(Value::Array(members)), None) => Expected::Members(
            members.iter().map(|member| string_field(file_name, "members", member)).collect(),
        ),
        (None, Some(code)) => Expected::Error(string_field(file_name, "error", code)),
        _ => panic!("{file_name} / {name}: a case needs exactly one of `members` (an array) and `error`"),
    };
    Case { name, definition, now: text("now"), expected, known_failure: text("known_failure") }
}

fn string_field(file_name: &str, key: &str, value: &Value) -> String {
    value.as_str().map(str::to_string).unwrap_or_else(|| panic!("{file_name}: `{key}` must be a string, found {value}"))
}

fn parse_now(file_name: &str, case: &str, now: &str) -> i64 {
    let timestamp: jiff::Timestamp =
        now.parse().unwrap_or_else(|error| panic!("{file_name} / {case}: invalid `now` {now:?}: {error}"));
    timestamp.as_microsecond()
}

/// Parses and binds a definition, returning the diagnostic code and message on failure.
fn compile(definition: &str, profiles: &Profiles) -> Result<SegmentPlan, (String, String)> {
    let query = seg_pql::parse(definition).map_err(|error| (error.code.to_string(), error.message))?;
    seg_plan::bind(&query, &profiles.schema).map_err(|error| (error.code.to_string(), error.message))
}

/// Runs one case and returns a description of the mismatch, if any.
fn run_case(
    case: &Case,
    now: Option<i64>,
    segments: &[(String, SegmentPlan)],
    profiles: &Profiles,
) -> Result<(), String> {
    let compiled = compile(&case.definition, profiles);
    let (members, plan) = match (&case.expected, compiled) {
        (Expected::Error(code), Err((found, _))) if *code == found => return Ok(()),
        (_, Err((found, message))) => return Err(format!("  compile:    error {found}: {message}")),
        (Expected::Error(_), Ok(_)) => return Err("  compile:    succeeded".to_string()),
        (Expected::Members(members), Ok(plan)) => (members, plan),
    };
    let Some(now) = now else {
        return Err("  the case has no `now` and its file sets no default".to_string());
    };

    let mut job: Vec<(String, SegmentPlan)> = segments.to_vec();
    job.push((CASE_SEGMENT_ID.to_string(), plan));
    let order = seg_plan::evaluation_order(&job).map_err(|error| format!("  order:      {error}"))?;
    let ordered: Vec<Segment<'_>> =
        order.iter().map(|&index| Segment { id: &job[index].0, plan: &job[index].1 }).collect();
    let case_position = ordered.iter().position(|segment| segment.id == CASE_SEGMENT_ID).unwrap_or(ordered.len() - 1);
    let context = EvalContext { now };

    let columnar = columnar_members(&ordered, case_position, profiles, &context);
    let reference = reference_members(&ordered, case_position, profiles, &context);
    let columnar_ok = columnar.as_ref().is_ok_and(|found| found == members);
    let reference_ok = reference.as_ref().is_ok_and(|found| found == members);
    if columnar_ok && reference_ok {
        return Ok(());
    }
    let mut detail = String::new();
    let _ = write!(detail, "  columnar:   {}", show(&columnar, columnar_ok));
    let _ = write!(detail, "\n  reference:  {}", show(&reference, reference_ok));
    Err(detail)
}

fn show(result: &Result<BTreeSet<String>, String>, ok: bool) -> String {
    let mark = if ok { "" } else { "   <-- differs" };
    match result {
        Ok(members) => format!("members {members:?}{mark}"),
        Err(error) => format!("error {error}{mark}"),
    }
}

fn columnar_members(
    segments: &[Segment<'_>],
    case_position: usize,
    profiles: &Profiles,
    context: &EvalContext,
) -> Result<BTreeSet<String>, String> {
    let bitmaps = evaluate_batches(segments, &profiles.batches, context).map_err(|error| error.to_string())?;
    Ok(bitmaps[case_position].iter().map(|row| profiles.ids[row as usize].clone()).collect())
}

fn reference_members(
    segments: &[Segment<'_>],
    case_position: usize,
    profiles: &Profiles,
    context: &EvalContext,
) -> Result<BTreeSet<String>, String> {
    let mut members = BTreeSet::new();
    let mut row = 0;
    for batch in &profiles.batches {
        for profile in profiles_from_batch(batch).map_err(|error| error.to_string())? {
            let results = evaluate_profile(segments, &profile, context).map_err(|error| error.to_string())?;
            if results[case_position] {
                members.insert(profiles.ids[row].clone());
            }
            row += 1;
        }
    }
    Ok(members)
}
