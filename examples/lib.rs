//! Examples of embedding this workspace in another Rust service; the code is in the examples:
//!
//! - `cargo run -p octo-examples --example embed_mcp_in_hyper`: the MCP endpoint mounted at
//!   `/mcp` of a hyper service that also serves its own routes.
//! - `cargo run -p octo-examples --example domain_without_mcp`: the store, the Construction Kit
//!   and runtime entities used directly, with no MCP involved.
