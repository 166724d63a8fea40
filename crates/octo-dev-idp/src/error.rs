//! Errors of setting the provider up, and the OAuth error responses of its endpoints.

use std::path::PathBuf;

/// Why [`DevIdp::new`](crate::DevIdp::new) (or minting a token) failed.
#[derive(Debug, thiserror::Error)]
pub enum DevIdpError {
    /// The issuer is not an absolute `http(s)` URL without query or fragment.
    #[error("dev-idp issuer '{issuer}' is not an absolute http(s) URL without query: {reason}")]
    InvalidIssuer {
        /// The configured issuer.
        issuer: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Another configuration value is unusable.
    #[error("dev-idp configuration: {0}")]
    InvalidConfig(String),
    /// The signing-key file could not be read or written.
    #[error("dev-idp signing key {path}: {source}")]
    KeyIo {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The signing-key file holds no P-256 private key in PEM.
    #[error(
        "dev-idp signing key {path}: not a P-256 private key in PEM (PKCS#8 or SEC1): {reason}"
    )]
    KeyFormat {
        /// The key file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// Signing, key encoding or the random source failed.
    #[error("dev-idp crypto: {0}")]
    Crypto(String),
    /// [`DevIdp::issue_access_token`](crate::DevIdp::issue_access_token): no such user.
    #[error("dev-idp: unknown user '{0}'")]
    UnknownUser(String),
    /// [`DevIdp::issue_access_token`](crate::DevIdp::issue_access_token): the user may not use
    /// the tenant.
    #[error("dev-idp: user '{user}' may not use tenant '{tenant}'")]
    TenantNotAllowed {
        /// The user.
        user: String,
        /// The tenant.
        tenant: String,
    },
}

impl From<getrandom::Error> for DevIdpError {
    fn from(e: getrandom::Error) -> Self {
        Self::Crypto(format!("random source: {e}"))
    }
}

impl From<jsonwebtoken::errors::Error> for DevIdpError {
    fn from(e: jsonwebtoken::errors::Error) -> Self {
        Self::Crypto(format!("jwt: {e}"))
    }
}

/// An RFC 6749 §5.2 error: `{"error": ..., "error_description": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OAuthError {
    pub(crate) status: http::StatusCode,
    pub(crate) code: &'static str,
    pub(crate) description: String,
}

impl OAuthError {
    pub(crate) fn new(code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: http::StatusCode::BAD_REQUEST,
            code,
            description: description.into(),
        }
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }

    pub(crate) fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", description)
    }

    pub(crate) fn invalid_client(description: impl Into<String>) -> Self {
        Self {
            status: http::StatusCode::UNAUTHORIZED,
            ..Self::new("invalid_client", description)
        }
    }

    pub(crate) fn server_error(description: impl Into<String>) -> Self {
        Self {
            status: http::StatusCode::INTERNAL_SERVER_ERROR,
            ..Self::new("server_error", description)
        }
    }
}

impl From<DevIdpError> for OAuthError {
    fn from(e: DevIdpError) -> Self {
        Self::server_error(e.to_string())
    }
}

impl From<getrandom::Error> for OAuthError {
    fn from(e: getrandom::Error) -> Self {
        DevIdpError::from(e).into()
    }
}
