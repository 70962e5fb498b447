//! Conversion of pest errors into diagnostics that name tokens the way a user writes them.

use pest::error::{ErrorVariant, InputLocation};

use super::Rule;
use crate::ast::Span;
use crate::diagnostic::Diagnostic;

/// The reason a parse attempt failed.
pub(super) enum Failure {
    /// A diagnostic for the user.
    Diagnostic(Diagnostic),
    /// The generated parser stopped because the thread's stack was nearly used up.
    StackExhausted,
}

impl From<Diagnostic> for Failure {
    fn from(diagnostic: Diagnostic) -> Self {
        Failure::Diagnostic(diagnostic)
    }
}

/// Converts a pest error into a `E0001` diagnostic such as
/// ``expected one of `)`, `,`, found `foo` ``.
pub(super) fn from_pest(text: &str, error: &pest::error::Error<Rule>) -> Failure {
    let positives = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        // pest reports its stack guard (and a call limit, when a program sets one) this way.
        ErrorVariant::CustomError { .. } => return Failure::StackExhausted,
    };
    let position = error_position(error);

    let mut expected: Vec<&str> = positives.iter().flat_map(|rule| expected_tokens(*rule)).copied().collect();
    expected.sort_unstable();
    expected.dedup();

    let Some(found) = Found::at(text, position) else {
        let message = match describe_list(&expected) {
            Some(list) => format!("unexpected end of input, expected {list}"),
            None => "unexpected end of input".to_string(),
        };
        return Diagnostic::new("E0001", message, Span::new(text.len(), text.len())).into();
    };

    if found.unterminated_string {
        return Diagnostic::new("E0001", "unterminated string", found.span)
            .with_help("add a closing `\"`. A quote written as `\\\"` belongs to the string and does not close it")
            .into();
    }

    let message = match describe_list(&expected) {
        Some(list) => format!("expected {list}, found `{}`", found.text),
        None => format!("unexpected `{}`", found.text),
    };
    let diagnostic = Diagnostic::new("E0001", message, found.span);
    let previous_word = word_before(text, position);
    match help_for(&found.text, previous_word, &expected) {
        Some(help) => diagnostic.with_help(help).into(),
        None => diagnostic.into(),
    }
}

/// Returns the byte offset where pest stopped: the position it reports, or the start of its span.
pub(super) fn error_position(error: &pest::error::Error<Rule>) -> usize {
    match error.location {
        InputLocation::Pos(position) => position,
        InputLocation::Span((start, _)) => start,
    }
}

/// Suggests a fix for common mistakes, judged from the token found, the word before it and the
/// tokens expected.
fn help_for(found: &str, previous_word: &str, expected: &[&str]) -> Option<String> {
    let wants_operand = expected.iter().any(|token| *token == "an expression" || *token == "an identifier");
    let starts_open_form = ["let", "select", "exists", "forall"].iter().any(|word| word.eq_ignore_ascii_case(found));
    if wants_operand && starts_open_form {
        return Some(format!(
            "`{found}` runs as far right as possible, so as an operand it needs parentheses, as in \
             `a and ({found} ...)`"
        ));
    }
    let after_aggregate = ["sum", "average", "min", "max"].iter().any(|word| word.eq_ignore_ascii_case(previous_word));
    if !wants_operand && after_aggregate {
        return Some(format!(
            "an aggregate such as `{previous_word} X.a over X from xEvent` runs as far right as possible, \
             so as an operand it needs parentheses"
        ));
    }
    if wants_operand && is_reserved(found) {
        return Some(format!(
            "`{found}` is a keyword and cannot name a variable or a bare field. A field with this \
             name can still be read after a `.`"
        ));
    }
    if wants_operand && ["'", "\u{201c}", "\u{201d}"].contains(&found) {
        return Some("strings are written in straight double quotes, as in \"CA\"".to_string());
    }
    if !wants_operand && ["=", "!=", "<", "<=", ">", ">="].contains(&found) {
        return Some("comparisons do not chain, so join them with `and` or add parentheses".to_string());
    }
    None
}

/// `E0005` for bracket nesting deeper than the limit, pointing at the first bracket too many.
pub(super) fn too_deep(offset: usize, max_depth: usize) -> Diagnostic {
    Diagnostic::new("E0005", format!("expression nested deeper than {max_depth} levels"), Span::new(offset, offset + 1))
        .with_help(format!("simplify the expression, or {RAISE_LIMIT}"))
}

/// `E0005` for a syntax tree deeper than its limit.
pub(super) fn tree_too_deep(span: Span, max_tree_depth: usize) -> Diagnostic {
    Diagnostic::new("E0005", format!("expression tree deeper than {max_tree_depth} levels"), span).with_help(format!(
        "each operator in a chain such as `a or b or c` adds a level, so split long chains into \
         parenthesized groups, write equality terms on one field as `field in [v1, v2, ...]`, or \
         {RAISE_LIMIT} (the tree may be twice as deep as max_depth)"
    ))
}

/// `E0005` when the parser ran out of stack even on the large-stack thread.
pub(super) fn too_deep_for_stack(text: &str) -> Diagnostic {
    Diagnostic::new("E0005", "expression nested too deeply for the parser's stack", Span::new(0, text.len()))
        .with_help("reduce the nesting of `not`, `let`, lambdas and brackets")
}

/// Returns a diagnostic for a parse tree the builder does not expect, which is a bug in this
/// crate.
pub(super) fn internal_error(rule: Rule) -> Diagnostic {
    debug_assert!(false, "the PQL grammar produced an unexpected `{rule:?}` node");
    Diagnostic::new("E0001", format!("internal parser error at a `{rule:?}` node"), Span::default())
        .with_help("this is a bug in the PQL parser, so please report the definition that caused it")
}

const RAISE_LIMIT: &str = "raise the limit with `parse_with(text, &ParseOptions { max_depth: N })`";

/// Returns the word that ends right before `position`, skipping whitespace, or `""`.
fn word_before(text: &str, position: usize) -> &str {
    let before = text.get(..position).unwrap_or("").trim_end();
    let start = before.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |index| index + 1);
    &before[start..]
}

/// Joins expected tokens as `X` or `one of X, Y, Z`.
fn describe_list(expected: &[&str]) -> Option<String> {
    match expected {
        [] => None,
        [only] => Some((*only).to_string()),
        many => Some(format!("one of {}", many.join(", "))),
    }
}

/// The token found where the error occurred.
struct Found {
    text: String,
    span: Span,
    unterminated_string: bool,
}

impl Found {
    /// Reads the token at `position`, or returns `None` at the end of the input.
    fn at(text: &str, position: usize) -> Option<Found> {
        let rest = text.get(position..).filter(|rest| !rest.is_empty())?;
        let first = rest.chars().next()?;

        let length = if first == '"' {
            match closing_quote(rest) {
                Some(close) => close + 1,
                None => {
                    let span = Span::new(position, text.len());
                    return Some(Found { text: rest.to_string(), span, unterminated_string: true });
                }
            }
        } else if first.is_ascii_alphanumeric() || first == '_' {
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len())
        } else if ["<=", ">=", "!=", "=>"].iter().any(|operator| rest.starts_with(operator)) {
            2
        } else {
            first.len_utf8()
        };

        let token = &rest[..length];
        let display_text = if token.chars().count() > 40 {
            format!("{}...", token.chars().take(37).collect::<String>())
        } else {
            token.to_string()
        };
        Some(Found { text: display_text, span: Span::new(position, position + length), unterminated_string: false })
    }
}

/// Returns the byte index of the quote closing the string that starts `text`.
fn closing_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut index = 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            b'"' => return Some(index),
            _ => index += 1,
        }
    }
    None
}

fn is_reserved(word: &str) -> bool {
    super::is_reserved_word(word)
}

/// Returns the user-facing names of what a rule expects. Operators and postfix continuations
/// map to nothing, so that an error lists the closing tokens and keywords instead of every
/// operator that could also follow.
fn expected_tokens(rule: Rule) -> &'static [&'static str] {
    match rule {
        Rule::EOI => &["end of input"],

        Rule::query
        | Rule::expr_only
        | Rule::expr
        | Rule::expr_no_in
        | Rule::let_expr
        | Rule::let_no_in
        | Rule::quantifier
        | Rule::quantifier_no_in
        | Rule::aggregate
        | Rule::aggregate_no_in
        | Rule::aggregate_value
        | Rule::or_expr
        | Rule::or_no_in
        | Rule::and_expr
        | Rule::and_no_in
        | Rule::not_expr
        | Rule::not_no_in
        | Rule::predicate
        | Rule::predicate_no_in
        | Rule::sum_expr
        | Rule::product
        | Rule::unary
        | Rule::postfix
        | Rule::lambda
        | Rule::paren
        | Rule::array
        | Rule::object
        | Rule::call
        | Rule::boolean
        | Rule::this
        | Rule::param
        | Rule::up
        | Rule::carets
        | Rule::up_start
        | Rule::time_word
        | Rule::chain => &["an expression"],

        Rule::lambda_head
        | Rule::quantifier_kind
        | Rule::aggregate_kind
        | Rule::aggregate_start
        | Rule::not_op
        | Rule::cmp_op
        | Rule::cmp_op_no_in
        | Rule::add_op
        | Rule::mul_op
        | Rule::neg_op
        | Rule::method_call
        | Rule::field_access
        | Rule::filter
        | Rule::occurs_test
        | Rule::kw_occurs
        | Rule::kw_and
        | Rule::kw_or
        | Rule::kw_not => &[],

        Rule::binding | Rule::binding_no_in | Rule::ident => &["an identifier"],
        Rule::member_name => &["a field or method name"],
        Rule::string | Rule::string_body => &["a string"],
        Rule::object_entry => &["a string key"],
        Rule::integer => &["an integer"],
        Rule::double => &["a number"],
        Rule::unit => &["a time unit"],
        Rule::relative_time => &["`this`, `last` or `next` and a time unit"],
        Rule::time_ref => &["a time reference"],
        Rule::occurs_tail | Rule::offset_tail | Rule::direction_tail | Rule::between_tail | Rule::on_tail => {
            &["a time condition"]
        }
        Rule::occurs_cmp => &["a comparison"],
        Rule::direction => &["`after`", "`before`", "`from`"],
        Rule::between_and => &["`and`"],
        Rule::chain_step => &["a chain step"],
        Rule::what_clause | Rule::kw_what => &["`WHAT`"],
        Rule::when_clause | Rule::kw_when => &["`WHEN`"],
        Rule::count_clause | Rule::kw_count => &["`COUNT`"],
        Rule::where_clause | Rule::kw_chain_where => &["`WHERE`"],

        Rule::open_paren => &["`(`"],
        Rule::close_paren => &["`)`"],
        Rule::open_bracket => &["`[`"],
        Rule::close_bracket => &["`]`"],
        Rule::open_brace => &["`{`"],
        Rule::close_brace => &["`}`"],
        Rule::comma => &["`,`"],
        Rule::colon => &["`:`"],
        Rule::arrow => &["`=>`"],
        Rule::equals_sign => &["`=`"],

        Rule::kw_in => &["`in`"],
        Rule::kw_notin => &["`notIn`"],
        Rule::kw_like => &["`like`"],
        Rule::kw_matches => &["`matches`"],
        Rule::kw_true => &["`true`"],
        Rule::kw_false => &["`false`"],
        Rule::kw_let => &["`let`"],
        Rule::kw_select => &["`select`"],
        Rule::kw_exists => &["`exists`"],
        Rule::kw_forall => &["`forall`"],
        Rule::kw_from => &["`from`"],
        Rule::kw_where => &["`where`"],
        Rule::kw_over => &["`over`"],
        Rule::kw_between => &["`between`"],
        Rule::kw_before => &["`before`"],
        Rule::kw_after => &["`after`"],
        Rule::kw_on => &["`on`"],
        Rule::kw_now => &["`now`"],
        Rule::kw_today => &["`today`"],
        Rule::kw_yesterday => &["`yesterday`"],
        Rule::kw_tomorrow => &["`tomorrow`"],
        Rule::kw_this => &["`this`"],
        Rule::kw_last => &["`last`"],
        Rule::kw_next => &["`next`"],
        Rule::kw_chain => &["`chain`"],

        // Silent rules never appear in errors.
        Rule::WHITESPACE
        | Rule::primary
        | Rule::arguments
        | Rule::exponent
        | Rule::ident_char
        | Rule::reserved_word
        | Rule::chain_word => &[],
    }
}
