//! Memberships: per segment, the status of every profile that ever qualified, keyed by profile
//! id so they stay right when the profile file changes between jobs.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

use crate::atomic::{read_json, write_json};
use crate::error::ServiceError;
use crate::jobs::StatusCounts;
use crate::workspace::{Workspace, check_id, json_files};

/// Exited memberships whose `lastQualificationTime` is older than this are deleted.
pub const EXITED_RETENTION_MICROS: i64 = 30 * 24 * 60 * 60 * 1_000_000;

/// A membership status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MembershipStatus {
    /// The profile qualifies.
    Realized,
    /// The profile qualified and no longer does.
    Exited,
}

/// The membership of one profile in one segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Membership {
    /// Realized or exited.
    pub status: MembershipStatus,
    /// An RFC 3339 time. A realized member has the evaluation time of the job where its
    /// current stretch of qualifying began. An exited member has that of the job where it exited.
    pub last_qualification_time: String,
}

/// The stored memberships of one segment: `memberships/<segment id>.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentMemberships {
    /// The segment.
    pub segment_id: String,
    /// The job that wrote this file last.
    pub job_id: String,
    /// Members by profile id.
    pub members: BTreeMap<String, Membership>,
}

impl Workspace {
    fn memberships_path(&self, segment_id: &str) -> PathBuf {
        self.memberships_dir().join(format!("{segment_id}.json"))
    }

    /// Returns the stored memberships of a segment; empty when no job has evaluated it.
    ///
    /// # Errors
    ///
    /// Returns an error when the file cannot be read or parsed.
    pub fn memberships(&self, segment_id: &str) -> Result<SegmentMemberships, ServiceError> {
        check_id("segment id", segment_id)?;
        let stored: Option<SegmentMemberships> = read_json(&self.memberships_path(segment_id))?;
        Ok(stored.unwrap_or_else(|| SegmentMemberships { segment_id: segment_id.to_string(), ..Default::default() }))
    }

    /// Returns the `segmentMembership` map of one profile:
    /// `{"ups": {"<segment id>": {"status", "lastQualificationTime"}}}`.
    ///
    /// # Errors
    ///
    /// Returns an error when a membership file cannot be read or parsed.
    pub fn profile_membership(&self, profile_id: &str) -> Result<BTreeMap<String, BTreeMap<String, Membership>>, ServiceError> {
        let mut ups = BTreeMap::new();
        for path in json_files(&self.memberships_dir())? {
            if let Some(stored) = read_json::<SegmentMemberships>(&path)?
                && let Some(membership) = stored.members.get(profile_id)
            {
                ups.insert(stored.segment_id.clone(), membership.clone());
            }
        }
        Ok(BTreeMap::from([("ups".to_string(), ups)]))
    }

    pub(crate) fn save_memberships(&self, memberships: &SegmentMemberships) -> Result<(), ServiceError> {
        write_json(&self.memberships_path(&memberships.segment_id), memberships)
    }
}

/// Computes a segment's memberships after a job from the previous ones and the job's members.
///
/// `keys` maps each row number of the job to its profile id. With `previous` = the rows whose
/// profile was realized before, realized = `current` and newly exited = `previous - current`.
/// A profile absent from this job's input keeps its old membership, and exited memberships
/// older than [`EXITED_RETENTION_MICROS`] before `now` are dropped.
pub fn update_memberships(
    before: &SegmentMemberships,
    job_id: &str,
    keys: &[Option<String>],
    current: &RoaringBitmap,
    now: i64,
) -> (SegmentMemberships, StatusCounts) {
    let mut row_of: HashMap<&str, u32> = HashMap::with_capacity(keys.len());
    for (row, key) in keys.iter().enumerate() {
        if let Some(key) = key {
            row_of.entry(key.as_str()).or_insert(row as u32);
        }
    }
    let mut previous = RoaringBitmap::new();
    for (id, membership) in &before.members {
        if membership.status == MembershipStatus::Realized
            && let Some(&row) = row_of.get(id.as_str())
        {
            previous.insert(row);
        }
    }
    let exited = &previous - current;
    let now_text = format_micros(now);

    let mut members = before.members.clone();
    for row in current {
        let Some(Some(id)) = keys.get(row as usize) else { continue };
        let stays = previous.contains(row);
        let time = match members.get(id) {
            Some(old) if stays => old.last_qualification_time.clone(),
            _ => now_text.clone(),
        };
        members.insert(id.clone(), Membership { status: MembershipStatus::Realized, last_qualification_time: time });
    }
    for row in &exited {
        let Some(Some(id)) = keys.get(row as usize) else { continue };
        members.insert(id.clone(), Membership { status: MembershipStatus::Exited, last_qualification_time: now_text.clone() });
    }
    members.retain(|_, membership| {
        membership.status == MembershipStatus::Realized || !expired(&membership.last_qualification_time, now)
    });
    let counts = StatusCounts { realized: current.len(), exited: exited.len() };
    let after = SegmentMemberships { segment_id: before.segment_id.clone(), job_id: job_id.to_string(), members };
    (after, counts)
}

fn expired(time: &str, now: i64) -> bool {
    match time.parse::<jiff::Timestamp>() {
        Ok(time) => now.saturating_sub(time.as_microsecond()) > EXITED_RETENTION_MICROS,
        Err(_) => true,
    }
}

/// Formats microseconds since the Unix epoch as RFC 3339 in UTC.
pub fn format_micros(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros).map(|t| t.to_string()).unwrap_or_else(|_| format!("{micros}us"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 60 * 60 * 1_000_000;

    fn keys(ids: &[&str]) -> Vec<Option<String>> {
        ids.iter().map(|id| Some((*id).to_string())).collect()
    }

    #[test]
    fn status_follows_bitmap_algebra() {
        let empty = SegmentMemberships { segment_id: "s".into(), ..Default::default() };
        let first: RoaringBitmap = [0, 1].into_iter().collect();
        let (after_first, counts) = update_memberships(&empty, "j1", &keys(&["a", "b", "c"]), &first, 0);
        assert_eq!(counts, StatusCounts { realized: 2, exited: 0 });

        // The file changed order and lost nothing: b still qualifies, a left, c entered.
        let second: RoaringBitmap = [0, 1].into_iter().collect();
        let (after, counts) = update_memberships(&after_first, "j2", &keys(&["c", "b", "a"]), &second, DAY);
        assert_eq!(counts, StatusCounts { realized: 2, exited: 1 });
        assert_eq!(after.members["a"].status, MembershipStatus::Exited);
        assert_eq!(after.members["b"].last_qualification_time, format_micros(0));
        assert_eq!(after.members["c"].last_qualification_time, format_micros(DAY));
    }

    #[test]
    fn exited_members_expire_after_30_days() {
        let empty = SegmentMemberships { segment_id: "s".into(), ..Default::default() };
        let ids = keys(&["a"]);
        let (realized, _) = update_memberships(&empty, "j1", &ids, &[0].into_iter().collect(), 0);
        let (exited, _) = update_memberships(&realized, "j2", &ids, &RoaringBitmap::new(), DAY);
        let (kept, _) = update_memberships(&exited, "j3", &ids, &RoaringBitmap::new(), 31 * DAY);
        let (gone, _) = update_memberships(&kept, "j4", &ids, &RoaringBitmap::new(), 32 * DAY);
        assert!(kept.members.contains_key("a"));
        assert!(!gone.members.contains_key("a"));
    }
}
