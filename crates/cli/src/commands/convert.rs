//! `seg convert-cdnow`: builds the bundled CDNOW profile file from the original text file.

use std::path::PathBuf;

use clap::Args;

use crate::{Failure, print};

/// Arguments of `seg convert-cdnow`.
#[derive(Args)]
#[command(after_help = "Example:
  seg convert-cdnow --input testdata/cdnow/CDNOW_master.txt --output testdata/cdnow/profiles.parquet")]
pub struct ConvertArgs {
    /// The CDNOW purchase history (`CDNOW_master.txt`).
    #[arg(long)]
    input: PathBuf,
    /// The Parquet file to write; replaced atomically.
    #[arg(long)]
    output: PathBuf,
}

/// Converts the file and prints how many profiles and events it wrote.
///
/// # Errors
///
/// Returns the converter's error, which names the line of a malformed row.
pub fn run(args: ConvertArgs) -> Result<(), Failure> {
    let summary = seg_io::convert_cdnow(&args.input, &args.output)?;
    print(&format!(
        "wrote {} profiles with {} events to {}\n",
        summary.profiles,
        summary.events,
        args.output.display()
    ))
}
