//! Atomic file writes: a reader sees the old file or the complete new one, never a part.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::error::ServiceError;

/// Writes `path` by calling `write` on a temporary file in the same directory, syncing the
/// file, renaming it over `path` and syncing the directory so the rename survives a crash.
///
/// If `write` fails, the temporary file is removed and `path` is left unchanged.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<(), ServiceError>,
) -> Result<(), ServiceError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(directory).map_err(|e| ServiceError::file("create directory", directory, e))?;
    let mut temporary = tempfile::Builder::new()
        .prefix(".seg-")
        .suffix(".tmp")
        .tempfile_in(directory)
        .map_err(|e| ServiceError::file("create a temporary file in", directory, e))?;
    write(temporary.as_file_mut())?;
    temporary.as_file().sync_all().map_err(|e| ServiceError::file("sync", temporary.path(), e))?;
    temporary.persist(path).map_err(|e| ServiceError::file("rename a temporary file to", path, e.error))?;
    #[cfg(unix)]
    File::open(directory)
        .and_then(|directory_file| directory_file.sync_all())
        .map_err(|e| ServiceError::file("sync directory", directory, e))?;
    Ok(())
}

/// Writes `value` as pretty JSON to `path` atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ServiceError> {
    write_atomically(path, |file| {
        let mut writer = std::io::BufWriter::new(file);
        serde_json::to_writer_pretty(&mut writer, value)
            .map_err(|e| ServiceError::file("write", path, std::io::Error::other(e)))?;
        writer.write_all(b"\n").and_then(|()| writer.flush()).map_err(|e| ServiceError::file("write", path, e))
    })
}

/// Reads and parses the JSON file at `path`; `Ok(None)` when it does not exist.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, ServiceError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(ServiceError::file("read", path, error)),
    };
    serde_json::from_str(&text).map(Some).map_err(|source| ServiceError::CorruptFile { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn failed_write_keeps_old_file() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.json");
        write_json(&path, &1)?;
        let failed = write_atomically(&path, |_| Err(ServiceError::Compile("stop".into())));
        assert!(failed.is_err());
        assert_eq!(fs::read_to_string(&path)?, "1\n");
        let leftovers = fs::read_dir(dir.path())?.count();
        assert_eq!(leftovers, 1);
        Ok(())
    }
}
