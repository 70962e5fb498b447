//! `seg export`: writes the members of segments to a Parquet, NDJSON or CSV file.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use clap::{Args, Subcommand, ValueEnum};
use seg_service::{ExportFormat, ExportRequest, JobStatus, MembershipStatus, Workspace};

use crate::commands::definition::WorkspaceArg;
use crate::commands::{PageArgs, SkipBadLinesArg, to_json, warn_about_read};
use crate::{Failure, print};

/// Arguments of `seg export`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true, after_help = "Examples:
  seg export --workspace ws --profiles testdata/cdnow/profiles.parquet --segments lapsed-customers --out members.parquet
  seg export --workspace ws --profiles testdata/cdnow/profiles.parquet --segments big-spenders,lapsed-customers \\
      --status realized,exited --format csv --fields identityMap --segment-per-batch --out members/
  seg export --workspace ws --profiles testdata/cdnow/profiles.parquet --segments lapsed-customers \\
      --qualified-from 1998-04-01T00:00:00Z --format ndjson --out recent.ndjson --json
  seg export list --workspace ws --status FAILED --json
  seg export get --workspace ws 6a0f3c1e-2b4d-4e8f-9a1b-3c5d7e9f1a2b
  seg export cancel --workspace ws 6a0f3c1e-2b4d-4e8f-9a1b-3c5d7e9f1a2b")]
pub struct ExportArgs {
    #[command(subcommand)]
    command: Option<ExportCommand>,
    /// The workspace directory; created when missing.
    #[arg(long, required = true)]
    workspace: Option<PathBuf>,
    /// The profile file the exported fields are read from.
    #[arg(long, required = true)]
    profiles: Option<PathBuf>,
    /// Comma-separated ids of the segments whose members are exported.
    #[arg(long, value_delimiter = ',', required = true)]
    segments: Vec<String>,
    /// Comma-separated membership statuses exported.
    #[arg(long = "status", value_delimiter = ',', value_enum, default_value = "realized")]
    statuses: Vec<StatusArg>,
    /// Only memberships whose lastQualificationTime is at or after this RFC 3339 time.
    #[arg(long)]
    qualified_from: Option<String>,
    /// Only memberships whose lastQualificationTime is at or before this RFC 3339 time.
    #[arg(long)]
    qualified_until: Option<String>,
    /// The output format.
    #[arg(long, value_enum, default_value = "parquet")]
    format: FormatArg,
    /// Comma-separated dot paths of the exported fields besides `_id`, and `segmentMembership`
    /// for each profile's memberships in the exported segments; all fields when absent.
    #[arg(long, value_delimiter = ',')]
    fields: Vec<String>,
    /// Also export profiles whose selected fields are all null.
    #[arg(long)]
    empty_profiles: bool,
    /// Write one file per segment, `<out>/<segment id>.<format>`; `--out` is then a directory.
    #[arg(long)]
    segment_per_batch: bool,
    /// The output file, or directory with `--segment-per-batch`.
    #[arg(long, required = true)]
    out: Option<PathBuf>,
    /// Profiles per record batch; cancel requests are checked between batches.
    #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    batch_size: u64,
    /// Print the export job object instead of a summary line.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    skip_bad_lines: SkipBadLinesArg,
}

#[derive(Subcommand)]
enum ExportCommand {
    /// List the export jobs of a workspace, newest first.
    #[command(after_help = "Examples:
  seg export list --workspace ws
  seg export list --workspace ws --status FAILED --json")]
    List {
        #[command(flatten)]
        workspace: WorkspaceArg,
        #[command(flatten)]
        page: PageArgs,
        /// Only jobs in this status, such as SUCCEEDED.
        #[arg(long, value_parser = parse_status)]
        status: Option<JobStatus>,
        /// Print the list response object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print one export job object.
    #[command(after_help = "Example:
  seg export get --workspace ws 6a0f3c1e-2b4d-4e8f-9a1b-3c5d7e9f1a2b")]
    Get {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The export job id.
        id: String,
    },
    /// Ask a running export job to stop; it ends CANCELLED and writes no output file. This
    /// works while the export's process holds the workspace lock.
    #[command(after_help = "Example:
  seg export cancel --workspace ws 6a0f3c1e-2b4d-4e8f-9a1b-3c5d7e9f1a2b")]
    Cancel {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The export job id.
        id: String,
    },
}

/// A membership status on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum StatusArg {
    Realized,
    Exited,
}

/// An export format on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Parquet,
    Ndjson,
    Csv,
}

/// Runs the export job and prints its record.
///
/// # Errors
///
/// Returns a message for a locked workspace, an invalid time, an unknown segment or field,
/// and a failed or cancelled export.
pub fn run(args: ExportArgs) -> Result<(), Failure> {
    match args.command {
        Some(ExportCommand::List { workspace, page: PageArgs { start, limit }, status, json }) => list(&workspace.workspace, start, limit, status, json),
        Some(ExportCommand::Get { workspace, id }) => {
            let workspace = Workspace::open(&workspace.workspace)?;
            print(&to_json(&workspace.export_job(&id)?))
        }
        Some(ExportCommand::Cancel { workspace, id }) => {
            seg_service::request_export_cancel(&workspace.workspace, &id)?;
            print(&to_json(&serde_json::json!({ "status": true, "message": "Export job has been marked for cancelling" })))
        }
        None => run_export(args),
    }
}

fn list(workspace: &Path, start: usize, limit: usize, status: Option<JobStatus>, json: bool) -> Result<(), Failure> {
    let workspace = Workspace::open(workspace)?;
    let page = workspace.list_export_jobs(start, limit, status)?;
    if json {
        return print(&to_json(&page));
    }
    let mut text = format!("{:<36}  {:<10}  {:>9}  {}\n", "id", "status", "profiles", "destination");
    for job in &page.records {
        text += &format!(
            "{:<36}  {:<10}  {:>9}  {}\n",
            job.id,
            job.status.as_str(),
            job.metrics.total_exported_profile_counter,
            job.destination.path.display()
        );
    }
    text += &format!("{} of {} export jobs\n", page.records.len(), page.page.total_count);
    print(&text)
}

fn run_export(args: ExportArgs) -> Result<(), Failure> {
    let missing = |option: &str| Failure(format!("missing {option}; see `seg export --help`"));
    let workspace = args.workspace.ok_or_else(|| missing("--workspace <dir>"))?;
    let request = ExportRequest {
        profiles: args.profiles.ok_or_else(|| missing("--profiles <file>"))?,
        segments: args.segments,
        statuses: args
            .statuses
            .iter()
            .map(|s| match s {
                StatusArg::Realized => MembershipStatus::Realized,
                StatusArg::Exited => MembershipStatus::Exited,
            })
            .collect(),
        qualified_from: parse_time("--qualified-from", args.qualified_from.as_deref())?,
        qualified_until: parse_time("--qualified-until", args.qualified_until.as_deref())?,
        fields: args.fields,
        empty_profiles: args.empty_profiles,
        format: match args.format {
            FormatArg::Parquet => ExportFormat::Parquet,
            FormatArg::Ndjson => ExportFormat::Ndjson,
            FormatArg::Csv => ExportFormat::Csv,
        },
        out: args.out.ok_or_else(|| missing("--out <path>"))?,
        segment_per_batch: args.segment_per_batch,
        properties: None,
        batch_size: args.batch_size as usize,
        skip_bad_lines: args.skip_bad_lines.skip_bad_lines,
    };
    let workspace = Workspace::open(&workspace)?;
    let job = workspace.run_export(&request, &AtomicBool::new(false))?;
    warn_about_read(&request.profiles, &job.metrics.read);
    if args.json {
        print(&to_json(&job))?;
    } else {
        print(&format!(
            "export {} {:?}: {} profiles written to {}\n",
            job.id,
            job.status,
            job.metrics.total_exported_profile_counter,
            job.destination.path.display()
        ))?;
    }
    if job.status == JobStatus::Cancelled {
        return Err(Failure(format!("export job {} was cancelled; no output file was written", job.id)));
    }
    Ok(())
}

/// Parses a job status as written in export job objects, such as `SUCCEEDED`.
fn parse_status(text: &str) -> Result<JobStatus, String> {
    serde_json::from_value(serde_json::Value::String(text.to_uppercase()))
        .map_err(|_| format!("unknown status {text:?}; use NEW, PROCESSING, SUCCEEDED, FAILED, CANCELLING or CANCELLED"))
}

fn parse_time(option: &str, text: Option<&str>) -> Result<Option<i64>, Failure> {
    let Some(text) = text else { return Ok(None) };
    let time = text.parse::<jiff::Timestamp>().map_err(|e| {
        Failure(format!("invalid {option} {text:?}: {e}; write an RFC 3339 time such as 1998-07-01T00:00:00Z"))
    })?;
    Ok(Some(time.as_microsecond()))
}
