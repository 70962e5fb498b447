//! End-to-end checks of `seg definition`, `seg job` and `seg membership` on the bundled CDNOW
//! profiles, including a `seg` process killed during a job.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use seg_service::{Membership, MembershipStatus, Workspace};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const PROFILES: &str = "testdata/cdnow/profiles.parquet";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn seg(args: &[&str]) -> Result<Output, std::io::Error> {
    Command::new(env!("CARGO_BIN_EXE_seg")).args(args).current_dir(repo_root()).output()
}

/// Runs `seg` and parses its stdout as JSON, failing with stderr when it exits non-zero.
fn seg_json(args: &[&str]) -> Result<Value, Box<dyn std::error::Error>> {
    let output = seg(args)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("seg {args:?} failed: {stderr}").into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn create_cdnow_definitions(workspace: &str) -> TestResult {
    for id in ["big-spenders", "lapsed-customers", "lapsed-big-spenders"] {
        let file = format!("testdata/cdnow/segments/{id}.pql");
        let created = seg_json(&["definition", "create", "--workspace", workspace, "--file", &file, "--id", id, "--json"])?;
        assert_eq!(created["id"], id);
    }
    Ok(())
}

fn run_job(workspace: &str, now: &str) -> Result<Value, Box<dyn std::error::Error>> {
    seg_json(&["job", "run", "--workspace", workspace, "--profiles", PROFILES, "--segments", "*", "--now", now, "--json"])
}

/// Reads the memberships of one segment keyed by profile id, taking the workspace lock.
fn memberships(workspace: &Path, segment: &str) -> Result<BTreeMap<String, Membership>, Box<dyn std::error::Error>> {
    Ok(Workspace::open(workspace)?.membership_map(segment)?)
}

fn temporary_files(dir: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            found.extend(temporary_files(&path)?);
        } else if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".tmp")) {
            found.push(path);
        }
    }
    Ok(found)
}

#[test]
fn jobs_at_two_times_update_memberships() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = dir.path().to_str().ok_or("temporary path is not UTF-8")?;
    create_cdnow_definitions(workspace)?;
    let march = run_job(workspace, "1998-03-01T00:00:00Z")?;
    let july = run_job(workspace, "1998-07-01T00:00:00Z")?;
    assert_eq!(march["status"], "SUCCEEDED");
    assert_eq!(july["status"], "SUCCEEDED");

    let counts = &july["metrics"]["segmentedProfileByStatusCounter"]["lapsed-customers"];
    let realized = counts["realized"].as_u64().ok_or("no realized count")?;
    let exited = counts["exited"].as_u64().ok_or("no exited count")?;
    assert_eq!(Some(realized), july["metrics"]["segmentedProfileCounter"]["lapsed-customers"].as_u64());
    assert!(exited > 0, "{counts}");

    let listed = seg_json(&["job", "list", "--workspace", workspace, "--json"])?;
    assert_eq!(listed["children"].as_array().map(Vec::len), Some(2));
    let paged = seg_json(&["job", "list", "--workspace", workspace, "--limit", "1", "--status", "succeeded", "--json"])?;
    assert_eq!(paged["children"].as_array().map(Vec::len), Some(1));
    assert_eq!(paged["_page"]["totalCount"], 2);
    assert_eq!(paged["children"][0]["id"], july["id"]);

    let members = memberships(dir.path(), "lapsed-customers")?;
    let (exited_id, _) = members.iter().find(|(_, m)| m.status == MembershipStatus::Exited).ok_or("no exited member")?;
    let map = seg_json(&["membership", "--workspace", workspace, exited_id])?;
    assert_eq!(map["ups"]["lapsed-customers"]["status"], "exited");
    assert_eq!(map["ups"]["lapsed-customers"]["lastQualificationTime"], "1998-07-01T00:00:00Z");
    Ok(())
}

#[test]
fn definition_commands_round_trip() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = dir.path().to_str().ok_or("temporary path is not UTF-8")?;
    let created = seg_json(&["definition", "create", "--workspace", workspace, "--file", "testdata/cdnow/segments/bulk-cd-buyers.json", "--json"])?;
    let id = created["id"].as_str().ok_or("no id")?;
    let fetched = seg_json(&["definition", "get", "--workspace", workspace, id])?;
    assert_eq!(fetched, created);
    let listed = seg_json(&["definition", "list", "--workspace", workspace, "--json"])?;
    assert_eq!(listed["page"]["totalCount"], 1);

    let updated = seg_json(&["definition", "update", "--workspace", workspace, id, "--file", "testdata/cdnow/segments/big-spenders.pql", "--json"])?;
    assert_eq!(updated["name"], created["name"]);
    assert_eq!(updated["creationTime"], created["creationTime"]);

    let duplicate = seg(&["definition", "create", "--workspace", workspace, "--file", "testdata/cdnow/segments/bulk-cd-buyers.json"])?;
    assert!(!duplicate.status.success());
    let deleted = seg(&["definition", "delete", "--workspace", workspace, id])?;
    assert!(deleted.status.success());
    let missing = seg(&["definition", "get", "--workspace", workspace, id])?;
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("not found"), "{stderr}");
    Ok(())
}

#[test]
fn locked_workspace_names_the_holder() -> TestResult {
    let dir = tempfile::tempdir()?;
    let _lock_holder = seg_service::Workspace::open(dir.path())?;
    let workspace = dir.path().to_str().ok_or("temporary path is not UTF-8")?;
    let output = seg(&["definition", "list", "--workspace", workspace])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!("is locked by another seg process (pid {}); wait for it to finish", std::process::id());
    assert!(stderr.contains(&expected), "{stderr}");
    Ok(())
}

/// Waits until a JSON record in `dir` shows `PROCESSING`, for at most a minute.
fn wait_for_processing(dir: &Path) -> Result<bool, std::io::Error> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        for entry in std::fs::read_dir(dir)? {
            let text = std::fs::read_to_string(entry?.path()).unwrap_or_default();
            if text.contains("\"PROCESSING\"") {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

#[test]
fn export_formats_read_back() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = dir.path().join("ws");
    let workspace = workspace.to_str().ok_or("temporary path is not UTF-8")?;
    create_cdnow_definitions(workspace)?;
    let job = run_job(workspace, "1998-07-01T00:00:00Z")?;
    let realized = job["metrics"]["segmentedProfileCounter"]["big-spenders"].as_u64().ok_or("no count")?;
    for format in ["parquet", "ndjson", "csv"] {
        let out = dir.path().join(format!("members.{format}"));
        let out = out.to_str().ok_or("temporary path is not UTF-8")?;
        let export = seg_json(&[
            "export", "--workspace", workspace, "--profiles", PROFILES, "--segments", "big-spenders", "--format", format,
            "--fields", "identityMap", "--out", out, "--json",
        ])?;
        assert_eq!(export["status"], "SUCCEEDED", "{format}");
        assert_eq!(export["metrics"]["totalExportedProfileCounter"].as_u64(), Some(realized), "{format}");
    }
    let ndjson_rows = std::fs::read_to_string(dir.path().join("members.ndjson"))?.lines().count() as u64;
    let csv_rows = std::fs::read_to_string(dir.path().join("members.csv"))?.lines().count() as u64 - 1;
    assert_eq!(ndjson_rows, realized);
    assert_eq!(csv_rows, realized);
    Ok(())
}

#[test]
fn killed_export_leaves_no_partial_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = dir.path().join("ws");
    let workspace = workspace.to_str().ok_or("temporary path is not UTF-8")?;
    create_cdnow_definitions(workspace)?;
    run_job(workspace, "1998-07-01T00:00:00Z")?;
    let out_dir = dir.path().join("out");
    let out = out_dir.join("members.ndjson");

    // One profile per batch with every field makes the export take seconds.
    let mut child = Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(["export", "--workspace", workspace, "--profiles", PROFILES, "--segments", "lapsed-customers"])
        .args(["--format", "ndjson", "--batch-size", "1", "--out"])
        .arg(&out)
        .current_dir(repo_root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    // Kill the export once its temporary output file exists, so a partial file is on disk.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut writing = false;
    while !writing && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        writing = out_dir.exists() && !temporary_files(&out_dir)?.is_empty();
    }
    std::thread::sleep(Duration::from_millis(100));
    child.kill()?;
    child.wait()?;
    assert!(writing, "the export never created its temporary file");
    assert!(!out.exists(), "a partial export file is visible");

    let jobs = seg_json(&["job", "list", "--workspace", workspace, "--json"])?;
    assert_eq!(jobs["children"].as_array().map(Vec::len), Some(1));
    let records: Vec<PathBuf> = std::fs::read_dir(Path::new(workspace).join("exports"))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    let record: Value = serde_json::from_str(&std::fs::read_to_string(records.first().ok_or("no export record")?)?)?;
    assert_eq!(record["status"], "FAILED");
    assert_eq!(record["errors"][0]["code"], "INTERRUPTED");
    assert_eq!(temporary_files(&out_dir)?, Vec::<PathBuf>::new());
    Ok(())
}

#[test]
fn killed_job_leaves_workspace_consistent() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = dir.path().to_str().ok_or("temporary path is not UTF-8")?;
    create_cdnow_definitions(workspace)?;
    run_job(workspace, "1998-03-01T00:00:00Z")?;
    let before = memberships(dir.path(), "lapsed-customers")?;

    // The reference engine with one profile per batch is slow enough to be killed mid-job.
    let mut child = Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(["job", "run", "--workspace", workspace, "--profiles", PROFILES, "--segments", "*"])
        .args(["--now", "1998-07-01T00:00:00Z", "--engine", "reference", "--batch-size", "1"])
        .current_dir(repo_root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let processing = wait_for_processing(&dir.path().join("jobs"))?;
    child.kill()?;
    child.wait()?;
    assert!(processing, "the job never reached PROCESSING");

    let jobs = seg_json(&["job", "list", "--workspace", workspace, "--json"])?;
    let newest = &jobs["children"][0];
    assert_eq!(newest["status"], "FAILED");
    assert_eq!(newest["errors"][0]["code"], "INTERRUPTED");
    let after = memberships(dir.path(), "lapsed-customers")?;
    assert_eq!(after, before);
    assert_eq!(temporary_files(dir.path())?, Vec::<PathBuf>::new());
    Ok(())
}

#[test]
fn preview_and_estimate_agree() -> TestResult {
    let expr = "xEvent[eventType = \"commerce.purchases\"].count() >= 10";
    let now = "1998-07-01T00:00:00Z";
    let preview = seg_json(&["preview", "--profiles", PROFILES, "--expr", expr, "--now", now, "--limit", "5", "--json"])?;
    let estimate = seg_json(&["estimate", "--profiles", PROFILES, "--expr", expr, "--now", now, "--json"])?;
    assert_eq!(preview["results"].as_array().map(Vec::len), Some(5));
    assert_eq!(preview["state"], "RESULT_READY");
    assert_eq!(estimate["estimatedSize"], preview["page"]["totalCount"]);
    assert_eq!(estimate["confidenceInterval"], "95%");
    Ok(())
}

#[test]
fn definition_list_pages_sorts_and_bulk_gets() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = dir.path().to_str().ok_or("temporary path is not UTF-8")?;
    let created = seg(&["definition", "create", "--workspace", workspace, "--file", "testdata/cdnow/segments/big-spenders.pql", "--id", "b"])?;
    let summary = String::from_utf8_lossy(&created.stdout);
    // No job has run, so no schema is known to classify the definition against.
    assert_eq!(summary, "created segment definition b (\"big-spenders\"), evaluation: batch\n");
    for (file, id) in [("lapsed-customers", "c"), ("frequent-buyers", "a")] {
        let path = format!("testdata/cdnow/segments/{file}.pql");
        seg_json(&["definition", "create", "--workspace", workspace, "--file", &path, "--id", id, "--json"])?;
    }

    let page = seg_json(&["definition", "list", "--workspace", workspace, "--sort", "name:asc", "--start", "1", "--limit", "1", "--json"])?;
    assert_eq!(page["segments"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["segments"][0]["name"], "frequent-buyers");
    assert_eq!(page["page"]["totalCount"], 3);
    assert_eq!(page["page"]["totalPages"], 3);
    assert_eq!(page["page"]["sortField"], "name");
    let newest = seg_json(&["definition", "list", "--workspace", workspace, "--json"])?;
    assert_eq!(newest["segments"][0]["id"], "a");

    let bulk = seg_json(&["definition", "get", "--workspace", workspace, "a", "c"])?;
    assert_eq!(bulk["results"]["a"]["name"], "frequent-buyers");
    assert_eq!(bulk["results"]["c"]["name"], "lapsed-customers");

    let taken = seg(&["definition", "create", "--workspace", workspace, "--file", "testdata/cdnow/segments/big-spenders.pql"])?;
    let stderr = String::from_utf8_lossy(&taken.stderr);
    assert!(stderr.contains("a segment definition named \"big-spenders\" already exists with id `b`"), "{stderr}");
    Ok(())
}

/// Returns the id of the first `*.json` record in `dir` that shows `PROCESSING`, waiting for
/// at most a minute. Temporary files are skipped, since they may never be renamed.
fn processing_record(dir: &Path) -> Result<Option<String>, std::io::Error> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if !name.starts_with('.') && name.ends_with(".json") && text.contains("\"PROCESSING\"") {
                return Ok(path.file_stem().and_then(|s| s.to_str()).map(str::to_string));
            }
        }
    }
    Ok(None)
}

/// Starts `seg` with `args`, waits until a record in `records` is `PROCESSING`, runs the
/// cancel command `cancel` with the id of that record, and returns the child's output.
fn cancel_while_processing(args: &[&str], records: &Path, cancel: &[&str]) -> Result<(Output, String), Box<dyn std::error::Error>> {
    let child = Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(args)
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let id = processing_record(records)?.ok_or_else(|| format!("seg {args:?} never reached PROCESSING"))?;
    let mut cancel_args = cancel.to_vec();
    cancel_args.push(&id);
    let cancelled = seg(&cancel_args)?;
    assert!(cancelled.status.success(), "{}", String::from_utf8_lossy(&cancelled.stderr));
    Ok((child.wait_with_output()?, id))
}

#[test]
fn cancel_commands_stop_running_jobs() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace_path = dir.path().join("ws");
    let workspace = workspace_path.to_str().ok_or("temporary path is not UTF-8")?;
    create_cdnow_definitions(workspace)?;
    run_job(workspace, "1998-03-01T00:00:00Z")?;

    let job = ["job", "run", "--workspace", workspace, "--profiles", PROFILES, "--segments", "*", "--engine", "reference", "--batch-size", "1"];
    let (output, id) = cancel_while_processing(&job, &workspace_path.join("jobs"), &["job", "cancel", "--workspace", workspace])?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("was cancelled; memberships are unchanged"), "{stderr}");
    let record = seg_json(&["job", "get", "--workspace", workspace, &id])?;
    assert_eq!(record["status"], "CANCELLED");

    let out = dir.path().join("members.ndjson");
    let out_text = out.to_str().ok_or("temporary path is not UTF-8")?;
    let export = [
        "export", "--workspace", workspace, "--profiles", PROFILES, "--segments", "lapsed-customers", "--format", "ndjson", "--batch-size", "1",
        "--out", out_text,
    ];
    let (output, id) = cancel_while_processing(&export, &workspace_path.join("exports"), &["export", "cancel", "--workspace", workspace])?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("was cancelled; no output file was written"), "{stderr}");
    assert!(!out.exists());
    let record = seg_json(&["export", "get", "--workspace", workspace, &id])?;
    assert_eq!(record["status"], "CANCELLED");
    let again = seg(&["export", "cancel", "--workspace", workspace, &id])?;
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("this one has already ended with status CANCELLED"), "{stderr}");
    Ok(())
}
