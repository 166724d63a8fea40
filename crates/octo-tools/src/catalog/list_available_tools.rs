//! `list_available_tools`: every tool (optionally of one category) with a one-line summary.

use std::collections::BTreeMap;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::ToolError;
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub struct ListAvailableTools;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListAvailableToolsParams {
    /// Only list tools of this category (e.g. "Tool Management"); case and spaces are ignored.
    #[serde(default)]
    pub category: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListAvailableToolsOutput {
    /// Number of tools in `tools`.
    pub total_tools: usize,
    /// Every category this server has, with its number of tools.
    pub categories: BTreeMap<String, usize>,
    /// The category filter that was applied, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_filter: Option<String>,
    pub tools: Vec<ToolSummary>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolSummary {
    pub name: String,
    pub title: String,
    pub category: String,
    /// One line; `get_tool_details` has the full description.
    pub description: String,
    /// Parameter names; required ones are also listed in `requiredParameters`.
    pub parameters: Vec<String>,
    pub required_parameters: Vec<String>,
    pub read_only: bool,
    pub destructive: bool,
}

#[async_trait]
impl Tool for ListAvailableTools {
    type Params = ListAvailableToolsParams;
    type Output = ListAvailableToolsOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "list_available_tools",
            title: "List available tools",
            description: "Lists every tool this server offers, optionally only those of one category, \
                with a one-line description and parameter names. Call get_tool_details for a tool's \
                full description, parameter schema and examples.",
            category: Category::ToolManagement,
            access: Access::Public,
            annotations: Annotations::READ_ONLY,
            examples: vec![
                ToolExample {
                    description: "All tools",
                    parameters: json!({}),
                },
                ToolExample {
                    description: "Only the tool-management tools",
                    parameters: json!({"category": "Tool Management"}),
                },
            ],
            notes: vec!["Needs no login and no tenant."],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: ListAvailableToolsParams,
    ) -> Result<Success<ListAvailableToolsOutput>, ToolError> {
        let registry = ctx.registry();
        let mut categories = BTreeMap::new();
        for descriptor in registry.descriptors() {
            *categories
                .entry(descriptor.spec.category.name().to_owned())
                .or_insert(0) += 1;
        }
        let filter = match params.category.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(Category::parse(text).ok_or_else(|| {
                ToolError::invalid(format!(
                    "Unknown category '{text}'. Categories on this server: {}.",
                    categories.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            })?),
        };
        let tools: Vec<ToolSummary> = registry
            .descriptors()
            .filter(|descriptor| filter.is_none_or(|wanted| descriptor.spec.category == wanted))
            .map(|descriptor| {
                let parameters = crate::schema::parameters(&descriptor.input_schema);
                ToolSummary {
                    name: descriptor.name().to_owned(),
                    title: descriptor.spec.title.to_owned(),
                    category: descriptor.spec.category.name().to_owned(),
                    description: descriptor.summary().to_owned(),
                    required_parameters: parameters
                        .iter()
                        .filter(|p| p.required)
                        .map(|p| p.name.clone())
                        .collect(),
                    parameters: parameters.into_iter().map(|p| p.name).collect(),
                    read_only: descriptor.spec.annotations.read_only,
                    destructive: descriptor.spec.annotations.destructive,
                }
            })
            .collect();
        let message = match filter {
            Some(category) => format!("{} tool(s) in category '{category}'.", tools.len()),
            None => format!(
                "{} tool(s) in {} categor{}.",
                tools.len(),
                categories.len(),
                if categories.len() == 1 { "y" } else { "ies" }
            ),
        };
        Ok(Success::new(ListAvailableToolsOutput {
            total_tools: tools.len(),
            categories,
            category_filter: filter.map(|category| category.name().to_owned()),
            tools,
        })
        .message(message))
    }
}
