//! Evaluates one profile, given as JSON, against a set of definitions, as an edge or streaming
//! caller does when a profile changes. The definitions are compiled once against the known
//! profile schema. Each profile is then decoded into a one-row Arrow batch and evaluated.
//!
//! ```sh
//! cargo run -p seg-engine --example single_profile
//! ```
//!
//! The profile is CDNOW customer 10197. The example checks that the columnar engine, the
//! reference interpreter and a whole-file evaluation agree on it.

use std::error::Error;
use std::io::Cursor;
use std::path::Path;

use seg_engine::eval::columnar::evaluate_batch;
use seg_engine::eval::reference::{evaluate_profile, profiles_from_batch};
use seg_engine::{EvalContext, ReadOptions, SegmentSet, Timestamp};

/// One XDM profile with its experience events. Timestamps are RFC 3339 strings.
const PROFILE: &str = r#"{
  "_id": "10197",
  "identityMap": {"CRMID": [{"id": "10197", "primary": true}]},
  "xEvent": [
    {"_id": "10197-1", "timestamp": "1997-02-11T00:00:00Z", "eventType": "commerce.purchases",
     "commerce": {"order": {"priceTotal": 268.34, "currencyCode": "USD"}, "purchases": {"value": 1.0}},
     "productListItems": [{"SKU": "CD", "quantity": 20, "priceTotal": 268.34}]},
    {"_id": "10197-2", "timestamp": "1998-02-26T00:00:00Z", "eventType": "commerce.purchases",
     "commerce": {"order": {"priceTotal": 308.79, "currencyCode": "USD"}, "purchases": {"value": 1.0}},
     "productListItems": [{"SKU": "CD", "quantity": 19, "priceTotal": 308.79}]},
    {"_id": "10197-3", "timestamp": "1998-06-10T00:00:00Z", "eventType": "commerce.purchases",
     "commerce": {"order": {"priceTotal": 587.63, "currencyCode": "USD"}, "purchases": {"value": 1.0}},
     "productListItems": [{"SKU": "CD", "quantity": 37, "priceTotal": 587.63}]}
  ]
}"#;

const DEFINITIONS: [(&str, &str); 4] = [
    ("big-spenders", r#"(sum E.commerce.order.priceTotal over E from xEvent where E.eventType = "commerce.purchases") >= 500"#),
    ("frequent-buyers", r#"xEvent[eventType = "commerce.purchases"].count() >= 10"#),
    ("bought-this-week", r#"xEvent[timestamp occurs <= 7 days before now].count() > 0"#),
    ("bulk-buyer", r#"xEvent[productListItems[SKU = "CD" and quantity >= 5]].count() >= 2"#),
];

fn main() -> Result<(), Box<dyn Error>> {
    let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cdnow/profiles.parquet");
    let now: Timestamp = "1998-06-14T12:00:00Z".parse()?;
    let context = EvalContext { now: now.as_microsecond() };

    // Compile once, against the schema the profiles are stored with.
    let schema = seg_engine::io::open(&profiles, &ReadOptions::default())?.schema();
    let set = SegmentSet::compile(DEFINITIONS, &schema)?;

    // Decode the JSON profile into a one-row batch of that schema. The schema is already
    // normalized, so the batch needs no further conversion.
    // NOTE: arrow-json reads an integer timestamp in the unit of the column, microseconds here.
    // seg-io's NDJSON reader reads integers as milliseconds, so send RFC 3339 strings.
    let compact: String = PROFILE.lines().map(str::trim).collect();
    let mut reader = arrow_json::ReaderBuilder::new(schema.clone()).build(Cursor::new(compact))?;
    let batch = reader.next().ok_or("the JSON profile decoded to no rows")??;
    assert_eq!(batch.num_rows(), 1);

    // The columnar engine on the one-row batch.
    let masks = evaluate_batch(&set.segments(), &batch, &context)?;
    let columnar: Vec<bool> = masks.iter().map(|mask| mask.value(0)).collect();

    // The reference interpreter on the same profile as plain values.
    let profile = profiles_from_batch(&batch)?.into_iter().next().ok_or("no profile")?;
    let reference = evaluate_profile(&set.segments(), &profile, &context)?;
    assert_eq!(columnar, reference, "the columnar engine and the reference interpreter disagree");

    for (id, qualifies) in set.ids().zip(&columnar) {
        println!("{id:>16}: {}", if *qualifies { "qualifies" } else { "does not qualify" });
    }
    let expected = [("big-spenders", true), ("frequent-buyers", false), ("bought-this-week", true), ("bulk-buyer", true)];
    for (id, qualifies) in expected {
        let index = set.ids().position(|segment| segment == id).ok_or("segment missing")?;
        assert_eq!(columnar[index], qualifies, "{id}");
    }

    // The stored copy of the same customer gives the same results in a whole-file evaluation.
    let (_, batches) = seg_engine::io::read_all(&profiles, &ReadOptions::default())?;
    let audiences = set.evaluate(&batches, now)?;
    let row = (0..audiences.total_profiles() as u32)
        .find(|&row| audiences.profile_id(row) == Some("10197"))
        .ok_or("profile 10197 is not in the file")?;
    for ((id, members), qualifies) in audiences.iter().zip(&columnar) {
        assert_eq!(members.contains(row), *qualifies, "{id} differs from the whole-file evaluation");
    }
    Ok(())
}
