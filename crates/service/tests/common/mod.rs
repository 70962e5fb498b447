//! Small profile files shared by the schedule, audience, external audience and search tests.

use std::path::{Path, PathBuf};

/// Profiles `p1` to `p4` with an age and one email identity each; `p4` is a minor.
pub const PROFILES: &str = r#"{"_id": "p1", "person": {"age": 30}, "identityMap": {"email": [{"id": "ann@example.com", "primary": true}]}}
{"_id": "p2", "person": {"age": 41}, "identityMap": {"email": [{"id": "bob@example.com", "primary": true}]}}
{"_id": "p3", "person": {"age": 25}, "identityMap": {"email": [{"id": "cid@example.com", "primary": true}]}}
{"_id": "p4", "person": {"age": 12}, "identityMap": {"email": [{"id": "dan@example.com", "primary": true}]}}
"#;

/// Writes [`PROFILES`] to `dir/profiles.ndjson` and returns the path.
pub fn write_profiles(dir: &Path) -> std::io::Result<PathBuf> {
    let path = dir.join("profiles.ndjson");
    std::fs::write(&path, PROFILES)?;
    Ok(path)
}

/// Parses an RFC 3339 time.
pub fn time(text: &str) -> jiff::Timestamp {
    text.parse().unwrap_or_else(|e| panic!("invalid test time {text:?}: {e}"))
}
