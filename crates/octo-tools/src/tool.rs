//! The typed tool interface: what a tool declares about itself and what it gets when called.
//!
//! Tools take typed parameters (`Deserialize + JsonSchema`) so that the schema clients see is the
//! one the handler parses; the registry erases the types so that tools can be listed and called
//! by name at run time.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::error::ToolError;
use crate::registry::ToolRegistry;

/// A tool with typed parameters and output.
#[async_trait]
pub trait Tool: Send + Sync + 'static {
    /// The parameters; `#[serde(deny_unknown_fields)]` so a misspelt argument is reported.
    type Params: DeserializeOwned + JsonSchema + Send;
    /// The tool's data fields, merged into the envelope.
    type Output: Serialize + JsonSchema + Send;

    fn spec(&self) -> ToolSpec;

    async fn run(
        &self,
        ctx: &ToolContext,
        params: Self::Params,
    ) -> Result<Success<Self::Output>, ToolError>;

    /// The output as the envelope's data fields. The default serialises it; a tool whose
    /// output is mostly JSON already (entity pages) moves it instead of copying it.
    ///
    /// # Errors
    /// When the output cannot be encoded as JSON.
    fn output_json(output: Self::Output) -> Result<serde_json::Value, serde_json::Error>
    where
        Self: Sized,
    {
        serde_json::to_value(&output)
    }
}

/// What a tool says about itself, beyond its schemas.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    /// The first sentence is the one-line summary `list_available_tools` shows.
    pub description: &'static str,
    pub category: Category,
    /// Who may call it: checked by the registry before the handler runs.
    pub access: Access,
    pub annotations: Annotations,
    pub examples: Vec<ToolExample>,
    /// Caveats an assistant should know before calling (shown by `get_tool_details`).
    pub notes: Vec<&'static str>,
    /// Set for destructive tools: the registry refuses to run them without `confirm: true`.
    pub confirmation: Option<Confirmation>,
}

/// What a call needs before the registry runs a tool's handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Access {
    /// Anyone: the catalogue and the authentication tools themselves.
    Public,
    /// An authenticated identity allowed in the call's tenant; changes nothing
    /// (`annotations.read_only`).
    Read,
    /// As `Read`, and the token must not be limited to read-only scopes; changes data.
    Write,
}

/// How a destructive tool names what it is about to do, for the refusal message
/// `Refusing to <verb> '<target>' without confirm=true.`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirmation {
    pub verb: &'static str,
    pub target: ConfirmTarget,
}

/// Where the refusal message takes the name of the thing at stake from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmTarget {
    /// The value of this parameter (quoted); for `tenantId`, the URL tenant when it is absent.
    Parameter(&'static str),
    /// The first of these parameters that is given (quoted), e.g. `childTenantId` then `tenantId`.
    FirstOf(&'static [&'static str]),
    /// A fixed name, written without quotes (`disable Stream Data`).
    Fixed(&'static str),
}

/// MCP tool annotations; hints to the client, so they must match what the tool really does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    /// True when the tool reaches outside this server (an identity provider, the internet).
    pub open_world: bool,
}

impl Annotations {
    /// Reads state, changes nothing.
    pub const READ_ONLY: Self = Self {
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: false,
    };
    /// Adds or updates state without removing any.
    pub const ADDITIVE: Self = Self {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: false,
    };
    /// Removes or overwrites state; such tools require `confirm: true`.
    pub const DESTRUCTIVE: Self = Self {
        read_only: false,
        destructive: true,
        idempotent: false,
        open_world: false,
    };
}

/// One worked example: a description and the arguments to pass.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolExample {
    pub description: &'static str,
    pub parameters: Value,
}

/// The group a tool is listed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Category {
    ToolManagement,
    Authentication,
    Tenants,
    ConstructionKit,
    SchemaDiscovery,
    CrudOperations,
    Associations,
    Aggregation,
    StreamData,
    FileTransfer,
}

impl Category {
    pub const ALL: &'static [Category] = &[
        Category::ToolManagement,
        Category::Authentication,
        Category::Tenants,
        Category::ConstructionKit,
        Category::SchemaDiscovery,
        Category::CrudOperations,
        Category::Associations,
        Category::Aggregation,
        Category::StreamData,
        Category::FileTransfer,
    ];

    /// The display name; the reference server's names where it has one.
    pub fn name(self) -> &'static str {
        match self {
            Category::ToolManagement => "Tool Management",
            Category::Authentication => "Authentication",
            Category::Tenants => "Tenants",
            Category::ConstructionKit => "Construction Kit",
            Category::SchemaDiscovery => "Schema Discovery",
            Category::CrudOperations => "CRUD Operations",
            Category::Associations => "Associations",
            Category::Aggregation => "Aggregation",
            Category::StreamData => "Stream Data",
            Category::FileTransfer => "File Transfer",
        }
    }

    /// Finds a category by display name, case and separators ignored (`crud operations`,
    /// `CRUD_Operations` and `crudoperations` all match).
    pub fn parse(text: &str) -> Option<Category> {
        let wanted = squash(text);
        Category::ALL
            .iter()
            .copied()
            .find(|category| squash(category.name()) == wanted)
    }
}

fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parameters of a tool that takes none.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// A successful result: the tool's data plus the envelope's optional fields.
#[derive(Debug)]
pub struct Success<T> {
    pub data: T,
    pub message: Option<String>,
    pub tenant_id: Option<String>,
    pub warnings: Vec<String>,
    /// The entity acted on, for the envelope's `entity` field.
    pub entity: Option<Value>,
    /// The entity's version after the call, for the envelope's `currentRtVersion`.
    pub current_rt_version: Option<u64>,
}

impl<T> Success<T> {
    pub fn new(data: T) -> Self {
        Self {
            data,
            message: None,
            tenant_id: None,
            warnings: Vec::new(),
            entity: None,
            current_rt_version: None,
        }
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    pub fn tenant(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    pub fn warning(mut self, warning: impl Into<String>) -> Self {
        self.warnings.push(warning.into());
        self
    }
}

/// Facts about the request a tool call arrived in, supplied by the transport.
#[derive(Clone, Default)]
pub struct CallInfo {
    /// The MCP session (`Mcp-Session-Id`), absent for stateless requests.
    pub session_id: Option<String>,
    /// The tenant in the URL when the client used the legacy `/{tenantId}/mcp` endpoint.
    pub url_tenant: Option<String>,
    /// The raw `Authorization` header value, if any.
    pub authorization: Option<String>,
    /// The server's base URL as the client addressed it (`http://host:port`, from the `Host`
    /// header or a proxy's `X-Forwarded-Host`/`-Proto`), for URLs that tools hand back.
    pub base_url: Option<String>,
    pub progress: Progress,
    pub cancellation: CancellationToken,
}

impl fmt::Debug for CallInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The authorization header is a secret; never print it.
        f.debug_struct("CallInfo")
            .field("session_id", &self.session_id)
            .field("url_tenant", &self.url_tenant)
            .field("base_url", &self.base_url)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

/// Everything a handler may use besides its parameters.
#[derive(Debug, Clone)]
pub struct ToolContext {
    pub call: CallInfo,
    pub(crate) registry: Arc<ToolRegistry>,
}

impl ToolContext {
    /// The catalogue this tool is served from (the catalogue tools list it).
    pub fn registry(&self) -> &ToolRegistry {
        &self.registry
    }
}

/// Receives progress of a long-running tool; the transport turns it into notifications.
#[async_trait]
pub trait ProgressSink: Send + Sync {
    async fn report(&self, progress: f64, total: Option<f64>, message: Option<String>);
}

/// A handle to report progress; does nothing when the client did not ask for progress.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<dyn ProgressSink>>);

impl Progress {
    pub fn new(sink: Arc<dyn ProgressSink>) -> Self {
        Self(Some(sink))
    }

    pub fn is_requested(&self) -> bool {
        self.0.is_some()
    }

    pub async fn report(&self, progress: f64, total: Option<f64>, message: impl Into<String>) {
        if let Some(sink) = &self.0 {
            sink.report(progress, total, Some(message.into())).await;
        }
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(requested)"
        } else {
            "Progress(none)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_parse_leniently() {
        assert_eq!(
            Category::parse("crud operations"),
            Some(Category::CrudOperations)
        );
        assert_eq!(
            Category::parse("Tool_Management"),
            Some(Category::ToolManagement)
        );
        assert_eq!(Category::parse("nope"), None);
    }

    #[test]
    fn call_info_debug_hides_the_token() {
        let info = CallInfo {
            authorization: Some("Bearer secret".into()),
            ..CallInfo::default()
        };
        assert!(!format!("{info:?}").contains("secret"));
    }
}
