//! Binding of parsed PQL against the Arrow schema of the profile data: name resolution, type
//! checking and the typed plan that both the columnar engine and the reference interpreter run.

#![deny(missing_docs)]

pub mod bind;
pub mod eligibility;
pub mod explain;
pub mod order;
pub mod plan;
pub mod time;
pub mod types;

pub use bind::{bind, codes};
pub use eligibility::{Eligibility, EvaluationInfo, Reason, classify, classify_with};
pub use explain::explain;
pub use order::{OrderError, evaluation_order};
pub use plan::*;
pub use types::{DataType, FieldType, Scalar};
