//! Schedules and the scheduler, driven by a simulated clock through February 2024.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use seg_service::schedule::{
    Clock, NewSchedule, PatchOperation, ScheduleProperties, ScheduleState, ScheduleType, Scheduler, TickReport,
};
use seg_service::{JobStatus, SegmentDefinition, Workspace};
use serde_json::json;

use common::{time, write_profiles};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A clock the test moves by hand.
#[derive(Clone)]
struct SimulatedClock(Rc<Cell<Timestamp>>);

impl Clock for SimulatedClock {
    fn now(&self) -> Timestamp {
        self.0.get()
    }
}

fn daily(workspace: &Workspace, cron: &str, state: ScheduleState) -> Result<String, seg_service::ServiceError> {
    let schedule = workspace.create_schedule(NewSchedule {
        name: "nightly".to_string(),
        kind: ScheduleType::BatchSegmentation,
        properties: ScheduleProperties { segments: vec!["*".to_string()], ..Default::default() },
        schedule: cron.to_string(),
        state,
    })?;
    Ok(schedule.id)
}

fn set_state(workspace: &Workspace, id: &str, state: &str) -> Result<(), seg_service::ServiceError> {
    let patch = PatchOperation { op: "add".to_string(), path: "/state".to_string(), value: json!(state) };
    workspace.update_schedule(id, &[patch]).map(|_| ())
}

/// Ticks every hour from `from` (inclusive) to `until` (exclusive) and returns the reports
/// of the ticks that fired or skipped something.
fn tick_hourly(
    scheduler: &Scheduler<SimulatedClock>,
    clock: &SimulatedClock,
    from: &str,
    until: &str,
) -> Result<Vec<TickReport>, Box<dyn std::error::Error>> {
    let mut reports = Vec::new();
    let (mut now, until) = (time(from), time(until));
    while now < until {
        clock.0.set(now);
        let report = scheduler.tick()?;
        if !report.fired.is_empty() || !report.skipped.is_empty() {
            reports.push(report);
        }
        now = now.checked_add(SignedDuration::from_hours(1))?;
    }
    Ok(reports)
}

fn fire_times(reports: &[TickReport]) -> Vec<String> {
    reports.iter().flat_map(|report| report.fired.iter().map(|run| run.fire_time.clone())).collect()
}

fn setup() -> Result<(tempfile::TempDir, Arc<Workspace>, std::path::PathBuf), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let profiles = write_profiles(dir.path())?;
    let workspace = Arc::new(Workspace::open(&dir.path().join("ws"))?);
    let mut adults = SegmentDefinition::new("adults", "person.age >= 18");
    adults.id = "adults".to_string();
    workspace.create_definition(adults)?;
    Ok((dir, workspace, profiles))
}

#[test]
fn scheduler_over_a_simulated_month() -> TestResult {
    let (_dir, workspace, profiles) = setup()?;
    let id = daily(&workspace, "0 0 1 * * ?", ScheduleState::Active)?;
    let clock = SimulatedClock(Rc::new(Cell::new(time("2024-02-01T00:00:00Z"))));
    let scheduler = Scheduler::new(Arc::clone(&workspace), profiles, clock.clone());

    // Active: one run per day at 01:00.
    let first = tick_hourly(&scheduler, &clock, "2024-02-01T00:00:00Z", "2024-02-10T12:00:00Z")?;
    let expected: Vec<String> = (1..=10).map(|day| format!("2024-02-{day:02}T01:00:00Z")).collect();
    assert_eq!(fire_times(&first), expected);
    assert!(first.iter().all(|report| report.time == report.fired[0].fire_time), "runs start at their fire time");

    // Inactive: nothing runs, and re-activation does not run the days it missed.
    set_state(&workspace, &id, "inactive")?;
    let paused = tick_hourly(&scheduler, &clock, "2024-02-10T12:00:00Z", "2024-02-15T12:00:00Z")?;
    assert!(paused.is_empty(), "{paused:?}");
    set_state(&workspace, &id, "active")?;
    let resumed = tick_hourly(&scheduler, &clock, "2024-02-15T12:00:00Z", "2024-02-18T02:00:00Z")?;
    assert_eq!(fire_times(&resumed), ["2024-02-16T01:00:00Z", "2024-02-17T01:00:00Z", "2024-02-18T01:00:00Z"]);

    // Down from the 18th to the 22nd: one catch-up run for the latest missed fire time.
    let caught_up = tick_hourly(&scheduler, &clock, "2024-02-22T05:30:00Z", "2024-02-22T06:00:00Z")?;
    assert_eq!(fire_times(&caught_up), ["2024-02-22T01:00:00Z"]);
    assert_eq!(caught_up[0].fired[0].missed_fire_times, 3);
    assert_eq!(caught_up[0].time, "2024-02-22T05:30:00Z");

    // Back on time until the end of the leap month.
    let rest = tick_hourly(&scheduler, &clock, "2024-02-22T06:00:00Z", "2024-03-01T00:00:00Z")?;
    let expected: Vec<String> = (23..=29).map(|day| format!("2024-02-{day}T01:00:00Z")).collect();
    assert_eq!(fire_times(&rest), expected);

    let all: Vec<TickReport> = first.into_iter().chain(resumed).chain(caught_up).chain(rest).collect();
    let runs: Vec<_> = all.iter().flat_map(|report| report.fired.iter()).collect();
    assert_eq!(runs.len(), 21);
    for run in &runs {
        assert_eq!(run.jobs.len(), 1);
        let job = workspace.job(&run.jobs[0].id)?;
        assert_eq!(job.status, JobStatus::Succeeded);
        assert_eq!(job.source, "scheduler");
        let properties = job.properties.ok_or("a scheduled job has properties")?;
        assert_eq!(properties.schedule_id, id);
        assert_eq!(properties.run_id, run.run_id);
        assert_eq!(job.metrics.segmented_profile_counter["adults"], 3);
    }
    let stored = workspace.schedule(&id)?;
    assert_eq!(stored.last_run.map(|run| run.fire_time), Some("2024-02-29T01:00:00Z".to_string()));
    Ok(())
}

#[test]
fn at_most_one_run_per_day() -> TestResult {
    let (_dir, workspace, profiles) = setup()?;
    let id = daily(&workspace, "0 0 1,13 * * ?", ScheduleState::Active)?;
    let clock = SimulatedClock(Rc::new(Cell::new(time("2024-03-01T00:00:00Z"))));
    let scheduler = Scheduler::new(Arc::clone(&workspace), profiles, clock.clone());
    let reports = tick_hourly(&scheduler, &clock, "2024-03-01T00:00:00Z", "2024-03-03T00:00:00Z")?;
    assert_eq!(fire_times(&reports), ["2024-03-01T01:00:00Z", "2024-03-02T01:00:00Z"]);
    let skipped: Vec<&str> = reports.iter().flat_map(|r| r.skipped.iter().map(|s| s.fire_time.as_str())).collect();
    assert_eq!(skipped, ["2024-03-01T13:00:00Z", "2024-03-02T13:00:00Z"]);
    let reason = &reports[1].skipped[0].reason;
    assert!(reason.ends_with("a schedule runs at most once per 24 hours"), "{reason}");
    assert_eq!(reports[1].skipped[0].schedule_id, id);
    Ok(())
}

#[test]
fn new_schedule_is_inactive_and_never_fires() -> TestResult {
    let (_dir, workspace, profiles) = setup()?;
    let id = daily(&workspace, "0 0 1 * * ?", ScheduleState::default())?;
    assert_eq!(workspace.schedule(&id)?.state, ScheduleState::Inactive);
    let clock = SimulatedClock(Rc::new(Cell::new(time("2024-03-01T00:00:00Z"))));
    let scheduler = Scheduler::new(Arc::clone(&workspace), profiles, clock.clone());
    let reports = tick_hourly(&scheduler, &clock, "2024-03-01T00:00:00Z", "2024-03-03T00:00:00Z")?;
    assert!(reports.is_empty());
    assert!(workspace.jobs()?.is_empty());
    Ok(())
}

#[test]
fn export_schedule_writes_one_directory_per_run() -> TestResult {
    let (dir, workspace, profiles) = setup()?;
    let request = seg_service::JobRequest {
        profiles: profiles.clone(),
        segments: vec!["adults".to_string()],
        now: time("2024-03-01T00:00:00Z").as_microsecond(),
        engine: seg_service::Engine::Columnar,
        batch_size: 1024,
        skip_bad_lines: false,
    };
    workspace.start_job(request)?.wait()?;

    let destination = dir.path().join("exports");
    workspace.create_schedule(NewSchedule {
        name: "daily export".to_string(),
        kind: ScheduleType::Export,
        properties: ScheduleProperties {
            segments: vec!["adults".to_string()],
            destination: Some(destination.clone()),
            format: Some("ndjson".to_string()),
        },
        schedule: "0 30 2 * * ?".to_string(),
        state: ScheduleState::Active,
    })?;

    let clock = SimulatedClock(Rc::new(Cell::new(time("2024-03-01T00:00:00Z"))));
    let scheduler = Scheduler::new(Arc::clone(&workspace), profiles, clock.clone());
    scheduler.tick()?;
    clock.0.set(time("2024-03-01T02:30:00Z"));
    let report = scheduler.tick()?;
    let run = report.fired.first().ok_or("the export schedule fired")?;
    assert_eq!(run.jobs[0].status, JobStatus::Succeeded);
    let written = std::fs::read_to_string(destination.join(&run.run_id).join("adults.ndjson"))?;
    assert_eq!(written.lines().count(), 3);

    let job = workspace.export_job(&run.jobs[0].id)?;
    let properties = job.properties.ok_or("a scheduled export records its schedule and run")?;
    assert_eq!(properties.schedule_id, run.schedule_id);
    assert_eq!(properties.run_id, run.run_id);
    Ok(())
}

#[test]
fn schedule_crud_and_patch_errors() -> TestResult {
    let (_dir, workspace, _profiles) = setup()?;
    let id = daily(&workspace, "0 0 1 * * ?", ScheduleState::Inactive)?;
    let page = workspace.list_schedules(0, 10)?;
    assert_eq!(page.page.total_count, 1);
    assert_eq!(serde_json::to_value(&page)?["children"][0]["type"], "batch_segmentation");

    let cron = PatchOperation { op: "replace".to_string(), path: "/schedule".to_string(), value: json!("0 0 2 * * ?") };
    assert_eq!(workspace.update_schedule(&id, &[cron])?.schedule, "0 0 2 * * ?");
    let bad_path = PatchOperation { op: "add".to_string(), path: "/name".to_string(), value: json!("x") };
    let message = workspace.update_schedule(&id, &[bad_path]).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(message, "invalid patch path \"/name\": `/state` or `/schedule`; other fields cannot change");
    let bad_cron = PatchOperation { op: "add".to_string(), path: "/schedule".to_string(), value: json!("0 0 1 * * * *") };
    assert!(workspace.update_schedule(&id, &[bad_cron]).is_err());

    let unknown = NewSchedule {
        name: "x".to_string(),
        kind: ScheduleType::BatchSegmentation,
        properties: ScheduleProperties { segments: vec!["nope".to_string()], ..Default::default() },
        schedule: "0 0 1 * * ?".to_string(),
        state: ScheduleState::Inactive,
    };
    let message = workspace.create_schedule(unknown).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.starts_with("segment definition `nope` not found"), "{message}");

    workspace.delete_schedule(&id)?;
    assert!(workspace.schedule(&id).is_err());
    Ok(())
}
