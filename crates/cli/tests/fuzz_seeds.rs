//! The seeds of the `bind` and `differential` fuzz targets must bind against the fuzz
//! profiles, so that the fuzzer starts from definitions that reach the evaluators.

use std::path::Path;
use std::process::Command;

#[test]
fn profile_seeds_validate_against_fuzz_profiles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new(env!("CARGO_BIN_EXE_seg"))
        .current_dir(&root)
        .args(["validate", "fuzz/seeds/profiles", "--profiles", "fuzz/data/profiles.ndjson"])
        .output()
        .expect("seg runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(output.status.success(), "seg validate failed:\n{stdout}\n{stderr}");
    let valid = stdout.lines().filter(|line| line.starts_with("valid ")).count();
    assert!(valid >= 5, "only {valid} valid seeds:\n{stdout}");
}
