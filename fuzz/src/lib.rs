//! Data shared by the fuzz targets.

use std::sync::OnceLock;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;

/// The profiles that the `bind` and `differential` targets evaluate against: 48 varied
/// profiles with nulls, missing fields, empty lists, nested lists and identity maps.
const PROFILES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/profiles.ndjson");

/// Returns the fuzz profiles as one normalized record batch, read once per process.
pub fn profiles() -> &'static RecordBatch {
    static BATCH: OnceLock<RecordBatch> = OnceLock::new();
    BATCH.get_or_init(|| {
        let (schema, batches) = seg_io::read_all(PROFILES.as_ref(), &seg_io::ReadOptions::default())
            .unwrap_or_else(|error| panic!("failed to read {PROFILES}: {error}"));
        concat_batches(&schema, &batches).expect("batches of one file share a schema")
    })
}
