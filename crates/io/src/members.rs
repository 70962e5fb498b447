//! Writing the member list of one segment as a text file.

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::atomic::write_atomically;
use crate::error::IoError;

/// Writes `<dir>/<segment_id>.txt` with the ids of the segment's members, sorted ascending by
/// byte value, one per line, each line ending in `\n`. A repeated id is written once.
///
/// The file is replaced atomically, and `dir` is created when it is missing.
///
/// # Errors
///
/// Returns [`IoError::InvalidSegmentId`] when `segment_id` is empty or contains `/`, `\`,
/// `..` or a NUL character, [`IoError::InvalidMemberId`] when an id contains a line break,
/// and [`IoError::File`] when the file cannot be written.
pub fn write_members<'a>(
    dir: &Path,
    segment_id: &str,
    ids: impl Iterator<Item = &'a str>,
) -> Result<(), IoError> {
    validate_segment_id(segment_id)?;
    let mut ids: Vec<&str> = ids.collect();
    if let Some(id) = ids.iter().find(|id| id.contains(['\n', '\r'])) {
        return Err(IoError::InvalidMemberId { segment_id: segment_id.to_string(), id: id.to_string() });
    }
    ids.sort_unstable();
    ids.dedup();

    let path = dir.join(format!("{segment_id}.txt"));
    write_atomically(&path, |file| {
        let mut writer = BufWriter::new(file);
        for id in &ids {
            writer.write_all(id.as_bytes()).map_err(|source| IoError::file("write", &path, source))?;
            writer.write_all(b"\n").map_err(|source| IoError::file("write", &path, source))?;
        }
        writer.flush().map_err(|source| IoError::file("write", &path, source))
    })
}

/// Rejects a segment id that is not a plain file name, so the output stays inside `dir`.
fn validate_segment_id(segment_id: &str) -> Result<(), IoError> {
    let reason = if segment_id.is_empty() {
        "the id is empty"
    } else if segment_id.contains(['/', '\\']) {
        "path separators are not allowed"
    } else if segment_id.contains("..") {
        "`..` is not allowed"
    } else if segment_id.contains('\0') {
        "NUL characters are not allowed"
    } else {
        return Ok(());
    };
    Err(IoError::InvalidSegmentId { segment_id: segment_id.to_string(), reason })
}
