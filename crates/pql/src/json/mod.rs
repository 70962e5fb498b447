//! The `pql/json` interchange format: a syntax tree as nested JSON nodes, each an object with a
//! `nodeType` key.
//!
//! The documented Adobe nodes are `literal`, `fieldLookup`, `parameterReference`, `fnApply`,
//! `varRef`, `varDecl` and `fnCreate`. The PQL forms that those cannot express get node types of
//! their own (`filter`, `occurs`, `chain`, ...). `docs/pql-json.md` lists every node type with its
//! fields and an example.
//!
//! Converting a query to JSON and back yields the same tree, spans aside, for every tree the
//! parser can produce. Trees built in code round-trip too, except those with a non-finite double,
//! which JSON cannot hold and which is written as `null`.
//!
//! Errors in JSON input are `E0010` diagnostics whose message starts with the JSON path of the
//! bad node, such as `params[1].object: missing "fieldName"`. Their span is empty, except for
//! JSON syntax errors, whose span points at the reported position in the text.

mod decode;
mod encode;

use serde::Deserialize;

use crate::ast::{Query, Span};
use crate::diagnostic::Diagnostic;

/// The code of every diagnostic about `pql/json` input.
pub const JSON_ERROR_CODE: &str = "E0010";

/// The deepest nesting of JSON objects and arrays that [`from_json`] and [`from_json_str`]
/// accept.
///
/// A syntax tree node sits at most four JSON levels below its parent: a chain step's condition
/// comes after the chain node, its `steps` array and the step object. So the JSON of every tree
/// that [`crate::parse`] accepts by default fits.
pub const MAX_JSON_DEPTH: usize = 4 * MAX_JSON_TREE_DEPTH;

/// The deepest syntax tree that [`from_json`] and [`from_json_str`] return: the default tree
/// limit of [`crate::parse`], so that a query read from JSON can always be written as text and
/// parsed again.
pub const MAX_JSON_TREE_DEPTH: usize = crate::parser::DEFAULT_MAX_DEPTH * crate::parser::TREE_DEPTH_FACTOR;

/// Stack reserved per JSON level for reading JSON text on the helper thread.
const READ_STACK_PER_LEVEL: usize = 8 * 1024;

/// Stack reserved per syntax tree level when encoding, and per JSON level when decoding, on the
/// helper thread that converts deep trees. A debug build uses about 6.4 KiB per tree level to
/// encode, and up to 15 KiB per JSON level to decode (measured on x86_64 Linux with Rust 1.95);
/// the reserve leaves a margin for other compilers and platforms.
const ENCODE_STACK_PER_LEVEL: usize = 16 * 1024;
const DECODE_STACK_PER_LEVEL: usize = 32 * 1024;

/// Stack of the helper thread beyond the per-level part, and the cap on its total size.
const STACK_BASE: usize = 1024 * 1024;
const STACK_MAX: usize = 1024 * 1024 * 1024;

/// Trees and values up to this many levels deep are converted on the caller's thread, where
/// they need at most about 500 KiB of stack.
const SHALLOW_LEVELS: usize = 32;

/// Converts a query to `pql/json`.
///
/// `serde_json::Value` keeps object keys sorted, so use [`to_json_string`] for text with
/// `nodeType` first.
pub fn to_json(query: &Query) -> serde_json::Value {
    let levels = encode::tree_depth(&query.body) + 1;
    run_with_stack(levels, ENCODE_STACK_PER_LEVEL, || encode::encode_query(query).into_value())
        .unwrap_or_else(|| encode::encode_query(query).into_value())
}

/// Converts a query to compact `pql/json` text, with the keys of each node in the documented
/// order and `nodeType` first.
pub fn to_json_string(query: &Query) -> String {
    let write = || {
        let mut text = String::new();
        encode::encode_query(query).write_to(&mut text);
        text
    };
    let levels = encode::tree_depth(&query.body) + 1;
    // NOTE: when the helper thread cannot start, a deep tree is converted on the caller's thread
    // and may overflow its stack.
    run_with_stack(levels, ENCODE_STACK_PER_LEVEL, write).unwrap_or_else(write)
}

/// Reads a query from `pql/json` text.
///
/// # Errors
///
/// Returns an `E0010` diagnostic when the text is not JSON, nests deeper than
/// [`MAX_JSON_DEPTH`], or does not describe a query no deeper than [`MAX_JSON_TREE_DEPTH`].
pub fn from_json_str(text: &str) -> Result<Query, Diagnostic> {
    let levels = nesting_depth(text, MAX_JSON_DEPTH)
        .map_err(|offset| too_deep(MAX_JSON_DEPTH, Span::new(offset, offset + 1)))?;
    // Reading and dropping the JSON value recurse once per level, so both happen on the
    // helper thread too. The nesting check above bounds the recursion.
    let read = || {
        let mut reader = serde_json::Deserializer::from_str(text);
        reader.disable_recursion_limit();
        let value = serde_json::Value::deserialize(&mut reader)
            .and_then(|value| reader.end().map(|()| value))
            .map_err(|error| syntax_error(text, &error))?;
        decode_bounded(&value)
    };
    run_with_stack(levels, READ_STACK_PER_LEVEL + DECODE_STACK_PER_LEVEL, read)
        .unwrap_or_else(|| Err(no_thread(levels)))
}

/// Reads a query from a `pql/json` value.
///
/// # Errors
///
/// Returns an `E0010` diagnostic naming the JSON path of the first node that is invalid, or
/// when the value nests deeper than [`MAX_JSON_DEPTH`] or the query deeper than
/// [`MAX_JSON_TREE_DEPTH`].
pub fn from_json(value: &serde_json::Value) -> Result<Query, Diagnostic> {
    let levels = decode::json_depth(value, MAX_JSON_DEPTH);
    if levels > MAX_JSON_DEPTH {
        return Err(too_deep(MAX_JSON_DEPTH, Span::default()));
    }
    run_with_stack(levels, DECODE_STACK_PER_LEVEL, || decode_bounded(value))
        .unwrap_or_else(|| Err(no_thread(levels)))
}

/// Decodes a query and rejects a tree deeper than [`MAX_JSON_TREE_DEPTH`], dropping it on the
/// current thread, which has the stack for it.
fn decode_bounded(value: &serde_json::Value) -> Result<Query, Diagnostic> {
    let query = decode::decode_query(value)?;
    let depth = encode::tree_depth(&query.body);
    if depth > MAX_JSON_TREE_DEPTH {
        return Err(Diagnostic::new(
            JSON_ERROR_CODE,
            format!("expression tree deeper than {MAX_JSON_TREE_DEPTH} levels"),
            Span::default(),
        )
        .with_help("split the definition into smaller ones"));
    }
    Ok(query)
}

fn too_deep(limit: usize, span: Span) -> Diagnostic {
    Diagnostic::new(JSON_ERROR_CODE, format!("JSON input nests deeper than {limit} levels"), span)
        .with_help("split the definition into smaller ones")
}

fn no_thread(levels: usize) -> Diagnostic {
    Diagnostic::new(
        JSON_ERROR_CODE,
        format!("JSON input nests {levels} levels deep, and starting a thread with enough stack for it failed"),
        Span::default(),
    )
    .with_help("retry with more memory available, or split the definition into smaller ones")
}

/// Runs `convert` on the caller's thread when `levels` is small, and otherwise on a helper
/// thread with `per_level` bytes of stack for each level. Returns `None` when the helper thread
/// cannot start.
fn run_with_stack<T: Send>(levels: usize, per_level: usize, convert: impl Fn() -> T + Sync) -> Option<T> {
    if levels <= SHALLOW_LEVELS {
        return Some(convert());
    }
    let stack_size = levels.saturating_mul(per_level).saturating_add(STACK_BASE).min(STACK_MAX);
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("pql-json".into())
            .stack_size(stack_size)
            .spawn_scoped(scope, &convert)
            .ok()?;
        match handle.join() {
            Ok(value) => Some(value),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Returns the deepest nesting of `{` and `[` outside strings, or as the error the byte offset
/// of the first one that opens a level deeper than `max_depth`.
fn nesting_depth(text: &str, max_depth: usize) -> Result<usize, usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut in_string = false;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if in_string {
            match byte {
                b'\\' => index += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match byte {
                b'"' => in_string = true,
                b'{' | b'[' => {
                    depth += 1;
                    if depth > max_depth {
                        return Err(index);
                    }
                    deepest = deepest.max(depth);
                }
                b'}' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        index += 1;
    }
    Ok(deepest)
}

/// Converts a `serde_json` syntax error into a diagnostic at the reported line and column.
fn syntax_error(text: &str, error: &serde_json::Error) -> Diagnostic {
    let offset = byte_offset(text, error.line(), error.column());
    Diagnostic::new(JSON_ERROR_CODE, format!("invalid JSON: {error}"), Span::new(offset, offset + 1))
        .with_help("the input starts with `{`, so it is read as pql/json; check the JSON syntax near the caret")
}

/// Returns the byte offset of a 1-based line and column, as `serde_json` reports them; column 0
/// is before the first character of the line.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    let rest = &text[line_start.min(text.len())..];
    let within: usize = rest.chars().take(column.saturating_sub(1)).map(char::len_utf8).sum();
    (line_start + within).min(text.len())
}

/// Returns the PQL text of a segment definition's expression given in `format`:
/// `pql/text` as written, `pql/json` converted to canonical PQL text.
///
/// # Errors
///
/// Returns a message naming an unknown format, or the rendered diagnostic of a `pql/json`
/// value that does not convert.
pub fn expression_text(format: &str, value: &str) -> Result<String, String> {
    match format {
        "pql/text" => Ok(value.to_string()),
        "pql/json" => from_json_str(value).map(|query| query.to_string()).map_err(|diagnostic| {
            format!("the pql/json expression does not convert:\n{}", diagnostic.render(value))
        }),
        other => Err(format!("expression format {other:?} is not supported; use \"pql/text\" or \"pql/json\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_scan_ignores_brackets_in_strings() {
        assert_eq!(nesting_depth(r#"[["[[[["]]"#, 2), Ok(2));
        assert_eq!(nesting_depth(r#"[[["\"[["]]]"#, 2), Err(2));
    }

    #[test]
    fn byte_offset_counts_lines_and_columns() {
        assert_eq!(byte_offset("ab\ncd", 2, 2), 4);
        assert_eq!(byte_offset("ab\ncd", 1, 1), 0);
        assert_eq!(byte_offset("ab", 9, 9), 2);
    }
}
