//! Export jobs over the CDNOW memberships: each format read back, status and time filters,
//! one file per segment, and cancellation without output.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use arrow::array::AsArray;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use seg_service::{
    Engine, ExportFormat, ExportRequest, JobRequest, JobStatus, MembershipStatus, SegmentDefinition, ServiceError, Workspace,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn profiles() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cdnow/profiles.parquet")
}

/// Opens a workspace with `lapsed-customers` evaluated in March and July 1998.
fn evaluated_workspace(dir: &Path) -> Result<Arc<Workspace>, Box<dyn std::error::Error>> {
    let workspace = Arc::new(Workspace::open(dir)?);
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cdnow/segments/lapsed-customers.pql"))?;
    let mut definition = SegmentDefinition::new("lapsed-customers", text);
    definition.id = "lapsed-customers".to_string();
    workspace.create_definition(definition)?;
    for now in ["1998-03-01T00:00:00Z", "1998-07-01T00:00:00Z"] {
        let request = JobRequest {
            profiles: profiles(),
            segments: vec!["*".to_string()],
            now: now.parse::<jiff::Timestamp>()?.as_microsecond(),
            engine: Engine::Columnar,
            batch_size: 4096,
            skip_bad_lines: false,
        };
        workspace.start_job(request)?.wait()?;
    }
    Ok(workspace)
}

fn members_with(workspace: &Workspace, status: MembershipStatus) -> Result<BTreeSet<String>, ServiceError> {
    let stored = workspace.membership_map("lapsed-customers")?;
    Ok(stored.into_iter().filter(|(_, m)| m.status == status).map(|(id, _)| id).collect())
}

fn request(out: PathBuf, format: ExportFormat) -> ExportRequest {
    ExportRequest {
        profiles: profiles(),
        segments: vec!["lapsed-customers".to_string()],
        statuses: vec![MembershipStatus::Realized],
        qualified_from: None,
        qualified_until: None,
        fields: vec!["identityMap".to_string()],
        empty_profiles: false,
        format,
        out,
        segment_per_batch: false,
        batch_size: 4096,
        skip_bad_lines: false,
        properties: None,
    }
}

fn parquet_ids(path: &Path) -> Result<BTreeSet<String>, Box<dyn std::error::Error>> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?.build()?;
    let mut ids = BTreeSet::new();
    for batch in reader {
        let batch = batch?;
        let column = batch.column_by_name("_id").ok_or("no _id column")?;
        ids.extend(column.as_string::<i32>().iter().flatten().map(str::to_string));
    }
    Ok(ids)
}

#[test]
fn every_format_reads_back() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = evaluated_workspace(&dir.path().join("ws"))?;
    let realized = members_with(&workspace, MembershipStatus::Realized)?;
    let cancel = AtomicBool::new(false);

    let parquet = dir.path().join("out/members.parquet");
    let job = workspace.run_export(&request(parquet.clone(), ExportFormat::Parquet), &cancel)?;
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(job.metrics.total_exported_profile_counter, realized.len() as u64);
    assert_eq!(job.metrics.exported_profile_by_namespace_counter.get("CRMID"), Some(&(realized.len() as u64)));
    let export_time = &job.metrics.profile_export_time;
    assert!(export_time.total_time_in_ms.is_some_and(|ms| ms >= 0), "{export_time:?}");
    assert_eq!(parquet_ids(&parquet)?, realized);

    let ndjson = dir.path().join("out/members.ndjson");
    workspace.run_export(&request(ndjson.clone(), ExportFormat::Ndjson), &cancel)?;
    let mut ndjson_ids = BTreeSet::new();
    for line in std::fs::read_to_string(&ndjson)?.lines() {
        let row: serde_json::Value = serde_json::from_str(line)?;
        assert!(row["identityMap"]["CRMID"].is_array(), "{row}");
        ndjson_ids.insert(row["_id"].as_str().ok_or("no _id")?.to_string());
    }
    assert_eq!(ndjson_ids, realized);

    let csv = dir.path().join("out/members.csv");
    workspace.run_export(&request(csv.clone(), ExportFormat::Csv), &cancel)?;
    let text = std::fs::read_to_string(&csv)?;
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("_id,identityMap"));
    let csv_ids: BTreeSet<String> = lines.filter_map(|line| line.split(',').next()).map(str::to_string).collect();
    assert_eq!(csv_ids, realized);
    Ok(())
}

#[test]
fn exited_status_and_time_window_filter() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = evaluated_workspace(&dir.path().join("ws"))?;
    let exited = members_with(&workspace, MembershipStatus::Exited)?;
    let out = dir.path().join("exited.parquet");
    let mut exited_request = request(out.clone(), ExportFormat::Parquet);
    exited_request.statuses = vec![MembershipStatus::Exited];
    workspace.run_export(&exited_request, &AtomicBool::new(false))?;
    assert_eq!(parquet_ids(&out)?, exited);

    // Every realized member that stayed since March qualified before April, so the window
    // from April on keeps only those that entered in July.
    let recent = dir.path().join("recent.parquet");
    let mut window_request = request(recent.clone(), ExportFormat::Parquet);
    window_request.qualified_from = Some("1998-04-01T00:00:00Z".parse::<jiff::Timestamp>()?.as_microsecond());
    workspace.run_export(&window_request, &AtomicBool::new(false))?;
    let stored = workspace.membership_map("lapsed-customers")?;
    let entered_in_july: BTreeSet<String> = stored
        .into_iter()
        .filter(|(_, m)| m.status == MembershipStatus::Realized && m.last_qualification_time == "1998-07-01T00:00:00Z")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(parquet_ids(&recent)?, entered_in_july);
    Ok(())
}

#[test]
fn segment_per_batch_writes_one_file_each() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = evaluated_workspace(&dir.path().join("ws"))?;
    let out = dir.path().join("per-segment");
    let mut per_segment = request(out.clone(), ExportFormat::Ndjson);
    per_segment.segment_per_batch = true;
    workspace.run_export(&per_segment, &AtomicBool::new(false))?;
    let lines = std::fs::read_to_string(out.join("lapsed-customers.ndjson"))?.lines().count();
    assert_eq!(lines, members_with(&workspace, MembershipStatus::Realized)?.len());
    Ok(())
}

#[test]
fn cancelled_export_writes_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = evaluated_workspace(&dir.path().join("ws"))?;
    let out = dir.path().join("out");
    let job = workspace.run_export(&request(out.join("members.csv"), ExportFormat::Csv), &AtomicBool::new(true))?;
    assert_eq!(job.status, JobStatus::Cancelled);
    let left: Vec<_> = std::fs::read_dir(&out)?.collect();
    assert_eq!(left.len(), 0);
    Ok(())
}

#[test]
fn unknown_field_path_fails() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = evaluated_workspace(&dir.path().join("ws"))?;
    let mut bad = request(dir.path().join("bad.csv"), ExportFormat::Csv);
    bad.fields = vec!["person.nmae".to_string()];
    let error = workspace.run_export(&bad, &AtomicBool::new(false)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.starts_with("invalid field \"person.nmae\""), "{error}");
    assert!(!dir.path().join("bad.csv").exists());
    Ok(())
}

#[test]
fn segment_membership_column_in_each_format() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = evaluated_workspace(&dir.path().join("ws"))?;
    let memberships = workspace.membership_map("lapsed-customers")?;

    let ndjson = dir.path().join("members.ndjson");
    let mut with_map = request(ndjson.clone(), ExportFormat::Ndjson);
    with_map.fields = vec!["segmentMembership".to_string()];
    with_map.statuses = vec![MembershipStatus::Realized, MembershipStatus::Exited];
    workspace.run_export(&with_map, &AtomicBool::new(false))?;
    let text = std::fs::read_to_string(&ndjson)?;
    assert_eq!(text.lines().count(), memberships.len());
    for line in text.lines() {
        let row: serde_json::Value = serde_json::from_str(line)?;
        let id = row["_id"].as_str().ok_or("row without _id")?;
        let entry = &row["segmentMembership"]["ups"]["lapsed-customers"];
        let expected = &memberships[id];
        assert_eq!(entry["lastQualificationTime"], expected.last_qualification_time.as_str(), "{id}");
        assert_eq!(entry["status"], serde_json::to_value(expected.status)?, "{id}");
    }

    let csv = dir.path().join("members.csv");
    let mut csv_request = request(csv.clone(), ExportFormat::Csv);
    csv_request.fields = vec!["segmentMembership".to_string()];
    workspace.run_export(&csv_request, &AtomicBool::new(false))?;
    let csv_text = std::fs::read_to_string(&csv)?;
    assert_eq!(csv_text.lines().next(), Some("_id,segmentMembership.ups"));

    let parquet = dir.path().join("all.parquet");
    let mut all_fields = request(parquet.clone(), ExportFormat::Parquet);
    all_fields.fields = Vec::new();
    workspace.run_export(&all_fields, &AtomicBool::new(false))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&parquet)?)?;
    let names: Vec<String> = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names.last().map(String::as_str), Some("segmentMembership"), "{names:?}");
    assert_eq!(parquet_ids(&parquet)?, members_with(&workspace, MembershipStatus::Realized)?);
    Ok(())
}
