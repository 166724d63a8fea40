//! The catalogue tools: how an assistant discovers what this server can do.
//!
//! Both are read-only, need no tenant and no login, so an assistant can always find its way.

mod get_tool_details;
mod list_available_tools;

pub use get_tool_details::GetToolDetails;
pub use list_available_tools::ListAvailableTools;

use crate::error::RegistryError;
use crate::registry::ToolRegistryBuilder;

pub fn register(builder: ToolRegistryBuilder) -> Result<ToolRegistryBuilder, RegistryError> {
    builder
        .register(ListAvailableTools)?
        .register(GetToolDetails)
}

#[cfg(test)]
mod tests;
