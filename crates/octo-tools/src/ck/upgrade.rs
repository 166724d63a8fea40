//! `check_ck_dependencies` and `check_ck_upgrade`: what an import would do, without doing it.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ToolError;
use crate::platform::{Platform, failed_in};
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

/// Parameters shared by both checks.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogModelParams {
    /// The catalog to take the model from (see list_ck_catalogs), e.g. "embedded".
    pub catalog_name: String,
    /// The model: a name ("Octo.Assets", newest version) or an id ("Octo.Assets-1.0.0").
    pub model_id: String,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

pub struct CheckCkDependencies(pub Platform);

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckCkDependenciesOutput {
    pub requested: String,
    pub already_loaded: bool,
    /// Model ids an import would bring in, dependencies first.
    pub models_to_import: Vec<String>,
    pub resolvable: bool,
    /// The full plan: what is imported from where, what is satisfied, what conflicts.
    pub resolution: Value,
}

#[async_trait]
impl Tool for CheckCkDependencies {
    type Params = CatalogModelParams;
    type Output = CheckCkDependenciesOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "check_ck_dependencies",
            title: "Check CK dependencies",
            description: "Resolves the dependencies of a catalog model against what the tenant \
                has loaded: which models an import would bring in (dependencies first), which \
                are already satisfied, and what conflicts. Changes nothing.",
            category: Category::ConstructionKit,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "What importing the energy model needs",
                parameters: json!({"catalogName": "embedded", "modelId": "Octo.Industry.Energy", "tenantId": "octosystem"}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: CatalogModelParams,
    ) -> Result<Success<CheckCkDependenciesOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let resolution = self
            .0
            .ck
            .check_dependencies(&tenant.tenant_id, &params.catalog_name, &params.model_id)
            .await
            .map_err(|error| failed_in(error, &tenant))?;
        let to_import = resolution.model_ids_to_import();
        let message = if !resolution.is_resolvable() {
            format!(
                "'{}' cannot be imported: see resolution.conflicts.",
                resolution.requested
            )
        } else if to_import.is_empty() {
            format!(
                "'{}' (with dependencies) is already loaded.",
                resolution.requested
            )
        } else {
            format!("Importing would bring in {}.", to_import.join(", "))
        };
        Ok(Success::new(CheckCkDependenciesOutput {
            requested: resolution.requested.to_string(),
            already_loaded: resolution.already_loaded,
            resolvable: resolution.is_resolvable(),
            models_to_import: to_import,
            resolution: serde_json::to_value(&resolution).unwrap_or(Value::Null),
        })
        .message(message)
        .tenant(tenant.tenant_id.to_string()))
    }
}

pub struct CheckCkUpgrade(pub Platform);

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckCkUpgradeOutput {
    /// The check: loaded and candidate ids, every change (breaking or compatible), the stored
    /// entities a breaking change would affect, and whether the import would be accepted.
    pub check: Value,
}

#[async_trait]
impl Tool for CheckCkUpgrade {
    type Params = CatalogModelParams;
    type Output = CheckCkUpgradeOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "check_ck_upgrade",
            title: "Check a CK model upgrade",
            description: "Compares a catalog model with the version the tenant has loaded: every \
                breaking and compatible change, and the stored entities a breaking change would \
                affect. A breaking upgrade is refused while such data exists. Changes nothing.",
            category: Category::ConstructionKit,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "Is the catalog's Octo.Assets compatible with the loaded one?",
                parameters: json!({"catalogName": "embedded", "modelId": "Octo.Assets", "tenantId": "octosystem"}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: CatalogModelParams,
    ) -> Result<Success<CheckCkUpgradeOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let check = self
            .0
            .ck
            .check_upgrade(&tenant.tenant_id, &params.catalog_name, &params.model_id)
            .await
            .map_err(|error| failed_in(error, &tenant))?;
        let message = match (&check.loaded_model_id, check.is_breaking, check.can_import) {
            (None, _, _) => format!(
                "'{}' is not loaded; importing it is a first import.",
                check.model_name
            ),
            (Some(loaded), false, _) => format!(
                "'{}' → '{}' is compatible ({} change(s)).",
                loaded,
                check.candidate_model_id,
                check.changes.len()
            ),
            (Some(loaded), true, true) => format!(
                "'{loaded}' → '{}' is breaking, but no stored data is affected; the import would be accepted.",
                check.candidate_model_id
            ),
            (Some(loaded), true, false) => format!(
                "'{loaded}' → '{}' is breaking and stored data is affected; the import would be refused.",
                check.candidate_model_id
            ),
        };
        Ok(Success::new(CheckCkUpgradeOutput {
            check: serde_json::to_value(&check).unwrap_or(Value::Null),
        })
        .message(message)
        .tenant(tenant.tenant_id.to_string()))
    }
}
