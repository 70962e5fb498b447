//! `seg definition`: create, list, get, update and delete the segment definitions of a workspace.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use seg_service::{ListQuery, SegmentDefinition, Workspace};

use crate::commands::{PageArgs, to_json};
use crate::{Failure, print};

/// Arguments of `seg definition`.
#[derive(Args)]
pub struct DefinitionArgs {
    #[command(subcommand)]
    command: DefinitionCommand,
}

#[derive(Subcommand)]
enum DefinitionCommand {
    /// Store a new definition and print it with its id.
    #[command(after_help = "Examples:
  seg definition create --workspace ws --file testdata/cdnow/segments/bulk-cd-buyers.json
  seg definition create --workspace ws --file testdata/cdnow/segments/big-spenders.pql --id big-spenders --json")]
    Create {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// A segment definition `.json` object, or a `.pql` file whose stem becomes the name.
        #[arg(long)]
        file: PathBuf,
        /// The id to store the definition under; defaults to the object's `id` or a new UUID v4.
        #[arg(long)]
        id: Option<String>,
        /// Print the stored definition object instead of a summary line.
        #[arg(long)]
        json: bool,
    },
    /// List definitions, one page at a time.
    #[command(after_help = "Examples:
  seg definition list --workspace ws
  seg definition list --workspace ws --sort name:asc --start 20 --limit 10 --json")]
    List {
        #[command(flatten)]
        workspace: WorkspaceArg,
        #[command(flatten)]
        page: PageArgs,
        /// `field:asc` or `field:desc` over `name`, `creationTime` or `updateTime`.
        #[arg(long, default_value = "creationTime:desc")]
        sort: String,
        /// Print the list response object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print one definition, or several as `{"results": {id: definition}}`.
    #[command(after_help = "Examples:
  seg definition get --workspace ws big-spenders
  seg definition get --workspace ws big-spenders lapsed-customers")]
    Get {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The definition ids.
        #[arg(required = true)]
        ids: Vec<String>,
        /// Accepted for symmetry with the other commands; `get` always prints JSON.
        #[arg(long)]
        json: bool,
    },
    /// Overwrite a definition with the content of a file, keeping its id.
    #[command(after_help = "Example:
  seg definition update --workspace ws big-spenders --file big-spenders-v2.pql")]
    Update {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The definition id.
        id: String,
        /// A segment definition `.json` object, or a `.pql` file; a `.pql` file keeps the stored name.
        #[arg(long)]
        file: PathBuf,
        /// Print the stored definition object instead of a summary line.
        #[arg(long)]
        json: bool,
    },
    /// Delete a definition and its memberships.
    #[command(after_help = "Example:
  seg definition delete --workspace ws big-spenders")]
    Delete {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The definition id.
        id: String,
    },
}

/// The `--workspace` option shared by the service commands.
#[derive(Args)]
pub struct WorkspaceArg {
    /// The workspace directory; created when missing.
    #[arg(long)]
    pub workspace: PathBuf,
}

/// Runs one `seg definition` command.
///
/// # Errors
///
/// Returns the service error as a message: a locked workspace, an invalid definition, a name
/// or id conflict, or an unknown id.
pub fn run(args: DefinitionArgs) -> Result<(), Failure> {
    match args.command {
        DefinitionCommand::Create { workspace, file, id, json } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let mut definition = read_definition(&file, None)?;
            if let Some(id) = id {
                definition.id = id;
            }
            print_stored("created", &workspace.create_definition(definition)?, json)
        }
        DefinitionCommand::List { workspace, page: PageArgs { start, limit }, sort, json } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let page = workspace.list_definitions(&ListQuery { start, limit, sort })?;
            if json {
                return print(&to_json(&page));
            }
            let mut text = format!("{:<38}  {:<24}  {}\n", "id", "updated", "name");
            for definition in &page.segments {
                let updated = jiff::Timestamp::from_millisecond(definition.update_time)
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                text += &format!("{:<38}  {:<24}  {}\n", definition.id, updated, definition.name);
            }
            text += &format!("{} of {}\n", page.page.page_size, crate::commands::count_of(page.page.total_count, "definition"));
            print(&text)
        }
        DefinitionCommand::Get { workspace, ids, json: _ } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            if let [id] = ids.as_slice() {
                return print(&to_json(&workspace.definition(id)?));
            }
            let results = workspace.definitions_bulk(&ids)?;
            print(&to_json(&serde_json::json!({ "results": results })))
        }
        DefinitionCommand::Update { workspace, id, file, json } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let existing = workspace.definition(&id)?;
            let definition = read_definition(&file, Some(existing))?;
            print_stored("updated", &workspace.update_definition(&id, definition)?, json)
        }
        DefinitionCommand::Delete { workspace, id } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            workspace.delete_definition(&id)?;
            print(&format!("deleted segment definition {id}\n"))
        }
    }
}

/// Prints a stored definition as JSON, or as one line with its id, name and evaluation methods.
fn print_stored(action: &str, definition: &SegmentDefinition, json: bool) -> Result<(), Failure> {
    if json {
        return print(&to_json(definition));
    }
    print(&format!(
        "{action} segment definition {} ({:?}), evaluation: {}\n",
        definition.id, definition.name, definition.evaluation_info
    ))
}

/// Reads a definition object (`.json`) or PQL text (`.pql`) with the service's loader. For
/// PQL text, `base` supplies the other fields; without it the file stem is the name.
fn read_definition(path: &Path, base: Option<SegmentDefinition>) -> Result<SegmentDefinition, Failure> {
    let definition = seg_service::read_definition_file(path)?;
    let is_pql = path.extension().is_some_and(|ext| ext == "pql");
    match base {
        Some(mut base) if is_pql => {
            base.expression = definition.expression;
            Ok(base)
        }
        _ => Ok(definition),
    }
}
