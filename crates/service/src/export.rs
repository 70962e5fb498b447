//! Export jobs: write the members of chosen segments, filtered by membership status and
//! qualification time, with chosen fields, to Parquet, NDJSON or CSV files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow::array::{AsArray, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

use crate::atomic::{read_json, write_json};
use crate::engine::namespace_counts;
use crate::error::ServiceError;
use crate::export_writer::{ExportFormat, OutputFile, project, projected_schema};
use crate::jobs::{JobErrorEntry, JobProperties, JobStatus, TimeSpan};
use crate::export_membership::{SEGMENT_MEMBERSHIP_FIELD, membership_column, membership_field};
use crate::membership::{MembershipStatus, ProfileIds, SegmentMemberships};
use crate::read_counts::{ReadCounts, read_options};
use crate::workspace::{Workspace, check_id, json_files};

/// The input of an export job.
#[derive(Clone, Debug)]
pub struct ExportRequest {
    /// The profile file the fields are read from.
    pub profiles: PathBuf,
    /// The segments whose members are exported.
    pub segments: Vec<String>,
    /// The membership statuses exported; usually `[Realized]`.
    pub statuses: Vec<MembershipStatus>,
    /// Only memberships with `lastQualificationTime` at or after this time, in microseconds.
    pub qualified_from: Option<i64>,
    /// Only memberships with `lastQualificationTime` at or before this time, in microseconds.
    pub qualified_until: Option<i64>,
    /// Dot paths of the exported fields besides `_id`; empty exports every field.
    pub fields: Vec<String>,
    /// Export profiles whose selected fields are all null.
    pub empty_profiles: bool,
    /// The file format.
    pub format: ExportFormat,
    /// The output file, or the output directory when `segment_per_batch` is set.
    pub out: PathBuf,
    /// Write one file per segment, `<out>/<segment id>.<extension>`.
    pub segment_per_batch: bool,
    /// Profiles per record batch.
    pub batch_size: usize,
    /// Skip NDJSON lines that are not valid JSON objects instead of failing. The job's metrics
    /// count them in `skippedLines`.
    pub skip_bad_lines: bool,
    /// The schedule and run that started the export, for a scheduled export.
    pub properties: Option<JobProperties>,
}

/// An export job object in the service's JSON shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportJob {
    /// The job id, a UUID v4.
    pub id: String,
    /// The lifecycle status.
    pub status: JobStatus,
    /// The segments and statuses exported.
    pub filter: ExportFilter,
    /// The exported fields, comma-separated; empty for every field.
    pub fields: String,
    /// Whether profiles with only null fields are exported.
    pub empty_profiles: bool,
    /// The output path and format.
    pub destination: ExportDestination,
    /// Counters and timings.
    pub metrics: ExportMetrics,
    /// The errors that made the job fail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<JobErrorEntry>,
    /// Creation time in milliseconds since the Unix epoch.
    pub creation_time: i64,
    /// Last update time in milliseconds since the Unix epoch.
    pub update_time: i64,
    /// The schedule and run that started the job; absent for an export started by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<JobProperties>,
}

/// The `filter` object of an export job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportFilter {
    /// One entry per segment.
    pub segments: Vec<SegmentFilter>,
    /// The qualification time window, RFC 3339, when one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_qualification_time: Option<TimeWindow>,
}

/// One segment of an export filter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentFilter {
    /// The segment.
    pub segment_id: String,
    /// The exported statuses.
    pub statuses: Vec<MembershipStatus>,
}

/// A `{startTime, endTime}` window in RFC 3339.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeWindow {
    /// The earliest qualification time exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// The latest qualification time exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
}

/// The `destination` object of an export job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportDestination {
    /// The output file, or directory with `segmentPerBatch`.
    pub path: PathBuf,
    /// The file format.
    pub format: ExportFormat,
    /// One file per segment.
    pub segment_per_batch: bool,
}

/// The `metrics` object of an export job.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportMetrics {
    /// The whole job.
    pub total_time: TimeSpan,
    /// Reading the profiles and writing the output files, once that phase has started.
    #[serde(default)]
    pub profile_export_time: TimeSpan,
    /// Rows written over all files; with `segmentPerBatch` a profile in two segments counts twice.
    pub total_exported_profile_counter: u64,
    /// Rows written per identity namespace.
    pub exported_profile_by_namespace_counter: BTreeMap<String, u64>,
    /// The `skippedLines` and `profilesOverEventLimit` of the profile file, each present only
    /// when it is not 0.
    #[serde(flatten)]
    pub read: ReadCounts,
}

/// One page of export jobs: `{"records": [...], "page": {...}}`.
#[derive(Clone, Debug, Serialize)]
pub struct ExportJobPage {
    /// The export jobs of this page, newest first.
    pub records: Vec<ExportJob>,
    /// The paging of this list.
    pub page: ExportPageInfo,
}

/// The `page` object of an export job list.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportPageInfo {
    /// Always `createdTime`.
    pub sort_field: String,
    /// Always `desc`.
    pub sort: String,
    /// The offset of the first job of this page.
    pub page_offset: usize,
    /// Jobs in this page.
    pub page_size: usize,
    /// Jobs that match the status filter, in all pages.
    pub total_count: usize,
}

impl Workspace {
    fn export_path(&self, id: &str) -> PathBuf {
        self.exports_dir().join(format!("{id}.json"))
    }

    /// Returns the export job `id`.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::ExportJobNotFound`] when there is none.
    pub fn export_job(&self, id: &str) -> Result<ExportJob, ServiceError> {
        check_id("export job id", id)?;
        read_json(&self.export_path(id))?.ok_or_else(|| ServiceError::ExportJobNotFound { id: id.to_string() })
    }

    /// Returns every export job, newest first.
    ///
    /// # Errors
    ///
    /// Returns an error when a record cannot be read or parsed.
    pub fn export_jobs(&self) -> Result<Vec<ExportJob>, ServiceError> {
        let mut jobs = Vec::new();
        for path in json_files(&self.exports_dir())? {
            jobs.extend(read_json::<ExportJob>(&path)?);
        }
        jobs.sort_by(|a, b| b.creation_time.cmp(&a.creation_time).then_with(|| a.id.cmp(&b.id)));
        Ok(jobs)
    }

    /// Returns one page of export jobs, newest first; `status` keeps only the jobs in that status.
    ///
    /// # Errors
    ///
    /// Returns an error when a record cannot be read or parsed, and
    /// [`ServiceError::InvalidParameter`] for a limit of zero.
    pub fn list_export_jobs(&self, start: usize, limit: usize, status: Option<JobStatus>) -> Result<ExportJobPage, ServiceError> {
        crate::preview_store::check_limit(limit)?;
        let matching: Vec<ExportJob> =
            self.export_jobs()?.into_iter().filter(|job| status.is_none_or(|wanted| job.status == wanted)).collect();
        let total_count = matching.len();
        let records: Vec<ExportJob> = matching.into_iter().skip(start).take(limit).collect();
        let page = ExportPageInfo {
            sort_field: "createdTime".to_string(),
            sort: "desc".to_string(),
            page_offset: start,
            page_size: records.len(),
            total_count,
        };
        Ok(ExportJobPage { records, page })
    }

    /// Runs an export job on this thread and returns its final record. Setting `cancel`, or a
    /// cancel request from [`request_export_cancel`], stops it between batches, and then no
    /// output file is created.
    ///
    /// # Errors
    ///
    /// Returns the error that made the job fail, also stored in the record's `errors`.
    pub fn run_export(&self, request: &ExportRequest, cancel: &AtomicBool) -> Result<ExportJob, ServiceError> {
        let created = jiff::Timestamp::now().as_millisecond();
        let mut job = new_record(request, created);
        write_json(&self.export_path(&job.id), &job)?;
        tracing::info!(id = %job.id, out = %request.out.display(), "export job created");
        job.status = JobStatus::Processing;
        self.save_export(&mut job)?;
        let marker = self.exports_dir().join(format!("{}.cancel", job.id));
        let stop = || cancel.load(Ordering::SeqCst) || marker.exists();
        let result = self.write_export(request, &mut job.metrics, &stop);
        let _ = std::fs::remove_file(&marker);
        job.metrics.total_time.finish(jiff::Timestamp::now().as_millisecond());
        match &result {
            Ok(true) => job.status = JobStatus::Succeeded,
            Ok(false) => job.status = JobStatus::Cancelled,
            Err(error) => {
                job.status = JobStatus::Failed;
                job.errors.push(JobErrorEntry { code: "EXPORT".to_string(), msg: error.to_string() });
            }
        }
        self.save_export(&mut job)?;
        tracing::info!(id = %job.id, status = ?job.status, "export job ended");
        result.map(|_| job)
    }

    fn save_export(&self, job: &mut ExportJob) -> Result<(), ServiceError> {
        job.update_time = jiff::Timestamp::now().as_millisecond();
        write_json(&self.export_path(&job.id), job)
    }

    /// Writes the output files; `Ok(false)` when stopped by a cancel.
    fn write_export(&self, request: &ExportRequest, metrics: &mut ExportMetrics, stop: &dyn Fn() -> bool) -> Result<bool, ServiceError> {
        let (external, segments): (Vec<&String>, Vec<&String>) =
            request.segments.iter().partition(|segment| self.external_audience(segment).is_ok());
        if !external.is_empty() && !request.segment_per_batch && request.segments.len() > 1 {
            return Err(ServiceError::InvalidParameter {
                parameter: "segments",
                value: request.segments.join(","),
                expected: format!(
                    "segments that can share one file; external audience `{}` writes its member list to a file of its own, so set segmentPerBatch (--segment-per-batch) or export it alone",
                    external[0]
                ),
            });
        }
        metrics.profile_export_time = TimeSpan::started(jiff::Timestamp::now().as_millisecond());
        let now = jiff::Timestamp::now().as_microsecond();
        for id in external {
            if stop() {
                return Ok(false);
            }
            let path = if request.segment_per_batch {
                request.out.join(format!("{id}.{}", request.format.extension()))
            } else {
                request.out.clone()
            };
            self.export_external_members(id, request, &path, now, metrics)?;
        }
        if segments.is_empty() {
            metrics.profile_export_time.finish(jiff::Timestamp::now().as_millisecond());
            return Ok(true);
        }

        let mut stored_segments = Vec::new();
        for segment in segments {
            let stored = self.memberships(segment)?;
            if stored.job_id.is_empty() && self.definition(segment).is_err() {
                return Err(ServiceError::DefinitionNotFound { id: segment.clone() });
            }
            let keys: RoaringBitmap =
                stored.iter().filter(|(_, status, time)| selected(*status, *time, request)).map(|(key, _, _)| key).collect();
            stored_segments.push((stored, keys));
        }
        let mut selections: Vec<(String, RoaringBitmap)> =
            stored_segments.iter().map(|(stored, keys)| (stored.segment_id.clone(), keys.clone())).collect();
        if !request.segment_per_batch {
            let union = selections.drain(..).fold(RoaringBitmap::new(), |union, (_, keys)| union | keys);
            selections.push((String::new(), union));
        }
        let ids = self.profile_ids()?;
        let columns = ExportColumns::new(&request.fields);
        let membership = columns.with_membership.then_some(stored_segments.as_slice());

        let options = read_options(request.batch_size, request.skip_bad_lines);
        let mut reader = seg_io::open(&request.profiles, &options)?;
        let schema = projected_schema(&reader.schema(), &columns.fields)?;
        let output_schema = columns.output_schema(&schema);
        let mut outputs = Vec::with_capacity(selections.len());
        for (segment, _) in &selections {
            let path = if request.segment_per_batch {
                request.out.join(format!("{segment}.{}", request.format.extension()))
            } else {
                request.out.clone()
            };
            outputs.push(OutputFile::create(&path, request.format, &output_schema)?);
        }

        for batch in reader.by_ref() {
            if stop() {
                return Ok(false);
            }
            let batch = batch?;
            for ((_, keys), output) in selections.iter().zip(outputs.iter_mut()) {
                let selection = Selection { ids: &ids, keys, membership };
                let rows = write_members(&batch, &selection, &schema, &output_schema, &columns, request, output)?;
                merge_counts(metrics, rows);
            }
        }
        if stop() {
            return Ok(false);
        }
        metrics.read = ReadCounts::of(&reader);
        for output in outputs {
            metrics.total_exported_profile_counter += output.finish()?;
        }
        metrics.profile_export_time.finish(jiff::Timestamp::now().as_millisecond());
        Ok(true)
    }
}

/// The exported columns: profile fields by dot path, and whether the `segmentMembership`
/// column is added. It is added when every field is exported, or when it is named.
struct ExportColumns {
    /// The profile fields, `_id` alone when only `segmentMembership` is named.
    fields: Vec<String>,
    with_membership: bool,
    /// True when the emptiness of a profile is judged by its selected fields.
    check_empty: bool,
}

impl ExportColumns {
    fn new(requested: &[String]) -> Self {
        let named = requested.iter().any(|field| field == SEGMENT_MEMBERSHIP_FIELD);
        let mut fields: Vec<String> = requested.iter().filter(|field| *field != SEGMENT_MEMBERSHIP_FIELD).cloned().collect();
        if named && fields.is_empty() {
            fields.push("_id".to_string());
        }
        // A member always has a membership, so a profile with the column is never empty.
        let check_empty = !requested.is_empty() && !named;
        ExportColumns { fields, with_membership: requested.is_empty() || named, check_empty }
    }

    fn output_schema(&self, projected: &SchemaRef) -> SchemaRef {
        if !self.with_membership {
            return projected.clone();
        }
        let mut fields: Vec<arrow::datatypes::FieldRef> = projected.fields().iter().cloned().collect();
        fields.push(Arc::new(membership_field()));
        Arc::new(arrow::datatypes::Schema::new(fields))
    }
}

/// The profiles to write: those whose key is in `keys`, with the memberships to add.
struct Selection<'a> {
    ids: &'a ProfileIds,
    keys: &'a RoaringBitmap,
    membership: Option<&'a [(SegmentMemberships, RoaringBitmap)]>,
}

/// Filters one batch to the selected profiles, writes them, and returns their namespace counts.
fn write_members(
    batch: &RecordBatch,
    selection: &Selection<'_>,
    schema: &SchemaRef,
    output_schema: &SchemaRef,
    columns: &ExportColumns,
    request: &ExportRequest,
    output: &mut OutputFile,
) -> Result<BTreeMap<String, u64>, ServiceError> {
    let Some(id_column) = batch.column_by_name("_id").and_then(|c| c.as_string_opt::<i32>()) else {
        return Err(ServiceError::Evaluation("the profiles have no string `_id` column; exports match members by `_id`".to_string()));
    };
    let (ids, keys) = (selection.ids, selection.keys);
    let mut mask: BooleanArray =
        id_column.iter().map(|id| Some(id.and_then(|id| ids.key(id)).is_some_and(|key| keys.contains(key)))).collect();
    if !request.empty_profiles && columns.check_empty {
        let projected = project(batch, schema, &columns.fields)?;
        let non_empty = non_empty_mask(&projected);
        mask = arrow::compute::and(&mask, &non_empty).map_err(|e| ServiceError::Evaluation(e.to_string()))?;
    }
    let counts = batch
        .column_by_name("identityMap")
        .and_then(|c| c.as_map_opt())
        .map(|identities| namespace_counts(&mask, identities))
        .unwrap_or_default();
    let members = filter_record_batch(batch, &mask).map_err(|e| ServiceError::Evaluation(e.to_string()))?;
    let mut projected = project(&members, schema, &columns.fields)?;
    if let Some(segments) = selection.membership {
        let member_ids = members.column_by_name("_id").and_then(|c| c.as_string_opt::<i32>()).ok_or_else(|| {
            ServiceError::Evaluation("the profiles have no string `_id` column; exports match members by `_id`".to_string())
        })?;
        let mut arrays = projected.columns().to_vec();
        arrays.push(membership_column(member_ids, ids, segments)?);
        projected = RecordBatch::try_new(output_schema.clone(), arrays).map_err(|e| ServiceError::Evaluation(e.to_string()))?;
    }
    output.write(&projected)?;
    Ok(counts)
}

fn non_empty_mask(projected: &RecordBatch) -> BooleanArray {
    (0..projected.num_rows())
        .map(|row| {
            let schema = projected.schema();
            Some(schema.fields().iter().zip(projected.columns()).any(|(f, c)| f.name() != "_id" && c.is_valid(row)))
        })
        .collect()
}

fn merge_counts(metrics: &mut ExportMetrics, counts: BTreeMap<String, u64>) {
    for (namespace, count) in counts {
        *metrics.exported_profile_by_namespace_counter.entry(namespace).or_default() += count;
    }
}

fn selected(status: MembershipStatus, time: i64, request: &ExportRequest) -> bool {
    request.statuses.contains(&status)
        && request.qualified_from.is_none_or(|from| time >= from)
        && request.qualified_until.is_none_or(|until| time <= until)
}

fn new_record(request: &ExportRequest, created: i64) -> ExportJob {
    let window = (request.qualified_from.is_some() || request.qualified_until.is_some()).then(|| TimeWindow {
        start_time: request.qualified_from.map(crate::membership::format_micros),
        end_time: request.qualified_until.map(crate::membership::format_micros),
    });
    ExportJob {
        id: uuid::Uuid::new_v4().to_string(),
        status: JobStatus::New,
        filter: ExportFilter {
            segments: request
                .segments
                .iter()
                .map(|s| SegmentFilter { segment_id: s.clone(), statuses: request.statuses.clone() })
                .collect(),
            segment_qualification_time: window,
        },
        fields: request.fields.join(","),
        empty_profiles: request.empty_profiles,
        destination: ExportDestination {
            path: request.out.clone(),
            format: request.format,
            segment_per_batch: request.segment_per_batch,
        },
        metrics: ExportMetrics { total_time: TimeSpan::started(created), ..ExportMetrics::default() },
        errors: Vec::new(),
        creation_time: created,
        update_time: created,
        properties: request.properties.clone(),
    }
}

/// Asks the running export job `id` in the workspace at `dir` to stop, without taking the
/// workspace lock.
///
/// # Errors
///
/// Returns [`ServiceError::ExportJobNotFound`] when no such export job exists, and
/// [`ServiceError::InvalidParameter`] when it has already ended.
pub fn request_export_cancel(dir: &Path, id: &str) -> Result<(), ServiceError> {
    check_id("export job id", id)?;
    let Some(job) = read_json::<ExportJob>(&dir.join("exports").join(format!("{id}.json")))? else {
        return Err(ServiceError::ExportJobNotFound { id: id.to_string() });
    };
    if job.status.is_final() {
        return Err(ServiceError::InvalidParameter {
            parameter: "export job id",
            value: id.to_string(),
            expected: format!("a running export job; this one has already ended with status {}", job.status.as_str()),
        });
    }
    write_json(&dir.join("exports").join(format!("{id}.cancel")), &true)
}

/// Marks export jobs left unfinished by an ended process as `FAILED` and deletes the
/// temporary files they left beside their output.
pub(crate) fn recover_interrupted_exports(workspace: &Workspace) -> Result<(), ServiceError> {
    for mut job in workspace.export_jobs()? {
        if job.status.is_final() {
            continue;
        }
        tracing::warn!(id = %job.id, "marking an interrupted export job as failed");
        let directory = if job.destination.segment_per_batch {
            job.destination.path.clone()
        } else {
            job.destination.path.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        crate::jobs::remove_temporary_files(&directory, false)?;
        job.status = JobStatus::Failed;
        job.errors.push(JobErrorEntry {
            code: "INTERRUPTED".to_string(),
            msg: "the seg process ended before the export finished; no output file was written; run the export again".to_string(),
        });
        workspace.save_export(&mut job)?;
        let _ = std::fs::remove_file(workspace.exports_dir().join(format!("{}.cancel", job.id)));
    }
    Ok(())
}
