//! Compiling a set of definitions once and evaluating it over record batches or a profile file.

use std::fmt;
use std::path::Path;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::Schema;
use jiff::Timestamp;
use roaring::RoaringBitmap;
use seg_eval::EvalContext;
use seg_eval::columnar::{EvalError, Segment, evaluate_batches};
use seg_io::{IoError, ReadOptions};
use seg_plan::{OrderError, SegmentPlan};
use seg_pql::{Diagnostic, ParseOptions};

/// A definition that failed to parse or to bind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefinitionError {
    /// The segment id the definition was given under.
    pub id: String,
    /// The PQL text of the definition.
    pub expression: String,
    /// The syntax or binding error, with its code and span in `expression`.
    pub diagnostic: Diagnostic,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "in segment `{}`:\n{}", self.id, self.diagnostic.render(&self.expression))
    }
}

impl std::error::Error for DefinitionError {}

/// An error from [`SegmentSet`] or [`evaluate_file`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more definitions failed to parse or bind. Every failing definition is listed.
    #[error("{}", render_all(.0))]
    Definitions(Vec<DefinitionError>),
    /// The definitions cannot be evaluated together: two share an id, an `inSegment` target is
    /// not in the set, or segments read each other in a cycle.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// The profile file cannot be read.
    #[error(transparent)]
    Io(#[from] IoError),
    /// Evaluation failed, for example because the batches do not have the schema the set was
    /// compiled against.
    #[error(transparent)]
    Eval(#[from] EvalError),
}

fn render_all(errors: &[DefinitionError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// Definitions compiled against one schema, kept in evaluation order (every `inSegment`
/// target before the segments that read it).
#[derive(Clone, Debug)]
pub struct SegmentSet {
    segments: Vec<(String, SegmentPlan)>,
}

impl SegmentSet {
    /// Parses and binds `(segment id, PQL text)` pairs against `schema` with the default
    /// [`ParseOptions`], then orders them for evaluation.
    ///
    /// # Errors
    ///
    /// [`Error::Definitions`] lists every definition that fails to parse or bind.
    /// [`Error::Order`] reports duplicate ids, unknown `inSegment` targets and cycles.
    pub fn compile<'a>(
        definitions: impl IntoIterator<Item = (&'a str, &'a str)>,
        schema: &Schema,
    ) -> Result<SegmentSet, Error> {
        SegmentSet::compile_with(definitions, schema, &ParseOptions::default())
    }

    /// Compiles like [`SegmentSet::compile`] with explicit parser limits, for example a larger
    /// [`ParseOptions::max_depth`] for generated definitions that nest deeply.
    ///
    /// # Errors
    ///
    /// The errors of [`SegmentSet::compile`].
    pub fn compile_with<'a>(
        definitions: impl IntoIterator<Item = (&'a str, &'a str)>,
        schema: &Schema,
        options: &ParseOptions,
    ) -> Result<SegmentSet, Error> {
        let mut plans = Vec::new();
        let mut errors = Vec::new();
        for (id, expression) in definitions {
            let result = seg_pql::parse_with(expression, options).and_then(|query| seg_plan::bind(&query, schema));
            match result {
                Ok(plan) => plans.push((id.to_string(), plan)),
                Err(diagnostic) => errors.push(DefinitionError {
                    id: id.to_string(),
                    expression: expression.to_string(),
                    diagnostic,
                }),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Definitions(errors));
        }

        let order = seg_plan::evaluation_order(&plans)?;
        let mut slots: Vec<Option<(String, SegmentPlan)>> = plans.into_iter().map(Some).collect();
        let segments = order.into_iter().filter_map(|index| slots[index].take()).collect();
        Ok(SegmentSet { segments })
    }

    /// Returns the segment ids in evaluation order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().map(|(id, _)| id.as_str())
    }

    /// Returns the number of segments.
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    /// Returns whether the set has no segments.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Returns the plan of a segment, or `None` when the set has no segment with that id.
    pub fn plan(&self, id: &str) -> Option<&SegmentPlan> {
        self.segments.iter().find(|(segment_id, _)| segment_id == id).map(|(_, plan)| plan)
    }

    /// Returns the segments in evaluation order, in the form the evaluators of
    /// [`seg_eval::columnar`] and [`seg_eval::reference`] take.
    pub fn segments(&self) -> Vec<Segment<'_>> {
        self.segments.iter().map(|(id, plan)| Segment { id, plan }).collect()
    }

    /// Evaluates every segment over `batches` as of `now` with the columnar engine. Row numbers
    /// in the bitmaps count from the first row of the first batch.
    ///
    /// # Errors
    ///
    /// [`Error::Eval`] when a batch does not have the schema the set was compiled against or
    /// the batches hold more than `u32::MAX` rows.
    pub fn evaluate(&self, batches: &[RecordBatch], now: Timestamp) -> Result<Audiences, Error> {
        let context = EvalContext { now: now.as_microsecond() };
        let members = evaluate_batches(&self.segments(), batches, &context)?;
        let mut profile_ids = Vec::new();
        for batch in batches {
            append_profile_ids(batch, &mut profile_ids);
        }
        Ok(Audiences {
            ids: self.ids().map(str::to_string).collect(),
            members,
            profile_ids,
        })
    }
}

/// Appends the `_id` of every row of `batch`, or `None` for a null or missing `_id`.
fn append_profile_ids(batch: &RecordBatch, out: &mut Vec<Option<String>>) {
    match batch.column_by_name("_id").and_then(|column| column.as_string_opt::<i32>()) {
        Some(ids) => out.extend(ids.iter().map(|id| id.map(str::to_string))),
        None => out.extend(std::iter::repeat_n(None, batch.num_rows())),
    }
}

/// The result of evaluating a [`SegmentSet`]: one bitmap of row numbers per segment, and the
/// `_id` of every row.
#[derive(Clone, Debug)]
pub struct Audiences {
    ids: Vec<String>,
    members: Vec<RoaringBitmap>,
    profile_ids: Vec<Option<String>>,
}

impl Audiences {
    /// Returns the number of profiles evaluated.
    pub fn total_profiles(&self) -> u64 {
        self.profile_ids.len() as u64
    }

    /// Returns the members of a segment as row numbers, or `None` for an unknown segment id.
    pub fn members(&self, segment_id: &str) -> Option<&RoaringBitmap> {
        let index = self.ids.iter().position(|id| id == segment_id)?;
        self.members.get(index)
    }

    /// Returns `(segment id, members)` pairs in evaluation order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RoaringBitmap)> {
        self.ids.iter().map(String::as_str).zip(&self.members)
    }

    /// Returns the `_id` of the profile at a row number, or `None` when the row does not exist
    /// or its `_id` is null.
    pub fn profile_id(&self, row: u32) -> Option<&str> {
        self.profile_ids.get(row as usize)?.as_deref()
    }

    /// Returns the `_id` values of the rows in `members`, in row order, skipping rows whose
    /// `_id` is null.
    pub fn profile_ids<'a>(&'a self, members: &'a RoaringBitmap) -> impl Iterator<Item = &'a str> + 'a {
        members.iter().filter_map(|row| self.profile_id(row))
    }
}

/// Reads a whole Parquet or NDJSON profile file, compiles `(segment id, PQL text)` pairs
/// against its schema and evaluates them as of `now`.
///
/// This keeps every batch of the file in memory. For files larger than memory, read batches
/// with [`seg_io::open`] and evaluate them in groups with [`SegmentSet::evaluate`], offsetting
/// the row numbers yourself.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read, and the errors of [`SegmentSet::compile`] and
/// [`SegmentSet::evaluate`].
pub fn evaluate_file<'a>(
    path: &Path,
    definitions: impl IntoIterator<Item = (&'a str, &'a str)>,
    now: Timestamp,
) -> Result<Audiences, Error> {
    let (schema, batches) = seg_io::read_all(path, &ReadOptions::default())?;
    let set = SegmentSet::compile(definitions, &schema)?;
    set.evaluate(&batches, now)
}
