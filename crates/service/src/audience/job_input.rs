//! External audiences as inputs of segment jobs, previews and estimates.
//!
//! The engine evaluates `inSegment("x")` from the masks of segments evaluated earlier in the same
//! batch. For an external audience `x`, the evaluation adds a boolean column to every profile batch,
//! true where the profile's `identityMap` contains a current member's identity in the audience's
//! identity namespace, and evaluates `x` as the segment `<column> = true` before the segments
//! that read it. A job writes no memberships for it, because they come from the imports.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::definition::SegmentDefinition;
use crate::engine::Definition;
use crate::error::ServiceError;
use crate::workspace::Workspace;

/// The prefix of the added columns; a number follows it.
const COLUMN_PREFIX: &str = "segExternalAudience";

/// The external audiences one job reads, with their current members.
#[derive(Debug, Default)]
pub struct ExternalInputs {
    audiences: Vec<ExternalColumn>,
}

#[derive(Debug)]
struct ExternalColumn {
    id: String,
    column: String,
    namespace: String,
    identities: HashSet<String>,
}

impl Workspace {
    /// Loads the external audiences that `definitions` read through `inSegment`, keeping the
    /// members still valid at `now` (microseconds since the Unix epoch). Inactive audiences
    /// have no members.
    ///
    /// # Errors
    ///
    /// Returns an error when an audience or member file cannot be read.
    pub fn external_inputs(&self, definitions: &[SegmentDefinition], now: i64) -> Result<ExternalInputs, ServiceError> {
        let expressions: Vec<_> = definitions.iter().map(|definition| &definition.expression).collect();
        let mut audiences = Vec::new();
        for (index, audience) in self.referenced_externals(&expressions)?.into_iter().enumerate() {
            let stored = self.external_members(&audience.id)?;
            let active = audience.lifecycle_state == super::LifecycleState::Published;
            let identities = stored
                .members
                .into_iter()
                .filter(|(_, member)| active && is_valid_at(&member.valid_until, now))
                .map(|(identity, _)| identity)
                .collect();
            audiences.push(ExternalColumn {
                id: audience.id.clone(),
                column: format!("{COLUMN_PREFIX}{index}"),
                namespace: stored.identity_namespace,
                identities,
            });
        }
        Ok(ExternalInputs { audiences })
    }
}

impl ExternalInputs {
    /// True when `id` is one of the external audiences.
    pub fn contains(&self, id: &str) -> bool {
        self.audiences.iter().any(|audience| audience.id == id)
    }

    /// Returns `schema` with one boolean column per external audience.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::Compile`] when the profiles already have a column of that name.
    pub fn extend_schema(&self, schema: &SchemaRef) -> Result<SchemaRef, ServiceError> {
        if self.audiences.is_empty() {
            return Ok(Arc::clone(schema));
        }
        let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
        for audience in &self.audiences {
            if schema.field_with_name(&audience.column).is_ok() {
                return Err(ServiceError::Compile(format!(
                    "the profiles have a column `{}`, a name the job needs for external audience `{}`; rename that column",
                    audience.column, audience.id
                )));
            }
            fields.push(Arc::new(Field::new(&audience.column, DataType::Boolean, false)));
        }
        Ok(Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())))
    }

    /// Returns one definition per external audience, reading its column.
    pub fn definitions(&self) -> Vec<Definition> {
        self.audiences
            .iter()
            .map(|audience| Definition {
                id: audience.id.clone(),
                name: audience.id.clone(),
                expression: format!("{} = true", audience.column),
                path: PathBuf::from(format!("<external audience {}>", audience.id)),
            })
            .collect()
    }

    /// Appends the membership columns to every batch of `batches`.
    pub fn extend_batches<'a>(
        &'a self,
        batches: impl Iterator<Item = Result<RecordBatch, String>> + 'a,
    ) -> impl Iterator<Item = Result<RecordBatch, String>> + 'a {
        batches.map(|batch| batch.and_then(|batch| self.extend_batch(batch)))
    }

    /// Appends the membership column of every external audience to `batch`.
    ///
    /// # Errors
    ///
    /// Returns a message when the batch cannot be rebuilt with the new columns.
    pub fn extend_batch(&self, batch: RecordBatch) -> Result<RecordBatch, String> {
        if self.audiences.is_empty() {
            return Ok(batch);
        }
        let schema = self.extend_schema(&batch.schema()).map_err(|e| e.to_string())?;
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        for audience in &self.audiences {
            columns.push(Arc::new(membership_mask(&batch, &audience.namespace, &audience.identities)));
        }
        RecordBatch::try_new(schema, columns).map_err(|e| format!("adding external audience columns failed: {e}"))
    }
}

/// Returns, per row, whether the row's `identityMap` has an identity of `identities` in
/// `namespace`. A batch without an `identityMap` of the XDM shape matches no row.
fn membership_mask(batch: &RecordBatch, namespace: &str, identities: &HashSet<String>) -> BooleanArray {
    let rows = batch.num_rows();
    let Some(map) = batch.column_by_name(seg_io::xdm::IDENTITY_MAP_COLUMN).and_then(|column| column.as_map_opt()) else {
        return BooleanArray::from(vec![false; rows]);
    };
    let Some(keys) = map.keys().as_string_opt::<i32>() else {
        return BooleanArray::from(vec![false; rows]);
    };
    let Some(lists) = map.values().as_list_opt::<i32>() else {
        return BooleanArray::from(vec![false; rows]);
    };
    let offsets = map.value_offsets();
    let mut mask = Vec::with_capacity(rows);
    for row in 0..rows {
        let mut member = false;
        if !map.is_null(row) {
            for entry in offsets[row] as usize..offsets[row + 1] as usize {
                if keys.is_null(entry) || keys.value(entry) != namespace || lists.is_null(entry) {
                    continue;
                }
                let identities_of_entry = lists.value(entry);
                let ids = identities_of_entry
                    .as_struct_opt()
                    .and_then(|structs| structs.column_by_name("id"))
                    .and_then(|column| column.as_string_opt::<i32>().cloned());
                if let Some(ids) = ids {
                    member = ids.iter().flatten().any(|id| identities.contains(id));
                }
                if member {
                    break;
                }
            }
        }
        mask.push(member);
    }
    BooleanArray::from(mask)
}

fn is_valid_at(valid_until: &str, now: i64) -> bool {
    valid_until.parse::<jiff::Timestamp>().is_ok_and(|until| until.as_microsecond() > now)
}
