//! `seg explain`: prints the typed plan of one definition and its evaluation methods.

use clap::Args;

use crate::commands::validate::{SchemaArgs, expression_argument};
use crate::{Failure, print};

/// Arguments of `seg explain`.
#[derive(Args)]
#[command(after_help = "Examples:
  seg explain 'xEvent[eventType = \"commerce.purchases\"].count() >= 3' --profiles testdata/cdnow/profiles.parquet
  seg explain testdata/cdnow/segments/frequent-buyers.pql --profiles testdata/cdnow/profiles.parquet

Columns print as `$scope.path`: `$0` is the profile, `$1` an element of the list being
filtered or aggregated (an event of `xEvent`), `$2` an element of a list inside it.")]
pub struct ExplainArgs {
    /// A PQL expression, or a `.pql` file or segment definition `.json` object.
    expression: String,
    #[command(flatten)]
    schema: SchemaArgs,
}

/// Binds the definition and prints its plan, then its evaluation methods.
///
/// # Errors
///
/// Returns the rendered diagnostic when the definition does not parse or bind, and a message
/// when the schema or the file cannot be read.
pub fn run(args: ExplainArgs) -> Result<(), Failure> {
    let schema = args.schema.load()?;
    let text = expression_argument(&args.expression)?;
    let plan = seg_pql::parse(&text)
        .and_then(|query| seg_plan::bind(&query, &schema))
        .map_err(|diagnostic| Failure(format!("invalid definition\n{}", diagnostic.render(&text))))?;
    let eligibility = seg_plan::classify(&plan);
    let mut out = seg_plan::explain(&plan);
    out += &format!("evaluation: {}\n", eligibility.info);
    for reason in &eligibility.reasons {
        out += &format!("  {}: {}\n", crate::commands::excluded_methods(reason.edge_only), reason.message);
    }
    print(&out)
}
