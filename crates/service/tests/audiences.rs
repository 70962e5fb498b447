//! Audience lifecycle: every allowed and refused transition, with the dependency rules of
//! `inSegment`.

mod common;

use std::sync::Arc;

use seg_service::audience::{AudienceType, LifecycleState, NewAudience};
use seg_service::{Engine, JobRequest, SegmentDefinition, ServiceError, Workspace};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn audience(workspace: &Workspace, id: &str, pql: &str, state: Option<LifecycleState>) -> Result<(), ServiceError> {
    let new = NewAudience {
        id: Some(id.to_string()),
        name: id.to_string(),
        pql: pql.to_string(),
        lifecycle_state: state,
        ..NewAudience::default()
    };
    workspace.create_audience(new).map(|_| ())
}

fn rejection(result: Result<impl std::fmt::Debug, ServiceError>) -> String {
    match result {
        Ok(value) => format!("unexpectedly allowed: {value:?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn dependencies_and_dependents_follow_in_segment() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    audience(&workspace, "parent", "person.age >= 18", None)?;
    audience(&workspace, "child", r#"inSegment("parent") and person.age < 65"#, None)?;
    let parent = workspace.audience("parent")?;
    let child = workspace.audience("child")?;
    assert_eq!(parent.dependents, ["child"]);
    assert!(parent.dependencies.is_empty());
    assert_eq!(child.dependencies, ["parent"]);
    assert_eq!(child.kind, AudienceType::SegmentDefinition);
    assert_eq!(child.lifecycle_state, LifecycleState::Draft);
    assert_eq!(child.namespace, "AEPSegments");
    Ok(())
}

#[test]
fn transitions_and_their_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    audience(&workspace, "parent", "person.age >= 18", None)?;
    audience(&workspace, "child", r#"inSegment("parent")"#, None)?;
    audience(&workspace, "lonely", "person.age < 18", None)?;

    assert_eq!(
        rejection(workspace.set_lifecycle_state("child", LifecycleState::Published)),
        "audience `child` cannot be published: `parent`, which it reads through inSegment, is draft; publish `parent` first"
    );
    assert_eq!(
        rejection(workspace.set_lifecycle_state("lonely", LifecycleState::Inactive)),
        "audience `lonely` cannot be deactivated: it is a draft; publish it first or delete it"
    );
    assert_eq!(
        rejection(workspace.set_lifecycle_state("lonely", LifecycleState::Draft)),
        "audience `lonely` cannot be set to draft: it is draft already"
    );

    workspace.set_lifecycle_state("parent", LifecycleState::Published)?;
    workspace.set_lifecycle_state("child", LifecycleState::Published)?;
    assert_eq!(
        rejection(workspace.set_lifecycle_state("parent", LifecycleState::Published)),
        "audience `parent` cannot be set to published: it is published already"
    );
    assert_eq!(
        rejection(workspace.set_lifecycle_state("child", LifecycleState::Draft)),
        "audience `child` cannot be moved back to draft: it is published; only a new audience is a draft, so create a copy instead"
    );
    assert_eq!(
        rejection(workspace.set_lifecycle_state("parent", LifecycleState::Inactive)),
        "audience `parent` cannot be deactivated: `child` reads it through inSegment and is published; deactivate or delete `child` first"
    );
    assert_eq!(
        rejection(workspace.set_lifecycle_state("parent", LifecycleState::Deleted)),
        "audience `parent` cannot be deleted: `child` reads it through inSegment; delete `child` or remove that reference first"
    );

    // Children first, then the parent; an inactive parent can be published again.
    workspace.set_lifecycle_state("child", LifecycleState::Inactive)?;
    assert_eq!(workspace.set_lifecycle_state("parent", LifecycleState::Inactive)?.lifecycle_state, LifecycleState::Inactive);
    assert_eq!(
        rejection(workspace.set_lifecycle_state("child", LifecycleState::Published)),
        "audience `child` cannot be published: `parent`, which it reads through inSegment, is inactive; publish `parent` first"
    );
    assert_eq!(
        rejection(workspace.set_lifecycle_state("parent", LifecycleState::Draft)),
        "audience `parent` cannot be moved back to draft: it is inactive; only a new audience is a draft, so create a copy instead"
    );
    assert_eq!(workspace.evaluated_definition_ids()?, ["lonely"]);
    workspace.set_lifecycle_state("parent", LifecycleState::Published)?;
    workspace.set_lifecycle_state("child", LifecycleState::Published)?;

    // Delete the child, then the parent; a deleted audience is gone.
    assert_eq!(workspace.set_lifecycle_state("child", LifecycleState::Deleted)?.lifecycle_state, LifecycleState::Deleted);
    workspace.delete_audience("parent")?;
    assert_eq!(rejection(workspace.audience("parent")), "audience `parent` not found; list the ids with `seg audience list`");
    assert!(workspace.definition("parent").is_err());
    workspace.set_lifecycle_state("lonely", LifecycleState::Deleted)?;
    assert!(workspace.all_audiences()?.is_empty());
    Ok(())
}

#[test]
fn creation_states_are_checked() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    assert_eq!(
        rejection(audience(&workspace, "gone", "person.age > 1", Some(LifecycleState::Deleted))),
        "an audience cannot be created in the deleted state; create it as draft or published"
    );
    audience(&workspace, "parent", "person.age >= 18", None)?;
    assert_eq!(
        rejection(audience(&workspace, "child", r#"inSegment("parent")"#, Some(LifecycleState::Published))),
        "audience `child` cannot be published: `parent`, which it reads through inSegment, is draft; publish `parent` first"
    );
    assert_eq!(
        rejection(audience(&workspace, "orphan", r#"inSegment("missing")"#, Some(LifecycleState::Published))),
        "audience `orphan` cannot be published: `missing`, which it reads through inSegment, does not exist; create it or fix the id"
    );
    Ok(())
}

#[test]
fn definitions_from_the_definition_api_count_as_published() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    let mut definition = SegmentDefinition::new("adults", "person.age >= 18");
    definition.id = "adults".to_string();
    workspace.create_definition(definition)?;
    assert_eq!(workspace.audience("adults")?.lifecycle_state, LifecycleState::Published);
    let page = workspace.list_audiences(0, 10, Some("ADU"))?;
    assert_eq!(page.page.total_count, 1);
    assert_eq!(serde_json::to_value(&page)?["children"][0]["type"], "SegmentDefinition");
    Ok(())
}

#[test]
fn star_jobs_skip_inactive_audiences() -> TestResult {
    let dir = tempfile::tempdir()?;
    let profiles = common::write_profiles(dir.path())?;
    let workspace = Arc::new(Workspace::open(&dir.path().join("ws"))?);
    audience(&workspace, "adults", "person.age >= 18", Some(LifecycleState::Published))?;
    audience(&workspace, "minors", "person.age < 18", Some(LifecycleState::Published))?;
    workspace.set_lifecycle_state("minors", LifecycleState::Inactive)?;
    let request = JobRequest {
        profiles,
        segments: vec!["*".to_string()],
        now: common::time("2026-01-01T00:00:00Z").as_microsecond(),
        engine: Engine::Columnar,
        batch_size: 16,
        skip_bad_lines: false,
    };
    let job = workspace.start_job(request)?.wait()?;
    let evaluated: Vec<&str> = job.segments.iter().map(|segment| segment.segment_id.as_str()).collect();
    assert_eq!(evaluated, ["adults"]);
    Ok(())
}
