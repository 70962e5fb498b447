//! Comparisons, `in` lists, arithmetic, null tests and truthiness over profile columns.

use seg_plan::{ArithmeticOp, DataType, NodeKind, Scalar};
use seg_pql::ast::Comparison;

use super::fixtures::*;

const F: bool = false;
const T: bool = true;

fn age() -> seg_plan::Node {
    column(0, "age", DataType::Int)
}

fn score() -> seg_plan::Node {
    column(0, "score", DataType::Double)
}

#[test]
fn compare_int_each_operator() -> TestResult {
    let batch = profiles()?;
    let cases = [
        (Comparison::Eq, 30, [T, F, F, F, F]),
        (Comparison::NotEq, 30, [F, F, T, T, T]),
        (Comparison::Lt, 18, [F, F, F, T, T]),
        (Comparison::LtEq, 17, [F, F, F, T, T]),
        (Comparison::Gt, 30, [F, F, T, F, F]),
        (Comparison::GtEq, 30, [T, F, T, F, F]),
    ];
    for (op, constant, expected) in cases {
        let mask = mask_of(compare(op, age(), int(constant)), &batch)?;
        assert_eq!(mask, expected, "age {} {constant}", op.symbol());
    }
    Ok(())
}

#[test]
fn compare_null_is_false_and_not_true() -> TestResult {
    let batch = profiles()?;
    let equal = mask_of(compare(Comparison::Eq, age(), int(30)), &batch)?;
    let negated = mask_of(not(compare(Comparison::Eq, age(), int(30))), &batch)?;
    assert!(!equal[1], "null age = 30 holds");
    assert!(negated[1], "not(null age = 30) does not hold");
    Ok(())
}

#[test]
fn compare_literal_on_left() -> TestResult {
    let batch = profiles()?;
    let mask = mask_of(compare(Comparison::Gt, int(18), age()), &batch)?;
    assert_eq!(mask, [F, F, F, T, T]);
    Ok(())
}

#[test]
fn compare_two_constants() -> TestResult {
    let batch = profiles()?;
    assert_eq!(
        mask_of(compare(Comparison::Lt, int(1), int(2)), &batch)?,
        [T; 5]
    );
    assert_eq!(
        mask_of(
            compare(Comparison::Eq, literal(Scalar::Null), int(2)),
            &batch
        )?,
        [F; 5]
    );
    Ok(())
}

#[test]
fn compare_doubles_ieee() -> TestResult {
    let batch = profiles()?;
    let positive = mask_of(compare(Comparison::Gt, score(), double(0.0)), &batch)?;
    let negative_zero = mask_of(compare(Comparison::Eq, score(), double(-0.0)), &batch)?;
    assert_eq!(positive, [T, F, F, F, T]);
    assert_eq!(negative_zero, [F, F, F, T, F], "0.0 = -0.0 must hold");
    Ok(())
}

#[test]
fn compare_doubles_nan_only_not_equal() -> TestResult {
    let batch = profiles()?;
    // Row p4 has a score of 1e308, so `score * 10 - score * 10` is infinity minus infinity, NaN.
    let infinity = arithmetic(ArithmeticOp::Mul, score(), double(10.0));
    let not_a_number = || arithmetic(ArithmeticOp::Sub, infinity.clone(), infinity.clone());
    assert_eq!(
        mask_of(
            compare(Comparison::Eq, not_a_number(), not_a_number()),
            &batch
        )?,
        [T, F, T, T, F]
    );
    assert_eq!(
        mask_of(
            compare(Comparison::NotEq, not_a_number(), double(1.0)),
            &batch
        )?,
        [T, F, T, T, T]
    );
    assert_eq!(
        mask_of(
            compare(Comparison::GtEq, not_a_number(), double(-1.0)),
            &batch
        )?,
        [T, F, T, T, F]
    );
    Ok(())
}

#[test]
fn compare_double_columns() -> TestResult {
    let batch = profiles()?;
    let age_as_double = node(NodeKind::ToDouble(Box::new(age())), DataType::Double);
    let mask = mask_of(compare(Comparison::Lt, score(), age_as_double), &batch)?;
    assert_eq!(mask, [T, F, T, T, F]);
    Ok(())
}

#[test]
fn compare_strings_by_bytes() -> TestResult {
    let batch = profiles()?;
    let name = || column(0, "name", DataType::String);
    assert_eq!(
        mask_of(compare(Comparison::Eq, name(), string("bob")), &batch)?,
        [F, F, T, F, F]
    );
    assert_eq!(
        mask_of(compare(Comparison::Lt, name(), string("b")), &batch)?,
        [T, F, F, F, T]
    );
    Ok(())
}

#[test]
fn compare_booleans() -> TestResult {
    let batch = profiles()?;
    let vip = || column(0, "vip", DataType::Bool);
    assert_eq!(
        mask_of(
            compare(Comparison::Eq, vip(), literal(Scalar::Bool(true))),
            &batch
        )?,
        [T, F, F, T, F]
    );
    assert_eq!(
        mask_of(
            compare(Comparison::NotEq, vip(), literal(Scalar::Bool(true))),
            &batch
        )?,
        [F, F, T, F, T]
    );
    Ok(())
}

#[test]
fn compare_timestamps() -> TestResult {
    let batch = profiles()?;
    let birth = || column(0, "birth", DataType::Timestamp);
    let y2k = || literal(Scalar::Timestamp(at("2000-01-01T00:00:00Z")));
    assert_eq!(
        mask_of(compare(Comparison::Gt, birth(), y2k()), &batch)?,
        [F, F, F, T, F]
    );
    assert_eq!(
        mask_of(compare(Comparison::GtEq, birth(), y2k()), &batch)?,
        [F, F, T, T, F]
    );
    Ok(())
}

#[test]
fn compare_nested_struct_fields() -> TestResult {
    let batch = profiles()?;
    let gender = || column(0, "person.gender", DataType::String);
    let first_name = || column(0, "person.name.firstName", DataType::String);
    assert_eq!(
        mask_of(compare(Comparison::Eq, gender(), string("female")), &batch)?,
        [T, F, F, F, F]
    );
    assert_eq!(
        mask_of(
            not(compare(Comparison::Eq, gender(), string("female"))),
            &batch
        )?,
        [F, T, T, T, T]
    );
    assert_eq!(
        mask_of(compare(Comparison::Eq, first_name(), string("Lod")), &batch)?,
        [F, F, F, T, F]
    );
    Ok(())
}

#[test]
fn null_struct_hides_child_values() -> TestResult {
    let batch = profiles()?;
    let first_name = node(
        NodeKind::IsNull {
            value: Box::new(column(0, "person.name.firstName", DataType::String)),
            negated: false,
        },
        DataType::Bool,
    );
    assert_eq!(mask_of(first_name, &batch)?, [F, T, T, F, T]);
    Ok(())
}

#[test]
fn missing_column_reads_as_null() -> TestResult {
    let batch = profiles()?;
    let missing = || column(0, "loyalty.points", DataType::Int);
    let is_null = node(
        NodeKind::IsNull {
            value: Box::new(missing()),
            negated: false,
        },
        DataType::Bool,
    );
    assert_eq!(
        mask_of(compare(Comparison::Eq, missing(), int(1)), &batch)?,
        [F; 5]
    );
    assert_eq!(mask_of(is_null, &batch)?, [T; 5]);
    Ok(())
}

#[test]
fn in_list_ints() -> TestResult {
    let batch = profiles()?;
    let in_list = |list: Vec<i64>, negated| {
        let list = list.into_iter().map(Scalar::Int).collect();
        node(
            NodeKind::InList {
                value: Box::new(age()),
                list,
                negated,
            },
            DataType::Bool,
        )
    };
    assert_eq!(
        mask_of(in_list(vec![17, 30], false), &batch)?,
        [T, F, F, T, F]
    );
    assert_eq!(
        mask_of(in_list(vec![17, 30], true), &batch)?,
        [F, F, T, F, T],
        "notIn is false on null"
    );
    assert_eq!(
        mask_of(in_list((0..40).collect(), false), &batch)?,
        [T, F, F, T, F],
        "hash set lookup"
    );
    assert_eq!(
        mask_of(in_list((0..40).collect(), true), &batch)?,
        [F, F, T, F, T],
        "hash set lookup"
    );
    Ok(())
}

#[test]
fn in_list_other_types() -> TestResult {
    let batch = profiles()?;
    let in_list = |value, list: Vec<Scalar>| {
        node(
            NodeKind::InList {
                value: Box::new(value),
                list,
                negated: false,
            },
            DataType::Bool,
        )
    };
    let names = vec![Scalar::String("bob".into()), Scalar::String(String::new())];
    let zero = vec![Scalar::Double(-0.0)];
    let yes = vec![Scalar::Bool(true)];
    let y2k = vec![Scalar::Timestamp(at("2000-01-01T00:00:00Z"))];
    assert_eq!(
        mask_of(in_list(column(0, "name", DataType::String), names), &batch)?,
        [F, F, T, F, T]
    );
    assert_eq!(mask_of(in_list(score(), zero), &batch)?, [F, F, F, T, F]);
    assert_eq!(
        mask_of(in_list(column(0, "vip", DataType::Bool), yes), &batch)?,
        [T, F, F, T, F]
    );
    assert_eq!(
        mask_of(
            in_list(column(0, "birth", DataType::Timestamp), y2k),
            &batch
        )?,
        [F, F, T, F, F]
    );
    Ok(())
}

#[test]
fn arithmetic_int_overflow_is_null() -> TestResult {
    let batch = profiles()?;
    let plus = value_of(arithmetic(ArithmeticOp::Add, age(), int(1)), &batch)?;
    let minus = value_of(arithmetic(ArithmeticOp::Sub, age(), int(1)), &batch)?;
    let times = value_of(arithmetic(ArithmeticOp::Mul, int(2), age()), &batch)?;
    assert_eq!(
        ints(&plus),
        [Some(31), None, None, Some(18), Some(i64::MIN + 1)]
    );
    assert_eq!(
        ints(&minus),
        [Some(29), None, Some(i64::MAX - 1), Some(16), None]
    );
    assert_eq!(ints(&times), [Some(60), None, None, Some(34), None]);
    Ok(())
}

#[test]
fn arithmetic_int_division_and_remainder() -> TestResult {
    let batch = profiles()?;
    let by_zero = value_of(arithmetic(ArithmeticOp::Rem, age(), int(0)), &batch)?;
    let divided_by_zero = value_of(arithmetic(ArithmeticOp::Div, age(), int(0)), &batch)?;
    let by_seven = value_of(arithmetic(ArithmeticOp::Rem, age(), int(-7)), &batch)?;
    let by_minus_one = value_of(arithmetic(ArithmeticOp::Rem, age(), int(-1)), &batch)?;
    assert_eq!(ints(&by_zero), [None; 5]);
    assert_eq!(ints(&divided_by_zero), [None; 5]);
    assert_eq!(
        ints(&by_seven),
        [
            Some(2),
            None,
            Some(i64::MAX % -7),
            Some(3),
            Some(i64::MIN % -7)
        ]
    );
    assert_eq!(
        ints(&by_minus_one),
        [Some(0), None, Some(0), Some(0), None],
        "i64::MIN % -1 counts as overflow"
    );
    Ok(())
}

#[test]
fn arithmetic_double_division_by_zero_is_null() -> TestResult {
    let batch = profiles()?;
    let divided = value_of(arithmetic(ArithmeticOp::Div, score(), double(0.0)), &batch)?;
    let remainder = value_of(arithmetic(ArithmeticOp::Rem, score(), double(0.0)), &batch)?;
    let halved = value_of(arithmetic(ArithmeticOp::Div, score(), double(2.0)), &batch)?;
    let scaled = value_of(arithmetic(ArithmeticOp::Mul, score(), double(10.0)), &batch)?;
    assert_eq!(doubles(&divided), [None; 5]);
    assert_eq!(doubles(&remainder), [None; 5]);
    assert_eq!(
        doubles(&halved),
        [Some(0.75), None, Some(-1.0), Some(0.0), Some(5e307)]
    );
    assert_eq!(
        doubles(&scaled)[4],
        Some(f64::INFINITY),
        "double overflow is infinity, not null"
    );
    Ok(())
}

#[test]
fn arithmetic_columns_on_both_sides() -> TestResult {
    let batch = profiles()?;
    let doubled = value_of(arithmetic(ArithmeticOp::Add, age(), age()), &batch)?;
    assert_eq!(ints(&doubled), [Some(60), None, None, Some(34), None]);
    Ok(())
}

#[test]
fn arithmetic_null_compares_false() -> TestResult {
    let batch = profiles()?;
    let next_year = || arithmetic(ArithmeticOp::Add, age(), int(1));
    let divided = arithmetic(ArithmeticOp::Div, score(), double(0.0));
    assert_eq!(
        mask_of(compare(Comparison::Gt, next_year(), int(0)), &batch)?,
        [T, F, F, T, F]
    );
    assert_eq!(
        mask_of(not(compare(Comparison::Gt, next_year(), int(0))), &batch)?,
        [F, T, T, F, T]
    );
    assert_eq!(
        mask_of(compare(Comparison::NotEq, divided, double(1.0)), &batch)?,
        [F; 5]
    );
    Ok(())
}

#[test]
fn arithmetic_null_literal_gives_null() -> TestResult {
    let batch = profiles()?;
    let sum = node(
        NodeKind::Arithmetic {
            op: ArithmeticOp::Add,
            lhs: Box::new(age()),
            rhs: Box::new(literal(Scalar::Null)),
        },
        DataType::Int,
    );
    assert_eq!(ints(&value_of(sum, &batch)?), [None; 5]);
    Ok(())
}

#[test]
fn negate_and_to_double() -> TestResult {
    let batch = profiles()?;
    let negated = value_of(
        node(NodeKind::Negate(Box::new(age())), DataType::Int),
        &batch,
    )?;
    let negated_score = value_of(
        node(NodeKind::Negate(Box::new(score())), DataType::Double),
        &batch,
    )?;
    let converted = value_of(
        node(NodeKind::ToDouble(Box::new(age())), DataType::Double),
        &batch,
    )?;
    assert_eq!(
        ints(&negated),
        [Some(-30), None, Some(-i64::MAX), Some(-17), None]
    );
    assert_eq!(
        doubles(&negated_score),
        [Some(-1.5), None, Some(2.0), Some(-0.0), Some(-1e308)]
    );
    assert_eq!(
        doubles(&converted),
        [
            Some(30.0),
            None,
            Some(i64::MAX as f64),
            Some(17.0),
            Some(i64::MIN as f64)
        ]
    );
    Ok(())
}

#[test]
fn is_null_and_is_not_null() -> TestResult {
    let batch = profiles()?;
    let is_null = |value, negated| {
        node(
            NodeKind::IsNull {
                value: Box::new(value),
                negated,
            },
            DataType::Bool,
        )
    };
    let person = || column(0, "person", DataType::Struct(Vec::new()));
    assert_eq!(mask_of(is_null(age(), false), &batch)?, [F, T, F, F, F]);
    assert_eq!(mask_of(is_null(age(), true), &batch)?, [T, F, T, T, T]);
    assert_eq!(mask_of(is_null(person(), false), &batch)?, [F, T, F, F, T]);
    assert_eq!(
        mask_of(is_null(literal(Scalar::Null), false), &batch)?,
        [T; 5]
    );
    Ok(())
}

#[test]
fn truthy_by_type() -> TestResult {
    let batch = profiles()?;
    let tags = column(0, "tags", DataType::List(Box::new(DataType::String)));
    assert_eq!(
        mask_of(truthy(column(0, "vip", DataType::Bool)), &batch)?,
        [T, F, F, T, F]
    );
    assert_eq!(mask_of(truthy(tags), &batch)?, [T, F, F, T, F]);
    assert_eq!(
        mask_of(truthy(column(0, "name", DataType::String)), &batch)?,
        [T, F, T, T, T]
    );
    assert_eq!(
        mask_of(truthy(literal(Scalar::Bool(false))), &batch)?,
        [F; 5]
    );
    Ok(())
}

#[test]
fn and_or_empty_and_mixed() -> TestResult {
    let batch = profiles()?;
    let adult = || compare(Comparison::GtEq, age(), int(18));
    let vip = || truthy(column(0, "vip", DataType::Bool));
    assert_eq!(mask_of(and(Vec::new()), &batch)?, [T; 5]);
    assert_eq!(mask_of(or(Vec::new()), &batch)?, [F; 5]);
    assert_eq!(mask_of(and(vec![adult(), vip()]), &batch)?, [T, F, F, F, F]);
    assert_eq!(mask_of(or(vec![adult(), vip()]), &batch)?, [T, F, T, T, F]);
    assert_eq!(
        mask_of(
            and(vec![compare(Comparison::Lt, int(1), int(0)), adult()]),
            &batch
        )?,
        [F; 5]
    );
    Ok(())
}
