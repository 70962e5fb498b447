//! `seg estimate`: prints the estimated audience size of an expression or a saved definition.

use clap::{Args, Subcommand};
use seg_service::{EstimateRequest, EstimateResponse, SamplingPolicy, Workspace};

use crate::commands::definition::WorkspaceArg;
use crate::commands::preview::TargetArgs;
use crate::commands::{to_json, warn_about_read};
use crate::{Failure, print};

/// Arguments of `seg estimate`.
#[derive(Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:
  seg estimate --profiles testdata/cdnow/profiles.parquet --now 1998-07-01T00:00:00Z \\
      --expr 'xEvent[eventType = \"commerce.purchases\"].count() >= 10'
  seg estimate --profiles big.parquet --workspace ws --definition big-spenders --seed 7 --json
  seg estimate get --workspace ws 3f1c7a52-0d7e-4f4e-9a43-1c2b3d4e5f60 --json"
)]
pub struct EstimateArgs {
    #[command(subcommand)]
    command: Option<EstimateCommand>,
    #[command(flatten)]
    target: TargetArgs,
    /// The seed of the sample drawn from files of one million profiles or more.
    #[arg(long)]
    seed: Option<u64>,
    /// Print the estimate object instead of a summary line.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum EstimateCommand {
    /// Print the estimate stored with a preview, under the preview's previewId.
    #[command(after_help = "Example:
  seg estimate get --workspace ws 7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6 --json")]
    Get {
        #[command(flatten)]
        workspace: WorkspaceArg,
        /// The previewId printed when the preview was created.
        id: String,
        /// Print the estimate object instead of a summary line.
        #[arg(long)]
        json: bool,
    },
}

/// Estimates the audience size and prints it, or prints the estimate of a stored preview.
///
/// # Errors
///
/// Returns a message for an invalid `--now`, a locked workspace, unreadable profiles,
/// definitions that do not compile, and an unknown preview id.
pub fn run(args: EstimateArgs) -> Result<(), Failure> {
    if let Some(EstimateCommand::Get { workspace, id, json }) = args.command {
        let workspace = Workspace::open(&workspace.workspace)?;
        return print_estimate(&workspace.preview_estimate(&id)?, json);
    }
    let (target, workspace, now) = args.target.resolve()?;
    let mut policy = SamplingPolicy::default();
    if let Some(seed) = args.seed {
        policy.seed = seed;
    }
    let request = EstimateRequest {
        profiles: args.target.profiles()?,
        target,
        now,
        batch_size: args.target.batch_size as usize,
        skip_bad_lines: args.target.skip_bad_lines.skip_bad_lines,
        policy,
    };
    let estimate = seg_service::estimate(&request, workspace.as_ref())?;
    warn_about_read(&request.profiles, &estimate.read);
    print_estimate(&estimate, args.json)
}

fn print_estimate(estimate: &EstimateResponse, json: bool) -> Result<(), Failure> {
    if json {
        return print(&to_json(estimate));
    }
    let margin = 1.96 * estimate.standard_error;
    print(&format!(
        "estimated size {} ± {:.0} (95%), {} of {} profiles read, {} matched\n",
        estimate.estimated_size, margin, estimate.profiles_read_so_far, estimate.total_rows, estimate.profiles_matched_so_far
    ))
}
