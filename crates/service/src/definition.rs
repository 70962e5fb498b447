//! Segment definition objects in the Segmentation Service JSON shape, and their validation.

use arrow::datatypes::Schema;
use seg_plan::{EvaluationInfo, SegmentPlan};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ServiceError;

/// The XDM class that definitions apply to when the input names none.
pub const PROFILE_CLASS: &str = "_xdm.context.profile";

/// A segment definition: one PQL predicate with its metadata.
///
/// Fields this engine does not use (`mergePolicyId`, `profileInstanceId`, ...) are kept in
/// `extra` and written back unchanged, so definitions exported from AEP round-trip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentDefinition {
    /// The unique id; generated as a UUID v4 on create when the input has none.
    #[serde(default)]
    pub id: String,
    /// The unique display name.
    #[serde(default)]
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The XDM class of the profiles.
    #[serde(default)]
    pub schema: SchemaName,
    /// The PQL predicate.
    pub expression: Expression,
    /// The evaluation methods the definition is eligible for, as the classifier of
    /// `seg_plan::eligibility` decides them; input values are replaced.
    #[serde(default = "batch_only", deserialize_with = "any_evaluation_info")]
    pub evaluation_info: EvaluationInfo,
    /// Creation time in milliseconds since the Unix epoch.
    #[serde(default)]
    pub creation_time: i64,
    /// Last update time in milliseconds since the Unix epoch.
    #[serde(default)]
    pub update_time: i64,
    /// Last update time in seconds since the Unix epoch.
    #[serde(default)]
    pub update_epoch: i64,
    /// Other fields of the input object, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `schema` object: the XDM class name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaName {
    /// The class, such as `_xdm.context.profile`.
    pub name: String,
}

impl Default for SchemaName {
    fn default() -> Self {
        SchemaName { name: PROFILE_CLASS.to_string() }
    }
}

/// The `expression` object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expression {
    /// The language; only `PQL` is supported.
    #[serde(rename = "type")]
    pub kind: String,
    /// The encoding of `value`: `pql/text`, or `pql/json` for a JSON-encoded syntax tree.
    pub format: String,
    /// The PQL text.
    pub value: String,
}

impl Expression {
    /// Wraps PQL text.
    pub fn pql(text: impl Into<String>) -> Self {
        Expression { kind: "PQL".to_string(), format: "pql/text".to_string(), value: text.into() }
    }
}

/// Returns the `evaluationInfo` of a definition that has not been classified: batch only,
/// which every definition is eligible for.
pub fn batch_only() -> EvaluationInfo {
    EvaluationInfo { batch: true, continuous: false, synchronous: false }
}

/// Reads an input `evaluationInfo` of any shape. The classifier replaces it on save, so an
/// object with missing or extra flags is no reason to reject the definition.
fn any_evaluation_info<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<EvaluationInfo, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).unwrap_or_else(|_| batch_only()))
}

impl SegmentDefinition {
    /// Creates a batch definition of PQL text with no id yet.
    pub fn new(name: impl Into<String>, pql: impl Into<String>) -> Self {
        SegmentDefinition {
            id: String::new(),
            name: name.into(),
            description: None,
            schema: SchemaName::default(),
            expression: Expression::pql(pql),
            evaluation_info: batch_only(),
            creation_time: 0,
            update_time: 0,
            update_epoch: 0,
            extra: Map::new(),
        }
    }

    /// Parses a definition object from JSON text.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidDefinition`] when the text is not a definition object.
    pub fn from_json(text: &str) -> Result<Self, ServiceError> {
        serde_json::from_str(text).map_err(|e| ServiceError::InvalidDefinition {
            name: "<input>".to_string(),
            message: format!(
                "{e}; expected an object with `name` and `expression` {{\"type\": \"PQL\", \"format\": \"pql/text\", \"value\": \"...\"}}"
            ),
        })
    }

    /// Checks the required fields and the expression: it must parse, and bind when `schema`
    /// is given. Returns the bound plan when there is a schema. An `inSegment` target is
    /// checked when a job runs, not here.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidDefinition`] naming the problem; PQL errors carry the
    /// rendered diagnostic.
    pub fn validate(&self, schema: Option<&Schema>) -> Result<Option<SegmentPlan>, ServiceError> {
        let invalid = |message: String| ServiceError::InvalidDefinition { name: self.label(), message };
        if self.name.trim().is_empty() {
            return Err(invalid("the `name` is empty; give the definition a unique name".to_string()));
        }
        if self.expression.kind != "PQL" {
            return Err(invalid(format!("expression type {:?} is not supported; use \"PQL\"", self.expression.kind)));
        }
        let text = &self.pql_text()?;
        let query = seg_pql::parse(text).map_err(|d| invalid(format!("\n{}", d.render(text))))?;
        match schema {
            Some(schema) => seg_plan::bind(&query, schema).map(Some).map_err(|d| invalid(format!("\n{}", d.render(text)))),
            None => Ok(None),
        }
    }

    /// Returns the expression as PQL text, converting a `pql/json` expression.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidDefinition`] for an unknown format or a `pql/json`
    /// value that is not a PQL syntax tree.
    pub fn pql_text(&self) -> Result<String, ServiceError> {
        seg_pql::expression_text(&self.expression.format, &self.expression.value)
            .map_err(|message| ServiceError::InvalidDefinition { name: self.label(), message })
    }

    fn label(&self) -> String {
        if self.name.is_empty() { self.id.clone() } else { self.name.clone() }
    }
}
