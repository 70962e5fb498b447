//! End-to-end checks of `seg eval` on the bundled CDNOW profiles: the example segments agree
//! member by member with an independent computation over the raw text file, and the columnar
//! engine agrees with the reference interpreter.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const NOW: &str = "1998-07-01T00:00:00Z";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn seg(args: &[&str]) -> Result<Output, std::io::Error> {
    Command::new(env!("CARGO_BIN_EXE_seg")).args(args).current_dir(repo_root()).output()
}

fn eval_members(engine: &str, out: &Path) -> TestResult {
    let out = out.to_str().ok_or("temporary path is not UTF-8")?;
    let output = seg(&[
        "eval",
        "--profiles",
        "testdata/cdnow/profiles.parquet",
        "--definitions",
        "testdata/cdnow/segments",
        "--now",
        NOW,
        "--engine",
        engine,
        "--members-out",
        out,
    ])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "seg eval failed: {stderr}");
    Ok(())
}

#[test]
fn segments_match_independent_check() -> TestResult {
    let members = tempfile::tempdir()?;
    eval_members("columnar", members.path())?;
    let output = Command::new("python3")
        .arg("testdata/cdnow/check_segments.py")
        .arg("testdata/cdnow/CDNOW_master.txt")
        .arg(members.path())
        .current_dir(repo_root())
        .output()?;
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "independent check found differences:\n{report}");
    assert_eq!(report.lines().filter(|line| line.ends_with(" ok")).count(), 7, "{report}");
    Ok(())
}

#[test]
fn columnar_matches_reference() -> TestResult {
    let columnar = tempfile::tempdir()?;
    let reference = tempfile::tempdir()?;
    eval_members("columnar", columnar.path())?;
    eval_members("reference", reference.path())?;
    let mut compared = 0;
    for entry in std::fs::read_dir(columnar.path())? {
        let path = entry?.path();
        let name = path.file_name().ok_or("member file without a name")?;
        let expected = std::fs::read_to_string(reference.path().join(name))?;
        let actual = std::fs::read_to_string(&path)?;
        assert!(actual == expected, "{} differs between the engines", path.display());
        compared += 1;
    }
    assert_eq!(compared, 7);
    Ok(())
}

#[test]
fn json_reports_job_metrics() -> TestResult {
    let output = seg(&[
        "eval",
        "--profiles",
        "testdata/cdnow/profiles.parquet",
        "--definitions",
        "testdata/cdnow/segments",
        "--now",
        NOW,
        "--json",
    ])?;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let job: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(job["status"], "SUCCEEDED");
    assert_eq!(job["metrics"]["totalProfiles"], 23_570);
    let counter = job["metrics"]["segmentedProfileCounter"].as_object().ok_or("no segmentedProfileCounter")?;
    assert_eq!(counter.len(), 7);
    let by_namespace = &job["metrics"]["segmentedProfileByNamespaceCounter"]["frequent-buyers"]["CRMID"];
    assert_eq!(by_namespace, &counter["frequent-buyers"]);
    Ok(())
}
