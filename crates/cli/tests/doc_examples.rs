//! Runs every shell example of README.md and docs/*.md, and checks that every Rust example
//! is compiled as a doctest of `seg-engine`.
//!
//! The shell blocks of one page run in order, in one temporary directory that holds a copy of
//! `testdata/cdnow`, with the `seg` binary first on the `PATH` and `HOME` inside the temporary
//! directory. A block runs under `bash -euo pipefail`, so it fails on its first failing command.
//! A block preceded by `<!-- not run: <reason> -->` is skipped, and the reason must be given.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const SHELL_LANGUAGES: [&str; 4] = ["sh", "bash", "shell", "console"];
const NOT_RUN_PREFIX: &str = "<!-- not run:";

/// One fenced code block of a Markdown page.
struct Block {
    language: String,
    /// The 1-based line of the opening fence.
    line: usize,
    text: String,
    /// The reason given in a `<!-- not run: ... -->` comment right before the block.
    not_run: Option<String>,
}

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository root exists")
}

/// Returns README.md and every Markdown page under docs/, sorted.
fn doc_pages(root: &Path) -> Vec<PathBuf> {
    let mut pages = vec![root.join("README.md")];
    let entries = std::fs::read_dir(root.join("docs")).expect("docs/ is readable");
    for entry in entries {
        let path = entry.expect("a docs/ entry").path();
        if path.extension().is_some_and(|extension| extension == "md") {
            pages.push(path);
        }
    }
    pages.sort();
    pages
}

/// Splits a Markdown text into its fenced code blocks.
fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut previous_text_line = "";
    let mut open: Option<Block> = None;
    for (index, line) in markdown.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match open.as_mut() {
            Some(_) if fence => {
                blocks.push(open.take().expect("an open block"));
                previous_text_line = line;
            }
            Some(block) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            None if fence => {
                let language = line.trim_start().trim_start_matches('`').split_whitespace().next().unwrap_or("");
                let not_run = previous_text_line
                    .trim()
                    .strip_prefix(NOT_RUN_PREFIX)
                    .and_then(|rest| rest.strip_suffix("-->"))
                    .map(|reason| reason.trim().to_string());
                open = Some(Block { language: language.to_string(), line: index + 1, text: String::new(), not_run });
            }
            None if !line.trim().is_empty() => previous_text_line = line,
            None => {}
        }
    }
    assert!(open.is_none(), "a code block is not closed");
    blocks
}

/// Copies `from` into `to` recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("the copy directory is created");
    for entry in std::fs::read_dir(from).expect("the source directory is readable") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("the file is copied");
        }
    }
}

/// Runs the shell blocks of one page and returns a description of each failure.
fn run_shell_blocks(root: &Path, page: &Path, blocks: &[&Block]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_dir(&root.join("testdata/cdnow"), &dir.path().join("testdata/cdnow"));
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("the home directory is created");

    let seg = PathBuf::from(env!("CARGO_BIN_EXE_seg"));
    let bin_dir = seg.parent().expect("the seg binary has a directory");
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());

    let mut failures = Vec::new();
    for block in blocks {
        let output = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &block.text])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("HOME", &home)
            .env_remove("SEG_LOG")
            .output()
            .expect("bash runs");
        if !output.status.success() {
            failures.push(format!(
                "{}:{}: the example failed with {}:\n{}\nstdout:\n{}\nstderr:\n{}",
                page.display(),
                block.line,
                output.status,
                block.text,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
            ));
        }
    }
    failures
}

#[test]
fn shell_examples_run() {
    let root = repository_root();
    let mut failures = Vec::new();
    let mut run = 0;
    for page in doc_pages(&root) {
        let markdown = std::fs::read_to_string(&page).expect("the page is readable");
        let blocks = fenced_blocks(&markdown);
        let mut shell_blocks = Vec::new();
        for block in &blocks {
            if !SHELL_LANGUAGES.contains(&block.language.as_str()) {
                continue;
            }
            match &block.not_run {
                Some(reason) if reason.is_empty() => {
                    failures.push(format!("{}:{}: a `not run` comment gives no reason", page.display(), block.line));
                }
                Some(_) => {}
                None => shell_blocks.push(block),
            }
        }
        run += shell_blocks.len();
        failures.extend(run_shell_blocks(&root, &page, &shell_blocks));
    }
    assert!(run >= 10, "only {run} shell examples were found");
    let mut report = String::new();
    for failure in &failures {
        writeln!(report, "{failure}\n").expect("writing to a String");
    }
    assert!(failures.is_empty(), "{} shell example(s) failed:\n\n{report}", failures.len());
}

#[test]
fn rust_examples_are_doctests() {
    let root = repository_root();
    let engine = std::fs::read_to_string(root.join("crates/engine/src/lib.rs")).expect("the engine crate is readable");
    for page in doc_pages(&root) {
        let markdown = std::fs::read_to_string(&page).expect("the page is readable");
        let has_rust = fenced_blocks(&markdown).iter().any(|block| block.language == "rust" && block.not_run.is_none());
        if !has_rust {
            continue;
        }
        let name = page.strip_prefix(&root).expect("the page is in the repository").display().to_string();
        let include = format!("include_str!(\"../../../{name}\")");
        assert!(engine.contains(&include), "{name} has Rust examples, but crates/engine/src/lib.rs has no `{include}`");
    }
}

#[test]
fn fenced_blocks_read_not_run_reasons() {
    let markdown = "Text.\n\n<!-- not run: needs a network -->\n```sh\ncurl x\n```\n\n```rust\nfn main() {}\n```\n";
    let blocks = fenced_blocks(markdown);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].language, "sh");
    assert_eq!(blocks[0].not_run.as_deref(), Some("needs a network"));
    assert_eq!(blocks[0].text, "curl x\n");
    assert_eq!(blocks[1].language, "rust");
    assert_eq!(blocks[1].not_run, None);
    assert_eq!(blocks[1].line, 8);
}
