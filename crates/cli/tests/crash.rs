//! Crash tests: a `seg` process is killed at varying moments of a segment job, of an export
//! and of definition writes, and the workspace must stay consistent. The lock is free again,
//! every job record parses and has a final status, and no temporary file is left. The
//! memberships are those before or after the job, and an export output is either absent or
//! complete. Every definition file parses and contains either the old or the new version.
//!
//! Each test runs 2 iterations by default. Set `SEG_CRASH_ITERATIONS` for a long run:
//! `SEG_CRASH_ITERATIONS=100 cargo test -p seg-cli --test crash` takes a few minutes on two cores.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use seg_service::{Membership, Workspace};

mod common;

use common::copy_dir;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const PROFILES: &str = "testdata/cdnow/profiles.parquet";
const SEGMENTS: [&str; 3] = ["big-spenders", "lapsed-customers", "lapsed-big-spenders"];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn iterations() -> Result<u64, Box<dyn std::error::Error>> {
    match std::env::var("SEG_CRASH_ITERATIONS") {
        Ok(text) => Ok(text.parse().map_err(|e| format!("invalid SEG_CRASH_ITERATIONS {text:?}: {e}; give a whole number"))?),
        Err(_) => Ok(2),
    }
}

/// Returns the kill delay of iteration `index` in milliseconds, spread over `0..range` by a
/// fixed multiplicative hash so runs are repeatable.
fn kill_delay(index: u64, range: u64) -> u64 {
    index.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) % range
}

fn seg(args: &[&str]) -> Result<(), Box<dyn std::error::Error>> {
    let output = Command::new(env!("CARGO_BIN_EXE_seg")).args(args).current_dir(repo_root()).output()?;
    if !output.status.success() {
        return Err(format!("seg {args:?} failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(())
}

fn temporary_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
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

type Memberships = Vec<BTreeMap<String, Membership>>;

/// Opens the workspace, which recovers from the crash, checks the records and returns the
/// memberships of every segment.
fn check_recovered(workspace: &Path) -> Result<Memberships, Box<dyn std::error::Error>> {
    let opened = Workspace::open(workspace).map_err(|e| format!("the workspace does not open after a kill: {e}"))?;
    for job in opened.jobs()? {
        assert!(job.status.is_final(), "job {} is {:?} after recovery", job.id, job.status);
    }
    for job in opened.export_jobs()? {
        assert!(job.status.is_final(), "export job {} is {:?} after recovery", job.id, job.status);
    }
    let memberships = SEGMENTS.iter().map(|segment| opened.membership_map(segment)).collect::<Result<_, _>>()?;
    drop(opened);
    assert_eq!(temporary_files(workspace)?, Vec::<PathBuf>::new());
    Ok(memberships)
}

/// Builds a workspace with the three definitions evaluated in March 1998.
fn evaluated_workspace(dir: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let workspace = dir.join("pristine");
    let text = workspace.to_str().ok_or("temporary path is not UTF-8")?;
    for id in SEGMENTS {
        let file = format!("testdata/cdnow/segments/{id}.pql");
        seg(&["definition", "create", "--workspace", text, "--file", &file, "--id", id])?;
    }
    seg(&["job", "run", "--workspace", text, "--profiles", PROFILES, "--segments", "*", "--now", "1998-03-01T00:00:00Z"])?;
    Ok(workspace)
}

fn job_args(workspace: &str, reference: bool) -> Vec<String> {
    let mut args: Vec<String> = ["job", "run", "--workspace", workspace, "--profiles", PROFILES, "--segments", "*"]
        .into_iter()
        .map(str::to_string)
        .collect();
    args.extend(["--now".to_string(), "1998-07-01T00:00:00Z".to_string()]);
    if reference {
        // The reference engine with small batches is slow, so kills land during evaluation.
        args.extend(["--engine", "reference", "--batch-size", "64"].map(str::to_string));
    }
    args
}

#[test]
fn killed_jobs_leave_consistent_workspace() -> TestResult {
    let dir = tempfile::tempdir()?;
    let pristine = evaluated_workspace(dir.path())?;
    let before = check_recovered(&pristine)?;
    let finished = dir.path().join("finished");
    copy_dir(&pristine, &finished)?;
    seg(&job_args(finished.to_str().ok_or("temporary path is not UTF-8")?, false).iter().map(String::as_str).collect::<Vec<_>>())?;
    let after = check_recovered(&finished)?;
    assert_ne!(before, after);

    for index in 0..iterations()? {
        let workspace = dir.path().join(format!("run-{index}"));
        copy_dir(&pristine, &workspace)?;
        // Odd runs use the fast engine, so some kills land while memberships are written.
        let reference = index % 2 == 0;
        let delay = kill_delay(index, if reference { 1500 } else { 800 });
        let args = job_args(workspace.to_str().ok_or("temporary path is not UTF-8")?, reference);
        let mut child = Command::new(env!("CARGO_BIN_EXE_seg"))
            .args(&args)
            .current_dir(repo_root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        std::thread::sleep(Duration::from_millis(delay));
        child.kill()?;
        child.wait()?;

        let recovered = check_recovered(&workspace)?;
        assert!(recovered == before || recovered == after, "run {index} (kill after {delay} ms) left memberships of neither state");
        std::fs::remove_dir_all(&workspace)?;
    }
    Ok(())
}

#[test]
fn killed_exports_leave_no_partial_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let pristine = evaluated_workspace(dir.path())?;
    let workspace = pristine.to_str().ok_or("temporary path is not UTF-8")?;
    let complete = dir.path().join("complete.ndjson");
    let complete_text = complete.to_str().ok_or("temporary path is not UTF-8")?;
    let export = ["export", "--workspace", workspace, "--profiles", PROFILES, "--segments", "lapsed-customers", "--format", "ndjson"];
    seg(&[&export[..], &["--out", complete_text]].concat())?;
    let expected = std::fs::read_to_string(&complete)?;
    assert!(!expected.is_empty());

    for index in 0..iterations()? {
        let out_dir = dir.path().join(format!("out-{index}"));
        let out = out_dir.join("members.ndjson");
        // Small batches stretch the export; large ones let some runs finish before the kill.
        let batch_size = if index % 2 == 0 { "16" } else { "4096" };
        let mut child = Command::new(env!("CARGO_BIN_EXE_seg"))
            .args(export)
            .args(["--batch-size", batch_size, "--out"])
            .arg(&out)
            .current_dir(repo_root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let delay = kill_delay(index, 2500);
        std::thread::sleep(Duration::from_millis(delay));
        child.kill()?;
        child.wait()?;

        check_recovered(&pristine)?;
        if out.exists() {
            assert_eq!(std::fs::read_to_string(&out)?, expected, "run {index} (kill after {delay} ms) left a partial file");
        }
        if out_dir.exists() {
            assert_eq!(temporary_files(&out_dir)?, Vec::<PathBuf>::new(), "run {index}");
        }
    }
    Ok(())
}

/// Returns the stored `(id, PQL text)` of every definition file, read as plain JSON before the
/// workspace is opened, so that no recovery step hides a broken file.
fn stored_definitions(workspace: &Path) -> Result<BTreeMap<String, String>, Box<dyn std::error::Error>> {
    let mut stored = BTreeMap::new();
    for entry in std::fs::read_dir(workspace.join("definitions"))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).ok_or("definition file name is not UTF-8")?;
        let Some(stem) = name.strip_suffix(".json") else { continue };
        // A leading dot marks a temporary file, which the catalog does not list.
        if stem.starts_with('.') {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let definition: seg_service::SegmentDefinition =
            serde_json::from_str(&text).map_err(|e| format!("{} does not parse after a kill: {e}", path.display()))?;
        assert_eq!(definition.id, stem, "{}", path.display());
        stored.insert(definition.id.clone(), definition.expression.value);
    }
    Ok(stored)
}

#[test]
fn killed_definition_writes_leave_consistent_catalog() -> TestResult {
    let dir = tempfile::tempdir()?;
    let pristine = evaluated_workspace(dir.path())?;
    let workspace = pristine.to_str().ok_or("temporary path is not UTF-8")?;
    let before = stored_definitions(&pristine)?;
    let first = dir.path().join("churn-v1.pql");
    let second = dir.path().join("churn-v2.pql");
    let versions = ["xEvent.count() >= 2".to_string(), "xEvent.count() >= 3".to_string()];
    std::fs::write(&first, &versions[0])?;
    std::fs::write(&second, &versions[1])?;
    let first_text = first.to_str().ok_or("temporary path is not UTF-8")?;
    let second_text = second.to_str().ok_or("temporary path is not UTF-8")?;

    // Each iteration kills a create, an update and a delete of the definition `churn`.
    let operations: [Vec<&str>; 3] = [
        vec!["definition", "create", "--workspace", workspace, "--file", first_text, "--id", "churn"],
        vec!["definition", "update", "--workspace", workspace, "churn", "--file", second_text],
        vec!["definition", "delete", "--workspace", workspace, "churn"],
    ];
    for index in 0..iterations()? * 3 {
        let args = &operations[(index % 3) as usize];
        let mut child = Command::new(env!("CARGO_BIN_EXE_seg"))
            .args(args)
            .current_dir(repo_root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        // A definition command takes about 30 ms in a debug build, so some kills land while it writes.
        let delay = kill_delay(index, 60);
        std::thread::sleep(Duration::from_millis(delay));
        child.kill()?;
        child.wait()?;

        let mut stored = stored_definitions(&pristine)?;
        if let Some(text) = stored.remove("churn") {
            assert!(versions.contains(&text), "run {index} (kill after {delay} ms) stored {text}");
        }
        assert_eq!(stored, before, "run {index} (kill after {delay} ms) changed other definitions");
        check_recovered(&pristine)?;
        let opened = Workspace::open(&pristine)?;
        let listed: Vec<String> = opened.all_definitions()?.into_iter().map(|definition| definition.id).collect();
        let files: Vec<String> = stored_definitions(&pristine)?.into_keys().collect();
        assert_eq!(listed, files, "run {index}: the catalog lists other definitions than the files");
    }
    Ok(())
}
