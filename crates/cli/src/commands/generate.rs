//! `seg generate`: writes seeded synthetic profiles with experience events to a Parquet file.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use seg_io::{EventCounts, GenerateOptions};

use crate::{Failure, print};

/// Arguments of `seg generate`.
#[derive(Args)]
#[command(after_help = "Examples:
  seg generate --profiles 1000000 --seed 1 --out bench-data/profiles-1m.parquet
  seg generate --profiles 1000000 --seed 1 --events-per-profile 64 --out bench-data/fixed-64.parquet

Events fall in the 365 days before 2025-01-01T00:00:00Z; evaluate with --now 2025-01-01T00:00:00Z.")]
pub struct GenerateArgs {
    /// The number of profiles to write.
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=4_294_967_295))]
    profiles: u64,
    /// The seed of the random streams. The same seed and options give the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The Parquet file to write, replaced atomically.
    #[arg(long)]
    out: PathBuf,
    /// The mean number of events per profile, on a skewed (log-normal) distribution capped at
    /// 5,000 events.
    #[arg(long, default_value_t = 20.0, conflicts_with = "events_per_profile")]
    mean_events: f64,
    /// Gives every profile exactly this many events instead of a skewed number.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=5_000))]
    events_per_profile: Option<u32>,
    /// Profiles per Parquet row group.
    #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    row_group_size: u64,
}

/// Writes the file and prints how many profiles, events and row groups it holds.
///
/// # Errors
///
/// Returns the generator's error for an option out of range or a file that cannot be written.
pub fn run(args: GenerateArgs) -> Result<(), Failure> {
    let events = match args.events_per_profile {
        Some(count) => EventCounts::Fixed(count),
        None => EventCounts::Skewed { mean: args.mean_events },
    };
    let options = GenerateOptions {
        profiles: args.profiles,
        seed: args.seed,
        events,
        profiles_per_row_group: args.row_group_size as usize,
    };
    options.validate()?;

    let started = Instant::now();
    let progress = progress_bar(args.profiles);
    let summary = seg_io::generate_profiles(&options, &args.out, |written| progress.set_position(written))?;
    progress.finish_and_clear();
    print(&format!(
        "wrote {} profiles with {} events in {} row groups to {} in {:.1} s\n",
        summary.profiles,
        summary.events,
        summary.row_groups,
        args.out.display(),
        started.elapsed().as_secs_f64()
    ))
}

fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{bar:40} {pos}/{len} profiles ({per_sec}, {eta} left)")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
