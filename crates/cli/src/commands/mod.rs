//! One module per `seg` subcommand.

pub mod convert;
pub mod eval;
pub mod parse;
