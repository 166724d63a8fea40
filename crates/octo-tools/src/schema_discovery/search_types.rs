//! `search_types`: the CK types whose id, name or description contain a term.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{CkTypeInfo, tenant_library};
use crate::error::ToolError;
use crate::platform::Platform;
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub struct SearchTypes(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchTypesParams {
    /// Text to look for, ignoring case, in each type's runtime id (`Model/Type`), name and
    /// description, e.g. `meter`.
    pub search_term: String,
    /// Also return abstract types (no entity can have exactly an abstract type).
    #[serde(default)]
    pub include_abstract: bool,
    /// The tenant to look in; defaults to the tenant in the MCP endpoint URL.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchTypesOutput {
    /// The term searched for, trimmed.
    pub search_term: String,
    /// How many types matched.
    pub match_count: usize,
    /// Whether abstract types are included.
    pub include_abstract: bool,
    /// The matching types, sorted by runtime id.
    pub matches: Vec<CkTypeInfo>,
}

#[async_trait]
impl Tool for SearchTypes {
    type Params = SearchTypesParams;
    type Output = SearchTypesOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "search_types",
            title: "Search CK types",
            description: "Finds the Construction Kit types whose runtime id, name or description \
                contain searchTerm, ignoring case. Concrete types only unless includeAbstract is \
                true.",
            category: Category::SchemaDiscovery,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![
                ToolExample {
                    description: "Types about meters",
                    parameters: json!({"searchTerm": "meter"}),
                },
                ToolExample {
                    description: "Query types, abstract bases included, in tenant plant7",
                    parameters: json!({
                        "searchTerm": "query",
                        "includeAbstract": true,
                        "tenantId": "plant7"
                    }),
                },
            ],
            notes: vec![
                "The term is matched as a plain substring (no wildcards or regular expressions).",
                "Call get_type_schema with a match's ckTypeId for its attributes and associations.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: SearchTypesParams,
    ) -> Result<Success<SearchTypesOutput>, ToolError> {
        let term = params.search_term.trim();
        // Checked before the tenant, as the reference server does: a missing argument is the
        // caller's first problem to fix.
        if term.is_empty() {
            return Err(ToolError::invalid("searchTerm is required."));
        }
        let (resolved, library) = tenant_library(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let (matches, abstract_matches): (Vec<_>, Vec<_>) = library
            .search_types(term)
            .into_iter()
            .partition(|summary| params.include_abstract || !summary.is_abstract);
        let matches: Vec<CkTypeInfo> = matches.into_iter().map(CkTypeInfo::from).collect();
        let message = match matches.len() {
            0 => format!(
                "No types matching '{term}' in tenant '{}'. Try a shorter term, or \
                 get_available_types to see every type.",
                resolved.tenant_id
            ),
            n => format!(
                "Found {n} type(s) matching '{term}' in tenant '{}'.",
                resolved.tenant_id
            ),
        };
        let mut success = Success::new(SearchTypesOutput {
            search_term: term.to_owned(),
            match_count: matches.len(),
            include_abstract: params.include_abstract,
            matches,
        })
        .message(message)
        .tenant(resolved.tenant_id.to_string());
        // Abstract matches are left out by default, but a caller looking for a base type to
        // derive from or to query by should know they exist.
        if !abstract_matches.is_empty() {
            success = success.warning(format!(
                "{} abstract type(s) also match ({}); pass includeAbstract: true to list them.",
                abstract_matches.len(),
                abstract_matches
                    .iter()
                    .map(|summary| summary.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(success)
    }
}
