//! The synthetic profile generator: determinism for a seed, the schema as the readers return it,
//! and the shape of the event count distribution.

use std::collections::HashSet;
use std::path::Path;

use arrow::array::{Array, AsArray, ListArray, RecordBatch};
use arrow::datatypes::{DataType, TimestampMicrosecondType};
use seg_io::{
    EventCounts, GENERATED_UNTIL, GenerateOptions, HISTORY_MICROS, IoError, MAX_EVENTS_PER_PROFILE, ReadOptions,
    generate_batch, generate_profiles, generated_schema, normalize_schema, open_fields, read_all,
};
use tempfile::TempDir;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn small(profiles: u64, seed: u64) -> GenerateOptions {
    GenerateOptions { profiles, seed, profiles_per_row_group: 1_000, ..GenerateOptions::default() }
}

fn events(batch: &RecordBatch) -> &ListArray {
    batch.column_by_name("xEvent").map(|column| column.as_list::<i32>()).expect("xEvent column")
}

fn event_counts(batch: &RecordBatch) -> Vec<usize> {
    events(batch).offsets().lengths().collect()
}

#[test]
fn same_seed_same_file() -> TestResult {
    let dir = TempDir::new()?;
    let options = small(2_500, 7);
    let first = dir.path().join("first.parquet");
    let second = dir.path().join("second.parquet");
    let summary = generate_profiles(&options, &first, |_| {})?;
    generate_profiles(&options, &second, |_| {})?;
    assert_eq!(std::fs::read(&first)?, std::fs::read(&second)?);
    assert_eq!(summary.profiles, 2_500);
    assert_eq!(summary.row_groups, 3);
    Ok(())
}

#[test]
fn different_seed_different_events() -> TestResult {
    let first = generate_batch(&small(1_000, 1), 0)?;
    let second = generate_batch(&small(1_000, 2), 0)?;
    assert_ne!(event_counts(&first), event_counts(&second));
    Ok(())
}

#[test]
fn row_groups_differ_within_file() -> TestResult {
    let options = small(2_000, 3);
    let first = generate_batch(&options, 0)?;
    let second = generate_batch(&options, 1)?;
    assert_ne!(event_counts(&first), event_counts(&second));
    let ids = second.column(0).as_string::<i32>();
    assert_eq!(ids.value(0), "0000001000");
    Ok(())
}

#[test]
fn file_reads_back_as_generated() -> TestResult {
    let dir = TempDir::new()?;
    let path = dir.path().join("profiles.parquet");
    let options = small(1_500, 11);
    let mut progress = Vec::new();
    let summary = generate_profiles(&options, &path, |written| progress.push(written))?;
    assert_eq!(progress, vec![1_000, 1_500]);

    let (schema, batches) = read_all(&path, &ReadOptions::default())?;
    assert_eq!(schema.as_ref(), &normalize_schema(&generated_schema()));
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, 1_500);
    let events: usize = batches.iter().map(|batch| events(batch).values().len()).sum();
    assert_eq!(events as u64, summary.events);

    let expected = generate_batch(&options, 1)?;
    let last = batches.last().expect("one batch");
    assert_eq!(event_counts(last)[last.num_rows() - 500..], event_counts(&expected)[..]);
    Ok(())
}

/// Row groups decode ahead of time on other threads; the batches still come in file order, cut
/// at the batch size within each row group.
#[test]
fn prefetched_row_groups_keep_file_order() -> TestResult {
    let dir = TempDir::new()?;
    let path = dir.path().join("profiles.parquet");
    let options = small(4_300, 13);
    generate_profiles(&options, &path, |_| {})?;

    let (_, batches) = read_all(&path, &ReadOptions { batch_size: 300, ..ReadOptions::default() })?;
    let sizes: Vec<usize> = batches.iter().map(RecordBatch::num_rows).collect();
    let per_group = [300, 300, 300, 100];
    let mut expected_sizes: Vec<usize> = per_group.repeat(4);
    expected_sizes.push(300);
    assert_eq!(sizes, expected_sizes);

    let read_ids: Vec<String> =
        batches.iter().flat_map(|batch| batch.column(0).as_string::<i32>().iter().flatten().map(String::from)).collect();
    let mut expected_ids = Vec::new();
    for row_group in 0..options.row_groups() {
        let batch = generate_batch(&options, row_group)?;
        expected_ids.extend(batch.column(0).as_string::<i32>().iter().flatten().map(String::from));
    }
    assert_eq!(read_ids, expected_ids);
    Ok(())
}

/// Dictionary-encoded Parquet strings can stay dictionaries; `_id` and maps stay `Utf8`.
#[test]
fn string_dictionaries_kept_on_request() -> TestResult {
    let dir = TempDir::new()?;
    let path = dir.path().join("profiles.parquet");
    generate_profiles(&small(1_200, 17), &path, |_| {})?;
    let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let event_type = |batch: &RecordBatch| -> Result<DataType, Box<dyn std::error::Error>> {
        let events = events(batch).values().as_struct();
        let column = events.column_by_name("eventType").ok_or("no eventType")?;
        Ok(column.data_type().clone())
    };

    let (_, plain) = read_all(&path, &ReadOptions::default())?;
    assert_eq!(event_type(&plain[0])?, DataType::Utf8);

    let options = ReadOptions { keep_string_dictionaries: true, ..ReadOptions::default() };
    let (schema, kept) = read_all(&path, &options)?;
    for batch in &kept {
        assert_eq!(batch.schema(), schema);
        assert_eq!(event_type(batch)?, dictionary);
        assert_eq!(batch.column(0).data_type(), &DataType::Utf8);
    }
    let identity_map = schema.field_with_name("identityMap")?.data_type();
    assert!(!format!("{identity_map:?}").contains("Dictionary"), "{identity_map:?}");

    // The values are the same either way.
    for (plain, kept) in plain.iter().zip(&kept) {
        let plain_types = events(plain).values().as_struct().column_by_name("eventType").ok_or("no eventType")?.clone();
        let kept_types = events(kept).values().as_struct().column_by_name("eventType").ok_or("no eventType")?;
        assert_eq!(&arrow::compute::cast(kept_types, &DataType::Utf8)?, &plain_types);
    }

    // A projection keeps them too.
    let fields: HashSet<&str> = ["xEvent", "eventType"].into_iter().collect();
    let projected: Vec<RecordBatch> = open_fields(&path, &options, &fields)?.collect::<Result<_, _>>()?;
    assert_eq!(event_type(&projected[0])?, dictionary);
    Ok(())
}

#[test]
fn skewed_counts_have_mean_twenty() -> TestResult {
    let options = GenerateOptions { profiles: 20_000, seed: 5, profiles_per_row_group: 20_000, ..GenerateOptions::default() };
    let counts = event_counts(&generate_batch(&options, 0)?);
    let mean = counts.iter().sum::<usize>() as f64 / counts.len() as f64;
    let mut sorted = counts.clone();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2];
    let empty = counts.iter().filter(|count| **count == 0).count();
    let largest = *sorted.last().expect("profiles");

    assert!((17.0..23.0).contains(&mean), "mean {mean}");
    assert!((median as f64) < mean * 0.75, "median {median} is not well below the mean {mean}");
    assert!((200..2_000).contains(&empty), "{empty} profiles without events");
    assert!(largest >= 200, "largest count {largest} has no long tail");
    assert!(largest <= MAX_EVENTS_PER_PROFILE as usize);
    Ok(())
}

#[test]
fn fixed_counts_are_exact() -> TestResult {
    let options = GenerateOptions { events: EventCounts::Fixed(64), ..small(300, 9) };
    let counts = event_counts(&generate_batch(&options, 0)?);
    assert!(counts.iter().all(|count| *count == 64));
    Ok(())
}

#[test]
fn events_sorted_within_history() -> TestResult {
    let batch = generate_batch(&small(500, 4), 0)?;
    let list = events(&batch);
    let timestamps = list
        .values()
        .as_struct()
        .column_by_name("timestamp")
        .expect("timestamp field")
        .as_primitive::<TimestampMicrosecondType>();
    assert_eq!(timestamps.null_count(), 0);
    for profile in 0..list.len() {
        let range = list.value_offsets()[profile] as usize..list.value_offsets()[profile + 1] as usize;
        let values = &timestamps.values()[range];
        assert!(values.is_sorted(), "profile {profile} has unsorted events");
        assert!(values.iter().all(|t| (GENERATED_UNTIL - HISTORY_MICROS..GENERATED_UNTIL).contains(t)));
    }
    Ok(())
}

#[test]
fn event_type_shares() -> TestResult {
    let batch = generate_batch(&small(1_000, 8), 0)?;
    let types = events(&batch).values().as_struct().column_by_name("eventType").expect("eventType").clone();
    let types = types.as_string::<i32>();
    let total = types.len() as f64;
    let share = |name: &str| types.iter().filter(|value| *value == Some(name)).count() as f64 / total;
    assert!((0.55..0.65).contains(&share("web.webpagedetails.pageViews")));
    assert!((0.03..0.07).contains(&share("commerce.purchases")));
    Ok(())
}

#[test]
fn invalid_mean_names_option() {
    let options = GenerateOptions { events: EventCounts::Skewed { mean: -1.0 }, ..GenerateOptions::default() };
    let error = generate_profiles(&options, Path::new("unused.parquet"), |_| {}).expect_err("negative mean");
    assert!(matches!(error, IoError::InvalidGenerateOption { option: "mean_events", .. }));
    assert!(error.to_string().contains("-1"), "{error}");
}

#[test]
fn too_many_fixed_events_rejected() {
    let options = GenerateOptions { events: EventCounts::Fixed(5_001), ..GenerateOptions::default() };
    let error = generate_batch(&options, 0).expect_err("over the maximum");
    assert!(matches!(error, IoError::InvalidGenerateOption { option: "events_per_profile", .. }));
}

fn event_field_names(batch: &RecordBatch) -> Vec<String> {
    events(batch).values().as_struct().fields().iter().map(|field| field.name().clone()).collect()
}

#[test]
fn named_fields_only_decoded() -> TestResult {
    let dir = TempDir::new()?;
    let path = dir.path().join("profiles.parquet");
    generate_profiles(&small(300, 12), &path, |_| {})?;
    let (_, full) = read_all(&path, &ReadOptions::default())?;

    let names = HashSet::from(["xEvent", "eventType", "loyalty", "points"]);
    let reader = open_fields(&path, &ReadOptions::default(), &names)?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>()?;
    let columns: Vec<&str> = schema.fields().iter().map(|field| field.name().as_str()).collect();
    assert_eq!(columns, ["_id", "loyalty", "xEvent"]);
    assert_eq!(event_field_names(&batches[0]), ["eventType"]);
    assert_eq!(event_counts(&batches[0]), event_counts(&full[0]));
    Ok(())
}

#[test]
fn named_list_keeps_lengths() -> TestResult {
    let dir = TempDir::new()?;
    let path = dir.path().join("profiles.parquet");
    generate_profiles(&small(300, 13), &path, |_| {})?;
    let (_, full) = read_all(&path, &ReadOptions::default())?;

    let names = HashSet::from(["xEvent", "productListItems"]);
    let batches = open_fields(&path, &ReadOptions::default(), &names)?.collect::<Result<Vec<_>, _>>()?;
    assert_eq!(event_counts(&batches[0]), event_counts(&full[0]));
    assert_eq!(event_field_names(&batches[0]), ["productListItems"]);
    let items = events(&batches[0]).values().as_struct().column(0).as_list::<i32>().offsets().clone();
    let full_items = events(&full[0]).values().as_struct().column_by_name("productListItems").expect("items");
    assert_eq!(&items, full_items.as_list::<i32>().offsets());
    Ok(())
}
