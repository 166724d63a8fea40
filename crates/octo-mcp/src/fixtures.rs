//! The MCP conformance suite's fixtures: tools, resources and prompts the suite calls by name.
//!
//! Served only with `--conformance-fixtures`; a normal server offers none of them.

#![allow(deprecated)] // Logging is deprecated by SEP-2577; the suite still tests it.

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientResult, CompleteRequestParams, CompleteResult,
    CompletionInfo, ContentBlock, CreateMessageRequestParams, ElicitRequest, ElicitRequestParams,
    ElicitationSchema, GetPromptRequestParams, GetPromptResult, JsonObject, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, LoggingLevel,
    LoggingMessageNotificationParam, PaginatedRequestParams, ProgressNotificationParam, Prompt,
    PromptArgument, PromptMessage, ReadResourceRequestParams, ReadResourceResult, Reference,
    Resource, ResourceContents, ResourceTemplate, Role, SamplingMessage, ServerCapabilities,
    ServerRequest, SetLevelRequestParams, SubscribeRequestParams, Tool, UnsubscribeRequestParams,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde_json::{Value, json};

/// A 1×1 red PNG, for every image the fixtures return.
const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
/// Eight samples of 8 kHz mono silence as a WAV file.
const WAV_SILENCE: &str =
    "UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAAAAAAAAAA";

const STATIC_TEXT_URI: &str = "test://static-text";
const STATIC_BINARY_URI: &str = "test://static-binary";
const WATCHED_URI: &str = "test://watched-resource";
const TEMPLATE_URI: &str = "test://template/{id}/data";

/// The pause between the notifications of the logging and progress tools: the suite checks that
/// a client receives several notifications spread over one call, not a burst at its end.
const STEP: Duration = Duration::from_millis(50);

/// The logger name on the fixtures' log notifications.
const LOGGER: &str = "conformance-fixtures";

/// Built once: `get_tool` looks tools up on every `tools/call` (for header validation).
static TOOLS: LazyLock<Vec<Tool>> = LazyLock::new(fixture_tools);

/// Per-session fixture state (subscriptions, log level).
#[derive(Debug, Default)]
pub struct ConformanceFixtures {
    subscriptions: Mutex<BTreeSet<String>>,
    /// Set by `logging/setLevel`; `None` until the client asks, and then everything is sent.
    log_level: Mutex<Option<LoggingLevel>>,
}

impl ConformanceFixtures {
    pub fn new() -> Self {
        Self::default()
    }

    /// The capabilities a server with fixtures advertises.
    pub fn capabilities() -> ServerCapabilities {
        ServerCapabilities::builder()
            .enable_tools()
            .enable_prompts()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_logging()
            .enable_completions()
            .build()
    }

    pub fn tools(&self) -> Vec<Tool> {
        TOOLS.clone()
    }

    /// `None` when `request` names no fixture tool (the registry handles it then).
    pub async fn call_tool(
        &self,
        request: &CallToolRequestParams,
        cx: &RequestContext<RoleServer>,
    ) -> Option<Result<CallToolResult, ErrorData>> {
        let args = request.arguments.as_ref();
        let result = match request.name.as_ref() {
            "test_simple_text" => Ok(success_text("This is a simple text response for testing.")),
            "test_image_content" => Ok(CallToolResult::success(vec![ContentBlock::image(
                PNG_1X1,
                "image/png",
            )])),
            "test_audio_content" => Ok(CallToolResult::success(vec![ContentBlock::audio(
                WAV_SILENCE,
                "audio/wav",
            )])),
            "test_embedded_resource" => Ok(CallToolResult::success(vec![ContentBlock::resource(
                ResourceContents::text(
                    "This is an embedded resource content.",
                    "test://embedded-resource",
                ),
            )])),
            "test_multiple_content_types" => Ok(CallToolResult::success(vec![
                ContentBlock::text("Multiple content types test:"),
                ContentBlock::image(PNG_1X1, "image/png"),
                ContentBlock::resource(
                    ResourceContents::text(
                        json!({"test": "data", "value": 123}).to_string(),
                        "test://mixed-content-resource",
                    )
                    .with_mime_type("application/json"),
                ),
            ])),
            "test_tool_with_logging" => Ok(self.logging_tool(cx).await),
            "test_error_handling" => Ok(error_text(
                "This tool intentionally returns an error for testing",
            )),
            "test_tool_with_progress" => Ok(progress_tool(cx).await),
            "test_sampling" => Ok(sampling_tool(args, cx).await),
            "test_elicitation" => {
                let message = string_arg(args, "message")
                    .unwrap_or("Please provide your information")
                    .to_owned();
                elicit(cx, message, user_info_schema(), "User response").await
            }
            "test_elicitation_sep1034_defaults" => {
                elicit(
                    cx,
                    "Please review these values; each has a default.".to_owned(),
                    defaults_schema(),
                    "Elicitation completed",
                )
                .await
            }
            "test_elicitation_sep1330_enums" => {
                elicit(
                    cx,
                    "Please pick from each kind of enum.".to_owned(),
                    enums_schema(),
                    "Elicitation completed",
                )
                .await
            }
            "json_schema_2020_12_tool" => {
                let arguments = Value::Object(args.cloned().unwrap_or_default());
                Ok(success_text(format!("Received arguments: {arguments}")))
            }
            "test_reconnection" => Ok(reconnection_tool().await),
            _ => return None,
        };
        Some(result)
    }

    pub async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new(STATIC_TEXT_URI, "Static text")
                .with_description("A fixed text resource.")
                .with_mime_type("text/plain"),
            Resource::new(STATIC_BINARY_URI, "Static binary")
                .with_description("A fixed binary resource (a 1x1 PNG).")
                .with_mime_type("image/png"),
            Resource::new(WATCHED_URI, "Watched resource")
                .with_description("A text resource clients may subscribe to.")
                .with_mime_type("text/plain"),
        ]))
    }

    pub async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(TEMPLATE_URI, "Templated data")
                .with_description("JSON data for the `id` in the URI.")
                .with_mime_type("application/json"),
        ]))
    }

    pub async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResult, ErrorData> {
        read(&request.uri)
    }

    pub async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        // Subscribing to a resource that does not exist would never see an update.
        read(&request.uri)?;
        self.subscriptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(request.uri);
        Ok(())
    }

    pub async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        // Unsubscribing twice is harmless, so an unknown URI is not an error.
        self.subscriptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&request.uri);
        Ok(())
    }

    pub async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(fixture_prompts()))
    }

    pub async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResult, ErrorData> {
        prompt(&request.name, request.arguments.as_ref())
    }

    pub async fn complete(
        &self,
        request: CompleteRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let candidates = completion_candidates(&request.r#ref, &request.argument.name)?;
        let values = candidates
            .iter()
            .filter(|candidate| candidate.starts_with(request.argument.value.as_str()))
            .map(|candidate| (*candidate).to_owned())
            .collect();
        let info = CompletionInfo::with_all_values(values)
            .map_err(|error| ErrorData::internal_error(error, None))?;
        Ok(CompleteResult::new(info))
    }

    pub async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        *self
            .log_level
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(request.level);
        Ok(())
    }

    /// Three info messages, spread over the call.
    async fn logging_tool(&self, cx: &RequestContext<RoleServer>) -> CallToolResult {
        let messages = [
            "Tool execution started",
            "Tool processing data",
            "Tool execution completed",
        ];
        for (index, message) in messages.into_iter().enumerate() {
            if index > 0 {
                tokio::time::sleep(STEP).await;
            }
            self.log(cx, LoggingLevel::Info, message).await;
        }
        success_text("Logging test completed: sent three info messages.")
    }

    /// Sends a log notification unless the client asked for a higher level.
    async fn log(&self, cx: &RequestContext<RoleServer>, level: LoggingLevel, message: &str) {
        // A level in the request's `_meta` (2026-07-28) wins over the session's setLevel.
        let threshold = cx.meta.log_level().or(*self
            .log_level
            .lock()
            .unwrap_or_else(PoisonError::into_inner));
        if threshold.is_some_and(|threshold| severity(level) < severity(threshold)) {
            return;
        }
        let param = LoggingMessageNotificationParam::new(level, json!(message)).with_logger(LOGGER);
        // A client that went away cannot be told; the tool carries on regardless.
        if let Err(error) = cx.peer.notify_logging_message(param).await {
            tracing::debug!(%error, "log notification not delivered");
        }
    }
}

/// RFC 5424 order, lowest first: `LoggingLevel` has no ordering of its own.
fn severity(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

fn success_text(text: impl Into<String>) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(text)])
}

fn error_text(text: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

fn string_arg<'a>(args: Option<&'a JsonObject>, name: &str) -> Option<&'a str> {
    args.and_then(|args| args.get(name)).and_then(Value::as_str)
}

/// A JSON object literal as a map. Every literal in this module is an object (the unit tests
/// check the tool schemas), so the empty fallback is never served.
fn object(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

fn fixture_tools() -> Vec<Tool> {
    let no_args = || Arc::new(object(json!({"type": "object", "properties": {}})));
    vec![
        Tool::new("test_simple_text", "Returns one text block.", no_args()),
        Tool::new(
            "test_image_content",
            "Returns one image block (a 1x1 PNG).",
            no_args(),
        ),
        Tool::new(
            "test_audio_content",
            "Returns one audio block (a short WAV).",
            no_args(),
        ),
        Tool::new(
            "test_embedded_resource",
            "Returns one embedded text resource.",
            no_args(),
        ),
        Tool::new(
            "test_multiple_content_types",
            "Returns a text, an image and an embedded resource block.",
            no_args(),
        ),
        Tool::new(
            "test_tool_with_logging",
            "Sends three info log notifications while it runs.",
            no_args(),
        ),
        Tool::new(
            "test_error_handling",
            "Always fails with a tool error (isError: true).",
            no_args(),
        ),
        Tool::new(
            "test_tool_with_progress",
            "Reports progress 0, 50 and 100 of 100 when the call carries a progress token.",
            no_args(),
        ),
        Tool::new(
            "test_sampling",
            "Asks the client's LLM (sampling/createMessage) to answer a prompt.",
            Arc::new(object(json!({
                "type": "object",
                "properties": {
                    "prompt": {"type": "string", "description": "The prompt to send to the LLM"}
                },
                "required": ["prompt"]
            }))),
        ),
        Tool::new(
            "test_elicitation",
            "Asks the user (elicitation/create) for a username and an email address.",
            Arc::new(object(json!({
                "type": "object",
                "properties": {
                    "message": {"type": "string", "description": "The message to show the user"}
                },
                "required": ["message"]
            }))),
        ),
        Tool::new(
            "test_elicitation_sep1034_defaults",
            "Elicits a form whose fields all have defaults (SEP-1034).",
            no_args(),
        ),
        Tool::new(
            "test_elicitation_sep1330_enums",
            "Elicits a form with each kind of enum field (SEP-1330).",
            no_args(),
        ),
        Tool::new(
            "json_schema_2020_12_tool",
            "Tool with JSON Schema 2020-12 features",
            Arc::new(object(json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "$defs": {
                    "address": {
                        "type": "object",
                        "properties": {
                            "street": {"type": "string"},
                            "city": {"type": "string"}
                        }
                    }
                },
                "properties": {
                    "name": {"type": "string"},
                    "address": {"$ref": "#/$defs/address"}
                },
                "additionalProperties": false
            }))),
        ),
        Tool::new(
            "test_reconnection",
            "Answers after a short delay, for the SSE polling scenario (SEP-1699).",
            no_args(),
        ),
    ]
}

/// Progress 0, 50 and 100 of 100, spread over the call; without a token it only waits.
async fn progress_tool(cx: &RequestContext<RoleServer>) -> CallToolResult {
    let token = cx.meta.get_progress_token();
    for (index, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
        if index > 0 {
            tokio::time::sleep(STEP).await;
        }
        if let Some(token) = &token {
            let mut param = ProgressNotificationParam::new(token.clone(), progress);
            param.total = Some(100.0);
            if let Err(error) = cx.peer.notify_progress(param).await {
                tracing::debug!(%error, "progress notification not delivered");
            }
        }
    }
    success_text("Progress test completed.")
}

async fn sampling_tool(
    args: Option<&JsonObject>,
    cx: &RequestContext<RoleServer>,
) -> CallToolResult {
    let Some(prompt) = string_arg(args, "prompt") else {
        return error_text("The `prompt` argument (a string) is required.");
    };
    if cx
        .client_capabilities()
        .and_then(|capabilities| capabilities.sampling)
        .is_none()
    {
        return error_text("The client does not support sampling (no `sampling` capability).");
    }
    let params = CreateMessageRequestParams::new(vec![SamplingMessage::user_text(prompt)], 100);
    match cx.peer.create_message(params).await {
        Ok(result) => {
            let answer = result
                .message
                .content
                .iter()
                .filter_map(|block| block.as_text())
                .map(|text| text.text.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            success_text(format!("LLM response: {answer}"))
        }
        Err(error) => error_text(format!("Sampling failed: {error}")),
    }
}

/// Sends `elicitation/create` with `schema` and reports the user's answer after `label`.
async fn elicit(
    cx: &RequestContext<RoleServer>,
    message: String,
    schema: Value,
    label: &str,
) -> Result<CallToolResult, ErrorData> {
    if cx
        .client_capabilities()
        .and_then(|capabilities| capabilities.elicitation)
        .is_none()
    {
        return Ok(error_text(
            "The client does not support elicitation (no `elicitation` capability).",
        ));
    }
    let requested_schema =
        ElicitationSchema::from_json_schema(object(schema)).map_err(|error| {
            ErrorData::internal_error(
                format!("A fixture's elicitation schema is invalid: {error}"),
                None,
            )
        })?;
    let params = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema,
    };
    // Sent as a raw request: rmcp's typed `create_elicitation` needs its `elicitation` feature.
    let request = ServerRequest::ElicitRequest(ElicitRequest::new(params));
    Ok(match cx.peer.send_request(request).await {
        Ok(ClientResult::ElicitResult(result)) => {
            let action = json!(result.action);
            let action = action.as_str().unwrap_or("unknown");
            let content = result.content.unwrap_or(Value::Null);
            success_text(format!("{label}: action={action}, content={content}"))
        }
        Ok(other) => error_text(format!(
            "The client answered elicitation/create with something else: {other:?}"
        )),
        Err(error) => error_text(format!("Elicitation failed: {error}")),
    })
}

fn user_info_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"}
        },
        "required": ["username", "email"]
    })
}

/// A default for every primitive type (SEP-1034).
fn defaults_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active"
            },
            "verified": {"type": "boolean", "description": "Verification status", "default": true}
        }
    })
}

/// Each of the five enum shapes (SEP-1330).
fn enums_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {
                "type": "string",
                "oneOf": [
                    {"const": "value1", "title": "First Option"},
                    {"const": "value2", "title": "Second Option"},
                    {"const": "value3", "title": "Third Option"}
                ]
            },
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"]
            },
            "untitledMulti": {
                "type": "array",
                "items": {"type": "string", "enum": ["option1", "option2", "option3"]}
            },
            "titledMulti": {
                "type": "array",
                "items": {
                    "anyOf": [
                        {"const": "value1", "title": "First Choice"},
                        {"const": "value2", "title": "Second Choice"},
                        {"const": "value3", "title": "Third Choice"}
                    ]
                }
            }
        }
    })
}

/// Answers after a short delay, on the request's own SSE stream.
///
/// The SEP-1699 scenario hopes this tool closes that stream mid-call so the client has to resume
/// with `Last-Event-ID`. A handler cannot do that with rmcp: the stream belongs to the session
/// worker, and the handler learns neither the stream's id nor the session manager. The scenario
/// accepts an answer on the original stream (it records that as information, not a failure).
async fn reconnection_tool() -> CallToolResult {
    tokio::time::sleep(STEP).await;
    success_text("Reconnection test completed.")
}

/// The `{id}` of a `test://template/{id}/data` URI.
fn template_id(uri: &str) -> Option<&str> {
    uri.strip_prefix("test://template/")?
        .strip_suffix("/data")
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

fn read(uri: &str) -> Result<ReadResourceResult, ErrorData> {
    let contents = match uri {
        STATIC_TEXT_URI => {
            ResourceContents::text("This is the content of the static text resource.", uri)
        }
        STATIC_BINARY_URI => ResourceContents::blob(PNG_1X1, uri).with_mime_type("image/png"),
        WATCHED_URI => ResourceContents::text("The watched resource has not changed.", uri),
        _ => match template_id(uri) {
            Some(id) => ResourceContents::text(
                json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")})
                    .to_string(),
                uri,
            )
            .with_mime_type("application/json"),
            None => {
                return Err(ErrorData::resource_not_found(
                    format!("Resource '{uri}' not found"),
                    Some(json!({"uri": uri})),
                ));
            }
        },
    };
    Ok(ReadResourceResult::new(vec![contents]))
}

fn fixture_prompts() -> Vec<Prompt> {
    vec![
        Prompt::new(
            "test_simple_prompt",
            Some("A prompt without arguments."),
            None,
        ),
        Prompt::new(
            "test_prompt_with_arguments",
            Some("A prompt that repeats its two arguments."),
            Some(vec![
                PromptArgument::new("arg1")
                    .with_description("First test argument")
                    .with_required(true),
                PromptArgument::new("arg2")
                    .with_description("Second test argument")
                    .with_required(true),
            ]),
        ),
        Prompt::new(
            "test_prompt_with_embedded_resource",
            Some("A prompt that embeds a resource."),
            Some(vec![
                PromptArgument::new("resourceUri")
                    .with_description("URI of the resource to embed")
                    .with_required(true),
            ]),
        ),
        Prompt::new(
            "test_prompt_with_image",
            Some("A prompt that includes an image."),
            None,
        ),
    ]
}

fn required_prompt_arg<'a>(args: Option<&'a JsonObject>, name: &str) -> Result<&'a str, ErrorData> {
    string_arg(args, name).ok_or_else(|| {
        ErrorData::invalid_params(format!("The prompt needs the argument '{name}'."), None)
    })
}

fn prompt(name: &str, args: Option<&JsonObject>) -> Result<GetPromptResult, ErrorData> {
    let messages = match name {
        "test_simple_prompt" => vec![PromptMessage::new_text(
            Role::User,
            "This is a simple prompt for testing.",
        )],
        "test_prompt_with_arguments" => {
            let arg1 = required_prompt_arg(args, "arg1")?;
            let arg2 = required_prompt_arg(args, "arg2")?;
            vec![PromptMessage::new_text(
                Role::User,
                format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"),
            )]
        }
        "test_prompt_with_embedded_resource" => {
            let uri = required_prompt_arg(args, "resourceUri")?;
            vec![
                PromptMessage::new(
                    Role::User,
                    ContentBlock::resource(ResourceContents::text(
                        "Embedded resource content for testing.",
                        uri,
                    )),
                ),
                PromptMessage::new_text(Role::User, "Please process the embedded resource above."),
            ]
        }
        "test_prompt_with_image" => vec![
            PromptMessage::new(Role::User, ContentBlock::image(PNG_1X1, "image/png")),
            PromptMessage::new_text(Role::User, "Please analyze the image above."),
        ],
        _ => {
            return Err(ErrorData::invalid_params(
                format!("Prompt '{name}' not found"),
                None,
            ));
        }
    };
    Ok(GetPromptResult::new(messages))
}

/// The values `completion/complete` offers for an argument, before filtering by prefix.
fn completion_candidates(
    reference: &Reference,
    argument: &str,
) -> Result<&'static [&'static str], ErrorData> {
    if let Some(name) = reference.as_prompt_name() {
        return match (name, argument) {
            ("test_prompt_with_arguments", "arg1") => Ok(&["hello", "help", "test", "testing"]),
            ("test_prompt_with_arguments", "arg2") => Ok(&["world", "word", "test"]),
            ("test_prompt_with_embedded_resource", "resourceUri") => {
                Ok(&[STATIC_TEXT_URI, STATIC_BINARY_URI, WATCHED_URI])
            }
            _ if fixture_prompts().iter().any(|prompt| prompt.name == name) => Ok(&[]),
            _ => Err(ErrorData::invalid_params(
                format!("Prompt '{name}' not found"),
                None,
            )),
        };
    }
    match reference.as_resource_uri() {
        Some(TEMPLATE_URI) if argument == "id" => Ok(&["1", "2", "3", "123"]),
        Some(TEMPLATE_URI) => Ok(&[]),
        Some(uri) => Err(ErrorData::resource_not_found(
            format!("Resource template '{uri}' not found"),
            None,
        )),
        None => Ok(&[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_a_description_and_an_object_schema() {
        let tools = fixture_tools();
        assert_eq!(tools.len(), 14);
        for tool in &tools {
            assert!(tool.description.is_some(), "{}", tool.name);
            assert_eq!(
                tool.input_schema.get("type"),
                Some(&json!("object")),
                "{}",
                tool.name
            );
        }
    }

    #[test]
    fn the_2020_12_schema_keeps_its_keywords() {
        let tools = fixture_tools();
        let tool = tools
            .iter()
            .find(|tool| tool.name == "json_schema_2020_12_tool")
            .expect("the tool is listed");
        let schema = &tool.input_schema;
        assert_eq!(
            schema.get("$schema"),
            Some(&json!("https://json-schema.org/draft/2020-12/schema"))
        );
        assert!(schema.get("$defs").is_some());
        assert_eq!(schema.get("additionalProperties"), Some(&json!(false)));
    }

    #[test]
    fn elicitation_schemas_survive_rmcps_typed_model() {
        for schema in [user_info_schema(), defaults_schema(), enums_schema()] {
            let typed = ElicitationSchema::from_json_schema(object(schema.clone()))
                .expect("the schema parses");
            let wire = serde_json::to_value(&typed).expect("the schema serialises");
            assert_eq!(wire, schema);
        }
    }

    #[test]
    fn templates_substitute_the_id() {
        let result = read("test://template/123/data").expect("the template matches");
        let wire = serde_json::to_value(&result).expect("serialises");
        let text = wire["contents"][0]["text"].as_str().expect("text content");
        assert!(text.contains("Data for ID: 123"));
        assert_eq!(wire["contents"][0]["mimeType"], "application/json");
        assert!(read("test://template//data").is_err());
        assert!(read("test://nothing").is_err());
    }

    #[test]
    fn static_resources_have_mime_types() {
        let text = serde_json::to_value(read(STATIC_TEXT_URI).expect("exists")).expect("json");
        assert_eq!(text["contents"][0]["mimeType"], "text/plain");
        let binary = serde_json::to_value(read(STATIC_BINARY_URI).expect("exists")).expect("json");
        assert_eq!(binary["contents"][0]["mimeType"], "image/png");
        assert_eq!(binary["contents"][0]["blob"], PNG_1X1);
    }

    #[test]
    fn prompts_substitute_arguments_and_require_them() {
        let args = object(json!({"arg1": "testValue1", "arg2": "testValue2"}));
        let result = prompt("test_prompt_with_arguments", Some(&args)).expect("renders");
        let wire = serde_json::to_string(&result).expect("serialises");
        assert!(wire.contains("testValue1") && wire.contains("testValue2"));
        assert!(prompt("test_prompt_with_arguments", None).is_err());
        assert!(prompt("no_such_prompt", None).is_err());
    }

    #[test]
    fn completion_knows_the_fixture_prompts_only() {
        let values =
            completion_candidates(&Reference::for_prompt("test_prompt_with_arguments"), "arg1")
                .expect("known prompt");
        assert!(values.contains(&"test"));
        assert!(completion_candidates(&Reference::for_prompt("nope"), "arg1").is_err());
        assert!(completion_candidates(&Reference::for_resource(TEMPLATE_URI), "id").is_ok());
    }

    #[test]
    fn severity_orders_levels() {
        assert!(severity(LoggingLevel::Debug) < severity(LoggingLevel::Info));
        assert!(severity(LoggingLevel::Alert) < severity(LoggingLevel::Emergency));
    }
}
