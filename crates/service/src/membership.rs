//! Memberships: per segment, roaring bitmaps of the profiles that were realized before the
//! last job (`previous`), that are realized now, and that exited, plus one qualification
//! time per member. Bitmaps hold profile keys: the position of a profile `_id` in the
//! workspace's profile id dictionary, so memberships stay right when the profile file is
//! reordered or changes between jobs.
//!
//! Storage under `memberships/`: `manifest.json` names the current dictionary file and one
//! binary file per segment. A job writes new files under new names and then replaces the
//! manifest atomically, so a crash leaves the memberships of the last finished job.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, RandomState};
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use hashbrown::HashTable;
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

use crate::atomic::{read_json, write_atomically, write_json};
use crate::engine::RowIds;
use crate::error::ServiceError;
use crate::jobs::StatusCounts;
use crate::workspace::{Workspace, check_id};

/// Exited memberships whose `lastQualificationTime` is older than this are deleted.
pub const EXITED_RETENTION_MICROS: i64 = 30 * 24 * 60 * 60 * 1_000_000;

const MANIFEST: &str = "manifest.json";
const IDS_MAGIC: &[u8; 8] = b"SEGIDS1\n";
const MEMBERS_MAGIC: &[u8; 8] = b"SEGMEM1\n";

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

/// The stored memberships of one segment, over profile keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentMemberships {
    /// The segment.
    pub segment_id: String,
    /// The job that wrote these memberships; empty when no job has evaluated the segment.
    pub job_id: String,
    /// Profiles realized before that job.
    pub previous: RoaringBitmap,
    /// Profiles realized after that job.
    pub realized: RoaringBitmap,
    /// Profiles that exited in that job or an earlier one and have not expired.
    pub exited: RoaringBitmap,
    /// The `lastQualificationTime` in microseconds of each profile of `realized ∪ exited`, in
    /// ascending key order.
    times: Vec<i64>,
}

impl SegmentMemberships {
    fn empty(segment_id: &str) -> Self {
        SegmentMemberships { segment_id: segment_id.to_string(), ..Default::default() }
    }

    /// Returns the status and `lastQualificationTime` (microseconds) of the profile `key`.
    pub fn get(&self, key: u32) -> Option<(MembershipStatus, i64)> {
        let status = if self.realized.contains(key) {
            MembershipStatus::Realized
        } else if self.exited.contains(key) {
            MembershipStatus::Exited
        } else {
            return None;
        };
        // rank counts members up to and including `key`, so the index is rank - 1.
        let rank = self.realized.rank(key) + self.exited.rank(key);
        let time = self.times.get(usize::try_from(rank).ok()?.checked_sub(1)?)?;
        Some((status, *time))
    }

    /// Iterates over every member as `(key, status, lastQualificationTime in microseconds)`,
    /// in ascending key order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, MembershipStatus, i64)> + '_ {
        let all = &self.realized | &self.exited;
        all.into_iter().zip(self.times.iter().copied()).map(|(key, time)| {
            let status = if self.realized.contains(key) { MembershipStatus::Realized } else { MembershipStatus::Exited };
            (key, status, time)
        })
    }
}

/// The profile id dictionary: every `_id` a job has seen, keyed by first appearance. The ids
/// live in one text buffer, and a hash table of keys finds them, so an id costs its bytes
/// plus about 20 bytes.
#[derive(Clone, Debug, Default)]
pub struct ProfileIds {
    text: String,
    ends: Vec<usize>,
    table: HashTable<u32>,
    hasher: RandomState,
}

impl ProfileIds {
    /// Returns the key of `id`.
    pub fn key(&self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.table.find(hash, |key| self.id(*key) == id).copied()
    }

    /// Returns the key of `id`, adding it when it is new.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::Evaluation`] when the dictionary already has `u32::MAX` ids.
    pub fn key_or_insert(&mut self, id: &str) -> Result<u32, ServiceError> {
        if let Some(key) = self.key(id) {
            return Ok(key);
        }
        let key = u32::try_from(self.ends.len())
            .ok()
            .filter(|key| *key < u32::MAX)
            .ok_or_else(|| ServiceError::Evaluation("the workspace has 4,294,967,295 profile ids; use a new workspace".to_string()))?;
        self.text.push_str(id);
        self.ends.push(self.text.len());
        let ProfileIds { text, ends, table, hasher } = self;
        let id_of = |key: u32| {
            let end = ends[key as usize];
            let start = if key == 0 { 0 } else { ends[key as usize - 1] };
            &text[start..end]
        };
        table.insert_unique(hasher.hash_one(id), key, |key| hasher.hash_one(id_of(*key)));
        Ok(key)
    }

    /// Returns the id of `key`; empty for an unknown key.
    pub fn id(&self, key: u32) -> &str {
        let Some(&end) = self.ends.get(key as usize) else {
            return "";
        };
        let start = if key == 0 { 0 } else { self.ends[key as usize - 1] };
        &self.text[start..end]
    }

    /// Returns the number of ids.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Returns true when there is no id.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Iterates over the ids in key order.
    pub fn ids_by_key(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.ends.len() as u32).map(|key| self.id(key))
    }
}

/// `memberships/manifest.json`: the files that hold the current memberships.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    /// The profile id dictionary file, absent before the first job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    profile_ids: Option<String>,
    /// The membership file of each evaluated segment.
    #[serde(default)]
    segments: BTreeMap<String, String>,
}

/// The memberships of a finished job, ready to be stored with [`Workspace::save_job_memberships`].
pub(crate) struct JobMemberships {
    job_id: String,
    ids: ProfileIds,
    ids_changed: bool,
    segments: Vec<SegmentMemberships>,
}

impl Workspace {
    fn manifest(&self) -> Result<Manifest, ServiceError> {
        Ok(read_json(&self.memberships_dir().join(MANIFEST))?.unwrap_or_default())
    }

    /// Returns the profile id dictionary; empty before the first job.
    ///
    /// # Errors
    ///
    /// Returns an error when the dictionary file cannot be read or is corrupt.
    pub fn profile_ids(&self) -> Result<ProfileIds, ServiceError> {
        match self.manifest()?.profile_ids {
            Some(name) => read_profile_ids(&self.memberships_dir().join(name)),
            None => Ok(ProfileIds::default()),
        }
    }

    /// Returns the stored memberships of a segment; empty when no job has evaluated it.
    ///
    /// # Errors
    ///
    /// Returns an error when the file cannot be read or is corrupt.
    pub fn memberships(&self, segment_id: &str) -> Result<SegmentMemberships, ServiceError> {
        check_id("segment id", segment_id)?;
        match self.manifest()?.segments.get(segment_id) {
            Some(name) => read_segment(&self.memberships_dir().join(name), segment_id),
            None => Ok(SegmentMemberships::empty(segment_id)),
        }
    }

    /// Returns the memberships of a segment keyed by profile `_id`. Meant for small audiences
    /// and tests: it builds one map entry per member.
    ///
    /// # Errors
    ///
    /// Returns an error when a membership file cannot be read or is corrupt.
    pub fn membership_map(&self, segment_id: &str) -> Result<BTreeMap<String, Membership>, ServiceError> {
        let stored = self.memberships(segment_id)?;
        let ids = self.profile_ids()?;
        let mut map = BTreeMap::new();
        for (key, status, time) in stored.iter() {
            if (key as usize) < ids.len() {
                map.insert(ids.id(key).to_string(), Membership { status, last_qualification_time: format_micros(time) });
            }
        }
        Ok(map)
    }

    /// Returns the `segmentMembership` map of one profile:
    /// `{"ups": {"<segment id>": {"status", "lastQualificationTime"}}}`.
    ///
    /// # Errors
    ///
    /// Returns an error when a membership file cannot be read or is corrupt.
    pub fn profile_membership(&self, profile_id: &str) -> Result<BTreeMap<String, BTreeMap<String, Membership>>, ServiceError> {
        let mut ups = BTreeMap::new();
        let manifest = self.manifest()?;
        let key = match &manifest.profile_ids {
            Some(name) => find_profile_key(&self.memberships_dir().join(name), profile_id)?,
            None => None,
        };
        if let Some(key) = key {
            for (segment_id, name) in &manifest.segments {
                let stored = read_segment(&self.memberships_dir().join(name), segment_id)?;
                if let Some((status, time)) = stored.get(key) {
                    ups.insert(segment_id.clone(), Membership { status, last_qualification_time: format_micros(time) });
                }
            }
        }
        Ok(BTreeMap::from([("ups".to_string(), ups)]))
    }

    /// Computes the memberships of every segment of a finished job. `keys` contains the `_id` of
    /// each row of the job, and `members` the qualifying rows of each segment.
    pub(crate) fn job_memberships(
        &self,
        job_id: &str,
        keys: &RowIds,
        members: &[(&str, &RoaringBitmap)],
        now: i64,
    ) -> Result<(JobMemberships, Vec<StatusCounts>), ServiceError> {
        let mut ids = self.profile_ids()?;
        let before = ids.len();
        let mut row_keys = Vec::with_capacity(keys.len());
        let mut present = RoaringBitmap::new();
        for id in keys.iter() {
            let key = id.map(|id| ids.key_or_insert(id)).transpose()?;
            if let Some(key) = key {
                present.insert(key);
            }
            row_keys.push(key);
        }
        let mut segments = Vec::with_capacity(members.len());
        let mut counts = Vec::with_capacity(members.len());
        for (segment_id, rows) in members {
            let current: RoaringBitmap = rows.iter().filter_map(|row| row_keys.get(row as usize).copied().flatten()).collect();
            let old = self.memberships(segment_id)?;
            let (after, count) = update_memberships(&old, job_id, &present, &current, now);
            segments.push(after);
            counts.push(count);
        }
        let ids_changed = ids.len() != before;
        Ok((JobMemberships { job_id: job_id.to_string(), ids, ids_changed, segments }, counts))
    }

    /// Writes the memberships of a job: new files first, then the manifest that points at
    /// them, then the old files are deleted.
    pub(crate) fn save_job_memberships(&self, memberships: &JobMemberships) -> Result<(), ServiceError> {
        let dir = self.memberships_dir();
        let old = self.manifest()?;
        let mut manifest = old.clone();
        if memberships.ids_changed || manifest.profile_ids.is_none() {
            let name = format!("profile-ids.{}.bin", memberships.job_id);
            write_profile_ids(&dir.join(&name), &memberships.ids)?;
            manifest.profile_ids = Some(name);
        }
        for segment in &memberships.segments {
            let name = format!("{}.{}.members", segment.segment_id, memberships.job_id);
            write_segment(&dir.join(&name), segment)?;
            manifest.segments.insert(segment.segment_id.clone(), name);
        }
        write_json(&dir.join(MANIFEST), &manifest)?;
        self.remove_unreferenced_memberships(&manifest)
    }

    /// Deletes the memberships of a segment.
    pub(crate) fn delete_memberships(&self, segment_id: &str) -> Result<(), ServiceError> {
        let mut manifest = self.manifest()?;
        if manifest.segments.remove(segment_id).is_some() {
            write_json(&self.memberships_dir().join(MANIFEST), &manifest)?;
            self.remove_unreferenced_memberships(&manifest)?;
        }
        Ok(())
    }

    /// Deletes membership files the manifest does not name: those of a job that ended before
    /// it replaced the manifest, and those a newer manifest replaced.
    pub(crate) fn remove_unreferenced_memberships_on_open(&self) -> Result<(), ServiceError> {
        let manifest = self.manifest()?;
        self.remove_unreferenced_memberships(&manifest)
    }

    // NOTE: a library caller that runs an export on another thread while a job of the same
    // workspace finishes may see a file deleted here and fail with a file error.
    fn remove_unreferenced_memberships(&self, manifest: &Manifest) -> Result<(), ServiceError> {
        let dir = self.memberships_dir();
        let entries = fs::read_dir(&dir).map_err(|e| ServiceError::file("read directory", &dir, e))?;
        for entry in entries {
            let path = entry.map_err(|e| ServiceError::file("read directory", &dir, e))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            let referenced = name == MANIFEST
                || manifest.profile_ids.as_deref() == Some(name)
                || manifest.segments.values().any(|file| file == name);
            let is_membership_file = name.ends_with(".members") || (name.starts_with("profile-ids.") && name.ends_with(".bin"));
            if is_membership_file && !referenced {
                fs::remove_file(&path).map_err(|e| ServiceError::file("delete", &path, e))?;
            }
        }
        Ok(())
    }
}

/// Computes a segment's memberships after a job from the previous ones.
///
/// `present` contains the keys of the profiles in the job's input and `current` those that
/// qualify. With `previous` = the realized members before the job: realized = `current`
/// plus the previous members absent from the input, and newly exited =
/// `(previous ∩ present) − current`. A realized member keeps its time while it stays, an
/// entering or exiting member gets `now`, and exited memberships older than
/// [`EXITED_RETENTION_MICROS`] before `now` are dropped. The counts are `|current|` and the
/// number of newly exited members.
pub fn update_memberships(
    before: &SegmentMemberships,
    job_id: &str,
    present: &RoaringBitmap,
    current: &RoaringBitmap,
    now: i64,
) -> (SegmentMemberships, StatusCounts) {
    let previous = before.realized.clone();
    let realized = current | &(&previous - present);
    let newly_exited = &(&previous & present) - current;
    let mut exited = &(&before.exited - &realized) | &newly_exited;

    let mut old = before.iter().peekable();
    let mut times = Vec::new();
    let mut expired = RoaringBitmap::new();
    for key in &(&realized | &exited) {
        while old.next_if(|(old_key, _, _)| *old_key < key).is_some() {}
        let old_time = old.next_if(|(old_key, _, _)| *old_key == key).map(|(_, _, time)| time);
        let entered = realized.contains(key) && !previous.contains(key);
        let time = match old_time {
            Some(time) if !entered && !newly_exited.contains(key) => time,
            _ => now,
        };
        if exited.contains(key) && now.saturating_sub(time) > EXITED_RETENTION_MICROS {
            expired.insert(key);
        } else {
            times.push(time);
        }
    }
    exited -= &expired;
    let counts = StatusCounts { realized: current.len(), exited: newly_exited.len() };
    let after = SegmentMemberships { segment_id: before.segment_id.clone(), job_id: job_id.to_string(), previous, realized, exited, times };
    (after, counts)
}

/// Formats microseconds since the Unix epoch as RFC 3339 in UTC.
pub fn format_micros(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros).map(|t| t.to_string()).unwrap_or_else(|_| format!("{micros}us"))
}

fn corrupt(path: &Path, reason: &str) -> ServiceError {
    ServiceError::file(
        "read",
        path,
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{reason}; delete the workspace's memberships directory and run the jobs again")),
    )
}

fn write_bytes(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(&(bytes.len() as u64).to_le_bytes())?;
    out.write_all(bytes)
}

fn read_u64(input: &mut impl Read) -> std::io::Result<u64> {
    let mut buffer = [0u8; 8];
    input.read_exact(&mut buffer)?;
    Ok(u64::from_le_bytes(buffer))
}

fn read_bytes(input: &mut impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let length = read_u64(input)?;
    if length > limit {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a length of {length} bytes exceeds the file")));
    }
    let mut bytes = vec![0u8; length as usize];
    input.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn open_checked(path: &Path, magic: &[u8; 8]) -> Result<(BufReader<File>, u64), ServiceError> {
    let file = File::open(path).map_err(|e| ServiceError::file("open", path, e))?;
    let size = file.metadata().map_err(|e| ServiceError::file("read", path, e))?.len();
    let mut reader = BufReader::new(file);
    let mut header = [0u8; 8];
    reader.read_exact(&mut header).map_err(|_| corrupt(path, "the file is too short"))?;
    if &header != magic {
        return Err(corrupt(path, "the file does not start with the expected header"));
    }
    Ok((reader, size))
}

/// Dictionary file: the header, the id count (u64 LE), then each id as a u64 LE byte length
/// and its UTF-8 bytes, in key order.
fn write_profile_ids(path: &Path, ids: &ProfileIds) -> Result<(), ServiceError> {
    write_atomically(path, |file| {
        let mut out = BufWriter::new(file);
        let result = out
            .write_all(IDS_MAGIC)
            .and_then(|()| out.write_all(&(ids.len() as u64).to_le_bytes()))
            .and_then(|()| ids.ids_by_key().try_for_each(|id| write_bytes(&mut out, id.as_bytes())))
            .and_then(|()| out.flush());
        result.map_err(|e| ServiceError::file("write", path, e))
    })
}

/// Calls `visit` with each id of a dictionary file in key order; stops when it returns true.
fn scan_profile_ids(path: &Path, mut visit: impl FnMut(u32, String) -> bool) -> Result<(), ServiceError> {
    let (mut reader, size) = open_checked(path, IDS_MAGIC)?;
    let count = read_u64(&mut reader).map_err(|_| corrupt(path, "the id count is missing"))?;
    for key in 0..count {
        let bytes = read_bytes(&mut reader, size).map_err(|e| corrupt(path, &e.to_string()))?;
        let id = String::from_utf8(bytes).map_err(|_| corrupt(path, "a profile id is not UTF-8"))?;
        let key = u32::try_from(key).map_err(|_| corrupt(path, "more ids than u32 keys"))?;
        if visit(key, id) {
            break;
        }
    }
    Ok(())
}

fn read_profile_ids(path: &Path) -> Result<ProfileIds, ServiceError> {
    let mut ids = ProfileIds::default();
    let mut result = Ok(());
    scan_profile_ids(path, |_, id| {
        result = ids.key_or_insert(&id).map(|_| ());
        result.is_err()
    })?;
    result.map(|()| ids)
}

fn find_profile_key(path: &Path, profile_id: &str) -> Result<Option<u32>, ServiceError> {
    let mut found = None;
    scan_profile_ids(path, |key, id| {
        if id == profile_id {
            found = Some(key);
        }
        found.is_some()
    })?;
    Ok(found)
}

/// Segment file: the header, the job id, the `previous`, `realized` and `exited` bitmaps in
/// the portable roaring format, then the times, each part prefixed by its u64 LE byte length.
/// The times are dictionary encoded because members share the evaluation times of a few jobs.
/// One part has the distinct times (i64 LE microseconds, ascending). The next part has one
/// width byte (1, 2 or 4), then each member's index into the distinct times, little endian.
fn write_segment(path: &Path, segment: &SegmentMemberships) -> Result<(), ServiceError> {
    let (distinct, indexes) = encode_times(&segment.times);
    write_atomically(path, |file| {
        let mut out = BufWriter::new(file);
        let mut result = out.write_all(MEMBERS_MAGIC).and_then(|()| write_bytes(&mut out, segment.job_id.as_bytes()));
        for bitmap in [&segment.previous, &segment.realized, &segment.exited] {
            let mut bytes = Vec::with_capacity(bitmap.serialized_size());
            result = result.and_then(|()| bitmap.serialize_into(&mut bytes)).and_then(|()| write_bytes(&mut out, &bytes));
        }
        result = result
            .and_then(|()| write_bytes(&mut out, &distinct))
            .and_then(|()| write_bytes(&mut out, &indexes))
            .and_then(|()| out.flush());
        result.map_err(|e| ServiceError::file("write", path, e))
    })
}

/// Returns the distinct times as bytes and the index column with its width byte first.
fn encode_times(times: &[i64]) -> (Vec<u8>, Vec<u8>) {
    let mut distinct = times.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let width: usize = match distinct.len() {
        0..=256 => 1,
        257..=65_536 => 2,
        _ => 4,
    };
    let mut indexes = Vec::with_capacity(1 + times.len() * width);
    indexes.push(width as u8);
    for time in times {
        let index = distinct.binary_search(time).unwrap_or_default() as u32;
        indexes.extend_from_slice(&index.to_le_bytes()[..width]);
    }
    (distinct.iter().flat_map(|time| time.to_le_bytes()).collect(), indexes)
}

/// Decodes the two time parts written by [`encode_times`]; `None` when they are inconsistent.
fn decode_times(distinct: &[u8], indexes: &[u8]) -> Option<Vec<i64>> {
    let distinct: Vec<i64> = distinct.chunks_exact(8).map(|chunk| i64::from_le_bytes(chunk.try_into().unwrap_or_default())).collect();
    let (&width, column) = indexes.split_first()?;
    let width = usize::from(width);
    if !matches!(width, 1 | 2 | 4) || column.len() % width != 0 {
        return None;
    }
    column
        .chunks_exact(width)
        .map(|chunk| {
            let mut bytes = [0u8; 4];
            bytes[..width].copy_from_slice(chunk);
            distinct.get(u32::from_le_bytes(bytes) as usize).copied()
        })
        .collect()
}

fn read_segment(path: &Path, segment_id: &str) -> Result<SegmentMemberships, ServiceError> {
    let (mut reader, size) = open_checked(path, MEMBERS_MAGIC)?;
    let mut part = || read_bytes(&mut reader, size).map_err(|e| corrupt(path, &e.to_string()));
    let job_id = String::from_utf8(part()?).map_err(|_| corrupt(path, "the job id is not UTF-8"))?;
    let mut bitmaps = Vec::with_capacity(3);
    for _ in 0..3 {
        let bytes = part()?;
        bitmaps.push(RoaringBitmap::deserialize_from(bytes.as_slice()).map_err(|e| corrupt(path, &e.to_string()))?);
    }
    let distinct = part()?;
    let times = decode_times(&distinct, &part()?).ok_or_else(|| corrupt(path, "the qualification times are invalid"))?;
    let exited = bitmaps.pop().unwrap_or_default();
    let realized = bitmaps.pop().unwrap_or_default();
    let previous = bitmaps.pop().unwrap_or_default();
    if times.len() as u64 != realized.len() + exited.len() || !realized.is_disjoint(&exited) {
        return Err(corrupt(path, "the times do not match the members"));
    }
    Ok(SegmentMemberships { segment_id: segment_id.to_string(), job_id, previous, realized, exited, times })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 60 * 60 * 1_000_000;

    fn bitmap(keys: &[u32]) -> RoaringBitmap {
        keys.iter().copied().collect()
    }

    #[test]
    fn status_follows_bitmap_algebra() {
        let empty = SegmentMemberships::empty("s");
        let all = bitmap(&[0, 1, 2]);
        let (first, counts) = update_memberships(&empty, "j1", &all, &bitmap(&[0, 1]), 0);
        assert_eq!(counts, StatusCounts { realized: 2, exited: 0 });

        let (second, counts) = update_memberships(&first, "j2", &all, &bitmap(&[1, 2]), DAY);
        assert_eq!(counts, StatusCounts { realized: 2, exited: 1 });
        assert_eq!(second.previous, bitmap(&[0, 1]));
        assert_eq!(second.get(0), Some((MembershipStatus::Exited, DAY)));
        assert_eq!(second.get(1), Some((MembershipStatus::Realized, 0)));
        assert_eq!(second.get(2), Some((MembershipStatus::Realized, DAY)));
        assert_eq!(second.get(3), None);
    }

    #[test]
    fn absent_profile_keeps_membership() {
        let empty = SegmentMemberships::empty("s");
        let (first, _) = update_memberships(&empty, "j1", &bitmap(&[0, 1]), &bitmap(&[0, 1]), 0);
        let (second, counts) = update_memberships(&first, "j2", &bitmap(&[1]), &RoaringBitmap::new(), DAY);
        assert_eq!(counts, StatusCounts { realized: 0, exited: 1 });
        assert_eq!(second.get(0), Some((MembershipStatus::Realized, 0)));
        assert_eq!(second.get(1), Some((MembershipStatus::Exited, DAY)));
    }

    #[test]
    fn exited_members_expire_after_30_days() {
        let empty = SegmentMemberships::empty("s");
        let all = bitmap(&[0]);
        let none = RoaringBitmap::new();
        let (realized, _) = update_memberships(&empty, "j1", &all, &all, 0);
        let (exited, _) = update_memberships(&realized, "j2", &all, &none, DAY);
        let (kept, _) = update_memberships(&exited, "j3", &all, &none, 31 * DAY);
        let (gone, _) = update_memberships(&kept, "j4", &all, &none, 32 * DAY);
        assert_eq!(kept.get(0), Some((MembershipStatus::Exited, DAY)));
        assert_eq!(gone.get(0), None);
        assert!(gone.iter().next().is_none());
    }

    #[test]
    fn reentering_member_gets_new_time() {
        let empty = SegmentMemberships::empty("s");
        let all = bitmap(&[0]);
        let (first, _) = update_memberships(&empty, "j1", &all, &all, 0);
        let (second, _) = update_memberships(&first, "j2", &all, &RoaringBitmap::new(), DAY);
        let (third, _) = update_memberships(&second, "j3", &all, &all, 2 * DAY);
        assert_eq!(third.get(0), Some((MembershipStatus::Realized, 2 * DAY)));
        assert!(third.exited.is_empty());
    }

    #[test]
    fn segment_file_round_trips() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let empty = SegmentMemberships::empty("s");
        let all: RoaringBitmap = (0..100_000).collect();
        let (first, _) = update_memberships(&empty, "j1", &all, &(0..60_000).collect(), 0);
        let (second, _) = update_memberships(&first, "j2", &all, &(30_000..90_000).collect(), DAY);
        let path = dir.path().join("s.members");
        write_segment(&path, &second)?;
        assert_eq!(read_segment(&path, "s")?, second);
        Ok(())
    }

    #[test]
    fn truncated_segment_file_is_reported() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("s.members");
        let (segment, _) = update_memberships(&SegmentMemberships::empty("s"), "j", &bitmap(&[1, 2]), &bitmap(&[1]), 0);
        write_segment(&path, &segment)?;
        let bytes = fs::read(&path)?;
        fs::write(&path, &bytes[..bytes.len() - 4])?;
        let message = read_segment(&path, "s").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("delete the workspace's memberships directory"), "{message}");
        Ok(())
    }

    #[test]
    fn large_segment_file_is_compact() -> Result<(), Box<dyn std::error::Error>> {
        // Two jobs over 2 million profiles: half qualify in the first, a shifted half in the second.
        let all: RoaringBitmap = (0..2_000_000).collect();
        let (first, _) = update_memberships(&SegmentMemberships::empty("s"), "j1", &all, &(0..1_000_000).collect(), 0);
        let (second, counts) = update_memberships(&first, "j2", &all, &(500_000..1_500_000).collect(), DAY);
        assert_eq!(counts, StatusCounts { realized: 1_000_000, exited: 500_000 });
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("s.members");
        write_segment(&path, &second)?;
        // 1.5 million members take one time index byte each, and the three dense bitmaps about
        // 8 KiB per 65,536 keys each: 1,828,099 bytes in all.
        let size = fs::metadata(&path)?.len();
        assert!(size < 2_000_000, "{size} bytes");
        assert_eq!(read_segment(&path, "s")?, second);
        Ok(())
    }

    /// Stores the memberships of two jobs over `SEG_MEMBERSHIP_PROFILES` generated profiles
    /// (default 5,000,000) and prints the time of each step. Run it with
    /// `cargo test -p seg-service --release --lib membership_scale -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement that takes tens of seconds"]
    fn membership_scale() -> Result<(), Box<dyn std::error::Error>> {
        let total: u32 = std::env::var("SEG_MEMBERSHIP_PROFILES").ok().and_then(|text| text.parse().ok()).unwrap_or(5_000_000);
        let dir = tempfile::tempdir()?;
        let workspace = Workspace::open(dir.path())?;
        let texts: Vec<String> = (0..total).map(|row| format!("profile-{row:010}")).collect();
        let keys: RowIds = texts.iter().map(|id| Some(id.as_str())).collect();
        drop(texts);
        for (job, range) in [("j1", 0..total / 2), ("j2", total / 4..total * 3 / 4)] {
            let rows: RoaringBitmap = range.collect();
            let started = std::time::Instant::now();
            let (memberships, counts) = workspace.job_memberships(job, &keys, &[("s", &rows)], DAY)?;
            let computed = started.elapsed();
            workspace.save_job_memberships(&memberships)?;
            println!("{job}: {total} profiles, {counts:?}: computed in {computed:?}, stored in {:?}", started.elapsed() - computed);
        }
        let started = std::time::Instant::now();
        let map = workspace.profile_membership("profile-0000000001")?;
        println!("lookup of one profile in {:?}", started.elapsed());
        assert_eq!(map["ups"]["s"].status, MembershipStatus::Exited);
        for entry in fs::read_dir(dir.path().join("memberships"))? {
            let entry = entry?;
            println!("{}: {} bytes", entry.file_name().to_string_lossy(), entry.metadata()?.len());
        }
        Ok(())
    }

    #[test]
    fn times_use_narrowest_index() {
        let few: Vec<i64> = (0..1000).map(|i| (i % 3) * DAY).collect();
        let (distinct, indexes) = encode_times(&few);
        assert_eq!(distinct.len(), 3 * 8);
        assert_eq!(indexes.len(), 1 + 1000);
        assert_eq!(decode_times(&distinct, &indexes), Some(few));

        let many: Vec<i64> = (0..70_000).collect();
        let (distinct, indexes) = encode_times(&many);
        assert_eq!(indexes[0], 4);
        assert_eq!(decode_times(&distinct, &indexes), Some(many));
    }

    #[test]
    fn dictionary_round_trips() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut ids = ProfileIds::default();
        for id in ["b", "a", "ü", "b"] {
            ids.key_or_insert(id)?;
        }
        let path = dir.path().join("ids.bin");
        write_profile_ids(&path, &ids)?;
        let read = read_profile_ids(&path)?;
        assert_eq!(read.ids_by_key().collect::<Vec<_>>(), ["b", "a", "ü"]);
        assert_eq!(read.key("a"), Some(1));
        assert_eq!(find_profile_key(&path, "ü")?, Some(2));
        assert_eq!(find_profile_key(&path, "c")?, None);
        Ok(())
    }
}
