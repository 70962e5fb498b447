//! Conversion of the CDNOW purchase history (`CDNOW_master.txt`) to a Parquet profile file.
//!
//! The input has a header line `customer_id date number_of_cds dollar_value` and then one
//! whitespace-separated row per purchase, such as `00001 19970101  1   11.77`. Each customer
//! becomes one profile, and each of its rows one `commerce.purchases` experience event; see
//! [`cdnow_schema`] for the output columns.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind};
use std::path::Path;

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::atomic::write_atomically;
use crate::cdnow_arrow::{cdnow_batch, cdnow_schema};
use crate::error::IoError;

/// Number of profiles in each row group of the output.
const PROFILES_PER_ROW_GROUP: usize = 65_536;

/// The `created_by` value of the output. It is fixed, without a library version, so that the
/// same input gives the same bytes with any build.
const CREATED_BY: &str = "seg-io convert_cdnow";

const HEADER: [&str; 4] = ["customer_id", "date", "number_of_cds", "dollar_value"];

/// Counts of what [`convert_cdnow`] wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CdnowSummary {
    /// Number of profiles, one per distinct customer id.
    pub profiles: usize,
    /// Number of purchase events, one per input row.
    pub events: usize,
}

/// One input row.
pub(crate) struct Purchase {
    /// Microseconds since the Unix epoch of 00:00:00 UTC on the purchase date.
    pub(crate) timestamp: i64,
    pub(crate) cds: i64,
    pub(crate) dollars: f64,
}

/// A customer and their purchases in file order.
pub(crate) struct Customer {
    pub(crate) id: String,
    pub(crate) purchases: Vec<Purchase>,
}

/// Converts the CDNOW purchase file `input` to the Parquet profile file `output`.
///
/// Rows are grouped by customer id. Profiles are written in the order in which their ids first
/// appear, and each profile's events in file order, so the rows of one customer need not be
/// contiguous. The output is zstd-compressed with 65,536 profiles per row group, replaced
/// atomically, and byte-for-byte the same for the same input.
///
/// # Errors
///
/// Returns [`IoError::CdnowRow`] naming the line and the bad value when the header or a row is
/// malformed, and [`IoError::File`] or [`IoError::Parquet`] when a file cannot be read or
/// written.
pub fn convert_cdnow(input: &Path, output: &Path) -> Result<CdnowSummary, IoError> {
    let customers = read_customers(input)?;
    let summary = CdnowSummary {
        profiles: customers.len(),
        events: customers.iter().map(|customer| customer.purchases.len()).sum(),
    };

    let schema = cdnow_schema();
    let properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(PROFILES_PER_ROW_GROUP))
        .set_created_by(CREATED_BY.to_string())
        .build();
    let parquet_failure = |source| IoError::Parquet { action: "write", path: output.to_path_buf(), source };

    write_atomically(output, |file| {
        let mut writer =
            ArrowWriter::try_new(file, schema.clone(), Some(properties)).map_err(parquet_failure)?;
        for chunk in customers.chunks(PROFILES_PER_ROW_GROUP) {
            let batch = cdnow_batch(&schema, chunk)
                .map_err(|source| IoError::Arrow { path: Some(output.to_path_buf()), source })?;
            writer.write(&batch).map_err(parquet_failure)?;
            writer.flush().map_err(parquet_failure)?;
        }
        writer.close().map_err(parquet_failure)?;
        Ok(())
    })?;
    Ok(summary)
}

/// Reads and groups all rows of a CDNOW file.
fn read_customers(path: &Path) -> Result<Vec<Customer>, IoError> {
    let file = File::open(path).map_err(|source| IoError::file("open", path, source))?;
    let row_error =
        |line: usize, message: String| IoError::CdnowRow { path: path.to_path_buf(), line, message };

    let mut customers: Vec<Customer> = Vec::new();
    let mut index_by_id: HashMap<String, usize> = HashMap::new();
    let mut saw_header = false;
    for (index, text) in BufReader::new(file).lines().enumerate() {
        let line = index + 1;
        let text = text.map_err(|source| match source.kind() {
            ErrorKind::InvalidData => row_error(line, "the line is not valid UTF-8".to_string()),
            _ => IoError::file("read", path, source),
        })?;
        let values: Vec<&str> = text.split_whitespace().collect();
        if values.is_empty() {
            continue;
        }
        if !saw_header {
            if values != HEADER {
                return Err(row_error(
                    line,
                    format!("expected the header `{}`, found `{}`", HEADER.join(" "), text.trim()),
                ));
            }
            saw_header = true;
            continue;
        }

        let (id, purchase) = parse_row(&values).map_err(|message| row_error(line, message))?;
        let customer_index = *index_by_id.entry(id.to_string()).or_insert_with(|| {
            customers.push(Customer { id: id.to_string(), purchases: Vec::new() });
            customers.len() - 1
        });
        customers[customer_index].purchases.push(purchase);
    }
    if !saw_header {
        return Err(row_error(1, format!("the file is empty; expected the header `{}`", HEADER.join(" "))));
    }
    Ok(customers)
}

/// Parses the values of one row into the customer id and the purchase, or describes the first
/// bad value.
fn parse_row<'a>(values: &[&'a str]) -> Result<(&'a str, Purchase), String> {
    let &[id, date, cds, dollars] = values else {
        return Err(format!(
            "expected 4 values (customer_id date number_of_cds dollar_value), found {}: `{}`",
            values.len(),
            values.join(" ")
        ));
    };
    if !id.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(format!("customer id `{id}` is not a string of digits"));
    }
    let timestamp = parse_date(date).ok_or_else(|| format!("date `{date}` is not a valid YYYYMMDD date"))?;
    let cds = cds
        .parse::<i64>()
        .ok()
        .filter(|count| *count >= 0)
        .ok_or_else(|| format!("number of CDs `{cds}` is not a non-negative integer"))?;
    let dollars = dollars
        .parse::<f64>()
        .ok()
        .filter(|value| value.is_finite() && *value >= 0.0)
        .ok_or_else(|| format!("dollar value `{dollars}` is not a non-negative decimal number"))?;
    Ok((id, Purchase { timestamp, cds, dollars }))
}

/// Returns the microseconds since the Unix epoch of 00:00:00 UTC on a `YYYYMMDD` date.
fn parse_date(text: &str) -> Option<i64> {
    if text.len() != 8 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let year: i16 = text[0..4].parse().ok()?;
    let month: i8 = text[4..6].parse().ok()?;
    let day: i8 = text[6..8].parse().ok()?;
    let date = jiff::civil::Date::new(year, month, day).ok()?;
    let midnight =
        jiff::tz::Offset::UTC.to_timestamp(date.to_datetime(jiff::civil::Time::midnight())).ok()?;
    Some(midnight.as_microsecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_date_gives_utc_midnight() {
        assert_eq!(parse_date("19970101"), Some(852_076_800_000_000));
    }

    #[test]
    fn parse_date_rejects_february_30() {
        assert_eq!(parse_date("19970230"), None);
    }

    #[test]
    fn parse_row_rejects_negative_count() {
        let result = parse_row(&["00001", "19970101", "-1", "1.00"]).map(|_| ());
        assert_eq!(result, Err("number of CDs `-1` is not a non-negative integer".to_string()));
    }
}
