//! Splitting an NDJSON file into one parsed JSON object per non-blank line.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use crate::error::IoError;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// An iterator over the JSON objects of an NDJSON file with their 1-based line numbers.
///
/// Blank lines are skipped, a UTF-8 byte order mark before the first line is ignored, and a
/// trailing `\r` is accepted because JSON treats it as whitespace. After the first error the
/// iterator ends, unless bad lines are skipped: then a line that is not a JSON object is
/// counted and passed over.
pub(crate) struct JsonLines<R> {
    path: PathBuf,
    reader: R,
    line: usize,
    buffer: Vec<u8>,
    failed: bool,
    skipped: Option<Arc<AtomicU64>>,
}

impl<R: BufRead> JsonLines<R> {
    pub(crate) fn new(path: &Path, reader: R) -> Self {
        JsonLines { path: path.to_path_buf(), reader, line: 0, buffer: Vec::new(), failed: false, skipped: None }
    }

    /// Skips lines that are not JSON objects, adding one to `counter` for each.
    pub(crate) fn skipping_bad_lines(mut self, counter: Arc<AtomicU64>) -> Self {
        self.skipped = Some(counter);
        self
    }

    fn parse_buffer(&self) -> Result<Map<String, Value>, IoError> {
        let value: Value = serde_json::from_slice(&self.buffer).map_err(|error| {
            // serde_json counts lines within the one line it was given, so only its column and
            // its message without the position suffix are kept.
            let position = format!(" at line {} column {}", error.line(), error.column());
            let full = error.to_string();
            let message = full.strip_suffix(&position).unwrap_or(&full).to_string();
            IoError::JsonSyntax { path: self.path.clone(), line: self.line, column: error.column(), message }
        })?;
        match value {
            Value::Object(object) => Ok(object),
            other => Err(IoError::JsonNotObject {
                path: self.path.clone(),
                line: self.line,
                kind: json_kind_name(&other),
            }),
        }
    }
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = Result<(usize, Map<String, Value>), IoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            self.buffer.clear();
            match self.reader.read_until(b'\n', &mut self.buffer) {
                Ok(0) => return None,
                Ok(_) => self.line += 1,
                Err(source) => {
                    self.failed = true;
                    return Some(Err(IoError::file("read", &self.path, source)));
                }
            }
            if self.line == 1 && self.buffer.starts_with(UTF8_BOM) {
                self.buffer.drain(..UTF8_BOM.len());
            }
            if self.buffer.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let parsed = self.parse_buffer();
            if let (Err(error), Some(counter)) = (&parsed, &self.skipped) {
                let previous = counter.fetch_add(1, Ordering::Relaxed);
                // The first lines are logged one by one; the total is reported by the caller.
                if previous < 10 {
                    tracing::warn!(%error, "skipped a bad NDJSON line");
                }
                continue;
            }
            self.failed = parsed.is_err();
            return Some(parsed.map(|object| (self.line, object)));
        }
    }
}

/// Returns the JSON name of the kind of `value`, as used in error messages.
pub(crate) fn json_kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
