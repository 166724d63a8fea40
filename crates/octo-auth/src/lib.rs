//! Authentication for the OctoMesh MCP server against any OpenID Connect provider.
//!
//! The server finds the provider's endpoints by discovery, logs users in with the OAuth 2.0
//! Device Authorization Grant (one poll per tool call), refreshes access tokens before they
//! expire, exchanges tokens between tenants (RFC 8693), and validates access tokens as JWTs
//! against the provider's published keys. Login state is kept per MCP session and tenant in the
//! store, sealed with the server key, so a restart or another replica keeps the session.
//!
//! Modules:
//! - [`config`]: [`AuthConfig`], the provider and client.
//! - [`discovery`]: [`ProviderMetadata`], the discovery document.
//! - [`client`]: [`OidcClient`], the requests to the provider (on the `oauth2` crate).
//! - [`jwt`]: [`JwtValidator`], signature, issuer, audience and expiry checks (JWKS cached).
//! - [`identity`]: [`Identity`], who a token speaks for and which tenants it allows.
//! - [`seal`]: [`ServerKey`], [`Sealer`], encryption at rest.
//! - [`service`]: [`AuthService`], login state per MCP session and tenant.
//! - [`error`]: [`AuthError`], [`TokenRejected`].

pub mod client;
pub mod config;
pub mod discovery;
pub mod error;
pub mod identity;
pub mod jwt;
pub mod seal;
pub mod service;

pub use client::{OidcClient, TokenSet};
pub use config::{AuthConfig, DEFAULT_SCOPES};
pub use discovery::ProviderMetadata;
pub use error::{AuthError, TokenRejected};
pub use identity::{Identity, READ_ONLY_SCOPE};
pub use jwt::JwtValidator;
pub use seal::{Sealer, ServerKey};
pub use service::{
    AuthService, BeginOutcome, CheckOutcome, DeviceLogin, SessionLogin, SwitchOutcome,
};
