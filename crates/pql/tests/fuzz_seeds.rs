//! The fuzzing seeds in `fuzz/seeds/parse` must stay valid definitions, so that the fuzzer
//! starts from inputs that reach deep into the grammar.

use std::path::Path;

use seg_pql::parse;

#[test]
fn fuzz_seeds_parse_and_round_trip() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/parse");
    let mut count = 0;
    for entry in std::fs::read_dir(&seeds).expect("the seed folder exists") {
        let path = entry.expect("readable folder entry").path();
        let text = std::fs::read_to_string(&path).expect("readable seed");
        let query = match parse(&text) {
            Ok(query) => query,
            Err(diagnostic) => panic!("{} failed to parse:\n{}", path.display(), diagnostic.render(&text)),
        };
        let reparsed = parse(&query.to_string()).expect("canonical text parses");
        assert_eq!(reparsed.without_spans(), query.without_spans(), "{}", path.display());
        count += 1;
    }
    assert!(count >= 5, "only {count} seeds in {}", seeds.display());
}

#[test]
fn json_seeds_load_as_pql_json() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/json");
    let mut count = 0;
    for entry in std::fs::read_dir(&seeds).expect("the seed folder exists") {
        let path = entry.expect("readable folder entry").path();
        let text = std::fs::read_to_string(&path).expect("readable seed");
        if let Err(diagnostic) = seg_pql::from_json_str(&text) {
            panic!("{} failed to load: {}", path.display(), diagnostic.message);
        }
        count += 1;
    }
    assert!(count >= 5, "only {count} seeds in {}", seeds.display());
}
