//! Parsing of PQL text into the syntax tree, with byte spans and [`Diagnostic`] errors.
//!
//! Error codes:
//! - `E0001`: syntax error.
//! - `E0002`: a number outside the range of its type (integer, double, `$n`, `COUNT`, `occurs`
//!   amount).
//! - `E0003`: `COUNT(0)` in a chain step.
//! - `E0004`: a chain step with two clauses of the same kind.
//! - `E0005`: nesting deeper than [`ParseOptions::max_depth`].

mod aggregates;
mod build;
mod errors;
mod grammar;

use pest::Parser as _;

use crate::ast::{Expr, Query};
use crate::diagnostic::Diagnostic;

use build::TreeBuilder;
use errors::Failure;
use grammar::{PqlParser, Rule};

/// The default of [`ParseOptions::max_depth`].
pub const DEFAULT_MAX_DEPTH: usize = 256;

/// The syntax tree may be this many times deeper than [`ParseOptions::max_depth`], because
/// chains of binary operators such as `a or b or c` nest without brackets.
///
/// The derived `PartialEq` and `Clone` of a tree recurse once per level. In a debug build on a
/// 2 MiB test thread they overflow between 1,000 and 2,000 levels (measured on x86_64 Linux), so
/// the default tree limit of 512 keeps a margin.
pub(crate) const TREE_DEPTH_FACTOR: usize = 2;

/// Stack reserved per nesting level on the helper thread that parses deep definitions.
///
/// A debug build of the generated parser uses about 14 KiB per parenthesis level, and the tree
/// builder about 4 KiB per `let` level (measured on x86_64 Linux). The reserve is larger to
/// leave a margin for other compilers and platforms.
const STACK_PER_LEVEL: usize = 48 * 1024;

/// Stack of the helper thread beyond the per-level part, and the cap on its total size.
const STACK_BASE: usize = 1024 * 1024;
const STACK_MAX: usize = 1024 * 1024 * 1024;

/// Definitions whose nesting estimate exceeds this are parsed on the helper thread from the
/// start. Below it, parsing needs at most a few hundred KiB of the caller's stack.
const SHALLOW_NESTING: usize = 32;

/// The words that cannot be bare identifiers, written in lowercase but reserved in any letter
/// case. Any of them can still be a field or method name after a `.`.
pub const RESERVED_WORDS: [&str; 28] = [
    "and",
    "or",
    "notin",
    "not",
    "in",
    "like",
    "matches",
    "occurs",
    "true",
    "false",
    "let",
    "select",
    "exists",
    "forall",
    "from",
    "where",
    "over",
    "between",
    "before",
    "after",
    "on",
    "now",
    "today",
    "yesterday",
    "tomorrow",
    "this",
    "last",
    "next",
];

/// Returns whether `word` is reserved in any letter case, so that it cannot be a variable or a
/// bare field name.
pub fn is_reserved_word(word: &str) -> bool {
    RESERVED_WORDS.iter().any(|reserved| reserved.eq_ignore_ascii_case(word))
}

/// Limits applied while parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// Maximum nesting of parentheses, square brackets and braces, checked before parsing.
    /// The syntax tree may be twice as deep, because operator chains such as `a or b or c`
    /// nest without brackets. Deeper input fails with `E0005`.
    pub max_depth: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { max_depth: DEFAULT_MAX_DEPTH }
    }
}

impl ParseOptions {
    fn max_tree_depth(&self) -> usize {
        self.max_depth.saturating_mul(TREE_DEPTH_FACTOR)
    }
}

/// Parses a definition: an optional lambda head such as `(Profile) =>`, then the body.
pub fn parse(text: &str) -> Result<Query, Diagnostic> {
    parse_with(text, &ParseOptions::default())
}

/// Parses a definition with explicit limits.
pub fn parse_with(text: &str, options: &ParseOptions) -> Result<Query, Diagnostic> {
    run(text, options, Rule::query, |builder, pair| builder.query(pair))
}

/// Parses a lone expression, without a lambda head.
pub fn parse_expr(text: &str) -> Result<Expr, Diagnostic> {
    parse_expr_with(text, &ParseOptions::default())
}

/// Parses a lone expression with explicit limits.
pub fn parse_expr_with(text: &str, options: &ParseOptions) -> Result<Expr, Diagnostic> {
    run(text, options, Rule::expr_only, |builder, pair| builder.lone_expr(pair))
}

type BuildFn<T> = fn(&TreeBuilder, pest::iterators::Pair<'_, Rule>) -> Result<T, Diagnostic>;

/// Checks the bracket nesting, then parses and builds the tree. Deep definitions are parsed
/// on a helper thread with a large stack. So is a shallow one when the generated parser runs out
/// of the caller's stack anyway, which its stack guard reports as an error.
fn run<T: Send>(text: &str, options: &ParseOptions, rule: Rule, build: BuildFn<T>) -> Result<T, Diagnostic> {
    let nesting = scan_nesting(text, options.max_depth)?;
    if nesting > SHALLOW_NESTING {
        return run_on_large_stack(text, options, rule, build);
    }

    match attempt(text, options, rule, build) {
        Ok(value) => Ok(value),
        Err(Failure::Diagnostic(diagnostic)) => Err(diagnostic),
        Err(Failure::StackExhausted) => run_on_large_stack(text, options, rule, build),
    }
}

/// How many times a parse that fails at a marked aggregate keyword is retried with that keyword
/// read as a name. One retry is the usual case, and the cap bounds the work on hostile input.
const UNMARK_RETRIES: usize = 2;

fn attempt<T>(text: &str, options: &ParseOptions, rule: Rule, build: BuildFn<T>) -> Result<T, Failure> {
    let mut marked = aggregates::Marked::new(text);
    let mut retries = 0;
    let mut pairs = loop {
        match PqlParser::parse(rule, marked.text()) {
            Ok(pairs) => break pairs,
            Err(error) => {
                if retries < UNMARK_RETRIES && marked.unmark(errors::error_position(&error)) {
                    retries += 1;
                    continue;
                }
                return Err(errors::from_pest(text, &error));
            }
        }
    };
    let Some(root) = pairs.next() else {
        return Err(Failure::Diagnostic(errors::internal_error(rule)));
    };
    let builder = TreeBuilder::new(options.max_tree_depth());
    build(&builder, root).map_err(Failure::Diagnostic)
}

fn run_on_large_stack<T: Send>(
    text: &str,
    options: &ParseOptions,
    rule: Rule,
    build: BuildFn<T>,
) -> Result<T, Diagnostic> {
    let levels = options.max_depth.saturating_add(options.max_tree_depth());
    let stack_size = levels.saturating_mul(STACK_PER_LEVEL).saturating_add(STACK_BASE).min(STACK_MAX);

    let outcome = std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("pql-parse".into())
            .stack_size(stack_size)
            .spawn_scoped(scope, || attempt(text, options, rule, build));
        match handle {
            Ok(handle) => Ok(handle.join()),
            Err(error) => Err(error),
        }
    });

    match outcome {
        Ok(Ok(Ok(value))) => Ok(value),
        Ok(Ok(Err(Failure::Diagnostic(diagnostic)))) => Err(diagnostic),
        Ok(Ok(Err(Failure::StackExhausted))) => Err(errors::too_deep_for_stack(text)),
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(spawn_error) => Err(errors::too_deep_for_stack(text).with_help(format!(
            "the parser needs a thread with a {} MiB stack for this definition, but starting it \
             failed: {spawn_error}",
            stack_size / (1024 * 1024)
        ))),
    }
}

/// Rejects bracket nesting deeper than `max_depth` before pest parses the text, so the
/// generated recursive-descent parser never recurses that deep.
///
/// Returns an upper bound on how deeply the tree builder recurses: the bracket depth plus the
/// number of `let`, `from` and `=>` tokens, which nest without brackets. `not` and unary minus
/// also nest without brackets, but the builder handles runs of them in a loop.
fn scan_nesting(text: &str, max_depth: usize) -> Result<usize, Diagnostic> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut max_seen = 0usize;
    let mut unbracketed = 0usize;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'"' => index = skip_string(bytes, index),
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    return Err(errors::too_deep(index, max_depth));
                }
                max_seen = max_seen.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'=' if bytes.get(index + 1) == Some(&b'>') => unbracketed += 1,
            byte if is_word_byte(byte) => {
                let start = index;
                while index < bytes.len() && is_word_byte(bytes[index]) {
                    index += 1;
                }
                let word = &text[start..index];
                if word.eq_ignore_ascii_case("let") || word.eq_ignore_ascii_case("from") {
                    unbracketed += 1;
                }
                continue;
            }
            _ => {}
        }
        index += 1;
    }
    Ok(max_seen.saturating_add(unbracketed))
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Returns the index of the quote that closes the string opened at `open`, or the last index
/// when the string is not closed.
fn skip_string(bytes: &[u8], open: usize) -> usize {
    let mut index = open + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            b'"' => return index,
            _ => index += 1,
        }
    }
    bytes.len().saturating_sub(1)
}
