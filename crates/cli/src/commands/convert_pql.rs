//! `seg convert`: converts a definition between PQL text and `pql/json`.

use std::path::Path;

use clap::{Args, ValueEnum};

use crate::{Failure, print};

/// Arguments of `seg convert`.
#[derive(Args)]
#[command(after_help = "Input that starts with `{` is read as pql/json, any other input as PQL text.

Examples:
  seg convert --to json 'workAddress.country = \"US\"'
  seg convert --to text '{\"nodeType\":\"fieldLookup\",\"fieldName\":\"vip\",\"object\":{\"nodeType\":\"parameterReference\",\"position\":1}}'
  seg convert --to json testdata/cdnow/segments/big-spenders.pql")]
pub struct ConvertPqlArgs {
    /// The output format.
    #[arg(long, value_enum)]
    to: Format,
    /// A definition in PQL text or pql/json, or the path of a file that contains one.
    input: String,
}

/// The formats `seg convert` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Compact pql/json on one line.
    Json,
    /// Canonical PQL text.
    Text,
}

/// Reads the definition, converts it and prints the result and a newline.
///
/// # Errors
///
/// Returns the rendered diagnostic when the input does not parse, or the I/O error when the
/// file cannot be read.
pub fn run(args: ConvertPqlArgs) -> Result<(), Failure> {
    let path = Path::new(&args.input);
    let source = if path.is_file() {
        std::fs::read_to_string(path).map_err(|error| Failure(format!("cannot read {}: {error}", path.display())))?
    } else {
        args.input.clone()
    };

    let is_json = source.trim_start().starts_with('{');
    let parsed = if is_json { seg_pql::from_json_str(&source) } else { seg_pql::parse(&source) };
    let query = parsed.map_err(|diagnostic| {
        let format = if is_json { "pql/json" } else { "PQL text" };
        Failure(format!("invalid {format}\n{}", diagnostic.render(&source)))
    })?;

    let output = match args.to {
        Format::Json => seg_pql::to_json_string(&query),
        Format::Text => query.to_string(),
    };
    print(&format!("{output}\n"))
}
