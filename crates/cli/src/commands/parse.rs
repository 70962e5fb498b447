//! `seg parse`: prints the canonical form of an expression, or its diagnostic.

use clap::Args;

use crate::{Failure, print};

/// Arguments of `seg parse`.
#[derive(Args)]
#[command(after_help = "Examples:
  seg parse 'homeAddress.countryCode = \"US\" and person.age >= 21'
  seg parse 'chain(xEvent, timestamp, [A: WHAT(eventType = \"view\"), B: WHAT(eventType = \"purchase\")])'")]
pub struct ParseArgs {
    /// The PQL expression.
    expression: String,
}

/// Parses the expression and prints its canonical form.
///
/// # Errors
///
/// Returns the rendered diagnostic when the expression does not parse.
pub fn run(args: ParseArgs) -> Result<(), Failure> {
    match seg_pql::parse(&args.expression) {
        Ok(query) => print(&format!("{query}\n")),
        Err(diagnostic) => Err(Failure(format!("invalid expression\n{}", diagnostic.render(&args.expression)))),
    }
}
