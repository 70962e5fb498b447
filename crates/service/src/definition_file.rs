//! Reading segment definitions from files: `*.pql` files holding PQL text, and `*.json`
//! segment definition objects in the Segmentation Service shape. `seg eval`, `seg validate`
//! and `seg definition` all read definitions through this module.

use std::fs;
use std::path::{Path, PathBuf};

use crate::definition::SegmentDefinition;
use crate::engine::Definition;
use crate::error::ServiceError;

/// A definition read from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct DefinitionFile {
    /// The file it was read from.
    pub path: PathBuf,
    /// The definition. Its `id` is the object's `id`, or the file stem when the file gives none.
    pub definition: SegmentDefinition,
}

impl DefinitionFile {
    /// Converts the definition to the engine's input, with its PQL text.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidDefinition`] when a `pql/json` expression cannot be
    /// converted to PQL text.
    pub fn engine_definition(&self) -> Result<Definition, ServiceError> {
        Ok(Definition {
            id: self.definition.id.clone(),
            name: self.definition.name.clone(),
            expression: self.definition.pql_text()?,
            path: self.path.clone(),
        })
    }
}

/// Reads one definition file. A `.pql` file becomes a definition named after its stem, with
/// no id. A `.json` file must be a segment definition object with a PQL expression; its `id`
/// may be missing.
///
/// # Errors
///
/// Returns a file error when the file cannot be read, and [`ServiceError::InvalidDefinition`]
/// naming the file for invalid JSON, an expression that is not PQL, or another extension.
pub fn read_definition_file(path: &Path) -> Result<SegmentDefinition, ServiceError> {
    let invalid = |message: String| ServiceError::InvalidDefinition { name: path.display().to_string(), message };
    let extension = path.extension().and_then(|ext| ext.to_str());
    if !matches!(extension, Some("pql" | "json")) {
        return Err(invalid(
            "unsupported file extension; use a segment definition `.json` object or a `.pql` file".to_string(),
        ));
    }
    let bytes = fs::read(path).map_err(|e| ServiceError::file("read", path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        invalid(format!("invalid UTF-8 at byte {}; save the file as UTF-8", e.utf8_error().valid_up_to()))
    })?;
    if extension == Some("pql") {
        return Ok(SegmentDefinition::new(file_stem(path)?, text.trim_end()));
    }
    let definition: SegmentDefinition = serde_json::from_str(&text).map_err(|e| {
        // serde_json stops at 128 nested arrays and objects, which keeps deep input off the stack.
        if e.to_string().starts_with("recursion limit exceeded") {
            return invalid(format!(
                "invalid JSON: arrays and objects nest deeper than 128 levels at line {} column {}; flatten the nesting",
                e.line(),
                e.column()
            ));
        }
        invalid(format!(
            "invalid JSON: {e}; expected an object with `name` and `expression` {{\"type\": \"PQL\", \"format\": \"pql/text\", \"value\": \"...\"}}"
        ))
    })?;
    if definition.expression.kind != "PQL" {
        return Err(invalid(format!("expression type {:?} is not supported; use \"PQL\"", definition.expression.kind)));
    }
    seg_pql::expression_text(&definition.expression.format, &definition.expression.value).map_err(invalid)?;
    Ok(definition)
}

/// Reads one definition file and gives a definition without an id the file stem as id, and
/// one without a name its id as name.
///
/// # Errors
///
/// Returns the errors of [`read_definition_file`].
pub fn load_definition_file(path: &Path) -> Result<DefinitionFile, ServiceError> {
    let mut definition = read_definition_file(path)?;
    if definition.id.is_empty() {
        definition.id = file_stem(path)?;
    }
    if definition.name.is_empty() {
        definition.name = definition.id.clone();
    }
    Ok(DefinitionFile { path: path.to_path_buf(), definition })
}

/// Returns the `.pql` and `.json` files of `dir`, sorted by name, without descending into
/// subdirectories.
///
/// # Errors
///
/// Returns a file error when the directory cannot be read, and
/// [`ServiceError::InvalidParameter`] when it contains no definition file.
pub fn definition_paths(dir: &Path) -> Result<Vec<PathBuf>, ServiceError> {
    let entries = fs::read_dir(dir).map_err(|e| ServiceError::file("read the definitions directory", dir, e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| ServiceError::file("read the definitions directory", dir, e))?.path();
        if path.is_file() && matches!(path.extension().and_then(|ext| ext.to_str()), Some("pql" | "json")) {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(ServiceError::InvalidParameter {
            parameter: "definitions directory",
            value: dir.display().to_string(),
            expected: "it contains no `<segment id>.pql` file and no segment definition `.json` object; add one or name another directory".to_string(),
        });
    }
    Ok(paths)
}

/// Loads every definition file of `dir`, sorted by file name, as engine input.
///
/// # Errors
///
/// Returns the first error of [`definition_paths`], [`load_definition_file`] or
/// [`DefinitionFile::engine_definition`].
pub fn load_definition_dir(dir: &Path) -> Result<Vec<Definition>, ServiceError> {
    definition_paths(dir)?.iter().map(|path| load_definition_file(path)?.engine_definition()).collect()
}

fn file_stem(path: &Path) -> Result<String, ServiceError> {
    path.file_stem().and_then(|stem| stem.to_str()).map(str::to_string).ok_or_else(|| ServiceError::InvalidDefinition {
        name: path.display().to_string(),
        message: "the file name is not valid UTF-8; rename the file".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn loads_pql_and_json() -> TestResult {
        let dir = tempfile::tempdir()?;
        fs::write(dir.path().join("b-seg.pql"), "x = 1\n")?;
        let object = r#"{"id": "a-seg", "name": "A", "expression": {"type": "PQL", "format": "pql/text", "value": "y = 2"}}"#;
        fs::write(dir.path().join("a.json"), object)?;
        fs::write(dir.path().join("notes.txt"), "ignored")?;
        let definitions = load_definition_dir(dir.path())?;
        let ids: Vec<&str> = definitions.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["a-seg", "b-seg"]);
        assert_eq!(definitions[0].name, "A");
        assert_eq!(definitions[1].name, "b-seg");
        assert_eq!(definitions[1].expression, "x = 1");
        Ok(())
    }

    #[test]
    fn pql_json_expression_becomes_text() -> TestResult {
        let dir = tempfile::tempdir()?;
        let tree = r#"{\"nodeType\":\"fnApply\",\"fnName\":\"=\",\"params\":[{\"nodeType\":\"fieldLookup\",\"fieldName\":\"country\",\"object\":{\"nodeType\":\"fieldLookup\",\"fieldName\":\"workAddress\",\"object\":{\"nodeType\":\"parameterReference\",\"position\":1}}},{\"nodeType\":\"literal\",\"literalType\":\"String\",\"value\":\"US\"}]}"#;
        let object = format!(r#"{{"id": "us", "expression": {{"type": "PQL", "format": "pql/json", "value": "{tree}"}}}}"#);
        fs::write(dir.path().join("us.json"), object)?;
        let definitions = load_definition_dir(dir.path())?;
        assert_eq!(definitions[0].expression, "workAddress.country = \"US\"");
        Ok(())
    }

    #[test]
    fn json_without_id_takes_stem() -> TestResult {
        let dir = tempfile::tempdir()?;
        let object = r#"{"expression": {"type": "PQL", "format": "pql/text", "value": "y = 2"}}"#;
        let path = dir.path().join("adults.json");
        fs::write(&path, object)?;
        let loaded = load_definition_file(&path)?;
        assert_eq!(loaded.definition.id, "adults");
        assert_eq!(loaded.definition.name, "adults");
        assert_eq!(read_definition_file(&path)?.id, "");
        Ok(())
    }

    #[test]
    fn unknown_format_is_rejected() -> TestResult {
        let dir = tempfile::tempdir()?;
        let object = r#"{"id": "a", "expression": {"type": "PQL", "format": "pql/yaml", "value": "y = 2"}}"#;
        fs::write(dir.path().join("a.json"), object)?;
        let error = load_definition_dir(dir.path()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.ends_with("expression format \"pql/yaml\" is not supported; use \"pql/text\" or \"pql/json\""), "{error}");
        Ok(())
    }

    #[test]
    fn invalid_json_names_file() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("broken.json");
        fs::write(&path, "{")?;
        let error = read_definition_file(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("broken.json"), "{error}");
        assert!(error.contains("invalid JSON"), "{error}");
        Ok(())
    }

    #[test]
    fn empty_directory_is_rejected() -> TestResult {
        let dir = tempfile::tempdir()?;
        let error = load_definition_dir(dir.path()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("it contains no `<segment id>.pql` file"), "{error}");
        Ok(())
    }
}
