//! Random well-typed plans over one profile shape, built directly as `Node` trees.
//!
//! Plans are generated per scope context: the kinds of the rows of every open scope, the
//! profile first. A list aggregate or chain over any list column of any open scope opens one
//! more scope, up to [`MAX_SCOPES`].

use std::cell::RefCell;
use std::collections::HashMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use regex::Regex;
use seg_plan::{
    ArithmeticOp, ChainPlan, ChainStepPlan, DataType, DatePart, ListFunction, Node, NodeKind, Scalar, StringOp, TimeCondition,
    TimeRef,
};
use seg_pql::Span;
use seg_pql::ast::{Comparison, Direction, TimeUnit, TimeWord};

use super::profiles::{double_strategy, int_strategy, string_strategy, timestamp_near};
use super::schema::Kind;

/// The maximum number of scopes open at once, the profile included: enough for events and
/// their items.
const MAX_SCOPES: usize = 3;

/// The prefix of the placeholder ids that [`resolve_segment_refs`] replaces.
const SEGMENT_PLACEHOLDER: &str = "#";

/// Patterns of the `Regex` nodes.
const REGEX_PATTERNS: [&str; 8] = ["^a", "b.*c", "(?i)ab", "c$", "^$", "é|É", "(?i)σ", "^[A-C]{2}"];

const COMPARISONS: [Comparison; 6] =
    [Comparison::Eq, Comparison::NotEq, Comparison::Lt, Comparison::LtEq, Comparison::Gt, Comparison::GtEq];

/// The type of a generated node: a predicate, or a value of one scalar type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Ty {
    Predicate,
    Bool,
    Int,
    Double,
    String,
    Timestamp,
}

impl Ty {
    fn kind(self) -> Option<Kind> {
        match self {
            Ty::Predicate => None,
            Ty::Bool => Some(Kind::Bool),
            Ty::Int => Some(Kind::Int),
            Ty::Double => Some(Kind::Double),
            Ty::String => Some(Kind::String),
            Ty::Timestamp => Some(Kind::Timestamp),
        }
    }

    fn data_type(self) -> DataType {
        self.kind().map_or(DataType::Bool, |kind| kind.data_type())
    }
}

/// Whether a generated value may be a constant ([`PlanGenerator::value`]) or must read the
/// profile where it can ([`PlanGenerator::operand`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Role {
    Value,
    Operand,
}

const VALUE_TYPES: [Ty; 5] = [Ty::Bool, Ty::Int, Ty::Double, Ty::String, Ty::Timestamp];

/// The scope context, the generated type and role, and the depth of a memoized strategy.
type MemoKey = (Vec<Kind>, (Ty, Role), u32);

/// Builds plan strategies for one profile shape and evaluation time, memoized per scope
/// context, type and depth so that each is built once per case.
pub struct PlanGenerator {
    now: i64,
    memo: RefCell<HashMap<MemoKey, BoxedStrategy<Node>>>,
}

pub fn node(kind: NodeKind, data_type: DataType) -> Node {
    Node { kind, data_type, span: Span::default() }
}

fn boxed(node: Node) -> Box<Node> {
    Box::new(node)
}

fn union(options: Vec<(u32, BoxedStrategy<Node>)>) -> BoxedStrategy<Node> {
    Union::new_weighted(options).boxed()
}

fn column(scope: usize, path: Vec<String>, kind: &Kind) -> Node {
    node(NodeKind::Column { scope, path }, kind.data_type())
}

/// Lists every path below a row of `kind` through struct fields, the empty path first.
fn paths(kind: &Kind) -> Vec<(Vec<String>, Kind)> {
    let mut found = vec![(Vec::new(), kind.clone())];
    if let Kind::Struct(fields) = kind {
        for (name, field_kind) in fields {
            for (mut path, leaf) in paths(field_kind) {
                path.insert(0, name.clone());
                found.push((path, leaf));
            }
        }
    }
    found
}

/// Lists the columns readable in a scope context, except the whole profile row.
fn columns(scopes: &[Kind]) -> Vec<(Node, Kind)> {
    let mut found = Vec::new();
    for (scope, row) in scopes.iter().enumerate() {
        for (path, kind) in paths(row) {
            if scope == 0 && path.is_empty() {
                continue;
            }
            found.push((column(scope, path, &kind), kind));
        }
    }
    found
}

fn columns_of(scopes: &[Kind], column_kind: &Kind) -> Vec<Node> {
    columns(scopes).into_iter().filter(|(_, kind)| kind == column_kind).map(|(node, _)| node).collect()
}

/// Lists the list columns of a scope context with their element kinds.
fn list_columns(scopes: &[Kind]) -> Vec<(Node, Kind)> {
    let mut found = Vec::new();
    for (node, kind) in columns(scopes) {
        if let Kind::List(element) = kind {
            found.push((node, *element));
        }
    }
    found
}

fn child_scopes(scopes: &[Kind], element: &Kind) -> Vec<Kind> {
    let mut child = scopes.to_vec();
    child.push(element.clone());
    child
}

fn scalar_strategy(ty: Ty, now: i64) -> BoxedStrategy<Scalar> {
    match ty {
        Ty::Predicate | Ty::Bool => any::<bool>().prop_map(Scalar::Bool).boxed(),
        Ty::Int => int_strategy().prop_map(Scalar::Int).boxed(),
        Ty::Double => double_strategy().prop_map(Scalar::Double).boxed(),
        Ty::String => string_strategy(3).prop_map(Scalar::String).boxed(),
        Ty::Timestamp => timestamp_near(now).prop_map(Scalar::Timestamp).boxed(),
    }
}

fn literal_strategy(ty: Ty, now: i64) -> BoxedStrategy<Node> {
    scalar_strategy(ty, now).prop_map(move |scalar| node(NodeKind::Literal(scalar), ty.data_type())).boxed()
}

impl PlanGenerator {
    pub fn new(now: i64) -> PlanGenerator {
        PlanGenerator { now, memo: RefCell::new(HashMap::new()) }
    }

    /// Returns the strategy of segment roots over a profile of `shape`.
    pub fn segment_root(&self, shape: &Kind, depth: u32) -> BoxedStrategy<Node> {
        self.predicate(std::slice::from_ref(shape), depth)
    }

    fn memoized(
        &self,
        scopes: &[Kind],
        ty: (Ty, Role),
        depth: u32,
        build: impl FnOnce() -> BoxedStrategy<Node>,
    ) -> BoxedStrategy<Node> {
        let key = (scopes.to_vec(), ty, depth);
        if let Some(strategy) = self.memo.borrow().get(&key) {
            return strategy.clone();
        }
        let strategy = build();
        self.memo.borrow_mut().insert(key, strategy.clone());
        strategy
    }

    /// Generates predicates, nesting operators and aggregates up to `depth` levels.
    fn predicate(&self, scopes: &[Kind], depth: u32) -> BoxedStrategy<Node> {
        self.memoized(scopes, (Ty::Predicate, Role::Operand), depth, || self.build_predicate(scopes, depth))
    }

    /// Generates values of `ty`, nesting arithmetic and aggregates up to `depth` levels: one
    /// time in five a constant, otherwise an [`operand`](Self::operand).
    fn value(&self, scopes: &[Kind], ty: Ty, depth: u32) -> BoxedStrategy<Node> {
        self.memoized(scopes, (ty, Role::Value), depth, || {
            union(vec![(1, literal_strategy(ty, self.now)), (4, self.operand(scopes, ty, depth))])
        })
    }

    /// Generates values of `ty` that read the profile: columns, and at `depth` above 0
    /// arithmetic and aggregates. Falls back to constants when the context has nothing to read.
    fn operand(&self, scopes: &[Kind], ty: Ty, depth: u32) -> BoxedStrategy<Node> {
        self.memoized(scopes, (ty, Role::Operand), depth, || self.build_operand(scopes, ty, depth))
    }

    fn build_operand(&self, scopes: &[Kind], ty: Ty, depth: u32) -> BoxedStrategy<Node> {
        let mut options = self.column_options(scopes, ty);

        if ty == Ty::Double {
            let integer = self.operand(scopes, Ty::Int, depth.saturating_sub(1));
            let to_double = integer.prop_map(|value| node(NodeKind::ToDouble(boxed(value)), DataType::Double));
            options.push((2, to_double.boxed()));
        }

        if depth > 0 {
            options.extend(self.arithmetic_options(scopes, ty, depth));
            options.extend(self.computed_options(scopes, ty, depth));
            if let Some(aggregate) = self.aggregate_value(scopes, ty, depth) {
                options.push((3, aggregate));
            }
        }

        if options.is_empty() {
            return literal_strategy(ty, self.now);
        }
        union(options)
    }

    /// Returns weighted choices among the columns of type `ty`. Columns of the innermost scope
    /// weigh more, so that aggregates and chain steps mostly read their elements rather than
    /// the profile.
    fn column_options(&self, scopes: &[Kind], ty: Ty) -> Vec<(u32, BoxedStrategy<Node>)> {
        let readable = ty.kind().map(|kind| columns_of(scopes, &kind)).unwrap_or_default();
        let innermost = scopes.len() - 1;
        let (inner, outer): (Vec<Node>, Vec<Node>) = readable
            .into_iter()
            .partition(|column| matches!(column.kind, NodeKind::Column { scope, .. } if scope == innermost));

        let mut options = Vec::new();
        let outer_weight = if inner.is_empty() { 6 } else { 2 };
        if !inner.is_empty() {
            options.push((6, select(inner).boxed()));
        }
        if !outer.is_empty() {
            options.push((outer_weight, select(outer).boxed()));
        }
        options
    }

    /// Returns weighted choices of arithmetic and negation on `Int` or `Double` operands, with
    /// at least one operand that reads the profile.
    fn arithmetic_options(&self, scopes: &[Kind], ty: Ty, depth: u32) -> Vec<(u32, BoxedStrategy<Node>)> {
        let operators = match ty {
            Ty::Int => vec![ArithmeticOp::Add, ArithmeticOp::Sub, ArithmeticOp::Mul, ArithmeticOp::Rem],
            Ty::Double => {
                vec![ArithmeticOp::Add, ArithmeticOp::Sub, ArithmeticOp::Mul, ArithmeticOp::Div, ArithmeticOp::Rem]
            }
            _ => return Vec::new(),
        };

        let operand = self.operand(scopes, ty, depth - 1);
        let other = self.value(scopes, ty, depth - 1);
        let arithmetic = (select(operators), operand.clone(), other, any::<bool>()).prop_map(
            move |(op, operand, other, operand_first)| {
                let (lhs, rhs) = if operand_first { (operand, other) } else { (other, operand) };
                node(NodeKind::Arithmetic { op, lhs: boxed(lhs), rhs: boxed(rhs) }, ty.data_type())
            },
        );
        let negate = operand.prop_map(move |value| node(NodeKind::Negate(boxed(value)), ty.data_type()));
        vec![(3, arithmetic.boxed()), (1, negate.boxed())]
    }

    /// Returns weighted choices of computed values of type `ty`: `if`, a field of an object
    /// literal, and for dates the time words, date parts and computed dates.
    fn computed_options(&self, scopes: &[Kind], ty: Ty, depth: u32) -> Vec<(u32, BoxedStrategy<Node>)> {
        let sub = depth - 1;
        let branches = (self.predicate(scopes, sub), self.operand(scopes, ty, sub), self.value(scopes, ty, sub));
        let choice = branches.prop_map(move |(condition, then, otherwise)| {
            let kind = NodeKind::If { condition: boxed(condition), then: boxed(then), otherwise: boxed(otherwise) };
            node(kind, ty.data_type())
        });
        let object = (self.operand(scopes, ty, sub), literal_strategy(Ty::Int, self.now)).prop_map(move |(value, other)| {
            let fields = vec![("v".to_string(), value), ("w".to_string(), other)];
            let types = fields
                .iter()
                .map(|(name, value)| seg_plan::FieldType { name: name.clone(), data_type: value.data_type.clone() })
                .collect();
            let object = node(NodeKind::Object(fields), DataType::Struct(types));
            node(NodeKind::Field { value: boxed(object), name: "v".to_string() }, ty.data_type())
        });
        let mut options = vec![(1, choice.boxed()), (1, object.boxed())];
        let timestamp = || self.operand(scopes, Ty::Timestamp, sub);
        match ty {
            Ty::Int => {
                let part = select(vec![DatePart::Year, DatePart::Month, DatePart::DayOfMonth]);
                let date_part = (part, timestamp())
                    .prop_map(|(part, value)| node(NodeKind::DatePart { part, value: boxed(value) }, DataType::Int));
                options.push((1, date_part.boxed()));
            }
            Ty::Timestamp => {
                let word = word_strategy().prop_map(|word| node(NodeKind::TimeValue(word), DataType::Timestamp));
                let year = timestamp()
                    .prop_map(|value| node(NodeKind::DatePart { part: DatePart::Year, value: boxed(value) }, DataType::Int));
                let month = prop_oneof![3 => (1i64..=12).prop_map(Scalar::Int), 1 => int_strategy().prop_map(Scalar::Int)];
                let day = prop_oneof![3 => (1i64..=31).prop_map(Scalar::Int), 1 => int_strategy().prop_map(Scalar::Int)];
                let date = (year, month, day).prop_map(|(year, month, day)| {
                    let literal = |scalar| node(NodeKind::Literal(scalar), DataType::Int);
                    let kind = NodeKind::MakeDate { year: boxed(year), month: boxed(literal(month)), day: boxed(literal(day)) };
                    node(kind, DataType::Timestamp)
                });
                options.push((1, word.boxed()));
                options.push((1, date.boxed()));
            }
            _ => {}
        }
        options
    }

    /// Generates the lists an aggregate may run over: the list column itself, or a list built
    /// from it by `filter`, `topN`/`bottomN` or `distinct`, which keep the element kind.
    fn list_source(&self, list: &Node, element: &Kind, scopes: &[Kind], depth: u32) -> BoxedStrategy<Node> {
        let child = child_scopes(scopes, element);
        let data_type = list.data_type.clone();
        let identity = column(scopes.len(), Vec::new(), element);
        let mut options = vec![(4, Just(list.clone()).boxed())];

        let filters = proptest::collection::vec(self.predicate(&child, depth), 1..=2);
        let (base, list_type) = (list.clone(), data_type.clone());
        let filtered = filters.prop_map(move |filters| {
            let kind = NodeKind::ListMap { list: boxed(base.clone()), filters, element: boxed(identity.clone()) };
            node(kind, list_type.clone())
        });
        options.push((1, filtered.boxed()));

        for key_type in [Ty::Int, Ty::Double, Ty::String, Ty::Timestamp] {
            let (base, list_type) = (list.clone(), data_type.clone());
            let top = (self.operand(&child, key_type, depth), 0u64..=3, any::<bool>()).prop_map(move |(key, count, descending)| {
                let kind = NodeKind::ListTop { list: boxed(base.clone()), filters: Vec::new(), key: boxed(key), count, descending };
                node(kind, list_type.clone())
            });
            options.push((1, top.boxed()));
        }

        if matches!(element, Kind::Bool | Kind::Int | Kind::Double | Kind::String | Kind::Timestamp) {
            options.push((1, Just(node(NodeKind::Distinct(boxed(list.clone())), data_type)).boxed()));
        }
        union(options)
    }

    /// Generates value aggregates of type `ty` over the list columns of the context, or
    /// returns `None` when no list can be opened.
    fn aggregate_value(&self, scopes: &[Kind], ty: Ty, depth: u32) -> Option<BoxedStrategy<Node>> {
        let mut per_list = Vec::new();
        for (list, element) in self.openable_lists(scopes) {
            let child = child_scopes(scopes, &element);
            let sub = depth - 1;
            let function = |wrap: fn(Box<Node>) -> ListFunction, input: Ty| {
                self.operand(&child, input, sub).prop_map(move |expression| wrap(boxed(expression))).boxed()
            };
            let functions: Vec<(u32, BoxedStrategy<ListFunction>)> = match ty {
                Ty::Int => vec![
                    (2, Just(ListFunction::Count).boxed()),
                    (2, function(ListFunction::Sum, Ty::Int)),
                    (1, function(ListFunction::Min, Ty::Int)),
                    (1, function(ListFunction::Max, Ty::Int)),
                    (1, function(ListFunction::First, Ty::Int)),
                    (1, function(ListFunction::CountDistinct, Ty::Int)),
                    (1, function(ListFunction::CountDistinct, Ty::Double)),
                    (1, function(ListFunction::CountDistinct, Ty::String)),
                    (1, function(ListFunction::CountDistinct, Ty::Timestamp)),
                    (1, function(ListFunction::CountDistinct, Ty::Bool)),
                ],
                Ty::Double => vec![
                    (2, function(ListFunction::Sum, Ty::Double)),
                    (1, function(ListFunction::Average, Ty::Int)),
                    (1, function(ListFunction::Average, Ty::Double)),
                    (1, function(ListFunction::Min, Ty::Double)),
                    (1, function(ListFunction::Max, Ty::Double)),
                    (1, function(ListFunction::First, Ty::Double)),
                ],
                Ty::String | Ty::Timestamp => {
                    vec![
                        (1, function(ListFunction::Min, ty)),
                        (1, function(ListFunction::Max, ty)),
                        (1, function(ListFunction::First, ty)),
                    ]
                }
                Ty::Predicate | Ty::Bool => return None,
            };
            let filters = proptest::collection::vec(self.predicate(&child, sub), 0..=2);
            let source = self.list_source(&list, &element, scopes, sub);
            let strategy = (Union::new_weighted(functions), filters, source).prop_map(move |(function, filters, list)| {
                let kind = NodeKind::ListAggregate { list: boxed(list), filters, function };
                node(kind, ty.data_type())
            });
            per_list.push((1, strategy.boxed()));
        }
        (!per_list.is_empty()).then(|| union(per_list))
    }

    /// Lists the list columns that may open a scope in this context.
    fn openable_lists(&self, scopes: &[Kind]) -> Vec<(Node, Kind)> {
        if scopes.len() >= MAX_SCOPES { Vec::new() } else { list_columns(scopes) }
    }

    fn build_predicate(&self, scopes: &[Kind], depth: u32) -> BoxedStrategy<Node> {
        let sub = depth.saturating_sub(1);
        let mut options = vec![
            (6, self.comparison(scopes, sub)),
            (2, self.in_list(scopes, sub)),
            (2, self.is_null(scopes, sub)),
            (2, self.truthy(scopes, sub)),
            (3, self.string_test(scopes, sub)),
            (1, self.regex(scopes, sub)),
            (3, self.occurs(scopes, sub)),
            (1, (0u8..6).prop_map(segment_placeholder).boxed()),
        ];
        if depth > 0 {
            let operand = self.predicate(scopes, sub);
            let not = operand.clone().prop_map(|operand| node(NodeKind::Not(boxed(operand)), DataType::Bool));
            let and = proptest::collection::vec(operand.clone(), 0..=3)
                .prop_map(|operands| node(NodeKind::And(operands), DataType::Bool));
            let or = proptest::collection::vec(operand, 0..=3)
                .prop_map(|operands| node(NodeKind::Or(operands), DataType::Bool));
            options.extend([(2, not.boxed()), (2, and.boxed()), (2, or.boxed())]);
            if let Some(aggregate) = self.aggregate_predicate(scopes, depth) {
                options.push((4, aggregate));
            }
            if let Some(compared) = self.compared_aggregate(scopes, depth) {
                options.push((3, compared));
            }
            if let Some(chain) = self.chain(scopes, depth) {
                options.push((2, chain));
            }
        }
        union(options)
    }

    fn comparison(&self, scopes: &[Kind], depth: u32) -> BoxedStrategy<Node> {
        let per_type = VALUE_TYPES
            .iter()
            .map(|&ty| {
                let operand = self.operand(scopes, ty, depth);
                let other = self.value(scopes, ty, depth);
                let strategy = (select(COMPARISONS.to_vec()), operand, other, any::<bool>()).prop_map(
                    |(op, operand, other, operand_first)| {
                        let (lhs, rhs) = if operand_first { (operand, other) } else { (other, operand) };
                        node(NodeKind::Compare { op, lhs: boxed(lhs), rhs: boxed(rhs) }, DataType::Bool)
                    },
                );
                (1, strategy.boxed())
            })
            .collect();
        union(per_type)
    }

    /// Generates comparisons of an aggregate with a constant, the usual shape of
    /// `xEvent[...].count() > 3`.
    fn compared_aggregate(&self, scopes: &[Kind], depth: u32) -> Option<BoxedStrategy<Node>> {
        let mut per_type = Vec::new();
        for ty in [Ty::Int, Ty::Double, Ty::String, Ty::Timestamp] {
            let Some(aggregate) = self.aggregate_value(scopes, ty, depth) else { continue };
            let strategy =
                (select(COMPARISONS.to_vec()), aggregate, literal_strategy(ty, self.now)).prop_map(|(op, lhs, rhs)| {
                    node(NodeKind::Compare { op, lhs: boxed(lhs), rhs: boxed(rhs) }, DataType::Bool)
                });
            per_type.push((1, strategy.boxed()));
        }
        (!per_type.is_empty()).then(|| union(per_type))
    }

    fn in_list(&self, scopes: &[Kind], depth: u32) -> BoxedStrategy<Node> {
        let per_type = VALUE_TYPES
            .iter()
            .map(|&ty| {
                let constants = proptest::collection::vec(scalar_strategy(ty, self.now), 0..=4);
                let strategy =
                    (self.operand(scopes, ty, depth), constants, any::<bool>()).prop_map(|(value, list, negated)| {
                        node(NodeKind::InList { value: boxed(value), list, negated }, DataType::Bool)
                    });
                (1, strategy.boxed())
            })
            .collect();
        union(per_type)
    }

    /// Generates `isNull` tests on any column, structs and lists included, or on a value.
    fn is_null(&self, scopes: &[Kind], depth: u32) -> BoxedStrategy<Node> {
        let any_column = select(columns(scopes).into_iter().map(|(node, _)| node).collect::<Vec<_>>()).boxed();
        let tested = union(vec![
            (3, any_column),
            (1, self.operand(scopes, Ty::Int, depth)),
            (1, self.operand(scopes, Ty::Double, depth)),
        ]);
        (tested, any::<bool>())
            .prop_map(|(value, negated)| node(NodeKind::IsNull { value: boxed(value), negated }, DataType::Bool))
            .boxed()
    }

    /// Generates `Truthy` over booleans, lists, strings and whole rows.
    fn truthy(&self, scopes: &[Kind], depth: u32) -> BoxedStrategy<Node> {
        let any_column = select(columns(scopes).into_iter().map(|(node, _)| node).collect::<Vec<_>>()).boxed();
        let tested = union(vec![(2, any_column), (1, self.operand(scopes, Ty::Bool, depth))]);
        tested.prop_map(|value| node(NodeKind::Truthy(boxed(value)), DataType::Bool)).boxed()
    }

    fn string_test(&self, scopes: &[Kind], depth: u32) -> BoxedStrategy<Node> {
        let operators = select(vec![StringOp::Equals, StringOp::Contains, StringOp::StartsWith, StringOp::EndsWith]);
        let patterns = proptest::collection::vec(string_strategy(3), 1..=3);
        (operators, self.operand(scopes, Ty::String, depth), patterns, any::<bool>(), any::<bool>())
            .prop_map(|(op, value, patterns, case_sensitive, negated)| {
                let kind = NodeKind::StringTest { op, value: boxed(value), patterns, case_sensitive, negated };
                node(kind, DataType::Bool)
            })
            .boxed()
    }

    fn regex(&self, scopes: &[Kind], depth: u32) -> BoxedStrategy<Node> {
        (self.operand(scopes, Ty::String, depth), select(REGEX_PATTERNS.to_vec()))
            .prop_map(|(value, pattern)| {
                let regex = Regex::new(pattern).unwrap_or_else(|e| panic!("invalid test pattern {pattern}: {e}"));
                node(NodeKind::Regex { value: boxed(value), regex, source: pattern.to_string() }, DataType::Bool)
            })
            .boxed()
    }

    fn occurs(&self, scopes: &[Kind], depth: u32) -> BoxedStrategy<Node> {
        (self.operand(scopes, Ty::Timestamp, depth), self.time_condition(scopes, depth))
            .prop_map(|(subject, condition)| {
                node(NodeKind::Occurs { subject: boxed(subject), condition }, DataType::Bool)
            })
            .boxed()
    }

    fn time_condition(&self, scopes: &[Kind], depth: u32) -> BoxedStrategy<TimeCondition> {
        let reference = self.time_ref(scopes, depth);
        let amount = prop_oneof![6 => 0u64..=5, 1 => select(vec![7u64, 30, 100, 1_000, 100_000, u64::MAX])];
        let direction = select(vec![Direction::Before, Direction::After, Direction::From]);
        let offset =
            (select(COMPARISONS.to_vec()), amount, select(TimeUnit::ALL.to_vec()), direction, reference.clone())
                .prop_map(|(cmp, amount, unit, direction, reference)| TimeCondition::Offset {
                    cmp,
                    amount,
                    unit,
                    direction,
                    reference,
                });
        let side = (select(vec![Direction::Before, Direction::After]), reference.clone())
            .prop_map(|(direction, reference)| TimeCondition::Direction { direction, reference });
        let on = reference.clone().prop_map(TimeCondition::On);
        let between = (reference.clone(), reference).prop_map(|(first, last)| TimeCondition::Between(first, last));
        prop_oneof![3 => offset, 2 => side, 2 => on, 2 => between].boxed()
    }

    fn time_ref(&self, scopes: &[Kind], depth: u32) -> BoxedStrategy<TimeRef> {
        let instant = self.value(scopes, Ty::Timestamp, depth).prop_map(|node| TimeRef::Instant(boxed(node)));
        prop_oneof![4 => word_strategy().prop_map(TimeRef::Word), 2 => day_strategy(self.now), 2 => instant].boxed()
    }

    fn aggregate_predicate(&self, scopes: &[Kind], depth: u32) -> Option<BoxedStrategy<Node>> {
        let mut per_list = Vec::new();
        for (list, element) in self.openable_lists(scopes) {
            let child = child_scopes(scopes, &element);
            let condition = self.predicate(&child, depth - 1);
            let function = prop_oneof![
                Just(ListFunction::Exists),
                condition.clone().prop_map(|condition| ListFunction::Forall(boxed(condition))),
            ];
            let filters = proptest::collection::vec(condition, 0..=2);
            let source = self.list_source(&list, &element, scopes, depth - 1);
            let strategy = (function, filters, source).prop_map(move |(function, filters, list)| {
                node(NodeKind::ListAggregate { list: boxed(list), filters, function }, DataType::Bool)
            });
            per_list.push((1, strategy.boxed()));
        }
        (!per_list.is_empty()).then(|| union(per_list))
    }

    /// Generates chains over the lists whose elements have a `timestamp` field, with 1 to 3
    /// steps of count 1 to 3, some with a `WHEN` condition on the event timestamp.
    fn chain(&self, scopes: &[Kind], depth: u32) -> Option<BoxedStrategy<Node>> {
        let mut per_list = Vec::new();
        for (list, element) in self.openable_lists(scopes) {
            if element.field("timestamp") != Some(&Kind::Timestamp) {
                continue;
            }
            let child = child_scopes(scopes, &element);
            let event_time = column(scopes.len(), vec!["timestamp".to_string()], &Kind::Timestamp);
            let when = proptest::option::of(self.time_condition(&child, depth - 1));
            let step = (self.predicate(&child, depth - 1), when, 1u64..=3).prop_map(move |(what, when, count)| {
                let condition = match when {
                    None => what,
                    Some(condition) => {
                        let occurs = NodeKind::Occurs { subject: boxed(event_time.clone()), condition };
                        node(NodeKind::And(vec![what, node(occurs, DataType::Bool)]), DataType::Bool)
                    }
                };
                ChainStepPlan { label: String::new(), condition, count }
            });
            let strategy = proptest::collection::vec(step, 1..=3).prop_map(move |mut steps| {
                for (index, step) in steps.iter_mut().enumerate() {
                    step.label = format!("step{}", index + 1);
                }
                let plan = ChainPlan { list: list.clone(), order_path: vec!["timestamp".to_string()], steps };
                node(NodeKind::Chain(Box::new(plan)), DataType::Bool)
            });
            per_list.push((1, strategy.boxed()));
        }
        (!per_list.is_empty()).then(|| union(per_list))
    }
}

fn word_strategy() -> BoxedStrategy<TimeWord> {
    let unit = select(TimeUnit::ALL.to_vec());
    prop_oneof![
        select(vec![TimeWord::Now, TimeWord::Today, TimeWord::Yesterday, TimeWord::Tomorrow]),
        unit.clone().prop_map(TimeWord::This),
        unit.clone().prop_map(TimeWord::Last),
        unit.prop_map(TimeWord::Next),
    ]
    .boxed()
}

/// Generates `date(y, m, d)` references: days around `now`, or any triple from 2015 to 2030
/// with day numbers up to 31, so some dates do not exist.
fn day_strategy(now: i64) -> BoxedStrategy<TimeRef> {
    let near = (-40i64..=40).prop_map(move |days| {
        let instant = Timestamp::from_microsecond(now + days * 86_400_000_000).unwrap_or(Timestamp::UNIX_EPOCH);
        let date = TimeZone::UTC.to_datetime(instant).date();
        TimeRef::Day { year: date.year(), month: date.month(), day: date.day() }
    });
    let any_day = (2015i16..=2030, 1i8..=12, 1i8..=31).prop_map(|(year, month, day)| TimeRef::Day { year, month, day });
    prop_oneof![2 => near, 1 => any_day].boxed()
}

fn segment_placeholder(r: u8) -> Node {
    node(NodeKind::InSegment(format!("{SEGMENT_PLACEHOLDER}{r}")), DataType::Bool)
}

/// Points the `inSegment` placeholders of segment `index` at earlier segments (`seg0`,
/// `seg1`, ...), and returns the ids read in order of first use. Segment 0 has no earlier
/// segment, so its placeholders become `And([])` (true) or `Or([])` (false).
pub fn resolve_segment_refs(root: &mut Node, index: usize) -> Vec<String> {
    let mut dependencies = Vec::new();
    resolve_in(root, index, &mut dependencies);
    dependencies
}

fn resolve_in(node: &mut Node, index: usize, dependencies: &mut Vec<String>) {
    if let NodeKind::InSegment(id) = &node.kind {
        let Some(number) = id.strip_prefix(SEGMENT_PLACEHOLDER).and_then(|n| n.parse::<usize>().ok()) else {
            return;
        };
        if index == 0 {
            node.kind = if number % 2 == 0 { NodeKind::And(Vec::new()) } else { NodeKind::Or(Vec::new()) };
        } else {
            let target = format!("seg{}", number % index);
            if !dependencies.contains(&target) {
                dependencies.push(target.clone());
            }
            node.kind = NodeKind::InSegment(target);
        }
        return;
    }
    for child in children_mut(node) {
        resolve_in(child, index, dependencies);
    }
}

/// Returns the direct child nodes of a node, in evaluation order.
fn children_mut(node: &mut Node) -> Vec<&mut Node> {
    match &mut node.kind {
        NodeKind::Literal(_) | NodeKind::Column { .. } | NodeKind::InSegment(_) => Vec::new(),
        NodeKind::Not(operand)
        | NodeKind::Negate(operand)
        | NodeKind::ToDouble(operand)
        | NodeKind::Truthy(operand) => {
            vec![operand.as_mut()]
        }
        NodeKind::And(operands) | NodeKind::Or(operands) => operands.iter_mut().collect(),
        NodeKind::Compare { lhs, rhs, .. } | NodeKind::Arithmetic { lhs, rhs, .. } => vec![lhs.as_mut(), rhs.as_mut()],
        NodeKind::InList { value, .. }
        | NodeKind::IsNull { value, .. }
        | NodeKind::StringTest { value, .. }
        | NodeKind::Regex { value, .. } => vec![value.as_mut()],
        NodeKind::Occurs { subject, condition } => {
            let mut children = vec![subject.as_mut()];
            children.extend(condition_nodes_mut(condition));
            children
        }
        NodeKind::ListAggregate { list, filters, function } => {
            let mut children = vec![list.as_mut()];
            children.extend(filters.iter_mut());
            match function {
                ListFunction::Exists | ListFunction::Count => {}
                ListFunction::Forall(expression)
                | ListFunction::Sum(expression)
                | ListFunction::Average(expression)
                | ListFunction::Min(expression)
                | ListFunction::Max(expression)
                | ListFunction::CountDistinct(expression)
                | ListFunction::First(expression) => children.push(expression.as_mut()),
            }
            children
        }
        NodeKind::Chain(plan) => {
            let ChainPlan { list, steps, .. } = plan.as_mut();
            let mut children = vec![list];
            children.extend(steps.iter_mut().map(|step| &mut step.condition));
            children
        }
        NodeKind::TimeValue(_) => Vec::new(),
        NodeKind::If { condition, then, otherwise } => vec![condition.as_mut(), then.as_mut(), otherwise.as_mut()],
        NodeKind::MakeDate { year, month, day } => vec![year.as_mut(), month.as_mut(), day.as_mut()],
        NodeKind::MapGet { map: lhs, key: rhs } | NodeKind::ListEquals { lhs, rhs, .. } => vec![lhs.as_mut(), rhs.as_mut()],
        NodeKind::DatePart { value, .. }
        | NodeKind::RegexGroup { value, .. }
        | NodeKind::MapList { map: value, .. }
        | NodeKind::ToMap(value)
        | NodeKind::Field { value, .. }
        | NodeKind::Distinct(value)
        | NodeKind::Flatten(value) => vec![value.as_mut()],
        NodeKind::Object(fields) => fields.iter_mut().map(|(_, value)| value).collect(),
        NodeKind::Array(elements) => elements.iter_mut().collect(),
        NodeKind::ListMap { list, filters, element }
        | NodeKind::ListTop { list, filters, key: element, .. }
        | NodeKind::GroupBy { list, filters, key: element } => {
            let mut children = vec![list.as_mut()];
            children.extend(filters.iter_mut());
            children.push(element.as_mut());
            children
        }
    }
}

fn condition_nodes_mut(condition: &mut TimeCondition) -> Vec<&mut Node> {
    let references: Vec<&mut TimeRef> = match condition {
        TimeCondition::Offset { reference, .. } | TimeCondition::Direction { reference, .. } => vec![reference],
        TimeCondition::On(reference) => vec![reference],
        TimeCondition::Between(first, last) => vec![first, last],
    };
    references
        .into_iter()
        .filter_map(|reference| match reference {
            TimeRef::Instant(node) | TimeRef::DayOf(node) => Some(node.as_mut()),
            TimeRef::Word(_) | TimeRef::Day { .. } => None,
        })
        .collect()
}
