//! Hostile definitions: every case in `testdata/hostile/definitions/cases.json` goes through
//! the definition file loader, the parser, the binder, `seg validate` and, when it is valid,
//! `seg eval`, and must end in the expected diagnostic or member list within time and memory
//! bounds.
//!
//! A case is either a committed `file` or a `recipe`: text in which `{{TEXT*N}}` stands for
//! `TEXT` repeated `N` times, so that megabyte inputs are built at test time. An expected
//! diagnostic gives its `code`, and words that the `message` and `help` must contain. The code
//! `E0000` means that the file is rejected before its PQL text is parsed, as `seg validate`
//! reports it. An expected member list gives the ids that `seg eval` returns.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

type TestResult = Result<(), Box<dyn Error>>;

/// Time allowed for one stage of one case. The slowest stage, parsing the 10 MB string in a
/// debug build, takes about 10 s on one x86_64 core.
const STAGE_TIME: Duration = Duration::from_secs(60);

/// Peak resident memory allowed for one `seg` process, in KiB.
const PROCESS_MEMORY_KIB: u64 = 1024 * 1024;

/// The evaluation time of `seg eval`, after every event in the test profiles.
const NOW: &str = "2024-06-01T00:00:00Z";

#[derive(Deserialize)]
struct Case {
    name: String,
    file: Option<String>,
    recipe: Option<String>,
    extension: Option<String>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Expect {
    Diagnostic {
        code: String,
        message: Vec<String>,
        #[serde(default)]
        help: Vec<String>,
    },
    Members {
        members: Vec<String>,
    },
}

/// Diagnostic code of a file that is rejected before its PQL text is parsed.
const FILE_REJECTED: &str = "E0000";

fn case_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hostile/definitions")
}

/// Expands every `{{TEXT*N}}` in `recipe` to `TEXT` repeated `N` times.
fn expand(recipe: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = recipe;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let body = &rest[start + 2..];
        let end = find_repeat_end(body).ok_or_else(|| format!("`{{{{` without `*N}}}}` in recipe near {:?}", &body[..body.len().min(40)]))?;
        let (text, count) = body[..end].rsplit_once('*').ok_or("repeat without `*`")?;
        let count: usize = count.parse().map_err(|e| format!("invalid repeat count {count:?}: {e}"))?;
        out.push_str(&text.repeat(count));
        rest = &body[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Returns the offset of the `}}` that closes a `TEXT*N}}` repeat: the first `}}` preceded by
/// `*` and digits.
fn find_repeat_end(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    (0..bytes.len().saturating_sub(1)).find(|&index| {
        if &bytes[index..index + 2] != b"}}" {
            return false;
        }
        let digits = bytes[..index].iter().rev().take_while(|byte| byte.is_ascii_digit()).count();
        digits > 0 && index > digits && bytes[index - digits - 1] == b'*'
    })
}

/// Writes the case's input to `dir` and returns its path.
fn write_input(case: &Case, dir: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let (bytes, extension) = match (&case.file, &case.recipe) {
        (Some(file), None) => {
            let extension = Path::new(file).extension().and_then(|e| e.to_str()).ok_or("file without extension")?;
            (std::fs::read(case_dir().join(file))?, extension.to_string())
        }
        (None, Some(recipe)) => {
            let extension = case.extension.clone().ok_or("a recipe needs an `extension`")?;
            (expand(recipe)?.into_bytes(), extension)
        }
        _ => return Err(format!("case {} needs exactly one of `file` and `recipe`", case.name).into()),
    };
    let path = dir.join(format!("{}.{extension}", case.name));
    std::fs::write(&path, bytes)?;
    Ok(path)
}

fn assert_contains_all(case: &str, what: &str, text: &str, words: &[String]) {
    for word in words {
        assert!(text.contains(word.as_str()), "{case}: the {what} lacks {word:?}: {}", shorten(text));
    }
}

fn shorten(text: &str) -> String {
    if text.len() <= 400 {
        return text.to_string();
    }
    let mut end = 400;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &text[..end], text.len())
}

fn timed<T>(case: &str, stage: &str, run: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let value = run();
    let elapsed = started.elapsed();
    assert!(elapsed < STAGE_TIME, "{case}: {stage} took {elapsed:?}");
    value
}

/// Runs the library stages and returns the diagnostic of the first stage that rejects the
/// input as `(code, message, help)`, or `None` when it binds.
fn library_outcome(case: &str, path: &Path, schema: &arrow::datatypes::Schema) -> Option<(String, String, String)> {
    let loaded = timed(case, "loading", || seg_service::load_definition_file(path).and_then(|file| file.engine_definition()));
    let definition = match loaded {
        Ok(definition) => definition,
        Err(error) => return Some((FILE_REJECTED.to_string(), error.to_string(), String::new())),
    };
    let parsed = timed(case, "parsing", || seg_pql::parse(&definition.expression));
    let query = match parsed {
        Ok(query) => query,
        Err(diagnostic) => return Some((diagnostic.code.to_string(), diagnostic.message, diagnostic.help.unwrap_or_default())),
    };
    let bound = timed(case, "binding", || seg_plan::bind(&query, schema));
    let outcome = match bound {
        Ok(_) => None,
        Err(diagnostic) => Some((diagnostic.code.to_string(), diagnostic.message, diagnostic.help.unwrap_or_default())),
    };
    // Dropping a deep tree must not overflow the stack either.
    timed(case, "dropping", || drop(query));
    outcome
}

/// Output and peak resident memory in KiB of a finished `seg` process.
struct Run {
    success: bool,
    stdout: String,
    stderr: String,
    peak_kib: Option<u64>,
}

/// Reads the peak resident set size of a running process, or `None` without `/proc`.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `seg` with `args`, sampling its peak memory while it runs.
fn run_seg(case: &str, args: &[&str]) -> Result<Run, Box<dyn Error>> {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_seg")).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let pid = child.id();
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let stderr = child.stderr.take().ok_or("no stderr pipe")?;
    let stdout_reader = std::thread::spawn(move || std::io::read_to_string(stdout));
    let stderr_reader = std::thread::spawn(move || std::io::read_to_string(stderr));
    let mut peak = None;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        peak = peak.max(peak_kib(pid));
        if started.elapsed() > STAGE_TIME {
            child.kill()?;
            child.wait()?;
            return Err(format!("{case}: seg {} did not finish within {STAGE_TIME:?}", args[0]).into());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = stdout_reader.join().map_err(|_| "stdout reader panicked")??;
    let stderr = stderr_reader.join().map_err(|_| "stderr reader panicked")??;
    if let Some(kib) = peak {
        assert!(kib < PROCESS_MEMORY_KIB, "{case}: seg {} used {kib} KiB", args[0]);
    }
    Ok(Run { success: status.success(), stdout, stderr, peak_kib: peak })
}

fn check_validate(case: &Case, path: &Path, profiles: &Path) -> TestResult {
    let path_text = path.to_str().ok_or("temporary path is not UTF-8")?;
    let profiles_text = profiles.to_str().ok_or("profile path is not UTF-8")?;
    let run = run_seg(&case.name, &["validate", path_text, "--profiles", profiles_text, "--json"])?;
    assert!(!run.stderr.contains("panicked"), "{}: seg validate panicked: {}", case.name, shorten(&run.stderr));
    let reports: serde_json::Value = serde_json::from_str(&run.stdout).map_err(|e| format!("{}: seg validate printed invalid JSON: {e}", case.name))?;
    let report = &reports[0];
    match &case.expect {
        Expect::Diagnostic { code, message, help } => {
            assert!(!run.success, "{}: seg validate exited with success", case.name);
            assert_eq!(report["valid"], false, "{}", case.name);
            let diagnostic = &report["diagnostics"][0];
            assert_eq!(diagnostic["code"].as_str(), Some(code.as_str()), "{}: {}", case.name, shorten(&diagnostic.to_string()));
            // `seg validate` names the file in its own field rather than in the message.
            let located = format!("{} {}", report["file"].as_str().unwrap_or(""), diagnostic["message"].as_str().unwrap_or(""));
            assert_contains_all(&case.name, "seg validate message", &located, message);
            assert_contains_all(&case.name, "seg validate help", diagnostic["help"].as_str().unwrap_or(""), help);
        }
        Expect::Members { .. } => {
            assert!(run.success, "{}: seg validate failed: {}", case.name, shorten(&run.stdout));
            assert_eq!(report["valid"], true, "{}", case.name);
        }
    }
    eprintln!("{}: seg validate peak memory {:?} KiB", case.name, run.peak_kib);
    Ok(())
}

fn check_members(case: &Case, path: &Path, profiles: &Path, expected: &[String]) -> TestResult {
    let definitions = path.parent().ok_or("no parent")?.join(format!("{}-definitions", case.name));
    let members_out = path.parent().ok_or("no parent")?.join(format!("{}-members", case.name));
    std::fs::create_dir_all(&definitions)?;
    std::fs::copy(path, definitions.join(path.file_name().ok_or("no file name")?))?;
    let args = [
        "eval",
        "--profiles",
        profiles.to_str().ok_or("profile path is not UTF-8")?,
        "--definitions",
        definitions.to_str().ok_or("temporary path is not UTF-8")?,
        "--members-out",
        members_out.to_str().ok_or("temporary path is not UTF-8")?,
        "--now",
        NOW,
    ];
    let run = run_seg(&case.name, &args)?;
    assert!(run.success, "{}: seg eval failed: {}", case.name, shorten(&run.stderr));
    let members = std::fs::read_to_string(members_out.join(format!("{}.txt", case.name)))?;
    let members: Vec<&str> = members.lines().collect();
    assert_eq!(members, expected, "{}: members", case.name);
    Ok(())
}

#[test]
fn hostile_definitions_end_as_expected() -> TestResult {
    let dir = tempfile::tempdir()?;
    let profiles = case_dir().join("profiles.ndjson");
    let schema = seg_io::open(&profiles, &seg_io::ReadOptions::default())?.schema();
    let cases: Vec<Case> = serde_json::from_str(&std::fs::read_to_string(case_dir().join("cases.json"))?)?;
    assert!(cases.len() >= 20, "only {} cases were read", cases.len());

    for case in &cases {
        let path = write_input(case, dir.path())?;
        let outcome = library_outcome(&case.name, &path, &schema);
        match (&case.expect, &outcome) {
            (Expect::Diagnostic { code, message, help }, Some((actual_code, actual_message, actual_help))) => {
                assert_eq!(actual_code, code, "{}: {}", case.name, shorten(actual_message));
                assert_contains_all(&case.name, "message", actual_message, message);
                assert_contains_all(&case.name, "help", actual_help, help);
            }
            (Expect::Diagnostic { code, .. }, None) => panic!("{}: binds, expected {code}", case.name),
            (Expect::Members { .. }, Some((code, message, _))) => {
                panic!("{}: rejected with {code}: {}", case.name, shorten(message))
            }
            (Expect::Members { .. }, None) => {}
        }

        check_validate(case, &path, &profiles)?;
        if let Expect::Members { members } = &case.expect {
            check_members(case, &path, &profiles, members)?;
        }
    }
    Ok(())
}

#[test]
fn recipe_expands_repeats() -> TestResult {
    assert_eq!(expand("{{(*3}}x{{)*3}}")?, "(((x)))");
    assert_eq!(expand("{{{\"a\": [*2}}1{{]}*2}}")?, "{\"a\": [{\"a\": [1]}]}");
    assert_eq!(expand("no repeats")?, "no repeats");
    assert!(expand("{{x*}}").is_err());
    Ok(())
}
