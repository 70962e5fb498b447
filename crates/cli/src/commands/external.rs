//! `seg external`: import external audiences from CSV files and inspect their runs and members.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use seg_service::Workspace;
use seg_service::audience::{NewExternalAudience, RunStatus};

use crate::commands::definition::WorkspaceArg;
use crate::commands::to_json;
use crate::{Failure, print};

/// Arguments of `seg external`.
#[derive(Args)]
pub struct ExternalArgs {
    #[command(subcommand)]
    command: ExternalCommand,
}

#[derive(Subcommand)]
enum ExternalCommand {
    /// Create an external audience from a CSV file with a header row, and print it with its first run.
    #[command(after_help = "Examples:
  seg external create --workspace ws --id vip-upload --name 'VIP upload' --csv vip.csv \\
      --identity-column email --identity-namespace email --ttl-days 60")]
    Create {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The id that `inSegment` references; defaults to a new UUID v4.
        #[arg(long)]
        id: Option<String>,
        /// The display name.
        #[arg(long)]
        name: String,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
        /// The CSV file.
        #[arg(long)]
        csv: PathBuf,
        /// The CSV column that contains the identities. The other columns are payload.
        #[arg(long)]
        identity_column: String,
        /// The identity namespace of that column, as in the profiles' `identityMap` (`email`, `CRMID`).
        #[arg(long)]
        identity_namespace: String,
        /// The audience namespace.
        #[arg(long)]
        namespace: Option<String>,
        /// Days a membership stays valid after its run, 1 to 90.
        #[arg(long, default_value_t = 30)]
        ttl_days: u32,
        /// The folder, searchable as `folderId`.
        #[arg(long)]
        folder: Option<String>,
    },
    /// Import another CSV file into an external audience and print the run.
    #[command(after_help = "Examples:
  seg external ingest --workspace ws --csv vip-june.csv vip-upload
  seg external ingest --workspace ws --csv vip-all.csv --full vip-upload")]
    Ingest {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The audience id.
        id: String,
        /// The CSV file, with the audience's identity column.
        #[arg(long)]
        csv: PathBuf,
        /// Replace the members with the file's; by default the file's identities are added.
        #[arg(long)]
        full: bool,
    },
    /// Print the ingestion runs of an external audience as `{"runs": [...]}`.
    #[command(after_help = "Example:
  seg external runs --workspace ws vip-upload")]
    Runs {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The audience id.
        id: String,
    },
    /// Print the stored members of an external audience, expired ones included.
    #[command(after_help = "Example:
  seg external members --workspace ws vip-upload")]
    Members {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The audience id.
        id: String,
    },
    /// Set the days a membership stays valid after later runs.
    #[command(after_help = "Example:
  seg external update --workspace ws --ttl-days 90 vip-upload")]
    Update {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The audience id.
        id: String,
        /// Days, 1 to 90.
        #[arg(long)]
        ttl_days: u32,
    },
}

/// Runs `seg external`.
///
/// # Errors
///
/// Returns a message for a locked workspace, an unknown audience, an invalid input, or an
/// ingestion run that failed.
pub fn run(args: ExternalArgs) -> Result<(), Failure> {
    match args.command {
        ExternalCommand::Create {
            workspace,
            id,
            name,
            description,
            csv,
            identity_column,
            identity_namespace,
            namespace,
            ttl_days,
            folder,
        } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let new = NewExternalAudience {
                audience_id: None,
                id,
                name,
                description,
                namespace,
                identity_column,
                identity_namespace,
                ttl_in_days: Some(ttl_days),
                folder_id: folder,
            };
            let (audience, run) = workspace.create_external_audience(new, &csv, jiff::Timestamp::now())?;
            print(&to_json(&audience))?;
            failed_run(&run)
        }
        ExternalCommand::Ingest { workspace, id, csv, full } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let run = workspace.ingest_external(&id, &csv, !full, jiff::Timestamp::now())?;
            print(&to_json(&run))?;
            failed_run(&run)
        }
        ExternalCommand::Runs { workspace, id } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            let audience = workspace.external_audience(&id)?;
            print(&to_json(&serde_json::json!({ "runs": audience.runs })))
        }
        ExternalCommand::Members { workspace, id } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            print(&to_json(&workspace.external_members(&id)?))
        }
        ExternalCommand::Update { workspace, id, ttl_days } => {
            let workspace = Workspace::open(&workspace.workspace)?;
            print(&to_json(&workspace.set_external_ttl(&id, ttl_days)?))
        }
    }
}

fn failed_run(run: &seg_service::audience::IngestionRun) -> Result<(), Failure> {
    if run.status == RunStatus::Failed {
        return Err(Failure(format!("ingestion run {} failed: {}", run.run_id, run.errors.join("; "))));
    }
    Ok(())
}
