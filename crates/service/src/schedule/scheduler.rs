//! The scheduler: on each tick, fires the active schedules whose cron time has come.
//!
//! Each schedule stores `checkedUntil`, the time up to which its fire times are handled. A tick
//! at time `now` looks for the latest fire time in `(checkedUntil, now]`. When there is one,
//! the schedule runs once for it, however many fire times the scheduler missed while it was
//! stopped, and `checkedUntil` moves to `now`. A schedule seen for the first time, or again
//! after being inactive, starts at `now`, so the fire times it missed while inactive never run.
//! A schedule runs at most once per 24 hours, because a fire time less than 24 hours after the fire
//! time of its last run is skipped.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::{QuartzCron, Schedule, ScheduleRun, ScheduleState, ScheduleType, export_format};
use crate::engine::Engine;
use crate::error::ServiceError;
use crate::export::ExportRequest;
use crate::jobs::JobProperties;
use crate::membership::MembershipStatus;
use crate::runner::JobRequest;
use crate::workspace::Workspace;

/// The minimum time between the fire times of two runs of one schedule.
pub const MIN_RUN_INTERVAL: SignedDuration = SignedDuration::from_hours(24);

/// Missed fire times counted for the log after downtime; the count stops here.
const MAX_COUNTED_MISSES: usize = 10_000;

/// The source of the current time, so tests can drive the scheduler through simulated days.
pub trait Clock {
    /// Returns the current time.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Fires due schedules of a workspace over one profile file.
pub struct Scheduler<C: Clock> {
    workspace: Arc<Workspace>,
    profiles: PathBuf,
    clock: C,
    batch_size: usize,
}

/// The outcome of one tick.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TickReport {
    /// The clock time of the tick, RFC 3339.
    pub time: String,
    /// The runs started.
    pub fired: Vec<FiredRun>,
    /// Fire times that did not run, with the reason.
    pub skipped: Vec<SkippedRun>,
}

/// A run started by a tick.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FiredRun {
    /// The schedule.
    pub schedule_id: String,
    /// The run id stored on its jobs.
    pub run_id: String,
    /// The cron fire time the run stands for, RFC 3339.
    pub fire_time: String,
    /// Earlier fire times since the last tick that did not get a run of their own.
    pub missed_fire_times: usize,
    /// The jobs started, with their final status.
    pub jobs: Vec<RunJob>,
}

/// A job of a run.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunJob {
    /// The segment or export job id.
    pub id: String,
    /// `SUCCEEDED`, `FAILED` or `CANCELLED`.
    pub status: crate::jobs::JobStatus,
}

/// A fire time that did not run.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedRun {
    /// The schedule.
    pub schedule_id: String,
    /// The fire time, RFC 3339.
    pub fire_time: String,
    /// The reason it did not run.
    pub reason: String,
}

impl<C: Clock> Scheduler<C> {
    /// Creates a scheduler whose jobs read `profiles`.
    pub fn new(workspace: Arc<Workspace>, profiles: PathBuf, clock: C) -> Self {
        Scheduler { workspace, profiles, clock, batch_size: 65_536 }
    }

    /// Handles every schedule once at the clock's current time and returns what it did. The
    /// runs of this tick finish before it returns.
    ///
    /// # Errors
    ///
    /// Returns an error when a schedule cannot be read or saved. A job that fails does not
    /// stop the tick; its status is in the report.
    pub fn tick(&self) -> Result<TickReport, ServiceError> {
        let now = self.clock.now();
        let mut report = TickReport { time: now.to_string(), ..TickReport::default() };
        for schedule in self.workspace.schedules()? {
            self.handle(schedule, now, &mut report)?;
        }
        Ok(report)
    }

    fn handle(&self, mut schedule: Schedule, now: Timestamp, report: &mut TickReport) -> Result<(), ServiceError> {
        if schedule.state == ScheduleState::Inactive {
            if schedule.checked_until.take().is_some() {
                self.workspace.save_schedule(&schedule)?;
            }
            return Ok(());
        }
        let since = match schedule.checked_until.as_deref().map(str::parse::<Timestamp>) {
            Some(Ok(since)) => since,
            Some(Err(_)) | None => {
                schedule.checked_until = Some(now.to_string());
                return self.workspace.save_schedule(&schedule);
            }
        };
        let cron = match QuartzCron::parse(&schedule.schedule) {
            Ok(cron) => cron,
            Err(error) => {
                tracing::error!(id = %schedule.id, %error, "schedule has an invalid cron expression; fix it with `seg schedule update`");
                return Ok(());
            }
        };
        let Some(fire_time) = cron.latest_at_or_before(now).filter(|time| *time > since) else {
            return Ok(());
        };
        let missed = count_fire_times(&cron, since, fire_time).saturating_sub(1);
        schedule.checked_until = Some(now.to_string());

        let last_fire = schedule.last_run.as_ref().and_then(|run| run.fire_time.parse::<Timestamp>().ok());
        if let Some(last_fire) = last_fire
            && fire_time < last_fire.saturating_add(MIN_RUN_INTERVAL).unwrap_or(Timestamp::MAX)
        {
            let reason = format!("the last run was for {last_fire}, less than 24 hours earlier; a schedule runs at most once per 24 hours");
            tracing::warn!(id = %schedule.id, %fire_time, %reason, "skipping a fire time");
            report.skipped.push(SkippedRun { schedule_id: schedule.id.clone(), fire_time: fire_time.to_string(), reason });
            return self.workspace.save_schedule(&schedule);
        }

        let run_id = uuid::Uuid::new_v4().to_string();
        if missed > 0 {
            tracing::warn!(id = %schedule.id, missed, %fire_time, "missed fire times while stopped; running once for the latest");
        }
        tracing::info!(id = %schedule.id, run_id, %fire_time, "schedule fired");
        let jobs = self.run(&schedule, &run_id, now);
        schedule.last_run = Some(ScheduleRun {
            run_id: run_id.clone(),
            fire_time: fire_time.to_string(),
            started_at: now.to_string(),
            job_ids: jobs.iter().map(|job| job.id.clone()).collect(),
        });
        self.workspace.save_schedule(&schedule)?;
        report.fired.push(FiredRun {
            schedule_id: schedule.id.clone(),
            run_id,
            fire_time: fire_time.to_string(),
            missed_fire_times: missed,
            jobs,
        });
        Ok(())
    }

    /// Runs the jobs of one schedule run and waits for them. Failures are logged and show in
    /// the returned statuses.
    fn run(&self, schedule: &Schedule, run_id: &str, now: Timestamp) -> Vec<RunJob> {
        let properties = JobProperties { schedule_id: schedule.id.clone(), run_id: run_id.to_string() };
        let result = match schedule.kind {
            ScheduleType::BatchSegmentation => self.run_segmentation(schedule, properties, now),
            ScheduleType::Export => self.run_export(schedule, properties),
        };
        match result {
            Ok(job) => vec![job],
            Err(error) => {
                tracing::error!(id = %schedule.id, run_id, %error, "scheduled run failed");
                Vec::new()
            }
        }
    }

    fn run_segmentation(&self, schedule: &Schedule, properties: JobProperties, now: Timestamp) -> Result<RunJob, ServiceError> {
        let segments = if schedule.properties.segments.iter().any(|id| id == "*") {
            self.workspace.evaluated_definition_ids()?
        } else {
            schedule.properties.segments.clone()
        };
        let request = JobRequest {
            profiles: self.profiles.clone(),
            segments,
            now: now.as_microsecond(),
            engine: Engine::Columnar,
            batch_size: self.batch_size,
            skip_bad_lines: false,
        };
        let handle = self.workspace.start_scheduled_job(request, properties)?;
        let id = handle.id().to_string();
        match handle.wait() {
            Ok(job) => Ok(RunJob { id, status: job.status }),
            Err(error) => {
                tracing::error!(job = %id, %error, "scheduled segment job failed");
                Ok(RunJob { id, status: crate::jobs::JobStatus::Failed })
            }
        }
    }

    fn run_export(&self, schedule: &Schedule, properties: JobProperties) -> Result<RunJob, ServiceError> {
        let destination = schedule.properties.destination.clone().unwrap_or_default();
        let segments = if schedule.properties.segments.iter().any(|id| id == "*") {
            self.workspace.evaluated_definition_ids()?
        } else {
            schedule.properties.segments.clone()
        };
        let request = ExportRequest {
            profiles: self.profiles.clone(),
            segments,
            statuses: vec![MembershipStatus::Realized],
            qualified_from: None,
            qualified_until: None,
            fields: Vec::new(),
            empty_profiles: true,
            format: export_format(&schedule.properties)?,
            out: destination.join(&properties.run_id),
            segment_per_batch: true,
            batch_size: self.batch_size,
            skip_bad_lines: false,
            properties: Some(properties),
        };
        let job = self.workspace.run_export(&request, &AtomicBool::new(false))?;
        Ok(RunJob { id: job.id, status: job.status })
    }
}

/// When [`serve`] stops.
#[derive(Clone, Copy, Debug)]
pub struct ServeOptions {
    /// The time between ticks.
    pub interval: Duration,
    /// Stop after this many ticks.
    pub max_ticks: Option<u64>,
    /// Stop after this much time.
    pub duration: Option<Duration>,
}

/// Runs the scheduler over the workspace at `dir` every `options.interval`, until
/// `max_ticks` ticks ran or `duration` passed; with neither, until the process ends. Returns
/// the number of ticks.
///
/// The workspace lock is taken for each tick and released between ticks, so other `seg`
/// commands can change schedules and definitions meanwhile. A tick that finds the workspace
/// locked by another process is skipped with a warning.
///
/// # Errors
///
/// Returns the first error of a tick other than a locked workspace.
pub fn serve<C: Clock + Clone>(
    dir: &Path,
    profiles: &Path,
    clock: C,
    options: ServeOptions,
    mut on_tick: impl FnMut(&TickReport),
) -> Result<u64, ServiceError> {
    let deadline = options.duration.map(|duration| Instant::now() + duration);
    let mut ticks = 0;
    tracing::info!(workspace = %dir.display(), interval = ?options.interval, "scheduler started");
    loop {
        match Workspace::open(dir) {
            Ok(workspace) => {
                let scheduler = Scheduler::new(Arc::new(workspace), profiles.to_path_buf(), clock.clone());
                on_tick(&scheduler.tick()?);
            }
            Err(error @ ServiceError::Locked { .. }) => tracing::warn!(%error, "skipping a scheduler tick"),
            Err(error) => return Err(error),
        }
        ticks += 1;
        if options.max_ticks.is_some_and(|max| ticks >= max) {
            break;
        }
        let wake = Instant::now() + options.interval;
        match deadline {
            Some(deadline) if wake > deadline => {
                std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                break;
            }
            _ => std::thread::sleep(options.interval),
        }
    }
    tracing::info!(ticks, "scheduler stopped");
    Ok(ticks)
}

/// Counts the fire times in `(since, until]`, up to [`MAX_COUNTED_MISSES`].
fn count_fire_times(cron: &QuartzCron, since: Timestamp, until: Timestamp) -> usize {
    let mut count = 0;
    let mut cursor = since;
    while count < MAX_COUNTED_MISSES {
        match cron.next_after(cursor) {
            Some(next) if next <= until => {
                count += 1;
                cursor = next;
            }
            _ => break,
        }
    }
    count
}
