//! Evaluating one target definition, with the definitions it reads through `inSegment`, over a
//! profile stream: the shared step of preview and estimate.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use roaring::RoaringBitmap;
use seg_eval::EvalContext;

use crate::audience::job_input::ExternalInputs;
use crate::definition::SegmentDefinition;
use crate::engine::{self, Definition, RunOptions};
use crate::error::ServiceError;
use crate::workspace::Workspace;

/// The id an ad hoc expression gets when it is evaluated without a saved definition.
pub const EXPRESSION_ID: &str = "expression";

/// The members of one target segment.
#[derive(Clone, Debug, Default)]
pub struct TargetMembers {
    /// Qualifying row numbers of the stream.
    pub members: RoaringBitmap,
    /// Qualifying profiles per identity namespace.
    pub namespace_counts: BTreeMap<String, u64>,
    /// Profiles read.
    pub total_profiles: u64,
}

/// The segment to evaluate: an ad hoc PQL expression, or a saved definition.
#[derive(Clone, Debug)]
pub enum Target {
    /// PQL text. `inSegment` targets are looked up in the workspace when one is given.
    Expression(String),
    /// The id of a saved definition.
    Definition(String),
}

/// Builds the definition list of `target`: the target itself, then every definition it reads
/// through `inSegment`, transitively. Returns the list and the target's id.
///
/// # Errors
///
/// Returns [`ServiceError::DefinitionNotFound`] for an unknown saved id, and
/// [`ServiceError::InvalidParameter`] for a saved definition asked for without a workspace.
pub fn target_definitions(
    target: &Target,
    workspace: Option<&Workspace>,
    schema: &Schema,
) -> Result<(Vec<SegmentDefinition>, String), ServiceError> {
    let first = match (target, workspace) {
        (Target::Expression(text), _) => {
            let mut definition = SegmentDefinition::new(EXPRESSION_ID, text.clone());
            definition.id = EXPRESSION_ID.to_string();
            definition
        }
        (Target::Definition(id), Some(workspace)) => workspace.definition(id)?,
        (Target::Definition(id), None) => {
            return Err(ServiceError::InvalidParameter {
                parameter: "definition",
                value: id.clone(),
                expected: "a saved definition id together with the workspace that stores it".to_string(),
            });
        }
    };
    let id = first.id.clone();
    let mut definitions = vec![first];
    add_dependencies(&mut definitions, workspace, schema);
    Ok((definitions, id))
}

/// Loads the requested definitions (`*` = all that are not inactive) and, transitively,
/// every definition they read through `inSegment`. The engine orders them so dependencies
/// are evaluated first.
pub(crate) fn resolve(workspace: &Workspace, requested: &[String], schema: &Schema) -> Result<Vec<SegmentDefinition>, ServiceError> {
    let mut definitions = if requested.iter().any(|id| id == "*") {
        workspace.evaluated_definitions()?
    } else {
        let mut seen = BTreeSet::new();
        let mut list = Vec::new();
        for id in requested {
            if seen.insert(id.clone()) {
                list.push(workspace.definition(id)?);
            }
        }
        list
    };
    if definitions.is_empty() {
        return Err(ServiceError::Compile(format!(
            "no segment definitions in workspace {}; create one with `seg definition create`",
            workspace.root().display()
        )));
    }
    add_dependencies(&mut definitions, Some(workspace), schema);
    Ok(definitions)
}

/// Appends the saved definitions that `definitions` read through `inSegment`, transitively.
/// An unknown target is left out, so compiling reports it with the segment that reads it.
fn add_dependencies(definitions: &mut Vec<SegmentDefinition>, workspace: Option<&Workspace>, schema: &Schema) {
    let Some(workspace) = workspace else { return };
    let mut index = 0;
    while index < definitions.len() {
        let text = definitions[index].pql_text().unwrap_or_default();
        let dependencies = seg_pql::parse(&text)
            .and_then(|query| seg_plan::bind(&query, schema))
            .map(|plan| plan.dependencies)
            .unwrap_or_default();
        for dependency in dependencies {
            if !definitions.iter().any(|d| d.id == dependency)
                && let Ok(definition) = workspace.definition(&dependency)
            {
                definitions.push(definition);
            }
        }
        index += 1;
    }
}

/// The engine's input for evaluating a target: its definitions, followed by one definition per
/// external audience they read, and the profile schema with those audiences' columns.
pub(crate) struct PreparedTarget {
    pub definitions: Vec<Definition>,
    pub schema: SchemaRef,
    pub external: ExternalInputs,
}

/// Prepares `definitions` for evaluation at `now` (microseconds) over profiles of `schema`. With
/// a workspace, an `inSegment` that names one of its external audiences reads that audience's
/// members still valid at `now`.
///
/// # Errors
///
/// Returns an error when an external audience cannot be read or its column name is taken, and
/// [`ServiceError::InvalidDefinition`] when a `pql/json` expression cannot be converted.
pub(crate) fn prepare_target(
    definitions: &[SegmentDefinition],
    workspace: Option<&Workspace>,
    schema: &SchemaRef,
    now: i64,
) -> Result<PreparedTarget, ServiceError> {
    let external = match workspace {
        Some(workspace) => workspace.external_inputs(definitions, now)?,
        None => ExternalInputs::default(),
    };
    let mut engine_input = engine_definitions(definitions, workspace)?;
    engine_input.extend(external.definitions());
    Ok(PreparedTarget { definitions: engine_input, schema: external.extend_schema(schema)?, external })
}

/// Converts stored definitions to the engine's input. Each keeps its file path for messages.
///
/// # Errors
///
/// Returns [`ServiceError::InvalidDefinition`] when a `pql/json` expression cannot be
/// converted to PQL text.
pub(crate) fn engine_definitions(definitions: &[SegmentDefinition], workspace: Option<&Workspace>) -> Result<Vec<Definition>, ServiceError> {
    definitions
        .iter()
        .map(|d| {
            Ok(Definition {
                id: d.id.clone(),
                name: d.name.clone(),
                expression: d.pql_text()?,
                path: match workspace {
                    Some(workspace) if d.id != EXPRESSION_ID => workspace.definitions_dir().join(format!("{}.json", d.id)),
                    _ => std::path::PathBuf::from(format!("<{}>", d.id)),
                },
            })
        })
        .collect()
}

/// Evaluates `definitions` over `batches` and returns the members of `target_id`.
///
/// # Errors
///
/// Returns [`ServiceError::Compile`] when a definition does not compile or an `inSegment`
/// target is unknown, and [`ServiceError::Evaluation`] when reading or evaluating fails.
pub fn evaluate_target(
    batches: impl Iterator<Item = Result<RecordBatch, String>>,
    definitions: Vec<Definition>,
    target_id: &str,
    schema: &Schema,
    now: i64,
) -> Result<TargetMembers, ServiceError> {
    let segments = engine::compile(definitions, schema).map_err(|errors| ServiceError::Compile(errors.join("\n")))?;
    let context = EvalContext { now };
    let outcome = engine::run(batches, &segments, &context, RunOptions::default(), |_| ControlFlow::Continue(()))
        .map_err(ServiceError::Evaluation)?;
    let index = segments
        .iter()
        .position(|s| s.definition.id == target_id)
        .ok_or_else(|| ServiceError::Compile(format!("segment `{target_id}` was not compiled")))?;
    Ok(TargetMembers {
        members: outcome.members[index].clone(),
        namespace_counts: outcome.namespace_counts[index].clone(),
        total_profiles: outcome.total_profiles,
    })
}
