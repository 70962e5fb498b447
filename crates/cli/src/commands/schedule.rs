//! `seg schedule`: manage the cron schedules of a workspace, print fire times, and run the
//! scheduler.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use seg_service::Workspace;
use seg_service::schedule::{
    NewSchedule, PatchOperation, QuartzCron, ScheduleProperties, ScheduleState, ScheduleType, ServeOptions, SystemClock,
    serve,
};

use crate::commands::definition::WorkspaceArg;
use crate::commands::{PageArgs, to_json};
use crate::{Failure, print};

/// Arguments of `seg schedule`.
#[derive(Args)]
pub struct ScheduleArgs {
    #[command(subcommand)]
    command: ScheduleCommand,
}

#[derive(Subcommand)]
enum ScheduleCommand {
    /// Store a new schedule and print it; it stays inactive unless `--state active` is given.
    #[command(after_help = "Examples:
  seg schedule create --workspace ws --name nightly --cron '0 0 1 * * ?' --segments '*' --state active
  seg schedule create --workspace ws --name weekly-export --type export --cron '0 30 2 ? * MON' \\
      --segments big-spenders --destination exports --format ndjson")]
    Create {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The display name.
        #[arg(long)]
        name: String,
        /// A Quartz cron expression in UTC: seconds, minutes, hours, day of month, month, day of week and an optional year.
        #[arg(long)]
        cron: String,
        /// Comma-separated definition ids, or `*` for every definition that is not inactive.
        #[arg(long, value_delimiter = ',', required = true)]
        segments: Vec<String>,
        /// The kind of job the schedule runs.
        #[arg(long = "type", value_enum, default_value = "batch-segmentation")]
        kind: TypeArg,
        /// Whether the scheduler fires it.
        #[arg(long, value_enum, default_value = "inactive")]
        state: StateArg,
        /// For export schedules: the directory that receives one subdirectory per run.
        #[arg(long)]
        destination: Option<PathBuf>,
        /// For export schedules: `parquet`, `ndjson` or `csv`.
        #[arg(long)]
        format: Option<String>,
    },
    /// List the schedules, oldest first.
    #[command(after_help = "Examples:
  seg schedule list --workspace ws
  seg schedule list --workspace ws --start 100 --limit 50 --json")]
    List {
        #[command(flatten)]
        workspace: WorkspaceArg,
        #[command(flatten)]
        page: PageArgs,
        /// Print the list response object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print one schedule object.
    #[command(after_help = "Example:
  seg schedule get --workspace ws 5f0c1a52-3d2e-4a57-9a43-0c6f1f0b7c11")]
    Get {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The schedule id.
        id: String,
    },
    /// Change the state or the cron expression of a schedule and print it.
    #[command(after_help = "Examples:
  seg schedule update --workspace ws 4e538382-dbd8-449e-988a-4ac639ebe72b --state active
  seg schedule update --workspace ws 4e538382-dbd8-449e-988a-4ac639ebe72b --cron '0 0 2 * * ?'")]
    Update {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The schedule id.
        id: String,
        /// The new state.
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        /// The new Quartz cron expression.
        #[arg(long)]
        cron: Option<String>,
    },
    /// Delete a schedule; the jobs it started stay.
    #[command(after_help = "Example:
  seg schedule delete --workspace ws 5f0c1a52-3d2e-4a57-9a43-0c6f1f0b7c11")]
    Delete {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The schedule id.
        id: String,
    },
    /// Print the next fire times of a cron expression, one RFC 3339 time per line.
    #[command(after_help = "Examples:
  seg schedule next --cron '0 0 12 LW * ?' --from 2024-01-31T12:00:00Z --count 3
  seg schedule next --cron '0 30 12 ? * 6#5'")]
    Next {
        /// A Quartz cron expression in UTC.
        #[arg(long)]
        cron: String,
        /// The times printed are strictly after this RFC 3339 time; defaults to now.
        #[arg(long)]
        from: Option<String>,
        /// How many fire times to print.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        count: u64,
    },
    /// Run the scheduler: fire the due active schedules at every tick, over one profile file.
    /// The workspace is locked only during each tick, so other commands can change schedules.
    #[command(after_help = "Examples:
  seg schedule serve --workspace ws --profiles testdata/cdnow/profiles.parquet
  seg schedule serve --workspace ws --profiles profiles.ndjson --interval-seconds 1 --ticks 3")]
    Serve {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The profiles the jobs read: a Parquet file, or NDJSON with one XDM profile per line.
        #[arg(long)]
        profiles: PathBuf,
        /// Seconds between ticks.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        interval_seconds: u64,
        /// Stop after this many ticks.
        #[arg(long)]
        ticks: Option<u64>,
        /// Stop after this many seconds.
        #[arg(long)]
        duration_seconds: Option<u64>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum TypeArg {
    /// A segment job over the segments.
    BatchSegmentation,
    /// An export of the segments' members.
    Export,
}

#[derive(Clone, Copy, ValueEnum)]
enum StateArg {
    /// The scheduler fires it.
    Active,
    /// The scheduler ignores it.
    Inactive,
}

impl From<StateArg> for ScheduleState {
    fn from(state: StateArg) -> Self {
        match state {
            StateArg::Active => ScheduleState::Active,
            StateArg::Inactive => ScheduleState::Inactive,
        }
    }
}

/// Runs `seg schedule`.
///
/// # Errors
///
/// Returns a message for a locked workspace, an unknown schedule or an invalid input.
pub fn run(args: ScheduleArgs) -> Result<(), Failure> {
    match args.command {
        ScheduleCommand::Create { workspace, name, cron, segments, kind, state, destination, format } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let kind = match kind {
                TypeArg::BatchSegmentation => ScheduleType::BatchSegmentation,
                TypeArg::Export => ScheduleType::Export,
            };
            let new = NewSchedule {
                name,
                kind,
                properties: ScheduleProperties { segments, destination, format },
                schedule: cron,
                state: state.into(),
            };
            print(&to_json(&workspace.create_schedule(new)?))
        }
        ScheduleCommand::List { workspace, page: PageArgs { start, limit }, json } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let page = workspace.list_schedules(start, limit)?;
            if json {
                return print(&to_json(&page));
            }
            let mut text = format!("{:<36}  {:<8}  {:<18}  {:<20}  name\n", "id", "state", "type", "schedule");
            for schedule in &page.children {
                let kind = serde_json::to_value(schedule.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                let state = if schedule.state == ScheduleState::Active { "active" } else { "inactive" };
                text.push_str(&format!("{:<36}  {state:<8}  {kind:<18}  {:<20}  {}\n", schedule.id, schedule.schedule, schedule.name));
            }
            text.push_str(&format!("{} of {} schedules\n", page.children.len(), page.page.total_count));
            print(&text)
        }
        ScheduleCommand::Get { workspace, id } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            print(&to_json(&workspace.schedule(&id)?))
        }
        ScheduleCommand::Update { workspace, id, state, cron } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let mut operations = Vec::new();
            if let Some(state) = state {
                let value = serde_json::to_value(ScheduleState::from(state)).unwrap_or_default();
                operations.push(PatchOperation { op: "add".to_string(), path: "/state".to_string(), value });
            }
            if let Some(cron) = cron {
                operations.push(PatchOperation { op: "add".to_string(), path: "/schedule".to_string(), value: cron.into() });
            }
            if operations.is_empty() {
                return Err(Failure("nothing to update; give --state, --cron or both".to_string()));
            }
            print(&to_json(&workspace.update_schedule(&id, &operations)?))
        }
        ScheduleCommand::Delete { workspace, id } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            workspace.delete_schedule(&id)?;
            print(&format!("deleted schedule {id}\n"))
        }
        ScheduleCommand::Next { cron, from, count } => {
            let cron = QuartzCron::parse(&cron)?;
            let from = match from {
                Some(text) => text.parse::<jiff::Timestamp>().map_err(|e| {
                    Failure(format!("invalid --from {text:?}: {e}; write an RFC 3339 time such as 2024-01-31T00:00:00Z"))
                })?,
                None => jiff::Timestamp::now(),
            };
            let times = cron.upcoming(from, usize::try_from(count).unwrap_or(usize::MAX));
            if times.is_empty() {
                return Err(Failure(format!("cron expression {:?} never fires after {from}", cron.expression())));
            }
            let text: String = times.iter().map(|time| format!("{time}\n")).collect();
            print(&text)
        }
        ScheduleCommand::Serve { workspace, profiles, interval_seconds, ticks, duration_seconds } => {
            let options = ServeOptions {
                interval: Duration::from_secs(interval_seconds),
                max_ticks: ticks,
                duration: duration_seconds.map(Duration::from_secs),
            };
            let mut failure = None;
            serve(&workspace.workspace, &profiles, SystemClock, options, |report| {
                if report.fired.is_empty() && report.skipped.is_empty() {
                    return;
                }
                let line = serde_json::to_string(report).unwrap_or_default();
                if let Err(error) = print(&format!("{line}\n")) {
                    failure = Some(error);
                }
            })?;
            failure.map_or(Ok(()), Err)
        }
    }
}
