//! Pins the code, message and help line of every binder diagnostic, one case per message,
//! so a change to any wording shows up here.

use std::sync::Arc;

use arrow::datatypes::{DataType as Arrow, Field, Fields, Schema, TimeUnit};
use seg_plan::bind;

fn timestamp() -> Arrow {
    Arrow::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn list_of(element: Arrow) -> Arrow {
    Arrow::List(Arc::new(Field::new("item", element, true)))
}

fn schema() -> Schema {
    let item = Fields::from(vec![Field::new("SKU", Arrow::Utf8, true), Field::new("quantity", Arrow::Int64, true)]);
    let event = Fields::from(vec![
        Field::new("timestamp", timestamp(), true),
        Field::new("eventType", Arrow::Utf8, true),
        Field::new("value", Arrow::Float64, true),
        Field::new("productListItems", list_of(Arrow::Struct(item)), true),
        Field::new("nested", list_of(list_of(Arrow::Int64)), true),
    ]);
    let person = Fields::from(vec![
        Field::new("age", Arrow::Int64, true),
        Field::new("vip", Arrow::Boolean, true),
        Field::new("name", Arrow::Utf8, true),
        Field::new("birth", timestamp(), true),
    ]);
    Schema::new(vec![
        Field::new("_id", Arrow::Utf8, false),
        Field::new("person", Arrow::Struct(person), true),
        Field::new("tags", list_of(Arrow::Utf8), true),
        Field::new("photo", Arrow::Binary, true),
        Field::new("xEvent", list_of(Arrow::Struct(event)), true),
    ])
}

/// One definition that fails to bind, with the code, message and help line it must report.
struct Case {
    definition: &'static str,
    code: &'static str,
    message: &'static str,
    help: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        definition: r#"person.agee > 1"#,
        code: "E0101",
        message: "unknown field `agee` in `person`",
        help: Some("did you mean `age`?"),
    },
    Case {
        definition: r#"person.name.startsWithh("a")"#,
        code: "E0102",
        message: "unknown method `startsWithh`",
        help: Some("did you mean `startsWith`?"),
    },
    Case {
        definition: r#"foo(1) = 1"#,
        code: "E0103",
        message: "unknown function `foo`",
        help: Some("the PQL functions are inSegment, date, if, mapEntry, currentMonth, currentYear, currentDayOfMonth; call a method on a value with `value.name(...)`"),
    },
    Case {
        definition: r#"xEvent[^^.person.age > 1]"#,
        code: "E0104",
        message: "`^^` climbs 2 scopes but only 1 enclosing filters are open",
        help: Some("inside `xEvent[...]`, `^` is the profile; use one `^` per enclosing filter"),
    },
    Case {
        definition: r#"(A, B) => A.person.age = 1"#,
        code: "E0105",
        message: "a segment definition takes one parameter, found `B` as a second one",
        help: Some("write the definition as `(Profile) => ...` with a single parameter"),
    },
    Case {
        definition: r#"$2.person.age = 1"#,
        code: "E0105",
        message: "unknown parameter `$2`",
        help: Some("a segment definition has one parameter, the profile: use `$1`"),
    },
    Case {
        definition: r#"person.age = true"#,
        code: "E0201",
        message: "cannot compare integer with boolean using `=`",
        help: Some("compare values of one type; string literals convert to the other side's type when they can"),
    },
    Case {
        definition: r#"person.name < person.age"#,
        code: "E0201",
        message: "cannot compare string with integer using `<`",
        help: Some("compare values of one type; string literals convert to the other side's type when they can"),
    },
    Case {
        definition: r#"tags < ["a"]"#,
        code: "E0201",
        message: "arrays compare only with `=` and `!=`, not `<`",
        help: Some("compare the elements instead, e.g. `list.max() > 3`"),
    },
    Case {
        definition: r#"xEvent.head() in xEvent"#,
        code: "E0201",
        message: "cannot compare objects whose field `productListItems` is an array of objects, maps or arrays",
        help: Some("compare a field that identifies the element instead, e.g. `x.id in xEvent._id`"),
    },
    Case {
        definition: r#"person.name.first = "a""#,
        code: "E0201",
        message: "cannot read field `first` of a value of type string",
        help: Some("only objects have fields"),
    },
    Case {
        definition: r#"photo.isNull()"#,
        code: "E0206",
        message: "column `photo` has Arrow type Binary, which PQL cannot read",
        help: Some("convert the column to a string, number, boolean, timestamp, list, struct or map"),
    },
    Case {
        definition: r#"person.birth occurs on date(2023, 2, 29)"#,
        code: "E0204",
        message: "date(2023, 2, 29) is not a calendar day",
        help: Some("write a year from -9999 to 9999, a month from 1 to 12 and a day that exists in that month"),
    },
    Case {
        definition: r#"person.age occurs today"#,
        code: "E0201",
        message: "expected a timestamp, found integer",
        help: Some("`occurs` tests timestamp fields such as `timestamp` or `person.birthDate`"),
    },
    Case {
        definition: r#"person.name.regexGroup("(a)", 2) = "a""#,
        code: "E0205",
        message: r#"group 2 does not exist: the pattern "(a)" has 1 capture groups"#,
        help: Some("use 0 for the whole match or the number of a group from 1"),
    },
    Case {
        definition: r#"person.name matches "(?<=a)b""#,
        code: "E0205",
        message: r#"invalid regular expression "(?<=a)b": error: look-around, including look-ahead and look-behind, is not supported"#,
        help: Some("the pattern syntax is that of the Rust regex crate; look-around and back-references are not available"),
    },
    Case {
        definition: r#"person.name.startsWith(person.name)"#,
        code: "E0203",
        message: "the argument of `startsWith` must be a string literal",
        help: Some("compare with another field using `=`, e.g. `a.city = b.city`"),
    },
    Case {
        definition: r#"if(person.vip, 1, "a") = 1"#,
        code: "E0201",
        message: "the branches of `if` have different types: integer and string",
        help: Some("give both branches one type, e.g. two numbers or two strings"),
    },
    Case {
        definition: r#"xEvent.topN(value, person.age).count() > 0"#,
        code: "E0203",
        message: "the count of `topN` must be a non-negative integer literal",
        help: Some("write the count as a number, e.g. `topN(price, 5)`"),
    },
    Case {
        definition: r#"{"a": 1, "a": 2}.a = 1"#,
        code: "E0201",
        message: r#"the object literal repeats the key "a""#,
        help: Some("give each key of an object literal once"),
    },
    Case {
        definition: r#"person.age = "abc""#,
        code: "E0201",
        message: r#"the string "abc" is not a valid integer"#,
        help: Some("write a number"),
    },
    Case {
        definition: r#"tags.filter((a, b) => a = "x").count() > 0"#,
        code: "E0105",
        message: "this lambda takes 2 parameters, but the method passes 1",
        help: Some("write `(E) => ...` for each element, or `(K, V) => ...` to map the entries of a map"),
    },
    Case {
        definition: r#"if(person.vip, 1) = 1"#,
        code: "E0202",
        message: "`if` takes 3 arguments, found 2",
        help: Some("write `if(condition, value, other value)`"),
    },
    Case {
        definition: r#"person.birth occurs on date(2024, "a", 1)"#,
        code: "E0201",
        message: "expected an integer, found string",
        help: Some("`date` takes a year, a month and a day as integers, e.g. `date(currentYear() - 1, 10, 1)`"),
    },
    Case {
        definition: r#"person.name.startsWith(false, "a")"#,
        code: "E0203",
        message: "the case flag must be the last argument",
        help: Some(r#"write the strings first, then `true` or `false`, e.g. `name.equals("a", "b", false)`"#),
    },
    Case {
        definition: r#"person.name.regexGroup("(a)", person.age) = "a""#,
        code: "E0203",
        message: "the group index must be an integer literal",
        help: Some(r#"write the group number, e.g. `regexGroup("@(\\w+)", 1)`"#),
    },
    Case {
        definition: r#"person.name.regexGroup(person.name) = "a""#,
        code: "E0203",
        message: "the pattern must be a string literal",
        help: Some(r#"write the pattern in double quotes, e.g. `"^J.*n$"`"#),
    },
    Case {
        definition: r#"inSegment(person.name)"#,
        code: "E0203",
        message: "the segment id of `inSegment` must be a string literal",
        help: Some(r#"write the id in quotes, e.g. `inSegment("frequent-buyers")`"#),
    },
    Case {
        definition: r#"person.name like person.name"#,
        code: "E0203",
        message: "the pattern must be a string literal",
        help: Some(r#"write the pattern in double quotes, e.g. `"John%"`"#),
    },
    Case {
        definition: r#"person.filter(age >= 21)"#,
        code: "E0201",
        message: "expected an array, found object",
        help: Some("filters, quantifiers and list methods apply to arrays; test a single value with a comparison"),
    },
    Case {
        definition: r#"xEvent.groupBy(eventType) / 2 > 1"#,
        code: "E0201",
        message: "expected a number, found map of array of object",
        help: Some("`/` applies to integers and doubles"),
    },
    Case {
        definition: r#"xEvent.sum(eventType) > 1"#,
        code: "E0201",
        message: "expected a number, found string",
        help: Some("`sum` adds numbers"),
    },
    Case {
        definition: r#"chain(xEvent, eventType, [A: WHAT(eventType = "a")])"#,
        code: "E0201",
        message: "expected a timestamp field, found string",
        help: Some("order the chain by a timestamp field of the events, e.g. `timestamp`"),
    },
    Case {
        definition: r#"person.age.getMonth() = 1"#,
        code: "E0201",
        message: "expected a timestamp, found integer",
        help: Some("`getMonth` reads a timestamp field such as `person.birthDate`"),
    },
];

#[test]
fn binder_messages_are_pinned() {
    let schema = schema();
    let mut failures = Vec::new();
    for case in CASES {
        let query = match seg_pql::parse(case.definition) {
            Ok(query) => query,
            Err(error) => {
                failures.push(format!("{:?} does not parse: {}", case.definition, error.message));
                continue;
            }
        };
        match bind(&query, &schema) {
            Ok(_) => failures.push(format!("{:?} compiled", case.definition)),
            Err(diagnostic) => {
                let found = (diagnostic.code.to_string(), diagnostic.message.clone(), diagnostic.help.clone());
                let expected = (case.code.to_string(), case.message.to_string(), case.help.map(str::to_string));
                if found != expected {
                    failures.push(format!("{:?}\n  expected {expected:?}\n  found    {found:?}", case.definition));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} diagnostics differ:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}

/// Binds a parsed definition after `edit` changed its tree, for the checks that text and
/// pql/json reject before the binder, but a tree built through the library API can reach.
fn bind_edited(text: &str, edit: impl FnOnce(&mut seg_pql::ast::ExprKind)) -> seg_pql::Diagnostic {
    let mut query = seg_pql::parse(text).unwrap_or_else(|error| panic!("{text:?} does not parse: {}", error.message));
    edit(&mut query.body.kind);
    match bind(&query, &schema()) {
        Ok(_) => panic!("the edited tree of {text:?} compiled"),
        Err(diagnostic) => diagnostic,
    }
}

#[test]
fn chain_without_steps_rejected() {
    let diagnostic = bind_edited(r#"chain(xEvent, timestamp, [A: WHAT(eventType = "a")])"#, |kind| {
        if let seg_pql::ast::ExprKind::Chain { steps, .. } = kind {
            steps.clear();
        }
    });
    assert_eq!(diagnostic.code, "E0202");
    assert_eq!(diagnostic.message, "a chain needs at least one step");
}

#[test]
fn chain_count_zero_rejected() {
    let diagnostic = bind_edited(r#"chain(xEvent, timestamp, [A: WHAT(eventType = "a") COUNT(1)])"#, |kind| {
        if let seg_pql::ast::ExprKind::Chain { steps, .. } = kind {
            steps[0].count = Some(0);
        }
    });
    assert_eq!(diagnostic.code, "E0201");
    assert_eq!(diagnostic.message, "`COUNT(0)` matches no event");
}

#[test]
fn quantifier_without_bindings_rejected() {
    let diagnostic = bind_edited(r#"exists E from xEvent where E.eventType = "a""#, |kind| {
        if let seg_pql::ast::ExprKind::Quantifier { bindings, .. } = kind {
            bindings.clear();
        }
    });
    assert_eq!(diagnostic.code, "E0202");
    assert_eq!(diagnostic.message, "a comprehension needs at least one binding");
}

#[test]
fn occurs_from_without_distance_rejected() {
    let diagnostic = bind_edited("person.birth occurs before today", |kind| {
        if let seg_pql::ast::ExprKind::Occurs { tail: seg_pql::ast::OccursTail::Direction { direction, .. }, .. } = kind {
            *direction = seg_pql::ast::Direction::From;
        }
    });
    assert_eq!(diagnostic.code, "E0201");
    assert_eq!(diagnostic.message, "`occurs from` needs a distance");
    assert_eq!(diagnostic.help.as_deref(), Some("write a window such as `occurs <= 3 days from date(2024, 5, 1)`"));
}
