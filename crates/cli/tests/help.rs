//! The help of `seg` and of every subcommand shows examples, `docs/cli.md` has a section for
//! every subcommand that lists each of its options and none for a removed subcommand, and
//! `seg completions` prints scripts.

use std::path::Path;
use std::process::{Command, Output};

fn seg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seg")).args(args).output().expect("the seg binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Returns the subcommand names listed under `Commands:` in a help text, without `help`.
fn listed_subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// Returns every command path below `seg`, such as `["eval"]` and `["definition", "create"]`,
/// by walking the help texts.
fn command_paths() -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut pending: Vec<Vec<String>> = vec![Vec::new()];
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = stdout(&seg(&args));
        for name in listed_subcommands(&help) {
            let mut child = path.clone();
            child.push(name);
            pending.push(child.clone());
            paths.push(child);
        }
    }
    paths.sort();
    paths
}

/// Returns the command path of a heading such as `` ## `seg definition create` ``, or `None`
/// for other lines.
fn heading_path(line: &str) -> Option<Vec<String>> {
    if !line.starts_with('#') {
        return None;
    }
    let command = line.trim_start_matches('#').trim().strip_prefix("`seg ")?.strip_suffix('`')?;
    Some(command.split_whitespace().map(str::to_string).collect())
}

/// Returns each `seg ...` section of docs/cli.md as its command path and its text, which runs
/// to the next heading.
fn documented_sections() -> Vec<(Vec<String>, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md");
    let text = std::fs::read_to_string(&path).expect("docs/cli.md is readable");
    let mut sections: Vec<(Vec<String>, String)> = Vec::new();
    let mut in_section = false;
    for line in text.lines() {
        if let Some(path) = heading_path(line) {
            sections.push((path, String::new()));
            in_section = true;
        } else if line.starts_with('#') {
            in_section = false;
        } else if in_section {
            let (_, body) = sections.last_mut().expect("a section is open");
            body.push_str(line);
            body.push('\n');
        }
    }
    sections
}

/// Returns the long option that starts a help line such as `-n, --name <NAME>  A name`, or
/// `None` for a description line.
fn long_option(line: &str) -> Option<String> {
    let option = match line.strip_prefix('-') {
        Some(rest) if rest.len() > 2 && rest.as_bytes()[1] == b',' => rest[2..].trim_start(),
        _ => line,
    };
    if !option.starts_with("--") {
        return None;
    }
    option.split(|c: char| c.is_whitespace() || c == '=').next().map(str::to_string)
}

/// Returns the long options listed under `Options:` in a help text, without `--help`.
fn listed_options(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| *line != "Options:")
        .skip(1)
        .take_while(|line| line.is_empty() || line.starts_with(' '))
        .filter_map(|line| long_option(line.trim_start()))
        .filter(|option| option != "--help" && option != "--version")
        .collect()
}

#[test]
fn every_help_shows_examples() {
    let top = stdout(&seg(&["--help"]));
    assert!(top.contains("Examples:"), "seg --help has no examples:\n{top}");

    let paths = command_paths();
    assert!(paths.len() > 20, "too few commands found: {paths:?}");
    let mut without_examples = Vec::new();
    for path in paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = stdout(&seg(&args));
        let has_examples = help.contains("Example:") || help.contains("Examples:");
        let has_subcommands = !listed_subcommands(&help).is_empty();
        // A command that only groups subcommands shows the examples of each subcommand.
        if !has_examples && !has_subcommands {
            without_examples.push(format!("seg {}", path.join(" ")));
        }
    }
    assert!(without_examples.is_empty(), "these commands have no examples in their help: {without_examples:?}");
}

#[test]
fn cli_doc_matches_commands() {
    let commands = command_paths();
    let sections = documented_sections();
    let documented: Vec<&Vec<String>> = sections.iter().map(|(path, _)| path).collect();
    for path in &commands {
        assert!(documented.contains(&path), "docs/cli.md has no section `seg {}`", path.join(" "));
    }
    for path in &documented {
        assert!(commands.contains(path), "docs/cli.md documents `seg {}`, which does not exist", path.join(" "));
    }
}

#[test]
fn cli_doc_lists_every_option() {
    let sections = documented_sections();
    for (path, body) in &sections {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = stdout(&seg(&args));
        for option in listed_options(&help) {
            let name = format!("`{option}");
            assert!(body.contains(&name), "the docs/cli.md section `seg {}` does not list {option}", path.join(" "));
        }
    }
}

#[test]
fn listed_options_reads_help() {
    let help = "Usage: seg x\n\nOptions:\n      --workspace <WORKSPACE>\n          The directory\n  -n, --name <NAME>  A name\n      --json\n  -h, --help\n          Print help\n\nExamples:\n  seg x --other\n";
    assert_eq!(listed_options(help), ["--workspace", "--name", "--json"]);
}

#[test]
fn completions_cover_subcommands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = seg(&["completions", shell]);
        assert!(output.status.success(), "seg completions {shell} failed: {}", String::from_utf8_lossy(&output.stderr));
        let script = stdout(&output);
        for name in ["eval", "convert-cdnow", "completions", "profiles"] {
            assert!(script.contains(name), "the {shell} script does not mention {name}");
        }
    }
}

#[test]
fn completions_reject_unknown_shell() {
    let output = seg(&["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tcsh"), "{stderr}");
    assert!(stderr.contains("possible values"), "{stderr}");
}

#[test]
fn bash_completion_script_loads() {
    // Skipped where bash is not installed, because the script is only checked for syntax.
    let Ok(probe) = Command::new("bash").arg("--version").output() else { return };
    if !probe.status.success() {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let script = dir.path().join("seg.bash");
    std::fs::write(&script, seg(&["completions", "bash"]).stdout).expect("the script is written");
    let output = Command::new("bash").arg("-n").arg(&script).output().expect("bash runs");
    assert!(output.status.success(), "bash rejects the script: {}", String::from_utf8_lossy(&output.stderr));
}
