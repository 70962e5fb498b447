//! Evaluation of segment plans: the columnar engine, which runs every plan over Arrow record
//! batches in parallel and returns one roaring bitmap of qualifying rows per segment, and the
//! reference interpreter, which evaluates one profile at a time over plain values and exists to
//! check the columnar engine.

#![deny(missing_docs)]

pub mod columnar;
pub mod reference;

/// Settings that are fixed for a whole evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalContext {
    /// The evaluation time in microseconds since the Unix epoch, UTC: what `now` means.
    pub now: i64,
}
