//! Audiences: the lifecycle view over segment definitions (`SegmentDefinition` audiences) and
//! external audiences (`ExternalSegment`), with the dependencies that `inSegment` creates.
//!
//! A definition's lifecycle state is kept in `audiences/<id>.json`. A definition without that
//! file was created through the definition API, is evaluated by jobs, and counts as published.

pub mod external;
pub mod job_input;
pub mod lifecycle;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::atomic::{read_json, write_json};
use crate::definition::{Expression, SegmentDefinition};
use crate::error::ServiceError;
use crate::workspace::{Workspace, check_id};

pub use external::{ExternalAudience, ExternalMember, IngestionRun, NewExternalAudience, RunStatus};
pub use lifecycle::LifecycleState;

/// The namespace of the audiences backed by segment definitions.
pub const PLATFORM_NAMESPACE: &str = "AEPSegments";

/// The origin of an audience.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AudienceType {
    /// Backed by a segment definition of this workspace.
    SegmentDefinition,
    /// Imported from a file of identities.
    ExternalSegment,
}

/// An audience object in the service's JSON shape.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Audience {
    /// The id; what `inSegment` references.
    pub id: String,
    /// The same as `id` for definitions; the client's id for external audiences.
    pub audience_id: String,
    /// The display name.
    pub name: String,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `SegmentDefinition` or `ExternalSegment`.
    #[serde(rename = "type")]
    pub kind: AudienceType,
    /// `AEPSegments` for definitions; the upload namespace for external audiences.
    pub namespace: String,
    /// `REAL_TIME_CUSTOMER_PROFILE` for definitions, `CUSTOM_UPLOAD` for external audiences.
    pub origin_name: String,
    /// Draft, published or inactive.
    pub lifecycle_state: LifecycleState,
    /// The PQL of a definition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<Expression>,
    /// Days an external membership stays valid after its ingestion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_in_days: Option<u32>,
    /// The folder, when one is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<String>,
    /// The audiences this one reads through `inSegment`.
    pub dependencies: Vec<String>,
    /// The audiences that read this one through `inSegment`.
    pub dependents: Vec<String>,
    /// Creation time in seconds since the Unix epoch.
    pub create_epoch: i64,
    /// Last update time in seconds since the Unix epoch.
    pub update_epoch: i64,
}

/// The stored lifecycle state of a definition: `audiences/<id>.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LifecycleRecord {
    pub id: String,
    pub lifecycle_state: LifecycleState,
    pub update_epoch: i64,
}

/// The input of [`Workspace::create_audience`].
#[derive(Clone, Debug, Default)]
pub struct NewAudience {
    /// The id; a new UUID v4 when `None`.
    pub id: Option<String>,
    /// The unique display name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// The PQL text.
    pub pql: String,
    /// The initial state: draft unless given. Deleted is not allowed.
    pub lifecycle_state: Option<LifecycleState>,
    /// The folder, searchable as `folderId`.
    pub folder_id: Option<String>,
}

/// The list response: `{"children": [...], "_page": {...}}`.
#[derive(Clone, Debug, Serialize)]
pub struct AudiencePage {
    /// The audiences of this page, by name.
    pub children: Vec<Audience>,
    /// Counts of the page.
    #[serde(rename = "_page")]
    pub page: AudienceCounts,
}

/// The `_page` object of an audience list.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AudienceCounts {
    /// Audiences that match the filters.
    pub total_count: usize,
    /// Pages of `limit` audiences.
    pub total_pages: usize,
    /// Audiences in this page.
    pub page_size: usize,
    /// The requested page size.
    pub limit: usize,
    /// The offset of this page.
    pub start: usize,
    /// The `start` of the next page, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<usize>,
}

impl Workspace {
    fn lifecycle_dir(&self) -> PathBuf {
        self.root().join("audiences")
    }

    fn lifecycle_path(&self, id: &str) -> PathBuf {
        self.lifecycle_dir().join(format!("{id}.json"))
    }

    /// Returns the stored lifecycle state of a definition; published when none is stored.
    pub(crate) fn definition_state(&self, id: &str) -> Result<LifecycleState, ServiceError> {
        let record: Option<LifecycleRecord> = read_json(&self.lifecycle_path(id))?;
        Ok(record.map_or(LifecycleState::Published, |record| record.lifecycle_state))
    }

    pub(crate) fn save_definition_state(&self, id: &str, state: LifecycleState) -> Result<(), ServiceError> {
        let record = LifecycleRecord { id: id.to_string(), lifecycle_state: state, update_epoch: jiff::Timestamp::now().as_second() };
        write_json(&self.lifecycle_path(id), &record)
    }

    pub(crate) fn delete_definition_state(&self, id: &str) -> Result<(), ServiceError> {
        let path = self.lifecycle_path(id);
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(ServiceError::file("delete", &path, error)),
            _ => Ok(()),
        }
    }

    /// Returns the definitions that jobs evaluate for `*`: every definition that is not
    /// inactive, sorted by id.
    ///
    /// # Errors
    ///
    /// Returns an error when a definition or lifecycle file cannot be read.
    pub fn evaluated_definitions(&self) -> Result<Vec<SegmentDefinition>, ServiceError> {
        let mut evaluated = Vec::new();
        for definition in self.all_definitions()? {
            if self.definition_state(&definition.id)? != LifecycleState::Inactive {
                evaluated.push(definition);
            }
        }
        Ok(evaluated)
    }

    /// Returns the ids of [`Workspace::evaluated_definitions`].
    ///
    /// # Errors
    ///
    /// Returns an error when a definition or lifecycle file cannot be read.
    pub fn evaluated_definition_ids(&self) -> Result<Vec<String>, ServiceError> {
        Ok(self.evaluated_definitions()?.into_iter().map(|definition| definition.id).collect())
    }

    /// Creates a definition-backed audience in the given state, draft by default.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::Lifecycle`] for the deleted state or for a published audience
    /// whose dependencies are not all published, and the errors of
    /// [`Workspace::create_definition`].
    pub fn create_audience(&self, new: NewAudience) -> Result<Audience, ServiceError> {
        let state = new.lifecycle_state.unwrap_or(LifecycleState::Draft);
        if state == LifecycleState::Deleted {
            return Err(ServiceError::Lifecycle(
                "an audience cannot be created in the deleted state; create it as draft or published".to_string(),
            ));
        }
        let mut definition = SegmentDefinition::new(new.name, new.pql);
        definition.id = new.id.unwrap_or_default();
        definition.description = new.description;
        if let Some(folder) = new.folder_id {
            definition.extra.insert("folderId".to_string(), Value::String(folder));
        }
        if state == LifecycleState::Published {
            let graph = self.audience_graph()?;
            self.check_publishable(&definition.name, &expression_dependencies(&definition.expression), &graph)?;
        }
        let definition = self.create_definition(definition)?;
        self.save_definition_state(&definition.id, state)?;
        self.audience(&definition.id)
    }

    /// Returns the audience `id`: a definition or an external audience.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::AudienceNotFound`] when neither exists.
    pub fn audience(&self, id: &str) -> Result<Audience, ServiceError> {
        check_id("audience id", id)?;
        self.all_audiences()?
            .into_iter()
            .find(|audience| audience.id == id)
            .ok_or_else(|| ServiceError::AudienceNotFound { id: id.to_string() })
    }

    /// Returns every audience, definitions and external ones, by name then id, with their
    /// dependencies and dependents.
    ///
    /// # Errors
    ///
    /// Returns an error when a definition or audience file cannot be read.
    pub fn all_audiences(&self) -> Result<Vec<Audience>, ServiceError> {
        let mut audiences = Vec::new();
        for definition in self.all_definitions()? {
            let state = self.definition_state(&definition.id)?;
            audiences.push(definition_audience(definition, state));
        }
        for external in self.external_audiences()? {
            audiences.push(external.to_audience());
        }
        let mut dependents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for audience in &audiences {
            for dependency in &audience.dependencies {
                dependents.entry(dependency.clone()).or_default().insert(audience.id.clone());
            }
        }
        for audience in &mut audiences {
            audience.dependents = dependents.remove(&audience.id).unwrap_or_default().into_iter().collect();
        }
        audiences.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(audiences)
    }

    /// Returns one page of audiences whose name contains `name`, ignoring case.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] for a limit of zero.
    pub fn list_audiences(&self, start: usize, limit: usize, name: Option<&str>) -> Result<AudiencePage, ServiceError> {
        if limit == 0 {
            return Err(crate::schedule::invalid("limit", "0", "a page size of at least 1"));
        }
        let needle = name.map(str::to_lowercase);
        let matching: Vec<Audience> = self
            .all_audiences()?
            .into_iter()
            .filter(|audience| needle.as_ref().is_none_or(|needle| audience.name.to_lowercase().contains(needle)))
            .collect();
        let total_count = matching.len();
        let children: Vec<Audience> = matching.into_iter().skip(start).take(limit).collect();
        let next = (start + children.len() < total_count).then_some(start + children.len());
        let page = AudienceCounts {
            total_count,
            total_pages: total_count.div_ceil(limit),
            page_size: children.len(),
            limit,
            start,
            next,
        };
        Ok(AudiencePage { children, page })
    }
}

fn definition_audience(definition: SegmentDefinition, state: LifecycleState) -> Audience {
    let dependencies = expression_dependencies(&definition.expression);
    let folder_id = definition.extra.get("folderId").and_then(Value::as_str).map(str::to_string);
    Audience {
        audience_id: definition.id.clone(),
        id: definition.id,
        name: definition.name,
        description: definition.description,
        kind: AudienceType::SegmentDefinition,
        namespace: PLATFORM_NAMESPACE.to_string(),
        origin_name: "REAL_TIME_CUSTOMER_PROFILE".to_string(),
        lifecycle_state: state,
        expression: Some(definition.expression),
        ttl_in_days: None,
        folder_id,
        dependencies,
        dependents: Vec::new(),
        create_epoch: definition.creation_time / 1000,
        update_epoch: definition.update_epoch,
    }
}

/// Returns the segment ids an expression reads through `inSegment`, sorted and without
/// duplicates. An expression that does not parse has none; validation reports it elsewhere.
pub fn expression_dependencies(expression: &Expression) -> Vec<String> {
    let Ok(text) = seg_pql::expression_text(&expression.format, &expression.value) else {
        return Vec::new();
    };
    let Ok(query) = seg_pql::parse(&text) else {
        return Vec::new();
    };
    let mut found = BTreeSet::new();
    collect_in_segment(&seg_pql::to_json(&query), &mut found);
    found.into_iter().collect()
}

/// Walks the pql/json tree for `inSegment` calls, whose first parameter is the id literal.
fn collect_in_segment(node: &Value, found: &mut BTreeSet<String>) {
    match node {
        Value::Object(object) => {
            let is_call = object.get("fnName").and_then(Value::as_str) == Some("inSegment")
                && object.get("method").and_then(Value::as_bool) != Some(true);
            if is_call
                && let Some(id) = object.get("params").and_then(|p| p.get(0)).and_then(|p| p.get("value")).and_then(Value::as_str)
            {
                found.insert(id.to_string());
            }
            object.values().for_each(|value| collect_in_segment(value, found));
        }
        Value::Array(items) => items.iter().for_each(|item| collect_in_segment(item, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_come_from_in_segment_calls() {
        let expression = Expression::pql(r#"inSegment("b") and (inSegment("a") or not inSegment("b")) and person.age > 3"#);
        assert_eq!(expression_dependencies(&expression), ["a", "b"]);
    }

    #[test]
    fn unparsable_expression_has_no_dependencies() {
        assert!(expression_dependencies(&Expression::pql("inSegment(")).is_empty());
    }
}
