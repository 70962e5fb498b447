//! A compact, PQL-like text form of plans for failure messages.
//!
//! `$s.a.b` reads path `a.b` of scope `s` (`$0` is the profile), `list[f1 and f2].count()` is
//! an aggregate with its filters, and `chain(list by path, [label: condition x count])` a chain.

use seg_plan::{ArithmeticOp, ListFunction, Node, NodeKind, StringOp, TimeCondition, TimeRef};

/// Renders a plan node as one line of text.
pub fn render(node: &Node) -> String {
    match &node.kind {
        NodeKind::Literal(scalar) => scalar.to_string(),
        NodeKind::Column { scope, path } => {
            let mut text = format!("${scope}");
            for name in path {
                text.push('.');
                text.push_str(name);
            }
            text
        }
        NodeKind::Not(operand) => format!("not({})", render(operand)),
        NodeKind::And(operands) => join(operands, " and ", "true"),
        NodeKind::Or(operands) => join(operands, " or ", "false"),
        NodeKind::Compare { op, lhs, rhs } => format!("({} {} {})", render(lhs), op.symbol(), render(rhs)),
        NodeKind::InList { value, list, negated } => {
            let constants: Vec<String> = list.iter().map(ToString::to_string).collect();
            let keyword = if *negated { "notIn" } else { "in" };
            format!("({} {keyword} [{}])", render(value), constants.join(", "))
        }
        NodeKind::Arithmetic { op, lhs, rhs } => {
            format!("({} {} {})", render(lhs), arithmetic_symbol(*op), render(rhs))
        }
        NodeKind::Negate(operand) => format!("-({})", render(operand)),
        NodeKind::ToDouble(operand) => format!("double({})", render(operand)),
        NodeKind::IsNull { value, negated } => {
            let method = if *negated { "isNotNull" } else { "isNull" };
            format!("{}.{method}()", render(value))
        }
        NodeKind::Truthy(operand) => format!("truthy({})", render(operand)),
        NodeKind::StringTest { op, value, patterns, case_sensitive, negated } => {
            let method = match op {
                StringOp::Equals => "equals",
                StringOp::Contains => "contains",
                StringOp::StartsWith => "startsWith",
                StringOp::EndsWith => "endsWith",
            };
            let negation = if *negated { "not " } else { "" };
            let case = if *case_sensitive { "" } else { ", ignoring case" };
            format!("{negation}{}.{method}({patterns:?}{case})", render(value))
        }
        NodeKind::Regex { value, source, .. } => format!("{}.matches({source:?})", render(value)),
        NodeKind::Occurs { subject, condition } => {
            format!("({} occurs {})", render(subject), render_condition(condition))
        }
        NodeKind::ListAggregate { list, filters, function } => {
            let filter =
                if filters.is_empty() { String::new() } else { format!("[{}]", join(filters, " and ", "true")) };
            format!("{}{filter}.{}", render(list), render_function(function))
        }
        NodeKind::Chain(plan) => {
            let steps: Vec<String> = plan
                .steps
                .iter()
                .map(|step| format!("{}: {} x{}", step.label, render(&step.condition), step.count))
                .collect();
            format!("chain({} by {}, [{}])", render(&plan.list), plan.order_path.join("."), steps.join("; "))
        }
        NodeKind::InSegment(id) => format!("inSegment({id:?})"),
        NodeKind::If { condition, then, otherwise } => {
            format!("if({}, {}, {})", render(condition), render(then), render(otherwise))
        }
        NodeKind::TimeValue(word) => format!("{word:?}"),
        NodeKind::DatePart { part, value } => format!("{}.{part:?}()", render(value)),
        NodeKind::MakeDate { year, month, day } => {
            format!("date({}, {}, {})", render(year), render(month), render(day))
        }
        NodeKind::RegexGroup { value, source, group, .. } => format!("{}.regexGroup({source:?}, {group})", render(value)),
        NodeKind::MapGet { map, key } => format!("{}.get({})", render(map), render(key)),
        NodeKind::MapList { map, part } => format!("{}.{part:?}()", render(map)),
        NodeKind::ToMap(list) => format!("toMap({})", render(list)),
        NodeKind::Object(fields) => {
            let fields: Vec<String> = fields.iter().map(|(name, value)| format!("{name:?}: {}", render(value))).collect();
            format!("{{{}}}", fields.join(", "))
        }
        NodeKind::Field { value, name } => format!("{}.{name}", render(value)),
        NodeKind::ListMap { list, filters, element } => {
            format!("{}{}.map({})", render(list), render_filters(filters), render(element))
        }
        NodeKind::ListTop { list, filters, key, count, descending } => {
            let method = if *descending { "topN" } else { "bottomN" };
            format!("{}{}.{method}({}, {count})", render(list), render_filters(filters), render(key))
        }
        NodeKind::Distinct(list) => format!("{}.distinct()", render(list)),
        NodeKind::GroupBy { list, filters, key } => {
            format!("{}{}.groupBy({})", render(list), render_filters(filters), render(key))
        }
        NodeKind::Flatten(list) => format!("flatten({})", render(list)),
        NodeKind::Array(elements) => {
            let elements: Vec<String> = elements.iter().map(render).collect();
            format!("[{}]", elements.join(", "))
        }
        NodeKind::ListEquals { lhs, rhs, negated } => {
            format!("({} {} {})", render(lhs), if *negated { "!=" } else { "=" }, render(rhs))
        }
    }
}

fn render_filters(filters: &[Node]) -> String {
    if filters.is_empty() { String::new() } else { format!("[{}]", join(filters, " and ", "true")) }
}

fn join(operands: &[Node], separator: &str, empty: &str) -> String {
    if operands.is_empty() {
        return empty.to_string();
    }
    let parts: Vec<String> = operands.iter().map(render).collect();
    format!("({})", parts.join(separator))
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

fn render_function(function: &ListFunction) -> String {
    match function {
        ListFunction::Exists => "exists()".to_string(),
        ListFunction::Count => "count()".to_string(),
        ListFunction::Forall(condition) => format!("forall({})", render(condition)),
        ListFunction::Sum(expression) => format!("sum({})", render(expression)),
        ListFunction::Average(expression) => format!("average({})", render(expression)),
        ListFunction::Min(expression) => format!("min({})", render(expression)),
        ListFunction::Max(expression) => format!("max({})", render(expression)),
        ListFunction::CountDistinct(expression) => format!("map({}).distinct().count()", render(expression)),
        ListFunction::First(expression) => format!("map({}).head()", render(expression)),
    }
}

fn render_condition(condition: &TimeCondition) -> String {
    match condition {
        TimeCondition::Offset { cmp, amount, unit, direction, reference } => {
            format!("{} {amount} {unit:?} {} {}", cmp.symbol(), direction.keyword(), render_ref(reference))
        }
        TimeCondition::Direction { direction, reference } => {
            format!("{} {}", direction.keyword(), render_ref(reference))
        }
        TimeCondition::On(reference) => format!("on {}", render_ref(reference)),
        TimeCondition::Between(first, last) => format!("between {} and {}", render_ref(first), render_ref(last)),
    }
}

fn render_ref(reference: &TimeRef) -> String {
    match reference {
        TimeRef::Word(word) => format!("{word:?}"),
        TimeRef::Day { year, month, day } => format!("date({year}, {month}, {day})"),
        TimeRef::Instant(node) => render(node),
        TimeRef::DayOf(node) => format!("dayOf({})", render(node)),
    }
}
