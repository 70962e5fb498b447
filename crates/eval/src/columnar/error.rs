//! Errors of the columnar engine.

use arrow::datatypes::DataType as ArrowType;
use arrow::error::ArrowError;

/// An error raised while evaluating segment plans over Arrow batches.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The batches hold more rows than a `u32` row number can address.
    #[error("too many rows: {rows} rows exceed the {max} rows a bitmap can number; split the input", max = u32::MAX)]
    TooManyRows {
        /// The total number of rows.
        rows: u64,
    },
    /// A column, or the value of an expression, has an Arrow type that does not match its plan type.
    #[error(
        "{name} has Arrow type {found}, expected {expected}; normalize the batch before evaluation"
    )]
    UnexpectedType {
        /// The column path (`person.age`) or the expression's byte span in the definition.
        name: String,
        /// The plan type the evaluator expected.
        expected: String,
        /// The Arrow type found.
        found: ArrowType,
    },
    /// An `inSegment` target that is not evaluated earlier in the same call.
    #[error(
        "inSegment(\"{id}\") reads a segment that is not evaluated before it; order segments by dependency"
    )]
    UnknownSegment {
        /// The segment id.
        id: String,
    },
    /// A plan that breaks the plan's own contract, such as a column read from a scope that is
    /// not open. The binder never produces one, so this is a bug in the plan's producer.
    #[error("invalid plan: {0}")]
    InvalidPlan(String),
    /// An Arrow compute kernel failed.
    #[error("arrow kernel failed: {0}")]
    Arrow(#[from] ArrowError),
}
