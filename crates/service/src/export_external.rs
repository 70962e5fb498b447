//! Export of external audiences.
//!
//! An external audience is a member list imported from CSV, not a set of profiles found by a
//! job, so its export writes that list. Each row contains one member's identity, its namespace,
//! the membership status and times, and the other CSV columns of the import (the payload) as
//! `payload.<column>`. A member whose `validUntil` has passed at export time counts as `exited`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::audience::external::{ExternalMember, ExternalMembers};
use crate::error::ServiceError;
use crate::export::{ExportMetrics, ExportRequest};
use crate::export_writer::OutputFile;
use crate::membership::MembershipStatus;
use crate::workspace::Workspace;

/// The columns every member row has, in order; the payload columns follow.
const MEMBER_COLUMNS: [&str; 5] = ["identity", "identityNamespace", "status", "lastQualificationTime", "validUntil"];

/// The prefix of payload column names, which keeps them apart from the member columns.
const PAYLOAD_PREFIX: &str = "payload.";

/// Rows per written batch.
const ROWS_PER_BATCH: usize = 65_536;

impl Workspace {
    /// Writes the members of external audience `id` that `request` selects to `path`, and adds
    /// them to `metrics`. `now` (microseconds since the Unix epoch) decides which members have
    /// lapsed.
    ///
    /// `request.fields` names the member columns to write, payload columns included; empty writes
    /// them all. `identity` is always written.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::AudienceNotFound`] for an unknown audience,
    /// [`ServiceError::InvalidParameter`] for a field that is not a member column, and a file error
    /// when the member list cannot be read or the output cannot be written.
    pub(crate) fn export_external_members(
        &self,
        id: &str,
        request: &ExportRequest,
        path: &Path,
        now: i64,
        metrics: &mut ExportMetrics,
    ) -> Result<(), ServiceError> {
        let stored = self.external_members(id)?;
        let columns = member_columns(&stored, &request.fields)?;
        let schema: SchemaRef =
            Arc::new(Schema::new(columns.iter().map(|name| Field::new(name, DataType::Utf8, name != "identity")).collect::<Vec<_>>()));

        let selected: Vec<(&String, &ExternalMember, MembershipStatus)> = stored
            .members
            .iter()
            .map(|(identity, member)| (identity, member, status_at(member, now)))
            .filter(|(_, member, status)| is_selected(member, *status, request))
            .collect();

        let mut output = OutputFile::create(path, request.format, &schema)?;
        for chunk in selected.chunks(ROWS_PER_BATCH) {
            let arrays: Vec<ArrayRef> = columns
                .iter()
                .map(|column| {
                    let values = chunk.iter().map(|(identity, member, status)| cell(column, identity, &stored, member, *status));
                    Arc::new(values.collect::<StringArray>()) as ArrayRef
                })
                .collect();
            let batch = RecordBatch::try_new(Arc::clone(&schema), arrays)
                .map_err(|e| ServiceError::Evaluation(format!("cannot build the member rows of external audience `{id}`: {e}")))?;
            output.write(&batch)?;
        }
        let rows = output.finish()?;
        metrics.total_exported_profile_counter += rows;
        if rows > 0 {
            *metrics.exported_profile_by_namespace_counter.entry(stored.identity_namespace.clone()).or_default() += rows;
        }
        Ok(())
    }
}

/// Returns the columns to write: the member columns, then the payload columns in name order,
/// restricted to `fields` when it is not empty.
fn member_columns(stored: &ExternalMembers, fields: &[String]) -> Result<Vec<String>, ServiceError> {
    let payload: BTreeSet<&String> = stored.members.values().flat_map(|member| member.payload.keys()).collect();
    let all: Vec<String> = MEMBER_COLUMNS
        .iter()
        .map(|name| name.to_string())
        .chain(payload.into_iter().map(|name| format!("{PAYLOAD_PREFIX}{name}")))
        .collect();
    if fields.is_empty() {
        return Ok(all);
    }
    for field in fields {
        if !all.contains(field) {
            return Err(ServiceError::InvalidParameter {
                parameter: "fields",
                value: field.clone(),
                expected: format!("a member column of external audience `{}`: {}", stored.audience_id, all.join(", ")),
            });
        }
    }
    Ok(all.into_iter().filter(|column| column == "identity" || fields.contains(column)).collect())
}

/// Returns `realized` while the member is valid at `now`, and `exited` after its `validUntil`.
fn status_at(member: &ExternalMember, now: i64) -> MembershipStatus {
    match member.valid_until.parse::<jiff::Timestamp>() {
        Ok(until) if until.as_microsecond() <= now => MembershipStatus::Exited,
        _ => member.status,
    }
}

fn is_selected(member: &ExternalMember, status: MembershipStatus, request: &ExportRequest) -> bool {
    let qualified = member.last_qualification_time.parse::<jiff::Timestamp>().map(|time| time.as_microsecond()).ok();
    request.statuses.contains(&status)
        && request.qualified_from.is_none_or(|from| qualified.is_some_and(|time| time >= from))
        && request.qualified_until.is_none_or(|until| qualified.is_some_and(|time| time <= until))
}

fn cell<'a>(column: &str, identity: &'a str, stored: &'a ExternalMembers, member: &'a ExternalMember, status: MembershipStatus) -> Option<&'a str> {
    match column {
        "identity" => Some(identity),
        "identityNamespace" => Some(&stored.identity_namespace),
        "status" => Some(match status {
            MembershipStatus::Realized => "realized",
            MembershipStatus::Exited => "exited",
        }),
        "lastQualificationTime" => Some(&member.last_qualification_time),
        "validUntil" => Some(&member.valid_until),
        other => other.strip_prefix(PAYLOAD_PREFIX).and_then(|name| member.payload.get(name)).map(String::as_str),
    }
}
