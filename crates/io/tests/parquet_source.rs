//! Reading Parquet profile files through `open`, and normalization of in-memory batches.

mod support;

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Date32Array, DictionaryArray, Float32Array, Int32Array, LargeListArray,
    LargeStringArray, ListArray, RecordBatch, StringArray, StructArray, TimestampMillisecondArray,
    TimestampNanosecondArray, TimestampSecondArray, UInt16Array, UInt64Array,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Fields, Int8Type, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use seg_io::{IoError, ReadOptions, normalize_batch, open, read_all};
use support::*;

const DAY_MICROS: i64 = 86_400_000_000;

fn write_parquet(path: &Path, batch: &RecordBatch) -> TestResult {
    let mut writer = ArrowWriter::try_new(File::create(path)?, batch.schema(), None)?;
    writer.write(batch)?;
    writer.close()?;
    Ok(())
}

fn utc() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// Three profiles whose columns need normalization: LargeUtf8 ids, a Date32, a naive
/// Timestamp(ms), a Float32, a UInt16 in a struct, and events with a Timestamp(s, +02:00) and
/// an Int32 inside a list of structs.
fn wide_batch() -> Result<RecordBatch, Box<dyn std::error::Error>> {
    let event_fields = Fields::from(vec![
        Field::new("timestamp", DataType::Timestamp(TimeUnit::Second, Some("+02:00".into())), true),
        Field::new("quantity", DataType::Int32, true),
    ]);
    let events = StructArray::try_new(
        event_fields.clone(),
        vec![
            Arc::new(TimestampSecondArray::from(vec![1_000, 2_000, 3_000]).with_timezone("+02:00")),
            Arc::new(Int32Array::from(vec![Some(5), None, Some(-7)])),
        ],
        None,
    )?;
    let event_item = Arc::new(Field::new_list_field(DataType::Struct(event_fields), true));
    let event_lists = ListArray::try_new(
        event_item.clone(),
        OffsetBuffer::from_lengths([2, 0, 1]),
        Arc::new(events),
        None,
    )?;

    let loyalty_fields = Fields::from(vec![Field::new("points", DataType::UInt16, true)]);
    let loyalty = StructArray::try_new(
        loyalty_fields.clone(),
        vec![Arc::new(UInt16Array::from(vec![10, 65_535, 0]))],
        None,
    )?;

    let schema = Schema::new(vec![
        Field::new("_id", DataType::LargeUtf8, false),
        Field::new("birthDate", DataType::Date32, true),
        Field::new("lastSeen", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        Field::new("score", DataType::Float32, true),
        Field::new("loyalty", DataType::Struct(loyalty_fields), true),
        Field::new("xEvent", DataType::List(event_item), true),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(LargeStringArray::from(vec!["a", "b", "c"])),
        Arc::new(Date32Array::from(vec![Some(0), Some(19_000), None])),
        Arc::new(TimestampMillisecondArray::from(vec![Some(1_700_000_000_123), None, Some(-1)])),
        Arc::new(Float32Array::from(vec![0.5, 1.25, -2.0])),
        Arc::new(loyalty),
        Arc::new(event_lists),
    ];
    Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
}

#[test]
fn parquet_round_trip_normalizes_schema() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("profiles.parquet");
    write_parquet(&path, &wide_batch()?)?;

    let reader = open(&path, &ReadOptions::default())?;
    let event_fields = Fields::from(vec![
        Field::new("timestamp", utc(), true),
        Field::new("quantity", DataType::Int64, true),
    ]);
    let expected = Schema::new(vec![
        Field::new("_id", DataType::Utf8, false),
        Field::new("birthDate", utc(), true),
        Field::new("lastSeen", utc(), true),
        Field::new("score", DataType::Float64, true),
        Field::new(
            "loyalty",
            DataType::Struct(Fields::from(vec![Field::new("points", DataType::Int64, true)])),
            true,
        ),
        Field::new(
            "xEvent",
            DataType::List(Arc::new(Field::new_list_field(DataType::Struct(event_fields), true))),
            true,
        ),
    ]);
    // The Parquet writer stores the Arrow schema as metadata; only the fields are compared.
    assert_eq!(reader.schema().fields(), expected.fields());
    Ok(())
}

#[test]
fn parquet_round_trip_converts_values() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("profiles.parquet");
    write_parquet(&path, &wide_batch()?)?;

    let (schema, batches) = read_all(&path, &ReadOptions::default())?;
    assert_eq!(batches.len(), 1);
    let batch = &batches[0];
    assert_eq!(batch.schema(), schema);
    assert_eq!(strings(column(batch, "_id")?)?, [Some("a".into()), Some("b".into()), Some("c".into())]);
    assert_eq!(timestamps(column(batch, "birthDate")?)?, [Some(0), Some(19_000 * DAY_MICROS), None]);
    assert_eq!(timestamps(column(batch, "lastSeen")?)?, [Some(1_700_000_000_123_000), None, Some(-1_000)]);
    assert_eq!(float64s(column(batch, "score")?)?, [Some(0.5), Some(1.25), Some(-2.0)]);
    assert_eq!(int64s(field(column(batch, "loyalty")?, "points")?)?, [Some(10), Some(65_535), Some(0)]);

    let first_events = list_at(column(batch, "xEvent")?, 0)?;
    assert_eq!(timestamps(field(&first_events, "timestamp")?)?, [Some(1_000_000_000), Some(2_000_000_000)]);
    assert_eq!(int64s(field(&first_events, "quantity")?)?, [Some(5), None]);
    let third_events = list_at(column(batch, "xEvent")?, 2)?;
    assert_eq!(int64s(field(&third_events, "quantity")?)?, [Some(-7)]);
    Ok(())
}

#[test]
fn parquet_reader_splits_batches() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("profiles.parquet");
    write_parquet(&path, &wide_batch()?)?;

    let (_, batches) = read_all(&path, &ReadOptions { batch_size: 2, ..ReadOptions::default() })?;
    let sizes: Vec<usize> = batches.iter().map(RecordBatch::num_rows).collect();
    assert_eq!(sizes, [2, 1]);
    Ok(())
}

#[test]
fn normalize_batch_floors_nanoseconds() -> TestResult {
    let schema = Schema::new(vec![Field::new("at", DataType::Timestamp(TimeUnit::Nanosecond, None), true)]);
    let nanos = TimestampNanosecondArray::from(vec![-1, 1_999]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(nanos)])?;

    let normalized = normalize_batch(&batch)?;
    assert_eq!(timestamps(column(&normalized, "at")?)?, [Some(-1), Some(1)]);
    Ok(())
}

#[test]
fn normalize_batch_unpacks_dictionary_and_large_list() -> TestResult {
    let dictionary: DictionaryArray<Int8Type> = vec!["x", "y", "x"].into_iter().collect();
    let large_list = LargeListArray::try_new(
        Arc::new(Field::new_list_field(DataType::Utf8, true)),
        OffsetBuffer::from_lengths([1, 2, 0]),
        Arc::new(StringArray::from(vec!["p", "q", "r"])),
        None,
    )?;
    let schema = Schema::new(vec![
        Field::new("code", dictionary.data_type().clone(), true),
        Field::new("tags", large_list.data_type().clone(), true),
    ]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(dictionary), Arc::new(large_list)])?;

    let normalized = normalize_batch(&batch)?;
    assert_eq!(
        strings(column(&normalized, "code")?)?,
        [Some("x".into()), Some("y".into()), Some("x".into())]
    );
    assert_eq!(strings(&list_at(column(&normalized, "tags")?, 1)?)?, [Some("q".into()), Some("r".into())]);
    Ok(())
}

#[test]
fn normalize_batch_rejects_uint64_overflow() -> TestResult {
    let values = StructArray::try_new(
        Fields::from(vec![Field::new("visits", DataType::UInt64, true)]),
        vec![Arc::new(UInt64Array::from(vec![1, u64::MAX]))],
        None,
    )?;
    let schema = Schema::new(vec![Field::new("stats", values.data_type().clone(), true)]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(values)])?;

    let error = normalize_batch(&batch).err().ok_or("expected an overflow error")?;
    assert!(matches!(error, IoError::Normalize { .. }));
    assert_eq!(
        error.to_string(),
        "failed to convert column `stats.visits` from UInt64 to Int64: value 18446744073709551615 \
         exceeds the Int64 maximum 9223372036854775807; store such values as strings or as Float64"
    );
    Ok(())
}

#[test]
fn parquet_reader_counts_profiles_over_event_limit() -> TestResult {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join("profiles.parquet");
    write_parquet(&path, &wide_batch()?)?;

    // The profiles have 2, 0 and 1 events. Batches of 2 rows check that the count adds up.
    let options = ReadOptions { batch_size: 2, event_limit: 0, ..ReadOptions::default() };
    let mut reader = open(&path, &options)?;
    assert_eq!(reader.profiles_over_event_limit(), 0);
    for batch in reader.by_ref() {
        batch?;
    }
    assert_eq!(reader.profiles_over_event_limit(), 2);
    assert_eq!(reader.skipped_lines(), 0);

    let mut reader = open(&path, &ReadOptions { event_limit: 1, ..ReadOptions::default() })?;
    for batch in reader.by_ref() {
        batch?;
    }
    assert_eq!(reader.profiles_over_event_limit(), 1);
    Ok(())
}
