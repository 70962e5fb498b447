//! Differential test: the columnar engine and the reference interpreter must select the same
//! profiles for random schemas, random profiles and random well-typed plans.
//!
//! Each case draws a variant of the profile schema, with shuffled fields and some top-level
//! columns left out, and an evaluation time. It then draws 2 or 3 segments, whose later ones
//! may read earlier ones through `inSegment`, and 1 to 3 batches of 1 to 8 profiles. Two tests
//! run 9,000 such cases between them, and a third runs 1,125 cases of definitions bound from
//! PQL text. The `PROPTEST_CASES` environment variable replaces the 9,000, and the bound cases
//! are an eighth of it.

mod differential {
    pub mod bound;
    pub mod directed;
    pub mod plans;
    pub mod profiles;
    pub mod render;
    pub mod schema;
}

use std::fmt::{self, Write as _};

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, ListArray, RecordBatch, StructArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Fields, Schema};
use arrow::error::ArrowError;
use jiff::Timestamp;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use roaring::RoaringBitmap;
use seg_eval::EvalContext;
use seg_eval::columnar::{Segment, evaluate_batches};
use seg_eval::reference::{Value, evaluate_profile, profiles_from_batch};
use seg_plan::{Node, SegmentPlan};

use differential::plans::{PlanGenerator, resolve_segment_refs};
use differential::profiles::{now_strategy, profile_strategy};
use differential::render::render;
use differential::schema::{Kind, batch_from_profiles, shape_strategy};

/// How deep segment roots nest operators, arithmetic and aggregates.
const ROOT_DEPTH: u32 = 2;

const DEFAULT_CASES: u32 = 9_000;

/// The maximum number of profiles in one batch. Small batches keep each case cheap, so that many cases
/// run, while several batches per case still test the merging of batch results.
const MAX_BATCH_ROWS: usize = 8;

/// One generated test case.
#[derive(Clone)]
struct Case {
    /// The profile schema, with fields in batch order.
    shape: Kind,
    /// The evaluation time.
    now: i64,
    /// Segment `i` is `seg{i}`; `inSegment` only reads earlier segments.
    plans: Vec<SegmentPlan>,
    /// The profiles of each batch.
    batches: Vec<Vec<Value>>,
    /// Whether null structs and lists hide non-null children in the Arrow arrays.
    stale_children: bool,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (shape_strategy(), now_strategy()).prop_flat_map(|(shape, now)| {
        let generator = PlanGenerator::new(now);
        let roots = proptest::collection::vec(generator.segment_root(&shape, ROOT_DEPTH), 2..=3);
        let batch = proptest::collection::vec(profile_strategy(&shape, now), 1..=MAX_BATCH_ROWS);
        let batches = proptest::collection::vec(batch, 1..=3);
        (Just(shape), Just(now), roots, batches, proptest::bool::weighted(0.3)).prop_map(
            |(shape, now, roots, batches, stale_children)| Case {
                shape,
                now,
                plans: segment_plans(roots),
                batches,
                stale_children,
            },
        )
    })
}

fn segment_plans(roots: Vec<Node>) -> Vec<SegmentPlan> {
    roots
        .into_iter()
        .enumerate()
        .map(|(index, mut root)| {
            let dependencies = resolve_segment_refs(&mut root, index);
            SegmentPlan { root, dependencies }
        })
        .collect()
}

/// Shows plans in their rendered form and one profile per line, so that a shrunk failing case
/// can be read.
impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", describe_plans(self))?;
        writeln!(f, "schema: {}", describe_shape(&self.shape))?;
        for (index, batch) in self.batches.iter().enumerate() {
            writeln!(f, "batch {index}:")?;
            for profile in batch {
                writeln!(f, "  {profile}")?;
            }
        }
        Ok(())
    }
}

fn describe_shape(kind: &Kind) -> String {
    match kind {
        Kind::Struct(fields) => {
            let fields: Vec<String> =
                fields.iter().map(|(name, kind)| format!("{name}: {}", describe_shape(kind))).collect();
            format!("{{{}}}", fields.join(", "))
        }
        Kind::List(element) => format!("[{}]", describe_shape(element)),
        leaf => format!("{leaf:?}"),
    }
}

/// Shrinking re-evaluates whole cases, which takes seconds each in a debug build, so it stops
/// after two minutes with the smallest failing case found so far.
const MAX_SHRINK_MILLIS: u32 = 120_000;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|value| value.parse().ok()).unwrap_or(DEFAULT_CASES);
    ProptestConfig { max_shrink_time: MAX_SHRINK_MILLIS, ..ProptestConfig::with_cases(cases) }
}

/// Runs half of the cases of [`config`]. The generated cases are split over two tests so that
/// the test harness runs them on two threads.
fn half_config() -> ProptestConfig {
    let base = config();
    ProptestConfig { cases: base.cases.div_ceil(2), ..base }
}

proptest! {
    #![proptest_config(half_config())]

    #[test]
    fn columnar_matches_reference(case in case_strategy()) {
        check_case(&case)?;
    }

    #[test]
    fn columnar_matches_reference_second_half(case in case_strategy()) {
        check_case(&case)?;
    }
}

/// A case of definitions compiled from PQL text, see [`differential::bound`].
fn bound_case_strategy() -> impl Strategy<Value = (Vec<String>, Kind, i64, Vec<Vec<Value>>, bool)> {
    let shape = differential::bound::shape();
    now_strategy().prop_flat_map(move |now| {
        let texts = proptest::collection::vec(differential::bound::definition(), 1..=3);
        let batch = proptest::collection::vec(profile_strategy(&shape, now), 1..=MAX_BATCH_ROWS);
        let batches = proptest::collection::vec(batch, 1..=2);
        (texts, Just(shape.clone()), Just(now), batches, proptest::bool::weighted(0.3))
    })
}

proptest! {
    #![proptest_config(bound_config())]

    #[test]
    fn bound_definitions_match_reference(
        (texts, shape, now, batches, stale_children) in bound_case_strategy()
    ) {
        let plans = differential::bound::compile(&texts)?;
        check_case(&Case { shape, now, plans, batches, stale_children })?;
    }
}

/// Runs an eighth of the cases of [`config`]: bound cases cover fewer shapes, and each costs
/// about three times as much, because its profiles have every field of the full shape.
fn bound_config() -> ProptestConfig {
    let base = config();
    ProptestConfig { cases: base.cases.div_ceil(8), ..base }
}

fn check_case(case: &Case) -> Result<(), TestCaseError> {
    let context = EvalContext { now: case.now };
    let ids: Vec<String> = (0..case.plans.len()).map(|index| format!("seg{index}")).collect();
    let segments: Vec<Segment<'_>> =
        ids.iter().zip(&case.plans).map(|(id, plan)| Segment { id: id.as_str(), plan }).collect();

    let mut batches = Vec::with_capacity(case.batches.len());
    let mut profiles = Vec::new();
    for generated in &case.batches {
        let batch = batch_from_profiles(&case.shape, generated, case.stale_children)
            .map_err(|e| TestCaseError::fail(format!("building the batch failed: {e}")))?;
        let converted = profiles_from_batch(&batch)
            .map_err(|e| TestCaseError::fail(format!("converting the batch failed: {e}")))?;
        prop_assert_eq!(&converted, generated, "profiles_from_batch changed the generated profiles");
        profiles.extend(converted);
        batches.push(batch);
    }

    let columnar = evaluate_batches(&segments, &batches, &context)
        .map_err(|e| TestCaseError::fail(format!("columnar evaluation failed: {e}\n{}", describe_plans(case))))?;
    let reference = reference_bitmaps(&segments, &profiles, &context)?;

    // Parquet files can be read with dictionary-encoded strings; the results must not change.
    let dictionary_batches: Vec<RecordBatch> = batches
        .iter()
        .map(with_string_dictionaries)
        .collect::<Result<_, _>>()
        .map_err(|e| TestCaseError::fail(format!("encoding strings as dictionaries failed: {e}")))?;
    let dictionary = evaluate_batches(&segments, &dictionary_batches, &context).map_err(|e| {
        TestCaseError::fail(format!("columnar evaluation over dictionaries failed: {e}\n{}", describe_plans(case)))
    })?;
    for (index, (columnar, dictionary)) in columnar.iter().zip(&dictionary).enumerate() {
        let differing: Vec<u32> = (columnar ^ dictionary).iter().collect();
        prop_assert!(
            differing.is_empty(),
            "seg{index} differs over dictionary strings at rows {differing:?}\n{}",
            describe_plans(case)
        );
    }

    for (index, (columnar, reference)) in columnar.iter().zip(&reference).enumerate() {
        let Some(row) = (columnar ^ reference).min() else { continue };
        let mut message = format!(
            "seg{index} differs at row {row}: columnar {}, reference {}\n",
            columnar.contains(row),
            reference.contains(row)
        );
        let _ = writeln!(message, "{}", describe_plans(case));
        let _ = writeln!(message, "profile: {}", profiles[row as usize]);
        let _ = writeln!(message, "rows that differ: {:?}", (columnar ^ reference).iter().collect::<Vec<_>>());
        return Err(TestCaseError::fail(message));
    }
    Ok(())
}

/// Returns `batch` with every `Utf8` column and struct or list field below it encoded as a
/// dictionary with `Int32` keys, except `_id` and the entries of maps, as the Parquet reader
/// returns them with `keep_string_dictionaries`.
fn with_string_dictionaries(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let mut fields = Vec::with_capacity(batch.num_columns());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let column = if field.name() == "_id" { column.clone() } else { encode_strings(column)? };
        fields.push(Field::new(field.name(), column.data_type().clone(), field.is_nullable()));
        columns.push(column);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

fn encode_strings(array: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    let encoded: ArrayRef = match array.data_type() {
        DataType::Utf8 => cast(array, &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)))?,
        DataType::Struct(fields) => {
            let input = array.as_struct();
            let children = input.columns().iter().map(encode_strings).collect::<Result<Vec<_>, _>>()?;
            let fields: Fields = fields
                .iter()
                .zip(&children)
                .map(|(field, child)| Field::new(field.name(), child.data_type().clone(), field.is_nullable()))
                .collect();
            Arc::new(StructArray::try_new_with_length(fields, children, input.nulls().cloned(), input.len())?)
        }
        DataType::List(item) => {
            let input = array.as_list::<i32>();
            let values = encode_strings(input.values())?;
            let item = Arc::new(Field::new(item.name(), values.data_type().clone(), item.is_nullable()));
            Arc::new(ListArray::try_new(item, input.offsets().clone(), values, input.nulls().cloned())?)
        }
        _ => array.clone(),
    };
    Ok(encoded)
}

fn reference_bitmaps(
    segments: &[Segment<'_>],
    profiles: &[Value],
    context: &EvalContext,
) -> Result<Vec<RoaringBitmap>, TestCaseError> {
    let mut bitmaps = vec![RoaringBitmap::new(); segments.len()];
    for (row, profile) in profiles.iter().enumerate() {
        let results = evaluate_profile(segments, profile, context)
            .map_err(|e| TestCaseError::fail(format!("reference evaluation failed on row {row}: {e}")))?;
        let row = u32::try_from(row).map_err(|_| TestCaseError::fail("too many rows"))?;
        for (bitmap, qualifies) in bitmaps.iter_mut().zip(results) {
            if qualifies {
                bitmap.insert(row);
            }
        }
    }
    Ok(bitmaps)
}

fn describe_plans(case: &Case) -> String {
    let now = Timestamp::from_microsecond(case.now).map_or_else(|_| case.now.to_string(), |t| t.to_string());
    let mut text = format!("now: {now} ({}us), stale children: {}\n", case.now, case.stale_children);
    for (index, plan) in case.plans.iter().enumerate() {
        let _ = writeln!(text, "seg{index}: {}", render(&plan.root));
    }
    text
}
