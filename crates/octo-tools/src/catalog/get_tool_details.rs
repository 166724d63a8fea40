//! `get_tool_details`: one tool's full description, parameter schema, annotations and examples.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::ToolError;
use crate::schema::ParameterInfo;
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub struct GetToolDetails;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetToolDetailsParams {
    /// The exact tool name, e.g. "list_available_tools".
    pub tool_name: String,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetToolDetailsOutput {
    pub name: String,
    pub title: String,
    pub category: String,
    pub description: String,
    pub parameters: Vec<ParameterInfo>,
    pub required_parameters: Vec<ParameterInfo>,
    pub optional_parameters: Vec<ParameterInfo>,
    /// The JSON Schema the arguments are validated against.
    pub input_schema: Map<String, Value>,
    /// The JSON Schema of the result envelope.
    pub output_schema: Map<String, Value>,
    pub annotations: AnnotationHints,
    pub usage_examples: Vec<ToolExample>,
    pub notes: Vec<String>,
}

/// The MCP annotation hints, named as on the wire.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationHints {
    pub read_only_hint: bool,
    pub destructive_hint: bool,
    pub idempotent_hint: bool,
    pub open_world_hint: bool,
}

impl From<Annotations> for AnnotationHints {
    fn from(a: Annotations) -> Self {
        Self {
            read_only_hint: a.read_only,
            destructive_hint: a.destructive,
            idempotent_hint: a.idempotent,
            open_world_hint: a.open_world,
        }
    }
}

// The example type lives in `tool`; describe it for the output schema here.
impl JsonSchema for ToolExample {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ToolExample".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "properties": {
                "description": {"type": "string"},
                "parameters": {"type": "object"}
            },
            "required": ["description", "parameters"]
        })
    }
}

#[async_trait]
impl Tool for GetToolDetails {
    type Params = GetToolDetailsParams;
    type Output = GetToolDetailsOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_tool_details",
            title: "Get tool details",
            description: "Shows one tool's full description, parameters (with types, which are \
                required and their defaults), JSON Schemas, MCP annotations and usage examples. \
                An unknown name returns an error that suggests the closest tool names.",
            category: Category::ToolManagement,
            access: Access::Public,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "Details of list_available_tools",
                parameters: json!({"toolName": "list_available_tools"}),
            }],
            notes: vec!["Needs no login and no tenant."],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: GetToolDetailsParams,
    ) -> Result<Success<GetToolDetailsOutput>, ToolError> {
        let name = params.tool_name.trim();
        let registry = ctx.registry();
        let Some(descriptor) = registry.get(name) else {
            let suggestions = registry.suggest(name);
            let hint = if suggestions.is_empty() {
                String::new()
            } else {
                format!(" Did you mean: {}?", suggestions.join(", "))
            };
            return Err(ToolError::invalid(format!(
                "Tool '{name}' not found. Use 'list_available_tools' to see all available tools.{hint}"
            )));
        };
        let parameters = crate::schema::parameters(&descriptor.input_schema);
        let (required, optional): (Vec<_>, Vec<_>) =
            parameters.iter().cloned().partition(|p| p.required);
        let spec = &descriptor.spec;
        Ok(Success::new(GetToolDetailsOutput {
            name: spec.name.to_owned(),
            title: spec.title.to_owned(),
            category: spec.category.name().to_owned(),
            description: spec.description.to_owned(),
            parameters,
            required_parameters: required,
            optional_parameters: optional,
            input_schema: descriptor.input_schema.clone(),
            output_schema: descriptor.output_schema.clone(),
            annotations: spec.annotations.into(),
            usage_examples: spec.examples.clone(),
            notes: spec.notes.iter().map(|n| (*n).to_owned()).collect(),
        })
        .message(format!("Details of tool '{}'.", spec.name)))
    }
}
