//! External audiences: identities imported from a CSV file, kept under `external/`.
//!
//! One CSV column contains the identity, in one identity namespace such as `email` or `CRMID`.
//! The other columns are kept with each member as payload, and PQL cannot read them. Each
//! ingestion run marks its identities `realized` until `validUntil`, `ttlInDays` after the run.
//! Jobs match a member to the profiles whose `identityMap` has that identity in that namespace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Audience, AudienceType, LifecycleState, expression_dependencies};
use crate::atomic::{read_json, write_json};
use crate::definition::Expression;
use crate::error::ServiceError;
use crate::membership::MembershipStatus;
use crate::schedule::{invalid, json_files_if_present};
use crate::workspace::{Workspace, check_id};

/// The default `ttlInDays` of an external audience.
pub const DEFAULT_TTL_DAYS: u32 = 30;
/// The valid `ttlInDays` values.
pub const TTL_DAYS: std::ops::RangeInclusive<u32> = 1..=90;
/// The maximum ingestion runs of one audience, the creating run included.
pub const MAX_RUNS: usize = 10;
/// The default namespace of an uploaded audience.
pub const DEFAULT_NAMESPACE: &str = "CustomerAudienceUpload";

/// An external audience record in the service's JSON shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalAudience {
    /// The id; what `inSegment` references.
    pub id: String,
    /// The client's id; the same as `id` unless given.
    pub audience_id: String,
    /// The display name.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The audience namespace, `CustomerAudienceUpload` unless given.
    pub namespace: String,
    /// Always `CUSTOM_UPLOAD`.
    pub origin_name: String,
    /// Published on creation; may be deactivated.
    pub lifecycle_state: LifecycleState,
    /// The CSV columns; the identity column carries `identityNs`.
    pub fields: Vec<ExternalField>,
    /// Days a membership stays valid after the run that wrote it, 1 to 90.
    pub ttl_in_days: u32,
    /// The folder, when one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<String>,
    /// The ingestion runs, oldest first.
    pub runs: Vec<IngestionRun>,
    /// Creation time in seconds since the Unix epoch.
    pub create_epoch: i64,
    /// Last update time in seconds since the Unix epoch.
    pub update_epoch: i64,
}

/// One CSV column of an external audience.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalField {
    /// The column header.
    pub name: String,
    /// Always `string`: CSV values are kept as text.
    #[serde(rename = "type")]
    pub kind: String,
    /// The identity namespace, on the identity column only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_ns: Option<String>,
}

/// The status of an ingestion run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    /// Reading the file.
    Processing,
    /// The members are stored.
    Success,
    /// Stopped by the error in `errors`; the members are unchanged.
    Failed,
}

/// One ingestion run of an external audience.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestionRun {
    /// The run id, a UUID v4.
    pub run_id: String,
    /// The run status.
    pub status: RunStatus,
    /// True to add to the members; false to replace them with the file's.
    pub differential_ingestion: bool,
    /// The CSV file read.
    pub source: PathBuf,
    /// Start time in seconds since the Unix epoch.
    pub created_at: i64,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows skipped because their identity is empty.
    pub rows_skipped: u64,
    /// Realized members after the run.
    pub member_count: u64,
    /// The stages: `DATASET_INGEST` (read the file) then `PROFILE_STORE_INGEST` (store members).
    pub details: Vec<RunStage>,
    /// The reasons the run failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// One stage of an ingestion run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStage {
    /// `DATASET_INGEST` or `PROFILE_STORE_INGEST`.
    pub stage: String,
    /// The stage status.
    pub status: RunStatus,
}

/// The membership of one identity in an external audience.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalMember {
    /// Always `realized`: an import only adds members; they lapse at `validUntil`.
    pub status: MembershipStatus,
    /// The time of the run that last wrote the member, RFC 3339.
    pub last_qualification_time: String,
    /// The end of the membership, RFC 3339.
    pub valid_until: String,
    /// The other columns of the member's row, which an export of the audience writes as
    /// `payload.<column>`.
    pub payload: BTreeMap<String, String>,
}

/// The stored members of an external audience, by identity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalMembers {
    /// The audience.
    pub audience_id: String,
    /// The identity namespace the members are in.
    pub identity_namespace: String,
    /// Members by identity.
    pub members: BTreeMap<String, ExternalMember>,
}

/// The input of [`Workspace::create_external_audience`].
#[derive(Clone, Debug, Default)]
pub struct NewExternalAudience {
    /// The id; a new UUID v4 when `None`.
    pub id: Option<String>,
    /// The client's id; the id when `None`.
    pub audience_id: Option<String>,
    /// The display name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// The audience namespace; `CustomerAudienceUpload` when `None`.
    pub namespace: Option<String>,
    /// The CSV column that contains the identities.
    pub identity_column: String,
    /// The identity namespace of that column, such as `email`.
    pub identity_namespace: String,
    /// Days a membership stays valid; 30 when `None`.
    pub ttl_in_days: Option<u32>,
    /// The folder, searchable as `folderId`.
    pub folder_id: Option<String>,
}

impl ExternalAudience {
    /// Returns the identity column and its namespace.
    pub fn identity(&self) -> (&str, &str) {
        self.fields
            .iter()
            .find_map(|field| field.identity_ns.as_deref().map(|ns| (field.name.as_str(), ns)))
            .unwrap_or(("", ""))
    }

    pub(crate) fn to_audience(&self) -> Audience {
        Audience {
            id: self.id.clone(),
            audience_id: self.audience_id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            kind: AudienceType::ExternalSegment,
            namespace: self.namespace.clone(),
            origin_name: self.origin_name.clone(),
            lifecycle_state: self.lifecycle_state,
            expression: None,
            ttl_in_days: Some(self.ttl_in_days),
            folder_id: self.folder_id.clone(),
            dependencies: Vec::new(),
            dependents: Vec::new(),
            create_epoch: self.create_epoch,
            update_epoch: self.update_epoch,
        }
    }
}

impl Workspace {
    fn external_dir(&self) -> PathBuf {
        self.root().join("external")
    }

    fn external_path(&self, id: &str) -> PathBuf {
        self.external_dir().join(format!("{id}.json"))
    }

    fn external_members_path(&self, id: &str) -> PathBuf {
        self.external_dir().join("members").join(format!("{id}.json"))
    }

    /// Creates an external audience, published, and runs its first ingestion of `csv`.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] for an empty name, a `ttlInDays` outside 1
    /// to 90, an id that is taken, or a file without the identity column. A run that fails
    /// after the audience was stored is recorded with status `FAILED` and returned.
    pub fn create_external_audience(
        &self,
        new: NewExternalAudience,
        csv: &Path,
        now: jiff::Timestamp,
    ) -> Result<(ExternalAudience, IngestionRun), ServiceError> {
        if new.name.trim().is_empty() {
            return Err(invalid("audience name", &new.name, "a non-empty name"));
        }
        let ttl = new.ttl_in_days.unwrap_or(DEFAULT_TTL_DAYS);
        check_ttl(ttl)?;
        if new.identity_namespace.trim().is_empty() {
            return Err(invalid("identity namespace", &new.identity_namespace, "an identity namespace such as `email` or `CRMID`"));
        }
        let headers = read_headers(csv)?;
        if !headers.contains(&new.identity_column) {
            return Err(missing_column(&new.identity_column, csv, &headers));
        }

        let id = new.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        check_id("audience id", &id)?;
        if self.external_path(&id).exists() || self.definition(&id).is_ok() {
            return Err(invalid("audience id", &id, "an id that no audience or definition uses yet"));
        }
        let fields = headers
            .iter()
            .map(|name| ExternalField {
                name: name.clone(),
                kind: "string".to_string(),
                identity_ns: (*name == new.identity_column).then(|| new.identity_namespace.clone()),
            })
            .collect();

        let audience = ExternalAudience {
            audience_id: new.audience_id.unwrap_or_else(|| id.clone()),
            id,
            name: new.name,
            description: new.description,
            namespace: new.namespace.unwrap_or_else(|| DEFAULT_NAMESPACE.to_string()),
            origin_name: "CUSTOM_UPLOAD".to_string(),
            lifecycle_state: LifecycleState::Published,
            fields,
            ttl_in_days: ttl,
            folder_id: new.folder_id,
            runs: Vec::new(),
            create_epoch: now.as_second(),
            update_epoch: now.as_second(),
        };
        write_json(&self.external_path(&audience.id), &audience)?;
        tracing::info!(id = %audience.id, name = %audience.name, "created external audience");

        let run = self.ingest_external(&audience.id, csv, true, now)?;
        Ok((self.external_audience(&audience.id)?, run))
    }

    /// Returns the external audience `id`.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::AudienceNotFound`] when there is none.
    pub fn external_audience(&self, id: &str) -> Result<ExternalAudience, ServiceError> {
        check_id("audience id", id)?;
        read_json(&self.external_path(id))?.ok_or_else(|| ServiceError::AudienceNotFound { id: id.to_string() })
    }

    /// Returns every external audience, by id.
    ///
    /// # Errors
    ///
    /// Returns an error when a file cannot be read or parsed.
    pub fn external_audiences(&self) -> Result<Vec<ExternalAudience>, ServiceError> {
        let mut audiences = Vec::new();
        for path in json_files_if_present(&self.external_dir())? {
            if let Some(audience) = read_json::<ExternalAudience>(&path)? {
                audiences.push(audience);
            }
        }
        Ok(audiences)
    }

    /// Returns the stored members of the external audience `id`, expired ones included.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::AudienceNotFound`] for an unknown audience.
    pub fn external_members(&self, id: &str) -> Result<ExternalMembers, ServiceError> {
        let audience = self.external_audience(id)?;
        let stored: Option<ExternalMembers> = read_json(&self.external_members_path(id))?;
        Ok(stored.unwrap_or_else(|| ExternalMembers {
            audience_id: id.to_string(),
            identity_namespace: audience.identity().1.to_string(),
            members: BTreeMap::new(),
        }))
    }

    /// Sets the `ttlInDays` of the external audience `id`; later runs use it.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] for a value outside 1 to 90.
    pub fn set_external_ttl(&self, id: &str, ttl_in_days: u32) -> Result<ExternalAudience, ServiceError> {
        check_ttl(ttl_in_days)?;
        let mut audience = self.external_audience(id)?;
        audience.ttl_in_days = ttl_in_days;
        audience.update_epoch = jiff::Timestamp::now().as_second();
        write_json(&self.external_path(id), &audience)?;
        Ok(audience)
    }

    /// Reads `csv` into the members of the external audience `id` and returns the run. With
    /// `differential`, the file's identities are added to the members; otherwise they replace
    /// them. Every identity of the file gets `validUntil` = `now` + `ttlInDays`.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::AudienceNotFound`] for an unknown audience and
    /// [`ServiceError::InvalidParameter`] after [`MAX_RUNS`] runs. A file that cannot be read
    /// gives a run with status `FAILED`, not an error.
    pub fn ingest_external(&self, id: &str, csv: &Path, differential: bool, now: jiff::Timestamp) -> Result<IngestionRun, ServiceError> {
        let mut audience = self.external_audience(id)?;
        if audience.runs.len() >= MAX_RUNS {
            return Err(invalid(
                "ingestion run",
                &csv.display().to_string(),
                &format!("at most {MAX_RUNS} runs per external audience; create a new external audience for more imports"),
            ));
        }
        // The workspace lock keeps other processes out, so a run still PROCESSING was
        // interrupted by the end of the process that ran it.
        for run in audience.runs.iter_mut().filter(|run| run.status == RunStatus::Processing) {
            run.status = RunStatus::Failed;
            run.errors.push("the seg process ended before the run finished; the members are unchanged".to_string());
        }
        let mut run = IngestionRun {
            run_id: uuid::Uuid::new_v4().to_string(),
            status: RunStatus::Processing,
            differential_ingestion: differential,
            source: csv.to_path_buf(),
            created_at: now.as_second(),
            rows_read: 0,
            rows_skipped: 0,
            member_count: 0,
            details: Vec::new(),
            errors: Vec::new(),
        };
        audience.runs.push(run.clone());
        write_json(&self.external_path(id), &audience)?;

        let outcome = self.read_members(&audience, csv, differential, now, &mut run);
        match outcome {
            Ok(members) => {
                run.details.push(RunStage { stage: "DATASET_INGEST".to_string(), status: RunStatus::Success });
                run.member_count = members.members.len() as u64;
                write_json(&self.external_members_path(id), &members)?;
                run.details.push(RunStage { stage: "PROFILE_STORE_INGEST".to_string(), status: RunStatus::Success });
                run.status = RunStatus::Success;
            }
            Err(error) => {
                run.details.push(RunStage { stage: "DATASET_INGEST".to_string(), status: RunStatus::Failed });
                run.errors.push(error.to_string());
                run.status = RunStatus::Failed;
                tracing::error!(id, run_id = %run.run_id, %error, "external audience ingestion failed");
            }
        }
        if let Some(stored) = audience.runs.last_mut() {
            *stored = run.clone();
        }
        audience.update_epoch = now.as_second();
        write_json(&self.external_path(id), &audience)?;
        tracing::info!(id, run_id = %run.run_id, status = ?run.status, members = run.member_count, "external audience ingestion ended");
        Ok(run)
    }

    fn read_members(
        &self,
        audience: &ExternalAudience,
        csv: &Path,
        differential: bool,
        now: jiff::Timestamp,
        run: &mut IngestionRun,
    ) -> Result<ExternalMembers, ServiceError> {
        let (identity_column, namespace) = audience.identity();
        let mut members = if differential {
            self.external_members(&audience.id)?
        } else {
            ExternalMembers { audience_id: audience.id.clone(), identity_namespace: namespace.to_string(), members: BTreeMap::new() }
        };
        let mut reader = csv::Reader::from_path(csv).map_err(|e| csv_error(csv, e))?;
        let headers: Vec<String> = reader.headers().map_err(|e| csv_error(csv, e))?.iter().map(str::to_string).collect();
        let Some(identity_index) = headers.iter().position(|name| name == identity_column) else {
            return Err(missing_column(identity_column, csv, &headers));
        };
        let ttl = jiff::SignedDuration::from_hours(24 * i64::from(audience.ttl_in_days));
        let valid_until = now.saturating_add(ttl).map_err(|e| invalid("ttlInDays", &audience.ttl_in_days.to_string(), &e.to_string()))?;
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(csv, e))?;
            run.rows_read += 1;
            let identity = record.get(identity_index).unwrap_or_default().trim();
            if identity.is_empty() {
                run.rows_skipped += 1;
                continue;
            }
            let payload = headers
                .iter()
                .zip(record.iter())
                .enumerate()
                .filter(|(index, _)| *index != identity_index)
                .map(|(_, (name, value))| (name.clone(), value.to_string()))
                .collect();
            let member = ExternalMember {
                status: MembershipStatus::Realized,
                last_qualification_time: now.to_string(),
                valid_until: valid_until.to_string(),
                payload,
            };
            members.members.insert(identity.to_string(), member);
        }
        Ok(members)
    }

    pub(crate) fn save_external_state(&self, id: &str, state: LifecycleState) -> Result<(), ServiceError> {
        let mut audience = self.external_audience(id)?;
        audience.lifecycle_state = state;
        audience.update_epoch = jiff::Timestamp::now().as_second();
        write_json(&self.external_path(id), &audience)
    }

    pub(crate) fn delete_external(&self, id: &str) -> Result<(), ServiceError> {
        for path in [self.external_path(id), self.external_members_path(id)] {
            match std::fs::remove_file(&path) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(ServiceError::file("delete", &path, error)),
                _ => {}
            }
        }
        Ok(())
    }

    /// Returns the ids that the definitions read through `inSegment` and that name an
    /// external audience, with its record.
    pub(crate) fn referenced_externals(&self, expressions: &[&Expression]) -> Result<Vec<ExternalAudience>, ServiceError> {
        let mut found: Vec<ExternalAudience> = Vec::new();
        for expression in expressions {
            for id in expression_dependencies(expression) {
                let known = found.iter().any(|audience| audience.id == id);
                if !known && check_id("audience id", &id).is_ok() && let Some(audience) = read_json(&self.external_path(&id))? {
                    found.push(audience);
                }
            }
        }
        Ok(found)
    }
}

fn check_ttl(ttl: u32) -> Result<(), ServiceError> {
    if TTL_DAYS.contains(&ttl) {
        Ok(())
    } else {
        Err(invalid("ttlInDays", &ttl.to_string(), "a whole number of days from 1 to 90; the default is 30"))
    }
}

fn read_headers(csv: &Path) -> Result<Vec<String>, ServiceError> {
    let mut reader = csv::Reader::from_path(csv).map_err(|e| csv_error(csv, e))?;
    Ok(reader.headers().map_err(|e| csv_error(csv, e))?.iter().map(str::to_string).collect())
}

fn missing_column(column: &str, csv: &Path, headers: &[String]) -> ServiceError {
    invalid(
        "identity column",
        column,
        &format!("a column of the header of {}, which has: {}", csv.display(), headers.join(", ")),
    )
}

fn csv_error(csv: &Path, error: csv::Error) -> ServiceError {
    match error.into_kind() {
        csv::ErrorKind::Io(source) => ServiceError::file("read", csv, source),
        other => invalid("CSV file", &csv.display().to_string(), &format!("a CSV file with a header row; reading failed: {other:?}")),
    }
}
