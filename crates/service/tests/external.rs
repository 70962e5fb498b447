//! External audiences: CSV import, ingestion runs, validity and use through `inSegment` in a job.

mod common;

use std::path::Path;
use std::sync::Arc;

use seg_service::audience::{LifecycleState, NewExternalAudience, RunStatus};
use std::sync::atomic::AtomicBool;

use seg_service::{
    Engine, EstimateRequest, ExportFormat, ExportRequest, JobRequest, MembershipStatus, PreviewRequest, SamplingPolicy, SegmentDefinition,
    Target, Workspace, estimate, preview,
};

use common::{time, write_profiles};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const VIP_CSV: &str = "email,tier\nann@example.com,gold\ndan@example.com,silver\n,bronze\nzed@example.com,gold\n";

fn new_vip(ttl: Option<u32>) -> NewExternalAudience {
    NewExternalAudience {
        id: Some("vip-upload".to_string()),
        name: "VIP upload".to_string(),
        identity_column: "email".to_string(),
        identity_namespace: "email".to_string(),
        ttl_in_days: ttl,
        ..NewExternalAudience::default()
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::io::Result<std::path::PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    Ok(path)
}

fn job(workspace: &Arc<Workspace>, profiles: &Path, now: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let request = JobRequest {
        profiles: profiles.to_path_buf(),
        segments: vec!["adult-vips".to_string()],
        now: time(now).as_microsecond(),
        engine: Engine::Columnar,
        batch_size: 2,
        skip_bad_lines: false,
    };
    workspace.start_job(request)?.wait()?;
    let stored = workspace.membership_map("adult-vips")?;
    Ok(stored.into_iter().filter(|(_, m)| m.status == MembershipStatus::Realized).map(|(id, _)| id).collect())
}

#[test]
fn csv_import_records_run_and_members() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(&dir.path().join("ws"))?;
    let csv = write(dir.path(), "vip.csv", VIP_CSV)?;
    let now = time("2026-01-10T00:00:00Z");
    let (audience, run) = workspace.create_external_audience(new_vip(None), &csv, now)?;
    assert_eq!(audience.ttl_in_days, 30);
    assert_eq!(audience.lifecycle_state, LifecycleState::Published);
    assert_eq!(audience.namespace, "CustomerAudienceUpload");
    assert_eq!(run.status, RunStatus::Success);
    assert_eq!((run.rows_read, run.rows_skipped, run.member_count), (4, 1, 3));
    let stages: Vec<&str> = run.details.iter().map(|d| d.stage.as_str()).collect();
    assert_eq!(stages, ["DATASET_INGEST", "PROFILE_STORE_INGEST"]);

    let members = workspace.external_members("vip-upload")?;
    let ann = &members.members["ann@example.com"];
    assert_eq!(ann.status, MembershipStatus::Realized);
    assert_eq!(ann.valid_until, "2026-02-09T00:00:00Z");
    assert_eq!(ann.payload["tier"], "gold");
    assert!(!ann.payload.contains_key("email"));

    let view = serde_json::to_value(workspace.audience("vip-upload")?)?;
    assert_eq!(view["type"], "ExternalSegment");
    assert_eq!(view["originName"], "CUSTOM_UPLOAD");
    Ok(())
}

#[test]
fn external_audience_in_a_job_through_in_segment() -> TestResult {
    let dir = tempfile::tempdir()?;
    let profiles = write_profiles(dir.path())?;
    let workspace = Arc::new(Workspace::open(&dir.path().join("ws"))?);
    let csv = write(dir.path(), "vip.csv", VIP_CSV)?;
    workspace.create_external_audience(new_vip(Some(10)), &csv, time("2026-01-10T00:00:00Z"))?;
    let mut definition = SegmentDefinition::new("adult VIPs", r#"inSegment("vip-upload") and person.age >= 18"#);
    definition.id = "adult-vips".to_string();
    workspace.create_definition(definition)?;

    assert_eq!(job(&workspace, &profiles, "2026-01-15T00:00:00Z")?, ["p1"]);
    let last = workspace.jobs()?.into_iter().next().ok_or("a job")?;
    assert!(!last.metrics.segmented_profile_counter.contains_key("vip-upload"), "external memberships are not rewritten");
    assert_eq!(workspace.audience("vip-upload")?.dependents, ["adult-vips"]);

    // After `validUntil`, the import no longer counts.
    assert!(job(&workspace, &profiles, "2026-01-21T00:00:00Z")?.is_empty());

    // A differential run adds bob and renews ann.
    let more = write(dir.path(), "more.csv", "email,tier\nbob@example.com,gold\nann@example.com,gold\n")?;
    let run = workspace.ingest_external("vip-upload", &more, true, time("2026-01-20T00:00:00Z"))?;
    assert_eq!(run.member_count, 4);
    assert_eq!(job(&workspace, &profiles, "2026-01-21T00:00:00Z")?, ["p1", "p2"]);

    // A full run replaces the members.
    let only_bob = write(dir.path(), "bob.csv", "email,tier\nbob@example.com,gold\n")?;
    workspace.ingest_external("vip-upload", &only_bob, false, time("2026-01-20T00:00:00Z"))?;
    assert_eq!(job(&workspace, &profiles, "2026-01-22T00:00:00Z")?, ["p2"]);

    let message = workspace.delete_audience("vip-upload").err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        message,
        "audience `vip-upload` cannot be deleted: `adult-vips` reads it through inSegment; delete `adult-vips` or remove that reference first"
    );
    Ok(())
}

#[test]
fn external_audience_in_preview_and_estimate() -> TestResult {
    let dir = tempfile::tempdir()?;
    let profiles = write_profiles(dir.path())?;
    let workspace = Arc::new(Workspace::open(&dir.path().join("ws"))?);
    let csv = write(dir.path(), "vip.csv", VIP_CSV)?;
    workspace.create_external_audience(new_vip(Some(10)), &csv, time("2026-01-10T00:00:00Z"))?;
    let now = time("2026-01-15T00:00:00Z").as_microsecond();
    let target = Target::Expression(r#"inSegment("vip-upload")"#.to_string());

    let request = PreviewRequest {
        profiles: profiles.clone(),
        target: target.clone(),
        now,
        offset: 0,
        limit: 10,
        fields: Vec::new(),
        batch_size: 2,
        skip_bad_lines: false,
    };
    let page = preview(&request, Some(&workspace))?;
    let ids: Vec<&str> = page.results.iter().filter_map(|result| result["_id"].as_str()).collect();
    assert_eq!(ids, ["p1", "p4"]);

    let stored = workspace.create_preview(&request, &SamplingPolicy::default())?;
    assert_eq!(stored.page.total_count, 2);

    let request = EstimateRequest { profiles, target, now, batch_size: 2, skip_bad_lines: false, policy: SamplingPolicy::default() };
    assert_eq!(estimate(&request, Some(&workspace))?.estimated_size, 2);

    // Without the workspace, the audience is unknown.
    let message = estimate(&request, None).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("vip-upload"), "{message}");
    Ok(())
}

fn export_request(profiles: &Path, segments: &[&str], out: &Path, statuses: Vec<MembershipStatus>) -> ExportRequest {
    ExportRequest {
        profiles: profiles.to_path_buf(),
        segments: segments.iter().map(|id| id.to_string()).collect(),
        statuses,
        qualified_from: None,
        qualified_until: None,
        fields: Vec::new(),
        empty_profiles: false,
        format: ExportFormat::Ndjson,
        out: out.to_path_buf(),
        segment_per_batch: false,
        batch_size: 2,
        skip_bad_lines: false,
        properties: None,
    }
}

fn lines(path: &Path) -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().map(serde_json::from_str).collect::<Result<_, _>>()?)
}

#[test]
fn external_audience_export_writes_payload() -> TestResult {
    let dir = tempfile::tempdir()?;
    let profiles = write_profiles(dir.path())?;
    let workspace = Arc::new(Workspace::open(&dir.path().join("ws"))?);
    let csv = write(dir.path(), "vip.csv", VIP_CSV)?;
    // Imported long ago, so every member has lapsed by now.
    workspace.create_external_audience(new_vip(Some(1)), &csv, time("2020-01-10T00:00:00Z"))?;
    let recent = write(dir.path(), "recent.csv", "email,tier,region\nbob@example.com,gold,EU\n")?;
    workspace.ingest_external("vip-upload", &recent, true, jiff::Timestamp::now())?;

    let out = dir.path().join("realized.ndjson");
    let job = workspace.run_export(&export_request(&profiles, &["vip-upload"], &out, vec![MembershipStatus::Realized]), &AtomicBool::new(false))?;
    let rows = lines(&out)?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["identity"], "bob@example.com");
    assert_eq!(rows[0]["identityNamespace"], "email");
    assert_eq!(rows[0]["status"], "realized");
    assert_eq!(rows[0]["payload"]["tier"], "gold");
    assert_eq!(rows[0]["payload"]["region"], "EU");
    assert_eq!(job.metrics.total_exported_profile_counter, 1);
    assert_eq!(job.metrics.exported_profile_by_namespace_counter["email"], 1);

    let out = dir.path().join("exited.ndjson");
    let mut request = export_request(&profiles, &["vip-upload"], &out, vec![MembershipStatus::Exited]);
    request.fields = vec!["payload.tier".to_string()];
    workspace.run_export(&request, &AtomicBool::new(false))?;
    let rows = lines(&out)?;
    let identities: Vec<&str> = rows.iter().filter_map(|row| row["identity"].as_str()).collect();
    assert_eq!(identities, ["ann@example.com", "dan@example.com", "zed@example.com"]);
    assert_eq!(rows[1]["payload"]["tier"], "silver");
    assert!(rows[1].get("status").is_none(), "only the named fields and identity: {}", rows[1]);

    request.fields = vec!["tier".to_string()];
    let message = workspace.run_export(&request, &AtomicBool::new(false)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("\"tier\""), "{message}");
    assert!(message.contains("payload.tier"), "{message}");
    Ok(())
}

#[test]
fn external_export_needs_its_own_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let profiles = write_profiles(dir.path())?;
    let workspace = Arc::new(Workspace::open(&dir.path().join("ws"))?);
    let csv = write(dir.path(), "vip.csv", VIP_CSV)?;
    workspace.create_external_audience(new_vip(None), &csv, jiff::Timestamp::now())?;
    let mut definition = SegmentDefinition::new("adults", "person.age >= 18");
    definition.id = "adults".to_string();
    workspace.create_definition(definition)?;
    let now = jiff::Timestamp::now().as_microsecond();
    let request = JobRequest { profiles: profiles.clone(), segments: vec!["adults".to_string()], now, engine: Engine::Columnar, batch_size: 2, skip_bad_lines: false };
    workspace.start_job(request)?.wait()?;

    let out = dir.path().join("both.ndjson");
    let mut request = export_request(&profiles, &["adults", "vip-upload"], &out, vec![MembershipStatus::Realized]);
    let message = workspace.run_export(&request, &AtomicBool::new(false)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("--segment-per-batch"), "{message}");
    assert!(!out.exists());

    request.segment_per_batch = true;
    request.out = dir.path().join("per-segment");
    let job = workspace.run_export(&request, &AtomicBool::new(false))?;
    assert_eq!(lines(&request.out.join("adults.ndjson"))?.len(), 3);
    assert_eq!(lines(&request.out.join("vip-upload.ndjson"))?.len(), 3);
    assert_eq!(job.metrics.total_exported_profile_counter, 6);
    Ok(())
}

#[test]
fn ttl_and_columns_are_checked() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(&dir.path().join("ws"))?;
    let csv = write(dir.path(), "vip.csv", VIP_CSV)?;
    let now = time("2026-01-10T00:00:00Z");
    for ttl in [0, 91] {
        let message = workspace.create_external_audience(new_vip(Some(ttl)), &csv, now).err().map(|e| e.to_string());
        assert_eq!(message, Some(format!("invalid ttlInDays \"{ttl}\": a whole number of days from 1 to 90; the default is 30")));
    }
    let mut wrong_column = new_vip(None);
    wrong_column.identity_column = "mail".to_string();
    let message = workspace.create_external_audience(wrong_column, &csv, now).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.starts_with("invalid identity column \"mail\": a column of the header of"), "{message}");
    assert!(message.ends_with("which has: email, tier"), "{message}");
    assert!(workspace.external_audiences()?.is_empty(), "nothing is stored after a rejected create");

    workspace.create_external_audience(new_vip(Some(90)), &csv, now)?;
    assert_eq!(workspace.set_external_ttl("vip-upload", 1)?.ttl_in_days, 1);
    assert!(workspace.set_external_ttl("vip-upload", 100).is_err());

    // A later file without the identity column makes a FAILED run and keeps the members.
    let bad = write(dir.path(), "bad.csv", "mail\nx@example.com\n")?;
    let run = workspace.ingest_external("vip-upload", &bad, true, now)?;
    assert_eq!(run.status, RunStatus::Failed);
    assert!(run.errors[0].starts_with("invalid identity column \"email\""), "{:?}", run.errors);
    assert_eq!(workspace.external_members("vip-upload")?.members.len(), 3);

    for _ in 0..8 {
        workspace.ingest_external("vip-upload", &csv, true, now)?;
    }
    let message = workspace.ingest_external("vip-upload", &csv, true, now).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.ends_with("at most 10 runs per external audience; create a new external audience for more imports"), "{message}");
    Ok(())
}
