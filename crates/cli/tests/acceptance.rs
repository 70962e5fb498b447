//! The end-to-end acceptance run of the segmentation service on the bundled CDNOW profiles,
//! through the `seg` binary. It saves every bundled definition and checks segment jobs at two
//! evaluation times against bitmap algebra. Then it pages through a stored preview, reads its
//! estimate, and reads back an export in each format.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use roaring::RoaringBitmap;
use seg_service::{MembershipStatus, PreviewRequest, Target, Workspace};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const PROFILES: &str = "testdata/cdnow/profiles.parquet";
const MARCH: &str = "1998-03-01T00:00:00Z";
const JULY: &str = "1998-07-01T00:00:00Z";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn seg(args: &[&str]) -> Result<Output, std::io::Error> {
    Command::new(env!("CARGO_BIN_EXE_seg")).args(args).current_dir(repo_root()).output()
}

/// Runs `seg` and parses its stdout as JSON, failing with stderr when it exits non-zero.
fn seg_json(args: &[&str]) -> Result<Value, Box<dyn std::error::Error>> {
    let output = seg(args)?;
    if !output.status.success() {
        return Err(format!("seg {args:?} failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// Saves every bundled definition; a `.pql` file gets its stem as id, so `inSegment` works.
fn save_definitions(workspace: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut ids = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("testdata/cdnow/segments"))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    for file in files {
        let file_text = file.to_str().ok_or("definition path is not UTF-8")?;
        let stem = file.file_stem().and_then(|s| s.to_str()).ok_or("definition name is not UTF-8")?;
        let mut args = vec!["definition", "create", "--workspace", workspace, "--file", file_text, "--json"];
        if file.extension().is_some_and(|ext| ext == "pql") {
            args.extend(["--id", stem]);
        }
        let created = seg_json(&args)?;
        let id = created["id"].as_str().ok_or("created definition has no id")?.to_string();
        assert_eq!(created["evaluationInfo"]["batch"]["enabled"], true, "{created}");
        ids.push(id);
    }
    Ok(ids)
}

/// Evaluates one saved definition at `now` through the library preview, as the set of rows
/// that qualify. This is an evaluation independent of the segment job.
fn members_at(workspace: &Workspace, id: &str, now: &str) -> Result<RoaringBitmap, Box<dyn std::error::Error>> {
    let request = PreviewRequest {
        profiles: repo_root().join(PROFILES),
        target: Target::Definition(id.to_string()),
        now: now.parse::<jiff::Timestamp>()?.as_microsecond(),
        offset: 0,
        limit: usize::MAX,
        fields: Vec::new(),
        batch_size: 8192,
        skip_bad_lines: false,
    };
    let response = seg_service::preview(&request, Some(workspace))?;
    let ids = profile_keys(&response.results)?;
    Ok(ids)
}

/// Turns the numeric CDNOW `_id` values of preview results into a bitmap.
fn profile_keys(results: &[serde_json::Map<String, Value>]) -> Result<RoaringBitmap, Box<dyn std::error::Error>> {
    let mut keys = RoaringBitmap::new();
    for result in results {
        let id = result.get("_id").and_then(Value::as_str).ok_or("result without _id")?;
        keys.insert(id.parse::<u32>()?);
    }
    Ok(keys)
}

#[test]
fn cdnow_service_end_to_end() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace_path = dir.path().join("ws");
    let workspace = workspace_path.to_str().ok_or("temporary path is not UTF-8")?;
    let ids = save_definitions(workspace)?;
    assert_eq!(ids.len(), 7);

    let march = seg_json(&["job", "run", "--workspace", workspace, "--profiles", PROFILES, "--segments", "*", "--now", MARCH, "--json"])?;
    let july = seg_json(&["job", "run", "--workspace", workspace, "--profiles", PROFILES, "--segments", "*", "--now", JULY, "--json"])?;
    assert_eq!(march["status"], "SUCCEEDED");
    assert_eq!(july["status"], "SUCCEEDED");
    assert_eq!(july["metrics"]["totalProfiles"], 23_570);

    // Realized and exited counts against the stored bitmaps and against an independent
    // evaluation at both times: realized = |July|, exited = |March − July|.
    {
        let opened = Workspace::open(&workspace_path)?;
        let mut exits = 0;
        for id in &ids {
            let counts = &july["metrics"]["segmentedProfileByStatusCounter"][id];
            let realized = counts["realized"].as_u64().ok_or("no realized count")?;
            let exited = counts["exited"].as_u64().ok_or("no exited count")?;
            let stored = opened.memberships(id)?;
            assert_eq!(realized, stored.realized.len(), "{id}");
            assert_eq!(exited, (&stored.previous - &stored.realized).len(), "{id}");

            let before = members_at(&opened, id, MARCH)?;
            let after = members_at(&opened, id, JULY)?;
            assert_eq!(realized, after.len(), "{id}");
            assert_eq!(exited, (&before - &after).len(), "{id}");
            assert_eq!(july["metrics"]["segmentedProfileCounter"][id].as_u64(), Some(after.len()), "{id}");
            let exited_ids: RoaringBitmap = opened
                .membership_map(id)?
                .into_iter()
                .filter(|(_, membership)| membership.status == MembershipStatus::Exited)
                .map(|(profile, _)| profile.parse::<u32>())
                .collect::<Result<_, _>>()?;
            assert_eq!(exited_ids, &before - &after, "{id}");
            exits += exited;
        }
        assert!(exits > 0, "no segment lost members between March and July");
    }

    // A stored preview of a saved definition, paged through by id.
    let first = seg_json(&[
        "preview", "--profiles", PROFILES, "--workspace", workspace, "--definition", "lapsed-customers", "--now", JULY, "--limit", "700",
        "--json",
    ])?;
    let preview_id = first["previewId"].as_str().ok_or("no previewId")?.to_string();
    let total = first["page"]["totalCount"].as_u64().ok_or("no totalCount")?;
    let mut paged: Vec<String> = Vec::new();
    let mut offset = 0u64;
    while offset < total {
        let page = seg_json(&["preview", "get", "--workspace", workspace, &preview_id, "--offset", &offset.to_string(), "--limit", "700", "--json"])?;
        let results = page["results"].as_array().ok_or("no results")?;
        assert!(!results.is_empty(), "empty page at offset {offset}");
        assert_eq!(page["page"]["offset"].as_u64(), Some(offset));
        paged.extend(results.iter().filter_map(|result| result["_id"].as_str().map(str::to_string)));
        offset += results.len() as u64;
    }
    let realized_ids: BTreeSet<String> = {
        let opened = Workspace::open(&workspace_path)?;
        opened.membership_map("lapsed-customers")?.into_iter().filter(|(_, m)| m.status == MembershipStatus::Realized).map(|(id, _)| id).collect()
    };
    let mut sorted = paged.clone();
    sorted.sort();
    assert_eq!(paged, sorted, "preview pages are not in row order");
    assert_eq!(paged.into_iter().collect::<BTreeSet<_>>(), realized_ids);

    let estimate = seg_json(&["estimate", "get", "--workspace", workspace, &preview_id, "--json"])?;
    assert_eq!(estimate["estimatedSize"].as_u64(), Some(total));
    assert_eq!(estimate["standardError"], 0.0);
    assert_eq!(estimate["confidenceInterval"], "95%");
    let deleted = seg_json(&["preview", "delete", "--workspace", workspace, &preview_id])?;
    assert_eq!(deleted["message"], "KILLED");

    // Exports of the realized members in each format, read back.
    for format in ["parquet", "ndjson", "csv"] {
        let out = dir.path().join(format!("lapsed.{format}"));
        let out_text = out.to_str().ok_or("temporary path is not UTF-8")?;
        let export = seg_json(&[
            "export", "--workspace", workspace, "--profiles", PROFILES, "--segments", "lapsed-customers", "--format", format,
            "--fields", "identityMap", "--out", out_text, "--json",
        ])?;
        assert_eq!(export["status"], "SUCCEEDED", "{format}");
        assert_eq!(export["metrics"]["totalExportedProfileCounter"].as_u64(), Some(realized_ids.len() as u64), "{format}");
        assert_eq!(read_back_ids(&out, format)?, realized_ids, "{format}");
    }
    let exports = seg_json(&["export", "list", "--workspace", workspace, "--status", "succeeded", "--json"])?;
    assert_eq!(exports["page"]["totalCount"], 3);
    Ok(())
}

/// Reads the `_id` of every exported row.
fn read_back_ids(path: &Path, format: &str) -> Result<BTreeSet<String>, Box<dyn std::error::Error>> {
    let mut ids = BTreeSet::new();
    match format {
        "parquet" => {
            for batch in seg_io::open(path, &seg_io::ReadOptions::default())? {
                let batch = batch?;
                let column = batch.column_by_name("_id").ok_or("no _id column")?;
                let strings = arrow::array::AsArray::as_string_opt::<i32>(column.as_ref()).ok_or("_id is not a string column")?;
                ids.extend(strings.iter().flatten().map(str::to_string));
            }
        }
        "ndjson" => {
            for line in std::fs::read_to_string(path)?.lines() {
                let row: Value = serde_json::from_str(line)?;
                ids.insert(row["_id"].as_str().ok_or("row without _id")?.to_string());
            }
        }
        _ => {
            let text = std::fs::read_to_string(path)?;
            let mut lines = text.lines();
            let header = lines.next().ok_or("empty CSV file")?;
            assert!(header.starts_with("_id,"), "{header}");
            for line in lines {
                ids.insert(line.split(',').next().unwrap_or_default().to_string());
            }
        }
    }
    Ok(ids)
}
