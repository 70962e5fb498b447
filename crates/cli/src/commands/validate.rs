//! `seg validate`: parses and binds definition files against a profile schema, reporting every
//! invalid definition and the evaluation methods of the valid ones.

use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use clap::Args;
use seg_plan::{Eligibility, EvaluationInfo, SegmentPlan};
use seg_pql::Diagnostic;
use serde::Serialize;

use crate::commands::to_json;
use crate::{Failure, print};

/// Arguments of `seg validate`.
#[derive(Args)]
#[command(after_help = "Examples:
  seg validate testdata/cdnow/segments --profiles testdata/cdnow/profiles.parquet
  seg validate big-spenders.pql segments/ --schema sample.ndjson --json

Definitions are `<segment id>.pql` files and segment definition `.json` objects; a directory
is searched for both, without descending into subdirectories. The exit status is 0 when every
definition is valid and 1 otherwise.")]
pub struct ValidateArgs {
    /// Definition files and directories of definitions.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    schema: SchemaArgs,
    /// Prints one JSON object per definition instead of text.
    #[arg(long)]
    json: bool,
}

/// The source of the profile schema: exactly one of `--profiles` and `--schema`.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct SchemaArgs {
    /// The profile file (Parquet or NDJSON) whose schema definitions are bound against.
    #[arg(long)]
    profiles: Option<PathBuf>,
    /// A sample profile file (Parquet or NDJSON) read only for its schema. NDJSON is read in
    /// full to infer it, so a few representative lines are enough.
    #[arg(long)]
    schema: Option<PathBuf>,
}

impl SchemaArgs {
    /// Opens the profile or sample file and returns its normalized schema.
    pub fn load(&self) -> Result<SchemaRef, Failure> {
        let Some(path) = self.profiles.as_ref().or(self.schema.as_ref()) else {
            return Err(Failure("missing schema: pass --profiles <file> or --schema <file>".to_string()));
        };
        let reader = seg_io::open(path, &seg_io::ReadOptions::default())?;
        Ok(reader.schema())
    }
}

/// The diagnostic code of a file that cannot be read as a definition: unreadable, invalid
/// JSON, or a definition object without PQL text.
const UNREADABLE_DEFINITION: &str = "E0000";

/// One definition as read from disk, before parsing.
struct Source {
    id: String,
    file: PathBuf,
    /// The PQL text, or the reason the file could not be read as a definition.
    text: Result<String, String>,
}

/// The validation result of one definition, in the `--json` shape.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    id: String,
    file: String,
    valid: bool,
    diagnostics: Vec<DiagnosticReport>,
    /// `null` for an invalid definition.
    evaluation_info: Option<EvaluationInfo>,
    /// The causes that exclude streaming or edge evaluation.
    eligibility_reasons: Vec<ReasonReport>,
}

#[derive(Serialize)]
struct DiagnosticReport {
    code: String,
    message: String,
    help: Option<String>,
    span: SpanReport,
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct SpanReport {
    start: usize,
    end: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReasonReport {
    /// `streaming and edge` or `edge`.
    excludes: &'static str,
    message: String,
    line: usize,
    column: usize,
}

/// A definition with its plan, when it binds.
struct Checked {
    source: Source,
    outcome: Result<SegmentPlan, Diagnostic>,
}

/// Validates every definition and prints the reports.
///
/// # Errors
///
/// Returns a failure when the schema or a path cannot be read, and when any definition is
/// invalid, after printing every report.
pub fn run(args: ValidateArgs) -> Result<(), Failure> {
    let schema = args.schema.load()?;
    let mut sources = Vec::new();
    for path in &args.paths {
        sources.extend(load(path)?);
    }
    let checked: Vec<Checked> = sources
        .into_iter()
        .map(|source| {
            let outcome = match &source.text {
                Ok(text) => seg_pql::parse(text).and_then(|query| seg_plan::bind(&query, &schema)),
                Err(message) => Err(Diagnostic::new(UNREADABLE_DEFINITION, message.clone(), seg_pql::Span::default())),
            };
            Checked { source, outcome }
        })
        .collect();
    let eligibility = classify_all(&checked);
    let reports: Vec<Report> = checked.iter().zip(&eligibility).map(|(item, result)| report(item, result.as_ref())).collect();

    let invalid = reports.iter().filter(|report| !report.valid).count();
    if args.json {
        print(&to_json(&reports))?;
    } else {
        print(&render_text(&checked, &reports))?;
    }
    if invalid > 0 {
        let verb = if invalid == 1 { "is" } else { "are" };
        return Err(Failure(format!("{invalid} of {} {verb} invalid", crate::commands::count_of(reports.len(), "definition"))));
    }
    Ok(())
}

/// Classifies every valid definition. A segment read through `inSegment` counts as
/// profile-only only when it is among the validated definitions and was classified so. The
/// passes repeat until no result changes, which takes at most one pass per definition.
fn classify_all(checked: &[Checked]) -> Vec<Option<Eligibility>> {
    let mut results: Vec<Option<Eligibility>> = vec![None; checked.len()];
    for _ in 0..=checked.len() {
        let previous = results.clone();
        let profile_only = |id: &str| {
            let index = checked.iter().position(|item| item.source.id == id)?;
            previous[index].as_ref().map(|result| result.profile_only)
        };
        for (index, item) in checked.iter().enumerate() {
            if let Ok(plan) = &item.outcome {
                results[index] = Some(seg_plan::classify_with(plan, profile_only));
            }
        }
        if results == previous {
            break;
        }
    }
    results
}

fn report(item: &Checked, eligibility: Option<&Eligibility>) -> Report {
    let text = item.source.text.as_deref().unwrap_or("");
    let diagnostics = match &item.outcome {
        Ok(_) => Vec::new(),
        Err(first) => std::iter::once(first)
            .chain(&first.related)
            .map(|diagnostic| {
                let (line, column) = line_column(text, diagnostic.span.start);
                DiagnosticReport {
                    code: diagnostic.code.to_string(),
                    message: diagnostic.message.clone(),
                    help: diagnostic.help.clone(),
                    span: SpanReport { start: diagnostic.span.start, end: diagnostic.span.end },
                    line,
                    column,
                }
            })
            .collect(),
    };
    let eligibility_reasons = eligibility
        .map(|result| {
            result
                .reasons
                .iter()
                .map(|reason| {
                    let (line, column) = line_column(text, reason.span.start);
                    let excludes = if reason.edge_only { "edge" } else { "streaming and edge" };
                    ReasonReport { excludes, message: reason.message.clone(), line, column }
                })
                .collect()
        })
        .unwrap_or_default();
    Report {
        id: item.source.id.clone(),
        file: item.source.file.display().to_string(),
        valid: item.outcome.is_ok(),
        diagnostics,
        evaluation_info: eligibility.map(|result| result.info),
        eligibility_reasons,
    }
}

fn render_text(checked: &[Checked], reports: &[Report]) -> String {
    let mut out = String::new();
    for (item, report) in checked.iter().zip(reports) {
        match (&item.outcome, &item.source.text) {
            (Ok(_), _) => {
                let methods = report.evaluation_info.map(|info| info.to_string()).unwrap_or_default();
                out += &format!("valid    {} ({}): {methods}\n", report.id, report.file);
                for reason in &report.eligibility_reasons {
                    out += &format!(
                        "           {}: line {}, column {}: {}\n",
                        crate::commands::excluded_methods(reason.excludes == "edge"),
                        reason.line,
                        reason.column,
                        reason.message
                    );
                }
            }
            (Err(diagnostic), Ok(text)) => {
                out += &format!("invalid  {} ({})\n", report.id, report.file);
                out += &diagnostic.render(text);
            }
            (Err(_), Err(message)) => out += &format!("invalid  {} ({}): {message}\n", report.id, report.file),
        }
    }
    let invalid = reports.iter().filter(|report| !report.valid).count();
    out += &format!("{}: {} valid, {invalid} invalid\n", crate::commands::count_of(reports.len(), "definition"), reports.len() - invalid);
    out
}

/// Returns the 1-based line and column (in characters) of a byte offset, clamped to the text.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

/// Loads one definition file, or every `.pql` and `.json` file of a directory sorted by name.
fn load(path: &Path) -> Result<Vec<Source>, Failure> {
    if !path.is_dir() {
        return Ok(vec![load_file(path)]);
    }
    Ok(seg_service::definition_file::definition_paths(path)?.iter().map(|file| load_file(file)).collect())
}

/// Reads a `.pql` file (its stem is the id) or a `.json` definition object (with an `id`, or
/// the stem when it has none) through the service's loader. Problems with the file become the
/// definition's error.
fn load_file(path: &Path) -> Source {
    let stem = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
    let loaded = seg_service::load_definition_file(path).and_then(|file| Ok((file.definition.pql_text()?, file.definition.id)));
    match loaded {
        Ok((text, id)) => Source { id, file: path.to_path_buf(), text: Ok(text) },
        Err(seg_service::ServiceError::InvalidDefinition { message, .. }) => {
            Source { id: stem, file: path.to_path_buf(), text: Err(message) }
        }
        Err(error) => Source { id: stem, file: path.to_path_buf(), text: Err(error.to_string()) },
    }
}

/// Reads the expression of `seg explain`: the text of a `.pql` file or of a definition
/// object's `expression.value` when `argument` names an existing file, else `argument` itself.
pub fn expression_argument(argument: &str) -> Result<String, Failure> {
    let path = Path::new(argument);
    if !path.is_file() {
        return Ok(argument.to_string());
    }
    let source = load_file(path);
    source.text.map_err(|message| Failure(format!("{}: {message}", path.display())))
}
