//! Nesting limits, inputs that could make a backtracking parser slow, and throughput.
//!
//! Test threads have 2 MiB stacks, less than a debug build of the generated parser needs for
//! 256 levels of parentheses, so these tests also cover the retry on a large-stack thread.

use std::time::{Duration, Instant};

use seg_pql::{ParseOptions, parse, parse_with};

/// Bound for inputs that would take exponential time in a naive backtracking parser. A debug
/// build parses each of them in under half a second on x86_64 Linux.
const QUICK: Duration = Duration::from_secs(5);

/// Parses `text` on a helper thread and fails the test if the parse takes `QUICK` or longer, so
/// that an exponential parse fails instead of hanging the test run.
fn assert_quick(text: &str) -> Result<seg_pql::Query, seg_pql::Diagnostic> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let input = text.to_string();
    let start = Instant::now();
    std::thread::spawn(move || sender.send(parse(&input)));
    let result = receiver.recv_timeout(QUICK);
    let elapsed = start.elapsed();
    match result {
        Ok(result) => result,
        Err(_) => panic!("parse timed out after {elapsed:?} for {}...", &text[..text.len().min(60)]),
    }
}

#[test]
fn parentheses_at_depth_limit_parse() {
    let text = format!("{}a{} = 1", "(".repeat(256), ")".repeat(256));
    let query = parse(&text).expect("256 levels are within the default limit");
    assert_eq!(query.to_string(), "a = 1");
}

#[test]
fn mixed_brackets_at_depth_limit_parse() {
    let text = format!("{}x{}", "f([{\"k\": ".repeat(85), "}])".repeat(85));
    assert!(parse(&text).is_ok());
}

#[test]
fn nested_filters_round_trip() {
    let text = format!("{}c{}", "a[".repeat(200), "]".repeat(200));
    let query = parse(&text).expect("parses");
    let reparsed = parse(&query.to_string()).expect("printed text parses");
    assert_eq!(reparsed.without_spans(), query.without_spans());
}

#[test]
fn long_operator_chain_parses() {
    let text = vec!["x = 1"; 500].join(" or ");
    let query = parse(&text).expect("a 500-operand chain fits the tree limit of 512");
    let reparsed = parse(&query.to_string()).expect("printed text parses");
    assert_eq!(reparsed.without_spans(), query.clone().without_spans());
}

#[test]
fn operator_chain_beyond_tree_limit_is_rejected() {
    let text = vec!["x"; 3000].join(" + ");
    let diagnostic = parse(&text).expect_err("3000 operands exceed the tree limit of 512");
    assert_eq!(diagnostic.code, "E0005");
    assert_eq!(diagnostic.message, "expression tree deeper than 512 levels");
    let help = diagnostic.help.unwrap_or_default();
    assert!(help.contains("`field in [v1, v2, ...]`"), "{help}");
    assert!(help.contains("max_depth"), "{help}");
    let raised = parse_with(&text, &ParseOptions { max_depth: 2000 });
    assert!(raised.is_ok(), "{raised:?}");
}

#[test]
fn deep_prefix_operators_do_not_crash() {
    for operator in ["not ", "!", "-", "let a = 1 in "] {
        let text = format!("{}x", operator.repeat(20_000));
        let diagnostic = parse(&text).expect_err("20000 prefix operators exceed the limits");
        assert_eq!(diagnostic.code, "E0005", "{operator}: {}", diagnostic.message);
    }
}

#[test]
fn deep_lambdas_do_not_crash() {
    let text = format!("f({}x)", "(a) => ".repeat(5_000));
    let diagnostic = parse(&text).expect_err("too deep");
    assert_eq!(diagnostic.code, "E0005");
}

#[test]
fn deep_forms_within_limits_print_and_compare() {
    let cases = [
        format!("{}x", "not ".repeat(500)),
        format!("{}x", "-".repeat(500)),
        format!("{}x", "let a = 1 in ".repeat(500)),
        format!("{}x", "exists X from a where ".repeat(500)),
        format!("{}x{}", "a.b(".repeat(256), ")".repeat(256)),
        format!("{}x{}", "(x + ".repeat(256), ")".repeat(256)),
    ];
    for text in cases {
        let query = parse(&text).expect("within the limits");
        let reparsed = parse(&query.to_string()).expect("printed text parses");
        assert_eq!(reparsed.without_spans(), query.without_spans(), "{}...", &text[..40]);
    }
}

#[test]
fn nested_aggregate_words_are_quick() {
    let depth = 200;
    let cases = [
        format!("{}x{}", "sum (".repeat(depth), ")".repeat(depth)),
        format!("{}x{}", "sum (".repeat(depth), ") over".repeat(depth)),
        format!("{}x{}", "sum (".repeat(depth), ") from".repeat(depth)),
        format!("{}x{}", "max(".repeat(depth), ") over X from a".repeat(depth)),
        format!("{}x{}", "min [".repeat(depth), "] over".repeat(depth)),
    ];
    for text in cases {
        let _ = assert_quick(&text);
    }
}

#[test]
fn nested_calls_and_special_forms_are_quick() {
    let depth = 200;
    let cases = [
        format!("{}x{}", "chain(".repeat(depth), ")".repeat(depth)),
        format!("{}x{}", "chain(".repeat(depth), ", t, [A: WHAT(x) COUNT(0)])".repeat(depth)),
        format!("{}x{}", "a.b(".repeat(depth), ")".repeat(depth)),
        format!("{}x", "a.b(".repeat(depth)),
        format!("{}x{}", "((a) => ".repeat(depth), ")".repeat(depth)),
        format!("{}x", "((a) => ".repeat(depth)),
        format!("{}x{}", "select X from (".repeat(depth), ")".repeat(depth)),
        format!("{}x{}", "let a = (".repeat(depth), ") in".repeat(depth)),
        format!("{}x{}", "t occurs between (".repeat(depth), ")".repeat(depth)),
        format!("{}x{}", "t occurs <= 3 days before (".repeat(depth), ")".repeat(depth)),
        format!("{}x", "x[".repeat(depth)),
        format!("{}x", "f(x, ".repeat(depth)),
        "this ".repeat(5_000),
        "sum ".repeat(5_000),
        "\"a\\".repeat(5_000),
    ];
    for text in cases {
        let _ = assert_quick(&text);
    }
}

/// Whether `sum`, `average`, `min` or `max` starts an aggregate used to be decided by a grammar
/// lookahead that scanned the value up to `over`, skipping bracket groups one byte at a time.
/// Each keyword nested in brackets scanned the rest of the text again, so 250 levels of
/// `max (` before 400 KB of text took 15 s. Fuzzing found a 4 KB form of it. The parser now
/// decides every keyword in one pass before pest runs.
#[test]
fn nested_aggregate_keywords_are_quick() {
    let body = "x ".repeat(200_000);
    let cases = [
        format!("{}{body}", "max (".repeat(250)),
        format!("{}{body}{}", "max (".repeat(250), ")".repeat(250)),
        format!("{}{body}{}", "a or (sum [".repeat(120), "])".repeat(120)),
        format!("{}{}", "min (".repeat(250), "\"s\" + ".repeat(50_000)),
    ];
    for text in cases {
        let diagnostic = assert_quick(&text).expect_err("none of these is an aggregate");
        assert_eq!(diagnostic.code, "E0001", "{}", diagnostic.message);
    }
}

/// Nested aggregates that are valid still parse, and each keyword keeps its meaning.
#[test]
fn nested_aggregates_parse() {
    let depth = 100;
    let text = format!("{}X.a{}", "max (".repeat(depth), ") over X from xEvent".repeat(depth));
    let query = assert_quick(&text).expect("nested aggregates parse");
    let printed = query.to_string();
    assert_eq!(printed.matches("over X from xEvent").count(), depth, "{printed}");
    assert_eq!(parse(&printed).expect("printed text parses").without_spans(), query.without_spans());
}

/// A lambda used to be a primary expression that postfix operators could follow. Where its
/// body stopped before an unclosed `[`, the parser tried that filter again after the lambda, so
/// every nested lambda doubled the work: a 1.3 KB definition found by fuzzing took 83 s.
#[test]
fn lambdas_before_unclosed_filters_are_quick() {
    let depth = 60;
    let cases = [
        "x[(K) => ".repeat(depth),
        "x[(K, G) => 1 + ".repeat(depth),
        format!("{}n", "x[n - (K) => ".repeat(depth)),
        format!("{}n", "a > (K) => x[".repeat(depth)),
    ];
    for text in cases {
        let diagnostic = assert_quick(&text).expect_err("unclosed filters are a syntax error");
        assert_eq!(diagnostic.code, "E0001", "{}", diagnostic.message);
    }
}

#[test]
fn lambda_operand_needs_parentheses() {
    let query = parse("((x) => x)[y]").expect("a parenthesized lambda takes a filter");
    assert_eq!(query.to_string(), "((x) => x)[y]");
    assert!(parse("(x) => x[y]").is_ok(), "the filter belongs to the body");
    let query = parse("f((x) => x[y])").expect("a lambda argument");
    assert_eq!(query.to_string(), "f((x) => x[y])");
}

#[test]
fn thousands_of_definitions_parse_quickly() {
    let templates = [
        r#"homeAddress.countryCode = "US" and xEvent[eventType = "commerce.purchases" and timestamp occurs <= 30 days before now].count() >= {n}"#,
        r#"exists E from xEvent where (E.commerce.item.price > {n}), I from E.productListItems where I.SKU = "PS""#,
        r#"chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(<= {n} hours before now), B: WHAT(eventType = "checkout") COUNT(2)])"#,
        r#"let S = (sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") in (S > {n} and S < 1000)"#,
        r#"person.birthMonth notIn [3, 6, {n}] or not (person.name.startsWith("Joe", false))"#,
    ];
    let definitions: Vec<String> =
        (0..4000).map(|n| templates[n % templates.len()].replace("{n}", &n.to_string())).collect();
    let start = Instant::now();
    for definition in &definitions {
        parse(definition).expect("parses");
    }
    let elapsed = start.elapsed();
    // NOTE: a release build parses these definitions in about 0.1 s on x86_64 Linux. This
    // debug-build bound only catches quadratic or exponential regressions.
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?} for 4000 definitions");
}
