//! Hostile profile data: each file of `testdata/hostile/data`, and corrupt Parquet and large
//! NDJSON files built at test time, is read by `seg_io` and evaluated by `seg eval` with the
//! segments of `testdata/hostile/data/segments`. Each must end in an error that names the file
//! and the line, or in the expected members, and never in a panic.

use std::path::{Path, PathBuf};
use std::process::Command;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const NOW: &str = "2024-06-01T00:00:00Z";

/// Expected outcome of one profile file.
enum Outcome {
    /// `seg eval` fails, and its message contains every word.
    Error(&'static [&'static str]),
    /// `seg eval` succeeds with these members of `all` and of `buyers`.
    Members { all: &'static [&'static str], buyers: &'static [&'static str] },
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hostile/data")
}

/// Runs `seg eval` on `profiles` and returns whether it succeeded, with its standard error.
fn eval(profiles: &Path, members_out: &Path, extra: &[&str]) -> Result<(bool, String), Box<dyn std::error::Error>> {
    let output = Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(["eval", "--now", NOW, "--profiles"])
        .arg(profiles)
        .arg("--definitions")
        .arg(data_dir().join("segments"))
        .arg("--members-out")
        .arg(members_out)
        .args(extra)
        .output()?;
    let stderr = String::from_utf8(output.stderr)?;
    assert!(!stderr.contains("panicked"), "seg eval panicked on {}: {stderr}", profiles.display());
    Ok((output.status.success(), stderr))
}

fn members(dir: &Path, segment: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(dir.join(format!("{segment}.txt")))?;
    Ok(text.lines().map(str::to_string).collect())
}

fn check(profiles: &Path, expected: &Outcome, scratch: &Path) -> TestResult {
    let name = profiles.file_name().and_then(|n| n.to_str()).ok_or("file name is not UTF-8")?.to_string();
    let members_out = scratch.join(format!("{name}-members"));
    let (success, stderr) = eval(profiles, &members_out, &[])?;

    // The library reports the same outcome without a panic.
    let read = seg_io::read_all(profiles, &seg_io::ReadOptions::default());
    match expected {
        Outcome::Error(words) => {
            assert!(!success, "{name}: seg eval succeeded");
            for word in *words {
                assert!(stderr.contains(word), "{name}: the message lacks {word:?}: {stderr}");
            }
            assert!(stderr.contains(&name), "{name}: the message does not name the file: {stderr}");
            let error = read.err().ok_or_else(|| format!("{name}: seg_io read the file"))?;
            assert!(error.to_string().contains(&name), "{name}: {error}");
        }
        Outcome::Members { all, buyers } => {
            assert!(success, "{name}: seg eval failed: {stderr}");
            assert_eq!(members(&members_out, "all")?, *all, "{name}: members of `all`");
            assert_eq!(members(&members_out, "buyers")?, *buyers, "{name}: members of `buyers`");
            read.map_err(|e| format!("{name}: seg_io failed: {e}"))?;
        }
    }
    Ok(())
}

#[test]
fn hostile_ndjson_ends_as_expected() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let cases: [(&str, Outcome); 9] = [
        ("bad-line.ndjson", Outcome::Error(&["invalid JSON", "on line 2", "fix or remove that line"])),
        ("drift.ndjson", Outcome::Error(&["field `score`", "a number on line 1 but a string on line 2"])),
        ("xevent-not-list.ndjson", Outcome::Error(&["`xEvent` must be a list of event structs"])),
        ("timestamp-not-time.ndjson", Outcome::Error(&["invalid timestamp \"yesterday\"", "on line 1", "RFC 3339"])),
        ("timestamp-boolean.ndjson", Outcome::Error(&["invalid timestamp true", "on line 1"])),
        ("year-10000.ndjson", Outcome::Error(&["invalid timestamp \"10000-01-01T00:00:00Z\"", "on line 1"])),
        ("negative-epoch.ndjson", Outcome::Error(&["invalid timestamp -999999999999999999", "on line 2"])),
        ("nulls.ndjson", Outcome::Members { all: &["p1", "p2", "p3"], buyers: &["p3"] }),
        // Both rows of a duplicated id are evaluated. The member file lists the id once.
        ("duplicate-ids.ndjson", Outcome::Members { all: &["p1"], buyers: &["p1"] }),
    ];
    for (file, expected) in &cases {
        check(&data_dir().join(file), expected, scratch.path())?;
    }
    Ok(())
}

#[test]
fn skipped_bad_lines_are_counted() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let members_out = scratch.path().join("members");
    let (success, stderr) = eval(&data_dir().join("bad-line.ndjson"), &members_out, &["--skip-bad-lines"])?;
    assert!(success, "{stderr}");
    assert!(stderr.contains("seg: warning: skipped 1 bad lines of"), "{stderr}");
    assert!(stderr.contains("bad-line.ndjson"), "{stderr}");
    assert_eq!(members(&members_out, "all")?, ["p1", "p3"]);

    let options = seg_io::ReadOptions { skip_bad_lines: true, ..seg_io::ReadOptions::default() };
    let mut reader = seg_io::open(&data_dir().join("bad-line.ndjson"), &options)?;
    let rows: usize = reader.by_ref().map(|batch| batch.map(|b| b.num_rows())).sum::<Result<usize, _>>()?;
    assert_eq!(rows, 2);
    assert_eq!(reader.skipped_lines(), 1);
    Ok(())
}

/// Runs `seg` with `args` and returns whether it succeeded, with its standard output and error.
fn seg(args: &[&str]) -> Result<(bool, String, String), Box<dyn std::error::Error>> {
    let output = Command::new(env!("CARGO_BIN_EXE_seg")).args(args).output()?;
    let stdout = String::from_utf8(output.stdout)?;
    let stderr = String::from_utf8(output.stderr)?;
    assert!(!stderr.contains("panicked"), "seg {args:?} panicked: {stderr}");
    Ok((output.status.success(), stdout, stderr))
}

/// Runs `seg` with `args`, requires success, and parses its standard output as JSON. Returns
/// the JSON and the standard error.
fn seg_json(args: &[&str]) -> Result<(serde_json::Value, String), Box<dyn std::error::Error>> {
    let (success, stdout, stderr) = seg(args)?;
    assert!(success, "seg {args:?} failed: {stderr}");
    Ok((serde_json::from_str(&stdout)?, stderr))
}

/// Creates a workspace under `dir` with the definitions `all` and `buyers` of
/// `testdata/hostile/data/segments`, and returns its path.
fn workspace_with_segments(dir: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let workspace = dir.join("workspace").to_str().ok_or("temporary path is not UTF-8")?.to_string();
    for id in ["all", "buyers"] {
        let file = data_dir().join("segments").join(format!("{id}.pql"));
        let file = file.to_str().ok_or("test data path is not UTF-8")?;
        let (success, _, stderr) = seg(&["definition", "create", "--workspace", &workspace, "--file", file, "--id", id])?;
        assert!(success, "definition create {id} failed: {stderr}");
    }
    Ok(workspace)
}

/// Returns the `_id` of each object of a preview's `results`.
fn result_ids(preview: &serde_json::Value) -> Vec<String> {
    let results = preview["results"].as_array().cloned().unwrap_or_default();
    results.iter().filter_map(|result| result["_id"].as_str().map(str::to_string)).collect()
}

#[test]
fn bad_line_fails_every_command() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let workspace = workspace_with_segments(scratch.path())?;
    let profiles = data_dir().join("bad-line.ndjson");
    let profiles = profiles.to_str().ok_or("test data path is not UTF-8")?;
    let out = scratch.path().join("export.ndjson");
    let out = out.to_str().ok_or("temporary path is not UTF-8")?;
    let commands: [Vec<&str>; 4] = [
        vec!["job", "run", "--workspace", &workspace, "--segments", "*", "--now", NOW, "--profiles", profiles],
        vec!["preview", "--expr", "xEvent.count() >= 0", "--now", NOW, "--profiles", profiles],
        vec!["estimate", "--expr", "xEvent.count() >= 0", "--now", NOW, "--profiles", profiles],
        vec!["export", "--workspace", &workspace, "--segments", "all", "--format", "ndjson", "--out", out, "--profiles", profiles],
    ];
    for args in &commands {
        let (success, _, stderr) = seg(args)?;
        assert!(!success, "seg {} succeeded", args[0]);
        assert!(stderr.contains("bad-line.ndjson"), "seg {}: the message does not name the file: {stderr}", args[0]);
        assert!(stderr.contains("on line 2"), "seg {}: the message does not name the line: {stderr}", args[0]);
        assert!(!stderr.contains("warning"), "seg {}: {stderr}", args[0]);
    }
    Ok(())
}

#[test]
fn bad_line_is_skipped_by_every_command() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let workspace = workspace_with_segments(scratch.path())?;
    let profiles = data_dir().join("bad-line.ndjson");
    let profiles = profiles.to_str().ok_or("test data path is not UTF-8")?;
    let warning = format!("seg: warning: skipped 1 bad lines of {profiles}\n");
    let skip = "--skip-bad-lines";

    let run = ["job", "run", "--workspace", &workspace, "--segments", "*", "--now", NOW, "--profiles", profiles];
    let (job, stderr) = seg_json(&[&run[..], &["--json", skip]].concat())?;
    assert_eq!(stderr, warning, "job run");
    assert_eq!(job["status"], "SUCCEEDED");
    assert_eq!(job["metrics"]["skippedLines"], 1);
    assert_eq!(job["metrics"]["totalProfiles"], 2);
    assert_eq!(job["metrics"]["segmentedProfileCounter"]["all"], 2);
    assert_eq!(job["metrics"]["segmentedProfileCounter"]["buyers"], 1);
    assert!(job["metrics"].get("profilesOverEventLimit").is_none(), "{job}");

    let expression = ["--expr", "xEvent.count() >= 0", "--now", NOW, "--profiles", profiles, "--json", skip];
    let (preview, stderr) = seg_json(&[&["preview"][..], &expression].concat())?;
    assert_eq!(stderr, warning, "preview");
    assert_eq!(result_ids(&preview), ["p1", "p3"]);
    assert_eq!(preview["page"]["totalCount"], 2);
    assert_eq!(preview["skippedLines"], 1);

    // A stored preview reads its later pages with the same lines skipped.
    let stored_args = ["preview", "--workspace", &workspace, "--definition", "all", "--now", NOW, "--profiles", profiles];
    let (stored, stderr) = seg_json(&[&stored_args[..], &["--json", skip]].concat())?;
    assert_eq!(stderr, warning, "stored preview");
    let id = stored["previewId"].as_str().ok_or("the stored preview has no previewId")?;
    let (page, _) = seg_json(&["preview", "get", "--workspace", &workspace, id, "--offset", "1", "--json"])?;
    assert_eq!(result_ids(&page), ["p3"]);
    assert_eq!(page["skippedLines"], 1);

    let (estimate, stderr) = seg_json(&[&["estimate"][..], &expression].concat())?;
    assert_eq!(stderr, warning, "estimate");
    assert_eq!(estimate["estimatedSize"], 2);
    assert_eq!(estimate["totalRows"], 2);
    assert_eq!(estimate["skippedLines"], 1);

    let out = scratch.path().join("export.ndjson");
    let out_text = out.to_str().ok_or("temporary path is not UTF-8")?;
    let export_args = [
        "export", "--workspace", &workspace, "--segments", "all", "--format", "ndjson", "--out", out_text, "--profiles", profiles,
        "--fields", "_id", "--empty-profiles", "--json", skip,
    ];
    let (export, stderr) = seg_json(&export_args)?;
    assert_eq!(stderr, warning, "export");
    assert_eq!(export["metrics"]["skippedLines"], 1);
    assert_eq!(export["metrics"]["totalExportedProfileCounter"], 2);
    let exported: Vec<String> = std::fs::read_to_string(&out)?.lines().map(str::to_string).collect();
    assert_eq!(exported, [r#"{"_id":"p1"}"#, r#"{"_id":"p3"}"#]);
    Ok(())
}

#[test]
fn profile_with_many_events_is_evaluated() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let path = scratch.path().join("many-events.ndjson");
    let mut events = Vec::new();
    for index in 0..6_000 {
        let kind = if index == 5_999 { "purchase" } else { "view" };
        events.push(format!(r#"{{"timestamp":"2024-01-01T00:00:{:02}Z","eventType":"{kind}"}}"#, index % 60));
    }
    let text = format!("{{\"_id\":\"busy\",\"xEvent\":[{}]}}\n{{\"_id\":\"quiet\",\"xEvent\":[]}}\n", events.join(","));
    std::fs::write(&path, text)?;
    check(&path, &Outcome::Members { all: &["busy", "quiet"], buyers: &["busy"] }, scratch.path())?;

    let warning = format!("seg: warning: 1 profiles of {} have more than 5000 events; they are evaluated in full\n", path.display());
    let (success, stderr) = eval(&path, &scratch.path().join("members"), &[])?;
    assert!(success, "{stderr}");
    assert_eq!(stderr, warning);

    let mut reader = seg_io::open(&path, &seg_io::ReadOptions::default())?;
    for batch in reader.by_ref() {
        batch?;
    }
    assert_eq!(reader.profiles_over_event_limit(), 1);

    let workspace = workspace_with_segments(scratch.path())?;
    let profiles = path.to_str().ok_or("temporary path is not UTF-8")?;
    let run = ["job", "run", "--workspace", &workspace, "--segments", "*", "--now", NOW, "--profiles", profiles, "--json"];
    let (job, stderr) = seg_json(&run)?;
    assert_eq!(stderr, warning, "job run");
    assert_eq!(job["metrics"]["profilesOverEventLimit"], 1);
    assert_eq!(job["metrics"]["segmentedProfileCounter"]["buyers"], 1);
    assert!(job["metrics"].get("skippedLines").is_none(), "{job}");
    Ok(())
}

#[test]
fn corrupt_parquet_is_rejected_or_read() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let original = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cdnow/profiles.parquet"))?;

    let truncated = scratch.path().join("truncated.parquet");
    std::fs::write(&truncated, &original[..original.len() / 2])?;
    check(&truncated, &Outcome::Error(&["failed to read Parquet file", "Corrupt footer"]), scratch.path())?;

    // Flipped bytes in the footer's metadata, before the 8-byte length and magic trailer.
    let mut footer = original.clone();
    let length = footer.len();
    for index in (length - 300..length - 8).step_by(7) {
        footer[index] ^= 0xFF;
    }
    let footer_path = scratch.path().join("footer.parquet");
    std::fs::write(&footer_path, &footer)?;
    check(&footer_path, &Outcome::Error(&["failed to read Parquet file"]), scratch.path())?;

    // Flipped bytes in a column chunk. NOTE: the file has no page checksums, so the reader
    // cannot always detect this. The test requires only that it ends without a panic.
    let mut chunk = original;
    let start = chunk.len() / 3;
    for index in (start..start + 2_000).step_by(3) {
        chunk[index] ^= 0x5A;
    }
    let chunk_path = scratch.path().join("chunk.parquet");
    std::fs::write(&chunk_path, &chunk)?;
    let (_, stderr) = eval(&chunk_path, &scratch.path().join("chunk-members"), &[])?;
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = seg_io::read_all(&chunk_path, &seg_io::ReadOptions::default());
    Ok(())
}
