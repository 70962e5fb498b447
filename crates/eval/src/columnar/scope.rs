//! Scopes as levels of rows: the profile rows of the batch, and for each list that a filter
//! or chain opens, the rows of the list's elements, with the way back to their parent rows.
//!
//! Levels live in an arena for the whole batch, so a list opened twice from the same parent
//! level (every `xEvent[...]` of every segment) is flattened once and shares its column reads.

use std::ops::Range;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, DictionaryArray, ListArray, RecordBatch, StructArray,
    UInt32Array,
};
use arrow::buffer::{BooleanBuffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::compute::{nullif, take};
use arrow::datatypes::Int32Type;
use seg_plan::DataType;

use super::EvalError;
use super::arrays::{conform, is_string_dictionary, new_null, unexpected_type};

/// The element rows of each parent row within a child level.
#[derive(Clone, Debug)]
pub(super) struct ElementRanges {
    /// List offsets, one more than the parent rows; row `r` owns `offsets[r] - base` to
    /// `offsets[r + 1] - base`.
    offsets: OffsetBuffer<i32>,
    /// The offset of the first element, non-zero for a sliced list array.
    base: i32,
    /// The null lists among the parent rows.
    nulls: Option<NullBuffer>,
}

impl ElementRanges {
    /// Returns the number of parent rows.
    pub(super) fn parent_len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Returns the child rows of parent row `row`.
    pub(super) fn range(&self, row: usize) -> Range<usize> {
        let start = (self.offsets[row] - self.base) as usize;
        let end = (self.offsets[row + 1] - self.base) as usize;
        start..end
    }

    /// Returns the null lists among the parent rows.
    pub(super) fn nulls(&self) -> Option<&NullBuffer> {
        self.nulls.as_ref()
    }

    /// Returns each parent row's range as list offsets starting at 0.
    pub(super) fn rebased(&self) -> OffsetBuffer<i32> {
        let offsets: Vec<i32> = self.offsets.iter().map(|&offset| offset - self.base).collect();
        OffsetBuffer::new(ScalarBuffer::from(offsets))
    }
}

/// The rows of one level.
enum Rows {
    /// Level 0: the profiles of the batch, one column per top-level field.
    Batch(RecordBatch),
    /// A child level: the elements of a list, as a struct array or an array of scalars.
    Elements(ArrayRef),
}

/// A child level's link to its parent level.
struct ParentLink {
    /// Arena index of the parent level.
    level: usize,
    /// The child rows of every parent row.
    ranges: ElementRanges,
    /// The parent row of every child row, built on first use.
    index: Option<UInt32Array>,
}

/// One scope's rows and its per-batch caches.
struct Level<'p> {
    rows: Rows,
    len: usize,
    depth: usize,
    parent: Option<ParentLink>,
    /// Identifies a level opened from a list column: (parent arena index, scope, path).
    key: Option<(usize, usize, &'p [String])>,
    /// Column reads made at this level, from this or an enclosing scope: (scope, path, values).
    columns: Vec<(usize, &'p [String], ArrayRef)>,
    /// Maps from this level's rows to the rows of an enclosing level: (depth, index).
    ancestors: Vec<(usize, UInt32Array)>,
}

/// The levels of one batch and the stack of open scopes.
pub(super) struct Scopes<'p> {
    levels: Vec<Level<'p>>,
    /// Arena index of the open level at each depth; `open[0]` is the profile level.
    open: Vec<usize>,
}

impl<'p> Scopes<'p> {
    /// Creates the profile level of a batch.
    pub(super) fn new(batch: &RecordBatch) -> Scopes<'p> {
        let profiles = Level {
            rows: Rows::Batch(batch.clone()),
            len: batch.num_rows(),
            depth: 0,
            parent: None,
            key: None,
            columns: Vec::new(),
            ancestors: Vec::new(),
        };
        Scopes {
            levels: vec![profiles],
            open: vec![0],
        }
    }

    /// Returns the depth of the current scope: 0 for the profile.
    pub(super) fn depth(&self) -> usize {
        self.open.len() - 1
    }

    /// Returns the number of rows of the current scope.
    pub(super) fn len(&self) -> usize {
        self.levels[self.current()].len
    }

    /// Returns the element ranges of the current scope within its parent scope.
    pub(super) fn ranges(&self) -> Result<ElementRanges, EvalError> {
        match &self.levels[self.current()].parent {
            Some(parent) => Ok(parent.ranges.clone()),
            None => Err(EvalError::InvalidPlan(
                "the profile scope has no parent scope".to_string(),
            )),
        }
    }

    fn current(&self) -> usize {
        self.open[self.open.len() - 1]
    }

    /// Reads the value at `path` in scope `scope` for every row of the current scope.
    ///
    /// A field missing from the batch reads as all null. A null struct on the way makes the
    /// value null even where the child array has a value there.
    ///
    /// # Errors
    ///
    /// [`EvalError::InvalidPlan`] for a scope that is not open, [`EvalError::UnexpectedType`]
    /// when the value or a struct on the way has another Arrow type.
    pub(super) fn column(
        &mut self,
        scope: usize,
        path: &'p [String],
        data_type: &DataType,
    ) -> Result<ArrayRef, EvalError> {
        if scope > self.depth() {
            return Err(EvalError::InvalidPlan(format!(
                "column `{}` reads scope {scope} but only {} scopes are open",
                path.join("."),
                self.depth() + 1
            )));
        }
        let current = self.current();
        if let Some(array) = cached_column(&self.levels[current], scope, path) {
            return Ok(array);
        }

        let array = if scope == self.depth() {
            read_path(&self.levels[current], path, data_type)?
        } else {
            let source = self.open[scope];
            let values = match cached_column(&self.levels[source], scope, path) {
                Some(values) => values,
                None => {
                    let values = read_path(&self.levels[source], path, data_type)?;
                    self.levels[source]
                        .columns
                        .push((scope, path, values.clone()));
                    values
                }
            };
            let index = self.ancestor_index(current, scope)?;
            take(&values, &index, None)?
        };
        self.levels[current]
            .columns
            .push((scope, path, array.clone()));
        Ok(array)
    }

    /// Returns the string column at `path` of the current scope when the batch stores it as a
    /// dictionary with `Int32` keys, and `None` otherwise, such as for a column of an
    /// enclosing scope or a `Utf8` column, which [`Scopes::column`] reads.
    pub(super) fn string_dictionary(
        &self,
        scope: usize,
        path: &[String],
    ) -> Result<Option<DictionaryArray<Int32Type>>, EvalError> {
        if scope != self.depth() {
            return Ok(None);
        }
        let Some(array) = read_raw(&self.levels[self.current()], path)? else {
            return Ok(None);
        };
        let dictionary = array
            .as_dictionary_opt::<Int32Type>()
            .filter(|dictionary| is_string_dictionary(dictionary.data_type()));
        Ok(dictionary.cloned())
    }

    /// Repeats an array with one value per row of the scope at `depth` for every row of the
    /// current scope.
    pub(super) fn broadcast(
        &mut self,
        array: &ArrayRef,
        depth: usize,
    ) -> Result<ArrayRef, EvalError> {
        if depth == self.depth() {
            return Ok(array.clone());
        }
        let index = self.ancestor_index(self.current(), depth)?;
        Ok(take(array, &index, None)?)
    }

    /// Looks up the level of a list column read from the current scope, if it is already open
    /// in this batch, and makes it the current scope.
    pub(super) fn reenter(&mut self, scope: usize, path: &'p [String]) -> bool {
        let key = (self.current(), scope, path);
        let found = self.levels.iter().position(|level| level.key == Some(key));
        if let Some(index) = found {
            self.open.push(index);
        }
        found.is_some()
    }

    /// Opens a child scope whose rows are the elements of `list`, which has one list per row
    /// of the current scope. A null list has no elements. `key` names the list column, so
    /// that [`Scopes::reenter`] can find the level again.
    pub(super) fn enter(
        &mut self,
        list: &ListArray,
        key: Option<(usize, &'p [String])>,
    ) -> Result<(), EvalError> {
        if list.len() != self.len() {
            return Err(EvalError::InvalidPlan(format!(
                "a list of {} rows opens a scope under {} rows",
                list.len(),
                self.len()
            )));
        }
        let parent = self.current();
        let (rows, ranges) = flatten(list)?;
        let level = Level {
            len: rows.len(),
            rows: Rows::Elements(rows),
            depth: self.depth() + 1,
            parent: Some(ParentLink {
                level: parent,
                ranges,
                index: None,
            }),
            key: key.map(|(scope, path)| (parent, scope, path)),
            columns: Vec::new(),
            ancestors: Vec::new(),
        };
        self.levels.push(level);
        self.open.push(self.levels.len() - 1);
        Ok(())
    }

    /// Closes the current scope, returning to its parent scope.
    pub(super) fn exit(&mut self) {
        if self.open.len() > 1 {
            self.open.pop();
        }
    }

    /// Returns, for each row of level `level`, the row of its enclosing level at `depth`.
    fn ancestor_index(&mut self, level: usize, depth: usize) -> Result<UInt32Array, EvalError> {
        if let Some((_, index)) = self.levels[level]
            .ancestors
            .iter()
            .find(|(d, _)| *d == depth)
        {
            return Ok(index.clone());
        }
        let parent_level = match &self.levels[level].parent {
            Some(parent) => parent.level,
            None => {
                return Err(EvalError::InvalidPlan(format!(
                    "no enclosing scope at depth {depth}"
                )));
            }
        };
        let to_parent = self.parent_index(level);
        let index = if self.levels[parent_level].depth == depth {
            to_parent
        } else {
            let parent_to_ancestor = self.ancestor_index(parent_level, depth)?;
            take(&parent_to_ancestor, &to_parent, None)?
                .as_primitive()
                .clone()
        };
        self.levels[level].ancestors.push((depth, index.clone()));
        Ok(index)
    }

    /// Returns the parent row of every row of a child level, building it on first use.
    fn parent_index(&mut self, level: usize) -> UInt32Array {
        let len = self.levels[level].len;
        let Some(parent) = self.levels[level].parent.as_mut() else {
            return UInt32Array::from(Vec::<u32>::new());
        };
        if let Some(index) = &parent.index {
            return index.clone();
        }
        let mut rows = Vec::with_capacity(len);
        for row in 0..parent.ranges.parent_len() {
            let count = parent.ranges.range(row).len();
            rows.extend(std::iter::repeat_n(row as u32, count));
        }
        let index = UInt32Array::from(rows);
        parent.index = Some(index.clone());
        index
    }
}

fn cached_column(level: &Level<'_>, scope: usize, path: &[String]) -> Option<ArrayRef> {
    level
        .columns
        .iter()
        .find(|(s, p, _)| *s == scope && *p == path)
        .map(|(_, _, array)| array.clone())
}

/// Reads `path` from the rows of a level, combining the nulls of every struct on the way.
fn read_path(
    level: &Level<'_>,
    path: &[String],
    data_type: &DataType,
) -> Result<ArrayRef, EvalError> {
    match read_raw(level, path)? {
        Some(array) => conform(array, data_type, || format!("column `{}`", path.join("."))),
        None => Ok(new_null(data_type, level.len)),
    }
}

/// Reads `path` from the rows of a level as the batch stores it, or `None` when a field on
/// the way is missing or null in every row.
fn read_raw(level: &Level<'_>, path: &[String]) -> Result<Option<ArrayRef>, EvalError> {
    let column_name = || format!("column `{}`", path.join("."));
    let (mut array, rest) = match &level.rows {
        Rows::Batch(batch) => {
            let Some((first, rest)) = path.split_first() else {
                // `this` at the profile scope: the whole profile as one struct.
                return Ok(Some(Arc::new(StructArray::from(batch.clone()))));
            };
            match batch.column_by_name(first) {
                Some(column) => (column.clone(), rest),
                None => return Ok(None),
            }
        }
        Rows::Elements(elements) => (elements.clone(), path),
    };

    for name in rest {
        if array.data_type() == &arrow::datatypes::DataType::Null {
            return Ok(None);
        }
        let Some(parent) = array.as_struct_opt() else {
            return Err(unexpected_type(
                column_name(),
                &DataType::Struct(Vec::new()),
                array.data_type(),
            ));
        };
        let Some(child) = parent.column_by_name(name) else {
            return Ok(None);
        };
        array = match parent.nulls() {
            Some(nulls) if nulls.null_count() > 0 => {
                let parent_is_null = BooleanArray::new(!nulls.inner(), None);
                nullif(child, &parent_is_null)?
            }
            _ => child.clone(),
        };
    }
    Ok(Some(array))
}

/// Returns the elements of the non-null lists of `list` in row order, and each row's range.
///
/// A null list owns no elements even when its offsets span values. When some null list
/// does, a `take` drops those values. Otherwise the elements are a zero-copy slice of the
/// list's values.
fn flatten(list: &ListArray) -> Result<(ArrayRef, ElementRanges), EvalError> {
    let offsets = list.offsets();
    let base = offsets[0];
    let null_spans_values = match list.nulls() {
        Some(nulls) if nulls.null_count() > 0 => {
            (0..list.len()).any(|row| nulls.is_null(row) && offsets[row] != offsets[row + 1])
        }
        _ => false,
    };
    if !null_spans_values {
        let last = offsets[offsets.len() - 1];
        let rows = list.values().slice(base as usize, (last - base) as usize);
        return Ok((
            rows,
            ElementRanges {
                offsets: offsets.clone(),
                base,
                nulls: list.nulls().cloned(),
            },
        ));
    }

    let mut element_indices = Vec::new();
    let mut compact_offsets = Vec::with_capacity(list.len() + 1);
    compact_offsets.push(0i32);
    for row in 0..list.len() {
        if list.is_valid(row) {
            element_indices.extend(offsets[row] as u32..offsets[row + 1] as u32);
        }
        compact_offsets.push(element_indices.len() as i32);
    }
    let rows = take(list.values(), &UInt32Array::from(element_indices), None)?;
    let offsets = OffsetBuffer::new(ScalarBuffer::from(compact_offsets));
    Ok((
        rows,
        ElementRanges {
            offsets,
            base: 0,
            nulls: list.nulls().cloned(),
        },
    ))
}

/// Returns one bit per list, set when the list is not null and has at least one element.
pub(super) fn non_empty_lists(list: &ListArray) -> BooleanBuffer {
    let offsets = list.offsets();
    let lengths = BooleanBuffer::collect_bool(list.len(), |row| offsets[row + 1] > offsets[row]);
    match list.nulls() {
        Some(nulls) if nulls.null_count() > 0 => &lengths & nulls.inner(),
        _ => lengths,
    }
}
