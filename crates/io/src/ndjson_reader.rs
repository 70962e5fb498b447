//! Reading NDJSON profile files in batches: one JSON object per line, decoded by arrow-json.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow_json::ReaderBuilder;
use arrow_json::reader::Decoder;
use serde_json::Value;

use crate::error::IoError;
use crate::ndjson_lines::JsonLines;
use crate::ndjson_schema::infer_ndjson_schema;
use crate::ndjson_timestamp::TimestampPlan;
use crate::normalize::{normalize_batch_to, normalize_schema};
use crate::source::{ProfileReader, ReadOptions};
use crate::validate::validate_profile_schema;

/// Opens an NDJSON file as a [`ProfileReader`]. The schema is first inferred from the whole
/// file, as described in [`crate::ndjson_schema`]. With `options.skip_bad_lines`, lines that
/// are not JSON objects are left out of the inference, and left out and counted as the batches
/// are read.
pub(crate) fn open_ndjson(path: &Path, options: &ReadOptions) -> Result<ProfileReader, IoError> {
    let inferred = Arc::new(infer_ndjson_schema(path, options.skip_bad_lines)?);
    let schema = Arc::new(normalize_schema(&inferred));
    validate_profile_schema(&schema, path)?;

    let decoder = ReaderBuilder::new(inferred.clone())
        .with_batch_size(options.batch_size)
        .build_decoder()
        .map_err(|source| IoError::Arrow { path: Some(path.to_path_buf()), source })?;
    let file = File::open(path).map_err(|source| IoError::file("open", path, source))?;
    let skipped_lines = Arc::new(AtomicU64::new(0));
    let mut lines = JsonLines::new(path, BufReader::new(file));
    if options.skip_bad_lines {
        lines = lines.skipping_bad_lines(Arc::clone(&skipped_lines));
    }
    let batches = NdjsonBatches {
        path: path.to_path_buf(),
        lines,
        timestamps: TimestampPlan::for_fields(inferred.fields()),
        decoder,
        schema: schema.clone(),
        batch_size: options.batch_size,
        finished: false,
    };
    Ok(ProfileReader::new(schema, Box::new(batches), options, skipped_lines))
}

/// The batch iterator behind an NDJSON [`ProfileReader`].
struct NdjsonBatches {
    path: PathBuf,
    lines: JsonLines<BufReader<File>>,
    timestamps: Option<TimestampPlan>,
    decoder: Decoder,
    schema: SchemaRef,
    batch_size: usize,
    finished: bool,
}

impl NdjsonBatches {
    /// Reads up to `batch_size` profiles; returns `None` at the end of the file.
    fn read_batch(&mut self) -> Result<Option<RecordBatch>, IoError> {
        let mut rows = Vec::with_capacity(self.batch_size.min(4_096));
        let mut first_line = 0;
        let mut last_line = 0;
        while rows.len() < self.batch_size {
            let Some(next) = self.lines.next() else {
                break;
            };
            let (line, mut object) = next?;
            if let Some(plan) = &self.timestamps {
                plan.rewrite(&mut object, &self.path, line)?;
            }
            if rows.is_empty() {
                first_line = line;
            }
            last_line = line;
            rows.push(Value::Object(object));
        }
        if rows.is_empty() {
            return Ok(None);
        }

        let decode_failure = |error: arrow::error::ArrowError| IoError::JsonDecode {
            path: self.path.clone(),
            first_line,
            last_line,
            message: error.to_string(),
        };
        self.decoder.serialize(&rows).map_err(decode_failure)?;
        let Some(batch) = self.decoder.flush().map_err(decode_failure)? else {
            return Ok(None);
        };
        normalize_batch_to(&batch, &self.schema, Some(&self.path)).map(Some)
    }
}

impl Iterator for NdjsonBatches {
    type Item = Result<RecordBatch, IoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let result = self.read_batch();
        self.finished = !matches!(result, Ok(Some(_)));
        result.transpose()
    }
}
