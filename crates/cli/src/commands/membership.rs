//! `seg membership`: prints the segment memberships of one profile.

use clap::Args;
use seg_service::Workspace;

use crate::commands::definition::WorkspaceArg;
use crate::commands::to_json;
use crate::{Failure, print};

/// Arguments of `seg membership`.
#[derive(Args)]
#[command(after_help = "Example:
  seg membership --workspace ws 00042")]
pub struct MembershipArgs {
    #[command(flatten)]
    workspace: WorkspaceArg,
    /// The profile `_id`.
    profile_id: String,
}

/// Prints `{"ups": {"<segment id>": {"status", "lastQualificationTime"}}}` for the profile.
///
/// # Errors
///
/// Returns a message for a locked workspace or an unreadable membership file.
pub fn run(args: MembershipArgs) -> Result<(), Failure> {
    let workspace = Workspace::open(&args.workspace.workspace)?;
    print(&to_json(&workspace.profile_membership(&args.profile_id)?))
}
