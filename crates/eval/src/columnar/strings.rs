//! String kernels: equality, substring, prefix and suffix tests with or without case, and
//! regular expression matches (`like` and `matches`).

use std::collections::HashSet;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Scalar as ArrowScalar, StringArray, StringBuilder,
};
use arrow::buffer::{BooleanBuffer, Buffer};
use arrow::compute::kernels::{cmp, comparison};
use regex::Regex;
use seg_plan::{Node, StringOp};

use super::EvalError;
use super::arrays::{and_valid, downcast, mask};
use super::compare::HASH_SET_MIN_LEN;

/// Tests each string against the patterns: true where the value is not null and `op` holds
/// for at least one pattern, or with `negated`, for none of them.
///
/// Without `case_sensitive`, both sides are compared in Unicode lowercase (`str::to_lowercase`).
pub(super) fn string_test(
    values: &ArrayRef,
    node: &Node,
    op: StringOp,
    patterns: &[String],
    case_sensitive: bool,
    negated: bool,
) -> Result<BooleanArray, EvalError> {
    let strings = downcast::<StringArray>(values, node)?;
    let (strings, patterns) = if case_sensitive {
        (strings.clone(), patterns.to_vec())
    } else {
        (
            lowercase(strings)?,
            patterns
                .iter()
                .map(|pattern| pattern.to_lowercase())
                .collect(),
        )
    };

    let any = if op == StringOp::Equals && patterns.len() >= HASH_SET_MIN_LEN {
        let set: HashSet<&str> = patterns.iter().map(String::as_str).collect();
        BooleanBuffer::collect_bool(strings.len(), |i| set.contains(strings.value(i)))
    } else {
        let mut any = BooleanBuffer::new_unset(strings.len());
        for pattern in &patterns {
            let matched = relation(op, &strings, pattern)?;
            any = &any | matched.values();
        }
        any
    };

    let bits = if negated { !&any } else { any };
    Ok(mask(and_valid(bits, strings.nulls())))
}

/// Runs the Arrow kernel of one relation against one pattern; null rows are left to the caller.
fn relation(op: StringOp, strings: &StringArray, pattern: &str) -> Result<BooleanArray, EvalError> {
    let pattern = ArrowScalar::new(StringArray::from(vec![pattern]));
    let result = match op {
        StringOp::Equals => cmp::eq(strings, &pattern)?,
        StringOp::Contains => comparison::contains(strings, &pattern)?,
        StringOp::StartsWith => comparison::starts_with(strings, &pattern)?,
        StringOp::EndsWith => comparison::ends_with(strings, &pattern)?,
    };
    Ok(result)
}

/// Lowercases every string, keeping nulls.
///
/// When the value bytes are all ASCII, the whole buffer is lowercased at once and the offsets
/// are reused, which gives the same strings as `str::to_lowercase`.
fn lowercase(strings: &StringArray) -> Result<StringArray, EvalError> {
    if strings.value_data().is_ascii() {
        let lowered = Buffer::from(strings.value_data().to_ascii_lowercase());
        let array =
            StringArray::try_new(strings.offsets().clone(), lowered, strings.nulls().cloned())?;
        return Ok(array);
    }

    let mut builder = StringBuilder::with_capacity(strings.len(), strings.value_data().len());
    let mut ascii = String::new();
    for value in strings.iter() {
        match value {
            None => builder.append_null(),
            Some(value) if value.is_ascii() => {
                ascii.clear();
                ascii.push_str(value);
                ascii.make_ascii_lowercase();
                builder.append_value(&ascii);
            }
            Some(value) => builder.append_value(value.to_lowercase()),
        }
    }
    Ok(builder.finish())
}

/// Tests each string with `regex`, unanchored (find semantics); false on null.
pub(super) fn regex_match(
    values: &ArrayRef,
    node: &Node,
    regex: &Regex,
) -> Result<BooleanArray, EvalError> {
    let strings = downcast::<StringArray>(values, node)?;
    let bits = match strings.nulls() {
        Some(nulls) => BooleanBuffer::collect_bool(strings.len(), |i| {
            nulls.is_valid(i) && regex.is_match(strings.value(i))
        }),
        None => BooleanBuffer::collect_bool(strings.len(), |i| regex.is_match(strings.value(i))),
    };
    Ok(mask(bits))
}
