//! Property test: any tree the parser can produce prints as text that parses back to the same
//! tree, spans aside.

use proptest::prelude::*;
use seg_pql::ast::*;
use seg_pql::parser::is_reserved_word;
use seg_pql::{parse, parse_expr};

/// Generates any word: a field, method or order-field name, which may be a keyword.
fn any_word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z_][A-Za-z0-9_]{0,6}",
        1 => prop::sample::select(vec![
            "from", "in", "IN", "and", "not", "this", "over", "count", "sum", "min", "chain", "what", "WHERE", "day",
            "e5", "E", "_", "between", "last",
        ])
        .prop_map(str::to_string),
    ]
}

/// Generates a word that can be a bare identifier. Words that are keywords only in special
/// forms are included on purpose, because the parser must fall back to reading them as names.
fn identifier() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z_][A-Za-z0-9_]{0,6}",
        1 => prop::sample::select(vec![
            "sum", "average", "min", "MAX", "count", "chain", "what", "when", "day", "weeks", "millenium", "date",
            "if", "e5", "_", "xEvent", "timestamp",
        ])
        .prop_map(str::to_string),
    ]
    .prop_filter("reserved words cannot be identifiers", |word| !is_reserved_word(word))
}

/// Generates a function name other than `chain`, because `chain(` always starts the chain form.
fn function_name() -> impl Strategy<Value = String> {
    identifier().prop_filter("`chain(` starts the chain form", |word| !word.eq_ignore_ascii_case("chain"))
}

fn name(strategy: impl Strategy<Value = String>) -> impl Strategy<Value = Name> {
    strategy.prop_map(Name::new)
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::char::range('a', 'z'),
            1 => prop::sample::select(vec!['\\', '"', ' ', '\n', '\t', '(', ']', '{', 'é', '€', '💡', '%', '$', '^']),
        ],
        0..8,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn double() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => any::<f64>().prop_filter("finite", |value| value.is_finite()),
        1 => prop::sample::select(vec![0.0, -0.0, 1.0, 0.45, 1e20, 1e-7, 2.02e12, f64::MAX, f64::MIN_POSITIVE, 5e-324]),
        1 => (-1000i32..1000).prop_map(|value| f64::from(value) / 8.0),
    ]
}

fn integer() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => any::<i64>(),
        1 => prop::sample::select(vec![i64::MIN, i64::MAX, 0, -1, 1]),
        2 => -100i64..100,
    ]
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        text().prop_map(Literal::String),
        integer().prop_map(Literal::Int),
        double().prop_map(Literal::Double),
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

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        4 => literal().prop_map(ExprKind::Literal),
        1 => time_word().prop_map(ExprKind::Time),
        1 => (1..=u32::MAX).prop_map(ExprKind::Param),
        4 => name(identifier()).prop_map(ExprKind::Ident),
        1 => Just(ExprKind::This),
        1 => (1u32..4, prop::collection::vec(name(any_word()), 0..3)).prop_map(|(levels, path)| ExprKind::Up { levels, path }),
    ]
    .prop_map(Expr::new)
}

fn comparison() -> impl Strategy<Value = Comparison> {
    prop::sample::select(vec![
        Comparison::Eq,
        Comparison::NotEq,
        Comparison::Lt,
        Comparison::LtEq,
        Comparison::Gt,
        Comparison::GtEq,
    ])
}

fn binary_operator() -> impl Strategy<Value = BinaryOp> {
    prop::sample::select(BinaryOp::ALL.to_vec())
}

fn boxed(expr: impl Strategy<Value = Expr>) -> impl Strategy<Value = Box<Expr>> {
    expr.prop_map(Box::new)
}

fn occurs_tail(expr: impl Strategy<Value = Expr> + Clone) -> impl Strategy<Value = OccursTail> {
    let direction = prop::sample::select(vec![Direction::Before, Direction::After, Direction::From]);
    let before_or_after = prop::sample::select(vec![Direction::Before, Direction::After]);
    let amount = prop_oneof![0u64..50, Just(u64::MAX)];
    prop_oneof![
        (comparison(), amount, unit(), direction, boxed(expr.clone())).prop_map(
            |(cmp, amount, unit, direction, reference)| OccursTail::Offset { cmp, amount, unit, direction, reference }
        ),
        (before_or_after, boxed(expr.clone()))
            .prop_map(|(direction, reference)| OccursTail::Direction { direction, reference }),
        boxed(expr.clone()).prop_map(|reference| OccursTail::On { reference }),
        (boxed(expr.clone()), boxed(expr)).prop_map(|(start, end)| OccursTail::Between { start, end }),
    ]
}

fn bindings(expr: impl Strategy<Value = Expr> + Clone) -> impl Strategy<Value = Vec<Binding>> {
    let binding = (name(identifier()), expr.clone(), prop::option::of(expr)).prop_map(|(var, range, cond)| Binding {
        var,
        range,
        cond,
    });
    prop::collection::vec(binding, 1..3)
}

fn chain_step(expr: impl Strategy<Value = Expr> + Clone) -> impl Strategy<Value = ChainStep> {
    (
        name(identifier()),
        expr.clone(),
        prop::option::of(occurs_tail(expr.clone())),
        prop::option::of(prop_oneof![1u64..10, Just(u64::MAX)]),
        prop::option::of(expr),
    )
        .prop_map(|(label, what, when, count, where_)| ChainStep { label, what, when, count, where_ })
}

fn expr() -> impl Strategy<Value = Expr> + Clone {
    leaf().prop_recursive(5, 64, 3, |inner| {
        let args = prop::collection::vec(inner.clone(), 0..3);
        prop_oneof![
            1 => prop::collection::vec(inner.clone(), 0..3).prop_map(ExprKind::Array),
            1 => prop::collection::vec((text(), inner.clone()), 0..3).prop_map(ExprKind::Object),
            2 => (boxed(inner.clone()), name(any_word())).prop_map(|(base, name)| ExprKind::Field { base, name }),
            1 => (boxed(inner.clone()), name(any_word()), args.clone())
                .prop_map(|(receiver, name, args)| ExprKind::Method { receiver, name, args }),
            1 => (name(function_name()), args).prop_map(|(name, args)| ExprKind::Call { name, args }),
            1 => (boxed(inner.clone()), boxed(inner.clone())).prop_map(|(base, cond)| ExprKind::Filter { base, cond }),
            2 => (prop::sample::select(vec![UnaryOp::Not, UnaryOp::Neg]), boxed(inner.clone()))
                .prop_map(|(op, operand)| ExprKind::Unary { op, operand }),
            4 => (binary_operator(), boxed(inner.clone()), boxed(inner.clone()))
                .prop_map(|(op, lhs, rhs)| ExprKind::Binary { op, lhs, rhs }),
            1 => (boxed(inner.clone()), occurs_tail(inner.clone()))
                .prop_map(|(subject, tail)| ExprKind::Occurs { subject, tail }),
            1 => (
                prop::sample::select(vec![QuantifierKind::Select, QuantifierKind::Exists, QuantifierKind::Forall]),
                bindings(inner.clone())
            )
                .prop_map(|(kind, bindings)| ExprKind::Quantifier { kind, bindings }),
            1 => (
                prop::sample::select(vec![AggregateKind::Sum, AggregateKind::Average, AggregateKind::Min, AggregateKind::Max]),
                prop::option::of(boxed(inner.clone())),
                bindings(inner.clone())
            )
                .prop_map(|(kind, value, bindings)| ExprKind::Aggregate { kind, value, bindings }),
            2 => (name(identifier()), boxed(inner.clone()), boxed(inner.clone()))
                .prop_map(|(name, value, body)| ExprKind::Let { name, value, body }),
            1 => (prop::collection::vec(name(identifier()), 1..3), boxed(inner.clone()))
                .prop_map(|(params, body)| ExprKind::Lambda { params, body }),
            1 => (boxed(inner.clone()), name(any_word()), prop::collection::vec(chain_step(inner), 1..3))
                .prop_map(|(events, order_field, steps)| ExprKind::Chain { events, order_field, steps }),
        ]
        .prop_map(Expr::new)
    })
}

/// Generates a `let` whose value needs parentheses there: a bare `in`, a lambda, a
/// comprehension or another `let`, possibly as the right operand of `and` or `or`.
fn let_with_tricky_value() -> impl Strategy<Value = Expr> {
    let operand = expr().boxed();
    let value = prop_oneof![
        (operand.clone(), operand.clone()).prop_map(|(lhs, rhs)| ExprKind::Binary {
            op: BinaryOp::In,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs)
        }),
        (prop::collection::vec(name(identifier()), 1..3), boxed(operand.clone()))
            .prop_map(|(params, body)| ExprKind::Lambda { params, body }),
        (bindings(operand.clone()))
            .prop_map(|bindings| ExprKind::Quantifier { kind: QuantifierKind::Exists, bindings }),
        (name(identifier()), boxed(operand.clone()), boxed(operand.clone()))
            .prop_map(|(name, value, body)| ExprKind::Let { name, value, body }),
    ]
    .prop_map(Expr::new);
    let wrapped = (value, prop::sample::select(vec![None, Some(BinaryOp::And), Some(BinaryOp::Or)]), operand.clone())
        .prop_map(|(value, op, other)| match op {
            None => value,
            Some(op) => Expr::new(ExprKind::Binary { op, lhs: Box::new(other), rhs: Box::new(value) }),
        });
    (name(identifier()), wrapped, operand)
        .prop_map(|(name, value, body)| Expr::new(ExprKind::Let { name, value: Box::new(value), body: Box::new(body) }))
}

fn query() -> impl Strategy<Value = Query> {
    (prop::collection::vec(name(identifier()), 0..3), expr()).prop_map(|(params, body)| Query { params, body })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn printed_query_parses_back(query in query()) {
        let printed = query.to_string();
        let reparsed = parse(&printed).map_err(|diagnostic| {
            TestCaseError::fail(format!("{}\n{query:?}", diagnostic.render(&printed)))
        })?;
        prop_assert_eq!(reparsed.without_spans(), query, "printed as {}", printed);
    }

    #[test]
    fn printed_expression_parses_back(expr in expr()) {
        let printed = expr.to_string();
        let reparsed = parse_expr(&printed).map_err(|diagnostic| {
            TestCaseError::fail(format!("{}\n{expr:?}", diagnostic.render(&printed)))
        })?;
        prop_assert_eq!(reparsed.without_spans(), expr, "printed as {}", printed);
    }

    #[test]
    fn printed_let_parses_back(expr in let_with_tricky_value()) {
        let printed = expr.to_string();
        let reparsed = parse_expr(&printed).map_err(|diagnostic| {
            TestCaseError::fail(format!("{}\n{expr:?}", diagnostic.render(&printed)))
        })?;
        prop_assert_eq!(reparsed.without_spans(), expr, "printed as {}", printed);
    }

    #[test]
    fn canonical_text_is_a_fixed_point(expr in expr()) {
        let printed = expr.to_string();
        let reprinted = parse_expr(&printed).map(|reparsed| reparsed.to_string());
        prop_assert_eq!(reprinted, Ok(printed));
    }
}
