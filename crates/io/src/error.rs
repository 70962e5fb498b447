//! The error type of every reader, writer and converter in this crate.

use std::path::{Path, PathBuf};

use arrow::datatypes::DataType;

/// A failure to read, convert or write profile data.
///
/// Messages are lowercase, name the file (and the line or column where one is known) and the
/// offending value, and end with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The file extension does not select a supported format.
    #[error(
        "cannot read {}: unsupported file extension; rename the file to end in .parquet, \
         .ndjson, .jsonl or .json, or convert it to one of these formats",
        .path.display()
    )]
    UnsupportedExtension {
        /// The file that was requested.
        path: PathBuf,
    },

    /// `ReadOptions::batch_size` is zero.
    #[error("invalid batch size 0: set ReadOptions::batch_size to at least 1")]
    InvalidBatchSize,

    /// An operating system call on a file failed.
    #[error("failed to {action} {}: {source}", .path.display())]
    File {
        /// The operation that failed, such as `open` or `write`.
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system error.
        source: std::io::Error,
    },

    /// The Parquet library failed to read or write a file.
    #[error("failed to {action} Parquet file {}: {source}", .path.display())]
    Parquet {
        /// `read` or `write`.
        action: &'static str,
        /// The Parquet file.
        path: PathBuf,
        /// The error from the Parquet library.
        source: parquet::errors::ParquetError,
    },

    /// A batch of a Parquet file could not be decoded.
    #[error(
        "failed to decode a batch of Parquet file {}: {source}; check that the file is \
         complete and was written by a Parquet writer",
        .path.display()
    )]
    ParquetDecode {
        /// The Parquet file.
        path: PathBuf,
        /// The error from the Parquet reader.
        source: arrow::error::ArrowError,
    },

    /// A line of an NDJSON file is not valid JSON.
    #[error(
        "invalid JSON in {} on line {line}, column {column}: {message}; fix or remove that line",
        .path.display()
    )]
    JsonSyntax {
        /// The NDJSON file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The 1-based column within the line.
        column: usize,
        /// The parser's description of the problem.
        message: String,
    },

    /// A line of an NDJSON file is valid JSON but not an object.
    #[error(
        "line {line} of {} is a JSON {kind}, but each line must contain one profile object; \
         a file holding one JSON array can be converted with `jq -c '.[]'`",
        .path.display()
    )]
    JsonNotObject {
        /// The NDJSON file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The JSON kind found, such as `array` or `string`.
        kind: &'static str,
    },

    /// One field contains values of two incompatible JSON kinds on different lines.
    #[error(
        "field `{field}` in {} is a {first_kind} on line {first_line} but a {second_kind} on \
         line {second_line}; write every value of a field as the same JSON kind",
        .path.display()
    )]
    JsonTypeConflict {
        /// The NDJSON file.
        path: PathBuf,
        /// The dotted field path, in which `[]` marks the elements of an array.
        field: String,
        /// The kind seen first.
        first_kind: &'static str,
        /// The 1-based line where `first_kind` was seen first.
        first_line: usize,
        /// The conflicting kind.
        second_kind: &'static str,
        /// The 1-based line of the conflicting value.
        second_line: usize,
    },

    /// A field named `timestamp` contains a value that is neither an RFC 3339 string nor a number.
    #[error(
        "invalid timestamp {value} in field `{field}` on line {line} of {}: write an RFC 3339 \
         string such as \"2024-01-31T08:00:00Z\" or a number of milliseconds since the Unix epoch",
        .path.display()
    )]
    JsonTimestamp {
        /// The NDJSON file.
        path: PathBuf,
        /// The dotted field path.
        field: String,
        /// The 1-based line number.
        line: usize,
        /// The offending value as JSON text.
        value: String,
    },

    /// The `identityMap` field of an NDJSON file does not have the XDM identity map shape.
    #[error(
        "field `identityMap` in {} has the inferred type {found}, but it must be an object \
         mapping each namespace to an array of objects such as {{\"id\": \"123\", \"primary\": true}}",
        .path.display()
    )]
    JsonIdentityMap {
        /// The NDJSON file.
        path: PathBuf,
        /// The Arrow type inferred from the values.
        found: DataType,
    },

    /// arrow-json failed to infer a schema from, or decode, a part of an NDJSON file.
    #[error("failed to decode {} (lines {first_line} to {last_line}): {message}", .path.display())]
    JsonDecode {
        /// The NDJSON file.
        path: PathBuf,
        /// The first 1-based line of the failing part.
        first_line: usize,
        /// The last 1-based line of the failing part.
        last_line: usize,
        /// The error from arrow-json.
        message: String,
    },

    /// The file has no `_id` column.
    #[error(
        "{} has no `_id` column (columns found: {}); add a string column named `_id` that \
         holds the profile id, or rename the id column to `_id`",
        .path.display(),
        list_or_none(.columns)
    )]
    MissingIdColumn {
        /// The profile file.
        path: PathBuf,
        /// The names of the top-level columns that the file has.
        columns: Vec<String>,
    },

    /// A column that the engine relies on has the wrong type.
    #[error("column `{column}` in {} has type {found}, but {expected}", .path.display())]
    ColumnType {
        /// The profile file.
        path: PathBuf,
        /// The dotted column path.
        column: String,
        /// The type after normalization.
        found: DataType,
        /// The type rule and how to meet it.
        expected: &'static str,
    },

    /// The event column has no `timestamp` field.
    #[error(
        "column `xEvent` in {} has no `timestamp` field (event fields found: {}); add the time \
         of each event as a `timestamp` field of a timestamp or date type",
        .path.display(),
        list_or_none(.fields)
    )]
    MissingEventTimestamp {
        /// The profile file.
        path: PathBuf,
        /// The names of the event fields that the file has.
        fields: Vec<String>,
    },

    /// A value could not be converted to the normalized type of its column.
    #[error(
        "failed to convert column `{column}`{} from {from} to {to}: {message}",
        in_file(.path.as_deref())
    )]
    Normalize {
        /// The profile file, when the batch came from one.
        path: Option<PathBuf>,
        /// The dotted column path, in which `[]` marks list elements.
        column: String,
        /// The type of the input column.
        from: DataType,
        /// The normalized type.
        to: DataType,
        /// The failing value and what to do about it.
        message: String,
    },

    /// An Arrow operation failed where the input was already checked, which points to a bug.
    #[error(
        "unexpected Arrow error{}: {source}; please report this as a bug in seg-io",
        in_file(.path.as_deref())
    )]
    Arrow {
        /// The file being processed, when there is one.
        path: Option<PathBuf>,
        /// The error from Arrow.
        source: arrow::error::ArrowError,
    },

    /// A row of the CDNOW purchase file is malformed.
    #[error("invalid CDNOW data on line {line} of {}: {message}", .path.display())]
    CdnowRow {
        /// The CDNOW input file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// The problem, naming the bad value.
        message: String,
    },

    /// An option of the synthetic profile generator is out of range.
    #[error("invalid generator option {option} = {value}: {expected}")]
    InvalidGenerateOption {
        /// The option, such as `mean_events`.
        option: &'static str,
        /// The rejected value as written.
        value: String,
        /// The accepted range.
        expected: &'static str,
    },

    /// A segment id cannot be used as a file name.
    #[error(
        "invalid segment id {segment_id:?}: {reason}; use an id without `/`, `\\`, `..` or \
         NUL characters"
    )]
    InvalidSegmentId {
        /// The rejected id.
        segment_id: String,
        /// The rule that the id breaks.
        reason: &'static str,
    },

    /// A profile id cannot be written as one line of a membership file.
    #[error(
        "invalid profile id {id:?} for segment {segment_id:?}: ids must not contain line \
         breaks, because the membership file has one id per line"
    )]
    InvalidMemberId {
        /// The segment being written.
        segment_id: String,
        /// The rejected profile id.
        id: String,
    },
}

impl IoError {
    pub(crate) fn file(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        IoError::File { action, path: path.to_path_buf(), source }
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() { "none".to_string() } else { names.join(", ") }
}

fn in_file(path: Option<&Path>) -> String {
    path.map(|path| format!(" in {}", path.display())).unwrap_or_default()
}
