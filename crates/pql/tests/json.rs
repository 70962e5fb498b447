//! The `pql/json` format: the documented example both ways, round trips over random trees and a
//! corpus of realistic definitions, and the error messages for invalid input.

use proptest::prelude::*;
use seg_pql::ast::*;
use seg_pql::json::{MAX_JSON_DEPTH, MAX_JSON_TREE_DEPTH};
use seg_pql::{from_json, from_json_str, parse, to_json, to_json_string};
use serde_json::json;

const EXAMPLE_TEXT: &str = r#"workAddress.country = "US""#;
const EXAMPLE_JSON: &str = r#"{"nodeType":"fnApply","fnName":"=","params":[{"nodeType":"fieldLookup","fieldName":"country","object":{"nodeType":"fieldLookup","fieldName":"workAddress","object":{"nodeType":"parameterReference","position":1}}},{"nodeType":"literal","literalType":"String","value":"US"}]}"#;

fn parse_clean(text: &str) -> Query {
    match parse(text) {
        Ok(query) => query.without_spans(),
        Err(diagnostic) => panic!("failed to parse:\n{}", diagnostic.render(text)),
    }
}

fn error_message(input: &str) -> String {
    match from_json_str(input) {
        Ok(query) => panic!("accepted {input} as {query}"),
        Err(diagnostic) => {
            assert_eq!(diagnostic.code, "E0010", "{diagnostic}");
            assert!(diagnostic.help.is_some(), "no help line: {diagnostic}");
            diagnostic.message
        }
    }
}

#[test]
fn documented_example_to_json() {
    let query = parse_clean(EXAMPLE_TEXT);
    assert_eq!(to_json_string(&query), EXAMPLE_JSON);
    let expected: serde_json::Value = serde_json::from_str(EXAMPLE_JSON).unwrap();
    assert_eq!(to_json(&query), expected);
}

#[test]
fn documented_example_from_json() {
    let query = from_json_str(EXAMPLE_JSON).unwrap();
    assert_eq!(query, parse_clean(EXAMPLE_TEXT));
    assert_eq!(query.to_string(), EXAMPLE_TEXT);
}

#[test]
fn explicit_parameter_differs_from_implicit() {
    let explicit = parse_clean(r#"$1.workAddress.country = "US""#);
    let text = to_json_string(&explicit);
    assert!(text.contains(r#"{"nodeType":"parameterReference","position":1,"explicit":true}"#), "{text}");
    assert_eq!(from_json_str(&text).unwrap(), explicit);
    assert_ne!(from_json_str(&text).unwrap(), parse_clean(EXAMPLE_TEXT));
}

#[test]
fn bound_variables_become_var_refs() {
    let query = parse_clean(r#"exists X from xEvent where X.eventType = "view""#);
    let value = to_json(&query);
    let binding = &value["bindings"][0];
    assert_eq!(binding["nodeType"], "varDecl");
    assert_eq!(binding["range"]["fieldName"], "xEvent");
    assert_eq!(binding["condition"]["params"][0]["object"], json!({"nodeType": "varRef", "varName": "X"}));
    assert_eq!(from_json(&value).unwrap(), query);
}

#[test]
fn lambda_head_is_root_fn_create() {
    let query = parse_clean(r#"(Profile) => Profile.homeAddress.stateProvince = "CA""#);
    let value = to_json(&query);
    assert_eq!(value["nodeType"], "fnCreate");
    assert_eq!(value["params"], json!([{"varName": "Profile"}]));
    let profile = &value["body"]["params"][0]["object"]["object"];
    assert_eq!(profile, &json!({"nodeType": "varRef", "varName": "Profile"}));
    assert_eq!(from_json(&value).unwrap(), query);
}

#[test]
fn lambda_body_without_head_round_trips() {
    let lambda =
        Expr::new(ExprKind::Lambda { params: vec![Name::new("a")], body: Box::new(Expr::new(ExprKind::This)) });
    let query = Query { params: Vec::new(), body: lambda };
    let value = to_json(&query);
    assert_eq!(value["params"], json!([]));
    assert_eq!(value["body"]["nodeType"], "fnCreate");
    assert_eq!(from_json(&value).unwrap(), query);
}

#[test]
fn call_named_like_operator_is_marked() {
    let call = Expr::new(ExprKind::Call { name: Name::new("neg"), args: vec![Expr::new(ExprKind::This)] });
    let query = Query { params: Vec::new(), body: call };
    let value = to_json(&query);
    assert_eq!(value["call"], true);
    assert_eq!(from_json(&value).unwrap(), query);
}

#[test]
fn older_literal_spellings_are_accepted() {
    let input = json!({"nodeType": "fnApply", "fnName": "=", "params": [
        {"nodeType": "literal", "literalType": "string", "value": "Andres"},
        {"nodeType": "literal", "literalType": "integer", "value": "6"},
    ]});
    assert_eq!(from_json(&input).unwrap().to_string(), r#""Andres" = 6"#);
}

#[test]
fn unary_minus_accepts_one_operand_dash() {
    let input = json!({"nodeType": "fnApply", "fnName": "-", "params": [
        {"nodeType": "fieldLookup", "fieldName": "a", "object": {"nodeType": "parameterReference", "position": 1}},
    ]});
    assert_eq!(from_json(&input).unwrap().to_string(), "-a");
}

#[test]
fn bang_reads_as_not() {
    let input = json!({"nodeType": "fnApply", "fnName": "!", "params": [{"nodeType": "varRef", "varName": "a"}]});
    assert_eq!(from_json(&input).unwrap().to_string(), "not a");
}

#[test]
fn error_names_path_of_missing_field() {
    let input = r#"{"nodeType":"fnApply","fnName":"=","params":[
        {"nodeType":"literal","literalType":"String","value":"US"},
        {"nodeType":"fieldLookup","fieldName":"country","object":{"nodeType":"fieldLookup","object":{"nodeType":"parameterReference","position":1}}}]}"#;
    assert_eq!(error_message(input), r#"params[1].object: missing "fieldName""#);
}

#[test]
fn error_suggests_node_type() {
    let input = r#"{"nodeType":"fieldLokup","fieldName":"a","object":{"nodeType":"parameterReference","position":1}}"#;
    assert_eq!(error_message(input), r#"nodeType: unknown node type "fieldLokup""#);
    let diagnostic = from_json_str(input).unwrap_err();
    assert_eq!(diagnostic.help.as_deref(), Some(r#"did you mean "fieldLookup"?"#));
}

#[test]
fn error_on_bad_integer_literal() {
    let input = r#"{"nodeType":"literal","literalType":"Integer","value":"six"}"#;
    assert_eq!(
        error_message(input),
        r#"value: expected a 64-bit integer, as a number or a string of digits for literalType "Integer", found "six""#
    );
}

#[test]
fn error_on_operator_arity() {
    let input = r#"{"nodeType":"fnApply","fnName":"and","params":[{"nodeType":"this"}]}"#;
    assert_eq!(error_message(input), r#"params: operator "and" takes 2 operands, found 1"#);
}

#[test]
fn error_on_json_syntax() {
    let input = "{\"nodeType\": \"this\",\n \"x\": }";
    assert_eq!(error_message(input), "invalid JSON: expected value at line 2 column 7");
    let diagnostic = from_json_str(input).unwrap_err();
    assert_eq!(&input[diagnostic.span.start..diagnostic.span.end], "}");
}

#[test]
fn error_on_non_object_node() {
    let input = r#"{"nodeType":"array","elements":[{"nodeType":"this"}, 5]}"#;
    assert_eq!(error_message(input), "elements[1]: expected a node object, found a number");
}

#[test]
fn deep_text_is_rejected() {
    let depth = 100_000;
    let input = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert_eq!(error_message(&input), format!("JSON input nests deeper than {MAX_JSON_DEPTH} levels"));
}

/// Runs `test` on a thread with 256 MiB of stack, because building and dropping a deep
/// `serde_json::Value` recurses once per level in the caller's code.
fn with_large_stack(test: impl FnOnce() + Send + 'static) {
    let handle = std::thread::Builder::new().stack_size(256 << 20).spawn(test).unwrap();
    if let Err(panic) = handle.join() {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn deep_value_is_rejected() {
    with_large_stack(|| {
        let mut value = json!({"nodeType": "this"});
        for _ in 0..MAX_JSON_DEPTH {
            value = json!({"nodeType": "fnApply", "fnName": "not", "params": [value]});
        }
        let diagnostic = from_json(&value).unwrap_err();
        assert!(diagnostic.message.ends_with(&format!("nests deeper than {MAX_JSON_DEPTH} levels")), "{diagnostic}");
    });
}

/// Every tree that the parser accepts survives the trip through pql/json text, up to the
/// parser's tree limit.
#[test]
fn deepest_parsed_tree_survives_json() {
    let levels = MAX_JSON_TREE_DEPTH - 1;
    let text = format!("{}this", "not ".repeat(levels));
    let query = parse_clean(&text);
    assert_eq!(from_json_str(&to_json_string(&query)).unwrap(), query);
}

/// Found by fuzzing: an operator chain of about 90 levels parsed as text, but its pql/json
/// nested deeper than the 128 levels that the JSON reader allowed, so it did not load back.
#[test]
fn long_operator_chain_survives_json() {
    let text = format!("DDDDDKDDDnot{}DDKDDDnot{}t", "-".repeat(22), "-".repeat(75));
    let query = parse_clean(&text);
    assert_eq!(from_json_str(&to_json_string(&query)).unwrap(), query);
}

/// A JSON tree deeper than the parser accepts is rejected, so that it cannot be stored and then
/// fail to parse as text.
#[test]
fn tree_deeper_than_parser_limit_is_rejected() {
    with_large_stack(|| {
        let mut value = json!({"nodeType": "this"});
        for _ in 0..MAX_JSON_TREE_DEPTH {
            value = json!({"nodeType": "fieldLookup", "fieldName": "a", "object": value});
        }
        let expected = format!("expression tree deeper than {MAX_JSON_TREE_DEPTH} levels");
        assert_eq!(from_json(&value).unwrap_err().message, expected);
        assert_eq!(error_message(&value.to_string()), expected);
    });
}

/// Realistic definitions, copied from the parser's corpus test, that cover every node type.
const DEFINITIONS: &[&str] = &[
    r#"homeAddress.countryISO = "CA" and person.birthYear = 1985"#,
    r#"!(  person.birthYear = 1980 and homeAddress.countryCode != workAddress.countryCode )"#,
    r#"if(person.gender = "female", 60, if(person.gender = "male", 65, -9999))"#,
    r#"if(homeAddress.countryCode in ["US","MX","CA"], "NA", "ROW")"#,
    r#"person1.favoriteColors.intersection(person2.favoriteColors) = ["red", "blue", "green"]"#,
    r#"product.inventory * product.price >= 2.02E12"#,
    r#"totalProduct.price / totalProduct.sold < .45"#,
    r#"person.age % 5 = 0"#,
    r#"date(currentYear() - 1, 10, 1) = product.launchDate"#,
    r#"account.balance > -51.24 and account.limit < 1e-7 * 3"#,
    r#"person.birthMonth notIn [3, 6, 9]"#,
    r#"segmentMembership.get("ups").get(offer.characteristics.prioritySegmentId).status in (["realized","existing"])"#,
    r#"productListItems.exists(name.equals("iPhone 15 Pro", false))"#,
    r#"(sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") > 1000"#,
    r#"(sum X from integerArray where X > 0) = 10"#,
    r#"(average X.commerce.order.priceTotal over X from xEvent, I from X.productListItems where I.SKU = "PS") > 12"#,
    r#"let S = (sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") in (S > 100 and S < 1000)"#,
    r#"xEvent[timestamp occurs last month].groupBy(product).map((K, G) => mapEntry(K, G.count()))"#,
    r#"xEvent.groupBy(product).map({"count": this.count(), "latest": this.head()})"#,
    r#"workEmail.address like "%.edu""#,
    r#"person.firstName matches "^J.*n$""#,
    r#"emailAddress.regexGroup("@(\\w+)", 1) = "gmail""#,
    r#"person.homeAddress.isNull() or score.isNotNull()"#,
    r#"product.saleDate occurs on date(2019,12,31)"#,
    r#"product.saleDate occurs = 3 hours before now"#,
    r#"_repo.modifyDate occurs after date(2019, 4, 1)"#,
    r#"product.saleDate occurs between date(2015, 1, 8) and date(2017, 7, 1) and x = 1"#,
    r#"person.anniversary occurs <= 2 weeks from this year"#,
    r#"account.created OCCURS > 1 millenium BEFORE TOMORROW"#,
    r#"account.created occurs < 10 milliseconds before next decade"#,
    r#"xEvent[productListItems[SKU="PS" or ^^.person.gender="female"]]"#,
    r#"this[timestamp occurs today].count()"#,
    r#"xEvent[items[^price > 10]]"#,
    r#"select Order1 from xEvent where Order1.commerce.order, Order2 from xEvent where Order2.commerce.order and Order2.timestamp occurs < 2 weeks after Order1.timestamp"#,
    r#"forall E from xEvent: E.eventType = "login""#,
    r#"let score = (select X from xEvent).head().core.propensityScore in if(score > 0.5, 1, 0)"#,
    r#"not(chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(<= 24 hours before now) COUNT(5)]))"#,
    r#"chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(< 8 days before now), B: WHAT(eventType = "checkout")])"#,
    r#"chain(xEvent, timestamp, [X: WHAT(eventType = "search") WHERE(externalSegmentMapProperty.values().exists(stringProperty="active"))])"#,
    r#"inSegment("e3be6d7f-1727-401f-a41e-c296b45f607a") and CHAIN(xEvent, timestamp, [C0: WHAT(eventType = "login") WHEN(<= 24 hours before now)])"#,
    r#"(Profile) => Profile.homeAddress.stateProvince = "CA""#,
    r#"(A, B) => A.score > B.score"#,
    r#"$1.homeAddress.countryCode = "US""#,
    r#"-(person.age) < -(5) and - person.age > yesterday"#,
];

#[test]
fn corpus_text_json_text_is_canonical() {
    for definition in DEFINITIONS {
        let query = parse_clean(definition);
        let json_text = to_json_string(&query);
        let decoded = match from_json_str(&json_text) {
            Ok(decoded) => decoded,
            Err(diagnostic) => panic!("{definition}\nas {json_text}\nfailed: {}", diagnostic.render(&json_text)),
        };
        assert_eq!(decoded.to_string(), query.to_string(), "{definition}");
        assert_eq!(decoded, query, "{definition}");
    }
}

#[test]
fn corpus_value_and_text_agree() {
    for definition in DEFINITIONS {
        let query = parse_clean(definition);
        let reparsed: serde_json::Value = serde_json::from_str(&to_json_string(&query)).unwrap();
        assert_eq!(reparsed, to_json(&query), "{definition}");
    }
}

// Random trees. Unlike PQL text, JSON can contain any name, so names include reserved
// words, operator names and text that is not a word.

fn any_name() -> impl Strategy<Value = Name> {
    prop_oneof![
        4 => "[A-Za-z_][A-Za-z0-9_]{0,6}",
        1 => prop::sample::select(vec![
            "and", "not", "neg", "-", "=", "notIn", "in", "this", "$1", "a b", "", "é", "fieldLookup",
        ])
        .prop_map(str::to_string),
    ]
    .prop_map(Name::new)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[a-z]{0,6}", 1 => any::<String>()]
}

/// Generates any finite double.
fn any_double() -> BoxedStrategy<f64> {
    prop_oneof![
        3 => any::<f64>().prop_filter("finite", |value| value.is_finite()),
        1 => prop::sample::select(vec![0.0, -0.0, 1e20, f64::MAX, f64::MIN_POSITIVE, 5e-324]),
    ]
    .boxed()
}

/// Generates doubles with at most 15 significant digits and small exponents, which the
/// `serde_json` reader parses exactly without its `float_roundtrip` feature.
fn short_double() -> BoxedStrategy<f64> {
    prop_oneof![
        3 => (-8000i32..8000).prop_map(|value| f64::from(value) / 8.0),
        1 => prop::sample::select(vec![0.0, -0.0, 0.45, 1e20, 2.02e12, 1e-7, -51.24]),
    ]
    .boxed()
}

fn literal(double: BoxedStrategy<f64>) -> impl Strategy<Value = Literal> {
    prop_oneof![
        text().prop_map(Literal::String),
        prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), -5i64..5].prop_map(Literal::Int),
        double.prop_map(Literal::Double),
        any::<bool>().prop_map(Literal::Bool),
    ]
}

fn unit() -> impl Strategy<Value = TimeUnit> {
    prop::sample::select(TimeUnit::ALL.to_vec())
}

fn time_word() -> impl Strategy<Value = TimeWord> {
    prop_oneof![
        Just(TimeWord::Now),
        Just(TimeWord::Today),
        Just(TimeWord::Yesterday),
        Just(TimeWord::Tomorrow),
        unit().prop_map(TimeWord::This),
        unit().prop_map(TimeWord::Last),
        unit().prop_map(TimeWord::Next),
    ]
}

fn leaf(double: BoxedStrategy<f64>) -> impl Strategy<Value = Expr> {
    prop_oneof![
        3 => literal(double).prop_map(ExprKind::Literal),
        1 => time_word().prop_map(ExprKind::Time),
        1 => prop_oneof![Just(1u32), Just(2u32), Just(u32::MAX)].prop_map(ExprKind::Param),
        4 => any_name().prop_map(ExprKind::Ident),
        1 => Just(ExprKind::This),
        1 => (prop_oneof![1u32..4, Just(u32::MAX)], prop::collection::vec(any_name(), 0..3))
            .prop_map(|(levels, path)| ExprKind::Up { levels, path }),
    ]
    .prop_map(Expr::new)
}

fn binary_operator() -> impl Strategy<Value = BinaryOp> {
    prop::sample::select(BinaryOp::ALL.to_vec())
}

fn occurs_tail(expr: BoxedStrategy<Expr>) -> impl Strategy<Value = OccursTail> {
    let comparison = prop::sample::select(vec![
        Comparison::Eq,
        Comparison::NotEq,
        Comparison::Lt,
        Comparison::LtEq,
        Comparison::Gt,
        Comparison::GtEq,
    ]);
    let direction = prop::sample::select(vec![Direction::Before, Direction::After, Direction::From]);
    let before_or_after = prop::sample::select(vec![Direction::Before, Direction::After]);
    let reference = expr.clone().prop_map(Box::new);
    prop_oneof![
        (comparison, prop_oneof![0u64..50, Just(u64::MAX)], unit(), direction, reference.clone()).prop_map(
            |(cmp, amount, unit, direction, reference)| OccursTail::Offset { cmp, amount, unit, direction, reference }
        ),
        (before_or_after, reference.clone())
            .prop_map(|(direction, reference)| { OccursTail::Direction { direction, reference } }),
        reference.clone().prop_map(|reference| OccursTail::On { reference }),
        (reference.clone(), reference).prop_map(|(start, end)| OccursTail::Between { start, end }),
    ]
}

fn bindings(expr: BoxedStrategy<Expr>) -> impl Strategy<Value = Vec<Binding>> {
    let binding =
        (any_name(), expr.clone(), prop::option::of(expr)).prop_map(|(var, range, cond)| Binding { var, range, cond });
    prop::collection::vec(binding, 1..3)
}

fn chain_step(expr: BoxedStrategy<Expr>) -> impl Strategy<Value = ChainStep> {
    (
        any_name(),
        expr.clone(),
        prop::option::of(occurs_tail(expr.clone())),
        prop::option::of(prop_oneof![1u64..10, Just(u64::MAX)]),
        prop::option::of(expr),
    )
        .prop_map(|(label, what, when, count, where_)| ChainStep { label, what, when, count, where_ })
}

fn expr(double: BoxedStrategy<f64>) -> BoxedStrategy<Expr> {
    leaf(double)
        .prop_recursive(5, 64, 3, |inner| {
            let inner = inner.boxed();
            let boxed = inner.clone().prop_map(Box::new);
            let args = prop::collection::vec(inner.clone(), 0..3);
            prop_oneof![
                1 => args.clone().prop_map(ExprKind::Array),
                1 => prop::collection::vec((text(), inner.clone()), 0..3).prop_map(ExprKind::Object),
                3 => (boxed.clone(), any_name()).prop_map(|(base, name)| ExprKind::Field { base, name }),
                1 => (boxed.clone(), any_name(), args.clone())
                    .prop_map(|(receiver, name, args)| ExprKind::Method { receiver, name, args }),
                1 => (any_name(), args).prop_map(|(name, args)| ExprKind::Call { name, args }),
                1 => (boxed.clone(), boxed.clone()).prop_map(|(base, cond)| ExprKind::Filter { base, cond }),
                2 => (prop::sample::select(vec![UnaryOp::Not, UnaryOp::Neg]), boxed.clone())
                    .prop_map(|(op, operand)| ExprKind::Unary { op, operand }),
                4 => (binary_operator(), boxed.clone(), boxed.clone())
                    .prop_map(|(op, lhs, rhs)| ExprKind::Binary { op, lhs, rhs }),
                1 => (boxed.clone(), occurs_tail(inner.clone()))
                    .prop_map(|(subject, tail)| ExprKind::Occurs { subject, tail }),
                1 => (
                    prop::sample::select(vec![QuantifierKind::Select, QuantifierKind::Exists, QuantifierKind::Forall]),
                    bindings(inner.clone())
                )
                    .prop_map(|(kind, bindings)| ExprKind::Quantifier { kind, bindings }),
                1 => (
                    prop::sample::select(vec![AggregateKind::Sum, AggregateKind::Average, AggregateKind::Min, AggregateKind::Max]),
                    prop::option::of(boxed.clone()),
                    bindings(inner.clone())
                )
                    .prop_map(|(kind, value, bindings)| ExprKind::Aggregate { kind, value, bindings }),
                2 => (any_name(), boxed.clone(), boxed.clone())
                    .prop_map(|(name, value, body)| ExprKind::Let { name, value, body }),
                1 => (prop::collection::vec(any_name(), 0..3), boxed.clone())
                    .prop_map(|(params, body)| ExprKind::Lambda { params, body }),
                1 => (boxed, any_name(), prop::collection::vec(chain_step(inner), 1..3))
                    .prop_map(|(events, order_field, steps)| ExprKind::Chain { events, order_field, steps }),
            ]
            .prop_map(Expr::new)
        })
        .boxed()
}

fn query(double: BoxedStrategy<f64>) -> impl Strategy<Value = Query> {
    (prop::collection::vec(any_name(), 0..3), expr(double)).prop_map(|(params, body)| Query { params, body })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn json_value_round_trips(query in query(any_double())) {
        let value = to_json(&query);
        let decoded = from_json(&value).map_err(|diagnostic| TestCaseError::fail(format!("{diagnostic}\n{value}")))?;
        prop_assert_eq!(decoded, query, "as {}", value);
    }

    // NOTE: text round trips only use doubles that `serde_json` reads exactly. Without its
    // `float_roundtrip` feature it may read a double with 16 or 17 significant digits, or a large
    // exponent, one unit in the last place off.
    #[test]
    fn json_text_round_trips(query in query(short_double())) {
        let text = to_json_string(&query);
        let decoded = from_json_str(&text).map_err(|diagnostic| TestCaseError::fail(format!("{diagnostic}\n{text}")))?;
        prop_assert_eq!(decoded, query, "as {}", text);
    }
}

#[test]
fn deep_tree_encodes_without_overflow() {
    // A chain of 400 `or` is a tree 400 levels deep, which the parser accepts.
    let terms: Vec<String> = (0..400).map(|index| format!("a{index}")).collect();
    let query = parse_clean(&terms.join(" or "));
    let text = to_json_string(&query);
    assert!(text.starts_with(r#"{"nodeType":"fnApply","fnName":"or""#), "{}", &text[..60]);
    let value = to_json(&query);
    assert_eq!(value["fnName"], "or");
}

#[test]
fn tree_within_value_limit_decodes() {
    // 200 `or` levels nest 401 JSON levels: each node and its `params` array, then the leaf.
    let terms: Vec<String> = (0..200).map(|index| format!("a{index}")).collect();
    let query = parse_clean(&terms.join(" or "));
    assert_eq!(from_json(&to_json(&query)).unwrap(), query);
}

#[test]
fn lambda_applied_to_array_is_filter() {
    let input = json!({"nodeType": "fnApply",
        "function": {"nodeType": "fnCreate", "params": [{"varName": "X1"}], "body":
            {"nodeType": "fnApply", "fnName": "=", "params": [
                {"nodeType": "fieldLookup", "fieldName": "model", "object":
                    {"nodeType": "fieldLookup", "fieldName": "device", "object": {"nodeType": "varRef", "varName": "X1"}}},
                {"nodeType": "literal", "literalType": "string", "value": "1"}]}},
        "params": [{"nodeType": "fieldLookup", "fieldName": "xEvent", "object": {"nodeType": "parameterReference", "position": 1}}]});
    assert_eq!(from_json(&input).unwrap().to_string(), r#"xEvent.filter((X1) => X1.device.model = "1")"#);
}

#[test]
fn lambda_apply_needs_one_argument() {
    let input = r#"{"nodeType":"fnApply","function":{"nodeType":"fnCreate","params":[{"varName":"X"}],"body":{"nodeType":"varRef","varName":"X"}},"params":[]}"#;
    assert_eq!(
        error_message(input),
        "params: an fnApply of a lambda filters one array with a one-parameter lambda, found 1 lambda parameters and 0 arguments"
    );
}

#[test]
fn lambda_apply_needs_fn_create() {
    let input = r#"{"nodeType":"fnApply","function":{"nodeType":"this"},"params":[{"nodeType":"this"}]}"#;
    assert_eq!(error_message(input), r#"function.nodeType: the "function" of an fnApply must be an fnCreate node"#);
}

#[test]
fn xdm_object_profile_is_root() {
    let input = json!({"nodeType": "fnApply", "fnName": "=", "params": [
        {"nodeType": "literal", "literalType": "string", "value": "Andres"},
        {"nodeType": "fieldLookup", "fieldName": "firstName", "object":
            {"nodeType": "fieldLookup", "fieldName": "person", "object":
                {"nodeType": "literal", "literalType": "XDMObject", "value": "profile"}}}]});
    assert_eq!(from_json(&input).unwrap().to_string(), r#""Andres" = person.firstName"#);
}

#[test]
fn set_node_is_rejected_with_help() {
    let input = r#"{"nodeType":"set","variables":[]}"#;
    assert_eq!(error_message(input), "root: a set node mixes conditions and bindings in a way that has no defined meaning");
}
