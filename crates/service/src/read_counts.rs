//! Counts of the problems that reading a profile file found without stopping, which jobs,
//! previews, estimates and exports report.

use serde::{Deserialize, Serialize};

/// Problems found while reading a profile file that did not end the read.
///
/// Each field is left out of the JSON when it is 0, so records written before the field
/// existed still parse, and records of clean input keep their shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadCounts {
    /// NDJSON lines skipped because they are not valid JSON objects. Lines are skipped only
    /// when the request sets `skip_bad_lines`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_lines: u64,
    /// Profiles with more than [`seg_io::DEFAULT_EVENT_LIMIT`] events, which are evaluated in
    /// full.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub profiles_over_event_limit: u64,
}

impl ReadCounts {
    /// Returns the counts of `reader` so far, which are final once it is exhausted.
    pub fn of(reader: &seg_io::ProfileReader) -> Self {
        ReadCounts { skipped_lines: reader.skipped_lines(), profiles_over_event_limit: reader.profiles_over_event_limit() }
    }
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// Returns the read options of a service request: `batch_size` profiles per batch (at least 1),
/// bad NDJSON lines skipped when `skip_bad_lines` is set, and the default event limit.
pub(crate) fn read_options(batch_size: usize, skip_bad_lines: bool) -> seg_io::ReadOptions {
    seg_io::ReadOptions { batch_size: batch_size.max(1), skip_bad_lines, ..seg_io::ReadOptions::default() }
}

#[cfg(test)]
mod tests {
    use crate::jobs::JobMetrics;

    use super::*;

    #[test]
    fn zero_counts_are_omitted() -> Result<(), serde_json::Error> {
        let text = serde_json::to_string(&JobMetrics::default())?;
        assert!(!text.contains("skippedLines"), "{text}");
        assert!(!text.contains("profilesOverEventLimit"), "{text}");
        Ok(())
    }

    #[test]
    fn counts_round_trip_in_job_metrics() -> Result<(), serde_json::Error> {
        let read = ReadCounts { skipped_lines: 2, profiles_over_event_limit: 3 };
        let metrics = JobMetrics { read, ..JobMetrics::default() };
        let value = serde_json::to_value(&metrics)?;
        assert_eq!(value["skippedLines"], 2);
        assert_eq!(value["profilesOverEventLimit"], 3);
        assert_eq!(serde_json::from_value::<JobMetrics>(value)?, metrics);
        Ok(())
    }

    #[test]
    fn metrics_without_counts_parse() -> Result<(), serde_json::Error> {
        let text = r#"{"totalTime":{},"profileSegmentationTime":{},"totalProfiles":4,
            "segmentedProfileCounter":{},"segmentedProfileByNamespaceCounter":{},
            "segmentedProfileByStatusCounter":{}}"#;
        let metrics: JobMetrics = serde_json::from_str(text)?;
        assert_eq!(metrics.total_profiles, 4);
        assert_eq!(metrics.read, ReadCounts::default());
        Ok(())
    }
}
