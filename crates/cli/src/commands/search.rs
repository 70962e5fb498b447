//! `seg search`: Lucene-style search over the names, descriptions, ids and folders of audiences.

use clap::{Args, Subcommand};
use seg_service::Workspace;
use seg_service::search::{EntitySearch, MAX_LIMIT};

use crate::commands::definition::WorkspaceArg;
use crate::commands::to_json;
use crate::{Failure, print};

/// Arguments of `seg search`.
#[derive(Args)]
pub struct SearchArgs {
    #[command(subcommand)]
    command: SearchCommand,
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Print the matching audiences per namespace.
    #[command(after_help = "Examples:
  seg search namespaces --workspace ws
  seg search namespaces --workspace ws --query 'segmentName:spend* AND NOT lapsed'")]
    Namespaces {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The query; without it every audience counts.
        #[arg(long)]
        query: Option<String>,
    },
    /// Print one page of the matching audiences of a namespace.
    #[command(after_help = "Examples:
  seg search entities --workspace ws --namespace AEPSegments --query '\"big spenders\" OR spendrs~1'
  seg search entities --workspace ws --namespace CustomerAudienceUpload --page 1 --limit 10")]
    Entities {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The namespace: `AEPSegments` for definitions, or an external audience's namespace.
        #[arg(long)]
        namespace: String,
        /// The query; without it every audience of the namespace matches.
        #[arg(long)]
        query: Option<String>,
        /// Only audiences in this folder.
        #[arg(long)]
        folder: Option<String>,
        /// The 0-based page number.
        #[arg(long, default_value_t = 0)]
        page: usize,
        /// The page size, 1 to 50.
        #[arg(long, default_value_t = MAX_LIMIT)]
        limit: usize,
    },
}

/// Runs `seg search` and prints the response object.
///
/// # Errors
///
/// Returns a message for a locked workspace, an invalid query or an invalid page size.
pub fn run(args: SearchArgs) -> Result<(), Failure> {
    match args.command {
        SearchCommand::Namespaces { workspace, query } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            print(&to_json(&workspace.search_namespaces(query.as_deref())?))
        }
        SearchCommand::Entities { workspace, namespace, query, folder, page, limit } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let search = EntitySearch { namespace, query, folder_id: folder, page, limit };
            print(&to_json(&workspace.search_entities(&search)?))
        }
    }
}
