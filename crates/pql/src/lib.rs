//! PQL syntax: the pest grammar, the abstract syntax tree with byte spans, its canonical
//! printing, and the diagnostic type every stage of the engine reports errors with.

#![deny(missing_docs)]

pub mod ast;
pub mod diagnostic;
pub mod display;
pub mod json;
pub mod parser;

pub use ast::*;
pub use diagnostic::{Diagnostic, did_you_mean};
pub use json::{expression_text, from_json, from_json_str, to_json, to_json_string};
pub use parser::{ParseOptions, parse, parse_expr, parse_expr_with, parse_with};
