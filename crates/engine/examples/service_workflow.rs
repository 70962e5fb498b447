//! The service workflow over a workspace directory: save definitions, run a segment job,
//! preview and estimate an audience, and export its members.
//!
//! ```sh
//! cargo run -p seg-engine --example service_workflow
//! ```
//!
//! The workspace lives in a temporary directory that is removed at the end.

use std::error::Error;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use seg_engine::Workspace;
use seg_engine::service::{
    Engine, EstimateRequest, ExportFormat, ExportRequest, JobRequest, JobStatus, MembershipStatus, PreviewRequest,
    SamplingPolicy, SegmentDefinition, Target,
};

const BATCH_SIZE: usize = 4096;

fn main() -> Result<(), Box<dyn Error>> {
    let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cdnow/profiles.parquet");
    let now = "1998-07-01T00:00:00Z".parse::<seg_engine::Timestamp>()?.as_microsecond();
    let dir = tempfile::tempdir()?;

    // 1. Open (or create) a workspace and save two definitions. A definition created without
    //    an id gets a UUID; here the ids are chosen so that `inSegment` can name them.
    let workspace = Arc::new(Workspace::open(&dir.path().join("workspace"))?);
    for (id, name, pql) in [
        ("big-spenders", "Spent 500 USD or more", r#"(sum E.commerce.order.priceTotal over E from xEvent where E.eventType = "commerce.purchases") >= 500"#),
        ("lapsed-big-spenders", "Big spenders without a purchase in 6 months", r#"inSegment("big-spenders") and not xEvent[timestamp occurs <= 6 months before now]"#),
    ] {
        let mut definition = SegmentDefinition::new(name, pql);
        definition.id = id.to_string();
        workspace.create_definition(definition)?;
    }

    // 2. Run a segment job over every saved definition and wait for it. The job stores the
    //    memberships in the workspace.
    let request = JobRequest {
        profiles: profiles.clone(),
        segments: vec!["*".to_string()],
        now,
        engine: Engine::Columnar,
        batch_size: BATCH_SIZE,
        skip_bad_lines: false,
    };
    let job = workspace.start_job(request)?.wait()?;
    assert_eq!(job.status, JobStatus::Succeeded, "job errors: {:?}", job.errors);
    println!("job {} read {} profiles", job.id, job.metrics.total_profiles);
    for (segment, count) in &job.metrics.segmented_profile_counter {
        println!("  {segment}: {count} members");
    }
    let lapsed = job.metrics.segmented_profile_counter.get("lapsed-big-spenders").copied().ok_or("no count")?;

    // 3. Preview the first five members of a saved definition, with their `_id`.
    let preview = seg_engine::service::preview(
        &PreviewRequest {
            profiles: profiles.clone(),
            target: Target::Definition("lapsed-big-spenders".to_string()),
            now,
            offset: 0,
            limit: 5,
            fields: vec!["_id".to_string()],
            batch_size: BATCH_SIZE,
            skip_bad_lines: false,
        },
        Some(&workspace),
    )?;
    println!("preview: {} of {} members", preview.results.len(), preview.page.total_count);
    assert_eq!(preview.page.total_count, lapsed);

    // 4. Estimate the size of an ad hoc expression from a sample of the profiles.
    let estimate = seg_engine::service::estimate(
        &EstimateRequest {
            profiles: profiles.clone(),
            target: Target::Expression(r#"xEvent[eventType = "commerce.purchases"].count() >= 10"#.to_string()),
            now,
            batch_size: BATCH_SIZE,
            skip_bad_lines: false,
            policy: SamplingPolicy::default(),
        },
        Some(&workspace),
    )?;
    println!(
        "estimate: {} profiles ({}), {} of {} rows read",
        estimate.estimated_size, estimate.confidence_interval, estimate.profiles_read_so_far, estimate.total_rows
    );

    // 5. Export the realized members of the saved segment to NDJSON, with their identities.
    let out = dir.path().join("lapsed-big-spenders.ndjson");
    let export = workspace.run_export(
        &ExportRequest {
            profiles,
            segments: vec!["lapsed-big-spenders".to_string()],
            statuses: vec![MembershipStatus::Realized],
            qualified_from: None,
            qualified_until: None,
            fields: vec!["identityMap".to_string()],
            empty_profiles: false,
            format: ExportFormat::Ndjson,
            out: out.clone(),
            segment_per_batch: false,
            batch_size: BATCH_SIZE,
            skip_bad_lines: false,
            properties: None,
        },
        &AtomicBool::new(false),
    )?;
    let lines = std::fs::read_to_string(&out)?.lines().count() as u64;
    println!("export {} wrote {lines} profiles to {}", export.id, out.display());
    assert_eq!(export.status, JobStatus::Succeeded);
    assert_eq!(lines, lapsed);
    Ok(())
}
