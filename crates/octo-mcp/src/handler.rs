//! The rmcp server handler over a tool registry.
//!
//! rmcp's factory builds one [`CatalogServer`] per MCP session. The registry and the translated
//! tool list are shared (built once at start-up, not per session or per call); per-session state
//! is limited to the conformance fixtures, when those are on.

use std::sync::Arc;

use octo_tools::{CallInfo, Envelope, Progress, ToolDescriptor, ToolRegistry};
#[allow(deprecated)]
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    CustomRequest, CustomResult, ErrorCode, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ServerCapabilities, ServerConfig, SetLevelRequestParams, SubscribeRequestParams, Tool,
    ToolAnnotations, UnsubscribeRequestParams,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

use crate::config::McpConfig;
use crate::endpoint::UrlTenant;
use crate::fixtures::ConformanceFixtures;
use crate::progress::PeerProgress;

/// What every session's handler shares.
pub struct SharedCatalog {
    registry: Arc<ToolRegistry>,
    tools: Vec<Tool>,
    info: ServerConfig,
}

impl SharedCatalog {
    pub fn new(registry: Arc<ToolRegistry>, config: &McpConfig) -> Self {
        let tools = registry.descriptors().map(to_mcp_tool).collect();
        let mut capabilities = ServerCapabilities::builder().enable_tools().build();
        if config.conformance_fixtures {
            capabilities = ConformanceFixtures::capabilities();
        }
        let info = ServerConfig::new(capabilities)
            .with_server_info(Implementation::new(
                config.server_name.clone(),
                config.server_version.clone(),
            ))
            .with_instructions(config.instructions.clone());
        Self {
            registry,
            tools,
            info,
        }
    }
}

/// One MCP session's handler.
#[derive(Clone)]
pub struct CatalogServer {
    shared: Arc<SharedCatalog>,
    fixtures: Option<Arc<ConformanceFixtures>>,
}

impl CatalogServer {
    pub fn new(shared: Arc<SharedCatalog>, with_fixtures: bool) -> Self {
        Self {
            shared,
            fixtures: with_fixtures.then(|| Arc::new(ConformanceFixtures::new())),
        }
    }
}

/// A registry tool as MCP's `tools/list` describes it.
fn to_mcp_tool(descriptor: &ToolDescriptor) -> Tool {
    let spec = &descriptor.spec;
    let annotations = ToolAnnotations::with_title(spec.title)
        .read_only(spec.annotations.read_only)
        .destructive(spec.annotations.destructive)
        .idempotent(spec.annotations.idempotent)
        .open_world(spec.annotations.open_world);
    Tool::new(
        spec.name,
        spec.description,
        Arc::new(descriptor.input_schema.clone()),
    )
    .with_title(spec.title)
    .with_raw_output_schema(Arc::new(descriptor.output_schema.clone()))
    .with_annotations(annotations)
}

/// The envelope as an MCP tool result: the JSON as text (for clients that only read text) and
/// as `structuredContent`, with `isError` mirroring `isSuccess`.
pub fn to_call_result(envelope: Envelope) -> CallToolResult {
    let is_success = envelope.is_success;
    let value = envelope.into_json();
    if is_success {
        CallToolResult::structured(value)
    } else {
        CallToolResult::structured_error(value)
    }
}

/// The facts about the HTTP request that tools may use.
fn call_info(cx: &RequestContext<RoleServer>) -> CallInfo {
    let parts = cx.extensions.get::<http::request::Parts>();
    let header = |name: &str| {
        parts
            .and_then(|parts| parts.headers.get(name))
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let progress = match cx.meta.get_progress_token() {
        Some(token) => Progress::new(Arc::new(PeerProgress::new(cx.peer.clone(), token))),
        None => Progress::default(),
    };
    CallInfo {
        session_id: header("mcp-session-id"),
        url_tenant: parts
            .and_then(|parts| parts.extensions.get::<UrlTenant>())
            .map(|tenant| tenant.0.clone()),
        authorization: header("authorization"),
        base_url: base_url(parts),
        progress,
        cancellation: cx.ct.clone(),
    }
}

/// `scheme://host[:port]` as the client addressed the server: a proxy's `X-Forwarded-Proto` and
/// `X-Forwarded-Host` win (the client talks to the proxy), then `Host`, then the HTTP/2
/// authority. Only echoed back to the same client, so trusting the headers gives nothing away.
fn base_url(parts: Option<&http::request::Parts>) -> Option<String> {
    let parts = parts?;
    let first = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let host = first("x-forwarded-host")
        .or_else(|| first("host"))
        .or_else(|| parts.uri.authority().map(ToString::to_string))?;
    // Only characters a host and port consist of, so the URL cannot be bent into another one.
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'))
    {
        return None;
    }
    let scheme = match first("x-forwarded-proto").as_deref() {
        Some("https") => "https",
        _ => "http",
    };
    Some(format!("{scheme}://{host}"))
}

/// Methods rmcp knows; a request for one of them that reaches `on_custom_request` had params
/// rmcp could not parse, which JSON-RPC calls invalid params (-32602), not an unknown method.
const KNOWN_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "server/discover",
];

impl ServerHandler for CatalogServer {
    fn get_info(&self) -> ServerConfig {
        self.shared.info.clone()
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _cx: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        let method = request.method;
        if KNOWN_METHODS.contains(&method.as_str()) {
            let hint = if method == "tools/call" {
                " Expected {\"name\": \"<tool name>\", \"arguments\": {...}}."
            } else {
                ""
            };
            Err(ErrorData::invalid_params(
                format!("Invalid params for '{method}'.{hint}"),
                None,
            ))
        } else {
            Err(ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!("Method not found: '{method}'."),
                None,
            ))
        }
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut tools = self.shared.tools.clone();
        if let Some(fixtures) = &self.fixtures {
            tools.extend(fixtures.tools());
        }
        Ok(ListToolsResult::with_all_items(tools))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.shared
            .tools
            .iter()
            .find(|tool| tool.name == name)
            .cloned()
            .or_else(|| {
                self.fixtures
                    .as_ref()
                    .and_then(|f| f.tools().into_iter().find(|tool| tool.name == name))
            })
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if let Some(fixtures) = &self.fixtures
            && let Some(result) = fixtures.call_tool(&request, &cx).await
        {
            return result.map(Into::into);
        }
        let info = call_info(&cx);
        let name = request.name.as_ref();
        match self
            .shared
            .registry
            .call(name, request.arguments, info)
            .await
        {
            Ok(envelope) => Ok(to_call_result(envelope).into()),
            // MCP reports an unknown tool as invalid params (-32602), not as a tool result.
            Err(unknown) => Err(ErrorData::invalid_params(
                unknown.to_string(),
                Some(serde_json::json!({"suggestions": unknown.suggestions})),
            )),
        }
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        match &self.fixtures {
            Some(fixtures) => fixtures.list_resources(request, cx).await,
            None => Err(ErrorData::method_not_found::<
                rmcp::model::ListResourcesRequestMethod,
            >()),
        }
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        match &self.fixtures {
            Some(fixtures) => fixtures.list_resource_templates(request, cx).await,
            None => Err(ErrorData::method_not_found::<
                rmcp::model::ListResourceTemplatesRequestMethod,
            >()),
        }
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        match &self.fixtures {
            Some(fixtures) => fixtures.read_resource(request, cx).await.map(Into::into),
            None => Err(ErrorData::method_not_found::<
                rmcp::model::ReadResourceRequestMethod,
            >()),
        }
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        match &self.fixtures {
            Some(fixtures) => fixtures.subscribe(request, cx).await,
            None => Err(ErrorData::method_not_found::<
                rmcp::model::SubscribeRequestMethod,
            >()),
        }
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        match &self.fixtures {
            Some(fixtures) => fixtures.unsubscribe(request, cx).await,
            None => Err(ErrorData::method_not_found::<
                rmcp::model::UnsubscribeRequestMethod,
            >()),
        }
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        match &self.fixtures {
            Some(fixtures) => fixtures.list_prompts(request, cx).await,
            None => Err(ErrorData::method_not_found::<
                rmcp::model::ListPromptsRequestMethod,
            >()),
        }
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        match &self.fixtures {
            Some(fixtures) => fixtures.get_prompt(request, cx).await.map(Into::into),
            None => Err(ErrorData::method_not_found::<
                rmcp::model::GetPromptRequestMethod,
            >()),
        }
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        match &self.fixtures {
            Some(fixtures) => fixtures.complete(request, cx).await,
            None => Err(ErrorData::method_not_found::<
                rmcp::model::CompleteRequestMethod,
            >()),
        }
    }

    // Logging is deprecated by SEP-2577 but still exercised by the conformance suite.
    #[allow(deprecated)]
    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        match &self.fixtures {
            Some(fixtures) => fixtures.set_level(request, cx).await,
            None => Err(ErrorData::method_not_found::<
                rmcp::model::SetLevelRequestMethod,
            >()),
        }
    }
}
