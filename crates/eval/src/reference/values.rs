//! Computed values: `if`, time words and date parts, `date(...)`, `regexGroup`, maps, objects
//! and the nodes that build new lists (`filter`, `map`, `topN`, `distinct`, `groupBy`,
//! flattening, array literals) and compare whole lists.

use std::cmp::Ordering;

use seg_plan::time::{date_parts, day_interval, word_instant};
use seg_plan::{DatePart, MapPart, Node, NodeKind};

use super::aggregate::list_elements;
use super::error::ReferenceError;
use super::interpret::{Interpreter, child_scopes, compare_equal, order};
use super::value::Value;

impl Interpreter<'_> {
    /// Evaluates the node kinds of this file; `None` for any other kind.
    pub(super) fn computed(&self, node: &Node, scopes: &[&Value]) -> Result<Option<Value>, ReferenceError> {
        let value = match &node.kind {
            NodeKind::If { condition, then, otherwise } => {
                if self.predicate(condition, scopes)? {
                    self.value(then, scopes)?
                } else {
                    self.value(otherwise, scopes)?
                }
            }
            NodeKind::TimeValue(word) => word_instant(*word, self.now()).map_or(Value::Null, Value::Timestamp),
            NodeKind::DatePart { part, value } => match self.value(value, scopes)? {
                Value::Timestamp(micros) => match date_parts(micros) {
                    Some((year, month, day)) => Value::Int(match part {
                        DatePart::Year => year,
                        DatePart::Month => month,
                        DatePart::DayOfMonth => day,
                    }),
                    None => Value::Null,
                },
                Value::Null => Value::Null,
                other => return Err(ReferenceError::mismatch("date part", "timestamp", &other)),
            },
            NodeKind::MakeDate { year, month, day } => {
                let parts = [self.value(year, scopes)?, self.value(month, scopes)?, self.value(day, scopes)?];
                match parts {
                    [Value::Int(y), Value::Int(m), Value::Int(d)] => {
                        day_interval(y, m, d).map_or(Value::Null, |interval| Value::Timestamp(interval.start))
                    }
                    _ => Value::Null,
                }
            }
            NodeKind::RegexGroup { value, regex, group, .. } => match self.value(value, scopes)? {
                Value::String(text) => regex
                    .captures(&text)
                    .and_then(|captures| captures.get(*group))
                    .map_or(Value::Null, |found| Value::String(found.as_str().to_string())),
                Value::Null => Value::Null,
                other => return Err(ReferenceError::mismatch("regexGroup", "string", &other)),
            },
            NodeKind::MapGet { map, key } => {
                let map = self.value(map, scopes)?;
                let key = self.value(key, scopes)?;
                match (&map, &key) {
                    (Value::Map(entries), Value::String(key)) => {
                        entries.iter().find(|(name, _)| name == key).map_or(Value::Null, |(_, value)| value.clone())
                    }
                    (Value::Null | Value::Map(_), _) => Value::Null,
                    _ => return Err(ReferenceError::mismatch("map entry", "map", &map)),
                }
            }
            NodeKind::MapList { map, part } => match self.value(map, scopes)? {
                Value::Map(entries) => Value::List(
                    entries
                        .into_iter()
                        .map(|(key, value)| match part {
                            MapPart::Keys => Value::String(key),
                            MapPart::Values => value,
                            MapPart::Entries => entry(key, value),
                        })
                        .collect(),
                ),
                Value::Null => Value::Null,
                other => return Err(ReferenceError::mismatch("map list", "map", &other)),
            },
            NodeKind::ToMap(list) => match self.value(list, scopes)? {
                Value::List(elements) => {
                    let mut entries = Vec::new();
                    for element in elements {
                        if let Value::Struct(fields) = element {
                            let mut key = Value::Null;
                            let mut value = Value::Null;
                            for (name, field) in fields {
                                match name.as_str() {
                                    "key" => key = field,
                                    "value" => value = field,
                                    _ => {}
                                }
                            }
                            if let Value::String(key) = key {
                                entries.push((key, value));
                            }
                        }
                    }
                    Value::Map(entries)
                }
                Value::Null => Value::Null,
                other => return Err(ReferenceError::mismatch("map from entries", "list", &other)),
            },
            NodeKind::Object(fields) => {
                let mut values = Vec::with_capacity(fields.len());
                for (name, field) in fields {
                    values.push((name.clone(), self.value(field, scopes)?));
                }
                Value::Struct(values)
            }
            NodeKind::Field { value, name } => match self.value(value, scopes)? {
                Value::Struct(fields) => fields.into_iter().find(|(field, _)| field == name).map_or(Value::Null, |(_, value)| value),
                Value::Null => Value::Null,
                other => return Err(ReferenceError::mismatch("field access", "struct", &other)),
            },
            NodeKind::ListMap { list, filters, element } => {
                let list = self.value(list, scopes)?;
                if list.is_null() {
                    return Ok(Some(Value::Null));
                }
                let mut mapped = Vec::new();
                for item in list_elements(&list)? {
                    let child = child_scopes(scopes, item);
                    if self.passes(filters, &child)? {
                        mapped.push(self.value(element, &child)?);
                    }
                }
                Value::List(mapped)
            }
            NodeKind::ListTop { list, filters, key, count, descending } => {
                let list = self.value(list, scopes)?;
                if list.is_null() {
                    return Ok(Some(Value::Null));
                }
                let mut keyed = Vec::new();
                for item in list_elements(&list)? {
                    let child = child_scopes(scopes, item);
                    if !self.passes(filters, &child)? {
                        continue;
                    }
                    let sort_key = self.value(key, &child)?;
                    // Null keys, and NaN which orders against nothing, are left out.
                    let usable = !sort_key.is_null() && order(&sort_key, &sort_key)?.is_some();
                    if usable {
                        keyed.push((sort_key, item.clone()));
                    }
                }
                let mut failure = None;
                keyed.sort_by(|(a, _), (b, _)| {
                    let ordering = match order(a, b) {
                        Ok(ordering) => ordering.unwrap_or(Ordering::Equal),
                        Err(error) => {
                            failure = Some(error);
                            Ordering::Equal
                        }
                    };
                    if *descending { ordering.reverse() } else { ordering }
                });
                if let Some(error) = failure {
                    return Err(error);
                }
                let count = usize::try_from(*count).unwrap_or(usize::MAX);
                Value::List(keyed.into_iter().take(count).map(|(_, item)| item).collect())
            }
            NodeKind::Distinct(list) => {
                let list = self.value(list, scopes)?;
                if list.is_null() {
                    return Ok(Some(Value::Null));
                }
                let mut kept: Vec<Value> = Vec::new();
                for item in list_elements(&list)? {
                    let mut seen = false;
                    for earlier in &kept {
                        seen |= compare_equal(earlier, item)?;
                    }
                    if !item.is_null() && !seen {
                        kept.push(item.clone());
                    }
                }
                Value::List(kept)
            }
            NodeKind::GroupBy { list, filters, key } => {
                let list = self.value(list, scopes)?;
                if list.is_null() {
                    return Ok(Some(Value::Null));
                }
                let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
                for item in list_elements(&list)? {
                    let child = child_scopes(scopes, item);
                    if !self.passes(filters, &child)? {
                        continue;
                    }
                    let name = match self.value(key, &child)? {
                        Value::String(text) => text,
                        Value::Int(number) => number.to_string(),
                        Value::Bool(flag) => flag.to_string(),
                        Value::Null => continue,
                        other => return Err(ReferenceError::mismatch("groupBy key", "string, integer or boolean", &other)),
                    };
                    match groups.iter_mut().find(|(existing, _)| *existing == name) {
                        Some((_, members)) => members.push(item.clone()),
                        None => groups.push((name, vec![item.clone()])),
                    }
                }
                Value::Map(groups.into_iter().map(|(name, members)| (name, Value::List(members))).collect())
            }
            NodeKind::Flatten(list) => {
                let list = self.value(list, scopes)?;
                if list.is_null() {
                    return Ok(Some(Value::Null));
                }
                let mut flat = Vec::new();
                for inner in list_elements(&list)? {
                    flat.extend(list_elements(inner)?.iter().cloned());
                }
                Value::List(flat)
            }
            NodeKind::Array(elements) => {
                let mut values = Vec::with_capacity(elements.len());
                for element in elements {
                    values.push(self.value(element, scopes)?);
                }
                Value::List(values)
            }
            NodeKind::ListEquals { lhs, rhs, negated } => {
                let (Value::List(left), Value::List(right)) = (self.value(lhs, scopes)?, self.value(rhs, scopes)?) else {
                    return Ok(Some(Value::Bool(false)));
                };
                let mut equal = left.len() == right.len();
                for (a, b) in left.iter().zip(&right) {
                    equal &= compare_equal(a, b)?;
                }
                Value::Bool(equal != *negated)
            }
            _ => return Ok(None),
        };
        Ok(Some(value))
    }

    /// Returns true when every filter holds for the element in `child`.
    fn passes(&self, filters: &[Node], child: &[&Value]) -> Result<bool, ReferenceError> {
        let mut passes = true;
        for filter in filters {
            passes &= self.predicate(filter, child)?;
        }
        Ok(passes)
    }
}

fn entry(key: String, value: Value) -> Value {
    Value::Struct(vec![("key".to_string(), Value::String(key)), ("value".to_string(), value)])
}
