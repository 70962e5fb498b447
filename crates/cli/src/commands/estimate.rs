//! `seg estimate`: prints the estimated audience size of an expression or a saved definition.

use clap::Args;
use seg_service::{EstimateRequest, SamplingPolicy};

use crate::commands::preview::TargetArgs;
use crate::commands::to_json;
use crate::{Failure, print};

/// Arguments of `seg estimate`.
#[derive(Args)]
#[command(after_help = "Examples:
  seg estimate --profiles testdata/cdnow/profiles.parquet --now 1998-07-01T00:00:00Z \\
      --expr 'xEvent[eventType = \"commerce.purchases\"].count() >= 10'
  seg estimate --profiles big.parquet --workspace ws --definition big-spenders --seed 7 --json")]
pub struct EstimateArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// The seed of the sample drawn from files of one million profiles or more.
    #[arg(long)]
    seed: Option<u64>,
    /// Print the estimate object instead of a summary line.
    #[arg(long)]
    json: bool,
}

/// Estimates the audience size and prints it.
///
/// # Errors
///
/// Returns a message for an invalid `--now`, a locked workspace, unreadable profiles, and
/// definitions that do not compile.
pub fn run(args: EstimateArgs) -> Result<(), Failure> {
    let (target, workspace, now) = args.target.resolve()?;
    let mut policy = SamplingPolicy::default();
    if let Some(seed) = args.seed {
        policy.seed = seed;
    }
    let request = EstimateRequest {
        profiles: args.target.profiles.clone(),
        target,
        now,
        batch_size: args.target.batch_size as usize,
        policy,
    };
    let estimate = seg_service::estimate(&request, workspace.as_ref())?;
    if args.json {
        return print(&to_json(&estimate));
    }
    let margin = 1.96 * estimate.standard_error;
    print(&format!(
        "estimated size {} ± {:.0} (95%), {} of {} profiles read, {} matched\n",
        estimate.estimated_size, margin, estimate.profiles_read_so_far, estimate.total_rows, estimate.profiles_matched_so_far
    ))
}
