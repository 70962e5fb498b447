//! Value types of the typed plan and their mapping from Arrow types.

use std::fmt;

use arrow::datatypes::{DataType as ArrowType, Field, TimeUnit as ArrowTimeUnit};

/// The type of a plan node's value.
///
/// Input columns are normalized before evaluation: every integer width is `Int` (i64), every
/// float is `Double` (f64), every string encoding is `String`, and every timestamp or date is
/// `Timestamp` (microseconds since the Unix epoch, UTC).
#[derive(Clone, Debug, PartialEq)]
pub enum DataType {
    /// The type of a bare `null`, or of an empty array literal's elements.
    Null,
    /// `true` or `false`.
    Bool,
    /// A 64-bit signed integer.
    Int,
    /// A 64-bit float.
    Double,
    /// A UTF-8 string.
    String,
    /// An instant in microseconds since the Unix epoch, UTC.
    Timestamp,
    /// A list of values of one type.
    List(Box<DataType>),
    /// A record with named fields.
    Struct(Vec<FieldType>),
    /// A map from string keys to values of one type.
    Map(Box<DataType>),
}

/// A named field of a struct type.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldType {
    /// The field name, case-sensitive.
    pub name: String,
    /// The field's type.
    pub data_type: DataType,
}

impl DataType {
    /// Maps an Arrow type to a plan type, or returns the Arrow type's name when it has no
    /// PQL equivalent (binary, decimal, interval, union and the like).
    ///
    /// # Errors
    ///
    /// Returns the unsupported Arrow type, formatted, for the caller to report with a path.
    pub fn from_arrow(arrow: &ArrowType) -> Result<DataType, String> {
        let data_type = match arrow {
            ArrowType::Null => DataType::Null,
            ArrowType::Boolean => DataType::Bool,
            ArrowType::Int8
            | ArrowType::Int16
            | ArrowType::Int32
            | ArrowType::Int64
            | ArrowType::UInt8
            | ArrowType::UInt16
            | ArrowType::UInt32
            | ArrowType::UInt64 => DataType::Int,
            ArrowType::Float16 | ArrowType::Float32 | ArrowType::Float64 => DataType::Double,
            ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View => DataType::String,
            ArrowType::Dictionary(_, value) if value.is_string() => DataType::String,
            ArrowType::Timestamp(_, _) | ArrowType::Date32 | ArrowType::Date64 => DataType::Timestamp,
            ArrowType::List(item) | ArrowType::LargeList(item) | ArrowType::FixedSizeList(item, _) => {
                DataType::List(Box::new(DataType::from_arrow(item.data_type())?))
            }
            ArrowType::Struct(fields) => DataType::Struct(
                fields.iter().map(|field| FieldType::from_arrow(field)).collect::<Result<_, _>>()?,
            ),
            ArrowType::Map(entries, _) => map_value_type(entries)?,
            other => return Err(other.to_string()),
        };
        Ok(data_type)
    }

    /// Returns the element type of a list, or `None` for other types.
    pub fn element(&self) -> Option<&DataType> {
        match self {
            DataType::List(element) => Some(element),
            _ => None,
        }
    }

    /// Returns the field of a struct type by name.
    pub fn field(&self, name: &str) -> Option<&DataType> {
        match self {
            DataType::Struct(fields) => fields.iter().find(|f| f.name == name).map(|f| &f.data_type),
            _ => None,
        }
    }

    /// Returns true for `Int` and `Double`.
    pub fn is_numeric(&self) -> bool {
        matches!(self, DataType::Int | DataType::Double)
    }
}

impl FieldType {
    fn from_arrow(field: &Field) -> Result<FieldType, String> {
        Ok(FieldType { name: field.name().clone(), data_type: DataType::from_arrow(field.data_type())? })
    }
}

fn map_value_type(entries: &Field) -> Result<DataType, String> {
    let ArrowType::Struct(parts) = entries.data_type() else {
        return Err(format!("map with entries of type {}", entries.data_type()));
    };
    if parts.len() != 2 || !parts[0].data_type().is_string() {
        return Err("map whose keys are not strings".to_string());
    }
    Ok(DataType::Map(Box::new(DataType::from_arrow(parts[1].data_type())?)))
}

/// Returns the Arrow timestamp type every input timestamp is normalized to.
pub fn arrow_timestamp() -> ArrowType {
    ArrowType::Timestamp(ArrowTimeUnit::Microsecond, Some("UTC".into()))
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Null => f.write_str("null"),
            DataType::Bool => f.write_str("boolean"),
            DataType::Int => f.write_str("integer"),
            DataType::Double => f.write_str("double"),
            DataType::String => f.write_str("string"),
            DataType::Timestamp => f.write_str("timestamp"),
            DataType::List(element) => write!(f, "array of {element}"),
            DataType::Struct(_) => f.write_str("object"),
            DataType::Map(value) => write!(f, "map of {value}"),
        }
    }
}

/// A constant value in a plan.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    /// No value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A finite double.
    Double(f64),
    /// A string.
    String(String),
    /// Microseconds since the Unix epoch, UTC.
    Timestamp(i64),
}

impl Scalar {
    /// Returns the scalar's type.
    pub fn data_type(&self) -> DataType {
        match self {
            Scalar::Null => DataType::Null,
            Scalar::Bool(_) => DataType::Bool,
            Scalar::Int(_) => DataType::Int,
            Scalar::Double(_) => DataType::Double,
            Scalar::String(_) => DataType::String,
            Scalar::Timestamp(_) => DataType::Timestamp,
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Null => f.write_str("null"),
            Scalar::Bool(value) => write!(f, "{value}"),
            Scalar::Int(value) => write!(f, "{value}"),
            Scalar::Double(value) => write!(f, "{value:?}"),
            Scalar::String(value) => write!(f, "{value:?}"),
            Scalar::Timestamp(micros) => write!(f, "timestamp({micros}us)"),
        }
    }
}
