//! `seg`: evaluates PQL segment definitions over profile files.
//!
//! Exit codes: 0 on success, 1 when a definition or an input is invalid (the message names
//! the definition or input and the reason), 2 on a usage error.

mod commands;
mod definitions;
mod report;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Audience segmentation with PQL, in process, over Parquet or NDJSON profiles.
#[derive(Parser)]
#[command(name = "seg", version, about, long_about = None, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXAMPLES: &str = "Examples:
  seg eval --profiles testdata/cdnow/profiles.parquet --definitions testdata/cdnow/segments --now 1998-07-01T00:00:00Z
  seg definition create --workspace ws --file testdata/cdnow/segments/big-spenders.pql --id big-spenders
  seg job run --workspace ws --profiles testdata/cdnow/profiles.parquet --segments '*' --now 1998-07-01T00:00:00Z
  seg membership --workspace ws 00042
  seg parse 'xEvent[eventType = \"commerce.purchases\"].count() >= 3'
  seg validate testdata/cdnow/segments --profiles testdata/cdnow/profiles.parquet
  seg explain testdata/cdnow/segments/frequent-buyers.pql --profiles testdata/cdnow/profiles.parquet
  seg convert-cdnow --input CDNOW_master.txt --output testdata/cdnow/profiles.parquet
  seg generate --profiles 1000000 --seed 1 --out bench-data/profiles-1m.parquet
  seg completions bash > ~/.local/share/bash-completion/completions/seg

Run `seg <command> --help` for the options and examples of each command.";

#[derive(Subcommand)]
enum Command {
    /// Evaluate every definition of a directory over a profile file and report the audiences.
    Eval(commands::eval::EvalArgs),
    /// Create, list, get, update and delete the segment definitions of a workspace.
    Definition(commands::definition::DefinitionArgs),
    /// Run segment jobs over a workspace's definitions; list, show and cancel them.
    Job(commands::job::JobArgs),
    /// Print one page of the profiles that qualify for an expression or a saved definition.
    Preview(commands::preview::PreviewArgs),
    /// Estimate the audience size of an expression or a saved definition.
    Estimate(commands::estimate::EstimateArgs),
    /// Write the members of segments to a Parquet, NDJSON or CSV file.
    Export(commands::export::ExportArgs),
    /// Print the segment memberships of one profile.
    Membership(commands::membership::MembershipArgs),
    /// Parse one expression and print its canonical form.
    Parse(commands::parse::ParseArgs),
    /// Check definition files against a profile schema and report their evaluation methods.
    Validate(commands::validate::ValidateArgs),
    /// Print the typed plan of one definition and its evaluation methods.
    Explain(commands::explain::ExplainArgs),
    /// Convert the CDNOW purchase history text file to the bundled Parquet profile file.
    ConvertCdnow(commands::convert::ConvertArgs),
    /// Convert a definition between PQL text and pql/json.
    Convert(commands::convert_pql::ConvertPqlArgs),
    /// Manage cron schedules, print their fire times and run the scheduler.
    Schedule(commands::schedule::ScheduleArgs),
    /// Create audiences and move them through draft, published, inactive and deleted.
    Audience(commands::audience::AudienceArgs),
    /// Import external audiences from CSV files.
    External(commands::external::ExternalArgs),
    /// Search audiences by name, description, id and folder.
    Search(commands::search::SearchArgs),
    /// Print a shell completion script for bash, zsh, fish, elvish or PowerShell.
    Completions(commands::completions::CompletionsArgs),
    /// Write seeded synthetic profiles with experience events to a Parquet file.
    Generate(commands::generate::GenerateArgs),
    /// Measure segment jobs over a profile file: profiles/s, events/s and peak memory.
    Bench(commands::bench::BenchArgs),
}

/// A failure the CLI reports on stderr before exiting with status 1.
pub struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure(error.to_string())
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("SEG_LOG"))
        .with_writer(io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Eval(args) => commands::eval::run(args),
        Command::Definition(args) => commands::definition::run(args),
        Command::Job(args) => commands::job::run(args),
        Command::Preview(args) => commands::preview::run(args),
        Command::Estimate(args) => commands::estimate::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Membership(args) => commands::membership::run(args),
        Command::Parse(args) => commands::parse::run(args),
        Command::Validate(args) => commands::validate::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::ConvertCdnow(args) => commands::convert::run(args),
        Command::Convert(args) => commands::convert_pql::run(args),
        Command::Schedule(args) => commands::schedule::run(args),
        Command::Audience(args) => commands::audience::run(args),
        Command::External(args) => commands::external::run(args),
        Command::Search(args) => commands::search::run(args),
        Command::Completions(args) => commands::completions::run(args, &mut Cli::command()),
        Command::Generate(args) => commands::generate::run(args),
        Command::Bench(args) => commands::bench::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            let mut stderr = io::stderr().lock();
            let _ = writeln!(stderr, "seg: {}", message.trim_end());
            ExitCode::FAILURE
        }
    }
}

/// Writes to stdout; a closed pipe (`seg eval ... | head`) ends quietly with success.
pub fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(error) => Err(Failure(format!("cannot write to stdout: {error}"))),
        Ok(()) => Ok(()),
    }
}
