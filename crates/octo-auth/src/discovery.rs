//! OpenID Connect discovery: the provider's endpoints from
//! `{issuer}/.well-known/openid-configuration`.

use serde::Deserialize;

/// The parts of a discovery document the server uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub device_authorization_endpoint: Option<String>,
    pub jwks_uri: String,
    #[serde(default)]
    pub grant_types_supported: Vec<String>,
}

/// The grant type of RFC 8693 token exchange.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

impl ProviderMetadata {
    /// The discovery document's URL for `issuer`.
    pub fn url_for(issuer: &str) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        )
    }

    /// Whether the provider announces RFC 8693 token exchange.
    pub fn supports_token_exchange(&self) -> bool {
        self.grant_types_supported
            .iter()
            .any(|grant| grant == TOKEN_EXCHANGE_GRANT)
    }
}
