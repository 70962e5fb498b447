//! Lifecycle transitions of audiences and the dependency rules that guard them.
//!
//! Allowed: draft to published or deleted, published to inactive or deleted, inactive to
//! published or deleted. An audience is published only when every audience it reads through
//! `inSegment` is published. It is deactivated only when every audience that reads it is
//! inactive, and deleted only when no audience reads it.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Audience, AudienceType};
use crate::error::ServiceError;
use crate::workspace::Workspace;

/// The lifecycle state of an audience.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LifecycleState {
    /// Saved and evaluated, not yet released.
    Draft,
    /// Released and evaluated.
    Published,
    /// No longer evaluated by `*` jobs and schedules.
    Inactive,
    /// Removed; only ever the target of a transition.
    Deleted,
}

impl fmt::Display for LifecycleState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LifecycleState::Draft => "draft",
            LifecycleState::Published => "published",
            LifecycleState::Inactive => "inactive",
            LifecycleState::Deleted => "deleted",
        })
    }
}

impl std::str::FromStr for LifecycleState {
    type Err = ServiceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "draft" => Ok(LifecycleState::Draft),
            "published" => Ok(LifecycleState::Published),
            "inactive" => Ok(LifecycleState::Inactive),
            "deleted" => Ok(LifecycleState::Deleted),
            other => Err(crate::schedule::invalid("lifecycle state", other, "`draft`, `published`, `inactive` or `deleted`")),
        }
    }
}

impl Workspace {
    /// Returns every audience keyed by id.
    pub(crate) fn audience_graph(&self) -> Result<BTreeMap<String, Audience>, ServiceError> {
        Ok(self.all_audiences()?.into_iter().map(|audience| (audience.id.clone(), audience)).collect())
    }

    /// Moves the audience `id` to `target` and returns it; a deleted audience is returned as
    /// it was just before, with the state `deleted`.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::AudienceNotFound`] for an unknown id and
    /// [`ServiceError::Lifecycle`] for a transition that the state or the dependencies forbid.
    pub fn set_lifecycle_state(&self, id: &str, target: LifecycleState) -> Result<Audience, ServiceError> {
        let graph = self.audience_graph()?;
        let Some(audience) = graph.get(id) else {
            return Err(ServiceError::AudienceNotFound { id: id.to_string() });
        };
        let current = audience.lifecycle_state;
        let reject = |reason: String| Err(ServiceError::Lifecycle(format!("audience `{id}` cannot be {reason}")));
        match (current, target) {
            (from, to) if from == to => return reject(format!("set to {to}: it is {to} already")),
            (_, LifecycleState::Draft) => {
                return reject(format!(
                    "moved back to draft: it is {current}; only a new audience is a draft, so create a copy instead"
                ));
            }
            (LifecycleState::Draft, LifecycleState::Inactive) => {
                return reject("deactivated: it is a draft; publish it first or delete it".to_string());
            }
            (_, LifecycleState::Published) => self.check_publishable(id, &audience.dependencies, &graph)?,
            (_, LifecycleState::Inactive) => check_deactivatable(audience, &graph)?,
            (_, LifecycleState::Deleted) => return self.delete_audience(id),
        }
        match audience.kind {
            AudienceType::SegmentDefinition => self.save_definition_state(id, target)?,
            AudienceType::ExternalSegment => self.save_external_state(id, target)?,
        }
        tracing::info!(id, from = %current, to = %target, "changed audience lifecycle state");
        self.audience(id)
    }

    /// Deletes the audience `id`: its definition and memberships, or its external record and
    /// members.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::AudienceNotFound`] for an unknown id and
    /// [`ServiceError::Lifecycle`] while another audience reads it through `inSegment`.
    pub fn delete_audience(&self, id: &str) -> Result<Audience, ServiceError> {
        let mut audience = self.audience(id)?;
        if let Some(dependent) = audience.dependents.first() {
            return Err(ServiceError::Lifecycle(format!(
                "audience `{id}` cannot be deleted: `{dependent}` reads it through inSegment; delete `{dependent}` or remove that reference first"
            )));
        }
        match audience.kind {
            AudienceType::SegmentDefinition => {
                self.delete_definition(id)?;
                self.delete_definition_state(id)?;
            }
            AudienceType::ExternalSegment => self.delete_external(id)?,
        }
        tracing::info!(id, "deleted audience");
        audience.lifecycle_state = LifecycleState::Deleted;
        Ok(audience)
    }

    /// Checks that every dependency of `id` exists and is published.
    pub(crate) fn check_publishable(
        &self,
        id: &str,
        dependencies: &[String],
        graph: &BTreeMap<String, Audience>,
    ) -> Result<(), ServiceError> {
        for dependency in dependencies {
            let reason = match graph.get(dependency).map(|parent| parent.lifecycle_state) {
                Some(LifecycleState::Published) => continue,
                Some(state) => format!("`{dependency}`, which it reads through inSegment, is {state}; publish `{dependency}` first"),
                None => format!("`{dependency}`, which it reads through inSegment, does not exist; create it or fix the id"),
            };
            return Err(ServiceError::Lifecycle(format!("audience `{id}` cannot be published: {reason}")));
        }
        Ok(())
    }
}

/// Checks that every audience that reads `audience` is inactive.
fn check_deactivatable(audience: &Audience, graph: &BTreeMap<String, Audience>) -> Result<(), ServiceError> {
    for dependent in &audience.dependents {
        let state = graph.get(dependent).map_or(LifecycleState::Deleted, |child| child.lifecycle_state);
        if state != LifecycleState::Inactive {
            return Err(ServiceError::Lifecycle(format!(
                "audience `{}` cannot be deactivated: `{dependent}` reads it through inSegment and is {state}; deactivate or delete `{dependent}` first",
                audience.id
            )));
        }
    }
    Ok(())
}
