//! `seg export`: writes the members of segments to a Parquet, NDJSON or CSV file.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use clap::{Args, ValueEnum};
use seg_service::{ExportFormat, ExportRequest, JobStatus, MembershipStatus, Workspace};

use crate::commands::definition::WorkspaceArg;
use crate::commands::to_json;
use crate::{Failure, print};

/// Arguments of `seg export`.
#[derive(Args)]
#[command(after_help = "Examples:
  seg export --workspace ws --profiles testdata/cdnow/profiles.parquet --segments lapsed-customers --out members.parquet
  seg export --workspace ws --profiles testdata/cdnow/profiles.parquet --segments big-spenders,lapsed-customers \\
      --status realized,exited --format csv --fields identityMap --segment-per-batch --out members/
  seg export --workspace ws --profiles testdata/cdnow/profiles.parquet --segments lapsed-customers \\
      --qualified-from 1998-04-01T00:00:00Z --format ndjson --out recent.ndjson --json")]
pub struct ExportArgs {
    #[command(flatten)]
    workspace: WorkspaceArg,
    /// The profile file the exported fields are read from.
    #[arg(long)]
    profiles: PathBuf,
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
    /// Comma-separated dot paths of the exported fields besides `_id`; all fields when absent.
    #[arg(long, value_delimiter = ',')]
    fields: Vec<String>,
    /// Also export profiles whose selected fields are all null.
    #[arg(long)]
    empty_profiles: bool,
    /// Write one file per segment, `<out>/<segment id>.<format>`; `--out` is then a directory.
    #[arg(long)]
    segment_per_batch: bool,
    /// The output file, or directory with `--segment-per-batch`.
    #[arg(long)]
    out: PathBuf,
    /// Profiles per record batch; cancel requests are checked between batches.
    #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    batch_size: u64,
    /// Print the export job object instead of a summary line.
    #[arg(long)]
    json: bool,
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
    let request = ExportRequest {
        profiles: args.profiles,
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
        out: args.out,
        segment_per_batch: args.segment_per_batch,
        batch_size: args.batch_size as usize,
    };
    let workspace = Workspace::open(&args.workspace.workspace)?;
    let job = workspace.run_export(&request, &AtomicBool::new(false))?;
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

fn parse_time(option: &str, text: Option<&str>) -> Result<Option<i64>, Failure> {
    let Some(text) = text else { return Ok(None) };
    let time = text.parse::<jiff::Timestamp>().map_err(|e| {
        Failure(format!("invalid {option} {text:?}: {e}; write an RFC 3339 time such as 1998-07-01T00:00:00Z"))
    })?;
    Ok(Some(time.as_microsecond()))
}
