//! `seg eval`: evaluates a directory of definitions over a profile file.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use seg_eval::EvalContext;
use seg_io::ReadOptions;

use seg_service::ReadCounts;
use seg_service::engine::{self as job, RunOptions};

use crate::commands::{EngineArg, SkipBadLinesArg, warn_about_read};
use crate::{Failure, definitions, print, report};

/// Arguments of `seg eval`.
#[derive(Args)]
#[command(after_help = "Examples:
  seg eval --profiles testdata/cdnow/profiles.parquet --definitions testdata/cdnow/segments --now 1998-07-01T00:00:00Z
  seg eval --profiles profiles.ndjson --definitions segments/ --members-out members/ --json")]
pub struct EvalArgs {
    /// The profiles: a Parquet file, or NDJSON with one XDM profile per line.
    #[arg(long)]
    profiles: PathBuf,
    /// A directory of `<segment id>.pql` files and segment definition `.json` objects.
    #[arg(long)]
    definitions: PathBuf,
    /// The evaluation time, RFC 3339 (`1998-07-01T00:00:00Z`); what `now` and `today` mean.
    /// Defaults to the current UTC time.
    #[arg(long)]
    now: Option<String>,
    /// Writes `<segment id>.txt` per segment into this directory: member ids, sorted, one per line.
    #[arg(long)]
    members_out: Option<PathBuf>,
    /// Prints the segment job object as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// The evaluator that runs the plans. `reference` is slow and meant for cross-checking.
    #[arg(long, value_enum, default_value = "columnar")]
    engine: EngineArg,
    /// Profiles per record batch.
    #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    batch_size: u64,
    #[command(flatten)]
    skip_bad_lines: SkipBadLinesArg,
}

/// Runs the job and prints the audiences.
///
/// # Errors
///
/// Returns a message for an invalid `--now`, unreadable profiles or definitions, and every
/// diagnostic of definitions that do not compile.
pub fn run(args: EvalArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let creation_millis = unix_millis();
    let now = parse_now(args.now.as_deref())?;
    let definitions = definitions::load_dir(&args.definitions).map_err(Failure)?;
    let options = ReadOptions {
        batch_size: args.batch_size as usize,
        skip_bad_lines: args.skip_bad_lines.skip_bad_lines,
        keep_string_dictionaries: matches!(args.engine, EngineArg::Columnar),
        ..ReadOptions::default()
    };
    let mut reader = seg_io::open(&args.profiles, &options)?;
    let schema = reader.schema();
    let segments = job::compile(definitions, &schema).map_err(|errors| Failure(errors.join("\n")))?;

    let progress = progress_bar();
    let context = EvalContext { now };
    let batches = reader.by_ref().map(|batch| batch.map_err(|e| e.to_string()));
    let collect_ids = args.members_out.is_some();
    let options = RunOptions { engine: args.engine.into(), collect_ids, collect_keys: false };
    let outcome = job::run(batches, &segments, &context, options, |profiles| {
        progress.set_position(profiles);
        std::ops::ControlFlow::Continue(())
    })
    .map_err(Failure)?;
    progress.finish_and_clear();
    warn_about_read(&args.profiles, &ReadCounts::of(&reader));

    if let (Some(dir), Some(ids)) = (&args.members_out, &outcome.member_ids) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        for (segment, members) in segments.iter().zip(ids) {
            seg_io::write_members(dir, &segment.definition.id, members.iter().map(String::as_str))?;
        }
    }
    let timing = report::Timing { creation_millis, segmentation_millis: outcome.segmentation_millis, total: started.elapsed() };
    let text = if args.json {
        report::job_json(&segments, &outcome, &timing, now)
    } else {
        report::table(&segments, &outcome, &timing, now)
    };
    print(&text)
}

fn parse_now(text: Option<&str>) -> Result<i64, Failure> {
    let timestamp = match text {
        Some(text) => text.parse::<jiff::Timestamp>().map_err(|e| {
            Failure(format!("invalid --now {text:?}: {e}; write an RFC 3339 time such as 1998-07-01T00:00:00Z"))
        })?,
        None => jiff::Timestamp::now(),
    };
    i64::try_from(timestamp.as_microsecond()).map_err(|_| Failure(format!("--now {timestamp} is out of range")))
}

fn unix_millis() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    let style = ProgressStyle::with_template("{spinner} {pos} profiles evaluated ({per_sec})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar
}
