//! The pest parser generated from `grammar.pest`, kept private so that the rule names stay an
//! implementation detail.

/// The parser generated from `grammar.pest`. Its `Rule` enum has one variant per grammar rule.
#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
pub(crate) struct PqlParser;

#[cfg(test)]
mod tests {
    //! Each rule on its own: the listed inputs must be consumed completely, and the rejected
    //! ones must fail or stop early.

    use pest::Parser as _;

    use super::{PqlParser, Rule};

    /// Returns the number of bytes `rule` consumes from the start of `input`, or `None`. The
    /// input is marked as the parser marks it, so that aggregate keywords are recognized.
    fn consumed(rule: Rule, input: &str) -> Option<usize> {
        let marked = super::super::aggregates::Marked::new(input);
        let mut pairs = PqlParser::parse(rule, marked.text()).ok()?;
        let first = pairs.next()?;
        assert_eq!(first.as_span().start(), 0, "{rule:?} on {input:?} did not start at 0");
        // Rules may end with whitespace skipped before an optional part that did not match.
        Some(first.as_str().trim_end().len())
    }

    fn assert_full(rule: Rule, inputs: &[&str]) {
        for input in inputs {
            assert_eq!(consumed(rule, input), Some(input.len()), "{rule:?} should consume all of {input:?}");
        }
    }

    fn assert_not_full(rule: Rule, inputs: &[&str]) {
        for input in inputs {
            assert_ne!(consumed(rule, input), Some(input.len()), "{rule:?} should not consume all of {input:?}");
        }
    }

    #[test]
    fn string_literals() {
        assert_full(Rule::string, &[r#""""#, r#""pizza""#, r#""a\"b""#, r#""\\w+""#, r#""@(\w+)""#, "\"é\n\""]);
        assert_not_full(Rule::string, &[r#""open"#, r#""ends with escape\""#, "'single'"]);
    }

    #[test]
    fn integer_literals() {
        assert_full(Rule::integer, &["0", "412", "9223372036854775808"]);
        assert_not_full(Rule::integer, &["3days", "-5", "1.5"]);
    }

    #[test]
    fn double_literals() {
        assert_full(Rule::double, &["3.14", ".45", "2.02E12", "2.02E-12", "1e-7", "10.0", "1e+5"]);
        assert_not_full(Rule::double, &["1", "1.", "1.e5", "1e", "1.5x"]);
    }

    #[test]
    fn booleans_any_case() {
        assert_full(Rule::boolean, &["true", "false", "TRUE", "False"]);
        assert_not_full(Rule::boolean, &["truer"]);
    }

    #[test]
    fn identifiers_exclude_keywords() {
        assert_full(Rule::ident, &["xEvent", "_experience", "A1", "count", "sum", "min", "chain", "day", "what"]);
        assert_not_full(Rule::ident, &["from", "AND", "notIn", "this", "Last", "occurs", "1abc"]);
        assert_full(Rule::ident, &["fromage", "android", "notable", "index", "thisOne"]);
    }

    #[test]
    fn reserved_words_match_grammar() {
        for word in crate::parser::RESERVED_WORDS {
            assert_not_full(Rule::ident, &[word, &word.to_uppercase()]);
        }
        // Words that are keywords only in their own forms remain identifiers.
        for word in ["chain", "what", "when", "count", "sum", "average", "min", "max", "date", "if", "day", "millenium"]
        {
            assert!(!crate::parser::is_reserved_word(word), "{word}");
            assert_full(Rule::ident, &[word]);
        }
    }

    #[test]
    fn member_names_accept_keywords() {
        assert_full(Rule::member_name, &["from", "count", "in", "SKU", "_repo"]);
    }

    #[test]
    fn units_singular_plural_and_misspelling() {
        assert_full(
            Rule::unit,
            &[
                "millisecond",
                "milliseconds",
                "second",
                "seconds",
                "minute",
                "minutes",
                "hour",
                "hours",
                "day",
                "days",
                "week",
                "weeks",
                "month",
                "months",
                "year",
                "years",
                "decade",
                "decades",
                "century",
                "centuries",
                "millennium",
                "millennia",
                "millenium",
                "DAYS",
                "Hour",
            ],
        );
        assert_not_full(Rule::unit, &["dayz", "fortnight"]);
    }

    #[test]
    fn time_words() {
        assert_full(
            Rule::time_word,
            &["now", "today", "yesterday", "tomorrow", "this month", "last week", "NEXT year"],
        );
        assert_not_full(Rule::time_word, &["this", "last", "nowhere"]);
        assert_full(Rule::relative_time, &["this  decade", "last\tcentury"]);
    }

    #[test]
    fn params_and_this() {
        assert_full(Rule::param, &["$1", "$42"]);
        assert_not_full(Rule::param, &["$", "$x", "$1a"]);
        assert_full(Rule::this, &["this", "THIS"]);
    }

    #[test]
    fn up_references() {
        assert_full(Rule::up, &["^", "^^", "^.a", "^^.person.gender", "^a", "^a.b"]);
        // A name followed by `(` is left for a method call, and a dotless name must touch `^`.
        assert_eq!(consumed(Rule::up, "^.a.count()"), Some(3));
        assert_eq!(consumed(Rule::up, "^ and"), Some(1));
    }

    #[test]
    fn arrays_and_objects() {
        assert_full(Rule::array, &["[]", "[1]", "[1, 4, 7]", "[\"US\",\"MX\",\"CA\"]", "[[1], []]"]);
        assert_not_full(Rule::array, &["[1,]", "[1 2]"]);
        assert_full(Rule::object, &["{}", r#"{"count": G.count()}"#, r#"{"a": 1, "b": [2]}"#]);
        assert_not_full(Rule::object, &["{a: 1}", r#"{"a" 1}"#]);
        assert_full(Rule::object_entry, &[r#""sum": G.sum(commerce.order.priceTotal)"#]);
    }

    #[test]
    fn calls_and_lambdas() {
        assert_full(Rule::call, &["date(2020, 3, 14)", "currentMonth()", "if(a, 1, 2)", "inSegment(\"id\")"]);
        assert_not_full(Rule::call, &["chain(a, b)", "not(a)"]);
        assert_full(Rule::lambda, &["(K, G) => mapEntry(K, G.count())", "(x) => x + 1"]);
        assert_not_full(Rule::lambda, &["(x)", "() => 1"]);
        assert_full(Rule::lambda_head, &["(Profile) =>", "(A, B)=>"]);
    }

    #[test]
    fn postfix_operations() {
        assert_full(Rule::postfix, &["a.b.c", "x.count()", "xEvent[a = 1].count()", "a.from", "(a).b", "this[x]"]);
        assert_full(Rule::method_call, &[".equals(\"x\", false)", ".map((K, G) => K)"]);
        assert_full(Rule::field_access, &[".countryCode"]);
        assert_full(Rule::filter, &["[SKU = \"PS\"]"]);
    }

    #[test]
    fn arithmetic_levels() {
        assert_full(Rule::unary, &["-5", "--x", "- a.b"]);
        assert_full(Rule::product, &["a * b / c % d"]);
        assert_full(Rule::sum_expr, &["a + b * c - d", "currentYear() - 1"]);
    }

    #[test]
    fn predicates_do_not_chain() {
        assert_full(
            Rule::predicate,
            &["a = b", "a != b", "a <= 3", "a in [1]", "a notIn b", "a like \"%x\"", "a matches \"^J\""],
        );
        assert_full(Rule::predicate, &["t occurs today", "t occurs <= 3 days before now"]);
        assert_eq!(consumed(Rule::predicate, "a = b = c"), Some(5));
        assert_full(Rule::cmp_op, &["<=", ">=", "!=", "<", ">", "=", "in", "IN", "notIn", "like", "matches"]);
        assert_not_full(Rule::cmp_op, &["=>", "inside"]);
    }

    #[test]
    fn boolean_levels() {
        assert_full(Rule::not_expr, &["not a", "!a", "NOT (a)", "not not a = b"]);
        assert_not_full(Rule::not_expr, &["!= a"]);
        assert_full(Rule::and_expr, &["a and b AND c"]);
        assert_full(Rule::or_expr, &["a or b and c OR d"]);
    }

    #[test]
    fn occurs_tails() {
        assert_full(
            Rule::occurs_tail,
            &["<= 3 days before now", "= 1 hour from Y.timestamp", "> 2 weeks after date(2019, 4, 1)"],
        );
        assert_full(
            Rule::occurs_tail,
            &["before today", "after X.timestamp", "on date(2019,12,31)", "last month", "Y.timestamp"],
        );
        assert_full(
            Rule::occurs_tail,
            &["between date(2015, 1, 8) and date(2017, 7, 1)", "between yesterday and tomorrow"],
        );
        assert_full(Rule::offset_tail, &["< 24 hours before now"]);
        assert_not_full(Rule::offset_tail, &["<= -3 days before now", "<= 3 before now"]);
        assert_full(Rule::direction_tail, &["BEFORE today"]);
        assert_full(Rule::between_tail, &["between today and now"]);
        assert_full(Rule::on_tail, &["on today", "today"]);
        // The references are postfix expressions, so the boolean `and` after them is not taken.
        assert_eq!(consumed(Rule::between_tail, "between a and b and c"), Some(15));
    }

    #[test]
    fn comprehensions() {
        assert_full(
            Rule::quantifier,
            &["select X from xEvent where X.a", "exists E from xEvent: E.b, I from E.c where I.d"],
        );
        assert_full(Rule::binding, &["X from xEvent", "X from xEvent where X.a = 1", "X from xEvent : X.a"]);
        assert_full(Rule::aggregate, &["sum X.a over X from xEvent", "sum X from integerArray where X > 0"]);
        assert_full(Rule::aggregate, &["MAX (X.a + X.b) over X from xEvent, Y from X.items"]);
        assert_not_full(Rule::aggregate, &["sum(x)", "max > 3"]);
        // A comma followed by anything but `ident from` ends the comprehension.
        assert_eq!(consumed(Rule::quantifier, "select X from a, b"), Some(15));
    }

    #[test]
    fn aggregate_start_follows_the_marks() {
        let aggregates = ["sum X from a", "sum X.a over X from a", "min (x) over X from a", "max ^.a + \"s\" over X from a"];
        for input in aggregates {
            assert!(consumed(Rule::aggregate_start, input).is_some(), "{input}");
        }
        // `^` alone is a value token, so this text commits to an aggregate that fails later.
        assert!(consumed(Rule::aggregate_start, "sum ^ over").is_some());
        for input in ["sum", "sum(x) > 3", "sum + 1", "sum.over", "sum, X from a"] {
            assert!(consumed(Rule::aggregate_start, input).is_none(), "{input}");
        }
    }

    #[test]
    fn let_and_no_in_levels() {
        assert_full(Rule::let_expr, &["let S = 1 in S > 2", "let s = (a in b) in s"]);
        assert_eq!(consumed(Rule::expr_no_in, "a.b in c"), Some(3));
        assert_eq!(consumed(Rule::expr_no_in, "select X from a where b in c"), Some(23));
        assert_full(Rule::expr_no_in, &["f(a in b)", "x[a in b]", "a notIn b"]);
    }

    #[test]
    fn chain_forms() {
        assert_full(
            Rule::chain,
            &[
                "chain(xEvent, timestamp, [A: WHAT(eventType = \"addToCart\")])",
                "CHAIN(xEvent, timestamp, [C0: what(x) when(today), C1: WHAT(y) WHERE(z) COUNT(2) WHEN(<= 1 hour before now)])",
            ],
        );
        assert_full(Rule::chain_step, &["A: WHAT(x) WHEN(today) COUNT(5)", "B: WHAT(x) WHERE(y)"]);
        assert_not_full(Rule::chain_step, &["A: WHEN(today) WHAT(x)"]);
        assert_full(Rule::what_clause, &["WHAT(a)"]);
        assert_full(Rule::when_clause, &["WHEN(< 8 days before now)"]);
        assert_full(Rule::count_clause, &["COUNT(5)"]);
        assert_full(Rule::where_clause, &["WHERE(a.values().exists(b = \"active\"))"]);
    }

    #[test]
    fn entry_points() {
        assert_full(Rule::query, &["(Profile) => Profile.a = 1"]);
        // `EOI` makes the entry points consume trailing whitespace too.
        assert!(PqlParser::parse(Rule::query, "  a = 1\n\t").is_ok());
        assert_full(Rule::expr_only, &["a = 1"]);
        assert!(PqlParser::parse(Rule::query, "a = 1 b").is_err());
        // A lambda is an expression of its own, so a lone expression may be one.
        assert_full(Rule::expr_only, &["(P) => a"]);
    }

    #[test]
    fn punctuation() {
        let cases = [
            (Rule::open_paren, "("),
            (Rule::close_paren, ")"),
            (Rule::open_bracket, "["),
            (Rule::close_bracket, "]"),
            (Rule::open_brace, "{"),
            (Rule::close_brace, "}"),
            (Rule::comma, ","),
            (Rule::colon, ":"),
            (Rule::arrow, "=>"),
            (Rule::equals_sign, "="),
        ];
        for (rule, input) in cases {
            assert_full(rule, &[input]);
        }
    }

    #[test]
    fn keywords_any_case_whole_words() {
        let cases = [
            (Rule::kw_and, "AnD"),
            (Rule::kw_or, "OR"),
            (Rule::kw_not, "Not"),
            (Rule::kw_in, "IN"),
            (Rule::kw_notin, "NOTIN"),
            (Rule::kw_occurs, "OCCURS"),
            (Rule::kw_select, "SELECT"),
            (Rule::kw_chain, "Chain"),
            (Rule::kw_what, "what"),
            (Rule::kw_before, "Before"),
        ];
        for (rule, input) in cases {
            assert_full(rule, &[input]);
        }
        assert_not_full(Rule::kw_and, &["andy"]);
        assert_not_full(Rule::kw_in, &["inx"]);
    }
}
