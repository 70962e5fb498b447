//! Timestamps in NDJSON: recognizing RFC 3339 strings and rewriting timestamp values to the
//! microsecond integers that arrow-json decodes into `Timestamp(Microsecond, "UTC")`.

use std::path::{Path, PathBuf};

use arrow::datatypes::{DataType, Fields};
use serde_json::{Map, Number, Value};

use crate::error::IoError;

/// Returns the microseconds since the Unix epoch of an RFC 3339 date-time such as
/// `2024-01-31T08:00:00.5+01:00`, or `None` if `text` is not one.
///
/// Like RFC 3339, the shape check requires a full date, a time with seconds, and `Z` or a
/// numeric offset. `T`, `t` or a space may separate date and time. jiff then checks the
/// ranges. Digits below one microsecond are truncated.
pub(crate) fn parse_rfc3339_micros(text: &str) -> Option<i64> {
    if !has_rfc3339_shape(text.as_bytes()) {
        return None;
    }
    // The shape check leaves only digits, separators and the letters `t` and `z`, which jiff
    // accepts in upper case.
    let timestamp: jiff::Timestamp = text.to_ascii_uppercase().parse().ok()?;
    Some(timestamp.as_microsecond())
}

fn has_rfc3339_shape(text: &[u8]) -> bool {
    const DATE_TIME: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    if text.len() < DATE_TIME.len() + 1 {
        return false;
    }
    for (&byte, &pattern) in text.iter().zip(DATE_TIME) {
        let matches = match pattern {
            b'd' => byte.is_ascii_digit(),
            b'T' => matches!(byte, b'T' | b't' | b' '),
            other => byte == other,
        };
        if !matches {
            return false;
        }
    }

    let mut rest = &text[DATE_TIME.len()..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|byte| byte.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &fraction[digits..];
    }
    match rest {
        b"Z" | b"z" => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|byte| byte.is_ascii_digit()),
        _ => false,
    }
}

/// Converts a JSON number of milliseconds since the Unix epoch to microseconds, rounding a
/// fractional value to the nearest microsecond. Returns `None` when the result does not fit
/// in `i64`.
pub(crate) fn epoch_millis_to_micros(number: &Number) -> Option<i64> {
    if let Some(millis) = number.as_i64() {
        return millis.checked_mul(1_000);
    }
    let micros = (number.as_f64()? * 1_000.0).round();
    // `i64::MAX as f64` rounds up to 2^63, so the upper bound is exclusive.
    (micros.is_finite() && micros >= i64::MIN as f64 && micros < i64::MAX as f64).then_some(micros as i64)
}

/// The places in a profile object that hold timestamps, derived from the Arrow schema.
#[derive(Debug)]
pub(crate) enum TimestampPlan {
    /// A timestamp value; the string is the dotted field path for errors.
    Value(String),
    /// Every element of an array.
    Elements(Box<TimestampPlan>),
    /// Some fields of an object.
    Fields(Vec<(String, TimestampPlan)>),
    /// Every value of an object read as a map.
    MapValues(Box<TimestampPlan>),
}

impl TimestampPlan {
    /// Builds the plan for the top-level fields of a schema, or `None` when no field contains
    /// a timestamp.
    pub(crate) fn for_fields(fields: &Fields) -> Option<TimestampPlan> {
        plan_fields(fields, "")
    }

    /// Replaces every timestamp in `object` with an integer number of microseconds: RFC 3339
    /// strings are parsed and numbers are read as milliseconds since the Unix epoch.
    pub(crate) fn rewrite(
        &self,
        object: &mut Map<String, Value>,
        path: &Path,
        line: usize,
    ) -> Result<(), IoError> {
        let TimestampPlan::Fields(fields) = self else {
            return Ok(());
        };
        for (name, plan) in fields {
            if let Some(value) = object.get_mut(name) {
                plan.rewrite_value(value, path, line)?;
            }
        }
        Ok(())
    }

    fn rewrite_value(&self, value: &mut Value, path: &Path, line: usize) -> Result<(), IoError> {
        match (self, value) {
            (_, Value::Null) => Ok(()),
            (TimestampPlan::Value(field), value) => {
                let micros = match &*value {
                    Value::String(text) => parse_rfc3339_micros(text),
                    Value::Number(number) => epoch_millis_to_micros(number),
                    _ => None,
                };
                let Some(micros) = micros else {
                    return Err(IoError::JsonTimestamp {
                        path: PathBuf::from(path),
                        field: field.clone(),
                        line,
                        value: value.to_string(),
                    });
                };
                *value = Value::from(micros);
                Ok(())
            }
            (TimestampPlan::Elements(plan), Value::Array(items)) => {
                for item in items {
                    plan.rewrite_value(item, path, line)?;
                }
                Ok(())
            }
            (TimestampPlan::Fields(_), Value::Object(object)) => self.rewrite(object, path, line),
            (TimestampPlan::MapValues(plan), Value::Object(object)) => {
                for item in object.values_mut() {
                    plan.rewrite_value(item, path, line)?;
                }
                Ok(())
            }
            // A value of another kind is left for arrow-json, which reports the mismatch.
            _ => Ok(()),
        }
    }
}

fn plan_fields(fields: &Fields, prefix: &str) -> Option<TimestampPlan> {
    let planned: Vec<(String, TimestampPlan)> = fields
        .iter()
        .filter_map(|field| {
            let field_path = join_path(prefix, field.name());
            plan_type(field.data_type(), field_path).map(|plan| (field.name().clone(), plan))
        })
        .collect();
    (!planned.is_empty()).then_some(TimestampPlan::Fields(planned))
}

fn plan_type(data_type: &DataType, field_path: String) -> Option<TimestampPlan> {
    match data_type {
        DataType::Timestamp(_, _) => Some(TimestampPlan::Value(field_path)),
        DataType::List(item) => plan_type(item.data_type(), format!("{field_path}[]"))
            .map(|plan| TimestampPlan::Elements(Box::new(plan))),
        DataType::Struct(fields) => plan_fields(fields, &field_path),
        DataType::Map(entries, _) => {
            let DataType::Struct(entry_fields) = entries.data_type() else {
                return None;
            };
            let value = entry_fields.get(1)?;
            plan_type(value.data_type(), format!("{field_path}.{}", value.name()))
                .map(|plan| TimestampPlan::MapValues(Box::new(plan)))
        }
        _ => None,
    }
}

/// Joins a dotted field path and a field name.
pub(crate) fn join_path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_utc_parses() {
        assert_eq!(parse_rfc3339_micros("1970-01-01T00:00:01Z"), Some(1_000_000));
    }

    #[test]
    fn rfc3339_offset_and_fraction_parse() {
        assert_eq!(parse_rfc3339_micros("1970-01-01t01:00:00.000002+01:00"), Some(2));
    }

    #[test]
    fn rfc3339_lowercase_and_space_parse() {
        assert_eq!(parse_rfc3339_micros("1970-01-01 00:00:00z"), Some(0));
    }

    #[test]
    fn rfc3339_rejects_missing_offset() {
        assert_eq!(parse_rfc3339_micros("2024-01-01T00:00:00"), None);
    }

    #[test]
    fn rfc3339_rejects_date_only() {
        assert_eq!(parse_rfc3339_micros("2024-01-01"), None);
    }

    #[test]
    fn rfc3339_rejects_invalid_month() {
        assert_eq!(parse_rfc3339_micros("2024-13-01T00:00:00Z"), None);
    }

    #[test]
    fn epoch_millis_integer_scales() {
        assert_eq!(epoch_millis_to_micros(&Number::from(1_700_000_000_123_i64)), Some(1_700_000_000_123_000));
    }

    #[test]
    fn epoch_millis_fraction_rounds() -> Result<(), String> {
        let number = Number::from_f64(2.0006).ok_or("2.0006 is not finite")?;
        assert_eq!(epoch_millis_to_micros(&number), Some(2_001));
        Ok(())
    }

    #[test]
    fn epoch_millis_overflow_is_none() {
        assert_eq!(epoch_millis_to_micros(&Number::from(i64::MAX)), None);
    }
}
