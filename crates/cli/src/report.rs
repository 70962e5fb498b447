//! Renders a finished job as a table or as a segment job object in the service's JSON shape.

use std::time::Duration;

use serde_json::{Map, Value, json};

use seg_service::{CompiledSegment, JobOutcome};

/// Wall-clock facts of a job.
pub struct Timing {
    /// When the job started, in milliseconds since the Unix epoch.
    pub creation_millis: u128,
    /// Milliseconds spent reading and evaluating profiles.
    pub segmentation_millis: u128,
    /// The whole job, compilation included.
    pub total: Duration,
}

/// Formats a readable table: one row per segment with its member count and share.
pub fn table(segments: &[CompiledSegment], outcome: &JobOutcome, timing: &Timing, now: i64) -> String {
    let width = segments.iter().map(|s| s.definition.id.len()).max().unwrap_or(7).max(7);
    let mut out = format!("{:<width$}  {:>10}  {:>7}\n", "segment", "members", "share");
    for (segment, members) in segments.iter().zip(&outcome.members) {
        let share = if outcome.total_profiles == 0 { 0.0 } else { 100.0 * members.len() as f64 / outcome.total_profiles as f64 };
        out += &format!("{:<width$}  {:>10}  {:>6.2}%\n", segment.definition.id, members.len(), share);
    }
    out += &format!(
        "\n{}, {}, evaluated at {} in {} ms\n",
        crate::commands::count_of(outcome.total_profiles as usize, "profile"),
        crate::commands::count_of(segments.len(), "segment"),
        format_time(now),
        timing.total.as_millis()
    );
    out
}

/// Formats the segment job object: `status`, `segments` and `metrics` with the service's names.
pub fn job_json(segments: &[CompiledSegment], outcome: &JobOutcome, timing: &Timing, now: i64) -> String {
    let mut counter = Map::new();
    let mut by_namespace = Map::new();
    for (index, segment) in segments.iter().enumerate() {
        let id = segment.definition.id.clone();
        counter.insert(id.clone(), json!(outcome.members[index].len()));
        by_namespace.insert(id, json!(outcome.namespace_counts[index]));
    }
    let end = timing.creation_millis + timing.total.as_millis();
    let segmentation_start = end.saturating_sub(timing.segmentation_millis);
    let job = json!({
        "id": format!("job-{}", timing.creation_millis),
        "source": "api",
        "status": "SUCCEEDED",
        "evaluationTime": format_time(now),
        "segments": segments.iter().map(segment_info).collect::<Vec<_>>(),
        "metrics": {
            "totalTime": {"startTimeInMs": timing.creation_millis, "endTimeInMs": end, "totalTimeInMs": timing.total.as_millis()},
            "profileSegmentationTime": {"startTimeInMs": segmentation_start, "endTimeInMs": end, "totalTimeInMs": timing.segmentation_millis},
            "totalProfiles": outcome.total_profiles,
            "segmentedProfileCounter": counter,
            "segmentedProfileByNamespaceCounter": by_namespace,
        },
        "creationTime": timing.creation_millis,
        "updateTime": end,
    });
    let mut text = serde_json::to_string_pretty(&job).unwrap_or_default();
    text.push('\n');
    text
}

fn segment_info(segment: &CompiledSegment) -> Value {
    let definition = &segment.definition;
    json!({
        "segmentId": definition.id,
        "segment": {
            "id": definition.id,
            "name": definition.name,
            "expression": {"type": "PQL", "format": "pql/text", "value": definition.expression},
        },
    })
}

fn format_time(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros).map(|t| t.to_string()).unwrap_or_else(|_| format!("{micros}us"))
}
