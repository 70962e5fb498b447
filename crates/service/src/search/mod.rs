//! Segment search: Lucene-style queries over the name, description, id and folder of every
//! audience, with counts per namespace and paged entity lists.
//!
//! `tantivy-query-grammar` parses the query. Matching runs over the audiences of the
//! workspace, with no index: a value matches a term when one of its words does, where words
//! are the runs of letters and digits, compared without case.

mod matcher;

use serde::Serialize;

use crate::audience::Audience;
use crate::error::ServiceError;
use crate::workspace::Workspace;

pub use matcher::SearchQuery;

/// The maximum and default page size of an entity search.
pub const MAX_LIMIT: usize = 50;

/// The response of a namespace count: `{"namespaces": [...], "totalCount", "status"}`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceCounts {
    /// The namespaces with at least one match, by name.
    pub namespaces: Vec<NamespaceCount>,
    /// The number of namespaces listed.
    pub total_count: usize,
    /// Always `{"message": "Success"}`.
    pub status: SearchStatus,
}

/// The matches in one namespace.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceCount {
    /// The namespace, such as `AEPSegments`.
    pub namespace: String,
    /// The same as `namespace`.
    pub display_name: String,
    /// Matching audiences.
    pub count: usize,
}

/// The `status` object of a search response.
#[derive(Clone, Debug, Serialize)]
pub struct SearchStatus {
    /// `Success`.
    pub message: String,
}

/// The response of an entity search: `{"entities": [...], "page": {...}, "status"}`.
#[derive(Clone, Debug, Serialize)]
pub struct EntityPage {
    /// The matching audiences of this page, by name then id.
    pub entities: Vec<Entity>,
    /// Counts of the page.
    pub page: EntityPageInfo,
    /// Always `{"message": "Success"}`.
    pub status: SearchStatus,
}

/// One search result.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    /// The audience id.
    pub id: String,
    /// The audience's own id in its source; `audienceId`.
    pub source_id: String,
    /// Always false: folders are not entities here.
    pub is_folder: bool,
    /// The folder, when one is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_folder_id: Option<String>,
    /// The name.
    pub name: String,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The `page` object of an entity search.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityPageInfo {
    /// Matches over all pages.
    pub total_count: usize,
    /// Pages of `pageSize` entities.
    pub total_pages: usize,
    /// The 0-based page number.
    pub page_offset: usize,
    /// The requested page size.
    pub page_size: usize,
}

/// The input of an entity search.
#[derive(Clone, Debug)]
pub struct EntitySearch {
    /// The namespace searched, such as `AEPSegments`.
    pub namespace: String,
    /// The query; `None` matches everything.
    pub query: Option<String>,
    /// Only entities in this folder.
    pub folder_id: Option<String>,
    /// The 0-based page.
    pub page: usize,
    /// The page size, 1 to 50.
    pub limit: usize,
}

fn success() -> SearchStatus {
    SearchStatus { message: "Success".to_string() }
}

impl Workspace {
    /// Counts the audiences matching `query` per namespace.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] for a query that does not parse or uses an
    /// unsupported field or form.
    pub fn search_namespaces(&self, query: Option<&str>) -> Result<NamespaceCounts, ServiceError> {
        let query = query.map(SearchQuery::parse).transpose()?;
        let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for audience in self.all_audiences()? {
            if query.as_ref().is_none_or(|query| query.matches(&audience)) {
                *counts.entry(audience.namespace.clone()).or_default() += 1;
            }
        }
        let namespaces: Vec<NamespaceCount> = counts
            .into_iter()
            .map(|(namespace, count)| NamespaceCount { display_name: namespace.clone(), namespace, count })
            .collect();
        Ok(NamespaceCounts { total_count: namespaces.len(), namespaces, status: success() })
    }

    /// Returns one page of the audiences of a namespace that match the query.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] for a limit outside 1 to 50 or an invalid
    /// query.
    pub fn search_entities(&self, search: &EntitySearch) -> Result<EntityPage, ServiceError> {
        if !(1..=MAX_LIMIT).contains(&search.limit) {
            return Err(crate::schedule::invalid("limit", &search.limit.to_string(), "a page size from 1 to 50"));
        }
        let query = search.query.as_deref().map(SearchQuery::parse).transpose()?;
        let matching: Vec<Audience> = self
            .all_audiences()?
            .into_iter()
            .filter(|audience| audience.namespace == search.namespace)
            .filter(|audience| search.folder_id.is_none() || audience.folder_id == search.folder_id)
            .filter(|audience| query.as_ref().is_none_or(|query| query.matches(audience)))
            .collect();
        let total_count = matching.len();
        let entities = matching
            .into_iter()
            .skip(search.page.saturating_mul(search.limit))
            .take(search.limit)
            .map(|audience| Entity {
                id: audience.id,
                source_id: audience.audience_id,
                is_folder: false,
                parent_folder_id: audience.folder_id,
                name: audience.name,
                description: audience.description,
            })
            .collect();
        let page = EntityPageInfo {
            total_count,
            total_pages: total_count.div_ceil(search.limit),
            page_offset: search.page,
            page_size: search.limit,
        };
        Ok(EntityPage { entities, page, status: success() })
    }
}
