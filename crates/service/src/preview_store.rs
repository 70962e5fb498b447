//! Stored previews: a preview created in a workspace gets a `previewId`, keeps its qualifying
//! rows so later pages need no new evaluation, and has an estimate under the same id.
//!
//! Files under `previews/`: `<id>.members` (the qualifying row numbers as a roaring bitmap),
//! `<id>.estimate` (the estimate object as JSON) and `<id>.json` (the preview record), written
//! in that order so a record always has its other two files.

use std::fs;
use std::path::{Path, PathBuf};

use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

use crate::atomic::{read_json, write_atomically, write_json};
use crate::error::ServiceError;
use crate::estimate::{EstimateRequest, EstimateResponse, SamplingPolicy, estimate, response};
use crate::membership::format_micros;
use crate::preview::{PreviewPage, PreviewRequest, PreviewResponse, fetch_page};
use crate::query::{PreparedTarget, Target, evaluate_target, prepare_target, target_definitions};
use crate::read_counts::{ReadCounts, read_options};
use crate::workspace::{Workspace, check_id};

/// A stored preview, `previews/<id>.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredPreview {
    /// The id of the preview and of its estimate, a UUID v4.
    pub preview_id: String,
    /// Always `RESULT_READY`, because a preview is stored once it has been evaluated.
    pub state: String,
    /// The PQL text, for a preview of an expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate_expression: Option<String>,
    /// The definition id, for a preview of a saved definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<String>,
    /// The profile file evaluated.
    pub profiles: PathBuf,
    /// The size in bytes and modification time (milliseconds since the Unix epoch) of the
    /// profile file when the preview was created. A change makes the stored rows stale.
    pub profiles_fingerprint: (u64, i64),
    /// The evaluation time, RFC 3339.
    pub evaluation_time: String,
    /// Dot paths of the fields returned with each result besides `_id`.
    pub fields: Vec<String>,
    /// Whether NDJSON lines that are not JSON objects were skipped. Later pages skip them too,
    /// so the stored row numbers point at the same profiles.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_bad_lines: bool,
    /// The `skippedLines` and `profilesOverEventLimit` of the evaluation, each present only
    /// when it is not 0.
    #[serde(flatten)]
    pub read: ReadCounts,
    /// Qualifying profiles.
    pub total_count: u64,
    /// Creation time in milliseconds since the Unix epoch.
    pub creation_time: i64,
}

/// The response of a preview delete: `{"status": true, "message": "KILLED"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeletedPreview {
    /// Always true.
    pub status: bool,
    /// Always `KILLED`.
    pub message: String,
}

impl Workspace {
    fn preview_path(&self, id: &str, extension: &str) -> PathBuf {
        self.root().join("previews").join(format!("{id}.{extension}"))
    }

    /// Evaluates a preview, stores it with its estimate, and returns the first page requested
    /// by `request.offset` and `request.limit`, carrying the new `previewId`.
    ///
    /// The estimate reads the sample that `policy` sets. When that sample is the whole file,
    /// the estimate is taken from the preview's own evaluation.
    ///
    /// # Errors
    ///
    /// Returns a read, compile or evaluation error, [`ServiceError::InvalidParameter`] for a
    /// limit of zero, and a file error when the preview cannot be stored.
    pub fn create_preview(&self, request: &PreviewRequest, policy: &SamplingPolicy) -> Result<PreviewResponse, ServiceError> {
        check_limit(request.limit)?;
        let options = read_options(request.batch_size, request.skip_bad_lines);
        let fingerprint = fingerprint(&request.profiles)?;
        let mut reader = seg_io::open(&request.profiles, &options)?;
        let schema = reader.schema();
        crate::preview::check_fields(&schema, &request.fields)?;
        let (definitions, target_id) = target_definitions(&request.target, Some(self), &schema)?;
        let PreparedTarget { definitions, schema, external } = prepare_target(&definitions, Some(self), &schema, request.now)?;
        let batches = external.extend_batches(reader.by_ref().map(|batch| batch.map_err(|e| e.to_string())));
        let target = evaluate_target(batches, definitions, &target_id, &schema, request.now)?;
        let read = ReadCounts::of(&reader);

        let total = target.total_profiles;
        let estimate_object = if policy.sample_size(total) >= total {
            EstimateResponse { read, ..response(target.members.len(), total, total, total, target.namespace_counts.clone()) }
        } else {
            let estimate_request = EstimateRequest {
                profiles: request.profiles.clone(),
                target: request.target.clone(),
                now: request.now,
                batch_size: request.batch_size,
                skip_bad_lines: request.skip_bad_lines,
                policy: policy.clone(),
            };
            estimate(&estimate_request, Some(self))?
        };

        let (predicate_expression, segment_id) = match &request.target {
            Target::Expression(text) => (Some(text.clone()), None),
            Target::Definition(id) => (None, Some(id.clone())),
        };
        let record = StoredPreview {
            preview_id: uuid::Uuid::new_v4().to_string(),
            state: "RESULT_READY".to_string(),
            predicate_expression,
            segment_id,
            profiles: fs::canonicalize(&request.profiles).unwrap_or_else(|_| request.profiles.clone()),
            profiles_fingerprint: fingerprint,
            evaluation_time: format_micros(request.now),
            fields: request.fields.clone(),
            skip_bad_lines: request.skip_bad_lines,
            read,
            total_count: target.members.len(),
            creation_time: jiff::Timestamp::now().as_millisecond(),
        };
        let id = &record.preview_id;
        let members_path = self.preview_path(id, "members");
        write_atomically(&members_path, |file| {
            target.members.serialize_into(std::io::BufWriter::new(file)).map_err(|e| ServiceError::file("write", &members_path, e))
        })?;
        write_json(&self.preview_path(id, "estimate"), &estimate_object)?;
        write_json(&self.preview_path(id, "json"), &record)?;
        tracing::info!(id, total_count = record.total_count, "preview stored");

        let results = fetch_page(&request.profiles, &options, &target.members, request.offset, request.limit, &request.fields)?;
        let page = PreviewPage { offset: request.offset, size: results.len(), total_count: record.total_count };
        Ok(PreviewResponse { preview_id: Some(record.preview_id.clone()), results, page, state: record.state, read })
    }

    /// Returns the stored preview record `id`.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::PreviewNotFound`] when there is none.
    pub fn preview_record(&self, id: &str) -> Result<StoredPreview, ServiceError> {
        check_id("preview id", id)?;
        read_json(&self.preview_path(id, "json"))?.ok_or_else(|| ServiceError::PreviewNotFound { id: id.to_string() })
    }

    /// Returns one page of the stored preview `id`, reading the fields from its profile file.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::PreviewNotFound`], [`ServiceError::PreviewStale`] when the
    /// profile file changed since the preview was created, and read errors.
    pub fn preview_page(&self, id: &str, offset: usize, limit: usize, batch_size: usize) -> Result<PreviewResponse, ServiceError> {
        check_limit(limit)?;
        let record = self.preview_record(id)?;
        if fingerprint(&record.profiles).ok() != Some(record.profiles_fingerprint) {
            return Err(ServiceError::PreviewStale { id: id.to_string(), profiles: record.profiles });
        }
        let members_path = self.preview_path(id, "members");
        let file = fs::File::open(&members_path).map_err(|e| ServiceError::file("open", &members_path, e))?;
        let members = RoaringBitmap::deserialize_from(std::io::BufReader::new(file))
            .map_err(|e| ServiceError::file("read", &members_path, e))?;
        let options = read_options(batch_size, record.skip_bad_lines);
        let results = fetch_page(&record.profiles, &options, &members, offset, limit, &record.fields)?;
        let page = PreviewPage { offset, size: results.len(), total_count: record.total_count };
        Ok(PreviewResponse { preview_id: Some(record.preview_id), results, page, state: record.state, read: record.read })
    }

    /// Returns the estimate of the stored preview `id`.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::PreviewNotFound`] when there is none.
    pub fn preview_estimate(&self, id: &str) -> Result<EstimateResponse, ServiceError> {
        self.preview_record(id)?;
        read_json(&self.preview_path(id, "estimate"))?.ok_or_else(|| ServiceError::PreviewNotFound { id: id.to_string() })
    }

    /// Deletes the stored preview `id` and its estimate.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::PreviewNotFound`] when there is none.
    pub fn delete_preview(&self, id: &str) -> Result<DeletedPreview, ServiceError> {
        self.preview_record(id)?;
        // The record goes first, so an interrupted delete never leaves a record without its rows.
        for extension in ["json", "estimate", "members"] {
            let path = self.preview_path(id, extension);
            match fs::remove_file(&path) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(ServiceError::file("delete", &path, error)),
                _ => {}
            }
        }
        tracing::info!(id, "preview deleted");
        Ok(DeletedPreview { status: true, message: "KILLED".to_string() })
    }
}

/// Deletes the rows and estimate files of previews without a record: those of a process that
/// ended while it stored a preview.
pub(crate) fn remove_orphan_preview_files(workspace: &Workspace) -> Result<(), ServiceError> {
    let dir = workspace.root().join("previews");
    let entries = fs::read_dir(&dir).map_err(|e| ServiceError::file("read directory", &dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| ServiceError::file("read directory", &dir, e))?.path();
        let is_part = path.extension().is_some_and(|ext| ext == "members" || ext == "estimate");
        if is_part && !path.with_extension("json").exists() {
            tracing::warn!(path = %path.display(), "deleting a file of a preview that was never stored");
            fs::remove_file(&path).map_err(|e| ServiceError::file("delete", &path, e))?;
        }
    }
    Ok(())
}

pub(crate) fn check_limit(limit: usize) -> Result<(), ServiceError> {
    if limit == 0 {
        return Err(ServiceError::InvalidParameter {
            parameter: "limit",
            value: "0".to_string(),
            expected: "a page size of at least 1".to_string(),
        });
    }
    Ok(())
}

fn fingerprint(path: &Path) -> Result<(u64, i64), ServiceError> {
    let metadata = fs::metadata(path).map_err(|e| ServiceError::file("read the metadata of", path, e))?;
    let modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX));
    Ok((metadata.len(), modified))
}
