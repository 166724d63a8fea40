//! Errors of the tool layer.
//!
//! [`ToolError`] is what a handler returns when it cannot do what was asked; the registry turns it
//! into an envelope with `isSuccess: false`. Messages are read by a person in an AI chat, so each
//! says what went wrong and what to do next. [`RegistryError`] is a programming error found while
//! the catalogue is assembled at start-up.

use serde_json::Value;

/// A failure a tool reports to its caller.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// The arguments were well-formed JSON but not acceptable (bad id, empty list, …).
    #[error("{0}")]
    InvalidArguments(String),
    /// The operation failed for a reason the message explains.
    #[error("{message}")]
    Failed {
        message: String,
        /// The tenant the call had resolved before failing, so the caller sees where it failed.
        tenant_id: Option<String>,
    },
    /// An optimistic-locking conflict: nothing changed; the caller must rebase and retry.
    #[error("{message}")]
    Conflict {
        message: String,
        tenant_id: Option<String>,
        entity: Option<Value>,
        current_rt_version: u64,
    },
}

impl ToolError {
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed {
            message: message.into(),
            tenant_id: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidArguments(message.into())
    }
}

/// A mistake in how the catalogue was assembled; found at start-up, never at call time.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    #[error("tool '{0}' is registered twice; tool names must be unique")]
    DuplicateTool(String),
    #[error(
        "tool name '{0}' is not valid: use 1-128 characters from [A-Za-z0-9_.-] so every MCP client accepts it"
    )]
    InvalidName(String),
    #[error("the parameter schema of tool '{tool}' is not usable: {reason}")]
    InvalidSchema { tool: String, reason: String },
    #[error("example {index} of tool '{tool}' does not match its parameter schema: {reason}")]
    InvalidExample {
        tool: String,
        index: usize,
        reason: String,
    },
}
