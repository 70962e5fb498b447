//! Binding of parsed PQL against the Arrow schema of the profile data: name resolution, type
//! checking and the typed plan that both the columnar engine and the reference interpreter run.

pub mod bind;
pub mod order;
pub mod plan;
pub mod time;
pub mod types;

pub use bind::{bind, codes};
pub use order::{OrderError, evaluation_order};
pub use plan::*;
pub use types::{DataType, FieldType, Scalar};
