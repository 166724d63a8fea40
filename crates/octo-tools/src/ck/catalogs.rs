//! `list_ck_catalogs` and `list_ck_catalog_models`: what can be imported.

use async_trait::async_trait;
use octo_ck_service::Feature;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::ToolError;
use crate::platform::Platform;
use crate::tool::{
    Access, Annotations, Category, NoParams, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub struct ListCkCatalogs(pub Platform);

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogInfo {
    pub name: String,
    pub model_count: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListCkCatalogsOutput {
    pub catalogs: Vec<CatalogInfo>,
    pub total_count: usize,
}

#[async_trait]
impl Tool for ListCkCatalogs {
    type Params = NoParams;
    type Output = ListCkCatalogsOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "list_ck_catalogs",
            title: "List CK catalogs",
            description: "Lists the Construction Kit model catalogs this server can import from: \
                the built-in 'embedded' catalog and any folder catalogs the operator added.",
            category: Category::ConstructionKit,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "All catalogs",
                parameters: json!({}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        _ctx: &ToolContext,
        _params: NoParams,
    ) -> Result<Success<ListCkCatalogsOutput>, ToolError> {
        let mut catalogs = Vec::new();
        for catalog in self.0.ck.catalogs() {
            let models = catalog
                .list(None)
                .map_err(|error| ToolError::failed(error.to_string()))?;
            catalogs.push(CatalogInfo {
                name: catalog.name().to_owned(),
                model_count: models.len(),
            });
        }
        Ok(Success::new(ListCkCatalogsOutput {
            total_count: catalogs.len(),
            catalogs,
        })
        .message("Import with import_ck_from_catalog(catalogName, modelId)."))
    }
}

pub struct ListCkCatalogModels(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListCkCatalogModelsParams {
    /// Only this catalog (see list_ck_catalogs); all catalogs when omitted.
    #[serde(default)]
    pub catalog_name: Option<String>,
    /// Case-insensitive text to find in model ids and descriptions.
    #[serde(default)]
    pub search_term: Option<String>,
    /// Entries to skip (paging).
    #[serde(default)]
    pub skip: u32,
    /// Entries to return (paging), at most 500.
    #[serde(default = "default_take")]
    pub take: u32,
}

fn default_take() -> u32 {
    100
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogModelInfo {
    pub catalog_name: String,
    pub model_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub dependencies: Vec<String>,
    pub service_managed: bool,
    /// For service-managed models: the tool that installs it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_tool: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListCkCatalogModelsOutput {
    pub models: Vec<CatalogModelInfo>,
    /// Matching entries before paging.
    pub total_count: usize,
    pub skip: u32,
    pub take: u32,
}

#[async_trait]
impl Tool for ListCkCatalogModels {
    type Params = ListCkCatalogModelsParams;
    type Output = ListCkCatalogModelsOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "list_ck_catalog_models",
            title: "List catalog models",
            description: "Lists the models in the CK catalogs (optionally one catalog, filtered by \
                a search term, paged) with their dependencies; service-managed System.* models \
                name the enable_* tool that installs them.",
            category: Category::ConstructionKit,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![
                ToolExample {
                    description: "Everything in the embedded catalog",
                    parameters: json!({"catalogName": "embedded"}),
                },
                ToolExample {
                    description: "Models about energy",
                    parameters: json!({"searchTerm": "energy"}),
                },
            ],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        _ctx: &ToolContext,
        params: ListCkCatalogModelsParams,
    ) -> Result<Success<ListCkCatalogModelsOutput>, ToolError> {
        let ck = &self.0.ck;
        let catalogs = match params.catalog_name.as_deref().map(str::trim) {
            None | Some("") => ck.catalogs().to_vec(),
            Some(name) => vec![std::sync::Arc::clone(
                ck.catalog(name)
                    .map_err(|error| ToolError::failed(error.to_string()))?,
            )],
        };
        let search = params
            .search_term
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let mut all = Vec::new();
        for catalog in &catalogs {
            let entries = catalog
                .list(search)
                .map_err(|error| ToolError::failed(error.to_string()))?;
            for entry in entries {
                let name = entry.model_id.name().to_owned();
                all.push(CatalogModelInfo {
                    catalog_name: catalog.name().to_owned(),
                    model_id: entry.model_id.to_string(),
                    description: entry.description,
                    dependencies: entry.dependencies.iter().map(ToString::to_string).collect(),
                    service_managed: entry.service_managed,
                    enable_tool: Feature::for_model(&name).map(|f| f.enable_tool().to_owned()),
                });
            }
        }
        let total = all.len();
        let take = params.take.min(500);
        let models: Vec<_> = all
            .into_iter()
            .skip(params.skip as usize)
            .take(take as usize)
            .collect();
        let message = format!("{} of {total} model(s).", models.len());
        Ok(Success::new(ListCkCatalogModelsOutput {
            models,
            total_count: total,
            skip: params.skip,
            take,
        })
        .message(message))
    }
}
