//! Running a segment job on a thread: resolving the definitions and their `inSegment`
//! dependencies, evaluating the profiles, updating memberships and the job record.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use seg_eval::EvalContext;

use crate::audience::job_input::ExternalInputs;
use crate::definition::SegmentDefinition;
use crate::engine::{self, Engine, RunOptions};
use crate::error::ServiceError;
use crate::jobs::{JobErrorEntry, JobMetrics, JobProperties, JobStatus, SegmentInfo, SegmentJob, TimeSpan, cancel_marker};
use crate::membership::format_micros;
use crate::query::{PreparedTarget, prepare_target, resolve};
use crate::read_counts::{ReadCounts, read_options};
use crate::workspace::{Workspace, WorkspaceState};

/// The input of a segment job.
#[derive(Clone, Debug)]
pub struct JobRequest {
    /// The profile file: Parquet or NDJSON.
    pub profiles: PathBuf,
    /// Definition ids, or `["*"]` for every definition of the workspace.
    pub segments: Vec<String>,
    /// The evaluation time in microseconds since the Unix epoch.
    pub now: i64,
    /// The evaluator of the plans.
    pub engine: Engine,
    /// Profiles per record batch.
    pub batch_size: usize,
    /// Skip NDJSON lines that are not valid JSON objects instead of failing the job. The job's
    /// metrics count them in `skippedLines`.
    pub skip_bad_lines: bool,
}

/// A running segment job.
#[derive(Debug)]
pub struct JobHandle {
    id: String,
    record: Arc<Mutex<SegmentJob>>,
    cancel: Arc<AtomicBool>,
    profiles_read: Arc<AtomicU64>,
    thread: JoinHandle<Result<SegmentJob, ServiceError>>,
}

impl JobHandle {
    /// Returns the job id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Returns the current status.
    pub fn status(&self) -> JobStatus {
        self.record.lock().map(|job| job.status).unwrap_or(JobStatus::Failed)
    }

    /// Returns the number of profiles the job has evaluated so far.
    pub fn profiles_read(&self) -> u64 {
        self.profiles_read.load(Ordering::Relaxed)
    }

    /// Returns true once the job has ended and [`JobHandle::wait`] returns without blocking.
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Asks the job to stop after the batches being evaluated; it ends `CANCELLED` unless it
    /// has already finished.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
        if let Ok(mut job) = self.record.lock()
            && !job.status.is_final()
        {
            job.status = JobStatus::Cancelling;
        }
    }

    /// Waits for the job to end and returns its final record.
    ///
    /// # Errors
    ///
    /// Returns the error that made the job fail, also recorded in the job's `errors`.
    pub fn wait(self) -> Result<SegmentJob, ServiceError> {
        self.thread.join().map_err(|_| ServiceError::JobPanicked { id: self.id.clone() })?
    }
}

/// First-in, first-out turns for the segment jobs of one workspace: a job takes a ticket when
/// it is started and runs when its ticket is served.
#[derive(Debug, Default)]
pub(crate) struct JobQueue {
    /// The next ticket to hand out and the ticket allowed to run.
    tickets: Mutex<(u64, u64)>,
    turn: Condvar,
}

impl JobQueue {
    fn take_ticket(&self) -> u64 {
        let mut tickets = self.tickets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        tickets.0 += 1;
        tickets.0 - 1
    }

    /// Blocks until `ticket` is served. The returned turn serves the next ticket when dropped,
    /// also when the job fails or its thread panics.
    fn wait_for(&self, ticket: u64) -> Turn<'_> {
        let mut tickets = self.tickets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while tickets.1 != ticket {
            tickets = self.turn.wait(tickets).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        Turn { queue: self }
    }
}

struct Turn<'a> {
    queue: &'a JobQueue,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut tickets = self.queue.tickets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        tickets.1 += 1;
        self.queue.turn.notify_all();
    }
}

impl Workspace {
    /// Stores a `NEW` job and starts it on a thread. Jobs of one workspace run one at a time in
    /// the order they were started; a job stays `NEW` while an earlier one runs.
    ///
    /// # Errors
    ///
    /// Returns a file error when the job record cannot be written or the thread cannot start.
    pub fn start_job(self: &Arc<Self>, request: JobRequest) -> Result<JobHandle, ServiceError> {
        self.start_job_with(request, None)
    }

    /// Starts a job for a schedule run, with `source` `scheduler` and the run's `properties`.
    ///
    /// # Errors
    ///
    /// Returns the errors of [`Workspace::start_job`].
    pub fn start_scheduled_job(self: &Arc<Self>, request: JobRequest, properties: JobProperties) -> Result<JobHandle, ServiceError> {
        self.start_job_with(request, Some(properties))
    }

    fn start_job_with(self: &Arc<Self>, request: JobRequest, properties: Option<JobProperties>) -> Result<JobHandle, ServiceError> {
        let id = uuid::Uuid::new_v4().to_string();
        let created = jiff::Timestamp::now().as_millisecond();
        let job = SegmentJob {
            id: id.clone(),
            source: if properties.is_some() { "scheduler" } else { "api" }.to_string(),
            properties,
            status: JobStatus::New,
            evaluation_time: format_micros(request.now),
            profiles: request.profiles.clone(),
            segments: request.segments.iter().map(|s| SegmentInfo { segment_id: s.clone(), segment: None }).collect(),
            metrics: JobMetrics { total_time: TimeSpan::started(created), ..JobMetrics::default() },
            errors: Vec::new(),
            creation_time: created,
            update_time: created,
            update_epoch: created / 1000,
        };
        self.save_job(&job)?;
        tracing::info!(id, profiles = %request.profiles.display(), "segment job created");
        let record = Arc::new(Mutex::new(job));
        let cancel = Arc::new(AtomicBool::new(false));
        let profiles_read = Arc::new(AtomicU64::new(0));
        let context = JobContext {
            workspace: Arc::clone(self),
            record: Arc::clone(&record),
            cancel: Arc::clone(&cancel),
            profiles_read: Arc::clone(&profiles_read),
        };
        let ticket = self.job_queue.take_ticket();
        let workspace = Arc::clone(self);
        let thread = std::thread::Builder::new().name(format!("segment-job-{id}")).spawn(move || {
            let _turn = workspace.job_queue.wait_for(ticket);
            context.run(request)
        });
        let thread = match thread {
            Ok(thread) => thread,
            Err(error) => {
                // Serve the ticket, so later jobs do not wait for this one forever.
                drop(Turn { queue: &self.job_queue });
                return Err(ServiceError::file("start a thread for", self.job_path(&id), error));
            }
        };
        Ok(JobHandle { id, record, cancel, profiles_read, thread })
    }
}

struct JobContext {
    workspace: Arc<Workspace>,
    record: Arc<Mutex<SegmentJob>>,
    cancel: Arc<AtomicBool>,
    profiles_read: Arc<AtomicU64>,
}

impl JobContext {
    fn run(self, request: JobRequest) -> Result<SegmentJob, ServiceError> {
        let result = self.evaluate(&request);
        let final_job = self.update(|job| {
            let end = jiff::Timestamp::now().as_millisecond();
            job.metrics.total_time.finish(end);
            match &result {
                Ok(true) => job.status = JobStatus::Succeeded,
                Ok(false) => job.status = JobStatus::Cancelled,
                Err(error) => {
                    job.status = JobStatus::Failed;
                    job.errors.push(JobErrorEntry { code: error_code(error).to_string(), msg: error.to_string() });
                }
            }
        });
        let _ = std::fs::remove_file(cancel_marker(self.workspace.root(), &self.job_id()));
        let final_job = final_job?;
        tracing::info!(id = %final_job.id, status = ?final_job.status, "segment job ended");
        match result {
            Ok(_) => Ok(final_job),
            Err(error) => Err(error),
        }
    }

    fn job_id(&self) -> String {
        self.record.lock().map(|job| job.id.clone()).unwrap_or_default()
    }

    /// Applies `change` to the record and stores it.
    fn update(&self, change: impl FnOnce(&mut SegmentJob)) -> Result<SegmentJob, ServiceError> {
        let mut job = self.record.lock().map_err(|_| ServiceError::JobPanicked { id: String::new() })?;
        change(&mut job);
        job.update_time = jiff::Timestamp::now().as_millisecond();
        job.update_epoch = job.update_time / 1000;
        self.workspace.save_job(&job)?;
        Ok(job.clone())
    }

    fn cancel_requested(&self, job_id: &str) -> bool {
        if self.cancel.load(Ordering::SeqCst) || cancel_marker(self.workspace.root(), job_id).exists() {
            self.cancel.store(true, Ordering::SeqCst);
            return true;
        }
        false
    }

    /// Sets the `evaluationInfo` of each job definition from the classifier. The segments come
    /// in evaluation order, so every `inSegment` target is classified before its readers.
    fn reclassify(&self, segments: &[engine::CompiledSegment], external: &ExternalInputs) -> Result<(), ServiceError> {
        let mut profile_only: HashMap<&str, bool> = HashMap::new();
        for segment in segments {
            // An external audience is a stored member list, which reads no events.
            if external.contains(&segment.definition.id) {
                profile_only.insert(&segment.definition.id, true);
                continue;
            }
            let eligibility = seg_plan::classify_with(&segment.plan, |id| profile_only.get(id).copied());
            profile_only.insert(&segment.definition.id, eligibility.profile_only);
            self.workspace.save_evaluation_info(&segment.definition.id, eligibility.info)?;
        }
        Ok(())
    }

    /// Evaluates the job; `Ok(false)` when it was cancelled.
    fn evaluate(&self, request: &JobRequest) -> Result<bool, ServiceError> {
        let job_id = self.job_id();
        if self.cancel_requested(&job_id) {
            return Ok(false);
        }
        self.update(|job| job.status = if self.cancel.load(Ordering::SeqCst) { JobStatus::Cancelling } else { JobStatus::Processing })?;
        let mut options = read_options(request.batch_size, request.skip_bad_lines);
        // The columnar engine accepts string dictionaries, and the job uses the batches for
        // nothing else that reads strings besides `_id` and identity maps, which stay `Utf8`.
        options.keep_string_dictionaries = request.engine == Engine::Columnar;
        let mut reader = seg_io::open(&request.profiles, &options)?;
        let schema = reader.schema();
        let profiles = std::fs::canonicalize(&request.profiles).unwrap_or_else(|_| request.profiles.clone());
        self.workspace.save_state(&WorkspaceState { profiles: Some(profiles) })?;

        let stored = resolve(&self.workspace, &request.segments, &schema)?;
        let PreparedTarget { definitions, schema, external } = prepare_target(&stored, Some(&self.workspace), &schema, request.now)?;
        let segments = engine::compile(definitions, &schema).map_err(|errors| ServiceError::Compile(errors.join("\n")))?;
        self.reclassify(&segments, &external)?;
        let by_id: HashMap<&str, &SegmentDefinition> = stored.iter().map(|d| (d.id.as_str(), d)).collect();
        let segmentation_start = jiff::Timestamp::now().as_millisecond();
        self.update(|job| {
            job.segments = segments
                .iter()
                .map(|s| SegmentInfo {
                    segment_id: s.definition.id.clone(),
                    segment: by_id.get(s.definition.id.as_str()).map(|d| (*d).clone()),
                })
                .collect();
            job.metrics.profile_segmentation_time = TimeSpan::started(segmentation_start);
        })?;

        let context = EvalContext { now: request.now };
        let batches = external.extend_batches(reader.by_ref().map(|batch| batch.map_err(|e| e.to_string())));
        let run_options = RunOptions { engine: request.engine, collect_ids: false, collect_keys: true };
        let outcome = engine::run(batches, &segments, &context, run_options, |read| {
            self.profiles_read.store(read, Ordering::Relaxed);
            if self.cancel_requested(&job_id) { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        })
        .map_err(ServiceError::Evaluation)?;
        if outcome.stopped || self.cancel_requested(&job_id) {
            return Ok(false);
        }

        let no_keys = engine::RowIds::default();
        let keys = outcome.profile_keys.as_ref().unwrap_or(&no_keys);
        // External audiences keep their own memberships, so only definitions get stored here.
        let evaluated: Vec<usize> =
            (0..segments.len()).filter(|&index| !external.contains(&segments[index].definition.id)).collect();
        let members: Vec<(&str, &roaring::RoaringBitmap)> = evaluated
            .iter()
            .map(|&index| (segments[index].definition.id.as_str(), &outcome.members[index]))
            .collect();
        let (memberships, counts) = self.workspace.job_memberships(&job_id, keys, &members, request.now)?;
        self.workspace.save_job_memberships(&memberships)?;
        let mut metrics = JobMetrics { read: ReadCounts::of(&reader), ..JobMetrics::default() };
        for (position, &index) in evaluated.iter().enumerate() {
            let id = &segments[index].definition.id;
            metrics.segmented_profile_counter.insert(id.clone(), outcome.members[index].len());
            metrics.segmented_profile_by_namespace_counter.insert(id.clone(), outcome.namespace_counts[index].clone());
            metrics.segmented_profile_by_status_counter.insert(id.clone(), counts[position]);
        }
        let end = jiff::Timestamp::now().as_millisecond();
        self.update(|job| {
            metrics.total_time = job.metrics.total_time.clone();
            metrics.profile_segmentation_time = job.metrics.profile_segmentation_time.clone();
            metrics.profile_segmentation_time.finish(end);
            metrics.total_profiles = outcome.total_profiles;
            job.metrics = metrics;
        })?;
        Ok(true)
    }
}

fn error_code(error: &ServiceError) -> &'static str {
    match error {
        ServiceError::Compile(_) => "COMPILE",
        ServiceError::Evaluation(_) => "EVALUATION",
        ServiceError::Profiles(_) => "PROFILES",
        ServiceError::DefinitionNotFound { .. } => "DEFINITION_NOT_FOUND",
        _ => "INTERNAL",
    }
}
