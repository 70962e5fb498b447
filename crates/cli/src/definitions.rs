//! Loads the segment definitions of a directory for `seg eval`, through the loader of the
//! service crate: `*.pql` files, whose stem is the segment id and name, and `*.json` segment
//! definition objects in the Segmentation Service shape.

use std::path::Path;

pub use seg_service::Definition;

/// Loads every definition of `dir`, sorted by file name. Other files are ignored.
///
/// # Errors
///
/// Returns a message naming the file for unreadable files, invalid JSON, an expression that
/// is not PQL, or a directory without definitions.
pub fn load_dir(dir: &Path) -> Result<Vec<Definition>, String> {
    seg_service::load_definition_dir(dir).map_err(|error| error.to_string())
}

/// Returns the words of the definitions' expressions: the names that
/// [`seg_io::open_fields`] keeps fields by.
///
/// A word is a run of letters, digits and underscores. Words inside string literals are kept
/// too, which can only make the reader decode more fields than needed, never fewer.
pub fn expression_words(definitions: &[Definition]) -> std::collections::HashSet<&str> {
    definitions
        .iter()
        .flat_map(|definition| definition.expression.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .filter(|word| !word.is_empty())
        .collect()
}
