//! Evaluation-method eligibility: whether a bound definition can run in batch, streaming
//! (`continuous`) and edge (`synchronous`) segmentation under the rules Adobe Experience
//! Platform applies to new or edited definitions since its May 2025 streaming update.
//!
//! Batch is always eligible. Streaming takes profile-only definitions, segment-of-segments
//! definitions, and definitions whose events all lie within the last 24 hours, with a strict
//! order between several events and at least one event that is not negated. Edge takes the
//! same definitions except those that need more than one event. `docs/eligibility.md` lists
//! every rule with an example and the decisions taken where the published rules disagree.
//!
//! The event array is the profile field `xEvent`, and an event's time is its `timestamp`
//! field or the ordering field of a `chain`. Any other array is profile data.

use std::fmt;

use seg_pql::Span;
use seg_pql::ast::Comparison;
use serde::{Deserialize, Serialize};

use crate::plan::{ListFunction, Node, NodeKind, SegmentPlan, TimeCondition, TimeRef};
use crate::time::{self, Interval};

/// The maximum lookback, in microseconds, that streaming and edge evaluation accept: 24 hours.
pub const MAX_LOOKBACK_MICROS: i64 = 86_400_000_000;

/// The profile field that contains the experience events.
pub const EVENT_FIELD: &str = "xEvent";

/// The event field that time windows constrain, outside a `chain`.
pub const EVENT_TIME_FIELD: &str = "timestamp";

/// The evaluation methods a definition is eligible for, serialized in the Segmentation Service
/// shape `{"batch":{"enabled":true},"continuous":{"enabled":false},"synchronous":{"enabled":false}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "EvaluationInfoObject", into = "EvaluationInfoObject")]
pub struct EvaluationInfo {
    /// Batch segmentation.
    pub batch: bool,
    /// Streaming segmentation.
    pub continuous: bool,
    /// Edge segmentation.
    pub synchronous: bool,
}

#[derive(Serialize, Deserialize)]
struct EvaluationInfoObject {
    batch: Enabled,
    continuous: Enabled,
    synchronous: Enabled,
}

#[derive(Serialize, Deserialize)]
struct Enabled {
    enabled: bool,
}

impl From<EvaluationInfoObject> for EvaluationInfo {
    fn from(object: EvaluationInfoObject) -> Self {
        EvaluationInfo {
            batch: object.batch.enabled,
            continuous: object.continuous.enabled,
            synchronous: object.synchronous.enabled,
        }
    }
}

impl From<EvaluationInfo> for EvaluationInfoObject {
    fn from(info: EvaluationInfo) -> Self {
        EvaluationInfoObject {
            batch: Enabled { enabled: info.batch },
            continuous: Enabled { enabled: info.continuous },
            synchronous: Enabled { enabled: info.synchronous },
        }
    }
}

impl fmt::Display for EvaluationInfo {
    /// Writes the enabled methods, such as `batch, streaming`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let methods = [(self.batch, "batch"), (self.continuous, "streaming"), (self.synchronous, "edge")];
        let names: Vec<&str> = methods.iter().filter(|(on, _)| *on).map(|(_, name)| *name).collect();
        f.write_str(&names.join(", "))
    }
}

/// A cause that makes a definition ineligible for streaming or edge evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// True when the reason excludes edge evaluation only; otherwise it excludes both
    /// streaming and edge.
    pub edge_only: bool,
    /// A sentence for humans.
    pub message: String,
    /// The part of the definition the reason is about.
    pub span: Span,
}

/// The result of [`classify`]: the eligible methods and the reasons for the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eligibility {
    /// The eligible methods.
    pub info: EvaluationInfo,
    /// The causes that exclude streaming or edge, empty when both are eligible.
    pub reasons: Vec<Reason>,
    /// True when the definition reads no events, and every segment it reads through
    /// `inSegment` is known to read no events either.
    pub profile_only: bool,
}

/// Classifies a definition without knowing the segments it reads through `inSegment`, so a
/// definition that combines events with `inSegment` is never streaming or edge eligible.
pub fn classify(plan: &SegmentPlan) -> Eligibility {
    classify_with(plan, |_| None)
}

/// Classifies a definition. `profile_only(id)` returns whether the segment `id` reads no
/// events (see [`Eligibility::profile_only`]), or `None` when that segment is unknown.
pub fn classify_with(plan: &SegmentPlan, profile_only: impl Fn(&str) -> Option<bool>) -> Eligibility {
    let mut walker = Walker::default();
    walker.visit(&plan.root, Context { depth: 0, negated: false });
    let uses = walker.events;

    let mut reasons = Vec::new();
    let stream = |message: String, span: Span| Reason { edge_only: false, message, span };
    for event in &uses {
        match event.lookback {
            None => reasons.push(stream(
                "this event condition has no time window relative to now; streaming and edge need every event within the last 24 hours".to_string(),
                event.span,
            )),
            Some(micros) if micros > MAX_LOOKBACK_MICROS => reasons.push(stream(
                format!(
                    "this event condition can reach back {} before now (months and years counted at their longest); streaming and edge accept at most 24 hours",
                    format_duration(micros)
                ),
                event.span,
            )),
            Some(_) => {}
        }
        if event.value_aggregate {
            reasons.push(stream(
                "a sum, average, minimum or maximum over events is not a streaming or edge query type".to_string(),
                event.span,
            ));
        }
    }
    if uses.len() > 1 {
        reasons.push(stream(
            format!(
                "{} separate event conditions have no strict time order between them; write them as steps of one `chain`",
                uses.len()
            ),
            uses[1].span,
        ));
    }
    if !uses.is_empty() && uses.iter().all(|event| event.negated) {
        reasons.push(stream(
            "every event condition is negated; streaming and edge need at least one event that is not".to_string(),
            uses[0].span,
        ));
    }
    let mut all_targets_profile_only = true;
    for (id, span) in &walker.in_segments {
        let known = profile_only(id);
        if known != Some(true) {
            all_targets_profile_only = false;
        }
        if !uses.is_empty() && known != Some(true) {
            let status = if known.is_none() { "is unknown here" } else { "reads events" };
            reasons.push(stream(
                format!(
                    "`inSegment(\"{id}\")` is combined with events and the segment {status}; only a profile-only segment may be combined with an event"
                ),
                *span,
            ));
        }
    }
    let instances: u64 = uses.iter().map(|event| event.instances).sum();
    if instances > 1 {
        reasons.push(Reason {
            edge_only: true,
            message: format!("edge evaluates a single event, and the event conditions of this definition need {instances} events together"),
            span: uses[0].span,
        });
    }

    let continuous = reasons.iter().all(|reason| reason.edge_only);
    let info = EvaluationInfo { batch: true, continuous, synchronous: reasons.is_empty() };
    Eligibility { info, reasons, profile_only: uses.is_empty() && all_targets_profile_only }
}

/// One read of the event array.
struct EventUse {
    /// The maximum time before the evaluation instant that a matching event may lie, in
    /// microseconds; `None` when unbounded or not relative to the evaluation time.
    lookback: Option<i64>,
    /// True when the condition holds for a profile without matching events.
    negated: bool,
    /// The smallest number of matching events the condition needs when it is not negated.
    instances: u64,
    /// True for `sum`, `average`, `min` and `max` over events.
    value_aggregate: bool,
    span: Span,
}

#[derive(Clone, Copy)]
struct Context {
    /// The scope the visited node is evaluated in.
    depth: usize,
    /// True under an odd number of `Not`.
    negated: bool,
}

#[derive(Default)]
struct Walker {
    events: Vec<EventUse>,
    in_segments: Vec<(String, Span)>,
}

impl Walker {
    fn visit(&mut self, node: &Node, context: Context) {
        match &node.kind {
            NodeKind::Literal(_) => {}
            NodeKind::Column { scope, path } => {
                if *scope == 0 && is_event_path(path) {
                    // A bare `xEvent` at a boolean or value position: any event at all.
                    self.push_event(None, context.negated, 1, false, node.span);
                }
            }
            NodeKind::Not(operand) => self.visit(operand, Context { negated: !context.negated, ..context }),
            NodeKind::And(operands) | NodeKind::Or(operands) => {
                operands.iter().for_each(|operand| self.visit(operand, context));
            }
            NodeKind::Compare { op, lhs, rhs } => {
                if let Some((count, threshold, op)) = count_comparison(*op, lhs, rhs) {
                    self.visit_count(count, threshold, op, context);
                } else {
                    self.visit(lhs, context);
                    self.visit(rhs, context);
                }
            }
            NodeKind::Arithmetic { lhs, rhs, .. } => {
                self.visit(lhs, context);
                self.visit(rhs, context);
            }
            NodeKind::InList { value, .. }
            | NodeKind::Negate(value)
            | NodeKind::ToDouble(value)
            | NodeKind::IsNull { value, .. }
            | NodeKind::Truthy(value)
            | NodeKind::StringTest { value, .. }
            | NodeKind::Regex { value, .. } => self.visit(value, context),
            NodeKind::Occurs { subject, condition } => {
                self.visit(subject, context);
                for reference in time_refs(condition) {
                    if let TimeRef::Instant(instant) | TimeRef::DayOf(instant) = reference {
                        self.visit(instant, context);
                    }
                }
            }
            NodeKind::ListAggregate { list, filters, function } => {
                if is_event_list(list) {
                    self.visit_event_aggregate(node, filters, function, context, None);
                } else {
                    self.visit(list, context);
                    let inner = Context { depth: context.depth + 1, ..context };
                    filters.iter().for_each(|filter| self.visit(filter, inner));
                    self.visit_function(function, inner);
                }
            }
            NodeKind::Chain(chain) => {
                let inner = Context { depth: context.depth + 1, ..context };
                if is_event_list(&chain.list) {
                    let mut lookback = Some(i64::MIN);
                    for step in &chain.steps {
                        let step_lookback = window(&step.condition, inner.depth, &chain.order_path);
                        lookback = max_lookback(lookback, step_lookback);
                    }
                    let instances = chain.steps.iter().map(|step| step.count).sum();
                    self.push_event(lookback, context.negated, instances, false, node.span);
                } else {
                    self.visit(&chain.list, context);
                }
                chain.steps.iter().for_each(|step| self.visit(&step.condition, inner));
            }
            NodeKind::InSegment(id) => self.in_segments.push((id.clone(), node.span)),
            NodeKind::TimeValue(_) => {}
            NodeKind::If { condition, then, otherwise } => {
                // Either branch may decide the value, so both count as reads.
                for child in [condition, then, otherwise] {
                    self.visit(child, context);
                }
            }
            NodeKind::MakeDate { year, month, day } => {
                for child in [year, month, day] {
                    self.visit(child, context);
                }
            }
            NodeKind::MapGet { map: lhs, key: rhs } | NodeKind::ListEquals { lhs, rhs, .. } => {
                self.visit(lhs, context);
                self.visit(rhs, context);
            }
            NodeKind::DatePart { value, .. }
            | NodeKind::RegexGroup { value, .. }
            | NodeKind::MapList { map: value, .. }
            | NodeKind::ToMap(value)
            | NodeKind::Field { value, .. }
            | NodeKind::Distinct(value)
            | NodeKind::Flatten(value) => self.visit(value, context),
            NodeKind::Object(fields) => fields.iter().for_each(|(_, value)| self.visit(value, context)),
            NodeKind::Array(elements) => elements.iter().for_each(|element| self.visit(element, context)),
            NodeKind::ListMap { list, filters, element }
            | NodeKind::ListTop { list, filters, key: element, .. }
            | NodeKind::GroupBy { list, filters, key: element } => {
                let inner = Context { depth: context.depth + 1, ..context };
                if is_event_list(list) {
                    let lookback = filters_window(filters, inner.depth);
                    self.push_event(lookback, context.negated, 1, false, node.span);
                } else {
                    self.visit(list, context);
                }
                filters.iter().for_each(|filter| self.visit(filter, inner));
                self.visit(element, inner);
            }
        }
    }

    /// Visits a `count()` of events compared with the integer `threshold`: the comparison
    /// `count <op> threshold` decides whether it is negated and how many events it needs.
    fn visit_count(&mut self, count: &Node, threshold: i64, op: Comparison, context: Context) {
        let NodeKind::ListAggregate { filters, function, .. } = &count.kind else {
            return;
        };
        let holds = |events: i64| match op {
            Comparison::Eq => events == threshold,
            Comparison::NotEq => events != threshold,
            Comparison::Lt => events < threshold,
            Comparison::LtEq => events <= threshold,
            Comparison::Gt => events > threshold,
            Comparison::GtEq => events >= threshold,
        };
        let required = (0..=64).find(|&events| holds(events));
        let (negated, instances) = match required {
            Some(0) => (true, 1),
            Some(events) => (false, events.unsigned_abs()),
            None => (false, 2),
        };
        let context = Context { negated: context.negated ^ negated, ..context };
        self.visit_event_aggregate(count, filters, function, context, Some(instances));
    }

    fn visit_event_aggregate(
        &mut self,
        node: &Node,
        filters: &[Node],
        function: &ListFunction,
        context: Context,
        instances: Option<u64>,
    ) {
        let inner = Context { depth: context.depth + 1, ..context };
        let filter_window = filters_window(filters, inner.depth);
        let (lookback, negated, instances, value_aggregate) = match function {
            ListFunction::Exists => (filter_window, context.negated, 1, false),
            // `forall` holds when no event breaks its predicate: a negated event.
            ListFunction::Forall(_) => (filter_window, !context.negated, 1, false),
            // A count outside a comparison with a constant: assume it needs several events.
            ListFunction::Count => (filter_window, context.negated, instances.unwrap_or(2), false),
            ListFunction::Sum(_)
            | ListFunction::Average(_)
            | ListFunction::Min(_)
            | ListFunction::Max(_)
            | ListFunction::CountDistinct(_)
            | ListFunction::First(_) => {
                (filter_window, context.negated, 2, true)
            }
        };
        self.push_event(lookback, negated, instances, value_aggregate, node.span);
        filters.iter().for_each(|filter| self.visit(filter, inner));
        self.visit_function(function, inner);
    }

    fn visit_function(&mut self, function: &ListFunction, context: Context) {
        match function {
            ListFunction::Exists | ListFunction::Count => {}
            ListFunction::Forall(value)
            | ListFunction::Sum(value)
            | ListFunction::Average(value)
            | ListFunction::Min(value)
            | ListFunction::Max(value)
            | ListFunction::CountDistinct(value)
            | ListFunction::First(value) => self.visit(value, context),
        }
    }

    fn push_event(&mut self, lookback: Option<i64>, negated: bool, instances: u64, value_aggregate: bool, span: Span) {
        self.events.push(EventUse { lookback, negated, instances, value_aggregate, span });
    }
}

/// Returns the lookback that a conjunction of event filters puts on the event `timestamp`.
fn filters_window(filters: &[Node], event_scope: usize) -> Option<i64> {
    let path = [EVENT_TIME_FIELD.to_string()];
    filters.iter().fold(None, |bound, filter| min_lookback(bound, window(filter, event_scope, &path)))
}

fn is_event_path(path: &[String]) -> bool {
    matches!(path, [field] if field == EVENT_FIELD)
}

fn is_event_list(list: &Node) -> bool {
    matches!(&list.kind, NodeKind::Column { scope: 0, path } if is_event_path(path))
}

/// Returns the `count()` of events, the constant and the comparison oriented as
/// `count <op> constant`, when `lhs <op> rhs` compares the two.
fn count_comparison<'a>(op: Comparison, lhs: &'a Node, rhs: &'a Node) -> Option<(&'a Node, i64, Comparison)> {
    let is_count = |node: &Node| {
        matches!(&node.kind, NodeKind::ListAggregate { list, function: ListFunction::Count, .. } if is_event_list(list))
    };
    let constant = |node: &Node| match &node.kind {
        NodeKind::Literal(crate::types::Scalar::Int(value)) => Some(*value),
        _ => None,
    };
    if is_count(lhs) {
        return constant(rhs).map(|value| (lhs, value, op));
    }
    if is_count(rhs) {
        let mirrored = match op {
            Comparison::Lt => Comparison::Gt,
            Comparison::LtEq => Comparison::GtEq,
            Comparison::Gt => Comparison::Lt,
            Comparison::GtEq => Comparison::LtEq,
            other => other,
        };
        return constant(lhs).map(|value| (rhs, value, mirrored));
    }
    None
}

/// Returns the lookback that `predicate`, evaluated in `event_scope`, puts on the event time
/// at `time_path`: the smallest over a conjunction, the largest over a disjunction. Any other
/// predicate, a negated one included, puts no bound.
fn window(predicate: &Node, event_scope: usize, time_path: &[String]) -> Option<i64> {
    match &predicate.kind {
        NodeKind::And(operands) => {
            operands.iter().fold(None, |bound, operand| min_lookback(bound, window(operand, event_scope, time_path)))
        }
        NodeKind::Or(operands) if !operands.is_empty() => operands
            .iter()
            .map(|operand| window(operand, event_scope, time_path))
            .fold(Some(i64::MIN), max_lookback),
        NodeKind::Occurs { subject, condition } => match &subject.kind {
            NodeKind::Column { scope, path } if *scope == event_scope && path == time_path => condition_lookback(condition),
            _ => None,
        },
        _ => None,
    }
}

/// Returns the smaller of two lookbacks, `None` being unbounded.
fn min_lookback(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (bound, None) | (None, bound) => bound,
    }
}

/// Returns the larger of two lookbacks, `None` being unbounded.
fn max_lookback(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    Some(a?.max(b?))
}

fn time_refs(condition: &TimeCondition) -> Vec<&TimeRef> {
    match condition {
        TimeCondition::Offset { reference, .. } | TimeCondition::Direction { reference, .. } => vec![reference],
        TimeCondition::On(reference) => vec![reference],
        TimeCondition::Between(start, end) => vec![start, end],
    }
}

/// Evaluation instants at which the lookback of a relative time condition is measured: just
/// before, at and after unit boundaries of every length (a Monday, month ends after 28, 29,
/// 30 and 31 days, and the start of a year, decade, century and millennium).
///
/// The accepted instants of a condition on time words change only at unit boundaries, so the
/// lookback grows between two boundaries and is largest just before one.
const SAMPLE_BOUNDARIES: [&str; 9] = [
    "2000-01-01T00:00:00Z",
    "2020-01-01T00:00:00Z",
    "2100-01-01T00:00:00Z",
    "2023-03-01T00:00:00Z",
    "2024-03-01T00:00:00Z",
    "2023-05-01T00:00:00Z",
    "2023-08-01T00:00:00Z",
    "2023-10-09T00:00:00Z",
    "2025-01-01T00:00:00Z",
];

/// Returns the largest time before the evaluation instant at which `condition` accepts an
/// instant, or `None` when that is unbounded or the condition is not relative to the
/// evaluation time (`date(...)` and timestamp references). A condition that accepts only
/// instants after the evaluation time has a lookback of zero or less.
fn condition_lookback(condition: &TimeCondition) -> Option<i64> {
    if !time_refs(condition).iter().all(|reference| matches!(reference, TimeRef::Word(_))) {
        return None;
    }
    let mut largest: Option<i64> = None;
    for boundary in SAMPLE_BOUNDARIES {
        let boundary: jiff::Timestamp = boundary.parse().ok()?;
        let boundary = boundary.as_microsecond();
        for now in [boundary - 1, boundary, boundary + MAX_LOOKBACK_MICROS / 2] {
            let ranges = ranges_at(condition, now)?;
            let Some(&(earliest, _)) = ranges.as_slice().first() else {
                continue;
            };
            if earliest == i64::MIN {
                return None;
            }
            let lookback = now - earliest;
            largest = Some(largest.map_or(lookback, |largest| largest.max(lookback)));
        }
    }
    Some(largest.unwrap_or(0))
}

fn resolve(reference: &TimeRef, now: i64) -> Option<Interval> {
    match reference {
        TimeRef::Word(word) => time::resolve_word(*word, now),
        _ => None,
    }
}

fn ranges_at(condition: &TimeCondition, now: i64) -> Option<time::Ranges> {
    let ranges = match condition {
        TimeCondition::Offset { cmp, amount, unit, direction, reference } => {
            time::offset_ranges(*cmp, *amount, *unit, *direction, resolve(reference, now)?)
        }
        TimeCondition::Direction { direction, reference } => time::direction_ranges(*direction, resolve(reference, now)?),
        TimeCondition::On(reference) => time::on_ranges(resolve(reference, now)?),
        TimeCondition::Between(start, end) => time::between_ranges(resolve(start, now)?, resolve(end, now)?),
    };
    Some(ranges)
}

/// Formats microseconds as whole days, hours or minutes for messages, rounding up.
fn format_duration(micros: i64) -> String {
    const MINUTE: i64 = 60_000_000;
    let minutes = (micros + MINUTE - 1) / MINUTE;
    if minutes % (24 * 60) == 0 {
        format!("{} days", minutes / (24 * 60))
    } else if minutes % 60 == 0 {
        format!("{} hours", minutes / 60)
    } else if minutes > 48 * 60 {
        format!("about {} days", (minutes + 24 * 60 - 1) / (24 * 60))
    } else {
        format!("{minutes} minutes")
    }
}
