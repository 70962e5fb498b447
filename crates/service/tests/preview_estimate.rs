//! Preview paging on the CDNOW profiles, and estimates: exact on small files, and a 95 %
//! interval that covers the true size in about 95 % of seeded samples.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use seg_service::estimate::{SamplingPolicy, estimate_batches};
use seg_service::{Definition, EstimateRequest, PreviewRequest, SegmentDefinition, Target, Workspace, estimate, preview};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const FREQUENT: &str = "xEvent[eventType = \"commerce.purchases\"].count() >= 10";

fn profiles() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cdnow/profiles.parquet")
}

fn july() -> Result<i64, Box<dyn std::error::Error>> {
    Ok("1998-07-01T00:00:00Z".parse::<jiff::Timestamp>()?.as_microsecond())
}

fn preview_page(offset: usize, limit: usize) -> Result<seg_service::PreviewResponse, Box<dyn std::error::Error>> {
    let request = PreviewRequest {
        profiles: profiles(),
        target: Target::Expression(FREQUENT.to_string()),
        now: july()?,
        offset,
        limit,
        fields: vec!["_id".to_string(), "identityMap".to_string()],
        batch_size: 4096,
        skip_bad_lines: false,
    };
    Ok(preview(&request, None)?)
}

#[test]
fn preview_pages_cover_all_members() -> TestResult {
    let first = preview_page(0, 1000)?;
    let total = first.page.total_count as usize;
    let mut ids = Vec::new();
    let mut offset = 0;
    while offset < total {
        let page = preview_page(offset, 100)?;
        assert_eq!(page.page.offset, offset);
        assert_eq!(page.state, "RESULT_READY");
        ids.extend(page.results.iter().map(|r| r["_id"].as_str().unwrap_or_default().to_string()));
        offset += 100;
    }
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids.len(), total);
    assert_eq!(sorted.len(), total);
    let first_ids: Vec<&str> = first.results.iter().take(5).filter_map(|r| r["_id"].as_str()).collect();
    let paged_ids: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
    assert_eq!(first_ids, paged_ids);
    Ok(())
}

#[test]
fn preview_returns_requested_fields() -> TestResult {
    let page = preview_page(0, 3)?;
    assert_eq!(page.results.len(), 3);
    let first = &page.results[0];
    assert!(first.contains_key("_id"));
    assert!(first.contains_key("identityMap"), "{first:?}");
    Ok(())
}

#[test]
fn preview_rejects_fields_inside_events() -> TestResult {
    let request = PreviewRequest {
        profiles: profiles(),
        target: Target::Expression(FREQUENT.to_string()),
        now: july()?,
        offset: 0,
        limit: 3,
        fields: vec!["xEvent.timestamp".to_string()],
        batch_size: 4096,
        skip_bad_lines: false,
    };
    let message = preview(&request, None).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("xEvent.timestamp"), "{message}");
    Ok(())
}

#[test]
fn preview_of_saved_definition_resolves_dependencies() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    let mut frequent = SegmentDefinition::new("frequent", FREQUENT);
    frequent.id = "frequent".to_string();
    workspace.create_definition(frequent)?;
    let mut reader = SegmentDefinition::new("reader", "inSegment(\"frequent\")");
    reader.id = "reader".to_string();
    workspace.create_definition(reader)?;
    let request = PreviewRequest {
        profiles: profiles(),
        target: Target::Definition("reader".to_string()),
        now: july()?,
        offset: 0,
        limit: 10,
        fields: Vec::new(),
        batch_size: 4096,
        skip_bad_lines: false,
    };
    let through_segment = preview(&request, Some(&workspace))?;
    assert_eq!(through_segment.page.total_count, preview_page(0, 1)?.page.total_count);
    Ok(())
}

#[test]
fn estimate_is_exact_below_threshold() -> TestResult {
    let request = EstimateRequest {
        profiles: profiles(),
        target: Target::Expression(FREQUENT.to_string()),
        now: july()?,
        batch_size: 4096,
        skip_bad_lines: false,
        policy: SamplingPolicy::default(),
    };
    let estimate = estimate(&request, None)?;
    assert_eq!(estimate.total_rows, 23_570);
    assert_eq!(estimate.profiles_read_so_far, 23_570);
    assert_eq!(estimate.estimated_size, preview_page(0, 1)?.page.total_count);
    assert_eq!(estimate.standard_error, 0.0);
    assert_eq!(estimate.confidence_interval, "95%");
    Ok(())
}

#[test]
fn estimate_samples_above_lowered_threshold() -> TestResult {
    let policy = SamplingPolicy { exact_below: 10_000, sample_rows: 5_000, large_above: 1_000_000, large_fraction: 0.05, seed: 11 };
    let request = EstimateRequest {
        profiles: profiles(),
        target: Target::Expression(FREQUENT.to_string()),
        now: july()?,
        batch_size: 4096,
        skip_bad_lines: false,
        policy,
    };
    let estimate = estimate(&request, None)?;
    let truth = preview_page(0, 1)?.page.total_count as f64;
    assert_eq!(estimate.total_rows, 23_570);
    assert_eq!(estimate.num_rows_to_read, 5_000);
    assert_eq!(estimate.profiles_read_so_far, 5_000);
    assert!(estimate.standard_error > 0.0, "{estimate:?}");
    let matched_in_namespaces: u64 = estimate.estimated_namespace_distribution.iter().map(|n| n.profiles_matched_so_far).sum();
    assert!(matched_in_namespaces >= estimate.profiles_matched_so_far, "{estimate:?}");
    // Four standard errors bound a miss that a correct sampler makes with probability below
    // 1 in 15,000.
    let miss = (estimate.estimated_size as f64 - truth).abs();
    assert!(miss <= 4.0 * estimate.standard_error, "truth {truth}, {estimate:?}");
    Ok(())
}

/// Builds a population of `total` profiles with `x = row % 10`, so `x < 3` holds for 30 %.
fn population(total: usize) -> Result<(Arc<Schema>, Vec<RecordBatch>), Box<dyn std::error::Error>> {
    let schema = Arc::new(Schema::new(vec![Field::new("_id", DataType::Utf8, false), Field::new("x", DataType::Int64, true)]));
    let mut batches = Vec::new();
    for chunk_start in (0..total).step_by(1000) {
        let rows = chunk_start..(chunk_start + 1000).min(total);
        let ids = StringArray::from(rows.clone().map(|row| format!("p{row}")).collect::<Vec<_>>());
        let values = Int64Array::from(rows.map(|row| (row % 10) as i64).collect::<Vec<_>>());
        batches.push(RecordBatch::try_new(schema.clone(), vec![Arc::new(ids), Arc::new(values)])?);
    }
    Ok((schema, batches))
}

#[test]
fn interval_covers_true_size_about_95_percent() -> TestResult {
    let total = 20_000u64;
    let truth = 6_000.0;
    let (schema, batches) = population(total as usize)?;
    let definition = Definition { id: "low".into(), name: "low".into(), expression: "x < 3".into(), path: PathBuf::from("<test>") };
    let runs = 400u64;
    let mut covered = 0;
    for seed in 0..runs {
        let policy = SamplingPolicy { exact_below: 1_000, sample_rows: 400, large_above: 1_000_000, large_fraction: 0.05, seed };
        let stream = batches.iter().cloned().map(Ok);
        let result = estimate_batches(stream, total, &schema, vec![definition.clone()], "low", 0, &policy)?;
        assert_eq!(result.profiles_read_so_far, 400);
        let low = result.estimated_size as f64 - 1.96 * result.standard_error;
        let high = result.estimated_size as f64 + 1.96 * result.standard_error;
        if (low..=high).contains(&truth) {
            covered += 1;
        }
    }
    let coverage = covered as f64 / runs as f64;
    // One standard deviation of the coverage over 400 runs is about 1.1 percentage points.
    assert!((0.92..=0.98).contains(&coverage), "coverage {coverage}");
    Ok(())
}

#[test]
fn sample_sizes_follow_policy() {
    let policy = SamplingPolicy::default();
    assert_eq!(policy.sample_size(999_999), 999_999);
    assert_eq!(policy.sample_size(5_000_000), 1_000_000);
    assert_eq!(policy.sample_size(20_000_000), 1_000_000);
    assert_eq!(policy.sample_size(40_000_000), 2_000_000);
}

#[test]
fn default_policy_samples_large_population() -> TestResult {
    let total = 1_200_000u64;
    let (schema, batches) = population(total as usize)?;
    let definition = Definition { id: "low".into(), name: "low".into(), expression: "x < 3".into(), path: PathBuf::from("<test>") };
    let policy = SamplingPolicy::default();
    let stream = batches.into_iter().map(Ok);
    let result = estimate_batches(stream, total, &schema, vec![definition], "low", 0, &policy)?;
    assert_eq!(result.total_rows, total);
    assert_eq!(result.num_rows_to_read, 1_000_000);
    assert_eq!(result.profiles_read_so_far, 1_000_000);
    assert!(result.standard_error > 0.0, "{result:?}");
    // The true size is 360,000. Four standard errors bound a miss that a correct sampler
    // makes with probability below 1 in 15,000.
    let miss = (result.estimated_size as f64 - 360_000.0).abs();
    assert!(miss <= 4.0 * result.standard_error, "{result:?}");
    Ok(())
}

#[test]
fn stored_preview_pages_and_estimate() -> TestResult {
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join("profiles.parquet");
    std::fs::copy(profiles(), &copy)?;
    let workspace = Workspace::open(&dir.path().join("ws"))?;
    let request = PreviewRequest {
        profiles: copy.clone(),
        target: Target::Expression(FREQUENT.to_string()),
        now: july()?,
        offset: 0,
        limit: 10,
        fields: vec!["identityMap".to_string()],
        batch_size: 4096,
        skip_bad_lines: false,
    };
    let created = workspace.create_preview(&request, &SamplingPolicy::default())?;
    let id = created.preview_id.clone().ok_or("no previewId")?;
    let one_shot = preview(&PreviewRequest { offset: 5, ..request.clone() }, None)?;
    let fetched = workspace.preview_page(&id, 5, 10, 4096)?;
    assert_eq!(fetched.results, one_shot.results);
    assert_eq!(fetched.page.total_count, created.page.total_count);

    let estimate = workspace.preview_estimate(&id)?;
    assert_eq!(estimate.estimated_size, created.page.total_count);
    assert_eq!(estimate.total_rows, 23_570);

    std::fs::write(&copy, b"changed")?;
    let stale = workspace.preview_page(&id, 0, 10, 4096);
    assert!(matches!(stale, Err(seg_service::ServiceError::PreviewStale { .. })), "{stale:?}");

    let deleted = workspace.delete_preview(&id)?;
    assert_eq!(deleted.message, "KILLED");
    let missing = workspace.preview_estimate(&id);
    assert!(matches!(missing, Err(seg_service::ServiceError::PreviewNotFound { .. })), "{missing:?}");
    let leftovers = std::fs::read_dir(dir.path().join("ws/previews"))?.count();
    assert_eq!(leftovers, 0);
    Ok(())
}

#[test]
fn orphan_preview_files_are_removed_on_open() -> TestResult {
    let dir = tempfile::tempdir()?;
    drop(Workspace::open(dir.path())?);
    let previews = dir.path().join("previews");
    std::fs::write(previews.join("lost.members"), b"")?;
    std::fs::write(previews.join("lost.estimate"), b"{}")?;
    std::fs::write(previews.join("kept.members"), b"")?;
    std::fs::write(previews.join("kept.json"), b"{}")?;
    drop(Workspace::open(dir.path())?);
    let mut left: Vec<String> = std::fs::read_dir(&previews)?
        .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    left.sort();
    assert_eq!(left, ["kept.json", "kept.members"]);
    Ok(())
}
