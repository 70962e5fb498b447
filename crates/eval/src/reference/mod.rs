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
mod values;

#[cfg(test)]
mod tests;

pub use convert::profiles_from_batch;
pub use error::ReferenceError;
pub use interpret::evaluate_profile;
pub use value::Value;

use crate::columnar::Segment;
