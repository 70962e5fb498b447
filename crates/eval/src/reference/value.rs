//! Plain values: one profile, one event or one intermediate result of the reference interpreter.

use std::fmt;

use seg_plan::Scalar;

/// A value of the reference interpreter.
///
/// A profile is a `Struct` whose fields are the batch's columns. Timestamps are microseconds
/// since the Unix epoch, UTC.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A missing or null value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float.
    Double(f64),
    /// A UTF-8 string.
    String(String),
    /// An instant in microseconds since the Unix epoch, UTC.
    Timestamp(i64),
    /// A list; its elements may be null.
    List(Vec<Value>),
    /// A record, with its fields in schema order.
    Struct(Vec<(String, Value)>),
    /// A map from string keys to values, in stored order.
    Map(Vec<(String, Value)>),
}

impl Value {
    /// Converts a plan constant to a value.
    pub fn from_scalar(scalar: &Scalar) -> Value {
        match scalar {
            Scalar::Null => Value::Null,
            Scalar::Bool(value) => Value::Bool(*value),
            Scalar::Int(value) => Value::Int(*value),
            Scalar::Double(value) => Value::Double(*value),
            Scalar::String(value) => Value::String(value.clone()),
            Scalar::Timestamp(micros) => Value::Timestamp(*micros),
        }
    }

    /// Returns the name of the value's kind, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Double(_) => "double",
            Value::String(_) => "string",
            Value::Timestamp(_) => "timestamp",
            Value::List(_) => "list",
            Value::Struct(_) => "struct",
            Value::Map(_) => "map",
        }
    }

    /// Returns true for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// Writes a compact JSON-like form: `{name: "x", tags: ["a", null], at: ts(1700000000000000)}`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(value) => write!(f, "{value}"),
            Value::Int(value) => write!(f, "{value}"),
            Value::Double(value) => write!(f, "{value:?}"),
            Value::String(value) => write!(f, "{value:?}"),
            Value::Timestamp(micros) => write!(f, "ts({micros})"),
            Value::List(elements) => {
                f.write_str("[")?;
                for (index, element) in elements.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{element}")?;
                }
                f.write_str("]")
            }
            Value::Struct(fields) => write_entries(f, fields, "{", "}"),
            Value::Map(entries) => write_entries(f, entries, "map{", "}"),
        }
    }
}

fn write_entries(f: &mut fmt::Formatter<'_>, entries: &[(String, Value)], open: &str, close: &str) -> fmt::Result {
    f.write_str(open)?;
    for (index, (name, value)) in entries.iter().enumerate() {
        if index > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{name}: {value}")?;
    }
    f.write_str(close)
}
