//! Tree shapes: precedence, associativity, special forms, literal values and spans.

use seg_pql::ast::*;
use seg_pql::{parse, parse_expr};

fn tree(text: &str) -> Expr {
    match parse_expr(text) {
        Ok(expr) => expr.without_spans(),
        Err(diagnostic) => panic!("{}", diagnostic.render(text)),
    }
}

fn assert_same_tree(text: &str, explicit: &str) {
    assert_eq!(tree(text), tree(explicit), "{text} should read as {explicit}");
}

fn ident(text: &str) -> Expr {
    Expr::new(ExprKind::Ident(Name::new(text)))
}

fn int(value: i64) -> Expr {
    Expr::new(ExprKind::Literal(Literal::Int(value)))
}

fn double(value: f64) -> Expr {
    Expr::new(ExprKind::Literal(Literal::Double(value)))
}

fn string(value: &str) -> Expr {
    Expr::new(ExprKind::Literal(Literal::String(value.to_string())))
}

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    Expr::new(ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) })
}

fn unary(op: UnaryOp, operand: Expr) -> Expr {
    Expr::new(ExprKind::Unary { op, operand: Box::new(operand) })
}

fn field(base: Expr, name: &str) -> Expr {
    Expr::new(ExprKind::Field { base: Box::new(base), name: Name::new(name) })
}

fn time(word: TimeWord) -> Box<Expr> {
    Box::new(Expr::new(ExprKind::Time(word)))
}

#[test]
fn or_binds_looser_than_and() {
    assert_same_tree("a or b and c", "a or (b and c)");
    assert_same_tree("a and b or c", "(a and b) or c");
}

#[test]
fn and_or_are_left_associative() {
    assert_same_tree("a and b and c", "(a and b) and c");
    assert_same_tree("a or b or c", "(a or b) or c");
}

#[test]
fn not_binds_looser_than_comparison() {
    assert_eq!(tree("not a = b"), unary(UnaryOp::Not, binary(BinaryOp::Eq, ident("a"), ident("b"))));
    assert_same_tree("!a = b", "not (a = b)");
    assert_same_tree("not a and b", "(not a) and b");
    assert_same_tree("not not a", "not (not a)");
}

#[test]
fn comparison_binds_looser_than_arithmetic() {
    assert_same_tree("a + 1 > b * 2", "(a + 1) > (b * 2)");
    assert_same_tree("a in b + c", "a in (b + c)");
    assert_same_tree("x occurs today and y", "(x occurs today) and y");
}

#[test]
fn product_binds_tighter_than_sum() {
    assert_same_tree("a + b * c", "a + (b * c)");
    assert_same_tree("a - b - c", "(a - b) - c");
    assert_same_tree("a / b % c * d", "((a / b) % c) * d");
}

#[test]
fn unary_minus_binds_tighter_than_product() {
    assert_same_tree("-a * b", "(-a) * b");
    assert_same_tree("-a.b", "-(a.b)");
}

#[test]
fn every_comparison_operator() {
    let cases = [
        ("=", BinaryOp::Eq),
        ("!=", BinaryOp::NotEq),
        ("<", BinaryOp::Lt),
        ("<=", BinaryOp::LtEq),
        (">", BinaryOp::Gt),
        (">=", BinaryOp::GtEq),
        ("in", BinaryOp::In),
        ("notIn", BinaryOp::NotIn),
        ("like", BinaryOp::Like),
        ("matches", BinaryOp::Matches),
        ("IN", BinaryOp::In),
        ("NOTIN", BinaryOp::NotIn),
    ];
    for (symbol, op) in cases {
        assert_eq!(tree(&format!("a {symbol} b")), binary(op, ident("a"), ident("b")), "{symbol}");
    }
}

#[test]
fn keywords_match_any_case() {
    assert_same_tree("a AND b Or NOT c", "a and b or not c");
    assert_same_tree("X OCCURS BETWEEN Today AND NOW", "X occurs between today and now");
    assert_same_tree("SELECT X FROM xEvent WHERE X.a", "select X from xEvent where X.a");
    assert_same_tree("TRUE = False", "true = false");
}

#[test]
fn minus_folds_into_number_literals() {
    assert_eq!(tree("-5"), int(-5));
    assert_eq!(tree("- 5"), int(-5));
    assert_eq!(tree("-9223372036854775808"), int(i64::MIN));
    assert_eq!(tree("9223372036854775807"), int(i64::MAX));
    assert_eq!(tree("-2.5"), double(-2.5));
    assert_eq!(tree("--5"), unary(UnaryOp::Neg, int(-5)));
    assert_eq!(tree("-(5)"), unary(UnaryOp::Neg, int(5)));
    assert_eq!(tree("-x"), unary(UnaryOp::Neg, ident("x")));
    assert_eq!(tree("a - 5"), binary(BinaryOp::Sub, ident("a"), int(5)));
    assert_eq!(tree("-5.x"), unary(UnaryOp::Neg, field(int(5), "x")));
}

#[test]
fn double_forms() {
    for (text, value) in [("2.5", 2.5), (".45", 0.45), ("2.02E12", 2.02e12), ("1e-7", 1e-7), ("10.0", 10.0)] {
        assert_eq!(tree(text), double(value), "{text}");
    }
}

#[test]
fn string_escapes() {
    assert_eq!(tree(r#""a\\b""#), string(r"a\b"));
    assert_eq!(tree(r#""say \"hi\"""#), string(r#"say "hi""#));
    assert_eq!(tree(r#""@(\w+)""#), string(r"@(\w+)"));
    assert_eq!(tree(r#""@(\\w+)""#), string(r"@(\w+)"));
    assert_eq!(tree(r#""""#), string(""));
}

#[test]
fn paths_and_postfix_operations() {
    assert_eq!(tree("a.b.c"), field(field(ident("a"), "b"), "c"));
    assert_eq!(tree("a.from.in"), field(field(ident("a"), "from"), "in"));
    let method = Expr::new(ExprKind::Method { receiver: Box::new(ident("x")), name: Name::new("count"), args: vec![] });
    assert_eq!(tree("x.count()"), method);
    let filter = Expr::new(ExprKind::Filter { base: Box::new(ident("xs")), cond: Box::new(ident("c")) });
    assert_eq!(tree("xs[c]"), filter);
    assert_eq!(tree("$2"), Expr::new(ExprKind::Param(2)));
    assert_eq!(tree("this"), Expr::new(ExprKind::This));
    assert_eq!(tree("this.a"), field(Expr::new(ExprKind::This), "a"));
}

#[test]
fn up_forms() {
    let up = |levels: u32, path: &[&str]| {
        Expr::new(ExprKind::Up { levels, path: path.iter().map(|name| Name::new(*name)).collect() })
    };
    assert_eq!(tree("^.a.b"), up(1, &["a", "b"]));
    assert_eq!(tree("^^.person.gender"), up(2, &["person", "gender"]));
    assert_eq!(tree("^a"), up(1, &["a"]));
    assert_eq!(tree("^"), up(1, &[]));
    let method =
        Expr::new(ExprKind::Method { receiver: Box::new(up(1, &["a"])), name: Name::new("count"), args: vec![] });
    assert_eq!(tree("^.a.count()"), method);
    assert_eq!(tree("(^.a).b"), field(up(1, &["a"]), "b"));
    assert_eq!(tree("^ and b"), binary(BinaryOp::And, up(1, &[]), ident("b")));
}

#[test]
fn time_words() {
    assert_eq!(tree("now"), Expr::new(ExprKind::Time(TimeWord::Now)));
    assert_eq!(tree("this month"), Expr::new(ExprKind::Time(TimeWord::This(TimeUnit::Month))));
    assert_eq!(tree("LAST weeks"), Expr::new(ExprKind::Time(TimeWord::Last(TimeUnit::Week))));
    assert_eq!(tree("next millenium"), Expr::new(ExprKind::Time(TimeWord::Next(TimeUnit::Millennium))));
}

#[test]
fn occurs_forms() {
    let occurs = |tail: OccursTail| Expr::new(ExprKind::Occurs { subject: Box::new(ident("t")), tail });
    assert_eq!(
        tree("t occurs <= 3 days before now"),
        occurs(OccursTail::Offset {
            cmp: Comparison::LtEq,
            amount: 3,
            unit: TimeUnit::Day,
            direction: Direction::Before,
            reference: time(TimeWord::Now),
        })
    );
    assert_eq!(
        tree("t occurs after today"),
        occurs(OccursTail::Direction { direction: Direction::After, reference: time(TimeWord::Today) })
    );
    assert_eq!(tree("t occurs on yesterday"), occurs(OccursTail::On { reference: time(TimeWord::Yesterday) }));
    assert_same_tree("t occurs yesterday", "t occurs on yesterday");
    assert_eq!(
        tree("t occurs between today and tomorrow"),
        occurs(OccursTail::Between { start: time(TimeWord::Today), end: time(TimeWord::Tomorrow) })
    );
    assert_same_tree("t occurs = 1 hour from Y.timestamp", "t occurs = 1 hours from (Y.timestamp)");
}

#[test]
fn between_leaves_following_and_alone() {
    let between = tree("d occurs between date(2015, 1, 8) and date(2017, 7, 1) and x = 1");
    let ExprKind::Binary { op: BinaryOp::And, lhs, .. } = between.kind else {
        panic!("expected `and` at the top: {between:?}")
    };
    assert!(matches!(lhs.kind, ExprKind::Occurs { tail: OccursTail::Between { .. }, .. }));
}

#[test]
fn comprehension_bindings_split_at_ident_from() {
    let ExprKind::Quantifier { kind, bindings } =
        tree("exists E from xEvent where (E.price > 50), I from E.items where I.SKU = \"PS\"").kind
    else {
        panic!("expected a quantifier")
    };
    assert_eq!(kind, QuantifierKind::Exists);
    assert_eq!(bindings.len(), 2);
    assert_eq!(bindings[1].var.text, "I");
    assert_eq!(bindings[1].range, field(ident("E"), "items"));
    assert_same_tree("forall E from xEvent: E.a", "forall E from xEvent where E.a");
}

#[test]
fn comma_without_binding_ends_comprehension() {
    let ExprKind::Call { args, .. } = tree("f(select X from a where b, c)").kind else { panic!("expected a call") };
    assert_eq!(args.len(), 2);
    assert_eq!(args[1], ident("c"));
}

#[test]
fn aggregate_forms() {
    let ExprKind::Aggregate { kind, value, bindings } = tree("sum X.a over X from xEvent where X.b, Y from X.c").kind
    else {
        panic!("expected an aggregate")
    };
    assert_eq!(kind, AggregateKind::Sum);
    assert_eq!(value.as_deref(), Some(&field(ident("X"), "a")));
    assert_eq!(bindings.len(), 2);

    let ExprKind::Aggregate { kind, value, .. } = tree("AVERAGE X from numbers where X > 0").kind else {
        panic!("expected the short form")
    };
    assert_eq!(kind, AggregateKind::Average);
    assert!(value.is_none());
}

#[test]
fn aggregate_words_fall_back_to_names() {
    assert_eq!(tree("min > 3"), binary(BinaryOp::Gt, ident("min"), int(3)));
    assert_eq!(tree("sum"), ident("sum"));
    assert!(matches!(tree("sum(x)").kind, ExprKind::Call { .. }));
    assert!(matches!(tree("max.value").kind, ExprKind::Field { .. }));
    assert_eq!(tree("xEvent[count > 2]"), tree("xEvent[(count) > 2]"));
}

#[test]
fn let_value_stops_at_in() {
    let ExprKind::Let { name, value, body } =
        tree("let score = (select X from xEvent).head().core.propensityScore in if(score > 0.5, 1, 0)").kind
    else {
        panic!("expected let")
    };
    assert_eq!(name.text, "score");
    assert!(matches!(value.kind, ExprKind::Field { .. }));
    assert!(matches!(body.kind, ExprKind::Call { .. }));

    let ExprKind::Let { value, body, .. } = tree("let v = select X from a where b in v.count()").kind else {
        panic!("expected let")
    };
    assert!(matches!(value.kind, ExprKind::Quantifier { .. }));
    assert!(matches!(body.kind, ExprKind::Method { .. }));

    // Brackets restore the membership operator, and the body may use it.
    assert_same_tree("let v = f(a in b) in v in c", "let v = (f(a in b)) in (v in c)");
    assert_same_tree("let a = let b = 1 in b in a", "let a = (let b = 1 in b) in a");
}

#[test]
fn lambdas_and_lambda_head() {
    let query = parse("(K, G) => mapEntry(K, G)").expect("lambda head");
    assert_eq!(query.params.iter().map(|name| name.text.as_str()).collect::<Vec<_>>(), ["K", "G"]);
    assert!(matches!(query.body.kind, ExprKind::Call { .. }));

    let ExprKind::Method { args, .. } = tree("m.map((K, G) => mapEntry(K, G.count()))").kind else {
        panic!("expected a method")
    };
    let ExprKind::Lambda { params, body } = &args[0].kind else { panic!("expected a lambda argument") };
    assert_eq!(params.len(), 2);
    assert!(matches!(body.kind, ExprKind::Call { .. }));

    // Without a head, a parenthesized lambda is the body.
    let query = parse("((a) => a)").expect("lambda body");
    assert!(query.params.is_empty());
    assert!(matches!(query.body.kind, ExprKind::Lambda { .. }));
}

#[test]
fn object_and_array_literals() {
    assert_eq!(tree("[]"), Expr::new(ExprKind::Array(vec![])));
    assert_eq!(tree("{}"), Expr::new(ExprKind::Object(vec![])));
    let object = tree(r#"{"count": 1, "name": "x"}"#);
    assert_eq!(object, Expr::new(ExprKind::Object(vec![("count".into(), int(1)), ("name".into(), string("x"))])));
}

#[test]
fn chain_clauses_in_any_order() {
    let ExprKind::Chain { events, order_field, steps } =
        tree("CHAIN(xEvent, timestamp, [A: what(a) count(2) WHERE(b) When(today), B: WHAT(c)])").kind
    else {
        panic!("expected a chain")
    };
    assert_eq!(*events, ident("xEvent"));
    assert_eq!(order_field.text, "timestamp");
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0].label.text, "A");
    assert_eq!(steps[0].count, Some(2));
    assert_eq!(steps[0].where_, Some(ident("b")));
    assert_eq!(steps[0].when, Some(OccursTail::On { reference: time(TimeWord::Today) }));
    assert_eq!(steps[1].when, None);
    assert_eq!(steps[1].count, None);
}

#[test]
fn chain_word_alone_is_a_name() {
    assert_eq!(tree("chain = 1"), binary(BinaryOp::Eq, ident("chain"), int(1)));
}

#[test]
fn whitespace_is_insignificant() {
    assert_same_tree("a\t=\r\n1\nand\tb . c ( ) > 2", "a = 1 and b.c() > 2");
}

#[test]
fn spans_cover_node_text() {
    let text = "  xEvent[a = 1].count() >= 3  and not b.c";
    let expr = parse_expr(text).expect("parses");
    let slice = |span: Span| &text[span.start..span.end];
    assert_eq!(slice(expr.span), "xEvent[a = 1].count() >= 3  and not b.c");
    let ExprKind::Binary { lhs, rhs, .. } = &expr.kind else { panic!("expected and") };
    assert_eq!(slice(lhs.span), "xEvent[a = 1].count() >= 3");
    assert_eq!(slice(rhs.span), "not b.c");
    let ExprKind::Binary { lhs: count, .. } = &lhs.kind else { panic!("expected >=") };
    assert_eq!(slice(count.span), "xEvent[a = 1].count()");
    let ExprKind::Method { receiver, name, .. } = &count.kind else { panic!("expected count()") };
    assert_eq!(slice(receiver.span), "xEvent[a = 1]");
    assert_eq!(slice(name.span), "count");
    let ExprKind::Unary { operand, .. } = &rhs.kind else { panic!("expected not") };
    assert_eq!(slice(operand.span), "b.c");
}

#[test]
fn folded_literal_span_includes_sign() {
    let text = "x = - 12";
    let ExprKind::Binary { rhs, .. } = parse_expr(text).expect("parses").kind else { panic!("expected =") };
    assert_eq!(&text[rhs.span.start..rhs.span.end], "- 12");
}
