//! `seg generate` and `seg bench` on a small generated file.

use std::path::Path;
use std::process::{Command, Output};

fn seg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seg")).args(args).output().expect("failed to start seg")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn definitions_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/definitions").display().to_string()
}

fn bench_json(profiles: &str, extra: &[&str]) -> serde_json::Value {
    let directory = definitions_dir();
    let mut args = vec!["bench", "--profiles", profiles, "--definitions", &directory];
    args.extend(["--now", "2025-01-01T00:00:00Z", "--runs", "1", "--json"]);
    args.extend(extra);
    serde_json::from_str(&stdout(&seg(&args))).unwrap()
}

#[test]
fn generate_then_bench() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("profiles.parquet");
    let file = file.to_str().unwrap();
    let output = stdout(&seg(&["generate", "--profiles", "3000", "--seed", "4", "--row-group-size", "1000", "--out", file]));
    assert!(output.starts_with("wrote 3000 profiles with "), "{output}");
    assert!(output.contains(" in 3 row groups "), "{output}");

    let projected = bench_json(file, &["--each"]);
    let all_fields = bench_json(file, &["--all-columns"]);
    let jobs = projected["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 11, "the job of all definitions and one per definition");
    assert_eq!(jobs[0]["profiles"], 3000);
    assert_eq!(jobs[0]["members"], all_fields["jobs"][0]["members"], "decoding fewer fields changed the members");
    let members = jobs[0]["members"].as_array().unwrap();
    assert!(members.iter().all(|pair| pair[1].as_u64().unwrap() > 0), "a definition has no members: {members:?}");
    assert!(projected["peakRssBytes"].as_u64().unwrap() > 0);
    let read = jobs[0]["medianReadSeconds"].as_f64().unwrap();
    assert!(read > 0.0, "no time spent reading");
    assert!(read <= jobs[0]["medianSeconds"].as_f64().unwrap(), "reading took longer than the whole run");

    for job in &jobs[1..] {
        let id = job["job"].as_str().unwrap();
        let alone = job["members"].as_array().unwrap().iter().find(|pair| pair[0] == id).unwrap();
        let together = members.iter().find(|pair| pair[0] == id).unwrap();
        assert_eq!(alone, together, "{id} alone differs from the whole job");
    }
}

#[test]
fn generate_rejects_negative_mean() {
    let output = seg(&["generate", "--profiles", "10", "--mean-events=-2", "--out", "unused.parquet"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid generator option mean_events = -2"), "{stderr}");
}
