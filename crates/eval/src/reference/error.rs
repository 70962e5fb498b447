//! Errors of the reference interpreter: input it cannot convert and plans that do not fit the data.

use thiserror::Error;

/// Why the reference interpreter could not convert a batch or evaluate a plan.
///
/// Every variant means that the plan and the batch do not belong together (a plan bound
/// against another schema, a batch that was not normalized), never that a profile's data is
/// unusual: nulls, empty lists and overflow are ordinary values.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ReferenceError {
    /// A column holds an Arrow type outside the normalized set.
    #[error("unsupported arrow type {data_type} in column {column:?}; normalize the batch first")]
    UnsupportedArrowType {
        /// The top-level column containing the type.
        column: String,
        /// The Arrow type, formatted.
        data_type: String,
    },
    /// A `Column` node names a scope that is not open at that point of the plan.
    #[error("column reads scope {scope}, but only {open} scopes are open")]
    ScopeNotOpen {
        /// The scope the node reads.
        scope: usize,
        /// How many scopes are open, the profile included.
        open: usize,
    },
    /// A path names a field that the struct does not have.
    #[error("field {field:?} not found in struct with fields {available:?}")]
    FieldNotFound {
        /// The missing field name.
        field: String,
        /// The struct's field names.
        available: Vec<String>,
    },
    /// An operation received a value of the wrong kind.
    #[error("{operation} expected {expected}, found {found}")]
    TypeMismatch {
        /// The plan node or step that failed.
        operation: &'static str,
        /// The kinds it accepts.
        expected: &'static str,
        /// The kind it received.
        found: String,
    },
    /// `inSegment` names a segment that is not evaluated before the reading segment.
    #[error("inSegment reads {0:?}, which is not among the segments evaluated before it")]
    UnknownSegment(String),
}

impl ReferenceError {
    /// Builds a [`ReferenceError::TypeMismatch`] for a value of the wrong kind.
    pub(crate) fn mismatch(operation: &'static str, expected: &'static str, found: &super::Value) -> ReferenceError {
        ReferenceError::TypeMismatch { operation, expected, found: found.kind_name().to_string() }
    }
}
