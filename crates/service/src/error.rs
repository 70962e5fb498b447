//! The error type of every service operation.

use std::path::PathBuf;

/// A failed service operation.
///
/// Messages name the value involved and end with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Another process holds the workspace lock.
    #[error("workspace {} is locked by another seg process (pid {pid}); wait for it to finish", .dir.display())]
    Locked {
        /// The workspace directory.
        dir: PathBuf,
        /// The process id written in the lock file, or `unknown`.
        pid: String,
    },

    /// An operating system call on a workspace file failed.
    #[error("failed to {action} {}: {source}", .path.display())]
    File {
        /// The operation that failed, such as `read` or `rename`.
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system error.
        source: std::io::Error,
    },

    /// A workspace file does not contain the JSON it should.
    #[error("invalid JSON in workspace file {}: {source}; restore the file or delete it", .path.display())]
    CorruptFile {
        /// The file that failed to parse.
        path: PathBuf,
        /// The parser error.
        source: serde_json::Error,
    },

    /// No segment definition has the requested id.
    #[error("segment definition `{id}` not found; list the ids with `seg definition list`")]
    DefinitionNotFound {
        /// The requested id.
        id: String,
    },

    /// Another definition reads the definition through `inSegment`.
    #[error("segment definition `{id}` is read by `{reader}` through inSegment; update or delete `{reader}` first")]
    DefinitionInUse {
        /// The definition to delete.
        id: String,
        /// A definition that reads it.
        reader: String,
    },

    /// Another definition already uses the name.
    #[error("a segment definition named {name:?} already exists with id `{id}`; choose another name or update `{id}`")]
    NameConflict {
        /// The conflicting name.
        name: String,
        /// The id of the definition that owns the name.
        id: String,
    },

    /// Another definition already uses the id given in the input.
    #[error("a segment definition with id `{id}` already exists; update it instead or remove the id from the input")]
    IdConflict {
        /// The conflicting id.
        id: String,
    },

    /// The definition fails validation: a missing field, an unsupported expression format,
    /// or PQL that does not parse or bind.
    #[error("invalid segment definition {name:?}: {message}")]
    InvalidDefinition {
        /// The definition name, or its id when it has no name.
        name: String,
        /// The problem and its fix. For PQL errors, the rendered diagnostic.
        message: String,
    },

    /// A request parameter is out of range or malformed.
    #[error("invalid {parameter} {value:?}: {expected}")]
    InvalidParameter {
        /// The parameter name, such as `sort`.
        parameter: &'static str,
        /// The value given.
        value: String,
        /// A description of the valid values.
        expected: String,
    },

    /// No segment job has the requested id.
    #[error("segment job `{id}` not found; list the ids with `seg job list`")]
    JobNotFound {
        /// The requested id.
        id: String,
    },

    /// No export job has the requested id.
    #[error("export job `{id}` not found; list the ids with `seg export list`")]
    ExportJobNotFound {
        /// The requested id.
        id: String,
    },

    /// No stored preview has the requested id.
    #[error("preview `{id}` not found; create a preview with `seg preview --workspace <dir>` and use the previewId it prints")]
    PreviewNotFound {
        /// The requested id.
        id: String,
    },

    /// A stored preview's profile file changed after the preview was created.
    #[error("the profile file {} changed after preview `{id}` was created; create a new preview", .profiles.display())]
    PreviewStale {
        /// The preview.
        id: String,
        /// The profile file.
        profiles: PathBuf,
    },

    /// Reading the profiles failed.
    #[error(transparent)]
    Profiles(#[from] seg_io::IoError),

    /// The definitions of a job do not compile or cannot be ordered.
    #[error("{0}")]
    Compile(String),

    /// Evaluating the profiles failed.
    #[error("evaluation failed: {0}")]
    Evaluation(String),

    /// No audience has the requested id.
    #[error("audience `{id}` not found; list the ids with `seg audience list`")]
    AudienceNotFound {
        /// The requested id.
        id: String,
    },

    /// A lifecycle change that the audience's state or its dependencies do not allow.
    #[error("{0}")]
    Lifecycle(String),

    /// The job thread ended without a result.
    #[error("the thread of segment job `{id}` panicked; see the log for the cause")]
    JobPanicked {
        /// The job.
        id: String,
    },
}

impl ServiceError {
    pub(crate) fn file(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ServiceError::File { action, path: path.into(), source }
    }
}
