//! Writing a file atomically: readers see the old file or the complete new one, never a part.

use std::fs::{self, File};
use std::path::Path;

use crate::error::IoError;

/// Writes `path` by calling `write` on a temporary file in the same directory, syncing it to
/// disk and renaming it over `path`. Creates the parent directory when it is missing.
///
/// The rename is atomic on POSIX file systems when no other process writes `path` at the same
/// time. If `write` fails, the temporary file is removed and `path` is left unchanged.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(directory).map_err(|source| IoError::file("create directory", directory, source))?;

    let mut builder = tempfile::Builder::new();
    builder.prefix(".seg-").suffix(".tmp");
    // The default of tempfile is 0o600. A finished output file gets the usual 0o666 less the
    // umask, as if created by `File::create`.
    #[cfg(unix)]
    builder.permissions(<fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o666));
    let mut temporary = builder
        .tempfile_in(directory)
        .map_err(|source| IoError::file("create a temporary file in", directory, source))?;

    write(temporary.as_file_mut())?;
    temporary.as_file().sync_all().map_err(|source| IoError::file("sync", temporary.path(), source))?;
    temporary
        .persist(path)
        .map_err(|error| IoError::file("rename a temporary file to", path, error.error))?;

    // Syncing the directory makes the rename itself durable.
    #[cfg(unix)]
    File::open(directory)
        .and_then(|directory_file| directory_file.sync_all())
        .map_err(|source| IoError::file("sync directory", directory, source))?;
    Ok(())
}
