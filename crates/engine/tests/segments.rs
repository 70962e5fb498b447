//! `SegmentSet` and `evaluate_file`: compile errors, evaluation order, and results checked
//! against a small NDJSON file whose audiences are known.

use std::io::Write;

use seg_engine::{Error, OrderError, SegmentSet, Timestamp, evaluate_file};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const PROFILES: &str = r#"{"_id": "a", "country": "US", "xEvent": [{"timestamp": "2024-05-01T10:00:00Z", "eventType": "buy"}, {"timestamp": "2024-05-02T10:00:00Z", "eventType": "buy"}]}
{"_id": "b", "country": "FR", "xEvent": [{"timestamp": "2024-05-03T10:00:00Z", "eventType": "buy"}]}
{"_id": "c", "country": "US", "xEvent": []}
"#;

fn profiles_file() -> Result<tempfile::NamedTempFile, std::io::Error> {
    let mut file = tempfile::Builder::new().suffix(".ndjson").tempfile()?;
    file.write_all(PROFILES.as_bytes())?;
    Ok(file)
}

fn now() -> Timestamp {
    Timestamp::from_second(1_717_200_000).expect("a valid timestamp") // 2024-06-01T00:00:00Z
}

#[test]
fn evaluate_file_returns_members_and_ids() -> TestResult {
    let file = profiles_file()?;
    let audiences = evaluate_file(
        file.path(),
        [("us", r#"country = "US""#), ("buyers", r#"xEvent[eventType = "buy"].count() >= 1"#)],
        now(),
    )?;
    assert_eq!(audiences.total_profiles(), 3);

    let us = audiences.members("us").ok_or("no us segment")?;
    assert_eq!(us.iter().collect::<Vec<_>>(), [0, 2]);
    assert_eq!(audiences.profile_ids(us).collect::<Vec<_>>(), ["a", "c"]);

    let buyers = audiences.members("buyers").ok_or("no buyers segment")?;
    assert_eq!(audiences.profile_ids(buyers).collect::<Vec<_>>(), ["a", "b"]);
    assert!(audiences.members("unknown").is_none());
    assert_eq!(audiences.profile_id(7), None);
    Ok(())
}

#[test]
fn in_segment_targets_come_first() -> TestResult {
    let file = profiles_file()?;
    let audiences = evaluate_file(
        file.path(),
        [("us-buyers", r#"inSegment("us") and xEvent.count() > 0"#), ("us", r#"country = "US""#)],
        now(),
    )?;
    let order: Vec<&str> = audiences.iter().map(|(id, _)| id).collect();
    assert_eq!(order, ["us", "us-buyers"]);
    let us_buyers = audiences.members("us-buyers").ok_or("no us-buyers segment")?;
    assert_eq!(audiences.profile_ids(us_buyers).collect::<Vec<_>>(), ["a"]);
    Ok(())
}

#[test]
fn every_invalid_definition_is_listed() -> TestResult {
    let file = profiles_file()?;
    let result = evaluate_file(
        file.path(),
        [("typo", r#"countr = "US""#), ("fine", "xEvent.count() > 0"), ("syntax", "country = ")],
        now(),
    );
    let Err(Error::Definitions(errors)) = result else {
        return Err(format!("expected definition errors, got {result:?}").into());
    };
    let ids: Vec<&str> = errors.iter().map(|error| error.id.as_str()).collect();
    assert_eq!(ids, ["typo", "syntax"]);

    let message = Error::Definitions(errors).to_string();
    assert!(message.contains("in segment `typo`"), "{message}");
    assert!(message.contains("did you mean `country`?"), "{message}");
    Ok(())
}

#[test]
fn duplicate_ids_are_rejected() -> TestResult {
    let (schema, _) = seg_engine::io::read_all(profiles_file()?.path(), &seg_engine::ReadOptions::default())?;
    let result = SegmentSet::compile([("x", r#"country = "US""#), ("x", r#"country = "FR""#)], &schema);
    assert!(matches!(result, Err(Error::Order(OrderError::DuplicateId(ref id))) if id == "x"), "{result:?}");
    Ok(())
}

#[test]
fn missing_file_names_the_path() {
    let result = evaluate_file(std::path::Path::new("/nonexistent/profiles.parquet"), [("x", "true")], now());
    let message = result.err().map(|error| error.to_string()).unwrap_or_default();
    assert!(message.contains("/nonexistent/profiles.parquet"), "{message}");
}

#[test]
fn parse_options_limit_depth() -> TestResult {
    let (schema, _) = seg_engine::io::read_all(profiles_file()?.path(), &seg_engine::ReadOptions::default())?;
    let nested = format!("{}country = \"US\"{}", "(".repeat(10), ")".repeat(10));
    let strict = seg_engine::ParseOptions { max_depth: 5 };
    let result = SegmentSet::compile_with([("deep", nested.as_str())], &schema, &strict);
    assert!(matches!(result, Err(Error::Definitions(_))), "{result:?}");

    let set = SegmentSet::compile_with([("deep", nested.as_str())], &schema, &seg_engine::ParseOptions { max_depth: 20 })?;
    assert_eq!(set.len(), 1);
    assert!(set.plan("deep").is_some());
    Ok(())
}
