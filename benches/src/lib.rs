//! Shared fixtures of the criterion benchmarks: the bundled CDNOW profiles, the example
//! segment definitions, generated profiles in memory, and families of definitions over them.

use std::path::{Path, PathBuf};

use arrow::array::{AsArray, RecordBatch};
use seg_io::{EventCounts, GenerateOptions, IoError, ReadOptions, generate_batch, generate_profiles, read_all};
use seg_plan::{SegmentPlan, bind};

/// The evaluation time for generated profiles: the end of their event history,
/// 2025-01-01T00:00:00Z in microseconds since the Unix epoch.
pub const GENERATED_NOW: i64 = seg_io::GENERATED_UNTIL;

/// Returns the repository root, from which the bundled test data is read.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Reads every `*.pql` example definition of the CDNOW data as `(segment id, text)` pairs,
/// sorted by id.
///
/// # Errors
///
/// Returns the I/O error of an unreadable directory or file.
pub fn cdnow_definitions() -> std::io::Result<Vec<(String, String)>> {
    read_definitions(&repo_root().join("testdata/cdnow/segments"))
}

/// Reads the representative definitions of `benches/definitions`, the set that `seg bench`
/// and the comparison with DuckDB and Polars run, as sorted `(segment id, text)` pairs.
///
/// # Errors
///
/// Returns the I/O error of an unreadable directory or file.
pub fn representative_definitions() -> std::io::Result<Vec<(String, String)>> {
    read_definitions(&repo_root().join("benches/definitions"))
}

fn read_definitions(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut definitions = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "pql") {
            let id = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
            definitions.push((id, std::fs::read_to_string(&path)?));
        }
    }
    definitions.sort();
    Ok(definitions)
}

/// Generates `profiles` profiles in memory as batches of at most 65,536 rows, with seed 1.
///
/// # Errors
///
/// Returns the generator's error for an event count out of range.
pub fn generated_batches(profiles: u64, events: EventCounts) -> Result<Vec<RecordBatch>, IoError> {
    let options = GenerateOptions { profiles, seed: 1, events, ..GenerateOptions::default() };
    (0..options.row_groups()).map(|row_group| generate_batch(&options, row_group)).collect()
}

/// Generates `profiles` profiles with seed 1 into a temporary Parquet file and reads them back
/// as a segment job does, with dictionary-encoded strings kept as dictionaries.
///
/// # Errors
///
/// Returns the generator's error, or the error of writing or reading the file.
pub fn parquet_batches(profiles: u64, events: EventCounts) -> Result<Vec<RecordBatch>, IoError> {
    let options = GenerateOptions { profiles, seed: 1, events, ..GenerateOptions::default() };
    let directory = tempfile::tempdir().map_err(|source| IoError::File {
        action: "create a temporary folder for",
        path: std::env::temp_dir(),
        source,
    })?;
    let path = directory.path().join("profiles.parquet");
    generate_profiles(&options, &path, |_| {})?;
    let read = ReadOptions { keep_string_dictionaries: true, ..ReadOptions::default() };
    Ok(read_all(&path, &read)?.1)
}

/// Returns the number of events in `batches`.
pub fn event_total(batches: &[RecordBatch]) -> u64 {
    batches
        .iter()
        .filter_map(|batch| batch.column_by_name("xEvent")?.as_list_opt::<i32>().map(|list| list.values().len() as u64))
        .sum()
}

/// Parses and binds `text` against the generated schema.
///
/// # Panics
///
/// Panics with the rendered diagnostic when the definition does not compile, because every
/// benchmark definition is fixed and must compile.
pub fn compile_generated(text: &str) -> SegmentPlan {
    let schema = seg_io::generated_schema();
    match seg_pql::parse(text).and_then(|query| bind(&query, &schema)) {
        Ok(plan) => plan,
        Err(diagnostic) => panic!("benchmark definition does not compile:\n{}", diagnostic.render(text)),
    }
}

const EVENT_TYPES: [&str; 5] = [
    "web.webpagedetails.pageViews",
    "commerce.productViews",
    "commerce.productListAdds",
    "commerce.checkouts",
    "commerce.purchases",
];
const CITY_PREFIXES: [&str; 10] = ["San", "New", "Chi", "Tor", "Lon", "Par", "Ber", "Mad", "Tok", "Syd"];

/// Returns `count` distinct definitions over the generated schema, cycling through ten
/// templates (attribute comparisons, string tests, event counts in a time window, sums,
/// chains, nested filters and `inSegment`) with a parameter that grows with the index.
///
/// Definition `i` is `(format!("d{i}"), text)`. An `inSegment` definition references only
/// earlier ids, so the whole list always has a valid evaluation order.
pub fn definition_variants(count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|index| {
            let step = index / 10;
            let text = match index % 10 {
                0 => format!("loyalty.points > {}", (step * 997) % 100_000),
                1 => format!("person.birthYear >= {} and loyalty.tier = \"gold\"", 1940 + step % 70),
                2 => format!("homeAddress.city.startsWith(\"{}\")", CITY_PREFIXES[step % CITY_PREFIXES.len()]),
                3 => format!(
                    "xEvent[eventType = \"{}\" and timestamp occurs <= {} days before now].count() >= 2",
                    EVENT_TYPES[step % EVENT_TYPES.len()],
                    1 + step % 365
                ),
                4 => format!(
                    "(sum E.commerce.order.priceTotal over E from xEvent where E.eventType = \"commerce.purchases\") >= {}",
                    100 + step * 10
                ),
                5 => format!(
                    "chain(xEvent, timestamp, [A: WHAT(eventType = \"{}\"), B: WHAT(eventType = \"{}\")])",
                    EVENT_TYPES[step % EVENT_TYPES.len()],
                    EVENT_TYPES[(step + 1 + step / EVENT_TYPES.len()) % EVENT_TYPES.len()]
                ),
                6 => format!(
                    "xEvent[eventType = \"commerce.purchases\" and productListItems[SKU = \"SKU-{:04}\"]].count() > 0",
                    step % 1_000
                ),
                7 => format!("consents.marketing.email.val = \"y\" and person.gender = \"female\" and loyalty.points < {}", step * 50),
                8 => format!("xEvent[commerce.order.priceTotal > {}].count() >= 1", 50 + step % 500),
                _ => format!("inSegment(\"d{}\") and not inSegment(\"d{}\")", index - 9, index - 3),
            };
            (format!("d{index}"), text)
        })
        .collect()
}
