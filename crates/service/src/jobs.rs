//! Segment job records: their JSON shape, storage under `jobs/`, listing and cancel requests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic::{read_json, write_json};
use crate::error::ServiceError;
use crate::read_counts::ReadCounts;
use crate::workspace::{Workspace, check_id, json_files};

/// The status of a segment job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    /// Created, not started.
    New,
    /// Reading and evaluating profiles.
    Processing,
    /// Finished; memberships are updated.
    Succeeded,
    /// Stopped by an error, listed in `errors`.
    Failed,
    /// A cancel was requested; the job stops after the current batches.
    Cancelling,
    /// Stopped by a cancel; memberships are unchanged.
    Cancelled,
}

impl JobStatus {
    /// Returns the status as written in job objects, such as `SUCCEEDED`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::New => "NEW",
            JobStatus::Processing => "PROCESSING",
            JobStatus::Succeeded => "SUCCEEDED",
            JobStatus::Failed => "FAILED",
            JobStatus::Cancelling => "CANCELLING",
            JobStatus::Cancelled => "CANCELLED",
        }
    }

    /// True for `SUCCEEDED`, `FAILED` and `CANCELLED`.
    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled)
    }
}

/// A segment job object in the service's JSON shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentJob {
    /// The job id, a UUID v4.
    pub id: String,
    /// `api` for a job started on request, `scheduler` for one started by a schedule.
    pub source: String,
    /// The schedule run that started the job; absent for jobs started on request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<JobProperties>,
    /// The lifecycle status.
    pub status: JobStatus,
    /// The evaluation time, RFC 3339; what `now` means in the expressions.
    pub evaluation_time: String,
    /// The profile file read.
    pub profiles: PathBuf,
    /// The definitions evaluated, `inSegment` dependencies first once the job has started.
    pub segments: Vec<SegmentInfo>,
    /// Counters and timings.
    pub metrics: JobMetrics,
    /// The errors that made the job fail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<JobErrorEntry>,
    /// Creation time in milliseconds since the Unix epoch.
    pub creation_time: i64,
    /// Last update time in milliseconds since the Unix epoch.
    pub update_time: i64,
    /// Last update time in seconds since the Unix epoch.
    pub update_epoch: i64,
}

/// The `properties` of a job started by a schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobProperties {
    /// The schedule.
    pub schedule_id: String,
    /// The run of the schedule, shared by the jobs it started.
    pub run_id: String,
}

/// One entry of a job's `segments`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentInfo {
    /// The definition id, or `*` before the job resolved it.
    pub segment_id: String,
    /// A snapshot of the definition used, once resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<crate::definition::SegmentDefinition>,
}

/// The `metrics` object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobMetrics {
    /// The whole job.
    pub total_time: TimeSpan,
    /// Reading and evaluating profiles only.
    pub profile_segmentation_time: TimeSpan,
    /// Profiles read.
    pub total_profiles: u64,
    /// Qualifying profiles per segment.
    pub segmented_profile_counter: BTreeMap<String, u64>,
    /// Qualifying profiles per identity namespace per segment; a profile with identities in
    /// several namespaces counts in each.
    pub segmented_profile_by_namespace_counter: BTreeMap<String, BTreeMap<String, u64>>,
    /// Profiles per membership status per segment after this job.
    pub segmented_profile_by_status_counter: BTreeMap<String, StatusCounts>,
    /// The `skippedLines` and `profilesOverEventLimit` of the profile file, each present only
    /// when it is not 0.
    #[serde(flatten)]
    pub read: ReadCounts,
}

/// A `{startTimeInMs, endTimeInMs, totalTimeInMs}` object; fields are absent until known.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeSpan {
    /// Start in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time_in_ms: Option<i64>,
    /// End in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time_in_ms: Option<i64>,
    /// End minus start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_time_in_ms: Option<i64>,
}

impl TimeSpan {
    pub(crate) fn started(start: i64) -> Self {
        TimeSpan { start_time_in_ms: Some(start), end_time_in_ms: None, total_time_in_ms: None }
    }

    pub(crate) fn finish(&mut self, end: i64) {
        self.end_time_in_ms = Some(end);
        self.total_time_in_ms = self.start_time_in_ms.map(|start| end - start);
    }
}

/// Membership counts of one segment: `realized` qualify after the job, `exited` qualified
/// before it and no longer do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    /// Profiles that qualify.
    pub realized: u64,
    /// Profiles that left the segment in this job.
    pub exited: u64,
}

/// One entry of a failed job's `errors`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobErrorEntry {
    /// A short error class, such as `COMPILE` or `INTERRUPTED`.
    pub code: String,
    /// The message.
    pub msg: String,
}

impl Workspace {
    pub(crate) fn job_path(&self, id: &str) -> PathBuf {
        self.jobs_dir().join(format!("{id}.json"))
    }

    pub(crate) fn save_job(&self, job: &SegmentJob) -> Result<(), ServiceError> {
        write_json(&self.job_path(&job.id), job)
    }

    /// Returns the job `id`.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::JobNotFound`] when there is none.
    pub fn job(&self, id: &str) -> Result<SegmentJob, ServiceError> {
        check_id("segment job id", id)?;
        read_json(&self.job_path(id))?.ok_or_else(|| ServiceError::JobNotFound { id: id.to_string() })
    }

    /// Returns every job, newest first.
    ///
    /// # Errors
    ///
    /// Returns an error when a job file cannot be read or parsed.
    pub fn jobs(&self) -> Result<Vec<SegmentJob>, ServiceError> {
        let mut jobs = Vec::new();
        for path in json_files(&self.jobs_dir())? {
            if let Some(job) = read_json::<SegmentJob>(&path)? {
                jobs.push(job);
            }
        }
        jobs.sort_by(|a, b| b.creation_time.cmp(&a.creation_time).then_with(|| a.id.cmp(&b.id)));
        Ok(jobs)
    }

    /// Returns one page of jobs, newest first, with the total count before paging.
    /// `status` keeps only the jobs in that status.
    ///
    /// # Errors
    ///
    /// Returns an error when a job file cannot be read or parsed.
    pub fn list_jobs(&self, start: usize, limit: usize, status: Option<JobStatus>) -> Result<(Vec<SegmentJob>, usize), ServiceError> {
        let matching: Vec<SegmentJob> =
            self.jobs()?.into_iter().filter(|job| status.is_none_or(|wanted| job.status == wanted)).collect();
        let total = matching.len();
        Ok((matching.into_iter().skip(start).take(limit).collect(), total))
    }
}

/// Asks the job `id` in the workspace at `dir` to stop, without taking the workspace lock, so
/// another process can cancel the job that has the lock. The job checks for the request
/// between batches.
///
/// # Errors
///
/// Returns [`ServiceError::JobNotFound`] when no such job exists,
/// [`ServiceError::InvalidParameter`] when it has already ended, and a file error when the
/// request cannot be written.
pub fn request_cancel(dir: &Path, id: &str) -> Result<(), ServiceError> {
    check_id("segment job id", id)?;
    let Some(job) = read_json::<SegmentJob>(&dir.join("jobs").join(format!("{id}.json")))? else {
        return Err(ServiceError::JobNotFound { id: id.to_string() });
    };
    if job.status.is_final() {
        return Err(ServiceError::InvalidParameter {
            parameter: "segment job id",
            value: id.to_string(),
            expected: format!("a queued or running segment job; this one has already ended with status {}", job.status.as_str()),
        });
    }
    write_json(&cancel_marker(dir, id), &true)
}

pub(crate) fn cancel_marker(dir: &Path, id: &str) -> PathBuf {
    dir.join("jobs").join(format!("{id}.cancel"))
}

/// Marks jobs left unfinished by a process that ended during them as `FAILED` and deletes the
/// temporary files of its interrupted writes. Runs when the lock is taken, so no other
/// process can be running them.
pub(crate) fn recover_interrupted(workspace: &Workspace) -> Result<(), ServiceError> {
    remove_temporary_files(workspace.root(), true)?;
    workspace.remove_unreferenced_memberships_on_open()?;
    crate::preview_store::remove_orphan_preview_files(workspace)?;
    crate::export::recover_interrupted_exports(workspace)?;
    for mut job in workspace.jobs()? {
        if job.status.is_final() {
            continue;
        }
        tracing::warn!(id = %job.id, status = ?job.status, "marking an interrupted segment job as failed");
        job.status = JobStatus::Failed;
        job.errors.push(JobErrorEntry {
            code: "INTERRUPTED".to_string(),
            msg: "the seg process ended before the job finished; run the job again".to_string(),
        });
        job.update_time = jiff::Timestamp::now().as_millisecond();
        job.update_epoch = job.update_time / 1000;
        workspace.save_job(&job)?;
        let marker = cancel_marker(workspace.root(), &job.id);
        let _ = std::fs::remove_file(marker);
    }
    Ok(())
}

/// Deletes `.seg-*.tmp` files left by writes that a killed process never renamed, in `dir`
/// and, with `recursive`, its subdirectories. A missing directory has nothing to delete.
pub(crate) fn remove_temporary_files(dir: &Path, recursive: bool) -> Result<(), ServiceError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(ServiceError::file("read directory", dir, error)),
    };
    for entry in entries {
        let path = entry.map_err(|e| ServiceError::file("read directory", dir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            if recursive {
                remove_temporary_files(&path, true)?;
            }
        } else if name.starts_with(".seg-") && name.ends_with(".tmp") {
            tracing::warn!(path = %path.display(), "deleting a temporary file of an interrupted write");
            std::fs::remove_file(&path).map_err(|e| ServiceError::file("delete", &path, e))?;
        }
    }
    Ok(())
}
