//! Estimate: the size of an audience, exact for small profile files and from a seeded uniform
//! sample for large ones. docs/service.md derives the statistics.

use std::path::PathBuf;

use arrow::array::{BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::Schema;
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

use crate::engine::Definition;
use crate::error::ServiceError;
use crate::query::{PreparedTarget, Target, evaluate_target, prepare_target, target_definitions};
use crate::read_counts::{ReadCounts, read_options};
use crate::sample::sample_rows;
use crate::workspace::Workspace;

/// How many profiles an estimate reads.
#[derive(Clone, Debug, PartialEq)]
pub struct SamplingPolicy {
    /// Below this many profiles, every profile is read and the estimate is exact.
    pub exact_below: u64,
    /// The sample size from `exact_below` up to `large_above` profiles.
    pub sample_rows: u64,
    /// Above this many profiles, the sample is `large_fraction` of them.
    pub large_above: u64,
    /// The sampled share of a large profile file.
    pub large_fraction: f64,
    /// The seed of the sample; the same seed and file give the same estimate.
    pub seed: u64,
}

impl Default for SamplingPolicy {
    /// Returns the sample sizes of the Segmentation Service: all profiles below one million,
    /// one million up to 20 million, 5 % above.
    fn default() -> Self {
        SamplingPolicy { exact_below: 1_000_000, sample_rows: 1_000_000, large_above: 20_000_000, large_fraction: 0.05, seed: 0x5EED }
    }
}

impl SamplingPolicy {
    /// Returns the number of profiles to read out of `total`.
    pub fn sample_size(&self, total: u64) -> u64 {
        if total < self.exact_below {
            total
        } else if total <= self.large_above {
            self.sample_rows.min(total)
        } else {
            ((total as f64 * self.large_fraction).ceil() as u64).min(total)
        }
    }
}

/// The input of an estimate.
#[derive(Clone, Debug)]
pub struct EstimateRequest {
    /// The profile file: Parquet or NDJSON.
    pub profiles: PathBuf,
    /// The expression or saved definition.
    pub target: Target,
    /// The evaluation time in microseconds since the Unix epoch.
    pub now: i64,
    /// Profiles per record batch.
    pub batch_size: usize,
    /// Skip NDJSON lines that are not valid JSON objects instead of failing. The response
    /// counts them in `skippedLines`.
    pub skip_bad_lines: bool,
    /// The sample sizes and seed.
    pub policy: SamplingPolicy,
}

/// An estimate response in the service's JSON shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EstimateResponse {
    /// The estimated audience size: matched × total / read, rounded.
    pub estimated_size: u64,
    /// The standard error of `estimated_size`; 0 when every profile was read.
    pub standard_error: f64,
    /// The confidence level of `estimatedSize ± 1.96 × standardError`, always `95%`.
    pub confidence_interval: String,
    /// The sample size.
    pub num_rows_to_read: u64,
    /// Profiles evaluated.
    pub profiles_read_so_far: u64,
    /// Evaluated profiles that qualify.
    pub profiles_matched_so_far: u64,
    /// Profiles in the file.
    pub total_rows: u64,
    /// Qualifying sampled profiles per identity namespace.
    pub estimated_namespace_distribution: Vec<NamespaceCount>,
    /// Always `RESULT_READY`, because an estimate runs to completion before it returns.
    pub state: String,
    /// The `skippedLines` and `profilesOverEventLimit` of the whole profile file, each present
    /// only when it is not 0.
    #[serde(flatten)]
    pub read: ReadCounts,
}

/// One entry of `estimatedNamespaceDistribution`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceCount {
    /// The identity namespace.
    pub namespace_id: String,
    /// Qualifying sampled profiles with an identity in it.
    pub profiles_matched_so_far: u64,
}

/// Estimates the audience size of the target over a profile file.
///
/// NOTE: the file is read once to count its profiles before sampling, because seg-io does not
/// expose the row count of a Parquet footer.
///
/// # Errors
///
/// Returns a read, compile or evaluation error.
pub fn estimate(request: &EstimateRequest, workspace: Option<&Workspace>) -> Result<EstimateResponse, ServiceError> {
    let options = read_options(request.batch_size, request.skip_bad_lines);
    let mut reader = seg_io::open(&request.profiles, &options)?;
    let schema = reader.schema();
    let mut total_rows = 0u64;
    for batch in reader.by_ref() {
        total_rows += batch?.num_rows() as u64;
    }
    let read = ReadCounts::of(&reader);
    let (definitions, target_id) = target_definitions(&request.target, workspace, &schema)?;
    let PreparedTarget { definitions, schema, external } = prepare_target(&definitions, workspace, &schema, request.now)?;
    let batches = external.extend_batches(seg_io::open(&request.profiles, &options)?.map(|batch| batch.map_err(|e| e.to_string())));
    let estimate = estimate_batches(batches, total_rows, &schema, definitions, &target_id, request.now, &request.policy)?;
    Ok(EstimateResponse { read, ..estimate })
}

/// Estimates the size of `target_id` over `batches`, which hold `total_rows` profiles.
///
/// # Errors
///
/// Returns a compile or evaluation error, or [`ServiceError::Evaluation`] when the stream has
/// more than `u32::MAX` profiles.
pub fn estimate_batches(
    batches: impl Iterator<Item = Result<RecordBatch, String>>,
    total_rows: u64,
    schema: &Schema,
    definitions: Vec<Definition>,
    target_id: &str,
    now: i64,
    policy: &SamplingPolicy,
) -> Result<EstimateResponse, ServiceError> {
    let total = u32::try_from(total_rows)
        .map_err(|_| ServiceError::Evaluation(format!("{total_rows} profiles exceed the 4,294,967,295 of one estimate; split the input")))?;
    let sample_size = policy.sample_size(total_rows) as u32;
    let sample = sample_rows(total, sample_size, policy.seed);
    let mut start = 0u32;
    let sampled = batches.map(move |batch| {
        let batch = batch?;
        let filtered = keep_rows(&batch, start, &sample)?;
        start += batch.num_rows() as u32;
        Ok(filtered)
    });
    let target = evaluate_target(sampled, definitions, target_id, schema, now)?;

    Ok(response(target.members.len(), target.total_profiles, total_rows, u64::from(sample_size), target.namespace_counts))
}

/// Builds the estimate object from `matched` of `read` sampled profiles out of `total_rows`.
pub(crate) fn response(
    matched: u64,
    read: u64,
    total_rows: u64,
    num_rows_to_read: u64,
    namespace_counts: std::collections::BTreeMap<String, u64>,
) -> EstimateResponse {
    let (estimated_size, standard_error) = estimate_size(matched, read, total_rows);
    let estimated_namespace_distribution = namespace_counts
        .into_iter()
        .map(|(namespace_id, profiles_matched_so_far)| NamespaceCount { namespace_id, profiles_matched_so_far })
        .collect();
    EstimateResponse {
        estimated_size,
        standard_error,
        confidence_interval: "95%".to_string(),
        num_rows_to_read,
        profiles_read_so_far: read,
        profiles_matched_so_far: matched,
        total_rows,
        estimated_namespace_distribution,
        state: "RESULT_READY".to_string(),
        read: ReadCounts::default(),
    }
}

/// Returns `(estimate, standard error)` of a population count from a simple random sample
/// without replacement: `N·p̂` with `p̂ = matched / read`, and
/// `N·sqrt(p̂(1 − p̂)/n · (N − n)/(N − 1))`, which is 0 when the whole population was read.
pub fn estimate_size(matched: u64, read: u64, total: u64) -> (u64, f64) {
    if read == 0 {
        return (0, 0.0);
    }
    let (n, population) = (read as f64, total as f64);
    let proportion = matched as f64 / n;
    let estimate = (proportion * population).round() as u64;
    if read >= total || total < 2 {
        return (estimate, 0.0);
    }
    let correction = (population - n) / (population - 1.0);
    let error = population * (proportion * (1.0 - proportion) / n * correction).sqrt();
    (estimate, error)
}

fn keep_rows(batch: &RecordBatch, start: u32, sample: &RoaringBitmap) -> Result<RecordBatch, String> {
    let end = start + batch.num_rows() as u32;
    if sample.range_cardinality(start..end) == u64::from(end - start) {
        return Ok(batch.clone());
    }
    let mask: BooleanArray = (start..end).map(|row| Some(sample.contains(row))).collect();
    filter_record_batch(batch, &mask).map_err(|e| e.to_string())
}
