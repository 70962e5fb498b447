//! Loads segment definitions from a directory: `*.pql` files, whose stem is the segment id and
//! name, and `*.json` segment definition objects in the Segmentation Service shape.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use seg_service::Definition;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DefinitionObject {
    id: Option<String>,
    name: Option<String>,
    expression: ExpressionObject,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExpressionObject {
    #[serde(rename = "type")]
    kind: String,
    format: String,
    value: String,
}

/// Loads every definition of `dir`, sorted by file name. Other files are ignored.
///
/// # Errors
///
/// Returns a message naming the file for unreadable files, invalid JSON, a definition object
/// without an id, an expression that is not PQL text, or a directory without definitions.
pub fn load_dir(dir: &Path) -> Result<Vec<Definition>, String> {
    let entries = fs::read_dir(dir)
        .map_err(|e| format!("cannot read the definitions directory {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect();
    paths.sort();
    let mut definitions = Vec::new();
    for path in paths {
        match path.extension().and_then(|ext| ext.to_str()) {
            Some("pql") => definitions.push(load_pql(&path)?),
            Some("json") => definitions.push(load_json(&path)?),
            _ => {}
        }
    }
    if definitions.is_empty() {
        return Err(format!(
            "no segment definitions in {}: add `<segment id>.pql` files or segment definition `.json` objects",
            dir.display()
        ));
    }
    Ok(definitions)
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn load_pql(path: &Path) -> Result<Definition, String> {
    let id = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .ok_or_else(|| format!("the file name of {} is not valid UTF-8; rename it", path.display()))?
        .to_string();
    Ok(Definition { name: id.clone(), id, expression: read(path)?, path: path.to_path_buf() })
}

fn load_json(path: &Path) -> Result<Definition, String> {
    let text = read(path)?;
    let object: DefinitionObject = serde_json::from_str(&text).map_err(|e| {
        format!(
            "invalid segment definition {}: {e}; expected an object with `id`, `name` and `expression` {{`type`: \"PQL\", `format`: \"pql/text\", `value`}}",
            path.display()
        )
    })?;
    if object.expression.kind != "PQL" {
        return Err(format!(
            "{}: expression type {:?} is not supported; only \"PQL\" is",
            path.display(),
            object.expression.kind
        ));
    }
    let expression = seg_pql::expression_text(&object.expression.format, &object.expression.value)
        .map_err(|message| format!("{}: {message}", path.display()))?;
    let Some(id) = object.id.filter(|id| !id.is_empty()) else {
        return Err(format!("{}: the definition has no `id`; add one", path.display()));
    };
    let name = object.name.unwrap_or_else(|| id.clone());
    Ok(Definition { id, name, expression, path: path.to_path_buf() })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_pql_and_json() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        fs::write(dir.path().join("b-seg.pql"), "x = 1").map_err(|e| e.to_string())?;
        let object = r#"{"id": "a-seg", "name": "A", "expression": {"type": "PQL", "format": "pql/text", "value": "y = 2"}}"#;
        fs::write(dir.path().join("a.json"), object).map_err(|e| e.to_string())?;
        fs::write(dir.path().join("notes.txt"), "ignored").map_err(|e| e.to_string())?;
        let definitions = load_dir(dir.path())?;
        let ids: Vec<&str> = definitions.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["a-seg", "b-seg"]);
        assert_eq!(definitions[0].name, "A");
        assert_eq!(definitions[1].expression, "x = 1");
        Ok(())
    }

    #[test]
    fn loads_pql_json_expression() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let tree = r#"{\"nodeType\":\"fnApply\",\"fnName\":\"=\",\"params\":[{\"nodeType\":\"fieldLookup\",\"fieldName\":\"country\",\"object\":{\"nodeType\":\"fieldLookup\",\"fieldName\":\"workAddress\",\"object\":{\"nodeType\":\"parameterReference\",\"position\":1}}},{\"nodeType\":\"literal\",\"literalType\":\"String\",\"value\":\"US\"}]}"#;
        let object = format!(r#"{{"id": "us", "expression": {{"type": "PQL", "format": "pql/json", "value": "{tree}"}}}}"#);
        fs::write(dir.path().join("us.json"), object).map_err(|e| e.to_string())?;
        let definitions = load_dir(dir.path())?;
        assert_eq!(definitions[0].expression, "workAddress.country = \"US\"");
        Ok(())
    }

    #[test]
    fn unknown_format_is_rejected() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let object = r#"{"id": "a", "expression": {"type": "PQL", "format": "pql/yaml", "value": "y = 2"}}"#;
        fs::write(dir.path().join("a.json"), object).map_err(|e| e.to_string())?;
        let error = load_dir(dir.path()).err().unwrap_or_default();
        assert!(error.ends_with("expression format \"pql/yaml\" is not supported; use \"pql/text\" or \"pql/json\""), "{error}");
        Ok(())
    }

    #[test]
    fn json_without_id_is_rejected() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let object = r#"{"expression": {"type": "PQL", "format": "pql/text", "value": "y = 2"}}"#;
        fs::write(dir.path().join("a.json"), object).map_err(|e| e.to_string())?;
        let error = load_dir(dir.path()).err().unwrap_or_default();
        assert!(error.ends_with("the definition has no `id`; add one"), "{error}");
        Ok(())
    }

    #[test]
    fn empty_directory_is_rejected() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let error = load_dir(dir.path()).err().unwrap_or_default();
        assert!(error.starts_with("no segment definitions in"), "{error}");
        Ok(())
    }
}
