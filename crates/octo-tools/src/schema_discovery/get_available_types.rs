//! `get_available_types`: the CK types a tenant has loaded, optionally of one model.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{CkTypeInfo, loaded_models, tenant_library};
use crate::error::ToolError;
use crate::platform::{Platform, failed_in};
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub struct GetAvailableTypes(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetAvailableTypesParams {
    /// Also list abstract types (no entity can have exactly an abstract type; they are bases
    /// for others).
    #[serde(default)]
    pub include_abstract: bool,
    /// List only the types of this model: its name (`Octo.Industry.Energy`) or id
    /// (`Octo.Industry.Energy-1.0.0`). Omit for every loaded model.
    #[serde(default)]
    pub ck_model_id: Option<String>,
    /// The tenant to look in; defaults to the tenant in the MCP endpoint URL.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetAvailableTypesOutput {
    /// How many types are listed.
    pub total_types: usize,
    /// Whether abstract types are included.
    pub include_abstract: bool,
    /// The `ckModelId` filter as given, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_id_filter: Option<String>,
    /// The types, sorted by runtime id.
    pub types: Vec<CkTypeInfo>,
}

#[async_trait]
impl Tool for GetAvailableTypes {
    type Params = GetAvailableTypesParams;
    type Output = GetAvailableTypesOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_available_types",
            title: "List CK types",
            description: "Lists the Construction Kit types the tenant has loaded, with their base \
                type and description. Concrete types only unless includeAbstract is true; \
                ckModelId limits the list to one model.",
            category: Category::SchemaDiscovery,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![
                ToolExample {
                    description: "Every concrete type of the tenant",
                    parameters: json!({}),
                },
                ToolExample {
                    description: "All types of the System model, abstract ones included",
                    parameters: json!({"ckModelId": "System", "includeAbstract": true}),
                },
            ],
            notes: vec![
                "Use the runtime ckTypeId (Model/Type) with entity tools and get_type_schema.",
                "A type's attributes, associations and inherited members are in get_type_schema; \
                 search_types finds types by part of their name.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: GetAvailableTypesParams,
    ) -> Result<Success<GetAvailableTypesOutput>, ToolError> {
        let (resolved, library) = tenant_library(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let filter = params
            .ck_model_id
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty());
        // Models are matched ignoring case because callers often lower-case names; the library
        // filters by exact name, so it gets the model's own spelling.
        let model = match filter {
            None => None,
            Some(wanted) => {
                let found = library.models().iter().find(|m| {
                    m.name().eq_ignore_ascii_case(wanted)
                        || m.id().to_string().eq_ignore_ascii_case(wanted)
                });
                match found {
                    Some(model) => Some(model),
                    None => {
                        return Err(failed_in(
                            format!(
                                "Model '{wanted}' is not loaded in tenant '{}'. Loaded models: \
                                 {}. Pass a model name or id from that list, or omit ckModelId.",
                                resolved.tenant_id,
                                loaded_models(&library)
                            ),
                            &resolved,
                        ));
                    }
                }
            }
        };
        let types: Vec<CkTypeInfo> = library
            .types(params.include_abstract, model.map(|m| m.name()))
            .into_iter()
            .map(CkTypeInfo::from)
            .collect();
        let scope = match model {
            Some(model) => format!("model '{}'", model.id()),
            None => format!("tenant '{}'", resolved.tenant_id),
        };
        let kind = if params.include_abstract {
            "type(s)"
        } else {
            "concrete type(s)"
        };
        let message = format!("Found {} {kind} in {scope}.", types.len());
        Ok(Success::new(GetAvailableTypesOutput {
            total_types: types.len(),
            include_abstract: params.include_abstract,
            model_id_filter: filter.map(str::to_owned),
            types,
        })
        .message(message)
        .tenant(resolved.tenant_id.to_string()))
    }
}
