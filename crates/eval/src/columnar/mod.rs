//! The columnar engine: evaluates segment plans over Arrow record batches, a whole column at
//! a time, into one mask or roaring bitmap of qualifying profiles per segment.
//!
//! Every plan node evaluates into an array with one slot per row of its scope. Scope 0 is the
//! batch's profiles. A list aggregate or chain opens a child scope whose rows are the elements
//! of the list across all profiles, evaluates its filters and steps there once, and reduces
//! the results per profile through the list offsets. A column of an enclosing scope is
//! repeated for each element with an Arrow `take`. Predicates yield masks without nulls, where
//! null counts as false.
//!
//! [`evaluate_batches`] runs batches in parallel with rayon and merges the bitmaps in batch
//! order, so the output does not depend on the number of threads.

mod aggregate;
mod arith;
mod arrays;
mod bitmap;
mod chain;
mod compare;
mod error;
mod eval;
mod occurs;
mod scope;
mod strings;
mod values;

#[cfg(test)]
mod tests;

use arrow::array::{BooleanArray, RecordBatch};
use rayon::prelude::*;
use roaring::RoaringBitmap;
use seg_plan::SegmentPlan;

pub use bitmap::mask_to_bitmap;
pub use error::EvalError;

use crate::EvalContext;
use eval::BatchEvaluator;

/// A segment to evaluate: its id, which `inSegment` references use, and its plan.
#[derive(Clone, Copy, Debug)]
pub struct Segment<'a> {
    /// The segment id.
    pub id: &'a str,
    /// The compiled definition.
    pub plan: &'a SegmentPlan,
}

/// Evaluates the segments over one batch; `segments` is in dependency order (every
/// `inSegment` target comes earlier in the slice). Returns one `BooleanArray` (no nulls) per
/// segment, of length `batch.num_rows()`.
///
/// Segments of one call share the work of reading columns and flattening event lists.
///
/// # Errors
///
/// - [`EvalError::UnknownSegment`] when an `inSegment` target is not earlier in `segments`.
/// - [`EvalError::UnexpectedType`] when a column's Arrow type does not match its plan type.
/// - [`EvalError::TooManyRows`] when the batch has more than `u32::MAX` rows.
/// - [`EvalError::InvalidPlan`] and [`EvalError::Arrow`] only on bugs in the plan or a kernel.
pub fn evaluate_batch(
    segments: &[Segment<'_>],
    batch: &RecordBatch,
    context: &EvalContext,
) -> Result<Vec<BooleanArray>, EvalError> {
    if u32::try_from(batch.num_rows()).is_err() {
        return Err(EvalError::TooManyRows {
            rows: batch.num_rows() as u64,
        });
    }
    let mut evaluator = BatchEvaluator::new(batch, context);
    segments
        .iter()
        .map(|segment| evaluator.segment(segment.id, &segment.plan.root))
        .collect()
}

/// Evaluates over many batches in parallel with rayon; `first_row` offsets: batch i's rows are
/// numbered from the sum of earlier batch lengths. Returns one RoaringBitmap of row numbers per
/// segment. Deterministic regardless of thread count.
///
/// # Errors
///
/// [`EvalError::TooManyRows`] when the batches hold more than `u32::MAX` rows in total, and
/// otherwise the error of the first failing batch in batch order, as [`evaluate_batch`]
/// describes.
pub fn evaluate_batches(
    segments: &[Segment<'_>],
    batches: &[RecordBatch],
    context: &EvalContext,
) -> Result<Vec<RoaringBitmap>, EvalError> {
    let mut first_rows = Vec::with_capacity(batches.len());
    let mut total: u64 = 0;
    for batch in batches {
        first_rows.push(total);
        total += batch.num_rows() as u64;
    }
    if total > u64::from(u32::MAX) {
        return Err(EvalError::TooManyRows { rows: total });
    }

    let per_batch: Vec<Result<Vec<RoaringBitmap>, EvalError>> = batches
        .par_iter()
        .zip(first_rows.par_iter())
        .map(|(batch, &first_row)| {
            let masks = evaluate_batch(segments, batch, context)?;
            // The total check above keeps every row number within u32.
            let first_row = first_row as u32;
            Ok(masks
                .iter()
                .map(|mask| mask_to_bitmap(mask, first_row))
                .collect())
        })
        .collect();

    let mut merged = vec![RoaringBitmap::new(); segments.len()];
    for bitmaps in per_batch {
        for (segment, bitmap) in merged.iter_mut().zip(bitmaps?) {
            *segment |= bitmap;
        }
    }
    Ok(merged)
}
