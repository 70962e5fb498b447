//! The CDNOW converter on a small inline sample, and the committed CDNOW profile file.

mod support;

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::reader::{FileReader, SerializedFileReader};
use seg_io::{CdnowSummary, IoError, cdnow_schema, convert_cdnow};
use support::*;
use tempfile::TempDir;

/// 1997-01-01T00:00:00Z in microseconds since the Unix epoch.
const JAN_1_1997: i64 = 852_076_800_000_000;
const DAY: i64 = 86_400_000_000;

/// Customer 00001 buys on two dates with a row of another customer in between, customer 00002
/// buys twice on the same date, and customer 00003 has a 0.00 purchase.
const SAMPLE: &str = concat!(
    " customer_id  date number_of_cds  dollar_value\r\n",
    " 00001 19970101  1   11.77\r\n",
    " 00002 19970112  1   12.00\r\n",
    " 00002 19970112  5   77.00\r\n",
    " 00003 19970102  2    0.00\r\n",
    " 00001 19970315  3   20.76\r\n",
);

fn convert_sample(text: &str) -> Result<(TempDir, PathBuf, Result<CdnowSummary, IoError>), std::io::Error> {
    let directory = tempfile::tempdir()?;
    let input = directory.path().join("CDNOW_master.txt");
    std::fs::write(&input, text)?;
    let output = directory.path().join("out").join("profiles.parquet");
    let result = convert_cdnow(&input, &output);
    Ok((directory, output, result))
}

/// Reads a Parquet file without normalization, so the stored schema is checked as written.
fn read_raw(path: &Path) -> Result<RecordBatch, Box<dyn std::error::Error>> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?;
    let schema = builder.schema().clone();
    let batches = builder.build()?.collect::<Result<Vec<_>, _>>()?;
    Ok(arrow::compute::concat_batches(&schema, &batches)?)
}

#[test]
fn cdnow_summary_counts_profiles_and_events() -> TestResult {
    let (_directory, _output, result) = convert_sample(SAMPLE)?;
    assert_eq!(result?, CdnowSummary { profiles: 3, events: 5 });
    Ok(())
}

#[test]
fn cdnow_output_has_exact_schema() -> TestResult {
    let (_directory, output, result) = convert_sample(SAMPLE)?;
    result?;

    let batch = read_raw(&output)?;
    assert_eq!(batch.schema().fields(), cdnow_schema().fields());
    Ok(())
}

#[test]
fn cdnow_profiles_in_first_appearance_order() -> TestResult {
    let (_directory, output, result) = convert_sample(SAMPLE)?;
    result?;

    let batch = read_raw(&output)?;
    assert_eq!(
        strings(column(&batch, "_id")?)?,
        [Some("00001".into()), Some("00002".into()), Some("00003".into())]
    );
    Ok(())
}

#[test]
fn cdnow_identity_map_has_primary_crmid() -> TestResult {
    let (_directory, output, result) = convert_sample(SAMPLE)?;
    result?;

    let batch = read_raw(&output)?;
    let map = column(&batch, "identityMap")?.as_map();
    let ids = ["00001", "00002", "00003"];
    for (row, id) in ids.iter().enumerate() {
        let entries = map.value(row);
        assert_eq!(strings(entries.column(0))?, [Some("CRMID".to_string())], "keys of row {row}");
        let identities = list_at(entries.column(1), 0)?;
        assert_eq!(strings(field(&identities, "id")?)?, [Some(id.to_string())], "ids of row {row}");
        assert_eq!(booleans(field(&identities, "primary")?)?, [Some(true)], "primary of row {row}");
    }
    Ok(())
}

#[test]
fn cdnow_events_follow_file_order() -> TestResult {
    let (_directory, output, result) = convert_sample(SAMPLE)?;
    result?;

    let batch = read_raw(&output)?;
    let events = column(&batch, "xEvent")?;
    let first = list_at(events, 0)?;
    assert_eq!(strings(field(&first, "_id")?)?, [Some("00001-1".into()), Some("00001-2".into())]);
    assert_eq!(timestamps(field(&first, "timestamp")?)?, [Some(JAN_1_1997), Some(JAN_1_1997 + 73 * DAY)]);
    assert_eq!(
        strings(field(&first, "eventType")?)?,
        [Some("commerce.purchases".into()), Some("commerce.purchases".into())]
    );
    Ok(())
}

#[test]
fn cdnow_same_date_rows_stay_separate() -> TestResult {
    let (_directory, output, result) = convert_sample(SAMPLE)?;
    result?;

    let batch = read_raw(&output)?;
    let second = list_at(column(&batch, "xEvent")?, 1)?;
    assert_eq!(strings(field(&second, "_id")?)?, [Some("00002-1".into()), Some("00002-2".into())]);
    assert_eq!(
        timestamps(field(&second, "timestamp")?)?,
        [Some(JAN_1_1997 + 11 * DAY), Some(JAN_1_1997 + 11 * DAY)]
    );
    let order = field(field(&second, "commerce")?, "order")?;
    assert_eq!(float64s(field(order, "priceTotal")?)?, [Some(12.0), Some(77.0)]);
    Ok(())
}

#[test]
fn cdnow_commerce_fields() -> TestResult {
    let (_directory, output, result) = convert_sample(SAMPLE)?;
    result?;

    let batch = read_raw(&output)?;
    let third = list_at(column(&batch, "xEvent")?, 2)?;
    let commerce = field(&third, "commerce")?;
    let order = field(commerce, "order")?;
    assert_eq!(float64s(field(order, "priceTotal")?)?, [Some(0.0)]);
    assert_eq!(strings(field(order, "currencyCode")?)?, [Some("USD".into())]);
    assert_eq!(float64s(field(field(commerce, "purchases")?, "value")?)?, [Some(1.0)]);
    Ok(())
}

#[test]
fn cdnow_product_list_items() -> TestResult {
    let (_directory, output, result) = convert_sample(SAMPLE)?;
    result?;

    let batch = read_raw(&output)?;
    let first = list_at(column(&batch, "xEvent")?, 0)?;
    let products = field(&first, "productListItems")?;
    let second_event_items = list_at(products, 1)?;
    assert_eq!(second_event_items.len(), 1);
    assert_eq!(strings(field(&second_event_items, "SKU")?)?, [Some("CD".into())]);
    assert_eq!(int64s(field(&second_event_items, "quantity")?)?, [Some(3)]);
    assert_eq!(float64s(field(&second_event_items, "priceTotal")?)?, [Some(20.76)]);
    Ok(())
}

#[test]
fn cdnow_output_metadata_is_fixed() -> TestResult {
    let (_directory, output, result) = convert_sample(SAMPLE)?;
    result?;

    let reader = SerializedFileReader::new(File::open(&output)?)?;
    let metadata = reader.metadata();
    assert_eq!(metadata.file_metadata().created_by(), Some("seg-io convert_cdnow"));
    assert_eq!(metadata.num_row_groups(), 1);
    assert!(matches!(metadata.row_group(0).column(0).compression(), Compression::ZSTD(_)));
    Ok(())
}

#[test]
fn cdnow_output_is_deterministic() -> TestResult {
    let (_first_directory, first, first_result) = convert_sample(SAMPLE)?;
    let (_second_directory, second, second_result) = convert_sample(SAMPLE)?;
    first_result?;
    second_result?;

    assert_eq!(std::fs::read(first)?, std::fs::read(second)?);
    Ok(())
}

#[test]
fn cdnow_bad_date_names_line_and_value() -> TestResult {
    let text = " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19971301  1   12.00\r\n";
    let (directory, output, result) = convert_sample(text)?;

    let error = result.err().ok_or("expected a row error")?;
    let input = directory.path().join("CDNOW_master.txt");
    assert_eq!(
        error.to_string(),
        format!(
            "invalid CDNOW data on line 3 of {}: date `19971301` is not a valid YYYYMMDD date",
            input.display()
        )
    );
    assert!(!output.exists());
    Ok(())
}

#[test]
fn cdnow_bad_amount_names_value() -> TestResult {
    let text = " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   $11.77\r\n";
    let (_directory, _output, result) = convert_sample(text)?;

    let error = result.err().ok_or("expected a row error")?;
    assert!(matches!(&error, IoError::CdnowRow { line: 2, message, .. }
        if message == "dollar value `$11.77` is not a non-negative decimal number"));
    Ok(())
}

#[test]
fn cdnow_missing_header_is_rejected() -> TestResult {
    let (_directory, _output, result) = convert_sample(" 00001 19970101  1   11.77\r\n")?;

    let error = result.err().ok_or("expected a header error")?;
    assert!(matches!(error, IoError::CdnowRow { line: 1, .. }));
    Ok(())
}

#[test]
fn cdnow_short_row_is_rejected() -> TestResult {
    let text = " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1\r\n";
    let (_directory, _output, result) = convert_sample(text)?;

    let error = result.err().ok_or("expected a row error")?;
    assert!(matches!(error, IoError::CdnowRow { line: 2, .. }));
    Ok(())
}

fn testdata_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cdnow").join(name)
}

/// The committed file converted from the full CDNOW purchase history.
#[test]
fn committed_cdnow_profiles_match_source_counts() -> TestResult {
    let path = testdata_path("profiles.parquet");

    let batch = read_raw(&path)?;
    assert_eq!(batch.schema().fields(), cdnow_schema().fields());
    assert_eq!(batch.num_rows(), 23_570);
    let events = column(&batch, "xEvent")?.as_list::<i32>();
    assert_eq!(events.values().len(), 69_659);
    Ok(())
}

#[test]
fn committed_cdnow_profiles_are_reproducible() -> TestResult {
    let directory = tempfile::tempdir()?;
    let output = directory.path().join("profiles.parquet");
    convert_cdnow(&testdata_path("CDNOW_master.txt"), &output)?;

    let committed = std::fs::read(testdata_path("profiles.parquet"))?;
    assert!(std::fs::read(&output)? == committed, "a fresh conversion differs from the committed file");
    Ok(())
}
