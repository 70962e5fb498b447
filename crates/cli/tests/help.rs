//! The help of `seg` and of every subcommand shows examples, `docs/cli.md` has a section for
//! every subcommand and none for a removed one, and `seg completions` prints scripts.

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

/// Returns the command paths of the `seg ...` headings of docs/cli.md: `` ## `seg eval` `` is
/// `["eval"]`.
fn documented_paths() -> Vec<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md");
    let text = std::fs::read_to_string(&path).expect("docs/cli.md is readable");
    let mut paths: Vec<Vec<String>> = text
        .lines()
        .filter(|line| line.starts_with('#'))
        .filter_map(|line| line.trim_start_matches('#').trim().strip_prefix("`seg ")?.strip_suffix('`').map(str::to_string))
        .map(|command| command.split_whitespace().map(str::to_string).collect())
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_help_shows_examples() {
    let top = stdout(&seg(&["--help"]));
    assert!(top.contains("Examples:"), "seg --help has no examples:\n{top}");

    let paths = command_paths();
    assert!(paths.len() > 20, "too few commands found: {paths:?}");
    for path in paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = stdout(&seg(&args));
        let has_examples = help.contains("Example:") || help.contains("Examples:");
        let has_subcommands = !listed_subcommands(&help).is_empty();
        // A command that only groups subcommands shows the examples of each subcommand.
        assert!(has_examples || has_subcommands, "`seg {}` has no examples in its help:\n{help}", path.join(" "));
    }
}

#[test]
fn cli_doc_matches_commands() {
    let commands = command_paths();
    let documented = documented_paths();
    for path in &commands {
        assert!(documented.contains(path), "docs/cli.md has no section `seg {}`", path.join(" "));
    }
    for path in &documented {
        assert!(commands.contains(path), "docs/cli.md documents `seg {}`, which does not exist", path.join(" "));
    }
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
