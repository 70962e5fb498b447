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
    /// `if(condition, then, otherwise)`: `then` where the predicate holds, else `otherwise`.
    /// Both branches have the node's type; a null condition picks `otherwise`.
    If {
        /// A predicate.
        condition: Box<Node>,
        /// The value where the condition holds.
        then: Box<Node>,
        /// The value elsewhere.
        otherwise: Box<Node>,
    },
    /// A time word as a timestamp: `now` is the evaluation instant, every other word the first
    /// instant of its interval (`today` is today's UTC midnight). Null when the interval falls
    /// outside the supported calendar.
    TimeValue(TimeWord),
    /// A calendar field of a timestamp in UTC, as `Int`; null on null.
    DatePart {
        /// The field.
        part: DatePart,
        /// A timestamp value.
        value: Box<Node>,
    },
    /// `date(year, month, day)` with computed integer arguments: that day's UTC midnight. Null
    /// when an argument is null or the three do not name a calendar day.
    MakeDate {
        /// The year.
        year: Box<Node>,
        /// The month, 1 to 12.
        month: Box<Node>,
        /// The day of the month.
        day: Box<Node>,
    },
    /// `regexGroup`: the text of capture group `group` in the first match; null when the
    /// value is null, nothing matches, or the group takes no part in the match.
    RegexGroup {
        /// The searched string.
        value: Box<Node>,
        /// The compiled expression.
        regex: Regex,
        /// The pattern as written.
        source: String,
        /// The group index; 0 is the whole match.
        group: usize,
    },
    /// The value of a map entry; null when the map or key is null or the key is absent.
    MapGet {
        /// A map value.
        map: Box<Node>,
        /// A string key.
        key: Box<Node>,
    },
    /// The keys, values or entries of a map as a list, in stored order; null on a null map.
    MapList {
        /// A map value.
        map: Box<Node>,
        /// Which part of each entry the list holds.
        part: MapPart,
    },
    /// A list of `{key, value}` objects turned into a map, as `mapEntry` results are. A null
    /// list gives a null map, and entries with a null key are left out.
    ToMap(Box<Node>),
    /// An object literal: a struct with these fields, never null.
    Object(Vec<(String, Node)>),
    /// Reads field `name` of a computed object; null when the object is null.
    Field {
        /// A struct value.
        value: Box<Node>,
        /// The field name.
        name: String,
    },
    /// The elements of a list that pass `filters`, each replaced by the value of `element`
    /// evaluated in the child scope, in list order: `filter`, `map` and `select`. A null list
    /// gives a null list.
    ListMap {
        /// A node of list type in the current scope.
        list: Box<Node>,
        /// Element predicates, all of which an element must satisfy to be kept.
        filters: Vec<Node>,
        /// The value each kept element becomes.
        element: Box<Node>,
    },
    /// `topN` and `bottomN`: the `count` elements with the largest (`descending`) or smallest
    /// `key`, in that order; ties keep list order, and elements whose key is null are left
    /// out. A null list gives a null list.
    ListTop {
        /// A node of list type in the current scope.
        list: Box<Node>,
        /// Element predicates applied before sorting.
        filters: Vec<Node>,
        /// The sort key, evaluated in the child scope; numbers, strings or timestamps.
        key: Box<Node>,
        /// How many elements to keep at most.
        count: u64,
        /// True for `topN` (largest first).
        descending: bool,
    },
    /// `distinct()`: the distinct non-null elements of a list of scalars, in order of first
    /// occurrence; equality is that of `=`. A null list gives a null list.
    Distinct(Box<Node>),
    /// `groupBy`: a map from each distinct non-null key (as text) to the list of elements with
    /// that key, keys in order of first occurrence. A null list gives a null map.
    GroupBy {
        /// A node of list type in the current scope.
        list: Box<Node>,
        /// Element predicates applied before grouping.
        filters: Vec<Node>,
        /// The group key, a string evaluated in the child scope.
        key: Box<Node>,
    },
    /// The elements of a list of lists, concatenated in order; a null inner list adds no
    /// elements, and a null outer list gives a null list.
    Flatten(Box<Node>),
    /// An array literal: a list of the element values, never null.
    Array(Vec<Node>),
    /// Whole-list equality: true when both lists are not null, have the same length and their
    /// elements are pairwise equal under `=` (so a null element equals nothing). With
    /// `negated`, true when both are not null and they differ.
    ListEquals {
        /// A list of scalars.
        lhs: Box<Node>,
        /// A list of the same element type.
        rhs: Box<Node>,
        /// True for `!=`.
        negated: bool,
    },
}

/// A calendar field of a timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatePart {
    /// The year.
    Year,
    /// The month, 1 to 12.
    Month,
    /// The day of the month, 1 to 31.
    DayOfMonth,
}

/// The part of each map entry that [`NodeKind::MapList`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapPart {
    /// The keys, as strings.
    Keys,
    /// The values.
    Values,
    /// `{key, value}` objects.
    Entries,
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
    /// A timestamp-valued node, read per row: the UTC day that contains it, as `date(...)`
    /// with computed arguments is.
    DayOf(Box<Node>),
}
