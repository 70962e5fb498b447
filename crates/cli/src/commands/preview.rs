//! `seg preview`: prints one page of the profiles that qualify for an expression or a saved
//! definition.

use std::path::PathBuf;

use clap::Args;
use seg_service::preview::DEFAULT_PREVIEW_LIMIT;
use seg_service::{PreviewRequest, Target, Workspace};

use crate::commands::{parse_now, to_json};
use crate::{Failure, print};

/// The segment to evaluate, shared by `seg preview` and `seg estimate`.
#[derive(Args)]
pub struct TargetArgs {
    /// The profiles: a Parquet file, or NDJSON with one XDM profile per line.
    #[arg(long)]
    pub profiles: PathBuf,
    /// A PQL expression to evaluate.
    #[arg(long, conflicts_with = "definition", required_unless_present = "definition")]
    pub expr: Option<String>,
    /// The workspace that stores `--definition` and the `inSegment` targets of `--expr`.
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// The id of a saved definition; requires `--workspace`.
    #[arg(long, requires = "workspace")]
    pub definition: Option<String>,
    /// The evaluation time, RFC 3339 (`1998-07-01T00:00:00Z`); defaults to the current UTC time.
    #[arg(long)]
    pub now: Option<String>,
    /// Profiles per record batch.
    #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    pub batch_size: u64,
}

impl TargetArgs {
    /// Returns the target, the opened workspace when one is given, and the evaluation time.
    pub fn resolve(&self) -> Result<(Target, Option<Workspace>, i64), Failure> {
        let now = parse_now(self.now.as_deref())?;
        let workspace = self.workspace.as_deref().map(Workspace::open).transpose()?;
        let target = match (&self.expr, &self.definition) {
            (Some(expr), _) => Target::Expression(expr.clone()),
            (None, Some(id)) => Target::Definition(id.clone()),
            (None, None) => return Err(Failure("give --expr <pql> or --workspace <dir> --definition <id>".to_string())),
        };
        Ok((target, workspace, now))
    }
}

/// Arguments of `seg preview`.
#[derive(Args)]
#[command(after_help = "Examples:
  seg preview --profiles testdata/cdnow/profiles.parquet --now 1998-07-01T00:00:00Z \\
      --expr 'xEvent[eventType = \"commerce.purchases\"].count() >= 10' --limit 20 --fields _id,xEvent
  seg preview --profiles testdata/cdnow/profiles.parquet --workspace ws --definition big-spenders --offset 1000 --json")]
pub struct PreviewArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// The index of the first qualifying profile printed.
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Qualifying profiles per page.
    #[arg(long, default_value_t = DEFAULT_PREVIEW_LIMIT)]
    limit: usize,
    /// Comma-separated dot paths of the fields printed besides `_id`.
    #[arg(long, value_delimiter = ',')]
    fields: Vec<String>,
    /// Print the preview response object instead of one profile per line.
    #[arg(long)]
    json: bool,
}

/// Evaluates the target and prints the page.
///
/// # Errors
///
/// Returns a message for an invalid `--now`, a locked workspace, unreadable profiles, and
/// definitions that do not compile.
pub fn run(args: PreviewArgs) -> Result<(), Failure> {
    let (target, workspace, now) = args.target.resolve()?;
    let request = PreviewRequest {
        profiles: args.target.profiles.clone(),
        target,
        now,
        offset: args.offset,
        limit: args.limit,
        fields: args.fields,
        batch_size: args.target.batch_size as usize,
    };
    let response = seg_service::preview(&request, workspace.as_ref())?;
    if args.json {
        return print(&to_json(&response));
    }
    let mut text = String::new();
    for result in &response.results {
        text += &serde_json::to_string(result).unwrap_or_default();
        text.push('\n');
    }
    let page = response.page;
    text += &format!("\nprofiles {}..{} of {} qualifying\n", page.offset, page.offset + page.size, page.total_count);
    print(&text)
}
