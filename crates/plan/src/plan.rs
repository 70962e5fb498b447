//! The typed plan: what both evaluators run.
//!
//! # Scopes
//!
//! A plan node is evaluated in a scope. Scope 0 is the profile row. A list node (`xEvent`,
//! `E.productListItems`, ...) opens a child scope whose rows are the list's elements: inside
//! `xEvent[cond]`, `cond` is evaluated in scope 1 once per event; inside
//! `xEvent[productListItems[cond]]`, the inner `cond` is in scope 2 once per item. A
//! [`NodeKind::Column`] names the scope it reads from, which may be any enclosing scope, so
//! `^^.person.gender` inside an item filter reads scope 0.
//!
//! # Nulls
//!
//! Nodes whose type is [`DataType::Bool`] and whose kind is a predicate (every kind except
//! `Literal`, `Column`, `Arithmetic`, `Negate`, `Cast` and the value aggregates) never yield
//! null: a predicate with a null or missing operand is false. `And`, `Or` and `Not` only
//! take predicates; the binder wraps any other boolean-position value in [`NodeKind::Truthy`].
//! Value nodes (`Column`, `Arithmetic`, aggregates) may be null.

use regex::Regex;
use seg_pql::Span;
use seg_pql::ast::{Comparison, Direction, TimeUnit, TimeWord};

use crate::types::{DataType, Scalar};

/// A compiled segment definition.
#[derive(Clone, Debug)]
pub struct SegmentPlan {
    /// The boolean predicate over one profile (scope 0).
    pub root: Node,
    /// Segment ids read through `inSegment`, in order of first use, without duplicates.
    pub dependencies: Vec<String>,
}

/// A typed plan node.
#[derive(Clone, Debug)]
pub struct Node {
    /// The operation of the node.
    pub kind: NodeKind,
    /// The type of its value.
    pub data_type: DataType,
    /// The source text it was bound from.
    pub span: Span,
}

/// The kinds of plan nodes.
#[derive(Clone, Debug)]
pub enum NodeKind {
    /// A constant.
    Literal(Scalar),
    /// Reads `path` (struct field names, possibly empty) from the current row of scope `scope`.
    /// A missing struct along the way gives null. An empty path reads the row itself, which is
    /// how a comprehension variable over a list of scalars is read.
    Column {
        /// The scope read from: 0 is the profile.
        scope: usize,
        /// Field names from the scope's row down to the value.
        path: Vec<String>,
    },
    /// Logical negation of a predicate.
    Not(Box<Node>),
    /// Conjunction of predicates; true for no operands.
    And(Vec<Node>),
    /// Disjunction of predicates; false for no operands.
    Or(Vec<Node>),
    /// A comparison of two values of one type (`Int`, `Double`, `String`, `Bool` or
    /// `Timestamp`; the binder casts mixed numbers to `Double`). False when either is null.
    Compare {
        /// The comparison.
        op: Comparison,
        /// Left operand.
        lhs: Box<Node>,
        /// Right operand.
        rhs: Box<Node>,
    },
    /// `value in [list]` or `value notIn [list]`. The list contains constants of the value's type.
    /// Both forms are false when the value is null.
    InList {
        /// The tested value.
        value: Box<Node>,
        /// The constants, already coerced to the value's type, without nulls.
        list: Vec<Scalar>,
        /// True for `notIn`.
        negated: bool,
    },
    /// Arithmetic on two numbers of one type. Null when either operand is null, when dividing
    /// or taking the remainder by zero, and on integer overflow. `/` is only planned on `Double`.
    Arithmetic {
        /// The operator.
        op: ArithmeticOp,
        /// Left operand.
        lhs: Box<Node>,
        /// Right operand.
        rhs: Box<Node>,
    },
    /// Numeric negation; null on null and on integer overflow.
    Negate(Box<Node>),
    /// Converts an `Int` value to `Double`.
    ToDouble(Box<Node>),
    /// `isNull()` (or `isNotNull()` when `negated`): whether the value is missing or null.
    IsNull {
        /// The tested value.
        value: Box<Node>,
        /// True for `isNotNull`.
        negated: bool,
    },
    /// A value at a boolean position: a boolean is itself (null is false), a list is true when
    /// non-empty, any other value is true when not null.
    Truthy(Box<Node>),
    /// A string predicate. True only when the value is not null and the relation holds for at
    /// least one pattern; with `negated`, true only when the value is not null and the relation
    /// holds for no pattern.
    StringTest {
        /// The relation.
        op: StringOp,
        /// The tested string.
        value: Box<Node>,
        /// The constant right-hand strings; more than one only for multi-value `equals`.
        patterns: Vec<String>,
        /// False compares with Unicode lowercase on both sides.
        case_sensitive: bool,
        /// True for `notEqualTo`, `doesNotContain`, `doesNotStartWith`, `doesNotEndWith`.
        negated: bool,
    },
    /// `like` and `matches`: a regular expression test, false on null. `like` patterns are
    /// translated to an anchored expression at bind time.
    Regex {
        /// The tested string.
        value: Box<Node>,
        /// The compiled expression, with find (unanchored) semantics.
        regex: Regex,
        /// The pattern as written in the definition, for plans and messages.
        source: String,
    },
    /// `subject occurs <condition>`; false when the subject is null.
    Occurs {
        /// A timestamp value.
        subject: Box<Node>,
        /// The time condition.
        condition: TimeCondition,
    },
    /// An aggregate over the elements of a list: the list is evaluated in the current scope,
    /// `filters` and the function's expression in the child scope (current scope + 1).
    ListAggregate {
        /// A node of list type in the current scope. A null list has no elements.
        list: Box<Node>,
        /// Element predicates, all of which an element must satisfy to be aggregated.
        filters: Vec<Node>,
        /// The function computed over the remaining elements.
        function: ListFunction,
    },
    /// An ordered sequence of events, see [`ChainPlan`].
    Chain(Box<ChainPlan>),
    /// `inSegment("id")`: whether the profile qualifies for another segment of the same job.
    InSegment(String),
}

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithmeticOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`, with the sign of the dividend.
    Rem,
}

/// String relations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringOp {
    /// Whole-string equality.
    Equals,
    /// Substring.
    Contains,
    /// Prefix.
    StartsWith,
    /// Suffix.
    EndsWith,
}

/// The function a [`NodeKind::ListAggregate`] computes over the filtered elements.
#[derive(Clone, Debug)]
pub enum ListFunction {
    /// True when at least one element remains; a predicate.
    Exists,
    /// True when every remaining element satisfies the predicate (true when none remain).
    Forall(Box<Node>),
    /// The number of elements, as `Int`; never null.
    Count,
    /// The sum of the non-null values; 0 when there are none; `Int` overflow gives null.
    Sum(Box<Node>),
    /// The mean of the non-null values as `Double`; null when there are none.
    Average(Box<Node>),
    /// The smallest non-null value; null when there are none.
    Min(Box<Node>),
    /// The largest non-null value; null when there are none.
    Max(Box<Node>),
    /// `distinct().count()`: the number of distinct non-null values, as `Int`; never null.
    /// Values are distinct when `=` is false between them.
    CountDistinct(Box<Node>),
    /// `head()`: the value of the first remaining element, in list order; null when none
    /// remain or when that value is null.
    First(Box<Node>),
}

/// A compiled `chain(list, orderField, [steps])`.
///
/// Steps match distinct events in strictly increasing order of the ordering timestamp. A step
/// with count n is satisfied once n distinct events satisfy it (events with equal timestamps each
/// count), and the next step must match strictly after the n-th of them. Events whose ordering
/// timestamp is null never match. The chain holds when every step holds.
#[derive(Clone, Debug)]
pub struct ChainPlan {
    /// The event list, in the current scope.
    pub list: Node,
    /// The path of the ordering timestamp inside an event.
    pub order_path: Vec<String>,
    /// The steps in order; at least one.
    pub steps: Vec<ChainStepPlan>,
}

/// One compiled chain step; its predicates are evaluated in the event scope.
#[derive(Clone, Debug)]
pub struct ChainStepPlan {
    /// The step label as written.
    pub label: String,
    /// The combined `WHAT`, `WHEN` (as an `Occurs` on the ordering field) and `WHERE` predicate.
    pub condition: Node,
    /// How many distinct matching events the step needs; at least 1.
    pub count: u64,
}

/// A compiled `occurs` tail.
#[derive(Clone, Debug)]
pub enum TimeCondition {
    /// `occurs <cmp> <amount> <unit> <direction> <reference>`.
    Offset {
        /// The comparison of the distance with `amount` units.
        cmp: Comparison,
        /// Number of units.
        amount: u64,
        /// The unit.
        unit: TimeUnit,
        /// The side of the reference.
        direction: Direction,
        /// The reference.
        reference: TimeRef,
    },
    /// `occurs before <reference>` or `occurs after <reference>`.
    Direction {
        /// `Before` or `After`.
        direction: Direction,
        /// The reference.
        reference: TimeRef,
    },
    /// `occurs [on] <reference>`.
    On(TimeRef),
    /// `occurs between <start> and <end>`.
    Between(TimeRef, TimeRef),
}

/// A time reference of an `occurs` condition.
#[derive(Clone, Debug)]
pub enum TimeRef {
    /// A relative time word, resolved from the evaluation time.
    Word(TimeWord),
    /// `date(y, m, d)` with constant arguments: that UTC day.
    Day {
        /// The year.
        year: i16,
        /// The month, 1 to 12.
        month: i8,
        /// The day of the month, valid for the month.
        day: i8,
    },
    /// A timestamp-valued node, read per row: the instant itself.
    Instant(Box<Node>),
}
