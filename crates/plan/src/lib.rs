//! Binding of parsed PQL against the Arrow schema of the profile data: name resolution, type
//! checking and the typed plan that both the columnar engine and the reference interpreter run.

pub mod plan;
pub mod time;
pub mod types;

pub use plan::*;
pub use types::{DataType, FieldType, Scalar};
