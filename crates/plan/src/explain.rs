//! A readable, indented rendering of a typed plan, one node per line with its type.
//!
//! Columns print as `$scope.path`: `$0` is the profile, `$1` the element of the outermost
//! list being filtered or aggregated (an event of `xEvent`), `$2` an element of a list inside
//! it, and so on. Children that play a role print it first, as in `list:` or `filter:`.

use std::fmt::Write as _;

use seg_pql::ast::{Direction, TimeUnit, TimeWord};

use crate::plan::{
    ArithmeticOp, DatePart, ListFunction, MapPart, Node, NodeKind, SegmentPlan, StringOp, TimeCondition, TimeRef,
};
use crate::types::Scalar;

/// Renders the plan as an indented tree, two spaces per level, ending with a newline.
pub fn explain(plan: &SegmentPlan) -> String {
    let mut out = String::new();
    write_node(&mut out, &plan.root, 0, "");
    out
}

fn line(out: &mut String, depth: usize, label: &str, text: &str) {
    let _ = writeln!(out, "{}{label}{text}", "  ".repeat(depth));
}

fn write_node(out: &mut String, node: &Node, depth: usize, label: &str) {
    let typed = |text: String| format!("{text} -> {}", node.data_type);
    match &node.kind {
        NodeKind::Literal(scalar) => line(out, depth, label, &format!("Literal {}", literal(scalar))),
        NodeKind::Column { scope, path } => line(out, depth, label, &typed(format!("Column {}", column(*scope, path)))),
        NodeKind::Not(operand) => {
            line(out, depth, label, &typed("Not".to_string()));
            write_node(out, operand, depth + 1, "");
        }
        NodeKind::And(operands) | NodeKind::Or(operands) => {
            let name = if matches!(node.kind, NodeKind::And(_)) { "And" } else { "Or" };
            line(out, depth, label, &typed(name.to_string()));
            operands.iter().for_each(|operand| write_node(out, operand, depth + 1, ""));
        }
        NodeKind::Compare { op, lhs, rhs } => {
            line(out, depth, label, &typed(format!("Compare {}", op.symbol())));
            write_node(out, lhs, depth + 1, "");
            write_node(out, rhs, depth + 1, "");
        }
        NodeKind::InList { value, list, negated } => {
            let keyword = if *negated { "NotIn" } else { "In" };
            let items: Vec<String> = list.iter().map(literal).collect();
            line(out, depth, label, &typed(format!("{keyword} [{}]", items.join(", "))));
            write_node(out, value, depth + 1, "");
        }
        NodeKind::Arithmetic { op, lhs, rhs } => {
            line(out, depth, label, &typed(format!("Arithmetic {}", arithmetic_symbol(*op))));
            write_node(out, lhs, depth + 1, "");
            write_node(out, rhs, depth + 1, "");
        }
        NodeKind::Negate(value) => {
            line(out, depth, label, &typed("Negate".to_string()));
            write_node(out, value, depth + 1, "");
        }
        NodeKind::ToDouble(value) => {
            line(out, depth, label, &typed("ToDouble".to_string()));
            write_node(out, value, depth + 1, "");
        }
        NodeKind::IsNull { value, negated } => {
            line(out, depth, label, &typed(if *negated { "IsNotNull" } else { "IsNull" }.to_string()));
            write_node(out, value, depth + 1, "");
        }
        NodeKind::Truthy(value) => {
            line(out, depth, label, &typed("Truthy".to_string()));
            write_node(out, value, depth + 1, "");
        }
        NodeKind::StringTest { op, value, patterns, case_sensitive, negated } => {
            let patterns: Vec<String> = patterns.iter().map(|pattern| format!("{pattern:?}")).collect();
            let mut flags = Vec::new();
            if !case_sensitive {
                flags.push("case-insensitive");
            }
            if *negated {
                flags.push("negated");
            }
            let flags = if flags.is_empty() { String::new() } else { format!(" ({})", flags.join(", ")) };
            let text = format!("StringTest {} {}{flags}", string_op(*op), patterns.join(", "));
            line(out, depth, label, &typed(text));
            write_node(out, value, depth + 1, "");
        }
        NodeKind::Regex { value, regex, source } => {
            // A `like` pattern is compiled to a different expression; show both.
            let compiled = if regex.as_str() == source { String::new() } else { format!(" as {:?}", regex.as_str()) };
            line(out, depth, label, &typed(format!("Regex {source:?}{compiled}")));
            write_node(out, value, depth + 1, "");
        }
        NodeKind::Occurs { subject, condition } => {
            line(out, depth, label, &typed(format!("Occurs {}", time_condition(condition))));
            write_node(out, subject, depth + 1, "");
            for (role, reference) in instant_references(condition) {
                write_node(out, reference, depth + 1, role);
            }
        }
        NodeKind::ListAggregate { list, filters, function } => {
            line(out, depth, label, &typed(format!("Aggregate {}", function_name(function))));
            write_node(out, list, depth + 1, "list: ");
            filters.iter().for_each(|filter| write_node(out, filter, depth + 1, "filter: "));
            match function {
                ListFunction::Exists | ListFunction::Count => {}
                ListFunction::Forall(predicate) => write_node(out, predicate, depth + 1, "predicate: "),
                ListFunction::Sum(value)
                | ListFunction::Average(value)
                | ListFunction::Min(value)
                | ListFunction::Max(value)
                | ListFunction::CountDistinct(value)
                | ListFunction::First(value) => write_node(out, value, depth + 1, "value: "),
            }
        }
        NodeKind::Chain(chain) => {
            line(out, depth, label, &typed(format!("Chain ordered by {}", chain.order_path.join("."))));
            write_node(out, &chain.list, depth + 1, "list: ");
            for step in &chain.steps {
                let step_label = format!("step {} (count {}): ", step.label, step.count);
                write_node(out, &step.condition, depth + 1, &step_label);
            }
        }
        NodeKind::InSegment(id) => line(out, depth, label, &typed(format!("InSegment {id:?}"))),
        NodeKind::If { condition, then, otherwise } => {
            line(out, depth, label, &typed("If".to_string()));
            write_node(out, condition, depth + 1, "condition: ");
            write_node(out, then, depth + 1, "then: ");
            write_node(out, otherwise, depth + 1, "else: ");
        }
        NodeKind::TimeValue(word) => line(out, depth, label, &typed(format!("Time {}", time_word(*word)))),
        NodeKind::DatePart { part, value } => {
            let name = match part {
                DatePart::Year => "year",
                DatePart::Month => "month",
                DatePart::DayOfMonth => "day of month",
            };
            line(out, depth, label, &typed(format!("DatePart {name}")));
            write_node(out, value, depth + 1, "");
        }
        NodeKind::MakeDate { year, month, day } => {
            line(out, depth, label, &typed("Date".to_string()));
            write_node(out, year, depth + 1, "year: ");
            write_node(out, month, depth + 1, "month: ");
            write_node(out, day, depth + 1, "day: ");
        }
        NodeKind::RegexGroup { value, source, group, .. } => {
            line(out, depth, label, &typed(format!("RegexGroup {source:?} group {group}")));
            write_node(out, value, depth + 1, "");
        }
        NodeKind::MapGet { map, key } => {
            line(out, depth, label, &typed("MapGet".to_string()));
            write_node(out, map, depth + 1, "map: ");
            write_node(out, key, depth + 1, "key: ");
        }
        NodeKind::MapList { map, part } => {
            let name = match part {
                MapPart::Keys => "keys",
                MapPart::Values => "values",
                MapPart::Entries => "entries",
            };
            line(out, depth, label, &typed(format!("MapList {name}")));
            write_node(out, map, depth + 1, "");
        }
        NodeKind::ToMap(list) => {
            line(out, depth, label, &typed("ToMap".to_string()));
            write_node(out, list, depth + 1, "");
        }
        NodeKind::Object(fields) => {
            line(out, depth, label, &typed("Object".to_string()));
            for (name, value) in fields {
                write_node(out, value, depth + 1, &format!("{name:?}: "));
            }
        }
        NodeKind::Field { value, name } => {
            line(out, depth, label, &typed(format!("Field {name:?}")));
            write_node(out, value, depth + 1, "");
        }
        NodeKind::ListMap { list, filters, element } => {
            line(out, depth, label, &typed("ListMap".to_string()));
            write_node(out, list, depth + 1, "list: ");
            filters.iter().for_each(|filter| write_node(out, filter, depth + 1, "filter: "));
            write_node(out, element, depth + 1, "element: ");
        }
        NodeKind::ListTop { list, filters, key, count, descending } => {
            let name = if *descending { "topN" } else { "bottomN" };
            line(out, depth, label, &typed(format!("ListTop {name} {count}")));
            write_node(out, list, depth + 1, "list: ");
            filters.iter().for_each(|filter| write_node(out, filter, depth + 1, "filter: "));
            write_node(out, key, depth + 1, "key: ");
        }
        NodeKind::Distinct(list) => {
            line(out, depth, label, &typed("Distinct".to_string()));
            write_node(out, list, depth + 1, "");
        }
        NodeKind::GroupBy { list, filters, key } => {
            line(out, depth, label, &typed("GroupBy".to_string()));
            write_node(out, list, depth + 1, "list: ");
            filters.iter().for_each(|filter| write_node(out, filter, depth + 1, "filter: "));
            write_node(out, key, depth + 1, "key: ");
        }
        NodeKind::Flatten(list) => {
            line(out, depth, label, &typed("Flatten".to_string()));
            write_node(out, list, depth + 1, "");
        }
        NodeKind::Array(elements) => {
            line(out, depth, label, &typed("Array".to_string()));
            elements.iter().for_each(|element| write_node(out, element, depth + 1, ""));
        }
        NodeKind::ListEquals { lhs, rhs, negated } => {
            line(out, depth, label, &typed(if *negated { "ListNotEquals" } else { "ListEquals" }.to_string()));
            write_node(out, lhs, depth + 1, "");
            write_node(out, rhs, depth + 1, "");
        }
    }
}

fn column(scope: usize, path: &[String]) -> String {
    if path.is_empty() { format!("${scope}") } else { format!("${scope}.{}", path.join(".")) }
}

fn literal(scalar: &Scalar) -> String {
    scalar.to_string()
}

fn arithmetic_symbol(op: ArithmeticOp) -> &'static str {
    match op {
        ArithmeticOp::Add => "+",
        ArithmeticOp::Sub => "-",
        ArithmeticOp::Mul => "*",
        ArithmeticOp::Div => "/",
        ArithmeticOp::Rem => "%",
    }
}

fn string_op(op: StringOp) -> &'static str {
    match op {
        StringOp::Equals => "equals",
        StringOp::Contains => "contains",
        StringOp::StartsWith => "startsWith",
        StringOp::EndsWith => "endsWith",
    }
}

fn function_name(function: &ListFunction) -> &'static str {
    match function {
        ListFunction::Exists => "exists",
        ListFunction::Forall(_) => "forall",
        ListFunction::Count => "count",
        ListFunction::Sum(_) => "sum",
        ListFunction::Average(_) => "average",
        ListFunction::Min(_) => "min",
        ListFunction::Max(_) => "max",
        ListFunction::CountDistinct(_) => "distinct count",
        ListFunction::First(_) => "head",
    }
}

/// Writes a time condition as PQL writes the tail of `occurs`. A timestamp reference prints as
/// `<instant>`, `<start>` or `<end>`, and its node follows as a labelled child.
fn time_condition(condition: &TimeCondition) -> String {
    match condition {
        TimeCondition::Offset { cmp, amount, unit, direction, reference } => format!(
            "{} {amount} {} {} {}",
            cmp.symbol(),
            unit_word(*unit, *amount),
            direction.keyword(),
            time_ref(reference, "<instant>")
        ),
        TimeCondition::Direction { direction, reference } => {
            let keyword = if *direction == Direction::Before { "before" } else { "after" };
            format!("{keyword} {}", time_ref(reference, "<instant>"))
        }
        TimeCondition::On(reference) => format!("on {}", time_ref(reference, "<instant>")),
        TimeCondition::Between(start, end) => {
            format!("between {} and {}", time_ref(start, "<start>"), time_ref(end, "<end>"))
        }
    }
}

fn instant_references(condition: &TimeCondition) -> Vec<(&'static str, &Node)> {
    match condition {
        TimeCondition::Offset { reference: TimeRef::Instant(node), .. }
        | TimeCondition::Direction { reference: TimeRef::Instant(node), .. }
        | TimeCondition::On(TimeRef::Instant(node)) => vec![("instant: ", &**node)],
        TimeCondition::Offset { reference: TimeRef::DayOf(node), .. }
        | TimeCondition::Direction { reference: TimeRef::DayOf(node), .. }
        | TimeCondition::On(TimeRef::DayOf(node)) => vec![("day of: ", &**node)],
        TimeCondition::Between(start, end) => {
            let mut references = Vec::new();
            if let TimeRef::Instant(node) | TimeRef::DayOf(node) = start {
                references.push(("start: ", &**node));
            }
            if let TimeRef::Instant(node) | TimeRef::DayOf(node) = end {
                references.push(("end: ", &**node));
            }
            references
        }
        _ => Vec::new(),
    }
}

fn time_ref(reference: &TimeRef, placeholder: &str) -> String {
    match reference {
        TimeRef::Word(word) => time_word(*word),
        TimeRef::Day { year, month, day } => format!("date({year}, {month}, {day})"),
        TimeRef::Instant(_) => placeholder.to_string(),
        TimeRef::DayOf(_) => format!("day of {placeholder}"),
    }
}

fn time_word(word: TimeWord) -> String {
    match word {
        TimeWord::Now => "now".to_string(),
        TimeWord::Today => "today".to_string(),
        TimeWord::Yesterday => "yesterday".to_string(),
        TimeWord::Tomorrow => "tomorrow".to_string(),
        TimeWord::This(unit) => format!("this {}", unit.singular()),
        TimeWord::Last(unit) => format!("last {}", unit.singular()),
        TimeWord::Next(unit) => format!("next {}", unit.singular()),
    }
}

fn unit_word(unit: TimeUnit, amount: u64) -> &'static str {
    if amount == 1 { unit.singular() } else { unit.plural() }
}
