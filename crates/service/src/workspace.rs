//! The workspace directory: where definitions, segment jobs and memberships live as files,
//! guarded by an exclusive lock so only one `seg` process changes them at a time.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic::{read_json, write_json};
use crate::error::ServiceError;

/// The name of the lock file inside the workspace.
pub const LOCK_FILE: &str = "seg.lock";

/// Facts the workspace keeps between runs, stored in `workspace.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceState {
    /// The profile file of the last segment job; its schema validates definitions on save.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiles: Option<PathBuf>,
}

/// An open workspace directory, locked for this process until dropped.
#[derive(Debug)]
pub struct Workspace {
    root: PathBuf,
    /// Held open for its lock; the operating system releases the lock when the process ends.
    _lock: File,
    /// The queue that runs the segment jobs of this process one at a time.
    pub(crate) job_queue: crate::runner::JobQueue,
}

impl Workspace {
    /// Opens (creating when missing) the workspace at `dir` and takes its exclusive lock.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::Locked`] when another process holds the lock, and a file error
    /// when the directory cannot be created.
    pub fn open(dir: &Path) -> Result<Workspace, ServiceError> {
        for sub in ["definitions", "jobs", "memberships", "exports", "previews"] {
            let path = dir.join(sub);
            fs::create_dir_all(&path).map_err(|e| ServiceError::file("create directory", &path, e))?;
        }
        let lock_path = dir.join(LOCK_FILE);
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| ServiceError::file("open", &lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = lock.read_to_string(&mut pid);
                let pid = if pid.trim().is_empty() { "unknown".to_string() } else { pid.trim().to_string() };
                return Err(ServiceError::Locked { dir: dir.to_path_buf(), pid });
            }
            Err(TryLockError::Error(e)) => return Err(ServiceError::file("lock", &lock_path, e)),
        }
        lock.set_len(0)
            .and_then(|()| lock.rewind())
            .and_then(|()| writeln!(lock, "{}", std::process::id()))
            .map_err(|e| ServiceError::file("write", &lock_path, e))?;
        let workspace = Workspace { root: dir.to_path_buf(), _lock: lock, job_queue: crate::runner::JobQueue::default() };
        crate::jobs::recover_interrupted(&workspace)?;
        Ok(workspace)
    }

    /// Returns the workspace directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn definitions_dir(&self) -> PathBuf {
        self.root.join("definitions")
    }

    pub(crate) fn jobs_dir(&self) -> PathBuf {
        self.root.join("jobs")
    }

    pub(crate) fn memberships_dir(&self) -> PathBuf {
        self.root.join("memberships")
    }

    /// Returns the exports directory, where export job records are kept.
    pub fn exports_dir(&self) -> PathBuf {
        self.root.join("exports")
    }

    /// Reads `workspace.json`, or the default state when it does not exist yet.
    ///
    /// # Errors
    ///
    /// Returns an error when the file cannot be read or parsed.
    pub fn state(&self) -> Result<WorkspaceState, ServiceError> {
        Ok(read_json(&self.root.join("workspace.json"))?.unwrap_or_default())
    }

    pub(crate) fn save_state(&self, state: &WorkspaceState) -> Result<(), ServiceError> {
        write_json(&self.root.join("workspace.json"), state)
    }
}

/// Lists the `*.json` files of `dir`, sorted by name; temporary files are skipped.
pub(crate) fn json_files(dir: &Path) -> Result<Vec<PathBuf>, ServiceError> {
    let entries = fs::read_dir(dir).map_err(|e| ServiceError::file("read directory", dir, e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| ServiceError::file("read directory", dir, e))?.path();
        let is_json = path.extension().is_some_and(|ext| ext == "json");
        let is_temporary = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if is_json && !is_temporary {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// Checks that `id` can be a file name: no path separators, no leading dot, not empty.
pub(crate) fn check_id(kind: &'static str, id: &str) -> Result<(), ServiceError> {
    let valid = !id.is_empty() && !id.starts_with('.') && !id.contains(['/', '\\', '\0']) && id.len() <= 200;
    if valid {
        Ok(())
    } else {
        Err(ServiceError::InvalidParameter {
            parameter: kind,
            value: id.to_string(),
            expected: "a non-empty id of at most 200 characters without `/`, `\\` or a leading `.`".to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn second_open_is_locked() -> TestResult {
        let dir = tempfile::tempdir()?;
        let _first = Workspace::open(dir.path())?;
        let second = Workspace::open(dir.path());
        let message = second.err().map(|e| e.to_string()).unwrap_or_default();
        let expected = format!("(pid {}); wait for it to finish", std::process::id());
        assert!(message.ends_with(&expected), "{message}");
        Ok(())
    }

    #[test]
    fn lock_is_released_on_drop() -> TestResult {
        let dir = tempfile::tempdir()?;
        drop(Workspace::open(dir.path())?);
        let reopened = Workspace::open(dir.path());
        assert!(reopened.is_ok());
        Ok(())
    }
}
