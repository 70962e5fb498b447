//! Parse errors: codes, messages and the exact rendered text with the caret line.

use seg_pql::{Diagnostic, ParseOptions, parse, parse_with};

fn error_of(text: &str) -> Diagnostic {
    match parse(text) {
        Ok(query) => panic!("{text:?} parsed as {query:?}"),
        Err(diagnostic) => diagnostic,
    }
}

fn rendered(text: &str) -> String {
    error_of(text).render(text)
}

#[test]
fn missing_operand_at_end() {
    let text = r#"homeAddress.countryCode = "US" and"#;
    let expected = "\
error[E0001]: unexpected end of input, expected an expression
 --> line 1, column 35
  |
1 | homeAddress.countryCode = \"US\" and
  |                                   ^
";
    assert_eq!(rendered(text), expected);
}

#[test]
fn missing_comma_between_arguments() {
    let text = r#"inSegment("a" foo)"#;
    let expected = "\
error[E0001]: expected one of `)`, `,`, found `foo`
 --> line 1, column 15
  |
1 | inSegment(\"a\" foo)
  |               ^^^
";
    assert_eq!(rendered(text), expected);
}

#[test]
fn unclosed_filter() {
    let text = r#"xEvent[eventType = "x".count() > 3"#;
    let expected = "\
error[E0001]: expected `]`, found `>`
 --> line 1, column 32
  |
1 | xEvent[eventType = \"x\".count() > 3
  |                                ^
  = help: comparisons do not chain, so join them with `and` or add parentheses
";
    assert_eq!(rendered(text), expected);
}

#[test]
fn chained_comparison() {
    let text = "a = b = c";
    let expected = "\
error[E0001]: expected end of input, found `=`
 --> line 1, column 7
  |
1 | a = b = c
  |       ^
  = help: comparisons do not chain, so join them with `and` or add parentheses
";
    assert_eq!(rendered(text), expected);
}

#[test]
fn unknown_time_unit() {
    let text = "X.timestamp occurs <= 3 dayz before now";
    let expected = "\
error[E0001]: expected a time unit, found `dayz`
 --> line 1, column 25
  |
1 | X.timestamp occurs <= 3 dayz before now
  |                         ^^^^
";
    assert_eq!(rendered(text), expected);
}

#[test]
fn keyword_as_variable() {
    let text = "select from xEvent";
    let expected = "\
error[E0001]: expected an identifier, found `from`
 --> line 1, column 8
  |
1 | select from xEvent
  |        ^^^^
  = help: `from` is a keyword and cannot name a variable or a bare field. A field with this name can still be read after a `.`
";
    assert_eq!(rendered(text), expected);
}

#[test]
fn comprehension_as_operand() {
    let text = "a and exists E from xEvent where E.b";
    let expected = "\
error[E0001]: expected an expression, found `exists`
 --> line 1, column 7
  |
1 | a and exists E from xEvent where E.b
  |       ^^^^^^
  = help: `exists` runs as far right as possible, so as an operand it needs parentheses, as in `a and (exists ...)`
";
    assert_eq!(rendered(text), expected);
    let help = error_of("not let v = 1 in v").help.expect("help");
    assert!(help.contains("`a and (let ...)`"), "{help}");
}

#[test]
fn aggregate_as_operand() {
    let diagnostic = error_of("total = sum X.a over X from xEvent");
    assert_eq!(diagnostic.message, "expected end of input, found `X`");
    let help = diagnostic.help.expect("help");
    assert!(help.starts_with("an aggregate such as `sum X.a over X from xEvent`"), "{help}");
    assert_eq!(error_of("sum + 1 x").help, None);
}

/// Where only a name fits, an aggregate keyword is a name, so the error points past it: at the
/// right side of `in`, in a lambda's parameters and after a comma that no binding follows.
#[test]
fn aggregate_keyword_where_a_name_fits() {
    // The input and the offset of its aggregate keyword.
    let cases = [("a in max X from b", 5), ("(A, sum X from a) => 1", 4), ("select X from a, max X from b", 17)];
    for (text, keyword) in cases {
        let diagnostic = error_of(text);
        assert!(diagnostic.message.ends_with("found `X`"), "{text}: {}", diagnostic.message);
        assert!(diagnostic.span.start > keyword, "{text}: {:?}", diagnostic.span);
    }
}

#[test]
fn unknown_chain_clause() {
    let text = "chain(xEvent, timestamp, [A: WHAT(x) FOO(1)])";
    let expected = "\
error[E0001]: expected one of `,`, `COUNT`, `WHEN`, `WHERE`, `]`, found `FOO`
 --> line 1, column 38
  |
1 | chain(xEvent, timestamp, [A: WHAT(x) FOO(1)])
  |                                      ^^^
";
    assert_eq!(rendered(text), expected);
}

#[test]
fn unterminated_string_on_second_line() {
    let text = "a = 1 and\nb = \"open";
    let expected = "\
error[E0001]: unterminated string
 --> line 2, column 5
  |
2 | b = \"open
  |     ^^^^^
  = help: add a closing `\"`. A quote written as `\\\"` belongs to the string and does not close it
";
    assert_eq!(rendered(text), expected);
}

#[test]
fn integer_out_of_range() {
    let text = "person.score > 9223372036854775808";
    let expected = "\
error[E0002]: integer `9223372036854775808` is outside the 64-bit range -9223372036854775808 to 9223372036854775807
 --> line 1, column 16
  |
1 | person.score > 9223372036854775808
  |                ^^^^^^^^^^^^^^^^^^^
  = help: write `9223372036854775808.0` for an approximate double
";
    assert_eq!(rendered(text), expected);
}

#[test]
fn negative_integer_out_of_range() {
    let diagnostic = error_of("x = -9223372036854775809");
    assert_eq!(diagnostic.code, "E0002");
    assert!(diagnostic.message.contains("`-9223372036854775809`"), "{}", diagnostic.message);
}

#[test]
fn double_out_of_range() {
    let diagnostic = error_of("x = 1e400");
    assert_eq!(diagnostic.code, "E0002");
    assert!(diagnostic.message.contains("`1e400`"), "{}", diagnostic.message);
}

#[test]
fn parameter_zero() {
    let diagnostic = error_of("$0.a = 1");
    assert_eq!(diagnostic.code, "E0002");
    assert_eq!(diagnostic.span.start, 0);
    assert_eq!(diagnostic.span.end, 2);
}

#[test]
fn count_zero() {
    let text = r#"chain(xEvent, timestamp, [A: WHAT(eventType = "login") COUNT(0)])"#;
    let expected = "\
error[E0003]: chain step `A` has COUNT(0), but a step needs at least one matching event
 --> line 1, column 56
  |
1 | chain(xEvent, timestamp, [A: WHAT(eventType = \"login\") COUNT(0)])
  |                                                        ^^^^^^^^
  = help: use COUNT(1) or more, or remove the COUNT clause
";
    assert_eq!(rendered(text), expected);
}

#[test]
fn duplicated_chain_clause() {
    let text = "chain(xEvent, timestamp, [B: WHAT(x) WHERE(y) COUNT(2) WHERE(z)])";
    let expected = "\
error[E0004]: chain step `B` has more than one WHERE clause
 --> line 1, column 56
  |
1 | chain(xEvent, timestamp, [B: WHAT(x) WHERE(y) COUNT(2) WHERE(z)])
  |                                                        ^^^^^^^^
  = help: keep a single WHERE clause in each step
";
    assert_eq!(rendered(text), expected);
}

#[test]
fn every_duplicated_clause_kind() {
    for clause in ["WHEN(today)", "COUNT(1)", "WHERE(y)"] {
        let text = format!("chain(xEvent, timestamp, [A: WHAT(x) {clause} {clause}])");
        assert_eq!(error_of(&text).code, "E0004", "{text}");
    }
}

#[test]
fn nesting_too_deep() {
    let text = format!("{}a{}", "(".repeat(257), ")".repeat(257));
    let diagnostic = error_of(&text);
    assert_eq!(diagnostic.code, "E0005");
    assert_eq!(diagnostic.message, "expression nested deeper than 256 levels");
    assert_eq!(diagnostic.span.start, 256);
    let help = diagnostic.help.expect("help");
    assert!(help.contains("ParseOptions { max_depth"), "{help}");
}

#[test]
fn nesting_limit_is_configurable() {
    let text = format!("{}a{}", "[".repeat(20), "]".repeat(20));
    let options = ParseOptions { max_depth: 10 };
    let diagnostic = parse_with(&text, &options).expect_err("nesting 20 with limit 10");
    assert_eq!(diagnostic.code, "E0005");
    assert_eq!(diagnostic.message, "expression nested deeper than 10 levels");
    assert!(parse_with(&text, &ParseOptions { max_depth: 20 }).is_ok());
}

#[test]
fn brackets_inside_strings_do_not_count() {
    let text = format!("a = \"{}\"", "(".repeat(1000));
    assert!(parse(&text).is_ok());
}

#[test]
fn empty_and_blank_input() {
    for text in ["", "   \n\t"] {
        let diagnostic = error_of(text);
        assert_eq!(diagnostic.code, "E0001");
        assert_eq!(diagnostic.message, "unexpected end of input, expected an expression");
    }
}

#[test]
fn messages_never_name_grammar_rules() {
    let inputs = [
        "a +",
        "a.",
        "(a",
        "[1, 2",
        "{\"a\" 1}",
        "f(,)",
        "x occurs",
        "x occurs between today",
        "let x = 1",
        "select X from",
        "sum X over",
        "chain(",
        "chain(x, t, [",
        "chain(x, t, [A: WHAT(",
        "$",
        "^.",
        "a ! b",
        "(P) =>",
        "not",
        "x in",
        "a = 1 b",
        "@{x}",
        "x = 'a'",
    ];
    for text in inputs {
        let diagnostic = error_of(text);
        assert_eq!(diagnostic.code, "E0001", "{text}");
        let message = &diagnostic.message;
        assert!(!message.contains('_'), "{text:?} gave {message:?}");
        assert!(message.starts_with("expected") || message.starts_with("unexpected"), "{text:?} gave {message:?}");
    }
}
