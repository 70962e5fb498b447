//! Reading NDJSON profile files through `open`: inference, timestamps and line errors.

mod support;

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Fields, Schema, TimeUnit};
use seg_io::{IoError, ReadOptions, open, read_all};
use support::*;
use tempfile::TempDir;

/// 2024-01-31T08:00:00Z in microseconds since the Unix epoch.
const JAN_31_8AM: i64 = 1_706_688_000_000_000;

fn write_file(name: &str, text: &str) -> Result<(TempDir, PathBuf), std::io::Error> {
    let directory = tempfile::tempdir()?;
    let path = directory.path().join(name);
    std::fs::write(&path, text)?;
    Ok((directory, path))
}

fn read_one_batch(name: &str, text: &str) -> Result<RecordBatch, Box<dyn std::error::Error>> {
    let (_directory, path) = write_file(name, text)?;
    let (_, mut batches) = read_all(&path, &ReadOptions::default())?;
    if batches.len() != 1 {
        return Err(format!("expected 1 batch, found {}", batches.len()).into());
    }
    Ok(batches.remove(0))
}

fn utc() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// Events with RFC 3339 and epoch-millisecond timestamps, a profile without `person` and one
/// with empty events, a blank line and a whitespace-only line, and CRLF line endings.
const PROFILES: &str = concat!(
    r#"{"_id":"p1","person":{"name":{"firstName":"Ada"}},"xEvent":[{"timestamp":"2024-01-31T08:00:00Z","eventType":"web.pageView","commerce":{"order":{"priceTotal":12.5}}},{"timestamp":"2024-02-01T09:30:00.250+01:00","eventType":"commerce.purchases"}]}"#,
    "\r\n\r\n",
    r#"{"_id":"p2","xEvent":[{"timestamp":1706688000000,"eventType":"web.pageView"}],"lastLogin":"2024-03-01T00:00:00Z"}"#,
    "\n   \n",
    r#"{"_id":"p3","person":{"name":{}},"xEvent":[]}"#,
    "\n",
);

#[test]
fn ndjson_schema_sorts_fields_and_detects_timestamps() -> TestResult {
    let batch = read_one_batch("profiles.ndjson", PROFILES)?;

    let order = Fields::from(vec![Field::new("priceTotal", DataType::Float64, true)]);
    let commerce = Fields::from(vec![Field::new("order", DataType::Struct(order), true)]);
    let event = Fields::from(vec![
        Field::new("commerce", DataType::Struct(commerce), true),
        Field::new("eventType", DataType::Utf8, true),
        Field::new("timestamp", utc(), true),
    ]);
    let name = Fields::from(vec![Field::new("firstName", DataType::Utf8, true)]);
    let person = Fields::from(vec![Field::new("name", DataType::Struct(name), true)]);
    let expected = Schema::new(vec![
        Field::new("_id", DataType::Utf8, true),
        Field::new("lastLogin", utc(), true),
        Field::new("person", DataType::Struct(person), true),
        Field::new(
            "xEvent",
            DataType::List(Arc::new(Field::new_list_field(DataType::Struct(event), true))),
            true,
        ),
    ]);
    assert_eq!(batch.schema().as_ref(), &expected);
    Ok(())
}

#[test]
fn ndjson_reads_profile_values() -> TestResult {
    let batch = read_one_batch("profiles.ndjson", PROFILES)?;

    assert_eq!(strings(column(&batch, "_id")?)?, [Some("p1".into()), Some("p2".into()), Some("p3".into())]);
    assert_eq!(timestamps(column(&batch, "lastLogin")?)?, [None, Some(1_709_251_200_000_000), None]);
    let first_names = field(field(column(&batch, "person")?, "name")?, "firstName")?;
    assert_eq!(strings(first_names)?, [Some("Ada".into()), None, None]);
    assert!(column(&batch, "person")?.is_null(1));
    Ok(())
}

#[test]
fn ndjson_reads_event_timestamps() -> TestResult {
    let batch = read_one_batch("profiles.ndjson", PROFILES)?;
    let events = column(&batch, "xEvent")?;

    let first = list_at(events, 0)?;
    // 09:30:00.250 at +01:00 is 08:30:00.250 UTC, one day and 30 minutes after the first event.
    let expected_second = JAN_31_8AM + 86_400_000_000 + 1_800_000_000 + 250_000;
    assert_eq!(timestamps(field(&first, "timestamp")?)?, [Some(JAN_31_8AM), Some(expected_second)]);
    assert_eq!(timestamps(field(&list_at(events, 1)?, "timestamp")?)?, [Some(JAN_31_8AM)]);
    assert_eq!(list_at(events, 2)?.len(), 0);
    Ok(())
}

#[test]
fn ndjson_reads_missing_nested_fields_as_null() -> TestResult {
    let batch = read_one_batch("profiles.ndjson", PROFILES)?;
    let first = list_at(column(&batch, "xEvent")?, 0)?;

    let prices = field(field(field(&first, "commerce")?, "order")?, "priceTotal")?;
    assert_eq!(float64s(prices)?, [Some(12.5), None]);
    assert_eq!(
        strings(field(&first, "eventType")?)?,
        [Some("web.pageView".into()), Some("commerce.purchases".into())]
    );
    Ok(())
}

#[test]
fn ndjson_batches_follow_batch_size() -> TestResult {
    let (_directory, path) = write_file("profiles.jsonl", PROFILES)?;
    let (_, batches) = read_all(&path, &ReadOptions { batch_size: 2, ..ReadOptions::default() })?;

    let sizes: Vec<usize> = batches.iter().map(RecordBatch::num_rows).collect();
    assert_eq!(sizes, [2, 1]);
    Ok(())
}

#[test]
fn ndjson_identity_map_becomes_map() -> TestResult {
    let text = concat!(
        r#"{"_id":"p1","identityMap":{"ECID":[{"id":"e1","primary":true}],"email":[{"id":"a@example.com","authenticatedState":"authenticated"}]}}"#,
        "\n",
        r#"{"_id":"p2"}"#,
        "\n",
    );
    let batch = read_one_batch("profiles.json", text)?;

    let identity_map = column(&batch, "identityMap")?;
    let DataType::Map(entries, _) = identity_map.data_type() else {
        return Err(format!("expected a map, found {}", identity_map.data_type()).into());
    };
    let DataType::Struct(entry_fields) = entries.data_type() else {
        return Err(format!("expected map entries, found {}", entries.data_type()).into());
    };
    let identity = Fields::from(vec![
        Field::new("id", DataType::Utf8, true),
        Field::new("primary", DataType::Boolean, true),
        Field::new("authenticatedState", DataType::Utf8, true),
    ]);
    let expected_value = DataType::List(Arc::new(Field::new_list_field(DataType::Struct(identity), true)));
    assert_eq!(entry_fields[1].data_type(), &expected_value);

    let map = identity_map.as_map();
    assert_eq!(strings(map.keys())?, [Some("ECID".into()), Some("email".into())]);
    assert!(identity_map.is_null(1));
    let ecid = list_at(map.values(), 0)?;
    assert_eq!(booleans(field(&ecid, "primary")?)?, [Some(true)]);
    Ok(())
}

#[test]
fn ndjson_empty_events_validate() -> TestResult {
    let batch = read_one_batch("profiles.ndjson", "{\"_id\":\"p1\",\"xEvent\":[]}\n")?;

    let event = Fields::from(vec![Field::new("timestamp", utc(), true)]);
    let expected = DataType::List(Arc::new(Field::new_list_field(DataType::Struct(event), true)));
    assert_eq!(column(&batch, "xEvent")?.data_type(), &expected);
    Ok(())
}

#[test]
fn ndjson_date_like_id_stays_string() -> TestResult {
    let batch = read_one_batch("profiles.ndjson", "{\"_id\":\"2024-01-31T08:00:00Z\"}\n")?;
    assert_eq!(column(&batch, "_id")?.data_type(), &DataType::Utf8);
    Ok(())
}

#[test]
fn ndjson_bad_line_names_file_and_line() -> TestResult {
    let (_directory, path) = write_file("profiles.ndjson", "{\"_id\":\"p1\"}\n\n{\"_id\":\"p2\",}\n")?;

    let error = open(&path, &ReadOptions::default()).err().ok_or("expected a syntax error")?;
    assert!(matches!(error, IoError::JsonSyntax { line: 3, .. }));
    assert_eq!(
        error.to_string(),
        format!(
            "invalid JSON in {} on line 3, column 13: trailing comma; fix or remove that line",
            path.display()
        )
    );
    Ok(())
}

#[test]
fn ndjson_string_and_number_conflict_names_field() -> TestResult {
    let text = "{\"_id\":\"p1\",\"person\":{\"age\":\"40\"}}\n{\"_id\":\"p2\",\"person\":{\"age\":41}}\n";
    let (_directory, path) = write_file("profiles.ndjson", text)?;

    let error = open(&path, &ReadOptions::default()).err().ok_or("expected a type conflict")?;
    assert_eq!(
        error.to_string(),
        format!(
            "field `person.age` in {} is a string on line 1 but a number on line 2; write every \
             value of a field as the same JSON kind",
            path.display()
        )
    );
    Ok(())
}

#[test]
fn ndjson_invalid_timestamp_names_value() -> TestResult {
    let text = "{\"_id\":\"p1\",\"xEvent\":[{\"timestamp\":\"yesterday\"}]}\n";
    let (_directory, path) = write_file("profiles.ndjson", text)?;

    let error = open(&path, &ReadOptions::default()).err().ok_or("expected a timestamp error")?;
    assert_eq!(
        error.to_string(),
        format!(
            "invalid timestamp \"yesterday\" in field `xEvent[].timestamp` on line 1 of {}: write \
             an RFC 3339 string such as \"2024-01-31T08:00:00Z\" or a number of milliseconds since \
             the Unix epoch",
            path.display()
        )
    );
    Ok(())
}

#[test]
fn ndjson_array_line_is_rejected() -> TestResult {
    let (_directory, path) = write_file("profiles.json", "[{\"_id\":\"p1\"}]\n")?;

    let error = open(&path, &ReadOptions::default()).err().ok_or("expected a not-an-object error")?;
    assert!(matches!(error, IoError::JsonNotObject { line: 1, kind: "array", .. }));
    Ok(())
}

#[test]
fn ndjson_bad_lines_are_skipped_and_counted() -> TestResult {
    let text = "{\"_id\":\"p1\"}\n{\"_id\":\"p2\",}\n[1]\n\n{\"_id\":\"p3\"}\n\"text\"\n";
    let (_directory, path) = write_file("profiles.ndjson", text)?;

    let options = ReadOptions { skip_bad_lines: true, batch_size: 1, ..ReadOptions::default() };
    let mut reader = open(&path, &options)?;
    let mut ids = Vec::new();
    for batch in reader.by_ref() {
        let batch = batch?;
        let column = column(&batch, "_id")?.as_string::<i32>().clone();
        ids.extend(column.iter().map(|id| id.unwrap_or_default().to_string()));
    }
    assert_eq!(ids, ["p1", "p3"]);
    assert_eq!(reader.skipped_lines(), 3);
    Ok(())
}

#[test]
fn ndjson_bad_line_fails_without_skipping() -> TestResult {
    let (_directory, path) = write_file("profiles.ndjson", "{\"_id\":\"p1\"}\n42\n")?;

    let error = open(&path, &ReadOptions::default()).err().ok_or("expected a not-an-object error")?;
    assert!(matches!(error, IoError::JsonNotObject { line: 2, kind: "number", .. }));
    Ok(())
}

#[test]
fn ndjson_profiles_over_event_limit_are_counted() -> TestResult {
    let text = concat!(
        r#"{"_id":"p1","xEvent":[{"timestamp":1},{"timestamp":2},{"timestamp":3}]}"#,
        "\n",
        r#"{"_id":"p2","xEvent":[{"timestamp":1},{"timestamp":2}]}"#,
        "\n",
        r#"{"_id":"p3","xEvent":null}"#,
        "\n",
        r#"{"_id":"p4"}"#,
        "\n",
    );
    let (_directory, path) = write_file("profiles.ndjson", text)?;

    let mut reader = open(&path, &ReadOptions { event_limit: 2, ..ReadOptions::default() })?;
    let rows: usize = reader.by_ref().map(|batch| batch.map(|b| b.num_rows())).sum::<Result<usize, _>>()?;
    assert_eq!(rows, 4);
    assert_eq!(reader.profiles_over_event_limit(), 1);

    // The default limit of 5,000 events counts none of them.
    let mut reader = open(&path, &ReadOptions::default())?;
    for batch in reader.by_ref() {
        batch?;
    }
    assert_eq!(reader.profiles_over_event_limit(), 0);
    Ok(())
}
