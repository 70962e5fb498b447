//! Segment jobs over the bundled CDNOW profiles: dependencies, metrics, memberships at two
//! evaluation times, cancellation and recovery after an interrupted job.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use roaring::RoaringBitmap;
use seg_service::{Engine, JobRequest, JobStatus, MembershipStatus, SegmentDefinition, Workspace};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative)
}

fn micros(time: &str) -> Result<i64, Box<dyn std::error::Error>> {
    Ok(time.parse::<jiff::Timestamp>()?.as_microsecond())
}

fn save_cdnow_definitions(workspace: &Workspace) -> TestResult {
    for id in ["big-spenders", "lapsed-customers", "lapsed-big-spenders", "frequent-buyers"] {
        let text = std::fs::read_to_string(repo_path(&format!("testdata/cdnow/segments/{id}.pql")))?;
        let mut definition = SegmentDefinition::new(id, text);
        definition.id = id.to_string();
        workspace.create_definition(definition)?;
    }
    Ok(())
}

fn request(segments: &[&str], now: &str) -> Result<JobRequest, Box<dyn std::error::Error>> {
    Ok(JobRequest {
        profiles: repo_path("testdata/cdnow/profiles.parquet"),
        segments: segments.iter().map(|s| (*s).to_string()).collect(),
        now: micros(now)?,
        engine: Engine::Columnar,
        batch_size: 4096,
        skip_bad_lines: false,
    })
}

/// Returns the set of profile ids with `status` in a segment's stored memberships.
fn ids_with(workspace: &Workspace, segment: &str, status: MembershipStatus) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let stored = workspace.membership_map(segment)?;
    Ok(stored.into_iter().filter(|(_, m)| m.status == status).map(|(id, _)| id).collect())
}

#[test]
fn dependencies_are_added_first() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Arc::new(Workspace::open(dir.path())?);
    save_cdnow_definitions(&workspace)?;
    let job = workspace.start_job(request(&["lapsed-big-spenders"], "1998-07-01T00:00:00Z")?)?.wait()?;
    let order: Vec<&str> = job.segments.iter().map(|s| s.segment_id.as_str()).collect();
    assert_eq!(order.len(), 3);
    assert_eq!(order.last(), Some(&"lapsed-big-spenders"));
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(job.metrics.total_profiles, 23_570);
    Ok(())
}

#[test]
fn memberships_follow_bitmap_algebra() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Arc::new(Workspace::open(dir.path())?);
    save_cdnow_definitions(&workspace)?;
    let march = workspace.start_job(request(&["*"], "1998-03-01T00:00:00Z")?)?.wait()?;
    let before = ids_with(&workspace, "lapsed-customers", MembershipStatus::Realized)?;
    let july = workspace.start_job(request(&["*"], "1998-07-01T00:00:00Z")?)?.wait()?;
    let after = ids_with(&workspace, "lapsed-customers", MembershipStatus::Realized)?;
    let exited = ids_with(&workspace, "lapsed-customers", MembershipStatus::Exited)?;

    // Profile ids of CDNOW are numbers, so the bitmaps are over ids here.
    let as_bitmap = |ids: &[String]| -> RoaringBitmap { ids.iter().filter_map(|id| id.parse::<u32>().ok()).collect() };
    let (before, after) = (as_bitmap(&before), as_bitmap(&after));
    let counts = july.metrics.segmented_profile_by_status_counter["lapsed-customers"];
    assert_eq!(march.metrics.segmented_profile_by_status_counter["lapsed-customers"].exited, 0);
    assert_eq!(counts.realized, after.len());
    assert_eq!(counts.exited, (&before - &after).len());
    assert_eq!(as_bitmap(&exited), &before - &after);
    assert_eq!(july.metrics.segmented_profile_counter["lapsed-customers"], after.len());
    Ok(())
}

#[test]
fn qualification_time_kept_while_member_stays() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Arc::new(Workspace::open(dir.path())?);
    save_cdnow_definitions(&workspace)?;
    workspace.start_job(request(&["lapsed-customers"], "1998-03-01T00:00:00Z")?)?.wait()?;
    let march = workspace.membership_map("lapsed-customers")?;
    workspace.start_job(request(&["lapsed-customers"], "1998-07-01T00:00:00Z")?)?.wait()?;
    let july = workspace.membership_map("lapsed-customers")?;
    let (stayer, entered) = july.iter().fold((None, None), |(stayer, entered), (id, m)| {
        if march.contains_key(id) { (stayer.or(Some(m)), entered) } else { (stayer, entered.or(Some(m))) }
    });
    assert_eq!(stayer.map(|m| m.last_qualification_time.as_str()), Some("1998-03-01T00:00:00Z"));
    assert_eq!(entered.map(|m| m.last_qualification_time.as_str()), Some("1998-07-01T00:00:00Z"));
    Ok(())
}

#[test]
fn profile_membership_map() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Arc::new(Workspace::open(dir.path())?);
    save_cdnow_definitions(&workspace)?;
    workspace.start_job(request(&["big-spenders"], "1998-07-01T00:00:00Z")?)?.wait()?;
    let member = workspace.membership_map("big-spenders")?.into_keys().next().ok_or("no members")?;
    let map = workspace.profile_membership(&member)?;
    assert_eq!(map["ups"]["big-spenders"].status, MembershipStatus::Realized);
    Ok(())
}

#[test]
fn cancelled_job_leaves_memberships() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Arc::new(Workspace::open(dir.path())?);
    save_cdnow_definitions(&workspace)?;
    let mut slow = request(&["*"], "1998-07-01T00:00:00Z")?;
    slow.batch_size = 1;
    slow.engine = Engine::Reference;
    let handle = workspace.start_job(slow)?;
    handle.cancel();
    let job = handle.wait()?;
    assert_eq!(job.status, JobStatus::Cancelled);
    assert!(workspace.membership_map("big-spenders")?.is_empty());
    Ok(())
}

#[test]
fn unknown_definition_fails_job() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Arc::new(Workspace::open(dir.path())?);
    let handle = workspace.start_job(request(&["missing"], "1998-07-01T00:00:00Z")?)?;
    let id = handle.id().to_string();
    assert!(handle.wait().is_err());
    let job = workspace.job(&id)?;
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.errors.first().map(|e| e.code.as_str()), Some("DEFINITION_NOT_FOUND"));
    Ok(())
}

#[test]
fn interrupted_job_is_failed_on_open() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Arc::new(Workspace::open(dir.path())?);
    save_cdnow_definitions(&workspace)?;
    let job = workspace.start_job(request(&["big-spenders"], "1998-07-01T00:00:00Z")?)?.wait()?;
    let mut record: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join(format!("jobs/{}.json", job.id)))?)?;
    record["status"] = "PROCESSING".into();
    std::fs::write(dir.path().join(format!("jobs/{}.json", job.id)), record.to_string())?;
    drop(workspace);
    let reopened = Workspace::open(dir.path())?;
    let recovered = reopened.job(&job.id)?;
    assert_eq!(recovered.status, JobStatus::Failed);
    assert_eq!(recovered.errors.first().map(|e| e.code.as_str()), Some("INTERRUPTED"));
    Ok(())
}

#[test]
fn definitions_bind_against_last_job_schema() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Arc::new(Workspace::open(dir.path())?);
    let unknown_field = SegmentDefinition::new("before", "person.age > 3");
    workspace.create_definition(unknown_field)?;
    let handle = workspace.start_job(request(&["*"], "1998-07-01T00:00:00Z")?)?;
    let failed = handle.wait();
    assert!(failed.is_err());
    let rejected = workspace.create_definition(SegmentDefinition::new("after", "person.age > 3"));
    let message = rejected.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("unknown field"), "{message}");
    Ok(())
}

#[test]
fn second_job_waits_in_queue() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Arc::new(Workspace::open(dir.path())?);
    save_cdnow_definitions(&workspace)?;
    let mut slow = request(&["*"], "1998-07-01T00:00:00Z")?;
    slow.batch_size = 1;
    slow.engine = Engine::Reference;
    let first = workspace.start_job(slow)?;
    let second = workspace.start_job(request(&["big-spenders"], "1998-07-01T00:00:00Z")?)?;
    let queued = workspace.start_job(request(&["big-spenders"], "1998-07-01T00:00:00Z")?)?;
    queued.cancel();
    assert_eq!(second.status(), JobStatus::New);
    assert_eq!(workspace.job(second.id())?.status, JobStatus::New);
    first.cancel();
    let first = first.wait()?;
    let second = second.wait()?;
    assert_eq!(first.status, JobStatus::Cancelled);
    assert_eq!(second.status, JobStatus::Succeeded);
    assert_eq!(queued.wait()?.status, JobStatus::Cancelled);
    let first_end = first.metrics.total_time.end_time_in_ms.ok_or("first job has no end time")?;
    let second_start = second.metrics.profile_segmentation_time.start_time_in_ms.ok_or("second job never started")?;
    assert!(second_start >= first_end, "the second job started at {second_start}, before the first ended at {first_end}");
    Ok(())
}

#[test]
fn job_classifies_evaluation_methods() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Arc::new(Workspace::open(dir.path())?);
    let mut profile_only = SegmentDefinition::new("first-profile", "_id = \"00001\"");
    profile_only.id = "first-profile".to_string();
    // Input flags are replaced by the classifier's result.
    profile_only.evaluation_info.synchronous = true;
    let stored = workspace.create_definition(profile_only)?;
    assert_eq!(stored.evaluation_info.to_string(), "batch");
    workspace.start_job(request(&["*"], "1998-07-01T00:00:00Z")?)?.wait()?;
    assert_eq!(workspace.definition("first-profile")?.evaluation_info.to_string(), "batch, streaming, edge");

    // With the schema known from the job, a new definition is classified on save.
    let reader = SegmentDefinition::new("events-and-first-profile", "inSegment(\"first-profile\") and xEvent.count() > 1");
    let stored = workspace.create_definition(reader)?;
    assert_eq!(stored.evaluation_info.to_string(), "batch");
    let profile_reader = workspace.create_definition(SegmentDefinition::new("in-first-profile", "inSegment(\"first-profile\")"))?;
    assert_eq!(profile_reader.evaluation_info.to_string(), "batch, streaming, edge");
    Ok(())
}

#[test]
fn handle_reports_profiles_read() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Arc::new(Workspace::open(dir.path())?);
    save_cdnow_definitions(&workspace)?;
    let handle = workspace.start_job(request(&["big-spenders"], "1998-07-01T00:00:00Z")?)?;
    while !handle.is_finished() {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(handle.profiles_read(), 23_570);
    assert_eq!(handle.wait()?.status, JobStatus::Succeeded);
    Ok(())
}

#[test]
fn definition_read_by_another_is_kept() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Arc::new(Workspace::open(dir.path())?);
    save_cdnow_definitions(&workspace)?;
    workspace.start_job(request(&["big-spenders"], "1998-07-01T00:00:00Z")?)?.wait()?;
    let refused = workspace.delete_definition("big-spenders");
    assert!(
        matches!(&refused, Err(seg_service::ServiceError::DefinitionInUse { reader, .. }) if reader == "lapsed-big-spenders"),
        "{refused:?}"
    );
    workspace.delete_definition("lapsed-big-spenders")?;
    workspace.delete_definition("big-spenders")?;
    assert!(workspace.membership_map("big-spenders")?.is_empty());
    Ok(())
}
