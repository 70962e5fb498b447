//! Parses every PQL example of the public Adobe Experience Platform segmentation pages,
//! listed page by page in `tests/data/adobe_examples.txt`. Examples marked as documented
//! typos must fail to parse, so the test notices when one of them starts to parse.

use seg_pql::parse;

const EXAMPLES: &str = include_str!("data/adobe_examples.txt");

/// One example of the data file.
struct Example {
    page: String,
    text: String,
    /// Why the example is a documented typo, for examples that must not parse.
    typo: Option<String>,
}

/// Splits the data file into examples: `== page` lines start a page, blank lines end an
/// example, and a `skip:` line marks the next example as a typo.
fn examples() -> Vec<Example> {
    let mut examples = Vec::new();
    let mut page = String::new();
    let mut typo: Option<String> = None;
    let mut lines: Vec<&str> = Vec::new();

    let mut finish = |page: &str, typo: &mut Option<String>, lines: &mut Vec<&str>| {
        if !lines.is_empty() {
            let text = lines.join("\n");
            examples.push(Example { page: page.to_string(), text, typo: typo.take() });
            lines.clear();
        }
    };

    for line in EXAMPLES.lines() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("== ") {
            finish(&page, &mut typo, &mut lines);
            page = name.trim().to_string();
        } else if let Some(reason) = line.strip_prefix("skip:") {
            finish(&page, &mut typo, &mut lines);
            typo = Some(reason.trim().to_string());
        } else if line.trim().is_empty() {
            finish(&page, &mut typo, &mut lines);
        } else {
            assert!(!page.is_empty(), "the example {line:?} comes before the first `== page` line");
            lines.push(line);
        }
    }
    finish(&page, &mut typo, &mut lines);
    examples
}

#[test]
fn adobe_examples_parse() {
    let examples = examples();
    assert!(examples.len() >= 80, "only {} examples were read from the data file", examples.len());

    let mut failures = Vec::new();
    for example in &examples {
        match (parse(&example.text), &example.typo) {
            (Ok(_), None) | (Err(_), Some(_)) => {}
            (Err(error), None) => {
                failures.push(format!("{}: {:?} does not parse: {}", example.page, example.text, error.message));
            }
            (Ok(_), Some(reason)) => failures.push(format!(
                "{}: {:?} is marked as a typo ({reason}) but parses; remove the `skip:` line",
                example.page, example.text
            )),
        }
    }
    assert!(failures.is_empty(), "{} of {} examples failed:\n{}", failures.len(), examples.len(), failures.join("\n"));
}

#[test]
fn adobe_examples_cover_every_page() {
    let pages: std::collections::BTreeSet<String> = examples().into_iter().map(|example| example.page).collect();
    for page in [
        "aggregation-functions.md",
        "arithmetic-functions.md",
        "array-functions.md",
        "boolean-functions.md",
        "comparison-functions.md",
        "datetime-functions.md",
        "filter-functions.md",
        "logical-quantifiers.md",
        "map-functions.md",
        "misc-functions.md",
        "object-functions.md",
        "overview.md",
        "string-functions.md",
    ] {
        let path = format!("help/segmentation/pql/{page}");
        assert!(pages.contains(&path), "no examples of {path}");
    }
}
