//! Binder behaviour: name resolution, types, conversions and pinned diagnostics.

use std::sync::Arc;

use arrow::datatypes::{DataType as Arrow, Field, Fields, Schema, TimeUnit};
use seg_plan::{DataType, ListFunction, Node, NodeKind, Scalar, SegmentPlan, bind};
use seg_pql::Diagnostic;

fn timestamp() -> Arrow {
    Arrow::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn schema() -> Schema {
    let item = Fields::from(vec![Field::new("SKU", Arrow::Utf8, true), Field::new("quantity", Arrow::Int64, true)]);
    let event = Fields::from(vec![
        Field::new("timestamp", timestamp(), true),
        Field::new("eventType", Arrow::Utf8, true),
        Field::new("value", Arrow::Float64, true),
        Field::new("productListItems", Arrow::List(Arc::new(Field::new("item", Arrow::Struct(item), true))), true),
    ]);
    let person = Fields::from(vec![
        Field::new("age", Arrow::Int32, true),
        Field::new("vip", Arrow::Boolean, true),
        Field::new("name", Arrow::Utf8, true),
    ]);
    Schema::new(vec![
        Field::new("_id", Arrow::Utf8, false),
        Field::new("person", Arrow::Struct(person), true),
        Field::new("xEvent", Arrow::List(Arc::new(Field::new("item", Arrow::Struct(event), true))), true),
    ])
}

fn compile(text: &str) -> Result<SegmentPlan, Diagnostic> {
    bind(&seg_pql::parse(text)?, &schema())
}

fn error(text: &str) -> String {
    match compile(text) {
        Ok(plan) => format!("unexpectedly compiled: {plan:?}"),
        Err(diagnostic) => diagnostic.render(text),
    }
}

fn compare_operands(node: &Node) -> Option<(&Node, &Node)> {
    match &node.kind {
        NodeKind::Compare { lhs, rhs, .. } => Some((lhs, rhs)),
        _ => None,
    }
}

#[test]
fn unknown_field_suggests_name() {
    let expected = "error[E0101]: unknown field `agee` in `person`\n \
                    --> line 1, column 8\n  \
                    |\n\
                    1 | person.agee > 3\n  \
                    |        ^^^^\n  \
                    = help: did you mean `age`?\n";
    assert_eq!(error("person.agee > 3"), expected);
}

#[test]
fn unknown_field_lists_fields() {
    let rendered = error("person.zzzzzz > 3");
    assert!(rendered.contains("= help: available fields: `age`, `name`, `vip`"), "{rendered}");
}

#[test]
fn filter_resolves_event_fields() {
    let rendered = error("xEvent[evenType = \"a\"]");
    assert!(rendered.contains("unknown field `evenType`"), "{rendered}");
    assert!(rendered.contains("did you mean `eventType`?"), "{rendered}");
}

#[test]
fn comparing_number_with_word_fails() {
    let rendered = error("person.age = \"old\"");
    assert!(rendered.contains("error[E0201]: the string \"old\" is not a valid integer"), "{rendered}");
}

#[test]
fn string_literal_converts_to_boolean() -> Result<(), Diagnostic> {
    let plan = compile("person.vip = \"true\"")?;
    let (_, rhs) = compare_operands(&plan.root).ok_or_else(|| Diagnostic::new("T", "not a comparison", Default::default()))?;
    assert!(matches!(rhs.kind, NodeKind::Literal(Scalar::Bool(true))), "{rhs:?}");
    Ok(())
}

#[test]
fn integer_meets_double_as_double() -> Result<(), Diagnostic> {
    let plan = compile("person.age > 2.5")?;
    let (lhs, _) = compare_operands(&plan.root).ok_or_else(|| Diagnostic::new("T", "not a comparison", Default::default()))?;
    assert_eq!(lhs.data_type, DataType::Double);
    assert!(matches!(lhs.kind, NodeKind::ToDouble(_)), "{lhs:?}");
    Ok(())
}

#[test]
fn division_is_double() -> Result<(), Diagnostic> {
    let plan = compile("person.age / 2 > 1")?;
    let (lhs, _) = compare_operands(&plan.root).ok_or_else(|| Diagnostic::new("T", "not a comparison", Default::default()))?;
    assert_eq!(lhs.data_type, DataType::Double);
    Ok(())
}

#[test]
fn caret_reads_profile_from_item() -> Result<(), Diagnostic> {
    let plan = compile("xEvent[productListItems[SKU = \"CD\" or ^^.person.name = \"x\"]]")?;
    let text = format!("{:?}", plan.root);
    assert!(text.contains("Column { scope: 0, path: [\"person\", \"name\"] }"), "{text}");
    assert!(text.contains("Column { scope: 2, path: [\"SKU\"] }"), "{text}");
    Ok(())
}

#[test]
fn caret_past_profile_fails() {
    let rendered = error("xEvent[^^.person.age > 1]");
    assert!(rendered.contains("error[E0104]: `^^` climbs 2 scopes but only 1 enclosing filters are open"), "{rendered}");
}

#[test]
fn count_of_filter_is_aggregate() -> Result<(), Diagnostic> {
    let plan = compile("xEvent[eventType = \"a\"].count() >= 3")?;
    let (lhs, _) = compare_operands(&plan.root).ok_or_else(|| Diagnostic::new("T", "not a comparison", Default::default()))?;
    assert!(matches!(&lhs.kind, NodeKind::ListAggregate { function: ListFunction::Count, filters, .. } if filters.len() == 1));
    Ok(())
}

#[test]
fn in_segment_collects_dependencies() -> Result<(), Diagnostic> {
    let plan = compile("inSegment(\"a\") and (inSegment(\"b\") or inSegment(\"a\"))")?;
    assert_eq!(plan.dependencies, ["a", "b"]);
    Ok(())
}

#[test]
fn let_value_is_inlined() -> Result<(), Diagnostic> {
    let plan = compile("let x = person.age + 1 in x > 3")?;
    let (lhs, _) = compare_operands(&plan.root).ok_or_else(|| missing("a comparison"))?;
    assert!(matches!(lhs.kind, NodeKind::Arithmetic { .. }), "{:?}", lhs.kind);
    Ok(())
}

#[test]
fn let_inside_filter_reads_profile() -> Result<(), Diagnostic> {
    // `n` is written at the profile, so inside the filter it still reads scope 0.
    let plan = compile("let n = person.name in xEvent[eventType = n]")?;
    let text = format!("{:?}", plan.root);
    assert!(text.contains("Column { scope: 0, path: [\"person\", \"name\"] }"), "{text}");
    Ok(())
}

#[test]
fn let_value_errors_even_unused() {
    let rendered = error("let x = person.agee in true");
    assert!(rendered.starts_with("error[E0101]: unknown field `agee`"), "{rendered}");
}

#[test]
fn operands_of_and_report_every_error() {
    let text = "person.agee > 1 and (person.nam = \"a\" or person.age = true)";
    let Err(diagnostic) = compile(text) else { panic!("{text} compiled") };
    assert_eq!(diagnostic.code, "E0101");
    assert!(diagnostic.message.contains("agee"), "{}", diagnostic.message);
    let related: Vec<&str> = diagnostic.related.iter().map(|related| related.code).collect();
    assert_eq!(related, ["E0101", "E0201"]);
    assert!(diagnostic.related[0].message.contains("nam"), "{}", diagnostic.related[0].message);
    let rendered = diagnostic.render(text);
    assert_eq!(rendered.matches("error[").count(), 3, "{rendered}");
}

#[test]
fn chain_steps_report_every_error() {
    let text = "chain(xEvent, timestamp, [A: WHAT(eventTyp = \"a\"), B: WHAT(valu > 1)])";
    let Err(diagnostic) = compile(text) else { panic!("{text} compiled") };
    assert!(diagnostic.message.contains("eventTyp"), "{}", diagnostic.message);
    assert_eq!(diagnostic.related.len(), 1);
    assert!(diagnostic.related[0].message.contains("valu"), "{}", diagnostic.related[0].message);
}

#[test]
fn if_branches_unify_numbers() -> Result<(), Diagnostic> {
    let plan = compile("if(person.vip, 1, 2.5) > 2")?;
    let (lhs, _) = compare_operands(&plan.root).ok_or_else(|| missing("a comparison"))?;
    assert_eq!(lhs.data_type, DataType::Double);
    Ok(())
}

#[test]
fn if_branches_of_other_types_rejected() {
    let rendered = error("if(person.vip, 1, \"a\") = 1");
    assert!(rendered.starts_with("error[E0201]: the branches of `if` have different types: integer and string"), "{rendered}");
}

#[test]
fn lambda_outside_method_rejected() {
    let rendered = error("person.age = ((E) => 1)");
    assert!(rendered.starts_with("error[E0105]: a lambda is only allowed as the argument of a method"), "{rendered}");
}

#[test]
fn regex_group_index_checked() {
    let rendered = error("person.name.regexGroup(\"a(b)\", 2) = \"b\"");
    assert!(rendered.starts_with("error[E0205]: group 2 does not exist: the pattern \"a(b)\" has 1 capture groups"), "{rendered}");
}

#[test]
fn date_with_computed_year_is_timestamp() -> Result<(), Diagnostic> {
    let plan = compile("xEvent[timestamp occurs on date(currentYear() - 1, 10, 1)]")?;
    let text = format!("{:?}", plan.root);
    assert!(text.contains("DayOf"), "{text}");
    assert!(text.contains("MakeDate"), "{text}");
    Ok(())
}

#[test]
fn invalid_regex_names_reason() {
    let rendered = error("person.name.matches(\"(?=a)\")");
    assert!(rendered.starts_with("error[E0205]: invalid regular expression \"(?=a)\""), "{rendered}");
    assert!(rendered.contains("look-around"), "{rendered}");
}

#[test]
fn oversized_regex_suggests_smaller_repetition() {
    let rendered = error("person.name.matches(\"a{1000000}\")");
    assert!(rendered.starts_with("error[E0205]: invalid regular expression \"a{1000000}\""), "{rendered}");
    assert!(rendered.contains("exceeds size limit"), "{rendered}");
    assert!(rendered.contains("smaller repetition count"), "{rendered}");
}

#[test]
fn invalid_date_is_rejected() {
    let rendered = error("xEvent[timestamp occurs on date(2019, 2, 29)]");
    assert!(rendered.starts_with("error[E0204]: date(2019, 2, 29) is not a calendar day"), "{rendered}");
}

#[test]
fn chain_needs_timestamp_order_field() {
    let rendered = error("chain(xEvent, eventType, [A: WHAT(eventType = \"a\")])");
    assert!(rendered.starts_with("error[E0201]: expected a timestamp field, found string"), "{rendered}");
}

#[test]
fn unknown_method_suggests_name() {
    let rendered = error("person.name.startWith(\"a\")");
    assert!(rendered.contains("error[E0102]: unknown method `startWith`"), "{rendered}");
    assert!(rendered.contains("did you mean `startsWith`?"), "{rendered}");
}

#[test]
fn select_variable_reads_element() -> Result<(), Diagnostic> {
    let plan = compile("select E from xEvent where E.value > 1, I from E.productListItems where I.quantity > ^^.person.age")
        .or_else(|_| compile("select E from xEvent where E.value > 1, I from E.productListItems where I.quantity > person.age"))?;
    let text = format!("{:?}", plan.root);
    assert!(text.contains("Column { scope: 2, path: [\"quantity\"] }"), "{text}");
    assert!(text.contains("Column { scope: 1, path: [\"productListItems\"] }"), "{text}");
    Ok(())
}

#[test]
fn lambda_parameter_is_profile() -> Result<(), Diagnostic> {
    let plan = compile("(P) => P.person.age > 1")?;
    let text = format!("{:?}", plan.root);
    assert!(text.contains("Column { scope: 0, path: [\"person\", \"age\"] }"), "{text}");
    Ok(())
}

#[test]
fn bare_path_is_presence_test() -> Result<(), Diagnostic> {
    let plan = compile("person.name")?;
    assert!(matches!(plan.root.kind, NodeKind::Truthy(_)));
    Ok(())
}

/// Returns the list, filters and function of a list aggregate node.
fn aggregate_parts(node: &Node) -> Option<(&Node, &[Node], &ListFunction)> {
    match &node.kind {
        NodeKind::ListAggregate { list, filters, function } => Some((list, filters, function)),
        _ => None,
    }
}

fn missing(what: &str) -> Diagnostic {
    Diagnostic::new("T", format!("expected {what}"), Default::default())
}

#[test]
fn projection_compare_is_exists() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.value > person.age")?;
    let (list, filters, function) = aggregate_parts(&plan.root).ok_or_else(|| missing("an aggregate"))?;
    assert!(matches!(function, ListFunction::Exists));
    assert!(matches!(&list.kind, NodeKind::Column { scope: 0, path } if path == &["xEvent"]));
    let [filter] = filters else { return Err(missing("one filter")) };
    let (lhs, rhs) = compare_operands(filter).ok_or_else(|| missing("a comparison"))?;
    let text = format!("{lhs:?} {rhs:?}");
    assert!(text.contains("Column { scope: 1, path: [\"value\"] }"), "{text}");
    assert!(text.contains("Column { scope: 0, path: [\"person\", \"age\"] }"), "{text}");
    Ok(())
}

#[test]
fn projection_on_right_side() -> Result<(), Diagnostic> {
    let plan = compile("3 < xEvent.value")?;
    assert!(matches!(aggregate_parts(&plan.root), Some((_, [_], ListFunction::Exists))));
    Ok(())
}

#[test]
fn projection_through_two_arrays_nests() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.productListItems.SKU = \"CD\"")?;
    let (_, filters, _) = aggregate_parts(&plan.root).ok_or_else(|| missing("an outer aggregate"))?;
    let [inner] = filters else { return Err(missing("one outer filter")) };
    let (list, filters, function) = aggregate_parts(inner).ok_or_else(|| missing("an inner aggregate"))?;
    assert!(matches!(function, ListFunction::Exists));
    assert!(matches!(&list.kind, NodeKind::Column { scope: 1, path } if path == &["productListItems"]));
    let text = format!("{filters:?}");
    assert!(text.contains("Column { scope: 2, path: [\"SKU\"] }"), "{text}");
    Ok(())
}

#[test]
fn projection_of_filtered_events() -> Result<(), Diagnostic> {
    let plan = compile("xEvent[eventType = \"buy\"].value >= 10")?;
    let (_, filters, _) = aggregate_parts(&plan.root).ok_or_else(|| missing("an aggregate"))?;
    assert_eq!(filters.len(), 2, "{filters:?}");
    Ok(())
}

#[test]
fn projection_string_tests_and_in() -> Result<(), Diagnostic> {
    for text in [
        "xEvent.eventType.startsWith(\"a\")",
        "xEvent.eventType in [\"a\", \"b\"]",
        "xEvent.eventType notIn [\"a\"]",
        "xEvent.eventType like \"a%\"",
        "xEvent.eventType.matches(\"^a\")",
        "xEvent.timestamp occurs last month",
    ] {
        let plan = compile(text)?;
        assert!(matches!(aggregate_parts(&plan.root), Some((_, [_], ListFunction::Exists))), "{text}: {:?}", plan.root);
    }
    Ok(())
}

#[test]
fn projection_sum_reads_field() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.value.sum() > 100")?;
    let (lhs, _) = compare_operands(&plan.root).ok_or_else(|| missing("a comparison"))?;
    let (_, filters, function) = aggregate_parts(lhs).ok_or_else(|| missing("an aggregate"))?;
    assert!(filters.is_empty());
    let text = format!("{function:?}");
    assert!(matches!(function, ListFunction::Sum(_)), "{text}");
    assert!(text.contains("Column { scope: 1, path: [\"value\"] }"), "{text}");
    assert_eq!(lhs.data_type, DataType::Double);
    Ok(())
}

#[test]
fn projection_count_counts_elements() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.value.count() = 2")?;
    let (lhs, _) = compare_operands(&plan.root).ok_or_else(|| missing("a comparison"))?;
    assert!(matches!(aggregate_parts(lhs), Some((_, _, ListFunction::Count))));
    Ok(())
}

#[test]
fn projection_sum_across_two_arrays_nests() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.productListItems.quantity.sum() > 1")?;
    let (lhs, _) = compare_operands(&plan.root).ok_or_else(|| missing("a comparison"))?;
    let (_, _, outer) = aggregate_parts(lhs).ok_or_else(|| missing("an outer aggregate"))?;
    let ListFunction::Sum(inner) = outer else { return Err(missing("an outer sum")) };
    let (list, _, function) = aggregate_parts(inner).ok_or_else(|| missing("an inner aggregate"))?;
    assert!(matches!(&list.kind, NodeKind::Column { scope: 1, path } if path == &["productListItems"]));
    let text = format!("{function:?}");
    assert!(text.contains("Column { scope: 2, path: [\"quantity\"] }"), "{text}");
    Ok(())
}

#[test]
fn projection_count_across_two_arrays_sums_counts() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.productListItems.count() > 1")?;
    let (lhs, _) = compare_operands(&plan.root).ok_or_else(|| missing("a comparison"))?;
    let (_, _, outer) = aggregate_parts(lhs).ok_or_else(|| missing("an outer aggregate"))?;
    let ListFunction::Sum(inner) = outer else { return Err(missing("an outer sum")) };
    assert!(matches!(aggregate_parts(inner), Some((_, _, ListFunction::Count))));
    assert_eq!(lhs.data_type, DataType::Int);
    Ok(())
}

#[test]
fn projection_average_across_two_arrays_flattens() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.productListItems.quantity.average() > 1")?;
    let (lhs, _) = compare_operands(&plan.root).ok_or_else(|| missing("a comparison"))?;
    let (list, _, function) = aggregate_parts(lhs).ok_or_else(|| missing("an aggregate"))?;
    assert!(matches!(function, ListFunction::Average(_)), "{function:?}");
    assert!(matches!(list.kind, NodeKind::Flatten(_)), "{:?}", list.kind);
    Ok(())
}

#[test]
fn projection_sum_of_string_rejected() {
    let rendered = error("xEvent.eventType.sum() > 1");
    assert!(rendered.starts_with("error[E0201]: expected a number, found string"), "{rendered}");
}

#[test]
fn projection_of_object_rejected() {
    let rendered = error("xEvent.productListItems = 1");
    assert!(rendered.starts_with("error[E0201]: expected a boolean, number, string or timestamp, found object"), "{rendered}");
}

#[test]
fn projection_unknown_field_suggests() {
    let rendered = error("xEvent.eventTyp = \"a\"");
    assert!(rendered.contains("error[E0101]: unknown field `eventTyp`"), "{rendered}");
    assert!(rendered.contains("did you mean `eventType`?"), "{rendered}");
}

#[test]
fn in_projection_is_exists() -> Result<(), Diagnostic> {
    let plan = compile("person.name in xEvent.eventType")?;
    let (_, filters, function) = aggregate_parts(&plan.root).ok_or_else(|| missing("an aggregate"))?;
    assert!(matches!(function, ListFunction::Exists));
    let [filter] = filters else { return Err(missing("one filter")) };
    let (lhs, rhs) = compare_operands(filter).ok_or_else(|| missing("a comparison"))?;
    assert!(matches!(&lhs.kind, NodeKind::Column { scope: 0, path } if path == &["person", "name"]));
    assert!(matches!(&rhs.kind, NodeKind::Column { scope: 1, path } if path == &["eventType"]));
    Ok(())
}

#[test]
fn not_in_array_checks_nulls() -> Result<(), Diagnostic> {
    let plan = compile("person.name notIn xEvent.eventType")?;
    let NodeKind::And(conditions) = &plan.root.kind else { return Err(missing("a conjunction")) };
    assert_eq!(conditions.len(), 3, "{conditions:?}");
    assert!(matches!(&conditions[0].kind, NodeKind::IsNull { negated: true, .. }));
    assert!(matches!(&conditions[1].kind, NodeKind::IsNull { negated: true, .. }));
    assert!(matches!(&conditions[2].kind, NodeKind::Not(_)));
    Ok(())
}

#[test]
fn in_scalar_field_rejected() {
    let rendered = error("\"a\" in person.name");
    assert!(rendered.starts_with("error[E0201]: expected an array, found string"), "{rendered}");
}

#[test]
fn includes_is_membership() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.eventType.includes(person.name)")?;
    assert!(matches!(aggregate_parts(&plan.root), Some((_, [_], ListFunction::Exists))));
    Ok(())
}

#[test]
fn intersects_nests_two_exists() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.eventType.intersects(xEvent.productListItems.SKU)")?;
    let (_, filters, _) = aggregate_parts(&plan.root).ok_or_else(|| missing("an aggregate"))?;
    let [inner] = filters else { return Err(missing("one filter")) };
    assert!(matches!(aggregate_parts(inner), Some((_, _, ListFunction::Exists))), "{inner:?}");
    Ok(())
}

#[test]
fn intersects_literal_uses_in_list() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.eventType.intersects([\"a\", \"b\"])")?;
    let (_, filters, _) = aggregate_parts(&plan.root).ok_or_else(|| missing("an aggregate"))?;
    assert!(matches!(filters, [Node { kind: NodeKind::InList { negated: false, .. }, .. }]), "{filters:?}");
    Ok(())
}

#[test]
fn subset_is_forall_with_null_checks() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.eventType.subsetOf(xEvent.productListItems.SKU)")?;
    let NodeKind::And(conditions) = &plan.root.kind else { return Err(missing("a conjunction")) };
    assert_eq!(conditions.len(), 3, "{conditions:?}");
    assert!(matches!(aggregate_parts(&conditions[2]), Some((_, _, ListFunction::Forall(_)))));
    Ok(())
}

#[test]
fn superset_of_literal_tests_each() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.eventType.supersetOf([\"a\", \"b\"])")?;
    let NodeKind::And(conditions) = &plan.root.kind else { return Err(missing("a conjunction")) };
    assert_eq!(conditions.len(), 3, "{conditions:?}");
    assert!(matches!(aggregate_parts(&conditions[1]), Some((_, _, ListFunction::Exists))));
    Ok(())
}

#[test]
fn subset_of_scalar_rejected() {
    let rendered = error("xEvent.eventType.subsetOf(person.name)");
    assert!(rendered.starts_with("error[E0201]: expected an array, found string"), "{rendered}");
}

#[test]
fn includes_needs_one_argument() {
    let rendered = error("xEvent.eventType.includes()");
    assert!(rendered.starts_with("error[E0202]: `includes` takes 1 argument, found 0"), "{rendered}");
}

#[test]
fn in_array_of_objects_needs_object() {
    let rendered = error("person.age in xEvent");
    assert!(rendered.starts_with("error[E0201]: expected a boolean, number, string or timestamp, found object"), "{rendered}");
}

#[test]
fn object_membership_compares_fields() -> Result<(), Diagnostic> {
    let plan = compile("person in [person]")?;
    let text = format!("{:?}", plan.root);
    assert!(text.contains("path: [\"person\", \"vip\"]"), "{text}");
    let rendered = error("xEvent.head() in xEvent");
    assert!(rendered.starts_with("error[E0201]: cannot compare objects whose field `productListItems` is an array"), "{rendered}");
    Ok(())
}

#[test]
fn distinct_count_of_projection() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.eventType.distinct().count() > 1")?;
    let (lhs, _) = compare_operands(&plan.root).ok_or_else(|| missing("a comparison"))?;
    let (_, _, function) = aggregate_parts(lhs).ok_or_else(|| missing("an aggregate"))?;
    let text = format!("{function:?}");
    assert!(matches!(function, ListFunction::CountDistinct(_)), "{text}");
    assert!(text.contains("Column { scope: 1, path: [\"eventType\"] }"), "{text}");
    assert_eq!(lhs.data_type, DataType::Int);
    Ok(())
}

#[test]
fn head_of_projection_is_value() -> Result<(), Diagnostic> {
    let plan = compile("xEvent[eventType = \"a\"].value.head() > 2")?;
    let (lhs, _) = compare_operands(&plan.root).ok_or_else(|| missing("a comparison"))?;
    let (_, filters, function) = aggregate_parts(lhs).ok_or_else(|| missing("an aggregate"))?;
    assert_eq!(filters.len(), 1);
    assert!(matches!(function, ListFunction::First(_)), "{function:?}");
    assert_eq!(lhs.data_type, DataType::Double);
    Ok(())
}

#[test]
fn head_of_objects_is_object() {
    let rendered = error("xEvent.head() = 1");
    assert!(rendered.starts_with("error[E0201]: expected a boolean, number, string or timestamp, found object"), "{rendered}");
}

#[test]
fn distinct_without_count_is_list() -> Result<(), Diagnostic> {
    let plan = compile("xEvent.eventType.distinct()")?;
    let NodeKind::Truthy(list) = &plan.root.kind else { return Err(missing("a truthy list")) };
    assert!(matches!(list.kind, NodeKind::Distinct(_)), "{:?}", list.kind);
    assert_eq!(list.data_type, DataType::List(Box::new(DataType::String)));
    Ok(())
}

#[test]
fn unreadable_column_is_named() -> Result<(), Diagnostic> {
    let mut fields: Vec<Field> = schema().fields().iter().map(|field| field.as_ref().clone()).collect();
    fields.push(Field::new("photo", Arrow::Binary, true));
    let schema = Schema::new(fields);
    let text = "photo.isNull()";
    let error = bind(&seg_pql::parse(text)?, &schema).err().map(|d| d.render(text)).unwrap_or_default();
    assert!(error.starts_with("error[E0206]: column `photo` has Arrow type Binary, which PQL cannot read"), "{error}");
    let plan = bind(&seg_pql::parse("person.age > 1")?, &schema);
    assert!(plan.is_ok(), "{plan:?}");
    Ok(())
}
