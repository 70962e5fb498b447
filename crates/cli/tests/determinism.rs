//! Determinism: the CDNOW segments evaluated with 1, 2 and 8 threads and batch sizes of 1, 7,
//! 1024 and 65536 profiles give the same member bitmaps, the same job metrics counts and the
//! same export file.
//!
//! The member bitmaps come from the engine run inside a local rayon pool of each size. Jobs and
//! exports run in `seg` processes, whose global rayon pool takes its size from
//! `RAYON_NUM_THREADS`. The whole test takes about a minute in a debug build, mostly for
//! batches of one profile.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;

use roaring::RoaringBitmap;
use seg_eval::EvalContext;
use seg_service::engine::{self, RunOptions};

mod common;

use common::copy_dir;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const THREADS: [usize; 3] = [1, 2, 8];
const BATCH_SIZES: [usize; 4] = [1, 7, 1024, 65_536];
const NOW: &str = "1998-07-01T00:00:00Z";
/// Segments of the export. `bulk-cd-buyers` comes from a `.json` definition.
const EXPORTED: &str = "big-spenders,lapsed-customers,bulk-cd-buyers";

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative)
}

fn seg(args: &[&str], threads: usize) -> Result<String, Box<dyn std::error::Error>> {
    let output = Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .current_dir(repo_path(""))
        .output()?;
    if !output.status.success() {
        return Err(format!("seg {args:?} failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// Evaluates every CDNOW segment in a local pool of `threads` threads.
fn member_bitmaps(threads: usize, batch_size: usize) -> Result<Vec<(String, RoaringBitmap)>, Box<dyn std::error::Error>> {
    let definitions = seg_service::load_definition_dir(&repo_path("testdata/cdnow/segments"))?;
    let options = seg_io::ReadOptions { batch_size, ..seg_io::ReadOptions::default() };
    let reader = seg_io::open(&repo_path("testdata/cdnow/profiles.parquet"), &options)?;
    let segments = engine::compile(definitions, &reader.schema()).map_err(|errors| errors.join("\n"))?;
    let context = EvalContext { now: NOW.parse::<jiff::Timestamp>()?.as_microsecond() };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let batches = reader.map(|batch| batch.map_err(|e| e.to_string()));
    let outcome = pool.install(|| engine::run(batches, &segments, &context, RunOptions::default(), |_| ControlFlow::Continue(())))?;
    let ids = segments.iter().map(|segment| segment.definition.id.clone());
    Ok(ids.zip(outcome.members).collect())
}

/// Creates a workspace holding every CDNOW definition.
fn workspace_with_definitions(dir: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let workspace = dir.join("definitions");
    let text = workspace.to_str().ok_or("temporary path is not UTF-8")?;
    for entry in std::fs::read_dir(repo_path("testdata/cdnow/segments"))? {
        let path = entry?.path();
        let file = path.to_str().ok_or("path is not UTF-8")?;
        match path.extension().and_then(|e| e.to_str()) {
            Some("pql") => {
                let id = path.file_stem().and_then(|s| s.to_str()).ok_or("no file stem")?;
                seg(&["definition", "create", "--workspace", text, "--file", file, "--id", id], 1)?;
            }
            Some("json") => {
                seg(&["definition", "create", "--workspace", text, "--file", file], 1)?;
            }
            _ => {}
        }
    }
    Ok(workspace)
}

/// Runs a job and an export and returns the job's metric counts and the export file.
fn job_and_export(pristine: &Path, run_dir: &Path, threads: usize, batch_size: usize) -> Result<(serde_json::Value, String), Box<dyn std::error::Error>> {
    copy_dir(pristine, run_dir)?;
    let workspace = run_dir.to_str().ok_or("temporary path is not UTF-8")?;
    let batch = batch_size.to_string();
    let profiles = "testdata/cdnow/profiles.parquet";
    let job = seg(&["job", "run", "--workspace", workspace, "--profiles", profiles, "--segments", "*", "--now", NOW, "--batch-size", &batch, "--json"], threads)?;
    let job: serde_json::Value = serde_json::from_str(&job)?;
    assert_eq!(job["status"], "SUCCEEDED", "{threads} threads, batch size {batch_size}");
    let mut metrics = job["metrics"].clone();
    let object = metrics.as_object_mut().ok_or("job metrics are not an object")?;
    // Times differ between runs; every count must not.
    object.remove("totalTime");
    object.remove("profileSegmentationTime");

    let out = run_dir.join("export.ndjson");
    let out_text = out.to_str().ok_or("temporary path is not UTF-8")?;
    let export = ["export", "--workspace", workspace, "--profiles", profiles, "--segments", EXPORTED, "--format", "ndjson"];
    seg(&[&export[..], &["--batch-size", &batch, "--out", out_text]].concat(), threads)?;
    Ok((metrics, std::fs::read_to_string(&out)?))
}

#[test]
fn results_do_not_depend_on_threads_or_batches() -> TestResult {
    let dir = tempfile::tempdir()?;
    let pristine = workspace_with_definitions(dir.path())?;
    let mut first: Option<(Vec<(String, RoaringBitmap)>, serde_json::Value, String)> = None;

    for threads in THREADS {
        for batch_size in BATCH_SIZES {
            let bitmaps = member_bitmaps(threads, batch_size)?;
            let run_dir = dir.path().join(format!("run-{threads}-{batch_size}"));
            let (metrics, export) = job_and_export(&pristine, &run_dir, threads, batch_size)?;
            std::fs::remove_dir_all(&run_dir)?;

            let Some((expected_bitmaps, expected_metrics, expected_export)) = &first else {
                assert_eq!(bitmaps.len(), 7, "one bitmap per CDNOW segment");
                assert!(bitmaps.iter().all(|(_, members)| !members.is_empty()), "every CDNOW segment has members");
                assert!(metrics["totalProfiles"] == 23_570, "{metrics}");
                assert!(export.lines().count() > 1000, "the export has {} lines", export.lines().count());
                first = Some((bitmaps, metrics, export));
                continue;
            };
            let label = format!("{threads} threads, batch size {batch_size}");
            assert_eq!(&bitmaps, expected_bitmaps, "member bitmaps with {label}");
            assert_eq!(&metrics, expected_metrics, "job metrics with {label}");
            assert!(&export == expected_export, "export file with {label} differs");
        }
    }
    Ok(())
}
