//! The definition catalog over a temporary workspace: create, list, get, update, delete.

use seg_service::{ListQuery, SegmentDefinition, ServiceError, Workspace};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn create(workspace: &Workspace, name: &str, pql: &str) -> Result<SegmentDefinition, ServiceError> {
    workspace.create_definition(SegmentDefinition::new(name, pql))
}

#[test]
fn create_assigns_uuid_and_times() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    let stored = create(&workspace, "adults", "person.age >= 18")?;
    assert_eq!(uuid::Uuid::parse_str(&stored.id)?.get_version_num(), 4);
    assert!(stored.creation_time > 0);
    assert_eq!(stored.update_time, stored.creation_time);
    assert_eq!(workspace.definition(&stored.id)?, stored);
    Ok(())
}

#[test]
fn input_id_is_kept() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    let text = r#"{"id": "fixed", "name": "A", "expression": {"type": "PQL", "format": "pql/text", "value": "x = 1"}, "mergePolicyId": "m1"}"#;
    let stored = workspace.create_definition(SegmentDefinition::from_json(text)?)?;
    assert_eq!(stored.id, "fixed");
    let json = serde_json::to_value(workspace.definition("fixed")?)?;
    assert_eq!(json["mergePolicyId"], "m1");
    assert_eq!(json["schema"]["name"], "_xdm.context.profile");
    assert_eq!(json["evaluationInfo"]["batch"]["enabled"], true);
    Ok(())
}

#[test]
fn duplicate_name_names_existing_id() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    let first = create(&workspace, "adults", "person.age >= 18")?;
    let error = create(&workspace, "adults", "person.age >= 21").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains(&format!("already exists with id `{}`", first.id)), "{error}");
    Ok(())
}

#[test]
fn invalid_pql_is_rejected_with_diagnostic() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    let error = create(&workspace, "broken", "person.age >=").err();
    assert!(matches!(error, Some(ServiceError::InvalidDefinition { .. })), "{error:?}");
    assert_eq!(workspace.all_definitions()?.len(), 0);
    Ok(())
}

#[test]
fn list_pages_and_sorts() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    for name in ["c", "a", "d", "b"] {
        create(&workspace, name, "x = 1")?;
    }
    let query = ListQuery { start: 1, limit: 2, sort: "name:desc".to_string() };
    let page = workspace.list_definitions(&query)?;
    let names: Vec<&str> = page.segments.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["c", "b"]);
    assert_eq!(page.page.total_count, 4);
    assert_eq!(page.page.total_pages, 2);
    let ascending = workspace.list_definitions(&ListQuery { start: 0, limit: 10, sort: "name:asc".to_string() })?;
    let names: Vec<&str> = ascending.segments.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
    Ok(())
}

#[test]
fn unknown_sort_field_is_rejected() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    let query = ListQuery { sort: "size:asc".to_string(), ..ListQuery::default() };
    let error = workspace.list_definitions(&query).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.starts_with("invalid sort \"size:asc\""), "{error}");
    Ok(())
}

#[test]
fn update_keeps_id_and_creation_time() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    let stored = create(&workspace, "adults", "person.age >= 18")?;
    let updated = workspace.update_definition(&stored.id, SegmentDefinition::new("grown-ups", "person.age >= 21"))?;
    assert_eq!(updated.id, stored.id);
    assert_eq!(updated.creation_time, stored.creation_time);
    assert_eq!(workspace.definition(&stored.id)?.expression.value, "person.age >= 21");
    Ok(())
}

#[test]
fn update_to_taken_name_is_rejected() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    let first = create(&workspace, "a", "x = 1")?;
    let second = create(&workspace, "b", "x = 2")?;
    let result = workspace.update_definition(&second.id, SegmentDefinition::new("a", "x = 2"));
    assert!(matches!(result, Err(ServiceError::NameConflict { ref id, .. }) if *id == first.id));
    Ok(())
}

#[test]
fn delete_then_get_is_not_found() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    let stored = create(&workspace, "a", "x = 1")?;
    workspace.delete_definition(&stored.id)?;
    assert!(matches!(workspace.definition(&stored.id), Err(ServiceError::DefinitionNotFound { .. })));
    assert!(matches!(workspace.delete_definition(&stored.id), Err(ServiceError::DefinitionNotFound { .. })));
    Ok(())
}

#[test]
fn bulk_get_returns_each_id() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    let a = create(&workspace, "a", "x = 1")?;
    let b = create(&workspace, "b", "x = 2")?;
    let found = workspace.definitions_bulk(&[a.id.clone(), b.id.clone()])?;
    assert_eq!(found.len(), 2);
    assert_eq!(found[&b.id].name, "b");
    Ok(())
}

#[test]
fn path_like_id_is_rejected() -> TestResult {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(dir.path())?;
    let mut definition = SegmentDefinition::new("a", "x = 1");
    definition.id = "../escape".to_string();
    let result = workspace.create_definition(definition);
    assert!(matches!(result, Err(ServiceError::InvalidParameter { .. })));
    Ok(())
}

#[test]
fn partial_evaluation_info_is_accepted() -> TestResult {
    let text = r#"{"name": "a", "evaluationInfo": {"batch": {"enabled": true}},
        "expression": {"type": "PQL", "format": "pql/text", "value": "x = 1"}}"#;
    let definition = SegmentDefinition::from_json(text)?;
    assert_eq!(definition.evaluation_info.to_string(), "batch");
    Ok(())
}
