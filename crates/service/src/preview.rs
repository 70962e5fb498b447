//! Preview: one page of the profiles that qualify for an expression or a saved definition, in
//! input row order.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ServiceError;
use crate::fields::rows_as_json;
use crate::query::{PreparedTarget, Target, evaluate_target, prepare_target, target_definitions};
use crate::read_counts::{ReadCounts, read_options};
use crate::workspace::Workspace;

/// The default page size of a preview.
pub const DEFAULT_PREVIEW_LIMIT: usize = 1000;

/// The input of a preview.
#[derive(Clone, Debug)]
pub struct PreviewRequest {
    /// The profile file: Parquet or NDJSON.
    pub profiles: PathBuf,
    /// The expression or saved definition.
    pub target: Target,
    /// The evaluation time in microseconds since the Unix epoch.
    pub now: i64,
    /// The index of the first qualifying profile returned.
    pub offset: usize,
    /// The page size.
    pub limit: usize,
    /// Dot paths of the fields returned besides `_id`; empty returns `_id` only.
    pub fields: Vec<String>,
    /// Profiles per record batch.
    pub batch_size: usize,
    /// Skip NDJSON lines that are not valid JSON objects instead of failing. The response
    /// counts them in `skippedLines`.
    pub skip_bad_lines: bool,
}

/// A preview response in the service's JSON shape.
#[derive(Clone, Debug, Serialize)]
pub struct PreviewResponse {
    /// The id of the stored preview, and of its estimate; absent for a preview that is not stored.
    #[serde(rename = "previewId", skip_serializing_if = "Option::is_none")]
    pub preview_id: Option<String>,
    /// One object per qualifying profile: `_id` and the requested fields.
    pub results: Vec<Map<String, Value>>,
    /// The offset and size of this page.
    pub page: PreviewPage,
    /// Always `RESULT_READY`, because a preview runs to completion before it returns.
    pub state: String,
    /// The `skippedLines` and `profilesOverEventLimit` of the profile file's evaluation, each
    /// present only when it is not 0.
    #[serde(flatten)]
    pub read: ReadCounts,
}

/// The `page` object of a preview.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PreviewPage {
    /// The index of the first result among all qualifying profiles.
    pub offset: usize,
    /// Results in this page.
    pub size: usize,
    /// Qualifying profiles in all pages.
    #[serde(rename = "totalCount")]
    pub total_count: u64,
}

/// Evaluates the target and returns one page of its members.
///
/// The file is read twice: once to evaluate, once to fetch the fields of the page's rows.
///
/// # Errors
///
/// Returns a read, compile or evaluation error, or [`ServiceError::InvalidParameter`] for a
/// limit of zero.
pub fn preview(request: &PreviewRequest, workspace: Option<&Workspace>) -> Result<PreviewResponse, ServiceError> {
    crate::preview_store::check_limit(request.limit)?;
    let options = read_options(request.batch_size, request.skip_bad_lines);
    let mut reader = seg_io::open(&request.profiles, &options)?;
    let schema = reader.schema();
    check_fields(&schema, &request.fields)?;
    let (definitions, target_id) = target_definitions(&request.target, workspace, &schema)?;
    let PreparedTarget { definitions, schema, external } = prepare_target(&definitions, workspace, &schema, request.now)?;
    let batches = external.extend_batches(reader.by_ref().map(|batch| batch.map_err(|e| e.to_string())));
    let target = evaluate_target(batches, definitions, &target_id, &schema, request.now)?;
    let read = ReadCounts::of(&reader);

    let results = fetch_page(&request.profiles, &options, &target.members, request.offset, request.limit, &request.fields)?;
    let page = PreviewPage { offset: request.offset, size: results.len(), total_count: target.members.len() };
    Ok(PreviewResponse { preview_id: None, results, page, state: "RESULT_READY".to_string(), read })
}

/// Reads the profile file and returns `_id` and `fields` of the qualifying rows
/// `members[offset..offset + limit]`, in row order.
pub(crate) fn fetch_page(
    profiles: &std::path::Path,
    options: &seg_io::ReadOptions,
    members: &roaring::RoaringBitmap,
    offset: usize,
    limit: usize,
    fields: &[String],
) -> Result<Vec<Map<String, Value>>, ServiceError> {
    let page_rows: Vec<u32> = members.iter().skip(offset).take(limit).collect();
    let mut results = Vec::with_capacity(page_rows.len());
    let mut start: u64 = 0;
    let mut next = 0;
    for batch in seg_io::open(profiles, options)? {
        if next == page_rows.len() {
            break;
        }
        let batch = batch?;
        let end = start + batch.num_rows() as u64;
        let mut local = Vec::new();
        while next < page_rows.len() && u64::from(page_rows[next]) < end {
            local.push((u64::from(page_rows[next]) - start) as u32);
            next += 1;
        }
        if !local.is_empty() {
            results.extend(rows_as_json(&batch, &local, &with_id_only(fields))?);
        }
        start = end;
    }
    Ok(results)
}

/// Rejects a requested field that names no column or crosses a list or map, with the error an
/// export gives, before any profile is evaluated.
pub(crate) fn check_fields(schema: &arrow::datatypes::Schema, fields: &[String]) -> Result<(), ServiceError> {
    crate::export_writer::projected_schema(schema, fields).map(|_| ())
}

/// Keeps `_id` alone when no field is requested, since an empty list means every column to
/// [`rows_as_json`].
fn with_id_only(fields: &[String]) -> Vec<String> {
    if fields.is_empty() { vec!["_id".to_string()] } else { fields.to_vec() }
}
