//! Computed values: `if`, time words and date parts, `date(...)`, `regexGroup`, maps and
//! objects, and the nodes that build new lists (`filter`, `map`, `topN`, `distinct`,
//! `groupBy`, flattening, array literals) or compare whole lists.
//!
//! List builders evaluate their element expressions once over all elements of the batch in
//! the child scope, like the aggregates, and then regroup the results per row through the list
//! offsets. Sorting (`topN`) and grouping (`groupBy`) work row by row over those arrays.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, MapArray, StringArray,
    StructArray, TimestampMicrosecondArray, UInt32Array, new_empty_array, new_null_array,
};
use arrow::buffer::{BooleanBuffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{cast, filter, interleave, nullif, take};
use arrow::datatypes::{DataType as ArrowType, Field, Fields, Float64Type, Int64Type};
use seg_plan::time::{date_parts, day_interval, word_instant};
use seg_plan::{DatePart, MapPart, Node, NodeKind, Scalar};

use super::EvalError;
use super::arrays::{arrow_type, as_list, conform, describe, downcast, i64_parts, mask, unexpected_type};
use super::eval::BatchEvaluator;
use super::scope::ElementRanges;

impl<'p> BatchEvaluator<'p> {
    /// Evaluates the node kinds of this file into one value per row of the current scope.
    pub(super) fn computed(&mut self, node: &'p Node) -> Result<ArrayRef, EvalError> {
        let len = self.scopes.len();
        match &node.kind {
            NodeKind::If { condition, then, otherwise } => {
                let condition = self.predicate(condition)?;
                let then = self.array(then)?;
                let otherwise = self.array(otherwise)?;
                let (then, otherwise) = align(then, otherwise)?;
                Ok(zip(&condition, &then, &otherwise)?)
            }
            NodeKind::TimeValue(word) => {
                let value = word_instant(*word, self.now);
                Ok(Arc::new(TimestampMicrosecondArray::from(vec![value; len]).with_timezone_utc()))
            }
            NodeKind::DatePart { part, value } => {
                let values = self.array(value)?;
                let (times, nulls) = i64_parts(&values, value)?;
                let parts: Int64Array = (0..times.len())
                    .map(|row| {
                        let valid = nulls.is_none_or(|nulls| nulls.is_valid(row));
                        let (year, month, day) = date_parts(times[row]).filter(|_| valid)?;
                        Some(match part {
                            DatePart::Year => year,
                            DatePart::Month => month,
                            DatePart::DayOfMonth => day,
                        })
                    })
                    .collect();
                Ok(Arc::new(parts))
            }
            NodeKind::MakeDate { year, month, day } => {
                let years = self.array(year)?;
                let months = self.array(month)?;
                let days = self.array(day)?;
                let years = years.as_primitive::<Int64Type>();
                let months = months.as_primitive::<Int64Type>();
                let days = days.as_primitive::<Int64Type>();
                let dates: TimestampMicrosecondArray = (0..len)
                    .map(|row| {
                        if years.is_null(row) || months.is_null(row) || days.is_null(row) {
                            return None;
                        }
                        day_interval(years.value(row), months.value(row), days.value(row)).map(|interval| interval.start)
                    })
                    .collect();
                Ok(Arc::new(dates.with_timezone_utc()))
            }
            NodeKind::RegexGroup { value, regex, group, .. } => {
                let values = self.array(value)?;
                let strings = downcast::<StringArray>(&values, value)?;
                let groups: StringArray = strings
                    .iter()
                    .map(|text| {
                        let captures = regex.captures(text?)?;
                        captures.get(*group).map(|found| found.as_str().to_string())
                    })
                    .collect();
                Ok(Arc::new(groups))
            }
            NodeKind::MapGet { map, key } => {
                let maps = self.array(map)?;
                let keys = self.array(key)?;
                map_get(downcast::<MapArray>(&maps, map)?, downcast::<StringArray>(&keys, key)?)
            }
            NodeKind::MapList { map, part } => {
                let maps = self.array(map)?;
                map_list(downcast::<MapArray>(&maps, map)?, *part)
            }
            NodeKind::ToMap(list) => {
                let lists = self.array(list)?;
                to_map(as_list(&lists, list)?, list)
            }
            NodeKind::Object(fields) => {
                let mut columns = Vec::with_capacity(fields.len());
                let mut arrow_fields = Vec::with_capacity(fields.len());
                for (name, value) in fields {
                    let column = self.array(value)?;
                    arrow_fields.push(Field::new(name.clone(), column.data_type().clone(), true));
                    columns.push(column);
                }
                if columns.is_empty() {
                    return Ok(Arc::new(StructArray::new_empty_fields(len, None)));
                }
                Ok(Arc::new(StructArray::try_new(Fields::from(arrow_fields), columns, None)?))
            }
            NodeKind::Field { value, name } => {
                let values = self.array(value)?;
                let objects = downcast::<StructArray>(&values, value)?;
                let Some(child) = objects.column_by_name(name) else {
                    return Err(EvalError::InvalidPlan(format!("the object has no field `{name}`")));
                };
                let child = match objects.nulls() {
                    Some(nulls) if nulls.null_count() > 0 => {
                        nullif(child, &BooleanArray::new(!nulls.inner(), None))?
                    }
                    _ => child.clone(),
                };
                conform(child, &node.data_type, || describe(node))
            }
            NodeKind::ListMap { list, filters, element } => self.in_elements(list, |evaluator| {
                let ranges = evaluator.scopes.ranges()?;
                let keep = evaluator.element_filter(filters)?;
                let values = evaluator.array(element)?;
                Ok(regroup(&values, keep.as_ref(), &ranges)?)
            }),
            NodeKind::ListTop { list, filters, key, count, descending } => self.in_elements(list, |evaluator| {
                let ranges = evaluator.scopes.ranges()?;
                let keep = evaluator.element_filter(filters)?;
                let keys = evaluator.array(key)?;
                let rows = evaluator.scopes.column(evaluator.scopes.depth(), &[], &element_type(list))?;
                top(&rows, &keys, key, keep.as_ref(), &ranges, *count, *descending)
            }),
            NodeKind::Distinct(list) => {
                let lists = self.array(list)?;
                distinct(as_list(&lists, list)?, list)
            }
            NodeKind::GroupBy { list, filters, key } => self.in_elements(list, |evaluator| {
                let ranges = evaluator.scopes.ranges()?;
                let keep = evaluator.element_filter(filters)?;
                let keys = cast(&evaluator.array(key)?, &ArrowType::Utf8)?;
                let rows = evaluator.scopes.column(evaluator.scopes.depth(), &[], &element_type(list))?;
                group_by(&rows, keys.as_string::<i32>(), keep.as_ref(), &ranges)
            }),
            NodeKind::Flatten(list) => {
                let lists = self.array(list)?;
                flatten_lists(as_list(&lists, list)?, list)
            }
            NodeKind::Array(elements) => {
                let element = match &node.data_type {
                    seg_plan::DataType::List(element) => arrow_type(element),
                    _ => ArrowType::Null,
                };
                let mut columns = Vec::with_capacity(elements.len());
                for value in elements {
                    columns.push(self.array(value)?);
                }
                array_literal(&columns, element, len)
            }
            NodeKind::ListEquals { lhs, rhs, negated } => {
                let left = self.array(lhs)?;
                let right = self.array(rhs)?;
                list_equals(as_list(&left, lhs)?, as_list(&right, rhs)?, lhs, *negated)
            }
            _ => Err(EvalError::InvalidPlan(format!("{} is not a computed value", describe(node)))),
        }
    }

    /// Evaluates the conjunction of element filters as bits; `None` when there are none.
    fn element_filter(&mut self, filters: &'p [Node]) -> Result<Option<BooleanBuffer>, EvalError> {
        if filters.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.all(filters)?.values().clone()))
    }
}

/// Returns the element type of a list node.
fn element_type(list: &Node) -> seg_plan::DataType {
    list.data_type.element().cloned().unwrap_or(seg_plan::DataType::Null)
}

/// Gives two branch arrays one Arrow type: an all-null branch takes the other's type, and
/// otherwise the else branch is cast, which only changes names such as a timestamp's time zone
/// spelling (`UTC` or `+00:00`) or a list's field.
fn align(then: ArrayRef, otherwise: ArrayRef) -> Result<(ArrayRef, ArrayRef), EvalError> {
    if then.data_type() == otherwise.data_type() {
        return Ok((then, otherwise));
    }
    if otherwise.null_count() == otherwise.len() {
        let len = otherwise.len();
        return Ok((then.clone(), new_null_array(then.data_type(), len)));
    }
    if then.null_count() == then.len() {
        let len = then.len();
        return Ok((new_null_array(otherwise.data_type(), len), otherwise));
    }
    let otherwise = cast(&otherwise, then.data_type())?;
    Ok((then, otherwise))
}

/// Builds a list array from element values and offsets, with the field type of the values.
fn list_array(values: ArrayRef, offsets: Vec<i32>, nulls: Option<NullBuffer>) -> Result<ArrayRef, EvalError> {
    let field = Arc::new(Field::new_list_field(values.data_type().clone(), true));
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    Ok(Arc::new(ListArray::try_new(field, offsets, values, nulls)?))
}

/// Regroups element values per parent row, keeping the elements whose `keep` bit is set.
fn regroup(values: &ArrayRef, keep: Option<&BooleanBuffer>, ranges: &ElementRanges) -> Result<ArrayRef, EvalError> {
    let Some(keep) = keep else {
        let offsets = ranges.rebased().iter().copied().collect();
        return list_array(values.clone(), offsets, ranges.nulls().cloned());
    };
    let mut offsets = Vec::with_capacity(ranges.parent_len() + 1);
    offsets.push(0i32);
    let mut total = 0i32;
    for row in 0..ranges.parent_len() {
        total += ranges.range(row).filter(|&i| keep.value(i)).count() as i32;
        offsets.push(total);
    }
    let kept = filter(values, &BooleanArray::new(keep.clone(), None))?;
    list_array(kept, offsets, ranges.nulls().cloned())
}

/// Builds a list per parent row from element indices into `rows`.
fn gather(rows: &ArrayRef, per_row: Vec<Vec<u32>>, nulls: Option<NullBuffer>) -> Result<ArrayRef, EvalError> {
    let mut offsets = Vec::with_capacity(per_row.len() + 1);
    offsets.push(0i32);
    let mut indices = Vec::new();
    for row in per_row {
        indices.extend(row);
        offsets.push(indices.len() as i32);
    }
    let values = take(rows, &UInt32Array::from(indices), None)?;
    list_array(values, offsets, nulls)
}

/// Orders two elements of a key array; `None` when either is null or NaN.
fn key_order<'a>(keys: &'a ArrayRef, node: &Node) -> Result<Box<dyn Fn(usize, usize) -> Option<Ordering> + 'a>, EvalError> {
    let valid = move |i: usize| keys.is_valid(i);
    let order: Box<dyn Fn(usize, usize) -> Option<Ordering> + 'a> = match keys.data_type() {
        ArrowType::Int64 | ArrowType::Timestamp(_, _) => {
            let (values, _) = i64_parts(keys, node)?;
            Box::new(move |a, b| (valid(a) && valid(b)).then(|| values[a].cmp(&values[b])))
        }
        ArrowType::Float64 => {
            let values = keys.as_primitive::<Float64Type>().values();
            Box::new(move |a, b| if valid(a) && valid(b) { values[a].partial_cmp(&values[b]) } else { None })
        }
        ArrowType::Utf8 => {
            let strings = downcast::<StringArray>(keys, node)?;
            Box::new(move |a, b| (valid(a) && valid(b)).then(|| strings.value(a).as_bytes().cmp(strings.value(b).as_bytes())))
        }
        other => return Err(unexpected_type(describe(node), &node.data_type, other)),
    };
    Ok(order)
}

/// Keeps the `count` elements per row with the largest or smallest key, ties in list order.
fn top(
    rows: &ArrayRef,
    keys: &ArrayRef,
    key: &Node,
    keep: Option<&BooleanBuffer>,
    ranges: &ElementRanges,
    count: u64,
    descending: bool,
) -> Result<ArrayRef, EvalError> {
    let order = key_order(keys, key)?;
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let per_row = (0..ranges.parent_len())
        .map(|row| {
            let mut candidates: Vec<usize> = ranges
                .range(row)
                .filter(|&i| keep.is_none_or(|keep| keep.value(i)) && order(i, i).is_some())
                .collect();
            candidates.sort_by(|&a, &b| {
                let ordering = order(a, b).unwrap_or(Ordering::Equal);
                if descending { ordering.reverse() } else { ordering }
            });
            candidates.into_iter().take(count).map(|i| i as u32).collect()
        })
        .collect();
    gather(rows, per_row, ranges.nulls().cloned())
}

/// Hashable identity of a scalar element, equal exactly when `=` holds between two elements.
#[derive(PartialEq, Eq, Hash)]
enum ElementKey<'a> {
    Int(i64),
    Bits(u64),
    Text(&'a str),
    Flag(bool),
    /// A NaN, which `=` finds equal to nothing, identified by its position.
    Unequal(usize),
}

/// Returns the identity of each element of a scalar array; `None` for null.
fn element_keys<'a>(values: &'a ArrayRef, node: &Node) -> Result<Vec<Option<ElementKey<'a>>>, EvalError> {
    let valid = |i: usize| values.is_valid(i);
    let keys = match values.data_type() {
        ArrowType::Int64 | ArrowType::Timestamp(_, _) => {
            let (ints, _) = i64_parts(values, node)?;
            (0..values.len()).map(|i| valid(i).then_some(ElementKey::Int(ints[i]))).collect()
        }
        ArrowType::Float64 => {
            let doubles = values.as_primitive::<Float64Type>().values();
            // Adding 0.0 turns -0.0 into 0.0, which `=` treats as equal.
            let key = |i: usize| {
                if doubles[i].is_nan() { ElementKey::Unequal(i) } else { ElementKey::Bits((doubles[i] + 0.0).to_bits()) }
            };
            (0..values.len()).map(|i| valid(i).then(|| key(i))).collect()
        }
        ArrowType::Utf8 => {
            let strings = downcast::<StringArray>(values, node)?;
            (0..values.len()).map(|i| valid(i).then(|| ElementKey::Text(strings.value(i)))).collect()
        }
        ArrowType::Boolean => {
            let flags = values.as_boolean();
            (0..values.len()).map(|i| valid(i).then(|| ElementKey::Flag(flags.value(i)))).collect()
        }
        ArrowType::Null => (0..values.len()).map(|_| None).collect(),
        other => return Err(unexpected_type(describe(node), &node.data_type, other)),
    };
    Ok(keys)
}

/// Keeps the first occurrence of each distinct non-null element of every list.
fn distinct(lists: &ListArray, node: &Node) -> Result<ArrayRef, EvalError> {
    let values = lists.values();
    let keys = element_keys(values, node)?;
    let offsets = lists.offsets();
    let per_row = (0..lists.len())
        .map(|row| {
            let mut seen = std::collections::HashSet::new();
            let range = offsets[row] as usize..offsets[row + 1] as usize;
            range
                .filter(|&i| lists.is_valid(row) && keys[i].as_ref().is_some_and(|key| seen.insert(key)))
                .map(|i| i as u32)
                .collect()
        })
        .collect();
    gather(values, per_row, lists.nulls().cloned())
}

/// Groups the kept elements of each row by their key text, groups in order of first key.
fn group_by(rows: &ArrayRef, keys: &StringArray, keep: Option<&BooleanBuffer>, ranges: &ElementRanges) -> Result<ArrayRef, EvalError> {
    let mut map_offsets = vec![0i32];
    let mut group_keys: Vec<&str> = Vec::new();
    let mut group_offsets = vec![0i32];
    let mut indices: Vec<u32> = Vec::new();
    for row in 0..ranges.parent_len() {
        let mut groups: Vec<(&str, Vec<u32>)> = Vec::new();
        let mut positions: HashMap<&str, usize> = HashMap::new();
        for i in ranges.range(row) {
            if !keep.is_none_or(|keep| keep.value(i)) || keys.is_null(i) {
                continue;
            }
            let key = keys.value(i);
            let position = *positions.entry(key).or_insert_with(|| {
                groups.push((key, Vec::new()));
                groups.len() - 1
            });
            groups[position].1.push(i as u32);
        }
        for (key, members) in groups {
            group_keys.push(key);
            indices.extend(members);
            group_offsets.push(indices.len() as i32);
        }
        map_offsets.push(group_keys.len() as i32);
    }
    let members = take(rows, &UInt32Array::from(indices), None)?;
    let lists = list_array(members, group_offsets, None)?;
    let keys: ArrayRef = Arc::new(StringArray::from(group_keys));
    build_map(keys, lists, map_offsets, ranges.nulls().cloned())
}

/// Builds a map array from non-null string keys and values, with one offset per row.
fn build_map(keys: ArrayRef, values: ArrayRef, offsets: Vec<i32>, nulls: Option<NullBuffer>) -> Result<ArrayRef, EvalError> {
    let fields = Fields::from(vec![
        Field::new("key", ArrowType::Utf8, false),
        Field::new("value", values.data_type().clone(), true),
    ]);
    let entries = StructArray::try_new(fields.clone(), vec![keys, values], None)?;
    let field = Arc::new(Field::new("entries", ArrowType::Struct(fields), false));
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    Ok(Arc::new(MapArray::try_new(field, offsets, entries, nulls, false)?))
}

/// Returns the value of each row's map at its key: the first entry with that key.
fn map_get(maps: &MapArray, keys: &StringArray) -> Result<ArrayRef, EvalError> {
    let map_keys = maps.keys().as_string::<i32>();
    let offsets = maps.offsets();
    let positions: UInt32Array = (0..maps.len())
        .map(|row| {
            if maps.is_null(row) || keys.is_null(row) {
                return None;
            }
            let key = keys.value(row);
            (offsets[row] as usize..offsets[row + 1] as usize)
                .find(|&i| map_keys.is_valid(i) && map_keys.value(i) == key)
                .map(|i| i as u32)
        })
        .collect();
    Ok(take(maps.values(), &positions, None)?)
}

/// Lists the keys, values or `{key, value}` entries of each map.
fn map_list(maps: &MapArray, part: MapPart) -> Result<ArrayRef, EvalError> {
    let values = match part {
        MapPart::Keys => maps.keys().clone(),
        MapPart::Values => maps.values().clone(),
        MapPart::Entries => {
            let fields = Fields::from(vec![
                Field::new("key", maps.keys().data_type().clone(), true),
                Field::new("value", maps.values().data_type().clone(), true),
            ]);
            Arc::new(StructArray::try_new(fields, vec![maps.keys().clone(), maps.values().clone()], None)?)
        }
    };
    let offsets = maps.offsets().iter().copied().collect();
    list_array(values, offsets, maps.nulls().cloned())
}

/// Turns lists of `{key, value}` objects into maps, leaving out null entries and null keys.
fn to_map(lists: &ListArray, node: &Node) -> Result<ArrayRef, EvalError> {
    let entries = lists.values();
    let objects = entries.as_struct_opt().ok_or_else(|| unexpected_type(describe(node), &node.data_type, entries.data_type()))?;
    let (Some(keys), Some(values)) = (objects.column_by_name("key"), objects.column_by_name("value")) else {
        return Err(EvalError::InvalidPlan("map entries need a key and a value".to_string()));
    };
    let offsets = lists.offsets();
    let mut kept = Vec::new();
    let mut map_offsets = vec![0i32];
    for row in 0..lists.len() {
        if lists.is_valid(row) {
            let range = offsets[row] as u32..offsets[row + 1] as u32;
            kept.extend(range.filter(|&i| objects.is_valid(i as usize) && keys.is_valid(i as usize)));
        }
        map_offsets.push(kept.len() as i32);
    }
    let indices = UInt32Array::from(kept);
    let keys = take(keys, &indices, None)?;
    let keys: ArrayRef = Arc::new(StringArray::from(keys.as_string::<i32>().iter().map(|key| key.unwrap_or_default()).collect::<Vec<_>>()));
    let values = take(values, &indices, None)?;
    build_map(keys, values, map_offsets, lists.nulls().cloned())
}

/// Concatenates the inner lists of each row; a null inner list adds nothing.
fn flatten_lists(lists: &ListArray, node: &Node) -> Result<ArrayRef, EvalError> {
    let inner_values = lists.values();
    let inner = as_list(inner_values, node)?;
    let outer = lists.offsets();
    let offsets = inner.offsets();
    let per_row = (0..lists.len())
        .map(|row| {
            let mut indices = Vec::new();
            if lists.is_valid(row) {
                for list in outer[row] as usize..outer[row + 1] as usize {
                    if inner.is_valid(list) {
                        indices.extend(offsets[list] as u32..offsets[list + 1] as u32);
                    }
                }
            }
            indices
        })
        .collect();
    gather(inner.values(), per_row, lists.nulls().cloned())
}

/// Builds the list `[e0, e1, ...]` per row from one array per element.
fn array_literal(columns: &[ArrayRef], element: ArrowType, len: usize) -> Result<ArrayRef, EvalError> {
    let width = columns.len();
    let offsets = (0..=len).map(|row| (row * width) as i32).collect();
    if width == 0 {
        return list_array(new_empty_array(&element), offsets, None);
    }
    let sources: Vec<&dyn Array> = columns.iter().map(|column| column.as_ref()).collect();
    let order: Vec<(usize, usize)> = (0..len).flat_map(|row| (0..width).map(move |column| (column, row))).collect();
    list_array(interleave(&sources, &order)?, offsets, None)
}

/// Compares two lists per row: same length and pairwise `=` on every element.
fn list_equals(left: &ListArray, right: &ListArray, node: &Node, negated: bool) -> Result<ArrayRef, EvalError> {
    let element = seg_plan::Node {
        kind: NodeKind::Literal(Scalar::Null),
        data_type: element_type(node),
        span: node.span,
    };
    let left_keys = element_keys(left.values(), &element)?;
    let right_keys = element_keys(right.values(), &element)?;
    let (lo, ro) = (left.offsets(), right.offsets());
    let bits = BooleanBuffer::collect_bool(left.len(), |row| {
        if left.is_null(row) || right.is_null(row) {
            return false;
        }
        let a = lo[row] as usize..lo[row + 1] as usize;
        let b = ro[row] as usize..ro[row + 1] as usize;
        let equal = a.len() == b.len()
            && a.zip(b).all(|(i, j)| matches!((&left_keys[i], &right_keys[j]), (Some(x), Some(y)) if x == y && !matches!(x, ElementKey::Unequal(_))));
        equal != negated
    });
    Ok(Arc::new(mask(bits)))
}
