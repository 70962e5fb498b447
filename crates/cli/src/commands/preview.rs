//! `seg preview`: prints one page of the profiles that qualify for an expression or a saved
//! definition.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use seg_service::preview::DEFAULT_PREVIEW_LIMIT;
use seg_service::{PreviewRequest, PreviewResponse, SamplingPolicy, Target, Workspace};

use crate::commands::definition::WorkspaceArg;
use crate::commands::{SkipBadLinesArg, parse_now, to_json, warn_about_read};
use crate::{Failure, print};

/// The segment to evaluate, shared by `seg preview` and `seg estimate`.
#[derive(Args)]
pub struct TargetArgs {
    /// The profiles: a Parquet file, or NDJSON with one XDM profile per line.
    #[arg(long, required = true)]
    pub profiles: Option<PathBuf>,
    /// A PQL expression to evaluate.
    #[arg(long, conflicts_with = "definition", required_unless_present = "definition")]
    pub expr: Option<String>,
    /// The workspace that stores `--definition` and the `inSegment` targets of `--expr`.
    /// With a workspace, the preview and its estimate are stored there under a new previewId.
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
    #[command(flatten)]
    pub skip_bad_lines: SkipBadLinesArg,
}

impl TargetArgs {
    /// Returns the profile file.
    pub fn profiles(&self) -> Result<PathBuf, Failure> {
        self.profiles.clone().ok_or_else(|| Failure("missing --profiles <file>".to_string()))
    }

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
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:
  seg preview --profiles testdata/cdnow/profiles.parquet --now 1998-07-01T00:00:00Z \\
      --expr 'xEvent[eventType = \"commerce.purchases\"].count() >= 10' --limit 20 --fields _id,xEvent
  seg preview --profiles testdata/cdnow/profiles.parquet --workspace ws --definition big-spenders --offset 1000 --json
  seg preview get --workspace ws 3f1c7a52-0d7e-4f4e-9a43-1c2b3d4e5f60 --offset 1000 --json
  seg preview delete --workspace ws 3f1c7a52-0d7e-4f4e-9a43-1c2b3d4e5f60"
)]
pub struct PreviewArgs {
    #[command(subcommand)]
    command: Option<PreviewCommand>,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    page: PageArgs,
    /// Comma-separated dot paths of the fields printed besides `_id`.
    #[arg(long, value_delimiter = ',')]
    fields: Vec<String>,
    /// The seed of the estimate's sample, drawn from files of one million profiles or more.
    /// Used when the preview is stored in a workspace.
    #[arg(long)]
    seed: Option<u64>,
}

/// The page of qualifying profiles to print, shared by `seg preview` and `seg preview get`.
#[derive(Args)]
struct PageArgs {
    /// The index of the first qualifying profile printed.
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Qualifying profiles per page.
    #[arg(long, default_value_t = DEFAULT_PREVIEW_LIMIT)]
    limit: usize,
    /// Print the preview response object instead of one profile per line.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum PreviewCommand {
    /// Print a page of a stored preview, without evaluating the profiles again.
    #[command(after_help = "Examples:
  seg preview get --workspace ws 7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6
  seg preview get --workspace ws 7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6 --offset 100 --limit 50 --json")]
    Get {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The previewId printed when the preview was created.
        id: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Delete a stored preview and its estimate.
    #[command(after_help = "Example:
  seg preview delete --workspace ws 7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6")]
    Delete {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The previewId.
        id: String,
    },
}

/// Evaluates the target and prints the page, or runs a `get` or `delete` of a stored preview.
///
/// # Errors
///
/// Returns a message for an invalid `--now`, a locked workspace, unreadable profiles,
/// definitions that do not compile, and an unknown preview id.
pub fn run(args: PreviewArgs) -> Result<(), Failure> {
    match args.command {
        Some(PreviewCommand::Get { workspace, id, page }) => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let response = workspace.preview_page(&id, page.offset, page.limit, DEFAULT_BATCH_SIZE)?;
            print_page(&response, page.json)
        }
        Some(PreviewCommand::Delete { workspace, id }) => {
            let workspace = Workspace::open(&workspace.workspace)?;
            print(&to_json(&workspace.delete_preview(&id)?))
        }
        None => {
            let (target, workspace, now) = args.target.resolve()?;
            let request = PreviewRequest {
                profiles: args.target.profiles()?,
                target,
                now,
                offset: args.page.offset,
                limit: args.page.limit,
                fields: args.fields,
                batch_size: args.target.batch_size as usize,
                skip_bad_lines: args.target.skip_bad_lines.skip_bad_lines,
            };
            let response = match &workspace {
                Some(workspace) => {
                    let mut policy = SamplingPolicy::default();
                    policy.seed = args.seed.unwrap_or(policy.seed);
                    workspace.create_preview(&request, &policy)?
                }
                None => seg_service::preview(&request, None)?,
            };
            warn_about_read(&request.profiles, &response.read);
            print_page(&response, args.page.json)
        }
    }
}

/// The batch size of `seg preview get`, which only reads the fields of one page.
const DEFAULT_BATCH_SIZE: usize = 65_536;

fn print_page(response: &PreviewResponse, json: bool) -> Result<(), Failure> {
    if json {
        return print(&to_json(response));
    }
    let mut text = String::new();
    for result in &response.results {
        text += &serde_json::to_string(result).unwrap_or_default();
        text.push('\n');
    }
    let page = response.page;
    text += &format!("\nprofiles {}..{} of {} qualifying\n", page.offset, page.offset + page.size, page.total_count);
    if let Some(id) = &response.preview_id {
        text += &format!("previewId {id}\n");
    }
    print(&text)
}
