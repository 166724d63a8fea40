//! octo-mcp
