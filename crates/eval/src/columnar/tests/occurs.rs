//! `occurs` with every condition form, constant and per-row references, at a pinned time.

use seg_plan::{DataType, ListFunction, Node, NodeKind, Scalar, TimeCondition, TimeRef};
use seg_pql::ast::{Comparison, Direction, TimeUnit, TimeWord};

use super::fixtures::*;

const F: bool = false;
const T: bool = true;

fn birth() -> Node {
    column(0, "birth", DataType::Timestamp)
}

fn occurs(subject: Node, condition: TimeCondition) -> Node {
    node(
        NodeKind::Occurs {
            subject: Box::new(subject),
            condition,
        },
        DataType::Bool,
    )
}

fn day(year: i16, month: i8, day: i8) -> TimeRef {
    TimeRef::Day { year, month, day }
}

fn instant(value: Node) -> TimeRef {
    TimeRef::Instant(Box::new(value))
}

#[test]
fn occurs_on_words() -> TestResult {
    let batch = profiles()?;
    let today = occurs(birth(), TimeCondition::On(TimeRef::Word(TimeWord::Today)));
    let this_month = occurs(
        birth(),
        TimeCondition::On(TimeRef::Word(TimeWord::This(TimeUnit::Month))),
    );
    let last_month = occurs(
        birth(),
        TimeCondition::On(TimeRef::Word(TimeWord::Last(TimeUnit::Month))),
    );
    assert_eq!(mask_of(today, &batch)?, [F, F, F, T, F]);
    assert_eq!(mask_of(this_month, &batch)?, [F, F, F, T, F]);
    assert_eq!(mask_of(last_month, &batch)?, [F; 5]);
    Ok(())
}

#[test]
fn occurs_before_and_after_day() -> TestResult {
    let batch = profiles()?;
    let before = occurs(
        birth(),
        TimeCondition::Direction {
            direction: Direction::Before,
            reference: day(2000, 1, 1),
        },
    );
    let after = occurs(
        birth(),
        TimeCondition::Direction {
            direction: Direction::After,
            reference: day(1999, 12, 31),
        },
    );
    assert_eq!(mask_of(before, &batch)?, [T, F, F, F, F]);
    assert_eq!(mask_of(after, &batch)?, [F, F, T, T, F]);
    Ok(())
}

#[test]
fn occurs_between_days() -> TestResult {
    let batch = profiles()?;
    let between = occurs(
        birth(),
        TimeCondition::Between(day(1990, 5, 1), day(2000, 1, 1)),
    );
    assert_eq!(mask_of(between, &batch)?, [T, F, T, F, F]);
    Ok(())
}

#[test]
fn occurs_offset_from_now() -> TestResult {
    let batch = profiles()?;
    let offset = |cmp, amount, unit| TimeCondition::Offset {
        cmp,
        amount,
        unit,
        direction: Direction::Before,
        reference: TimeRef::Word(TimeWord::Now),
    };
    let last_hour = occurs(birth(), offset(Comparison::LtEq, 1, TimeUnit::Hour));
    let decade_ago = occurs(birth(), offset(Comparison::Gt, 10, TimeUnit::Year));
    let twenty_nine_years = occurs(birth(), offset(Comparison::Eq, 29, TimeUnit::Year));
    assert_eq!(mask_of(last_hour, &batch)?, [F, F, F, T, F]);
    assert_eq!(mask_of(decade_ago, &batch)?, [T, F, T, F, F]);
    assert_eq!(mask_of(twenty_nine_years, &batch)?, [T, F, F, F, F]);
    Ok(())
}

#[test]
fn occurs_invalid_day_matches_nothing() -> TestResult {
    let batch = profiles()?;
    let invalid = occurs(birth(), TimeCondition::On(day(2019, 2, 29)));
    let before_invalid = occurs(
        birth(),
        TimeCondition::Direction {
            direction: Direction::Before,
            reference: day(2019, 2, 29),
        },
    );
    assert_eq!(mask_of(invalid, &batch)?, [F; 5]);
    assert_eq!(mask_of(before_invalid, &batch)?, [F; 5]);
    Ok(())
}

#[test]
fn occurs_null_subject_is_false() -> TestResult {
    let batch = profiles()?;
    let before_now = || {
        occurs(
            birth(),
            TimeCondition::Direction {
                direction: Direction::Before,
                reference: TimeRef::Word(TimeWord::Now),
            },
        )
    };
    assert_eq!(mask_of(before_now(), &batch)?, [T, F, T, T, F]);
    assert_eq!(mask_of(not(before_now()), &batch)?, [F, T, F, F, T]);
    Ok(())
}

#[test]
fn occurs_literal_instant() -> TestResult {
    let batch = profiles()?;
    let y2k = instant(literal(Scalar::Timestamp(at("2000-01-01T00:00:00Z"))));
    let on = occurs(birth(), TimeCondition::On(y2k));
    let null_reference = occurs(birth(), TimeCondition::On(instant(literal(Scalar::Null))));
    assert_eq!(mask_of(on, &batch)?, [F, F, T, F, F]);
    assert_eq!(mask_of(null_reference, &batch)?, [F; 5]);
    Ok(())
}

#[test]
fn occurs_per_row_instant() -> TestResult {
    let batch = profiles()?;
    let on_itself = occurs(birth(), TimeCondition::On(instant(birth())));
    let between = occurs(
        birth(),
        TimeCondition::Between(day(1995, 1, 1), instant(birth())),
    );
    assert_eq!(mask_of(on_itself, &batch)?, [T, F, T, T, F]);
    assert_eq!(mask_of(between, &batch)?, [F, F, T, T, F]);
    Ok(())
}

#[test]
fn occurs_event_after_profile_instant() -> TestResult {
    let batch = profiles()?;
    let after_birth = TimeCondition::Direction {
        direction: Direction::After,
        reference: instant(birth()),
    };
    let filter = occurs(column(1, "timestamp", DataType::Timestamp), after_birth);
    let count = value_of(
        aggregate(events(0), vec![filter], ListFunction::Count),
        &batch,
    )?;
    assert_eq!(ints(&count), [Some(3), Some(0), Some(0), Some(0), Some(0)]);
    Ok(())
}

#[test]
fn occurs_offset_from_event_window() -> TestResult {
    let batch = profiles()?;
    let within_two_days = TimeCondition::Offset {
        cmp: Comparison::LtEq,
        amount: 2,
        unit: TimeUnit::Day,
        direction: Direction::From,
        reference: TimeRef::Word(TimeWord::Today),
    };
    let filter = occurs(column(1, "timestamp", DataType::Timestamp), within_two_days);
    let count = value_of(
        aggregate(events(0), vec![filter], ListFunction::Count),
        &batch,
    )?;
    assert_eq!(ints(&count), [Some(2), Some(0), Some(0), Some(0), Some(0)]);
    Ok(())
}
