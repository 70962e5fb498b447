//! Shared fixtures of the criterion benchmarks: the bundled CDNOW profiles and the example
//! segment definitions.

use std::path::{Path, PathBuf};

/// Returns the repository root, from which the bundled test data is read.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Reads every `*.pql` example definition of the CDNOW data as `(segment id, text)` pairs,
/// sorted by id.
///
/// # Errors
///
/// Returns the I/O error of an unreadable directory or file.
pub fn cdnow_definitions() -> std::io::Result<Vec<(String, String)>> {
    let dir = repo_root().join("testdata/cdnow/segments");
    let mut definitions = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "pql") {
            let id = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
            definitions.push((id, std::fs::read_to_string(&path)?));
        }
    }
    definitions.sort();
    Ok(definitions)
}
