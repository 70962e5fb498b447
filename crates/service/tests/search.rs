//! Segment search: each element of the query syntax, namespace counts and paging.

use seg_service::audience::{NewAudience, NewExternalAudience};
use seg_service::search::EntitySearch;
use seg_service::Workspace;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Creates a workspace with four definitions and one external audience.
fn catalog() -> Result<(tempfile::TempDir, Workspace), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let workspace = Workspace::open(&dir.path().join("ws"))?;
    let audiences = [
        ("big-spenders", "Big spenders", "Customers who spent over 500 dollars", "finance"),
        ("lapsed-customers", "Lapsed customers", "No purchase in the last year", "retention"),
        ("running-club", "Running club", "Members who run every week", "sports"),
        ("camping-fans", "Camping fans", "Bought a blue umbrella and a tent", "sports"),
    ];
    for (id, name, description, folder) in audiences {
        workspace.create_audience(NewAudience {
            id: Some(id.to_string()),
            name: name.to_string(),
            description: Some(description.to_string()),
            pql: "person.age >= 18".to_string(),
            folder_id: Some(folder.to_string()),
            ..NewAudience::default()
        })?;
    }
    let csv = dir.path().join("upload.csv");
    std::fs::write(&csv, "email\nann@example.com\n")?;
    let upload = NewExternalAudience {
        id: Some("camp-upload".to_string()),
        name: "Camp upload".to_string(),
        description: Some("Campers from the partner list".to_string()),
        identity_column: "email".to_string(),
        identity_namespace: "email".to_string(),
        ..NewExternalAudience::default()
    };
    workspace.create_external_audience(upload, &csv, jiff::Timestamp::now())?;
    Ok((dir, workspace))
}

/// Returns the ids of every audience that matches `query`, in any namespace, sorted.
fn ids(workspace: &Workspace, query: &str) -> Vec<String> {
    let mut found = Vec::new();
    for namespace in ["AEPSegments", "CustomerAudienceUpload"] {
        let search = EntitySearch {
            namespace: namespace.to_string(),
            query: Some(query.to_string()),
            folder_id: None,
            page: 0,
            limit: 50,
        };
        let page = workspace.search_entities(&search).unwrap_or_else(|e| panic!("query {query:?}: {e}"));
        found.extend(page.entities.into_iter().map(|entity| entity.id));
    }
    found.sort();
    found
}

#[test]
fn query_syntax_elements() -> TestResult {
    let (_dir, workspace) = catalog()?;
    let cases: &[(&str, &[&str])] = &[
        // A bare term matches a whole word of any field, ignoring case.
        ("customers", &["big-spenders", "lapsed-customers"]),
        ("SPORTS", &["camping-fans", "running-club"]),
        // Boolean operators.
        ("customers AND lapsed", &["lapsed-customers"]),
        ("spenders OR running", &["big-spenders", "running-club"]),
        ("sports AND NOT tent", &["running-club"]),
        ("customers -lapsed", &["big-spenders"]),
        // Field scopes, under the search API's names and the short ones.
        ("segmentName:club", &["running-club"]),
        ("segmentDescription:week", &["running-club"]),
        ("segmentId:big-spenders", &["big-spenders"]),
        ("folderId:retention", &["lapsed-customers"]),
        ("name:(camping OR club)", &["camping-fans", "running-club"]),
        ("segmentName:customers AND segmentDescription:purchase", &["lapsed-customers"]),
        // Wildcards: `*` for any run of characters, `?` for exactly one.
        ("camp*", &["camp-upload", "camping-fans"]),
        ("r*ing", &["running-club"]),
        ("fan?", &["camping-fans"]),
        ("fa?", &[]),
        // Phrases and proximity.
        ("\"blue umbrella\"", &["camping-fans"]),
        ("\"umbrella blue\"", &[]),
        ("\"blue tent\"~3", &["camping-fans"]),
        ("\"blue tent\"~1", &[]),
        // Fuzzy terms.
        ("spendrs~1", &["big-spenders"]),
        ("lapsd~", &["lapsed-customers"]),
        ("clob~1", &["running-club"]),
        // Regular expressions over single words.
        ("/[cr]amp.*/", &["camp-upload", "camping-fans"]),
        // Everything, and fields that have a value.
        ("*", &["big-spenders", "camp-upload", "camping-fans", "lapsed-customers", "running-club"]),
    ];
    for (query, expected) in cases {
        assert_eq!(ids(&workspace, query), *expected, "query {query:?}");
    }
    Ok(())
}

#[test]
fn invalid_queries_name_the_problem() -> TestResult {
    let (_dir, workspace) = catalog()?;
    let errors = [
        ("owner:ann", "invalid search field \"owner\": `segmentName`, `segmentDescription`, `segmentId`, `folderId`, `folderLocation` or `parentFolderId`"),
        ("blue~3", "invalid search query \"blue~3\": a fuzzy edit distance of 0, 1 or 2, as in `blue~1`"),
        ("name:[a TO c]", "invalid search query \"name:[a TO c]\": terms, phrases, wildcards, fuzzy terms and regexes; ranges and `IN [...]` sets are not supported"),
    ];
    for (query, expected) in errors {
        let message = workspace.search_namespaces(Some(query)).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(message, expected, "query {query:?}");
    }
    Ok(())
}

#[test]
fn namespace_counts_and_paging() -> TestResult {
    let (_dir, workspace) = catalog()?;
    let counts = serde_json::to_value(workspace.search_namespaces(Some("camp*"))?)?;
    assert_eq!(counts["totalCount"], 2);
    assert_eq!(counts["namespaces"][0]["namespace"], "AEPSegments");
    assert_eq!(counts["namespaces"][0]["count"], 1);
    assert_eq!(counts["namespaces"][1]["namespace"], "CustomerAudienceUpload");
    assert_eq!(counts["namespaces"][1]["count"], 1);
    assert_eq!(counts["status"]["message"], "Success");
    let everything = workspace.search_namespaces(None)?;
    assert_eq!(everything.namespaces[0].count, 4);

    let mut search = EntitySearch { namespace: "AEPSegments".to_string(), query: None, folder_id: None, page: 1, limit: 3 };
    let page = workspace.search_entities(&search)?;
    let names: Vec<&str> = page.entities.iter().map(|entity| entity.name.as_str()).collect();
    assert_eq!(names, ["Running club"]);
    assert_eq!((page.page.total_count, page.page.total_pages, page.page.page_offset), (4, 2, 1));
    assert_eq!(page.entities[0].parent_folder_id.as_deref(), Some("sports"));

    search.page = 0;
    search.folder_id = Some("sports".to_string());
    assert_eq!(workspace.search_entities(&search)?.page.total_count, 2);
    search.limit = 51;
    assert!(workspace.search_entities(&search).is_err());
    Ok(())
}
