//! mcp-http
