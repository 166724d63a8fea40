//! The tool registry: tools by name, and the one place where a call is checked and run.
//!
//! Every call goes through [`ToolRegistry::call`]: the arguments are validated against the tool's
//! JSON Schema, a destructive tool's confirmation is checked, the [`AccessGate`] admits the call
//! (authentication, tenant access, read-only scopes) unless the tool is public, the arguments
//! are deserialized into its typed parameters, and the handler runs with a panic guard.
//! Whatever happens comes back as an [`Envelope`]; only a tool name that does not exist is
//! reported differently, because that is a protocol fault rather than a tool result.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use async_trait::async_trait;
use futures::FutureExt;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value};
use tracing::Instrument;

use crate::envelope::Envelope;
use crate::error::{RegistryError, ToolError};
use crate::schema;
use crate::tool::{Access, CallInfo, ConfirmTarget, Confirmation, Tool, ToolContext, ToolSpec};

/// A tool as clients see it: its spec and both schemas.
#[derive(Debug, Clone)]
pub struct ToolDescriptor {
    pub spec: ToolSpec,
    pub input_schema: Map<String, Value>,
    pub output_schema: Map<String, Value>,
}

impl ToolDescriptor {
    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    /// The first sentence of the description, for one-line listings.
    pub fn summary(&self) -> &'static str {
        let description = self.spec.description.trim();
        let line = description.lines().next().unwrap_or(description);
        match line.find(". ") {
            Some(end) => &line[..=end],
            None => line,
        }
    }
}

/// The tools one server offers.
pub struct ToolRegistry {
    tools: BTreeMap<&'static str, RegisteredTool>,
    gate: Option<Arc<dyn AccessGate>>,
}

/// What the registry asks before running a tool that is not [`Access::Public`]: the one place
/// authentication and authorization are checked, never a tool by hand.
#[async_trait]
pub trait AccessGate: Send + Sync {
    /// `Ok` runs the tool; `Err(message)` refuses the call with that `errorMessage`.
    /// `tenant_parameter` is the call's `tenantId` argument (the URL tenant is in `call`).
    async fn admit(
        &self,
        tool: &str,
        access: Access,
        tenant_parameter: Option<&str>,
        call: &CallInfo,
    ) -> Result<(), GateRefusal>;
}

/// A refused call: the message, and the tenant it names (for the envelope's `tenantId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRefusal {
    pub message: String,
    pub tenant_id: Option<String>,
}

struct RegisteredTool {
    descriptor: ToolDescriptor,
    validator: jsonschema::Validator,
    handler: Box<dyn ErasedTool>,
}

impl fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolRegistry")
            .field("tools", &self.tools.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A call named a tool this registry does not have.
#[derive(Debug, Clone, thiserror::Error)]
#[error("Unknown tool '{name}'.{hint} Use 'list_available_tools' to see all available tools.")]
pub struct UnknownTool {
    pub name: String,
    pub suggestions: Vec<String>,
    hint: String,
}

impl ToolRegistry {
    pub fn builder() -> ToolRegistryBuilder {
        ToolRegistryBuilder {
            tools: BTreeMap::new(),
            gate: None,
        }
    }

    /// All tools, sorted by name.
    pub fn descriptors(&self) -> impl Iterator<Item = &ToolDescriptor> {
        self.tools.values().map(|tool| &tool.descriptor)
    }

    pub fn get(&self, name: &str) -> Option<&ToolDescriptor> {
        self.tools.get(name).map(|tool| &tool.descriptor)
    }

    pub fn len(&self) -> usize {
        self.tools.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// Up to three tool names close to `name`, best first; for "did you mean" hints.
    pub fn suggest(&self, name: &str) -> Vec<String> {
        let wanted = name.to_ascii_lowercase();
        let mut scored: Vec<(f64, &str)> = self
            .tools
            .keys()
            .map(|candidate| {
                let score = strsim::jaro_winkler(&wanted, &candidate.to_ascii_lowercase());
                // A name that contains the query (or is contained by it) is a strong hint even
                // when the edit distance is large, e.g. `tool_details` → `get_tool_details`.
                let contains = candidate.contains(wanted.as_str()) || wanted.contains(candidate);
                // So is one whose words start with each of the query's: `list_tool`.
                let words_match = wanted
                    .split(['_', '-', '.'])
                    .filter(|word| !word.is_empty())
                    .all(|word| {
                        candidate
                            .split(['_', '-', '.'])
                            .any(|c| c.starts_with(word))
                    });
                let boosted = if contains || words_match {
                    score.max(0.9)
                } else {
                    score
                };
                (boosted, *candidate)
            })
            .filter(|(score, _)| *score >= 0.75)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored
            .into_iter()
            .take(3)
            .map(|(_, name)| name.to_owned())
            .collect()
    }

    pub fn unknown_tool(&self, name: &str) -> UnknownTool {
        let suggestions = self.suggest(name);
        let hint = if suggestions.is_empty() {
            String::new()
        } else {
            format!(" Did you mean: {}?", suggestions.join(", "))
        };
        UnknownTool {
            name: name.to_owned(),
            suggestions,
            hint,
        }
    }

    /// Runs tool `name` with `arguments`; every outcome but an unknown name is an envelope.
    ///
    /// Each call runs in a `tool` span carrying the tool, the tenant it names (argument or URL)
    /// and the MCP session, never arguments or tokens; its outcome and latency go to `/metrics`.
    pub async fn call(
        self: &Arc<Self>,
        name: &str,
        arguments: Option<Map<String, Value>>,
        call: CallInfo,
    ) -> Result<Envelope, UnknownTool> {
        let tenant = arguments
            .as_ref()
            .and_then(|arguments| arguments.get("tenantId"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| call.url_tenant.clone());
        let span = tracing::info_span!(
            "tool",
            tool = name,
            tenant = tenant.as_deref().unwrap_or(""),
            session = call.session_id.as_deref().unwrap_or(""),
        );
        let started = std::time::Instant::now();
        let result = self.dispatch(name, arguments, call).instrument(span).await;
        // Unknown names are not labelled by name: a client could mint unbounded label values.
        let (tool, outcome) = match &result {
            Ok(envelope) if envelope.is_success => (name.to_owned(), "success"),
            Ok(_) => (name.to_owned(), "failure"),
            Err(_) => ("unknown".to_owned(), "unknown_tool"),
        };
        metrics::histogram!("octo_tool_call_duration_seconds", "tool" => tool.clone())
            .record(started.elapsed().as_secs_f64());
        metrics::counter!("octo_tool_calls_total", "tool" => tool, "outcome" => outcome)
            .increment(1);
        result
    }

    async fn dispatch(
        self: &Arc<Self>,
        name: &str,
        arguments: Option<Map<String, Value>>,
        call: CallInfo,
    ) -> Result<Envelope, UnknownTool> {
        let Some(tool) = self.tools.get(name) else {
            return Err(self.unknown_tool(name));
        };
        let arguments = Value::Object(arguments.unwrap_or_default());
        // `is_valid` first: it stops at the first violation and builds no errors, and nearly
        // every call is valid; the messages are only collected for a call that is not.
        if !tool.validator.is_valid(&arguments) {
            let problems: Vec<String> = tool
                .validator
                .iter_errors(&arguments)
                .map(|error| describe_violation(&error))
                .collect();
            return Ok(Envelope::failure(format!(
                "Invalid arguments for '{name}': {}. Call get_tool_details with toolName '{name}' to see its parameters.",
                problems.join("; ")
            )));
        }
        if let Some(confirmation) = &tool.descriptor.spec.confirmation
            && arguments.get("confirm") != Some(&Value::Bool(true))
        {
            return Ok(Envelope::failure(refusal(confirmation, &arguments, &call)));
        }
        if let Some(gate) = &self.gate
            && tool.descriptor.spec.access != Access::Public
        {
            let tenant = arguments
                .get("tenantId")
                .and_then(Value::as_str)
                .filter(|tenant| !tenant.trim().is_empty());
            if let Err(refused) = gate
                .admit(name, tool.descriptor.spec.access, tenant, &call)
                .await
            {
                return Ok(Envelope {
                    tenant_id: refused.tenant_id,
                    ..Envelope::failure(refused.message)
                });
            }
        }
        let ctx = ToolContext {
            call,
            registry: Arc::clone(self),
        };
        let outcome = AssertUnwindSafe(tool.handler.call(&ctx, arguments))
            .catch_unwind()
            .await;
        Ok(match outcome {
            Ok(Ok(envelope)) => envelope,
            Ok(Err(error)) => failure_envelope(error),
            Err(panic) => {
                let detail = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(tool = name, panic = %detail, "tool handler panicked");
                Envelope::failure(format!(
                    "Tool '{name}' failed with an internal error; nothing further was done. \
                     The error was logged on the server; retry, and report it if it persists."
                ))
            }
        })
    }
}

/// The one refusal every destructive tool gives without `confirm: true`; there is no override,
/// so each destructive call needs its own consent.
fn refusal(confirmation: &Confirmation, arguments: &Value, call: &CallInfo) -> String {
    let target = match confirmation.target {
        ConfirmTarget::Fixed(name) => name.to_owned(),
        ConfirmTarget::Parameter(parameter) => quoted_target(&[parameter], arguments, call),
        ConfirmTarget::FirstOf(parameters) => quoted_target(parameters, arguments, call),
    };
    format!(
        "Refusing to {} {target} without confirm=true. This cannot be undone: ask the user for \
         explicit consent, then call again with confirm: true.",
        confirmation.verb
    )
}

/// The first given parameter's value, quoted; a missing `tenantId` falls back to the URL tenant.
fn quoted_target(parameters: &[&str], arguments: &Value, call: &CallInfo) -> String {
    let given = parameters.iter().find_map(|parameter| {
        arguments
            .get(*parameter)
            .and_then(Value::as_str)
            .filter(|value| !value.trim().is_empty())
            .map(str::to_owned)
    });
    let fallback = parameters
        .contains(&"tenantId")
        .then(|| call.url_tenant.clone())
        .flatten();
    format!("'{}'", given.or(fallback).unwrap_or_default())
}

fn failure_envelope(error: ToolError) -> Envelope {
    match error {
        ToolError::InvalidArguments(message) => Envelope::failure(message),
        ToolError::Failed { message, tenant_id } => Envelope {
            tenant_id,
            ..Envelope::failure(message)
        },
        ToolError::Conflict {
            message,
            tenant_id,
            entity,
            current_rt_version,
        } => Envelope {
            tenant_id,
            is_conflict: Some(true),
            entity,
            current_rt_version: Some(current_rt_version),
            ..Envelope::failure(message)
        },
    }
}

/// One schema violation in words a person can act on, naming the parameter.
fn describe_violation(error: &jsonschema::ValidationError<'_>) -> String {
    let pointer = error.instance_path.to_string();
    let parameter = pointer.trim_start_matches('/').replace('/', ".");
    match &error.kind {
        ValidationErrorKind::Required { property } => {
            let property = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_owned);
            if parameter.is_empty() {
                format!("missing required parameter '{property}'")
            } else {
                format!("'{parameter}' is missing required field '{property}'")
            }
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let names = unexpected
                .iter()
                .map(|name| format!("'{name}'"))
                .collect::<Vec<_>>()
                .join(", ");
            if parameter.is_empty() {
                format!("unknown parameter {names}")
            } else {
                format!("'{parameter}' has unknown field {names}")
            }
        }
        _ if parameter.is_empty() => error.to_string(),
        _ => format!("parameter '{parameter}': {error}"),
    }
}

/// Collects tools and checks each one as it is added.
pub struct ToolRegistryBuilder {
    tools: BTreeMap<&'static str, RegisteredTool>,
    gate: Option<Arc<dyn AccessGate>>,
}

impl fmt::Debug for ToolRegistryBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolRegistryBuilder")
            .field("tools", &self.tools.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ToolRegistryBuilder {
    /// Adds a tool; its name must be new and valid, its schema usable, its examples valid.
    pub fn register<T: Tool>(mut self, tool: T) -> Result<Self, RegistryError> {
        let spec = tool.spec();
        let name = spec.name;
        if !is_valid_tool_name(name) {
            return Err(RegistryError::InvalidName(name.to_owned()));
        }
        if self.tools.contains_key(name) {
            return Err(RegistryError::DuplicateTool(name.to_owned()));
        }
        let input_schema = schema::input_schema::<T::Params>();
        check_confirmation(&spec, &input_schema)?;
        check_access(&spec)?;
        let output_schema = schema::output_schema::<T::Output>();
        let validator =
            jsonschema::validator_for(&Value::Object(input_schema.clone())).map_err(|error| {
                RegistryError::InvalidSchema {
                    tool: name.to_owned(),
                    reason: error.to_string(),
                }
            })?;
        for (index, example) in spec.examples.iter().enumerate() {
            if let Some(problem) = validator
                .iter_errors(&example.parameters)
                .map(|error| describe_violation(&error))
                .next()
            {
                return Err(RegistryError::InvalidExample {
                    tool: name.to_owned(),
                    index,
                    reason: problem,
                });
            }
        }
        let descriptor = ToolDescriptor {
            spec,
            input_schema,
            output_schema,
        };
        self.tools.insert(
            name,
            RegisteredTool {
                descriptor,
                validator,
                handler: Box::new(Typed { tool, name }),
            },
        );
        Ok(self)
    }

    /// Every call of a non-public tool must pass `gate` first. Without one (authentication
    /// disabled), every tool runs.
    pub fn gate(mut self, gate: Arc<dyn AccessGate>) -> Self {
        self.gate = Some(gate);
        self
    }

    pub fn build(self) -> ToolRegistry {
        ToolRegistry {
            tools: self.tools,
            gate: self.gate,
        }
    }
}

/// A destructive tool must declare its confirmation and take a boolean `confirm`, and only
/// destructive tools may: the guard and the annotation must never disagree.
fn check_confirmation(spec: &ToolSpec, schema: &Map<String, Value>) -> Result<(), RegistryError> {
    let destructive = spec.annotations.destructive;
    let has_confirm = schema
        .get("properties")
        .and_then(|p| p.get("confirm"))
        .is_some();
    let problem = match (destructive, spec.confirmation.is_some(), has_confirm) {
        (true, true, true) | (false, false, _) => return Ok(()),
        (true, false, _) => "it is destructive but declares no confirmation",
        (true, true, false) => "it is destructive but has no 'confirm' parameter",
        (false, true, _) => "it declares a confirmation but is not annotated destructive",
    };
    Err(RegistryError::InvalidSchema {
        tool: spec.name.to_owned(),
        reason: problem.to_owned(),
    })
}

/// A tool's access must agree with its annotation: `Read` tools are read-only, `Write` tools
/// are not, so the read-only scope can never be bypassed by a mislabelled tool.
fn check_access(spec: &ToolSpec) -> Result<(), RegistryError> {
    let problem = match (spec.access, spec.annotations.read_only) {
        (Access::Public, _) | (Access::Read, true) | (Access::Write, false) => return Ok(()),
        (Access::Read, false) => "its access is Read but it is not annotated read-only",
        (Access::Write, true) => "its access is Write but it is annotated read-only",
    };
    Err(RegistryError::InvalidSchema {
        tool: spec.name.to_owned(),
        reason: problem.to_owned(),
    })
}

/// The characters MCP recommends for tool names (SEP-986), so no client rejects ours.
fn is_valid_tool_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A typed tool behind an object-safe interface.
#[async_trait]
trait ErasedTool: Send + Sync {
    async fn call(&self, ctx: &ToolContext, arguments: Value) -> Result<Envelope, ToolError>;
}

/// A tool and its name, kept so that a call does not build the whole spec again to name it.
struct Typed<T> {
    tool: T,
    name: &'static str,
}

#[async_trait]
impl<T: Tool> ErasedTool for Typed<T> {
    async fn call(&self, ctx: &ToolContext, arguments: Value) -> Result<Envelope, ToolError> {
        let name = self.name;
        // The schema check already passed; this catches what a schema cannot express.
        let params: T::Params = serde_json::from_value(arguments).map_err(|error| {
            ToolError::invalid(format!("Invalid arguments for '{name}': {error}."))
        })?;
        let success = self.tool.run(ctx, params).await?;
        let data = T::output_json(success.data).map_err(|error| {
            ToolError::failed(format!(
                "Tool '{name}' produced a result that could not be encoded: {error}"
            ))
        })?;
        Ok(Envelope {
            message: success.message,
            tenant_id: success.tenant_id,
            warnings: success.warnings,
            entity: success.entity,
            current_rt_version: success.current_rt_version,
            ..Envelope::success(data)
        })
    }
}

#[cfg(test)]
mod tests;
