//! Schedules: objects that run batch segmentation or export jobs at the fire times of a Quartz
//! cron expression, one JSON file per schedule under `schedules/`.

pub mod cron;
pub mod scheduler;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::atomic::{read_json, write_json};
use crate::error::ServiceError;
use crate::export_writer::ExportFormat;
use crate::workspace::{Workspace, check_id, json_files};

pub use cron::QuartzCron;
pub use scheduler::{Clock, FiredRun, Scheduler, ServeOptions, SystemClock, TickReport, serve};

/// What a schedule runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleType {
    /// A segment job over `properties.segments`.
    BatchSegmentation,
    /// An export of the members of `properties.segments` to `properties.destination`.
    Export,
}

/// Whether a schedule fires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleState {
    /// The scheduler fires it at its cron times.
    Active,
    /// The scheduler ignores it; the default for a new schedule.
    #[default]
    Inactive,
}

/// The `properties` object of a schedule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleProperties {
    /// Definition ids, or `["*"]` for every definition that is not inactive.
    pub segments: Vec<String>,
    /// For export schedules, the directory that receives one subdirectory per run; stored as
    /// an absolute path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<PathBuf>,
    /// For export schedules, the file format: `parquet`, `ndjson` or `csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// The record of the last run a schedule started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleRun {
    /// The run id, a UUID v4, also stored on the jobs of the run.
    pub run_id: String,
    /// The cron fire time the run stands for, RFC 3339.
    pub fire_time: String,
    /// When the scheduler started the run, RFC 3339.
    pub started_at: String,
    /// The segment or export job ids of the run.
    pub job_ids: Vec<String>,
}

/// A schedule object in the service's JSON shape, with the scheduler's bookkeeping.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    /// The schedule id, a UUID v4.
    pub id: String,
    /// The display name.
    pub name: String,
    /// What the schedule runs.
    #[serde(rename = "type")]
    pub kind: ScheduleType,
    /// The segments and, for exports, the destination.
    pub properties: ScheduleProperties,
    /// The Quartz cron expression, in UTC.
    pub schedule: String,
    /// Active or inactive.
    pub state: ScheduleState,
    /// Creation time in seconds since the Unix epoch.
    pub create_epoch: i64,
    /// Last update time in seconds since the Unix epoch.
    pub update_epoch: i64,
    /// The last run the scheduler started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<ScheduleRun>,
    /// RFC 3339 time up to which the scheduler has handled the fire times; absent until the
    /// scheduler first sees the schedule active, and cleared while it is inactive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_until: Option<String>,
}

/// The input of [`Workspace::create_schedule`].
#[derive(Clone, Debug)]
pub struct NewSchedule {
    /// The display name.
    pub name: String,
    /// What the schedule runs.
    pub kind: ScheduleType,
    /// The segments and, for exports, the destination.
    pub properties: ScheduleProperties,
    /// The Quartz cron expression.
    pub schedule: String,
    /// The initial state; inactive unless given.
    pub state: ScheduleState,
}

/// One operation of a schedule update, in JSON Patch form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PatchOperation {
    /// `add` or `replace`; both set the value.
    pub op: String,
    /// `/state` or `/schedule`.
    pub path: String,
    /// The new state (`active`, `inactive`) or cron expression.
    pub value: Value,
}

/// The list response: `{"_page": {...}, "children": [...]}`.
#[derive(Clone, Debug, Serialize)]
pub struct SchedulePage {
    /// Counts of the page.
    #[serde(rename = "_page")]
    pub page: ScheduleCounts,
    /// The schedules of this page, oldest first.
    pub children: Vec<Schedule>,
}

/// The `_page` object of a schedule list.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleCounts {
    /// Schedules in the workspace.
    pub total_count: usize,
    /// Schedules in this page.
    pub page_size: usize,
    /// The `start` of the next page, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<usize>,
}

impl Workspace {
    fn schedules_dir(&self) -> PathBuf {
        self.root().join("schedules")
    }

    fn schedule_path(&self, id: &str) -> PathBuf {
        self.schedules_dir().join(format!("{id}.json"))
    }

    /// Validates and stores a new schedule.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] for an empty name, an invalid cron
    /// expression, missing segments or an export schedule without destination or format, and
    /// [`ServiceError::DefinitionNotFound`] for an unknown segment id.
    pub fn create_schedule(&self, mut new: NewSchedule) -> Result<Schedule, ServiceError> {
        // A relative destination is stored as absolute, so runs write to the same place
        // whatever the working directory of `seg schedule serve`.
        new.properties.destination = new.properties.destination.map(|path| std::path::absolute(&path).unwrap_or(path));
        if new.name.trim().is_empty() {
            return Err(invalid("schedule name", &new.name, "a non-empty name"));
        }
        QuartzCron::parse(&new.schedule)?;
        self.check_properties(new.kind, &new.properties)?;
        let now = jiff::Timestamp::now().as_second();
        let schedule = Schedule {
            id: uuid::Uuid::new_v4().to_string(),
            name: new.name,
            kind: new.kind,
            properties: new.properties,
            schedule: new.schedule,
            state: new.state,
            create_epoch: now,
            update_epoch: now,
            last_run: None,
            checked_until: None,
        };
        self.save_schedule(&schedule)?;
        tracing::info!(id = %schedule.id, name = %schedule.name, cron = %schedule.schedule, "created schedule");
        Ok(schedule)
    }

    /// Returns the schedule `id`.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] when there is no such schedule.
    pub fn schedule(&self, id: &str) -> Result<Schedule, ServiceError> {
        check_id("schedule id", id)?;
        read_json(&self.schedule_path(id))?.ok_or_else(|| {
            invalid("schedule id", id, "the id of an existing schedule; list them with `seg schedule list`")
        })
    }

    /// Returns every schedule, oldest first; ties keep id order.
    ///
    /// # Errors
    ///
    /// Returns an error when a schedule file cannot be read or parsed.
    pub fn schedules(&self) -> Result<Vec<Schedule>, ServiceError> {
        let mut schedules = Vec::new();
        for path in json_files_if_present(&self.schedules_dir())? {
            if let Some(schedule) = read_json::<Schedule>(&path)? {
                schedules.push(schedule);
            }
        }
        schedules.sort_by(|a, b| a.create_epoch.cmp(&b.create_epoch).then_with(|| a.id.cmp(&b.id)));
        Ok(schedules)
    }

    /// Returns one page of schedules, oldest first.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] for a limit of zero.
    pub fn list_schedules(&self, start: usize, limit: usize) -> Result<SchedulePage, ServiceError> {
        if limit == 0 {
            return Err(invalid("limit", "0", "a page size of at least 1"));
        }
        let all = self.schedules()?;
        let total_count = all.len();
        let children: Vec<Schedule> = all.into_iter().skip(start).take(limit).collect();
        let next = (start + children.len() < total_count).then_some(start + children.len());
        Ok(SchedulePage { page: ScheduleCounts { total_count, page_size: children.len(), next }, children })
    }

    /// Applies JSON Patch operations to the schedule `id`: only `/state` and `/schedule` can
    /// change, with `op` `add` or `replace`.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] for an unknown schedule, path, op or value.
    pub fn update_schedule(&self, id: &str, operations: &[PatchOperation]) -> Result<Schedule, ServiceError> {
        let mut schedule = self.schedule(id)?;
        for operation in operations {
            if operation.op != "add" && operation.op != "replace" {
                return Err(invalid("patch op", &operation.op, "`add` or `replace`"));
            }
            match operation.path.as_str() {
                "/state" => {
                    schedule.state = serde_json::from_value(operation.value.clone())
                        .map_err(|_| invalid("schedule state", &operation.value.to_string(), "\"active\" or \"inactive\""))?;
                }
                "/schedule" => {
                    let Some(text) = operation.value.as_str() else {
                        return Err(invalid("cron expression", &operation.value.to_string(), "a string such as \"0 0 1 * * ?\""));
                    };
                    QuartzCron::parse(text)?;
                    schedule.schedule = text.to_string();
                }
                other => {
                    return Err(invalid("patch path", other, "`/state` or `/schedule`; other fields cannot change"));
                }
            }
        }
        schedule.update_epoch = jiff::Timestamp::now().as_second();
        self.save_schedule(&schedule)?;
        tracing::info!(id, state = ?schedule.state, cron = %schedule.schedule, "updated schedule");
        Ok(schedule)
    }

    /// Deletes the schedule `id`; the jobs it started stay.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] when there is no such schedule.
    pub fn delete_schedule(&self, id: &str) -> Result<(), ServiceError> {
        self.schedule(id)?;
        let path = self.schedule_path(id);
        std::fs::remove_file(&path).map_err(|e| ServiceError::file("delete", &path, e))?;
        tracing::info!(id, "deleted schedule");
        Ok(())
    }

    pub(crate) fn save_schedule(&self, schedule: &Schedule) -> Result<(), ServiceError> {
        write_json(&self.schedule_path(&schedule.id), schedule)
    }

    fn check_properties(&self, kind: ScheduleType, properties: &ScheduleProperties) -> Result<(), ServiceError> {
        if properties.segments.is_empty() {
            return Err(invalid("schedule segments", "", "at least one definition id, or `*` for every definition"));
        }
        for id in properties.segments.iter().filter(|id| *id != "*") {
            self.definition(id)?;
        }
        if kind == ScheduleType::Export {
            if properties.destination.is_none() {
                return Err(invalid("export destination", "", "a directory that receives one subdirectory per run"));
            }
            export_format(properties)?;
        }
        Ok(())
    }
}

/// Returns the export format of an export schedule; Parquet when none is given.
pub(crate) fn export_format(properties: &ScheduleProperties) -> Result<ExportFormat, ServiceError> {
    match properties.format.as_deref().unwrap_or("parquet") {
        "parquet" => Ok(ExportFormat::Parquet),
        "ndjson" => Ok(ExportFormat::Ndjson),
        "csv" => Ok(ExportFormat::Csv),
        other => Err(invalid("export format", other, "`parquet`, `ndjson` or `csv`")),
    }
}

/// Lists the JSON files of `dir`; a missing directory has none.
pub(crate) fn json_files_if_present(dir: &std::path::Path) -> Result<Vec<PathBuf>, ServiceError> {
    if dir.exists() { json_files(dir) } else { Ok(Vec::new()) }
}

pub(crate) fn invalid(parameter: &'static str, value: &str, expected: &str) -> ServiceError {
    ServiceError::InvalidParameter { parameter, value: value.to_string(), expected: expected.to_string() }
}
