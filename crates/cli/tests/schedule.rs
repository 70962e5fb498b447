//! End-to-end checks of `seg schedule`, `seg audience`, `seg external` and `seg search`.
//!
//! The expected fire times of `seg schedule next` were worked out from the calendar,
//! independently of the cron engine. For example, 31 March 2024 is a Sunday, so `LW` and `31W`
//! fire on Friday the 29th.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn seg(args: &[&str]) -> Result<Output, std::io::Error> {
    Command::new(env!("CARGO_BIN_EXE_seg")).args(args).output()
}

fn seg_text(args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let output = seg(args)?;
    if !output.status.success() {
        return Err(format!("seg {args:?} failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

fn seg_json(args: &[&str]) -> Result<Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_str(&seg_text(args)?)?)
}

fn seg_error(args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let output = seg(args)?;
    assert_eq!(output.status.code(), Some(1), "seg {args:?} should fail");
    Ok(String::from_utf8(output.stderr)?)
}

fn next(cron: &str, from: &str, count: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let text = seg_text(&["schedule", "next", "--cron", cron, "--from", from, "--count", count])?;
    Ok(text.lines().map(str::to_string).collect())
}

#[test]
fn next_handles_quartz_special_characters() -> TestResult {
    let cases: &[(&str, &str, &[&str])] = &[
        // L: the last day of the month, through a leap February.
        ("0 0 12 L * ?", "2024-01-31T12:00:00Z", &["2024-02-29T12:00:00Z", "2024-03-31T12:00:00Z", "2024-04-30T12:00:00Z"]),
        ("0 0 12 L 2 ?", "2023-01-01T00:00:00Z", &["2023-02-28T12:00:00Z", "2024-02-29T12:00:00Z", "2025-02-28T12:00:00Z"]),
        // LW: the last weekday of the month. 31 March and 30 June 2024 are Sundays.
        (
            "0 0 9 LW * ?",
            "2024-03-01T00:00:00Z",
            &["2024-03-29T09:00:00Z", "2024-04-30T09:00:00Z", "2024-05-31T09:00:00Z", "2024-06-28T09:00:00Z"],
        ),
        // W: the nearest weekday, never in another month. 1 June 2024 is a Saturday.
        ("0 0 9 1W * ?", "2024-05-15T00:00:00Z", &["2024-06-03T09:00:00Z", "2024-07-01T09:00:00Z", "2024-08-01T09:00:00Z"]),
        // 31W skips the months without a 31st.
        ("0 0 9 31W * ?", "2024-03-01T00:00:00Z", &["2024-03-29T09:00:00Z", "2024-05-31T09:00:00Z", "2024-07-31T09:00:00Z"]),
        // #: the fifth Friday exists only in some months.
        ("0 30 12 ? * 6#5", "2024-01-01T00:00:00Z", &["2024-03-29T12:30:00Z", "2024-05-31T12:30:00Z", "2024-08-30T12:30:00Z"]),
        // The fifth Thursday of February needs a leap year that starts February on a Thursday.
        ("0 0 0 ? 2 5#5", "2024-01-01T00:00:00Z", &["2024-02-29T00:00:00Z", "2052-02-29T00:00:00Z"]),
        ("0 0 12 ? * MON#1", "2024-12-31T00:00:00Z", &["2025-01-06T12:00:00Z"]),
        // nL in day-of-week: the last Monday, across a year end. L alone is Saturday.
        ("0 0 12 ? * 2L", "2024-12-01T00:00:00Z", &["2024-12-30T12:00:00Z", "2025-01-27T12:00:00Z"]),
        ("0 0 12 ? * L", "2024-12-29T00:00:00Z", &["2025-01-04T12:00:00Z"]),
        // Names, lists, steps and the year field.
        ("0 13,38 5 ? jun WED", "2024-01-01T00:00:00Z", &["2024-06-05T05:13:00Z", "2024-06-05T05:38:00Z"]),
        ("0 0/20 17 * * ? 2025", "2024-06-01T00:00:00Z", &["2025-01-01T17:00:00Z", "2025-01-01T17:20:00Z", "2025-01-01T17:40:00Z"]),
    ];
    for (cron, from, expected) in cases {
        let count = expected.len().to_string();
        assert_eq!(next(cron, from, &count)?, *expected, "cron {cron:?} from {from}");
    }
    Ok(())
}

#[test]
fn next_rejects_invalid_expressions() -> TestResult {
    let message = seg_error(&["schedule", "next", "--cron", "0 0 1 * *"])?;
    assert!(message.contains("found 5 fields, but a Quartz expression has 6 or 7"), "{message}");
    let message = seg_error(&["schedule", "next", "--cron", "0 0 0 30 2 ?", "--from", "2024-01-01T00:00:00Z"])?;
    assert_eq!(message, "seg: cron expression \"0 0 0 30 2 ?\" never fires after 2024-01-01T00:00:00Z\n");
    Ok(())
}

fn write_inputs(dir: &Path) -> std::io::Result<()> {
    let profiles = concat!(
        r#"{"_id": "p1", "person": {"age": 30}, "identityMap": {"email": [{"id": "ann@example.com"}]}}"#,
        "\n",
        r#"{"_id": "p2", "person": {"age": 12}, "identityMap": {"email": [{"id": "bob@example.com"}]}}"#,
        "\n",
        r#"{"_id": "p3", "person": {"age": 50}, "identityMap": {"email": [{"id": "cid@example.com"}]}}"#,
        "\n",
    );
    std::fs::write(dir.join("profiles.ndjson"), profiles)?;
    std::fs::write(dir.join("vip.csv"), "email,tier\nann@example.com,gold\nbob@example.com,gold\n")
}

#[test]
fn schedule_commands_and_serve() -> TestResult {
    let dir = tempfile::tempdir()?;
    write_inputs(dir.path())?;
    let workspace = dir.path().join("ws");
    let workspace = workspace.to_str().ok_or("path")?;
    let profiles = dir.path().join("profiles.ndjson");
    let profiles = profiles.to_str().ok_or("path")?;
    seg_json(&["audience", "create", "--workspace", workspace, "--id", "adults", "--pql", "person.age >= 18", "--state", "published"])?;

    let created = seg_json(&[
        "schedule", "create", "--workspace", workspace, "--name", "every second", "--cron", "* * * * * ?", "--segments", "*",
    ])?;
    assert_eq!(created["state"], "inactive");
    assert_eq!(created["type"], "batch_segmentation");
    assert_eq!(created["properties"]["segments"][0], "*");
    let id = created["id"].as_str().ok_or("id")?;

    let updated = seg_json(&["schedule", "update", "--workspace", workspace, id, "--state", "active"])?;
    assert_eq!(updated["state"], "active");
    let listed = seg_json(&["schedule", "list", "--workspace", workspace, "--json"])?;
    assert_eq!(listed["_page"]["totalCount"], 1);
    assert_eq!(listed["children"][0]["id"], id);

    // The first tick starts the schedule's clock and the second one fires. The 24-hour rule
    // skips the fire time of the third.
    let output = seg_text(&["schedule", "serve", "--workspace", workspace, "--profiles", profiles, "--interval-seconds", "1", "--ticks", "3"])?;
    let reports: Vec<Value> = output.lines().map(serde_json::from_str).collect::<Result<_, _>>()?;
    let fired: Vec<&Value> = reports.iter().flat_map(|r| r["fired"].as_array().into_iter().flatten()).collect();
    assert_eq!(fired.len(), 1, "{output}");
    let skipped = reports.iter().flat_map(|r| r["skipped"].as_array().into_iter().flatten()).count();
    assert_eq!(skipped, reports.len() - 1, "{output}");
    let job_id = fired[0]["jobs"][0]["id"].as_str().ok_or("job id")?;
    let job = seg_json(&["job", "get", "--workspace", workspace, job_id])?;
    assert_eq!(job["source"], "scheduler");
    assert_eq!(job["properties"]["scheduleId"], id);
    assert_eq!(job["properties"]["runId"], fired[0]["runId"]);
    assert_eq!(job["metrics"]["segmentedProfileCounter"]["adults"], 2);

    let stored = seg_json(&["schedule", "get", "--workspace", workspace, id])?;
    assert_eq!(stored["lastRun"]["runId"], fired[0]["runId"]);
    seg_text(&["schedule", "delete", "--workspace", workspace, id])?;
    let message = seg_error(&["schedule", "get", "--workspace", workspace, id])?;
    assert!(message.contains("list them with `seg schedule list`"), "{message}");
    Ok(())
}

#[test]
fn serve_releases_lock_between_ticks() -> TestResult {
    let dir = tempfile::tempdir()?;
    write_inputs(dir.path())?;
    let workspace = dir.path().join("ws");
    let workspace = workspace.to_str().ok_or("path")?;
    let profiles = dir.path().join("profiles.ndjson");
    let profiles = profiles.to_str().ok_or("path")?;
    seg_text(&["schedule", "list", "--workspace", workspace])?;

    let mut serve = Command::new(env!("CARGO_BIN_EXE_seg"))
        .args(["schedule", "serve", "--workspace", workspace, "--profiles", profiles, "--interval-seconds", "1", "--ticks", "4"])
        .spawn()?;
    let mut listed_while_serving = false;
    for _ in 0..25 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if serve.try_wait()?.is_some() {
            break;
        }
        if seg(&["schedule", "list", "--workspace", workspace])?.status.success() {
            listed_while_serving = serve.try_wait()?.is_none();
            break;
        }
    }
    let status = serve.wait()?;
    assert!(status.success());
    assert!(listed_while_serving, "another seg command ran while serve was running");
    Ok(())
}

#[test]
fn audience_external_and_search_commands() -> TestResult {
    let dir = tempfile::tempdir()?;
    write_inputs(dir.path())?;
    let workspace = dir.path().join("ws");
    let workspace = workspace.to_str().ok_or("path")?;
    let csv = dir.path().join("vip.csv");
    let csv = csv.to_str().ok_or("path")?;
    let profiles = dir.path().join("profiles.ndjson");
    let profiles = profiles.to_str().ok_or("path")?;

    let external = seg_json(&[
        "external", "create", "--workspace", workspace, "--id", "vip-upload", "--name", "VIP upload", "--csv", csv,
        "--identity-column", "email", "--identity-namespace", "email", "--ttl-days", "60",
    ])?;
    assert_eq!(external["ttlInDays"], 60);
    assert_eq!(external["runs"][0]["status"], "SUCCESS");
    let runs = seg_json(&["external", "runs", "--workspace", workspace, "vip-upload"])?;
    assert_eq!(runs["runs"][0]["memberCount"], 2);
    let message = seg_error(&["external", "update", "--workspace", workspace, "vip-upload", "--ttl-days", "91"])?;
    assert_eq!(message, "seg: invalid ttlInDays \"91\": a whole number of days from 1 to 90; the default is 30\n");

    let adult_vips = seg_json(&[
        "audience", "create", "--workspace", workspace, "--id", "adult-vips", "--name", "Adult VIPs",
        "--pql", r#"inSegment("vip-upload") and person.age >= 18"#, "--description", "VIPs of age",
    ])?;
    assert_eq!(adult_vips["lifecycleState"], "draft");
    assert_eq!(adult_vips["dependencies"][0], "vip-upload");

    let job = seg_json(&["job", "run", "--workspace", workspace, "--profiles", profiles, "--segments", "adult-vips", "--json"])?;
    assert_eq!(job["status"], "SUCCEEDED");
    assert_eq!(job["metrics"]["segmentedProfileCounter"]["adult-vips"], 1);

    let published = seg_json(&["audience", "set-state", "--workspace", workspace, "adult-vips", "published"])?;
    assert_eq!(published["lifecycleState"], "published");
    let message = seg_error(&["audience", "delete", "--workspace", workspace, "vip-upload"])?;
    assert_eq!(
        message,
        "seg: audience `vip-upload` cannot be deleted: `adult-vips` reads it through inSegment; delete `adult-vips` or remove that reference first\n"
    );
    let listed = seg_json(&["audience", "list", "--workspace", workspace, "--json"])?;
    assert_eq!(listed["_page"]["totalCount"], 2);

    let counts = seg_json(&["search", "namespaces", "--workspace", workspace, "--query", "vip*"])?;
    assert_eq!(counts["totalCount"], 2);
    let entities = seg_json(&[
        "search", "entities", "--workspace", workspace, "--namespace", "AEPSegments", "--query", "segmentDescription:\"of age\"",
    ])?;
    assert_eq!(entities["entities"][0]["id"], "adult-vips");
    assert_eq!(entities["page"]["totalCount"], 1);
    Ok(())
}
