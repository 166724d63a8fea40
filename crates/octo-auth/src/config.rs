//! [`AuthConfig`]: which OpenID Connect provider and client the server uses.

use std::time::Duration;

/// The scopes requested by default: the OctoMesh API, the user's profile and roles, and
/// `offline_access` so that a refresh token is issued.
pub const DEFAULT_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "role",
    "octo_api",
    "offline_access",
];

/// How the server talks to its identity provider.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The issuer URL; `{issuer}/.well-known/openid-configuration` is the discovery document.
    pub issuer: String,
    /// The public client the device flow runs as (no secret, as in OctoMesh).
    pub client_id: String,
    /// Only for providers that require a confidential client for the device flow.
    pub client_secret: Option<String>,
    /// The `aud` an access token must carry; `None` does not check the audience.
    pub audience: Option<String>,
    /// Scopes requested at login.
    pub scopes: Vec<String>,
    /// A token is refreshed this long before it expires, so a call never races the expiry.
    pub refresh_skew: Duration,
    /// Time limit of one request to the provider.
    pub http_timeout: Duration,
}

impl AuthConfig {
    /// A configuration with the defaults for everything but the provider and client.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
            client_secret: None,
            audience: None,
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            refresh_skew: Duration::from_secs(30),
            http_timeout: Duration::from_secs(15),
        }
    }
}
