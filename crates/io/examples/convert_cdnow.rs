//! Converts the CDNOW purchase history to a Parquet profile file.
//!
//! Usage: `cargo run -p seg-io --example convert_cdnow -- CDNOW_master.txt profiles.parquet`

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = arguments.as_slice() else {
        eprintln!("usage: convert_cdnow CDNOW_MASTER_TXT OUTPUT_PARQUET");
        return ExitCode::FAILURE;
    };
    match seg_io::convert_cdnow(&PathBuf::from(input), &PathBuf::from(output)) {
        Ok(summary) => {
            println!("wrote {output}: {} profiles, {} events", summary.profiles, summary.events);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
