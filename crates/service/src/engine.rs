//! The evaluation core of a segment job: compiles the definitions against the profiles' schema, streams
//! the profile batches through the chosen evaluator in parallel, and gathers the members.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use arrow::array::{Array, AsArray, BooleanArray, MapArray, RecordBatch, StringArray};
use arrow::datatypes::Schema;
use rayon::prelude::*;
use roaring::RoaringBitmap;
use seg_eval::EvalContext;
use seg_eval::columnar::{self, Segment};
use seg_eval::reference;
use seg_plan::{SegmentPlan, evaluation_order};

/// A segment definition ready to compile.
#[derive(Clone, Debug)]
pub struct Definition {
    /// The segment id; what `inSegment` and the member files use.
    pub id: String,
    /// The display name.
    pub name: String,
    /// The PQL text.
    pub expression: String,
    /// The file it came from, for messages.
    pub path: PathBuf,
}

/// A definition compiled against the schema.
pub struct CompiledSegment {
    /// The definition it came from.
    pub definition: Definition,
    /// Its typed plan.
    pub plan: SegmentPlan,
}

/// Which evaluator runs the plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Engine {
    /// The vectorized engine over Arrow arrays.
    #[default]
    Columnar,
    /// The one-profile-at-a-time reference interpreter, slow and meant for checking.
    Reference,
}

/// Compiles every definition and orders them so that `inSegment` targets come first.
///
/// # Errors
///
/// Returns every rendered diagnostic, each headed by the file it belongs to, or the ordering
/// error (an unknown `inSegment` target or a cycle).
pub fn compile(definitions: Vec<Definition>, schema: &Schema) -> Result<Vec<CompiledSegment>, Vec<String>> {
    let mut compiled = Vec::with_capacity(definitions.len());
    let mut errors = Vec::new();
    for definition in definitions {
        let result = seg_pql::parse(&definition.expression).and_then(|query| seg_plan::bind(&query, schema));
        match result {
            Ok(plan) => compiled.push(CompiledSegment { definition, plan }),
            Err(diagnostic) => {
                let rendered = diagnostic.render(&definition.expression);
                errors.push(format!("in {}:\n{rendered}", definition.path.display()));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let keyed: Vec<(String, SegmentPlan)> =
        compiled.iter().map(|segment| (segment.definition.id.clone(), segment.plan.clone())).collect();
    let order = evaluation_order(&keyed).map_err(|e| vec![e.to_string()])?;
    let mut slots: Vec<Option<CompiledSegment>> = compiled.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|index| slots[index].take()).collect())
}

/// What a job produced, per segment in evaluation order.
pub struct JobOutcome {
    /// Profiles read.
    pub total_profiles: u64,
    /// Qualifying row numbers per segment.
    pub members: Vec<RoaringBitmap>,
    /// Qualifying profile ids per segment, when requested.
    pub member_ids: Option<Vec<Vec<String>>>,
    /// Qualifying profiles per identity namespace, per segment.
    pub namespace_counts: Vec<BTreeMap<String, u64>>,
    /// The `_id` of every row in input order, when requested.
    pub profile_keys: Option<RowIds>,
    /// True when `on_progress` stopped the run before the last batch.
    pub stopped: bool,
    /// Milliseconds spent reading and evaluating batches.
    pub segmentation_millis: u128,
}

/// Per-batch results before merging.
struct BatchOutcome {
    members: Vec<RoaringBitmap>,
    member_ids: Vec<Vec<String>>,
    namespace_counts: Vec<BTreeMap<String, u64>>,
}

/// What [`run`] collects besides the member bitmaps.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunOptions {
    /// Which evaluator runs the plans.
    pub engine: Engine,
    /// Collect the `_id` of every member per segment.
    pub collect_ids: bool,
    /// Collect the `_id` of every row, so row numbers map back to profiles.
    pub collect_keys: bool,
}

/// Runs the compiled segments over a stream of batches.
///
/// Batches are read in chunks of a few per thread and evaluated in parallel; results are
/// merged in batch order, so the outcome does not depend on the thread count. After each
/// chunk, `on_progress` receives the number of profiles read so far; when it returns
/// `ControlFlow::Break`, the run stops and the outcome has `stopped` set.
///
/// # Errors
///
/// Returns the first read or evaluation error, as a message.
pub fn run(
    batches: impl Iterator<Item = Result<RecordBatch, String>>,
    segments: &[CompiledSegment],
    context: &EvalContext,
    options: RunOptions,
    mut on_progress: impl FnMut(u64) -> ControlFlow<()>,
) -> Result<JobOutcome, String> {
    let RunOptions { engine, collect_ids, collect_keys } = options;
    let started = Instant::now();
    let plans: Vec<Segment<'_>> =
        segments.iter().map(|s| Segment { id: &s.definition.id, plan: &s.plan }).collect();
    let chunk_size = rayon::current_num_threads() * 2;
    let mut outcome = JobOutcome {
        total_profiles: 0,
        members: vec![RoaringBitmap::new(); segments.len()],
        member_ids: collect_ids.then(|| vec![Vec::new(); segments.len()]),
        namespace_counts: vec![BTreeMap::new(); segments.len()],
        profile_keys: collect_keys.then(RowIds::default),
        stopped: false,
        segmentation_millis: 0,
    };
    let mut batches = batches.peekable();
    while batches.peek().is_some() {
        let mut chunk = Vec::with_capacity(chunk_size);
        for batch in batches.by_ref().take(chunk_size) {
            let batch = batch?;
            let offset = u32::try_from(outcome.total_profiles)
                .map_err(|_| "more than 4,294,967,295 profiles in one job; split the input".to_string())?;
            outcome.total_profiles += batch.num_rows() as u64;
            if let Some(keys) = outcome.profile_keys.as_mut() {
                push_row_keys(keys, &batch);
            }
            chunk.push((offset, batch));
        }
        let results: Vec<Result<BatchOutcome, String>> = chunk
            .par_iter()
            .map(|(offset, batch)| evaluate_one(&plans, batch, *offset, context, engine, collect_ids))
            .collect();
        for result in results {
            merge(&mut outcome, result?);
        }
        if on_progress(outcome.total_profiles).is_break() {
            outcome.stopped = true;
            break;
        }
    }
    outcome.segmentation_millis = started.elapsed().as_millis();
    Ok(outcome)
}

fn merge(outcome: &mut JobOutcome, batch: BatchOutcome) {
    for (index, members) in batch.members.into_iter().enumerate() {
        outcome.members[index] |= members;
    }
    if let Some(ids) = outcome.member_ids.as_mut() {
        for (index, batch_ids) in batch.member_ids.into_iter().enumerate() {
            ids[index].extend(batch_ids);
        }
    }
    for (index, counts) in batch.namespace_counts.into_iter().enumerate() {
        for (namespace, count) in counts {
            *outcome.namespace_counts[index].entry(namespace).or_default() += count;
        }
    }
}

fn evaluate_one(
    plans: &[Segment<'_>],
    batch: &RecordBatch,
    offset: u32,
    context: &EvalContext,
    engine: Engine,
    collect_ids: bool,
) -> Result<BatchOutcome, String> {
    let masks = match engine {
        Engine::Columnar => columnar::evaluate_batch(plans, batch, context).map_err(|e| e.to_string())?,
        Engine::Reference => reference_masks(plans, batch, context)?,
    };
    let ids = batch.column_by_name("_id").and_then(|column| column.as_string_opt::<i32>());
    let identities = batch.column_by_name("identityMap").and_then(|column| column.as_map_opt());
    let mut outcome = BatchOutcome { members: Vec::new(), member_ids: Vec::new(), namespace_counts: Vec::new() };
    for mask in &masks {
        outcome.members.push(columnar::mask_to_bitmap(mask, offset));
        outcome.member_ids.push(if collect_ids { member_ids(mask, ids) } else { Vec::new() });
        outcome.namespace_counts.push(identities.map(|map| namespace_counts(mask, map)).unwrap_or_default());
    }
    Ok(outcome)
}

fn reference_masks(plans: &[Segment<'_>], batch: &RecordBatch, context: &EvalContext) -> Result<Vec<BooleanArray>, String> {
    let profiles = reference::profiles_from_batch(batch).map_err(|e| e.to_string())?;
    let mut columns = vec![Vec::with_capacity(profiles.len()); plans.len()];
    for profile in &profiles {
        let results = reference::evaluate_profile(plans, profile, context).map_err(|e| e.to_string())?;
        for (column, result) in columns.iter_mut().zip(results) {
            column.push(result);
        }
    }
    Ok(columns.into_iter().map(BooleanArray::from).collect())
}

fn push_row_keys(keys: &mut RowIds, batch: &RecordBatch) {
    match batch.column_by_name("_id").and_then(|column| column.as_string_opt::<i32>()) {
        Some(ids) => ids.iter().for_each(|id| keys.push(id)),
        None => (0..batch.num_rows()).for_each(|_| keys.push(None)),
    }
}

/// The `_id` of every row of a run in input order, kept in one text buffer so a row costs
/// its id's bytes and one offset.
#[derive(Clone, Debug, Default)]
pub struct RowIds {
    text: String,
    ends: Vec<usize>,
    nulls: RoaringBitmap,
}

impl RowIds {
    /// Appends the id of the next row; `None` for a null `_id`.
    pub fn push(&mut self, id: Option<&str>) {
        match id {
            Some(id) => self.text.push_str(id),
            None => {
                self.nulls.insert(self.ends.len() as u32);
            }
        }
        self.ends.push(self.text.len());
    }

    /// Returns the number of rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Returns true when there is no row.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Returns the id of `row`, or `None` for a null id or a row past the end.
    pub fn get(&self, row: usize) -> Option<&str> {
        let end = *self.ends.get(row)?;
        if self.nulls.contains(row as u32) {
            return None;
        }
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        self.text.get(start..end)
    }

    /// Iterates over the ids of every row in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        (0..self.len()).map(|row| self.get(row))
    }
}

impl<'a> FromIterator<Option<&'a str>> for RowIds {
    fn from_iter<T: IntoIterator<Item = Option<&'a str>>>(ids: T) -> Self {
        let mut row_ids = RowIds::default();
        ids.into_iter().for_each(|id| row_ids.push(id));
        row_ids
    }
}

fn member_ids(mask: &BooleanArray, ids: Option<&StringArray>) -> Vec<String> {
    let Some(ids) = ids else {
        return Vec::new();
    };
    let mut members = Vec::with_capacity(mask.true_count());
    for row in 0..mask.len() {
        if mask.value(row) && ids.is_valid(row) {
            members.push(ids.value(row).to_string());
        }
    }
    members
}

/// Counts members per identity namespace: a profile with identities in several namespaces
/// counts once in each.
pub(crate) fn namespace_counts(mask: &BooleanArray, identities: &MapArray) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    let keys = identities.keys().as_string_opt::<i32>();
    let Some(keys) = keys else {
        return counts;
    };
    let offsets = identities.value_offsets();
    for row in 0..mask.len() {
        if !mask.value(row) || identities.is_null(row) {
            continue;
        }
        let mut seen: Vec<&str> = Vec::new();
        for entry in offsets[row] as usize..offsets[row + 1] as usize {
            let namespace = keys.value(entry);
            if !seen.contains(&namespace) {
                seen.push(namespace);
                *counts.entry(namespace.to_string()).or_default() += 1;
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_ids_keep_nulls_and_order() {
        let ids: RowIds = [Some("a"), None, Some(""), Some("ü-2")].into_iter().collect();
        assert_eq!(ids.len(), 4);
        assert_eq!(ids.get(0), Some("a"));
        assert_eq!(ids.get(1), None);
        assert_eq!(ids.get(2), Some(""));
        assert_eq!(ids.get(3), Some("ü-2"));
        assert_eq!(ids.get(4), None);
        assert_eq!(ids.iter().collect::<Vec<_>>(), [Some("a"), None, Some(""), Some("ü-2")]);
    }
}
