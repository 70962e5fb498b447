//! The definition catalog: create, list, get, update and delete segment definitions, one JSON
//! file per definition under `definitions/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use arrow::datatypes::SchemaRef;
use serde::Serialize;

use crate::atomic::{read_json, write_json};
use crate::definition::SegmentDefinition;
use crate::error::ServiceError;
use crate::workspace::{Workspace, check_id, json_files};

/// Paging and sorting of a definition list.
#[derive(Clone, Debug)]
pub struct ListQuery {
    /// The offset of the first definition returned.
    pub start: usize,
    /// The page size.
    pub limit: usize,
    /// `field:asc` or `field:desc` over `name`, `creationTime` or `updateTime`.
    pub sort: String,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery { start: 0, limit: 100, sort: "creationTime:desc".to_string() }
    }
}

/// One page of definitions, with the list response's `page` object.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DefinitionPage {
    /// The definitions of this page.
    pub segments: Vec<SegmentDefinition>,
    /// Counts and the sort applied.
    pub page: PageInfo,
}

/// The `page` object of a list response.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// Definitions in the catalog.
    pub total_count: usize,
    /// Pages of `limit` definitions.
    pub total_pages: usize,
    /// The field sorted on.
    pub sort_field: String,
    /// `asc` or `desc`.
    pub sort: String,
    /// Definitions in this page.
    pub page_size: usize,
    /// The requested page size.
    pub limit: usize,
}

impl Workspace {
    fn definition_path(&self, id: &str) -> PathBuf {
        self.definitions_dir().join(format!("{id}.json"))
    }

    /// Stores a new definition and returns it with its id and times.
    ///
    /// The id is the input's when given, otherwise a new UUID v4.
    ///
    /// # Errors
    ///
    /// Returns a validation error, [`ServiceError::NameConflict`] when the name is taken, or
    /// [`ServiceError::IdConflict`] when the given id is taken.
    pub fn create_definition(&self, mut definition: SegmentDefinition) -> Result<SegmentDefinition, ServiceError> {
        if definition.id.is_empty() {
            definition.id = uuid::Uuid::new_v4().to_string();
        }
        check_id("segment definition id", &definition.id)?;
        self.validate_and_classify(&mut definition)?;
        if self.definition_path(&definition.id).exists() {
            return Err(ServiceError::IdConflict { id: definition.id });
        }
        self.check_unique_name(&definition.name, &definition.id)?;
        let now = jiff::Timestamp::now();
        definition.creation_time = now.as_millisecond();
        definition.update_time = definition.creation_time;
        definition.update_epoch = now.as_second();
        write_json(&self.definition_path(&definition.id), &definition)?;
        tracing::info!(id = %definition.id, name = %definition.name, "created segment definition");
        Ok(definition)
    }

    /// Returns the definition with `id`.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::DefinitionNotFound`] when there is none.
    pub fn definition(&self, id: &str) -> Result<SegmentDefinition, ServiceError> {
        check_id("segment definition id", id)?;
        read_json(&self.definition_path(id))?.ok_or_else(|| ServiceError::DefinitionNotFound { id: id.to_string() })
    }

    /// Returns the definitions with the given ids, keyed by id.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::DefinitionNotFound`] for the first unknown id.
    pub fn definitions_bulk(&self, ids: &[String]) -> Result<BTreeMap<String, SegmentDefinition>, ServiceError> {
        ids.iter().map(|id| Ok((id.clone(), self.definition(id)?))).collect()
    }

    /// Returns every definition, sorted by id.
    ///
    /// # Errors
    ///
    /// Returns an error when a definition file cannot be read or parsed.
    pub fn all_definitions(&self) -> Result<Vec<SegmentDefinition>, ServiceError> {
        let mut definitions = Vec::new();
        for path in json_files(&self.definitions_dir())? {
            if let Some(definition) = read_json::<SegmentDefinition>(&path)? {
                definitions.push(definition);
            }
        }
        Ok(definitions)
    }

    /// Returns one page of definitions in the requested order; ties keep id order.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] for an unknown sort field or direction, or
    /// a limit of zero.
    pub fn list_definitions(&self, query: &ListQuery) -> Result<DefinitionPage, ServiceError> {
        let (field, direction) = parse_sort(&query.sort)?;
        if query.limit == 0 {
            return Err(ServiceError::InvalidParameter {
                parameter: "limit",
                value: "0".to_string(),
                expected: "a page size of at least 1".to_string(),
            });
        }
        let mut definitions = self.all_definitions()?;
        definitions.sort_by(|a, b| {
            let order = match field {
                "name" => a.name.cmp(&b.name),
                "updateTime" => a.update_time.cmp(&b.update_time),
                _ => a.creation_time.cmp(&b.creation_time),
            };
            if direction == "desc" { order.reverse() } else { order }
        });
        let total_count = definitions.len();
        let segments: Vec<SegmentDefinition> = definitions.into_iter().skip(query.start).take(query.limit).collect();
        let page = PageInfo {
            total_count,
            total_pages: total_count.div_ceil(query.limit),
            sort_field: field.to_string(),
            sort: direction.to_string(),
            page_size: segments.len(),
            limit: query.limit,
        };
        Ok(DefinitionPage { segments, page })
    }

    /// Overwrites the definition `id` with `definition`, keeping the id and creation time.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::DefinitionNotFound`], a validation error, or
    /// [`ServiceError::NameConflict`] when the new name belongs to another definition.
    pub fn update_definition(&self, id: &str, mut definition: SegmentDefinition) -> Result<SegmentDefinition, ServiceError> {
        let existing = self.definition(id)?;
        definition.id = existing.id;
        self.validate_and_classify(&mut definition)?;
        self.check_unique_name(&definition.name, id)?;
        let now = jiff::Timestamp::now();
        definition.creation_time = existing.creation_time;
        definition.update_time = now.as_millisecond().max(existing.update_time);
        definition.update_epoch = now.as_second();
        write_json(&self.definition_path(id), &definition)?;
        tracing::info!(id, "updated segment definition");
        Ok(definition)
    }

    /// Deletes the definition `id` and its memberships.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::DefinitionNotFound`] when there is none, and
    /// [`ServiceError::DefinitionInUse`] when another definition reads it through `inSegment`.
    pub fn delete_definition(&self, id: &str) -> Result<(), ServiceError> {
        let path = self.definition_path(id);
        self.definition(id)?;
        if let Some(reader) = self.reader_of(id)? {
            return Err(ServiceError::DefinitionInUse { id: id.to_string(), reader });
        }
        fs::remove_file(&path).map_err(|e| ServiceError::file("delete", &path, e))?;
        self.delete_memberships(id)?;
        tracing::info!(id, "deleted segment definition");
        Ok(())
    }

    /// Validates `definition` and sets its `evaluationInfo` from the eligibility classifier.
    /// Without a known profile schema the expression cannot be bound, so it stays batch only
    /// until a segment job classifies it.
    fn validate_and_classify(&self, definition: &mut SegmentDefinition) -> Result<(), ServiceError> {
        let schema = self.known_schema()?;
        definition.evaluation_info = match definition.validate(schema.as_deref())? {
            Some(plan) => {
                let schema = schema.as_deref();
                seg_plan::classify_with(&plan, |id| schema.and_then(|schema| self.profile_only(id, schema, 0))).info
            }
            None => crate::definition::batch_only(),
        };
        Ok(())
    }

    /// Returns whether the stored definition `id` reads no events, following its `inSegment`
    /// targets. Returns `None` when it is unknown, does not bind, or the chain is deeper than 64.
    fn profile_only(&self, id: &str, schema: &arrow::datatypes::Schema, depth: usize) -> Option<bool> {
        if depth > 64 {
            return None;
        }
        let definition = self.definition(id).ok()?;
        let text = definition.pql_text().ok()?;
        let plan = seg_pql::parse(&text).and_then(|query| seg_plan::bind(&query, schema)).ok()?;
        Some(seg_plan::classify_with(&plan, |inner| self.profile_only(inner, schema, depth + 1)).profile_only)
    }

    /// Stores a new `evaluationInfo` for the definition `id`, keeping its update times, because
    /// a reclassification is not an edit by the user.
    pub(crate) fn save_evaluation_info(&self, id: &str, info: seg_plan::EvaluationInfo) -> Result<(), ServiceError> {
        let mut definition = self.definition(id)?;
        if definition.evaluation_info != info {
            definition.evaluation_info = info;
            write_json(&self.definition_path(id), &definition)?;
            tracing::info!(id, evaluation_info = %info, "reclassified segment definition");
        }
        Ok(())
    }

    /// Returns the id of a stored definition that reads `id` through `inSegment`. Finding the
    /// targets needs a bound plan, so without a known profile schema no reader is found.
    fn reader_of(&self, id: &str) -> Result<Option<String>, ServiceError> {
        let Some(schema) = self.known_schema()? else {
            return Ok(None);
        };
        for definition in self.all_definitions()? {
            let Ok(text) = definition.pql_text() else { continue };
            let plan = seg_pql::parse(&text).and_then(|query| seg_plan::bind(&query, &schema));
            if definition.id != id && plan.is_ok_and(|plan| plan.dependencies.iter().any(|target| target == id)) {
                return Ok(Some(definition.id));
            }
        }
        Ok(None)
    }

    fn check_unique_name(&self, name: &str, own_id: &str) -> Result<(), ServiceError> {
        let owner = self.all_definitions()?.into_iter().find(|d| d.name == name && d.id != own_id);
        match owner {
            Some(owner) => Err(ServiceError::NameConflict { name: name.to_string(), id: owner.id }),
            None => Ok(()),
        }
    }

    /// Returns the schema of the profile file of the last segment job. Returns `None` when no
    /// job has run or that file can no longer be opened, so definitions are checked for syntax only.
    ///
    /// # Errors
    ///
    /// Returns an error when `workspace.json` cannot be read.
    pub fn known_schema(&self) -> Result<Option<SchemaRef>, ServiceError> {
        let Some(profiles) = self.state()?.profiles else {
            return Ok(None);
        };
        match seg_io::open(&profiles, &seg_io::ReadOptions::default()) {
            Ok(reader) => Ok(Some(reader.schema())),
            Err(error) => {
                tracing::warn!(profiles = %profiles.display(), %error, "cannot open the last profile file; checking syntax only");
                Ok(None)
            }
        }
    }
}

fn parse_sort(sort: &str) -> Result<(&str, &str), ServiceError> {
    let (field, direction) = sort.split_once(':').unwrap_or((sort, "asc"));
    let field_ok = matches!(field, "name" | "creationTime" | "updateTime");
    let direction_ok = matches!(direction, "asc" | "desc");
    if field_ok && direction_ok {
        Ok((field, direction))
    } else {
        Err(ServiceError::InvalidParameter {
            parameter: "sort",
            value: sort.to_string(),
            expected: "`field:asc` or `field:desc` with field `name`, `creationTime` or `updateTime`".to_string(),
        })
    }
}
