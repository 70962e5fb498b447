//! One module per `seg` subcommand.

pub mod audience;
pub mod bench;
pub mod completions;
pub mod convert;
pub mod convert_pql;
pub mod definition;
pub mod estimate;
pub mod eval;
pub mod export;
pub mod external;
pub mod explain;
pub mod generate;
pub mod job;
pub mod membership;
pub mod parse;
pub mod preview;
pub mod schedule;
pub mod search;
pub mod validate;

use std::path::Path;

/// The `--start` and `--limit` options of the `list` commands, which print one page of a
/// longer list.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct PageArgs {
    /// The offset of the first item listed, counted from 0.
    #[arg(long, default_value_t = 0)]
    pub start: usize,
    /// The maximum number of items listed.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
}

/// The `--skip-bad-lines` option of the commands that read profiles.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct SkipBadLinesArg {
    /// Skip NDJSON lines that are not valid JSON objects instead of failing, and print how many
    /// were skipped.
    #[arg(long)]
    pub skip_bad_lines: bool,
}

/// Prints a warning to standard error for each problem that reading `profiles` found without
/// failing: skipped NDJSON lines, and profiles with more events than the default event limit.
pub fn warn_about_read(profiles: &Path, read: &seg_service::ReadCounts) {
    if read.skipped_lines > 0 {
        eprintln!("seg: warning: skipped {} bad lines of {}", read.skipped_lines, profiles.display());
    }
    if read.profiles_over_event_limit > 0 {
        eprintln!(
            "seg: warning: {} profiles of {} have more than {} events; they are evaluated in full",
            read.profiles_over_event_limit,
            profiles.display(),
            seg_io::DEFAULT_EVENT_LIMIT
        );
    }
}

/// The evaluator of the plans, as a command-line value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// The vectorized engine over Arrow arrays.
    Columnar,
    /// The one-profile-at-a-time reference interpreter, slow and meant for checking.
    Reference,
}

impl From<EngineArg> for seg_service::Engine {
    fn from(engine: EngineArg) -> Self {
        match engine {
            EngineArg::Columnar => seg_service::Engine::Columnar,
            EngineArg::Reference => seg_service::Engine::Reference,
        }
    }
}

/// Returns the label of the evaluation methods an eligibility reason rules out.
pub fn excluded_methods(edge_only: bool) -> &'static str {
    if edge_only { "not edge" } else { "neither streaming nor edge" }
}

/// Returns `count` followed by `noun`, with an `s` unless `count` is 1.
pub fn count_of(count: usize, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}

/// Formats a value as pretty JSON followed by a newline.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Parses `--now` as RFC 3339, or returns the current UTC time, in microseconds since the epoch.
pub fn parse_now(text: Option<&str>) -> Result<i64, crate::Failure> {
    let timestamp = match text {
        Some(text) => text.parse::<jiff::Timestamp>().map_err(|e| {
            crate::Failure(format!("invalid --now {text:?}: {e}; write an RFC 3339 time such as 1998-07-01T00:00:00Z"))
        })?,
        None => jiff::Timestamp::now(),
    };
    Ok(timestamp.as_microsecond())
}
