//! Writing segment membership files.

mod support;

use seg_io::{IoError, write_members};
use support::TestResult;

#[test]
fn members_are_sorted_and_unique() -> TestResult {
    let directory = tempfile::tempdir()?;
    write_members(directory.path(), "loyal-buyers", ["p3", "p1", "p10", "p1"].into_iter())?;

    let text = std::fs::read_to_string(directory.path().join("loyal-buyers.txt"))?;
    assert_eq!(text, "p1\np10\np3\n");
    Ok(())
}

#[test]
fn members_replace_existing_file() -> TestResult {
    let directory = tempfile::tempdir()?;
    write_members(directory.path(), "s1", ["a", "b"].into_iter())?;
    write_members(directory.path(), "s1", ["c"].into_iter())?;

    let names: Vec<String> = std::fs::read_dir(directory.path())?
        .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    assert_eq!(names, ["s1.txt"]);
    assert_eq!(std::fs::read_to_string(directory.path().join("s1.txt"))?, "c\n");
    Ok(())
}

#[test]
fn members_create_missing_directory() -> TestResult {
    let directory = tempfile::tempdir()?;
    let output = directory.path().join("segments").join("2024");
    write_members(&output, "empty", std::iter::empty())?;

    assert_eq!(std::fs::read_to_string(output.join("empty.txt"))?, "");
    Ok(())
}

#[test]
fn segment_id_with_separator_is_rejected() -> TestResult {
    let directory = tempfile::tempdir()?;

    let error =
        write_members(directory.path(), "a/b", ["p1"].into_iter()).err().ok_or("expected an error")?;
    assert_eq!(
        error.to_string(),
        "invalid segment id \"a/b\": path separators are not allowed; use an id without `/`, `\\`, \
         `..` or NUL characters"
    );
    Ok(())
}

#[test]
fn segment_id_rules() -> TestResult {
    let directory = tempfile::tempdir()?;
    let cases = [
        ("..", "`..` is not allowed"),
        ("x..y", "`..` is not allowed"),
        ("a\\b", "path separators are not allowed"),
        ("", "the id is empty"),
        ("a\0b", "NUL characters are not allowed"),
    ];
    for (segment_id, expected_reason) in cases {
        let result = write_members(directory.path(), segment_id, std::iter::empty());
        assert!(
            matches!(&result, Err(IoError::InvalidSegmentId { reason, .. }) if *reason == expected_reason),
            "segment id {segment_id:?} gave {result:?}"
        );
    }
    Ok(())
}

#[test]
fn member_id_with_line_break_is_rejected() -> TestResult {
    let directory = tempfile::tempdir()?;

    let result = write_members(directory.path(), "s1", ["p1", "p2\np3"].into_iter());
    assert!(matches!(result, Err(IoError::InvalidMemberId { .. })));
    assert!(!directory.path().join("s1.txt").exists());
    Ok(())
}
