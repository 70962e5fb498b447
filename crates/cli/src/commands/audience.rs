//! `seg audience`: create audiences backed by definitions, list and show every audience, and
//! move them through the lifecycle `draft`, `published`, `inactive`, `deleted`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use seg_service::Workspace;
use seg_service::audience::{LifecycleState, NewAudience};

use crate::commands::definition::WorkspaceArg;
use crate::commands::{PageArgs, to_json};
use crate::{Failure, print};

/// Arguments of `seg audience`.
#[derive(Args)]
pub struct AudienceArgs {
    #[command(subcommand)]
    command: AudienceCommand,
}

#[derive(Subcommand)]
enum AudienceCommand {
    /// Store a new audience backed by a definition and print it. It is a draft unless `--state published` is given.
    #[command(after_help = "Examples:
  seg audience create --workspace ws --id adults --name Adults --pql 'person.age >= 18'
  seg audience create --workspace ws --id big-spenders --file testdata/cdnow/segments/big-spenders.pql --state published")]
    Create {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The id; defaults to a new UUID v4.
        #[arg(long)]
        id: Option<String>,
        /// The unique display name; defaults to the id, or the stem of `--file`.
        #[arg(long)]
        name: Option<String>,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
        /// The PQL text.
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        pql: Option<String>,
        /// A file with the PQL text.
        #[arg(long)]
        file: Option<PathBuf>,
        /// The folder, searchable as `folderId`.
        #[arg(long)]
        folder: Option<String>,
        /// The initial lifecycle state.
        #[arg(long, value_enum, default_value = "draft")]
        state: CreateState,
    },
    /// List the audiences, definitions and external ones, by name.
    #[command(after_help = "Examples:
  seg audience list --workspace ws
  seg audience list --workspace ws --name spenders --json")]
    List {
        #[command(flatten)]
        workspace: WorkspaceArg,
        #[command(flatten)]
        page: PageArgs,
        /// Only audiences whose name contains this text, ignoring case.
        #[arg(long)]
        name: Option<String>,
        /// Print the list response object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print one audience object with its dependencies and dependents.
    #[command(after_help = "Example:
  seg audience get --workspace ws big-spenders")]
    Get {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The audience id.
        id: String,
    },
    /// Move an audience to another lifecycle state and print it.
    #[command(after_help = "Examples:
  seg audience set-state --workspace ws adults published
  seg audience set-state --workspace ws adults inactive")]
    SetState {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The audience id.
        id: String,
        /// `draft`, `published`, `inactive` or `deleted`.
        state: String,
    },
    /// Delete an audience that no other audience reads through `inSegment`.
    #[command(after_help = "Example:
  seg audience delete --workspace ws adults")]
    Delete {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The audience id.
        id: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CreateState {
    /// Saved, not released.
    Draft,
    /// Released; every audience it reads must be published.
    Published,
}

/// Runs `seg audience`.
///
/// # Errors
///
/// Returns a message for a locked workspace, an unknown audience, an invalid definition or a
/// refused lifecycle change.
pub fn run(args: AudienceArgs) -> Result<(), Failure> {
    match args.command {
        AudienceCommand::Create { workspace, id, name, description, pql, file, folder, state } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let (pql, stem) = match (pql, file) {
                (Some(pql), _) => (pql, None),
                (None, Some(file)) => {
                    let text = std::fs::read_to_string(&file)
                        .map_err(|e| Failure(format!("cannot read --file {}: {e}", file.display())))?;
                    (text, file.file_stem().map(|stem| stem.to_string_lossy().into_owned()))
                }
                (None, None) => return Err(Failure("give the PQL with --pql or --file".to_string())),
            };
            let name = name.or(stem).or_else(|| id.clone()).ok_or_else(|| Failure("give the audience a --name".to_string()))?;
            let lifecycle_state = Some(match state {
                CreateState::Draft => LifecycleState::Draft,
                CreateState::Published => LifecycleState::Published,
            });
            let new = NewAudience { id, name, description, pql, lifecycle_state, folder_id: folder };
            print(&to_json(&workspace.create_audience(new)?))
        }
        AudienceCommand::List { workspace, page: PageArgs { start, limit }, name, json } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let page = workspace.list_audiences(start, limit, name.as_deref())?;
            if json {
                return print(&to_json(&page));
            }
            let mut text = format!("{:<36}  {:<17}  {:<9}  name\n", "id", "type", "state");
            for audience in &page.children {
                let kind = format!("{:?}", audience.kind);
                let state = audience.lifecycle_state.to_string();
                text.push_str(&format!("{:<36}  {kind:<17}  {state:<9}  {}\n", audience.id, audience.name));
            }
            text.push_str(&format!("{} of {} audiences\n", page.children.len(), page.page.total_count));
            print(&text)
        }
        AudienceCommand::Get { workspace, id } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            print(&to_json(&workspace.audience(&id)?))
        }
        AudienceCommand::SetState { workspace, id, state } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let target: LifecycleState = state.parse()?;
            print(&to_json(&workspace.set_lifecycle_state(&id, target)?))
        }
        AudienceCommand::Delete { workspace, id } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            workspace.delete_audience(&id)?;
            print(&format!("deleted audience {id}\n"))
        }
    }
}
