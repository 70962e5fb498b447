//! The reference interpreter: evaluates segment plans one profile at a time over plain
//! values, favouring plain code over speed, to check the columnar engine against.
//!
//! [`profiles_from_batch`] turns a record batch into one [`Value`] per profile, and
//! [`evaluate_profile`] runs every segment on one of them.

mod aggregate;
mod chain;
mod convert;
mod error;
mod interpret;
mod value;

#[cfg(test)]
mod tests;

pub use convert::profiles_from_batch;
pub use error::ReferenceError;
pub use interpret::evaluate_profile;
pub use value::Value;

// TODO: use `crate::columnar::Segment` once the columnar engine defines it; this copy has
// the agreed shape.
/// A segment to evaluate: its id, which `inSegment` names, and its plan.
#[derive(Clone, Copy, Debug)]
pub struct Segment<'a> {
    /// The segment id.
    pub id: &'a str,
    /// The compiled definition.
    pub plan: &'a seg_plan::SegmentPlan,
}
