//! `seg bench`: measures end-to-end segment jobs over a profile file: throughput in profiles and
//! events per second, and the peak resident memory of the process.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use arrow::array::{AsArray, RecordBatch};
use clap::Args;
use seg_eval::EvalContext;
use seg_io::ReadOptions;
use seg_service::ReadCounts;
use seg_service::engine::{self as job, CompiledSegment, RunOptions};
use serde::Serialize;

use crate::commands::{parse_now, to_json, warn_about_read};
use crate::{Failure, definitions, print};

/// Arguments of `seg bench`.
#[derive(Args)]
#[command(after_help = "Examples:
  seg generate --profiles 1000000 --out bench-data/profiles-1m.parquet
  seg bench --profiles bench-data/profiles-1m.parquet --definitions benches/definitions --now 2025-01-01T00:00:00Z --runs 5
  seg bench --profiles bench-data/profiles-1m.parquet --definitions benches/definitions --now 2025-01-01T00:00:00Z --each --json

Each run reads the whole file and evaluates the definitions as one segment job, as `seg eval`
does, but decodes only `_id` and the fields that the definitions name unless --all-columns
is given. So the identity namespace counts of a job are left out, as the identity map is not
read. The read column is the median time that the job waited for decoded batches. Parquet row
groups decode on background threads while earlier batches are evaluated, so it is the part of
decoding that evaluation did not hide. The peak memory is the VmHWM line of /proc/self/status
after the last run.")]
pub struct BenchArgs {
    /// The profiles: a Parquet file, or NDJSON with one XDM profile per line.
    #[arg(long)]
    profiles: PathBuf,
    /// A directory of `<segment id>.pql` files and segment definition `.json` objects.
    #[arg(long)]
    definitions: PathBuf,
    /// The evaluation time, RFC 3339. Defaults to the current UTC time.
    #[arg(long)]
    now: Option<String>,
    /// Timed runs of each job. The report gives their median.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    runs: u32,
    /// Also runs each definition alone, as its own job (with the definitions that its
    /// `inSegment` references need).
    #[arg(long)]
    each: bool,
    /// Profiles per record batch.
    #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    batch_size: u64,
    /// Prints the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Decodes every field of a Parquet file, not only the fields that the definitions name.
    #[arg(long)]
    all_columns: bool,
}

/// The measurements of one job.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobReport {
    /// `all` for the job of every definition, or the id of the one definition measured.
    job: String,
    definitions: usize,
    profiles: u64,
    events: u64,
    /// The wall-clock seconds of every run, in run order.
    run_seconds: Vec<f64>,
    median_seconds: f64,
    /// The median over runs of the seconds that the job waited for decoded batches.
    median_read_seconds: f64,
    profiles_per_second: f64,
    events_per_second: f64,
    /// Members per segment id, in evaluation order.
    members: Vec<(String, u64)>,
}

/// The whole report.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BenchReport {
    profiles_file: String,
    threads: usize,
    compile_seconds: f64,
    jobs: Vec<JobReport>,
    /// The peak resident set size of the process in bytes, from VmHWM.
    peak_rss_bytes: Option<u64>,
}

/// Runs the measurements and prints the report.
///
/// # Errors
///
/// Returns a message for an invalid `--now`, unreadable profiles or definitions, definitions
/// that do not compile, and read or evaluation errors.
pub fn run(args: BenchArgs) -> Result<(), Failure> {
    let now = parse_now(args.now.as_deref())?;
    let context = EvalContext { now };
    let options = ReadOptions {
        batch_size: args.batch_size as usize,
        keep_string_dictionaries: true,
        ..ReadOptions::default()
    };
    let definitions = definitions::load_dir(&args.definitions).map_err(Failure)?;
    let schema = seg_io::open(&args.profiles, &options)?.schema();

    let started = Instant::now();
    let segments = job::compile(definitions.clone(), &schema).map_err(|errors| Failure(errors.join("\n")))?;
    let compile_seconds = started.elapsed().as_secs_f64();

    let (all, read) = measure("all", &segments, &args, &options, &context)?;
    warn_about_read(&args.profiles, &read);
    let mut jobs = vec![all];
    if args.each {
        for definition in &definitions {
            let needed = with_dependencies(&definitions, &definition.id);
            let alone = job::compile(needed, &schema).map_err(|errors| Failure(errors.join("\n")))?;
            jobs.push(measure(&definition.id, &alone, &args, &options, &context)?.0);
        }
    }

    let report = BenchReport {
        profiles_file: args.profiles.display().to_string(),
        threads: rayon::current_num_threads(),
        compile_seconds,
        jobs,
        peak_rss_bytes: peak_rss_bytes(),
    };
    print(&if args.json { to_json(&report) } else { table(&report) })
}

/// Returns `id` and, transitively, the definitions that its `inSegment` references name, so the
/// job can compile. A reference is recognized by the text `inSegment("<id>")`.
fn with_dependencies(definitions: &[definitions::Definition], id: &str) -> Vec<definitions::Definition> {
    let mut needed = vec![id.to_string()];
    let mut index = 0;
    while index < needed.len() {
        let current = needed[index].clone();
        if let Some(definition) = definitions.iter().find(|definition| definition.id == current) {
            for other in definitions {
                let reference = format!("inSegment(\"{}\")", other.id);
                if definition.expression.contains(&reference) && !needed.contains(&other.id) {
                    needed.push(other.id.clone());
                }
            }
        }
        index += 1;
    }
    definitions.iter().filter(|definition| needed.contains(&definition.id)).cloned().collect()
}

/// Runs one job `args.runs` times over the whole file, and returns its report with the read
/// counts of the last run.
fn measure(
    name: &str,
    segments: &[CompiledSegment],
    args: &BenchArgs,
    options: &ReadOptions,
    context: &EvalContext,
) -> Result<(JobReport, ReadCounts), Failure> {
    let definitions: Vec<definitions::Definition> =
        segments.iter().map(|segment| segment.definition.clone()).collect();
    let fields = definitions::expression_words(&definitions);
    let mut run_seconds = Vec::with_capacity(args.runs as usize);
    let mut read_seconds = Vec::with_capacity(args.runs as usize);
    let mut events = 0;
    let mut outcome = None;
    let mut read = ReadCounts::default();
    for _ in 0..args.runs {
        let started = Instant::now();
        let reader = if args.all_columns {
            seg_io::open(&args.profiles, options)?
        } else {
            seg_io::open_fields(&args.profiles, options, &fields)?
        };
        events = 0;
        let mut reading = Duration::ZERO;
        let mut reader = reader;
        let batches = std::iter::from_fn(|| {
            let read_started = Instant::now();
            let batch = reader.next();
            reading += read_started.elapsed();
            let batch = match batch? {
                Ok(batch) => batch,
                Err(error) => return Some(Err(error.to_string())),
            };
            events += event_count(&batch);
            Some(Ok(batch))
        });
        let result = job::run(batches, segments, context, RunOptions::default(), |_| std::ops::ControlFlow::Continue(()))
            .map_err(Failure)?;
        run_seconds.push(started.elapsed().as_secs_f64());
        read_seconds.push(reading.as_secs_f64());
        read = ReadCounts::of(&reader);
        outcome = Some(result);
    }
    let outcome = outcome.ok_or_else(|| Failure("no runs were made; set --runs to at least 1".to_string()))?;

    let median_seconds = median(&run_seconds);
    let median_read_seconds = median(&read_seconds);
    let profiles = outcome.total_profiles;
    let per_second = |count: u64| if median_seconds > 0.0 { count as f64 / median_seconds } else { 0.0 };
    let report = JobReport {
        job: name.to_string(),
        definitions: segments.len(),
        profiles,
        events,
        profiles_per_second: per_second(profiles),
        events_per_second: per_second(events),
        run_seconds,
        median_seconds,
        median_read_seconds,
        members: segments.iter().zip(&outcome.members).map(|(s, m)| (s.definition.id.clone(), m.len())).collect(),
    };
    Ok((report, read))
}

/// Returns the number of events of a batch: the elements of its `xEvent` list, or 0 without one.
fn event_count(batch: &RecordBatch) -> u64 {
    let Some(events) = batch.column_by_name(seg_io::xdm::EVENT_COLUMN).and_then(|c| c.as_list_opt::<i32>()) else {
        return 0;
    };
    let offsets = events.value_offsets();
    let total = offsets.last().copied().unwrap_or(0) - offsets.first().copied().unwrap_or(0);
    total as u64
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Reads the peak resident set size from the `VmHWM` line of /proc/self/status, which Linux
/// gives in kB. Returns `None` on systems without it.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kilobytes: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kilobytes * 1024)
}

fn table(report: &BenchReport) -> String {
    let mut text = format!(
        "profiles file: {}\nthreads: {}\ncompile: {} definitions in {}\n\n",
        report.profiles_file,
        report.threads,
        report.jobs.first().map_or(0, |job| job.definitions),
        format_duration(Duration::from_secs_f64(report.compile_seconds))
    );
    text.push_str(&format!(
        "{:<28} {:>5} {:>12} {:>14} {:>11} {:>9} {:>14} {:>14}\n",
        "job", "defs", "profiles", "events", "median s", "read s", "profiles/s", "events/s"
    ));
    for job in &report.jobs {
        text.push_str(&format!(
            "{:<28} {:>5} {:>12} {:>14} {:>11.3} {:>9.3} {:>14.0} {:>14.0}\n",
            job.job,
            job.definitions,
            job.profiles,
            job.events,
            job.median_seconds,
            job.median_read_seconds,
            job.profiles_per_second,
            job.events_per_second
        ));
    }
    if let Some(all) = report.jobs.first() {
        text.push_str("\nmembers:\n");
        for (id, members) in &all.members {
            text.push_str(&format!("  {id:<26} {members}\n"));
        }
    }
    match report.peak_rss_bytes {
        Some(bytes) => text.push_str(&format!("\npeak memory (VmHWM): {:.1} MiB\n", bytes as f64 / 1_048_576.0)),
        None => text.push_str("\npeak memory: unknown (no VmHWM in /proc/self/status)\n"),
    }
    text
}

fn format_duration(duration: Duration) -> String {
    if duration.as_secs_f64() >= 1.0 {
        format!("{:.2} s", duration.as_secs_f64())
    } else {
        format!("{:.2} ms", duration.as_secs_f64() * 1_000.0)
    }
}
