//! Evaluates every `.pql` definition of a directory over a profile file and prints the size of
//! each audience.
//!
//! ```sh
//! cargo run -p seg-engine --example audience_sizes -- [PROFILES] [DEFINITIONS_DIR] [NOW]
//! ```
//!
//! Without arguments it runs the bundled CDNOW example definitions over
//! `testdata/cdnow/profiles.parquet` as of 1998-07-01, and checks the size of one audience.

use std::error::Error;
use std::path::{Path, PathBuf};

use seg_engine::arrow::array::AsArray;
use seg_engine::{SegmentSet, Timestamp};

fn main() -> Result<(), Box<dyn Error>> {
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cdnow");
    let mut args = std::env::args().skip(1);
    let profiles = args.next().map_or_else(|| testdata.join("profiles.parquet"), PathBuf::from);
    let definitions_dir = args.next().map_or_else(|| testdata.join("segments"), PathBuf::from);
    let now: Timestamp = args.next().as_deref().unwrap_or("1998-07-01T00:00:00Z").parse()?;

    // Each `<segment id>.pql` file contains one PQL expression.
    let mut definitions = Vec::new();
    for entry in std::fs::read_dir(&definitions_dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|extension| extension == "pql") {
            let id = path.file_stem().and_then(|stem| stem.to_str()).ok_or("file name is not UTF-8")?.to_string();
            definitions.push((id, std::fs::read_to_string(&path)?));
        }
    }
    definitions.sort();

    // Bind against the file's schema, then evaluate every batch.
    let (schema, batches) = seg_engine::io::read_all(&profiles, &seg_engine::ReadOptions::default())?;
    let set = SegmentSet::compile(definitions.iter().map(|(id, text)| (id.as_str(), text.as_str())), &schema)?;
    let audiences = set.evaluate(&batches, now)?;

    println!("{} profiles in {}", audiences.total_profiles(), profiles.display());
    for (id, members) in audiences.iter() {
        println!("{id:>22}  {:>6}", members.len());
    }

    // With the defaults, check one audience against a count taken straight from the data:
    // every CDNOW event is a purchase, so frequent buyers have at least 10 events.
    if std::env::args().len() == 1 {
        let mut expected = 0;
        for batch in &batches {
            let events = batch.column_by_name("xEvent").ok_or("no xEvent column")?.as_list::<i32>();
            expected += (0..batch.num_rows()).filter(|&row| events.value_length(row) >= 10).count() as u64;
        }
        let frequent = audiences.members("frequent-buyers").ok_or("frequent-buyers is missing")?;
        assert_eq!(frequent.len(), expected, "frequent-buyers size");
    }
    Ok(())
}
