//! String tests with and without case, several patterns, negation, and regular expressions.

use regex::Regex;
use seg_plan::{DataType, Node, NodeKind, StringOp};

use super::fixtures::*;

const F: bool = false;
const T: bool = true;

fn name() -> Node {
    column(0, "name", DataType::String)
}

fn string_test(
    value: Node,
    op: StringOp,
    patterns: &[&str],
    case_sensitive: bool,
    negated: bool,
) -> Node {
    let patterns = patterns.iter().map(|pattern| pattern.to_string()).collect();
    node(
        NodeKind::StringTest {
            op,
            value: Box::new(value),
            patterns,
            case_sensitive,
            negated,
        },
        DataType::Bool,
    )
}

fn regex(value: Node, pattern: &str) -> Result<Node, regex::Error> {
    let kind = NodeKind::Regex {
        value: Box::new(value),
        regex: Regex::new(pattern)?,
        source: pattern.to_string(),
    };
    Ok(node(kind, DataType::Bool))
}

#[test]
fn equals_with_and_without_case() -> TestResult {
    let batch = profiles()?;
    assert_eq!(
        mask_of(
            string_test(name(), StringOp::Equals, &["bob"], true, false),
            &batch
        )?,
        [F, F, T, F, F]
    );
    assert_eq!(
        mask_of(
            string_test(name(), StringOp::Equals, &["BOB"], true, false),
            &batch
        )?,
        [F; 5]
    );
    assert_eq!(
        mask_of(
            string_test(name(), StringOp::Equals, &["BOB"], false, false),
            &batch
        )?,
        [F, F, T, F, F]
    );
    Ok(())
}

#[test]
fn contains_with_and_without_case() -> TestResult {
    let batch = profiles()?;
    assert_eq!(
        mask_of(
            string_test(name(), StringOp::Contains, &["smith"], true, false),
            &batch
        )?,
        [F; 5]
    );
    assert_eq!(
        mask_of(
            string_test(name(), StringOp::Contains, &["Smith"], true, false),
            &batch
        )?,
        [T, F, F, F, F]
    );
    assert_eq!(
        mask_of(
            string_test(name(), StringOp::Contains, &["smith"], false, false),
            &batch
        )?,
        [T, F, F, F, F]
    );
    Ok(())
}

#[test]
fn prefix_and_suffix_unicode_lowercase() -> TestResult {
    let batch = profiles()?;
    let starts = string_test(name(), StringOp::StartsWith, &["él"], false, false);
    let ends = string_test(name(), StringOp::EndsWith, &["Σ"], false, false);
    let ends_exact = string_test(name(), StringOp::EndsWith, &["σ"], true, false);
    assert_eq!(mask_of(starts, &batch)?, [F, F, F, T, F]);
    assert_eq!(mask_of(ends, &batch)?, [F, F, F, T, F]);
    assert_eq!(mask_of(ends_exact, &batch)?, [F; 5]);
    Ok(())
}

#[test]
fn ascii_column_without_case() -> TestResult {
    let batch = profiles()?;
    let gender = column(0, "person.gender", DataType::String);
    assert_eq!(
        mask_of(
            string_test(gender, StringOp::Equals, &["FEMALE"], false, false),
            &batch
        )?,
        [T, F, F, F, F]
    );
    Ok(())
}

#[test]
fn empty_pattern_holds_for_non_null() -> TestResult {
    let batch = profiles()?;
    assert_eq!(
        mask_of(
            string_test(name(), StringOp::StartsWith, &[""], true, false),
            &batch
        )?,
        [T, F, T, T, T]
    );
    Ok(())
}

#[test]
fn negated_is_false_on_null() -> TestResult {
    let batch = profiles()?;
    let without_o = string_test(name(), StringOp::Contains, &["o"], true, true);
    let mask = mask_of(without_o, &batch)?;
    assert_eq!(mask, [T, F, F, T, T]);
    assert!(!mask[1], "doesNotContain holds for a null name");
    Ok(())
}

#[test]
fn several_patterns_mean_any() -> TestResult {
    let batch = profiles()?;
    let either = string_test(
        name(),
        StringOp::Equals,
        &["bob", "Alice Smith"],
        true,
        false,
    );
    let neither = string_test(
        name(),
        StringOp::Equals,
        &["bob", "Alice Smith"],
        true,
        true,
    );
    assert_eq!(mask_of(either, &batch)?, [T, F, T, F, F]);
    assert_eq!(mask_of(neither, &batch)?, [F, F, F, T, T]);
    Ok(())
}

#[test]
fn many_patterns_use_hash_set() -> TestResult {
    let batch = profiles()?;
    let mut patterns: Vec<String> = (0..20).map(|i| format!("x{i}")).collect();
    patterns.push("BOB".to_string());
    let patterns: Vec<&str> = patterns.iter().map(String::as_str).collect();
    assert_eq!(
        mask_of(
            string_test(name(), StringOp::Equals, &patterns, false, false),
            &batch
        )?,
        [F, F, T, F, F]
    );
    assert_eq!(
        mask_of(
            string_test(name(), StringOp::Equals, &patterns, false, true),
            &batch
        )?,
        [T, F, F, T, T]
    );
    Ok(())
}

#[test]
fn regex_like_and_matches() -> TestResult {
    let batch = profiles()?;
    assert_eq!(
        mask_of(regex(name(), "^A.*h$")?, &batch)?,
        [T, F, F, F, F],
        "anchored like"
    );
    assert_eq!(
        mask_of(regex(name(), "o")?, &batch)?,
        [F, F, T, F, F],
        "find semantics"
    );
    assert_eq!(
        mask_of(not(regex(name(), "o")?), &batch)?,
        [T, T, F, T, T],
        "not of a null match"
    );
    Ok(())
}
