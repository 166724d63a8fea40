//! Token claims, scopes and the JSON of a successful token response.

use serde::{Deserialize, Serialize};

use crate::config::DevUser;

/// `openid`: an ID token is issued with every token response anyway.
pub const SCOPE_OPENID: &str = "openid";
/// `offline_access`: the token response carries a refresh token.
pub const SCOPE_OFFLINE_ACCESS: &str = "offline_access";
/// Full access to the OctoMesh API.
pub const SCOPE_API: &str = "octo_api";
/// Read-only access to the OctoMesh API; a read-only user gets it instead of [`SCOPE_API`].
pub const SCOPE_API_READ_ONLY: &str = "octo_api.read_only";

/// Every scope the provider knows; others in a request are dropped.
pub const SUPPORTED_SCOPES: &[&str] = &[
    SCOPE_OPENID,
    "profile",
    "email",
    SCOPE_OFFLINE_ACCESS,
    SCOPE_API,
    SCOPE_API_READ_ONLY,
];

/// The scope when a device-authorization request names none.
pub(crate) const DEFAULT_SCOPES: &[&str] = &[SCOPE_OPENID, "profile", "email", SCOPE_API];

/// `typ` header of access tokens (RFC 9068).
pub(crate) const TYP_ACCESS: &str = "at+jwt";
/// `typ` header of refresh tokens.
pub(crate) const TYP_REFRESH: &str = "rt+jwt";
/// `typ` header of ID tokens.
pub(crate) const TYP_ID: &str = "JWT";
/// The `token_use` claim of a refresh token.
pub(crate) const REFRESH_TOKEN_USE: &str = "refresh";

/// The claims of an access token, signed ES256 with the key published at `/jwks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// The issuer URL.
    pub iss: String,
    /// The user name.
    pub sub: String,
    /// The configured audience (`octo-mcp`).
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// Not before (= `iat`).
    pub nbf: u64,
    /// Unique token id.
    pub jti: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// The tenant of the login (lowercase); absent when none was asked for or chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// The tenants the user may use (lowercase); `"*"` means all.
    pub allowed_tenants: Vec<String>,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Granted scopes as a list.
    pub scp: Vec<String>,
    /// Display name.
    pub name: String,
    /// The user name.
    pub preferred_username: String,
    /// E-mail address.
    pub email: String,
    /// Roles.
    pub role: Vec<String>,
    /// When the user signed in on the verification page, seconds since the epoch.
    pub auth_time: u64,
}

/// A refresh token: self-contained and signed, so it survives a restart of the provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RefreshTokenClaims {
    pub(crate) iss: String,
    pub(crate) sub: String,
    /// The issuer itself, so no resource server takes it for an access token.
    pub(crate) aud: String,
    pub(crate) exp: u64,
    pub(crate) iat: u64,
    pub(crate) jti: String,
    pub(crate) token_use: String,
    pub(crate) client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tenant_id: Option<String>,
    pub(crate) scope: String,
    pub(crate) auth_time: u64,
}

/// An ID token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IdTokenClaims {
    pub(crate) iss: String,
    pub(crate) sub: String,
    /// The client id.
    pub(crate) aud: String,
    pub(crate) exp: u64,
    pub(crate) iat: u64,
    pub(crate) auth_time: u64,
    pub(crate) name: String,
    pub(crate) preferred_username: String,
    pub(crate) email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tenant_id: Option<String>,
}

/// The JSON of a successful token response.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    pub(crate) token_type: &'static str,
    pub(crate) expires_in: u64,
    pub(crate) scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) issued_token_type: Option<&'static str>,
}

/// The scopes of a request: split on whitespace, or [`DEFAULT_SCOPES`] when there are none.
pub(crate) fn requested_scopes(scope: Option<&str>) -> Vec<String> {
    let scopes: Vec<String> = scope
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        scopes
    }
}

/// What `user` gets for `requested`: unknown scopes dropped, duplicates removed, and for a
/// read-only user `octo_api` replaced by `octo_api.read_only`.
pub(crate) fn granted_scopes(user: &DevUser, requested: &[String]) -> Vec<String> {
    let mut granted: Vec<String> = Vec::with_capacity(requested.len());
    for scope in requested {
        if !SUPPORTED_SCOPES.contains(&scope.as_str()) {
            continue;
        }
        let scope = if user.read_only && scope == SCOPE_API {
            SCOPE_API_READ_ONLY
        } else {
            scope.as_str()
        };
        if !granted.iter().any(|g| g == scope) {
            granted.push(scope.to_owned());
        }
    }
    granted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn read_only_users_get_the_read_only_api_scope() {
        let user = DevUser::new("r", "pw").read_only();
        let granted = granted_scopes(
            &user,
            &strings(&["openid", "octo_api", "bogus", "octo_api"]),
        );
        assert_eq!(granted, strings(&["openid", "octo_api.read_only"]));
        let full = DevUser::new("f", "pw");
        assert_eq!(
            granted_scopes(&full, &strings(&["octo_api.read_only"])),
            strings(&["octo_api.read_only"]),
            "a full user may ask for less"
        );
    }

    #[test]
    fn no_scope_means_the_defaults() {
        assert_eq!(requested_scopes(None), strings(DEFAULT_SCOPES));
        assert_eq!(requested_scopes(Some("  ")), strings(DEFAULT_SCOPES));
        assert_eq!(requested_scopes(Some("a b")), strings(&["a", "b"]));
    }
}
