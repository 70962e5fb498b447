//! Marks the aggregate keywords that start an aggregate, in one pass over the text.
//!
//! `sum`, `average`, `min` and `max` start an aggregate when `V from` or value tokens up to
//! `over` follow, as in `max X.a over X from xEvent`. Elsewhere they are names, as in `sum(x)` or
//! `max > 3`. A lookahead in the grammar would scan the value tokens again for every keyword, so
//! keywords nested in brackets, as in `max (max (max (...`, would cost the nesting depth times
//! the text length. Here the end of every run of value tokens is remembered, so each token is
//! passed once, and a bracket group is skipped in one step.
//!
//! The parser gives pest a copy of the text in which the first letter of each keyword that starts
//! an aggregate is replaced by [`MARKER`], and the grammar's `aggregate_start` matches that byte.
//! The copy has the same length, so every span points into the original text.

use std::borrow::Cow;
use std::collections::HashMap;

use super::is_word_byte;

/// Replaces the first letter of an aggregate keyword that starts an aggregate.
pub(super) const MARKER: u8 = 0x01;

/// Replaces a [`MARKER`] byte that the text itself contains outside strings, so that it cannot
/// pass for a marked keyword. Both bytes are a syntax error there.
const MARKER_STAND_IN: u8 = 0x02;

const AGGREGATE_WORDS: [&str; 4] = ["sum", "average", "min", "max"];

/// Words that may appear in an aggregated value although they are reserved.
const VALUE_WORDS: [&str; 9] = ["true", "false", "this", "now", "today", "yesterday", "tomorrow", "last", "next"];

/// Words that cannot be bare identifiers. The same list as `reserved_word` in the grammar.
const RESERVED_WORDS: [&str; 28] = [
    "and", "or", "notin", "not", "in", "like", "matches", "occurs", "true", "false", "let", "select", "exists", "forall",
    "from", "where", "over", "between", "before", "after", "on", "now", "today", "yesterday", "tomorrow", "this", "last",
    "next",
];

/// The text pest parses: the original with the first letter of every aggregate keyword that
/// starts an aggregate replaced by [`MARKER`].
pub(super) struct Marked<'a> {
    original: &'a str,
    text: Cow<'a, str>,
}

impl<'a> Marked<'a> {
    /// Marks the aggregate keywords of `text`. Borrows `text` when nothing changes.
    pub(super) fn new(text: &'a str) -> Marked<'a> {
        let scanner = Scanner::new(text.as_bytes());
        let starts = scanner.aggregate_starts();
        if starts.is_empty() && scanner.markers.is_empty() {
            return Marked { original: text, text: Cow::Borrowed(text) };
        }

        let mut bytes = text.as_bytes().to_vec();
        for &index in &scanner.markers {
            bytes[index] = MARKER_STAND_IN;
        }
        for index in starts {
            bytes[index] = MARKER;
        }
        Marked { original: text, text: Cow::Owned(ascii_edited(text, bytes)) }
    }

    /// Returns the marked text.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// Restores the original letter of the marked keyword at `index`, and returns whether
    /// there was one.
    ///
    /// The parser calls this when pest fails right at a marked keyword. Pest reached that keyword
    /// where only a name or an operand fits, such as the right side of `a in max X from b`. The
    /// keyword is a name there, and the error belongs further on.
    pub(super) fn unmark(&mut self, index: usize) -> bool {
        if self.text.as_bytes().get(index) != Some(&MARKER) {
            return false;
        }
        let mut bytes = std::mem::take(&mut self.text).into_owned().into_bytes();
        bytes[index] = self.original.as_bytes()[index];
        self.text = Cow::Owned(ascii_edited(self.original, bytes));
        true
    }
}

/// Converts the edited bytes back into a string. Only ASCII bytes were replaced by ASCII
/// bytes, so they are still UTF-8, and the fallback to the original text is never taken.
fn ascii_edited(original: &str, bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|_| original.to_string())
}

/// The lexical facts of one text that the aggregate test needs.
struct Scanner<'a> {
    bytes: &'a [u8],
    /// The index of the closing bracket of every bracket group that closes properly.
    group_ends: HashMap<usize, usize>,
    /// Aggregate keywords outside strings that sit where an expression may start.
    candidates: Vec<usize>,
    /// [`MARKER`] bytes outside strings.
    markers: Vec<usize>,
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8]) -> Scanner<'a> {
        let mut scanner = Scanner { bytes, group_ends: HashMap::new(), candidates: Vec::new(), markers: Vec::new() };
        scanner.scan();
        scanner
    }

    /// Matches brackets, skips strings and collects the candidate keywords.
    ///
    /// A group closes properly when everything inside it is text, strings and groups that close
    /// properly. A closing bracket of the wrong kind therefore breaks every group still open.
    fn scan(&mut self) {
        let bytes = self.bytes;
        let mut open: Vec<usize> = Vec::new();
        let mut index = 0;
        while index < bytes.len() {
            match bytes[index] {
                b'"' => match string_end(bytes, index) {
                    Some(end) => index = end,
                    None => return,
                },
                b'(' | b'[' | b'{' => {
                    open.push(index);
                    index += 1;
                }
                closing @ (b')' | b']' | b'}') => {
                    match open.pop() {
                        Some(start) if bytes[start] == opening_of(closing) => {
                            self.group_ends.insert(start, index);
                        }
                        Some(_) => open.clear(),
                        None => {}
                    }
                    index += 1;
                }
                MARKER => {
                    self.markers.push(index);
                    index += 1;
                }
                byte if is_word_byte(byte) => {
                    let end = word_end(bytes, index);
                    if is_one_of(&bytes[index..end], &AGGREGATE_WORDS) && self.may_start_expression(index) {
                        self.candidates.push(index);
                    }
                    index = end;
                }
                _ => index += 1,
            }
        }
    }

    /// Returns whether an expression may start at the word at `index`, judged by the tokens before
    /// it.
    ///
    /// Expressions start at the beginning and after `(`, `[`, `,`, `:`, `=>`, `in`, `where` and
    /// the `=` of `let V =`. After any other token the keyword is a name, as in
    /// `sum a + max over X from xEvent` or `total = sum`.
    fn may_start_expression(&self, index: usize) -> bool {
        let Some((token, before)) = previous_token(&self.bytes[..index]) else {
            return true;
        };
        match token {
            b"(" | b"[" | b"," | b":" | b"=>" => true,
            b"=" => {
                let Some((name, before_name)) = previous_token(before) else { return false };
                let name_is_word = name.first().is_some_and(|byte| byte.is_ascii_alphabetic() || *byte == b'_');
                name_is_word && previous_token(before_name).is_some_and(|(word, _)| is_one_of(word, &["let"]))
            }
            word => is_one_of(word, &["in", "where"]),
        }
    }

    /// Returns the candidates that start an aggregate.
    fn aggregate_starts(&self) -> Vec<usize> {
        let mut stops = HashMap::new();
        self.candidates.iter().copied().filter(|&keyword| self.starts_aggregate(keyword, &mut stops)).collect()
    }

    /// Returns whether the keyword at `keyword` is followed by `V from`, or by value tokens and
    /// `over`.
    fn starts_aggregate(&self, keyword: usize, stops: &mut HashMap<usize, usize>) -> bool {
        let bytes = self.bytes;
        let after = skip_whitespace(bytes, word_end(bytes, keyword));

        // The short form `V from`.
        if bytes.get(after).is_some_and(|byte| byte.is_ascii_alphabetic() || *byte == b'_') {
            let name_end = word_end(bytes, after);
            let next = skip_whitespace(bytes, name_end);
            if !is_one_of(&bytes[after..name_end], &RESERVED_WORDS) && word_at(bytes, next, "from") {
                return true;
            }
        }

        // The long form: value tokens, then `over`.
        let stop = self.stop(after, stops);
        word_at(bytes, stop, "over")
    }

    /// Returns where the run of value tokens starting at `start` ends. Every position passed on
    /// the way is remembered with the result, so later keywords in the same run cost nothing.
    fn stop(&self, start: usize, stops: &mut HashMap<usize, usize>) -> usize {
        let mut passed = Vec::new();
        let mut position = start;
        let result = loop {
            if let Some(&known) = stops.get(&position) {
                break known;
            }
            match self.value_token_end(position) {
                Some(end) => {
                    passed.push(position);
                    position = skip_whitespace(self.bytes, end);
                }
                None => break position,
            }
        };
        for position in passed {
            stops.insert(position, result);
        }
        result
    }

    /// Returns the end of the value token at `position`, or `None` when no value token starts
    /// there. Value tokens are the ones a sum can contain outside brackets: bracket groups,
    /// strings, `.name`, words other than keywords, `^` references and arithmetic signs.
    fn value_token_end(&self, position: usize) -> Option<usize> {
        let bytes = self.bytes;
        match *bytes.get(position)? {
            b'(' | b'[' | b'{' => self.group_ends.get(&position).map(|end| end + 1),
            b'"' => string_end(bytes, position),
            b'.' => {
                let name = skip_whitespace(bytes, position + 1);
                if bytes.get(name).copied().is_some_and(is_word_byte) {
                    Some(word_end(bytes, name))
                } else {
                    Some(position + 1)
                }
            }
            b'^' => {
                let carets = position + bytes[position..].iter().take_while(|byte| **byte == b'^').count();
                Some(word_end(bytes, carets))
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'$' => Some(position + 1),
            byte if is_word_byte(byte) => {
                let end = word_end(bytes, position);
                let word = &bytes[position..end];
                let reserved = is_one_of(word, &RESERVED_WORDS) && !is_one_of(word, &VALUE_WORDS);
                (!reserved).then_some(end)
            }
            _ => None,
        }
    }
}

/// Returns the last token of `before`, and the text before that token. A token here is a word,
/// a two-byte operator (`=>`, `<=`, `>=`, `!=`, `==`) or any other single byte, which is all
/// that [`Scanner::may_start_expression`] distinguishes.
fn previous_token(before: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = before.iter().rposition(|byte| !is_whitespace(*byte))? + 1;
    let two_byte_operator = [b"=>", b"<=", b">=", b"!=", b"=="].iter().any(|op| before[..end].ends_with(*op));
    let start = if is_word_byte(before[end - 1]) {
        before[..end].iter().rposition(|byte| !is_word_byte(*byte)).map_or(0, |i| i + 1)
    } else if two_byte_operator {
        end - 2
    } else {
        end - 1
    };
    Some((&before[start..end], &before[..start]))
}

fn opening_of(closing: u8) -> u8 {
    match closing {
        b')' => b'(',
        b']' => b'[',
        _ => b'{',
    }
}

/// Returns the index after the quote that closes the string opened at `open`, or `None` when
/// the string does not close.
fn string_end(bytes: &[u8], open: usize) -> Option<usize> {
    let mut index = open + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            b'"' => return Some(index + 1),
            _ => index += 1,
        }
    }
    None
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

fn word_end(bytes: &[u8], start: usize) -> usize {
    start + bytes[start..].iter().take_while(|byte| is_word_byte(**byte)).count()
}

fn skip_whitespace(bytes: &[u8], start: usize) -> usize {
    start + bytes[start..].iter().take_while(|byte| is_whitespace(**byte)).count()
}

/// Returns whether the whole word at `start` is `word`, in any letter case.
fn word_at(bytes: &[u8], start: usize, word: &str) -> bool {
    start < bytes.len() && bytes[start..word_end(bytes, start)].eq_ignore_ascii_case(word.as_bytes())
}

fn is_one_of(word: &[u8], words: &[&str]) -> bool {
    words.iter().any(|candidate| word.eq_ignore_ascii_case(candidate.as_bytes()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use pest::Parser as _;
    use proptest::prelude::*;

    use super::{MARKER, Marked, Scanner};

    fn mark(text: &str) -> std::borrow::Cow<'_, str> {
        Marked::new(text).text
    }

    /// The grammar lookahead that decided aggregate keywords before the scanner did.
    #[derive(pest_derive::Parser)]
    #[grammar = "grammar.pest"]
    #[grammar = "parser/aggregate_lookahead.pest"]
    struct Oracle;

    /// Returns the byte offsets that `mark` replaces with the marker.
    fn marked(text: &str) -> Vec<usize> {
        mark(text).bytes().enumerate().filter(|(_, byte)| *byte == MARKER).map(|(index, _)| index).collect()
    }

    #[test]
    fn aggregate_forms_are_marked() {
        for text in [
            "sum X from a",
            "sum X.a over X from a",
            "min (x) over X from a",
            "max ^.a + \"s\" over X from a",
            "AVERAGE X . a * 2 over X from a",
            "sum ^ over",
        ] {
            assert_eq!(marked(text), vec![0], "{text}");
        }
    }

    #[test]
    fn names_are_not_marked() {
        for text in ["sum", "sum(x) > 3", "sum + 1", "sum.over", "sum, X from a", "summary over", "max from a"] {
            assert_eq!(marked(text), Vec::<usize>::new(), "{text}");
        }
    }

    #[test]
    fn keyword_inside_a_value_is_a_name() {
        assert_eq!(marked("sum a + max over X from b"), vec![0]);
        assert_eq!(marked("sum max over X from b"), vec![0]);
        assert_eq!(marked("sum X.max over X from b"), vec![0]);
        assert_eq!(marked("total = sum X.a over X from b"), Vec::<usize>::new());
        assert_eq!(marked("a <= max X from b"), Vec::<usize>::new());
    }

    #[test]
    fn keywords_after_expression_starts() {
        assert_eq!(marked("f(max X from a)"), vec![2]);
        assert_eq!(marked("let S = sum X from a in S"), vec![8]);
        assert_eq!(marked("let S = 1 in sum X from a"), vec![13]);
        assert_eq!(marked("exists E from a where min X from E.b"), vec![22]);
        assert_eq!(marked("(P) => max X from a"), vec![7]);
    }

    #[test]
    fn unclosed_groups_and_strings_end_the_value() {
        assert_eq!(marked("max (x over"), Vec::<usize>::new());
        assert_eq!(marked("max (x] over"), Vec::<usize>::new());
        assert_eq!(marked("max \"x over"), Vec::<usize>::new());
        assert_eq!(marked("max (\")\") over"), vec![0]);
        // A closing bracket of the wrong kind breaks the groups around it too.
        assert_eq!(marked("max ( [ ) ) over"), Vec::<usize>::new());
        assert_eq!(marked("max ([{}]) over"), vec![0]);
    }

    #[test]
    fn strings_are_left_alone() {
        assert_eq!(marked("\"sum X from a\""), Vec::<usize>::new());
        assert_eq!(mark("\"\u{1}\"").as_ref(), "\"\u{1}\"");
    }

    #[test]
    fn marker_bytes_in_the_text_are_replaced() {
        assert_eq!(mark("\u{1}ax X from a").as_ref(), "\u{2}ax X from a");
    }

    #[test]
    fn unmark_restores_the_letter() {
        let mut marked = Marked::new("a in max X from b");
        assert_eq!(marked.text(), "a in \u{1}ax X from b");
        assert!(!marked.unmark(0));
        assert!(marked.unmark(5));
        assert_eq!(marked.text(), "a in max X from b");
        assert!(!marked.unmark(5));
    }

    #[test]
    fn unchanged_text_is_borrowed() {
        assert!(matches!(mark("a.b = 1 and sum(x) > 2"), std::borrow::Cow::Borrowed(_)));
    }

    /// Pieces that the generated texts are made of: aggregate keywords, value tokens, words that
    /// end a value, brackets, strings (closed and not) and the marker byte.
    const PIECES: &[&str] = &[
        "sum", "max", "Min", "AVERAGE", "x", "X.a", ".", ". b", "^", "^^y", "+", "-", "*", "%", "$", "1", "2.5", "(",
        ")", "[", "]", "{", "}", "\"s\"", "\"", "\\", ",", ":", "=", "=>", ">", "over", "from", "in", "where",
        "let", "true", "now", "and", "not", " ", "  ", "\n", "\u{1}",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

        /// The scanner decides every candidate keyword as the grammar lookahead does.
        #[test]
        fn scanner_agrees_with_grammar_lookahead(pieces in prop::collection::vec(prop::sample::select(PIECES), 0..40)) {
            let text: String = pieces.concat();
            let scanner = Scanner::new(text.as_bytes());
            let mut stops = HashMap::new();
            for &keyword in &scanner.candidates {
                let expected = Oracle::parse(Rule::aggregate_lookahead, &text[keyword..]).is_ok();
                let actual = scanner.starts_aggregate(keyword, &mut stops);
                prop_assert_eq!(actual, expected, "keyword at {} of {:?}", keyword, text);
            }
        }
    }
}
