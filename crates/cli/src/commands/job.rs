//! `seg job`: run segment jobs over a workspace's definitions, list them, show and cancel one.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use seg_service::{JobRequest, JobStatus, SegmentJob, Workspace};

use crate::commands::definition::WorkspaceArg;
use crate::commands::{EngineArg, PageArgs, SkipBadLinesArg, parse_now, to_json, warn_about_read};
use crate::{Failure, print};

/// Arguments of `seg job`.
#[derive(Args)]
pub struct JobArgs {
    #[command(subcommand)]
    command: JobCommand,
}

#[derive(Subcommand)]
enum JobCommand {
    /// Evaluate definitions over a profile file and update their memberships.
    #[command(after_help = "Examples:
  seg job run --workspace ws --profiles testdata/cdnow/profiles.parquet --segments '*' --now 1998-07-01T00:00:00Z
  seg job run --workspace ws --profiles profiles.ndjson --segments big-spenders,lapsed-customers --json")]
    Run {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The profiles: a Parquet file, or NDJSON with one XDM profile per line.
        #[arg(long)]
        profiles: PathBuf,
        /// Comma-separated definition ids, or `*` for every definition of the workspace.
        #[arg(long, value_delimiter = ',', required = true)]
        segments: Vec<String>,
        /// The evaluation time, RFC 3339 (`1998-07-01T00:00:00Z`); defaults to the current UTC time.
        #[arg(long)]
        now: Option<String>,
        /// The evaluator of the plans; `reference` is slow and meant for cross-checking.
        #[arg(long, value_enum, default_value = "columnar")]
        engine: EngineArg,
        /// Profiles per record batch; cancel requests are checked between batches.
        #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
        batch_size: u64,
        /// Print the segment job object instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        skip_bad_lines: SkipBadLinesArg,
    },
    /// List the jobs of a workspace, newest first.
    #[command(after_help = "Examples:
  seg job list --workspace ws --json
  seg job list --workspace ws --status FAILED --start 0 --limit 10")]
    List {
        #[command(flatten)]
        workspace: WorkspaceArg,
        #[command(flatten)]
        page: PageArgs,
        /// Only jobs in this status.
        #[arg(long, value_parser = parse_status)]
        status: Option<JobStatus>,
        /// Print the job objects instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print one segment job object.
    #[command(after_help = "Example:
  seg job get --workspace ws 0b5c2a8e-6f1d-4c1e-9b1a-2f3d4e5f6a7b")]
    Get {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The job id.
        id: String,
    },
    /// Ask a running segment or export job to stop. This works while another process has the
    /// workspace locked.
    #[command(after_help = "Example:
  seg job cancel --workspace ws 0b5c2a8e-6f1d-4c1e-9b1a-2f3d4e5f6a7b")]
    Cancel {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The job id.
        id: String,
    },
}

/// Runs one `seg job` command.
///
/// # Errors
///
/// Returns a message for a locked workspace, an invalid `--now`, an unknown id, and a job
/// that failed or was cancelled.
pub fn run(args: JobArgs) -> Result<(), Failure> {
    match args.command {
        JobCommand::Run { workspace, profiles, segments, now, engine, batch_size, json, skip_bad_lines } => {
            let now = parse_now(now.as_deref())?;
            let workspace = Arc::new(Workspace::open(&workspace.workspace)?);
            let request = JobRequest {
                profiles: profiles.clone(),
                segments,
                now,
                engine: engine.into(),
                batch_size: batch_size as usize,
                skip_bad_lines: skip_bad_lines.skip_bad_lines,
            };
            let handle = workspace.start_job(request)?;
            let bar = progress_bar();
            while !handle.is_finished() {
                bar.set_position(handle.profiles_read());
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            bar.finish_and_clear();
            let job = handle.wait()?;
            warn_about_read(&profiles, &job.metrics.read);
            print(&if json { to_json(&job) } else { job_table(&job) })?;
            if job.status == JobStatus::Cancelled {
                return Err(Failure(format!("segment job {} was cancelled; memberships are unchanged", job.id)));
            }
            Ok(())
        }
        JobCommand::List { workspace, page: PageArgs { start, limit }, status, json } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let (jobs, total) = workspace.list_jobs(start, limit, status)?;
            if json {
                let page = serde_json::json!({ "totalCount": total, "pageSize": jobs.len() });
                return print(&to_json(&serde_json::json!({ "_page": page, "children": jobs })));
            }
            let mut text = format!("{:<36}  {:<10}  {:<20}  {:>9}\n", "id", "status", "evaluationTime", "profiles");
            for job in &jobs {
                let status = format!("{:?}", job.status).to_uppercase();
                text += &format!("{:<36}  {:<10}  {:<20}  {:>9}\n", job.id, status, job.evaluation_time, job.metrics.total_profiles);
            }
            print(&text)
        }
        JobCommand::Get { workspace, id } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            print(&to_json(&workspace.job(&id)?))
        }
        JobCommand::Cancel { workspace, id } => {
            match seg_service::request_cancel(&workspace.workspace, &id) {
                Err(seg_service::ServiceError::JobNotFound { .. }) => {
                    match seg_service::request_export_cancel(&workspace.workspace, &id) {
                        Err(seg_service::ServiceError::ExportJobNotFound { .. }) => {
                            return Err(seg_service::ServiceError::JobNotFound { id }.into());
                        }
                        other => other?,
                    }
                }
                other => other?,
            }
            print(&format!("segment job {id} has been marked for cancelling\n"))
        }
    }
}

/// Returns a spinner with the profiles evaluated so far on a terminal, and a hidden bar otherwise.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    let style = ProgressStyle::with_template("{spinner} segment job: {pos} profiles evaluated ({per_sec})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar
}

/// Parses a job status as written in job objects, such as `SUCCEEDED`.
fn parse_status(text: &str) -> Result<JobStatus, String> {
    serde_json::from_value(serde_json::Value::String(text.to_uppercase()))
        .map_err(|_| format!("unknown status {text:?}; use NEW, PROCESSING, SUCCEEDED, FAILED, CANCELLING or CANCELLED"))
}

/// Formats one row per segment: members, realized and exited counts.
fn job_table(job: &SegmentJob) -> String {
    let metrics = &job.metrics;
    let width = job.segments.iter().map(|s| s.segment_id.len()).max().unwrap_or(7).max(7);
    let mut text = format!("{:<width$}  {:>10}  {:>10}  {:>10}\n", "segment", "members", "realized", "exited");
    for segment in &job.segments {
        let id = &segment.segment_id;
        let members = metrics.segmented_profile_counter.get(id).copied().unwrap_or(0);
        let counts = metrics.segmented_profile_by_status_counter.get(id).copied().unwrap_or_default();
        text += &format!("{id:<width$}  {members:>10}  {:>10}  {:>10}\n", counts.realized, counts.exited);
    }
    text += &format!(
        "\njob {} {:?}: {} profiles evaluated at {}\n",
        job.id, job.status, metrics.total_profiles, job.evaluation_time
    );
    text
}
