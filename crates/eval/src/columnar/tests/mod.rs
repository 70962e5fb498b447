//! Tests of the columnar engine over hand-built batches and plans.
//!
//! The profiles are in `fixtures::profiles`; expected values list one entry per profile
//! (p0 to p4).

mod aggregates;
mod batches;
mod chains;
mod fixtures;
mod occurs;
mod strings;
mod values;
