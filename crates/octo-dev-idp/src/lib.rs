//! `octo-dev-idp`: a small built-in OpenID Connect provider for **development and evaluation**.
//!
//! It lets the quick-start command of the MCP server be a complete, offline experience: the MCP
//! client starts the OAuth 2.0 device flow, the user opens the verification page, signs in with
//! the one configured user (password printed at start-up or set in the configuration) and the
//! client receives tokens the server accepts. It is not an identity provider for production: one
//! public client, plain-text passwords from the configuration, no consent, no sessions, no
//! authorization-code flow.
//!
//! # Use
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use octo_dev_idp::{DevIdp, DevIdpConfig};
//!
//! let (config, password) = DevIdpConfig::with_random_admin("http://127.0.0.1:8080/dev-idp");
//! let idp = DevIdp::new(config.key_path("./data/dev-idp-key.pem"))?;
//! println!("sign in as admin / {password}");
//! // Mount it: every request whose path starts with /dev-idp goes to `idp.handle(request)`
//! // (body collected). Or, stand-alone (tests):
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! idp.serve(listener).await?;
//! # Ok(()) }
//! ```
//!
//! # Endpoints
//!
//! Relative to the issuer (e.g. `http://127.0.0.1:8080/dev-idp`):
//!
//! | path | method | what |
//! |---|---|---|
//! | `/.well-known/openid-configuration` | GET | discovery (also at `/.well-known/oauth-authorization-server`) |
//! | `/jwks` | GET | the public signing key (ES256, P-256) as a JWK set with `kid` |
//! | `/connect/deviceauthorization` | POST | RFC 8628 device authorization: `client_id`, `scope`, `acr_values=tenant:<id>` |
//! | `/device` | GET, POST | the verification page: code, user name, password (and a tenant when the client named none) |
//! | `/connect/token` | POST | grants `urn:ietf:params:oauth:grant-type:device_code`, `refresh_token`, `urn:ietf:params:oauth:grant-type:token-exchange` |
//! | `/` | GET | a short page pointing to the verification page |
//!
//! Errors of the JSON endpoints are RFC 6749 `{"error", "error_description"}` with status 400
//! (`invalid_client`: 401). The JSON endpoints allow any CORS origin.
//!
//! # Tokens
//!
//! Access tokens are ES256 JWTs (`typ: at+jwt`) with the claims of [`AccessTokenClaims`]:
//! `iss`, `sub` (the user name), `aud` (default `octo-mcp`), `exp`, `iat`, `nbf`, `jti`,
//! `client_id`, `tenant_id` (the tenant of the login), `allowed_tenants`, `scope` (space-separated)
//! and `scp` (list), `name`, `preferred_username`, `email`, `role` (list), `auth_time`. A read-only
//! user gets `octo_api.read_only` wherever `octo_api` was asked for.
//!
//! Refresh tokens (only when the scope has `offline_access`) are signed, self-contained JWTs
//! (`typ: rt+jwt`, `token_use: refresh`, `aud` = the issuer, so no resource server mistakes one for
//! an access token): with a persistent key file they survive a restart of the provider. Every
//! refresh returns a new one; the used one is refused from then on, as long as the process runs
//! (the list of used refresh tokens is in memory).
//!
//! Device codes (256 bits) and user codes (`BCDF-GHJK`, 8 symbols of 20 consonants) come from
//! the operating system's CSPRNG and live in memory only: they expire after minutes anyway, and a
//! restart just means starting the sign-in again. Ten failed sign-ins for one code deny it.
//!
//! Token exchange (RFC 8693) turns a valid access token of this provider (`subject_token`) into
//! an access token for another tenant (`acr_values=tenant:<id>`) when the user may use it; it
//! issues no refresh token, so a leaked access token cannot be stretched into a long session.

mod config;
mod device;
mod error;
mod keys;
mod pages;
mod random;
mod serve;
pub use serve::MAX_BODY_BYTES;
mod tokens;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use jsonwebtoken::Validation;
use serde::Serialize;

pub use config::{
    ALL_TENANTS, DEFAULT_ACCESS_TOKEN_LIFETIME, DEFAULT_ADMIN_ROLE, DEFAULT_ADMIN_USERNAME,
    DEFAULT_AUDIENCE, DEFAULT_CLIENT_ID, DEFAULT_DEVICE_CODE_LIFETIME, DEFAULT_POLL_INTERVAL,
    DEFAULT_REFRESH_TOKEN_LIFETIME, DevIdpConfig, DevUser, generate_password,
};
pub use error::DevIdpError;
pub use tokens::{
    AccessTokenClaims, SCOPE_API, SCOPE_API_READ_ONLY, SCOPE_OFFLINE_ACCESS, SCOPE_OPENID,
    SUPPORTED_SCOPES,
};

use device::{DeviceGrant, DeviceStore, GrantState, Poll};
use error::OAuthError;
use keys::SigningKey;
use tokens::{IdTokenClaims, RefreshTokenClaims, TokenResponse};

/// The RFC 8628 grant type.
pub const GRANT_TYPE_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The refresh grant type.
pub const GRANT_TYPE_REFRESH_TOKEN: &str = "refresh_token";
/// The RFC 8693 grant type.
pub const GRANT_TYPE_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The RFC 8693 token type of an access token.
pub const TOKEN_TYPE_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
/// The `acr_values` prefix that names the tenant: `tenant:<id>`.
pub const ACR_TENANT_PREFIX: &str = "tenant:";

/// The paths of the endpoints, relative to the issuer.
pub mod paths {
    /// OpenID Connect discovery.
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    /// RFC 8414 metadata (the same document).
    pub const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";
    /// The JWK set.
    pub const JWKS: &str = "/jwks";
    /// RFC 8628 device authorization.
    pub const DEVICE_AUTHORIZATION: &str = "/connect/deviceauthorization";
    /// The token endpoint.
    pub const TOKEN: &str = "/connect/token";
    /// The verification page.
    pub const DEVICE: &str = "/device";
}

/// The provider. Cheap to clone (shared state); see the crate documentation.
#[derive(Clone)]
pub struct DevIdp {
    inner: Arc<Inner>,
}

struct Inner {
    config: DevIdpConfig,
    /// The issuer without a trailing `/`.
    issuer: String,
    /// The issuer's path (`/dev-idp`), empty for an issuer at the root.
    prefix: String,
    key: SigningKey,
    devices: Mutex<DeviceStore>,
    /// `jti` → `exp` of refresh tokens already exchanged.
    used_refresh_tokens: Mutex<HashMap<String, u64>>,
}

impl fmt::Debug for DevIdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevIdp")
            .field("issuer", &self.inner.issuer)
            .field("kid", &self.inner.key.kid())
            .field("users", &self.inner.config.users.len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// Whole seconds, rounded up.
fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Splits the issuer into its normalized form and its path.
fn parse_issuer(issuer: &str) -> Result<(String, String), DevIdpError> {
    let invalid = |reason: &str| DevIdpError::InvalidIssuer {
        issuer: issuer.to_owned(),
        reason: reason.to_owned(),
    };
    let trimmed = issuer.trim_end_matches('/');
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|e: http::uri::InvalidUri| invalid(&e.to_string()))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(invalid("the scheme must be http or https")),
    }
    if uri.authority().is_none() {
        return Err(invalid("no host"));
    }
    if uri.query().is_some() || trimmed.contains('#') {
        return Err(invalid("query and fragment are not allowed"));
    }
    let path = uri.path().trim_end_matches('/').to_owned();
    Ok((trimmed.to_owned(), path))
}

/// A tenant id as it may appear in `acr_values` or the page's tenant field, lowercased.
fn parse_tenant(raw: &str) -> Option<String> {
    let ok = !raw.is_empty()
        && raw.len() <= 128
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    ok.then(|| raw.to_ascii_lowercase())
}

/// The tenant in `acr_values` (`tenant:<id>` among space-separated values).
fn tenant_from_acr_values(acr_values: Option<&str>) -> Result<Option<String>, OAuthError> {
    let Some(value) = acr_values
        .unwrap_or_default()
        .split_whitespace()
        .find_map(|v| v.strip_prefix(ACR_TENANT_PREFIX))
    else {
        return Ok(None);
    };
    parse_tenant(value).map(Some).ok_or_else(|| {
        OAuthError::invalid_request(format!("acr_values: '{value}' is not a valid tenant id"))
    })
}

/// Equal-time comparison of two secrets (through their digests, so lengths do not leak).
fn secrets_equal(a: &str, b: &str) -> bool {
    use sha2::{Digest as _, Sha256};
    let (da, db) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    da.iter()
        .zip(db.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// An `application/x-www-form-urlencoded` body (or query), parameters sent twice rejected.
struct Form(HashMap<String, String>);

impl Form {
    fn parse(input: &[u8]) -> Result<Self, OAuthError> {
        let mut map = HashMap::new();
        for (k, v) in form_urlencoded::parse(input) {
            if map.insert(k.clone().into_owned(), v.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "parameter '{k}' is repeated"
                )));
            }
        }
        Ok(Self(map))
    }

    /// The value, `None` when absent or empty.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter '{name}'")))
    }
}

fn with_body(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Bytes> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn json_response<T: Serialize>(
    status: StatusCode,
    value: &T,
    cache: &'static str,
) -> Response<Bytes> {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = with_body(status, "application/json", body);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

fn oauth_error_response(e: &OAuthError) -> Response<Bytes> {
    json_response(
        e.status,
        &serde_json::json!({ "error": e.code, "error_description": e.description }),
        "no-store",
    )
}

fn html_response(status: StatusCode, html: String) -> Response<Bytes> {
    let mut response = with_body(status, "text/html; charset=utf-8", html);
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn not_found() -> Response<Bytes> {
    oauth_error_response(&OAuthError {
        status: StatusCode::NOT_FOUND,
        code: "not_found",
        description: "no such endpoint of the development identity provider".to_owned(),
    })
}

fn method_not_allowed(allow: &'static str) -> Response<Bytes> {
    let mut response = oauth_error_response(&OAuthError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        code: "invalid_request",
        description: format!("method not allowed; use {allow}"),
    });
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

fn cors_preflight() -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type, Authorization"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

impl DevIdp {
    /// Checks the configuration and loads (or creates) the signing key.
    ///
    /// # Errors
    ///
    /// An unusable issuer, no users, a duplicate or empty user name, an empty password, client id
    /// or audience, a zero lifetime, or a key file that cannot be read, parsed or written.
    pub fn new(config: DevIdpConfig) -> Result<Self, DevIdpError> {
        // Make the pure-Rust backend the process's jsonwebtoken provider even if a feature of
        // another crate enabled a second one. Fails harmlessly when one is installed already.
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
        let (issuer, prefix) = parse_issuer(&config.issuer)?;
        validate(&config)?;
        let key = SigningKey::load_or_create(config.key_path.as_deref())?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                issuer,
                prefix,
                key,
                devices: Mutex::new(DeviceStore::default()),
                used_refresh_tokens: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The issuer URL (no trailing `/`): the `iss` of the tokens and the base of every endpoint.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The issuer's path, e.g. `/dev-idp` (empty for an issuer at the root): the prefix of every
    /// path [`DevIdp::handle`] answers.
    pub fn path_prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &DevIdpConfig {
        &self.inner.config
    }

    /// The `kid` of the signing key (its RFC 7638 thumbprint).
    pub fn key_id(&self) -> &str {
        self.inner.key.kid()
    }

    /// The verification page's URL (the `verification_uri`).
    pub fn verification_uri(&self) -> String {
        format!("{}{}", self.inner.issuer, paths::DEVICE)
    }

    /// The JWK set served at `/jwks`.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [self.inner.key.public_jwk()] })
    }

    /// The discovery document served at `/.well-known/openid-configuration`.
    pub fn discovery(&self) -> serde_json::Value {
        let issuer = &self.inner.issuer;
        serde_json::json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}{}", paths::JWKS),
            "device_authorization_endpoint": format!("{issuer}{}", paths::DEVICE_AUTHORIZATION),
            "token_endpoint": format!("{issuer}{}", paths::TOKEN),
            "grant_types_supported": [
                GRANT_TYPE_DEVICE_CODE, GRANT_TYPE_REFRESH_TOKEN, GRANT_TYPE_TOKEN_EXCHANGE,
            ],
            "scopes_supported": SUPPORTED_SCOPES,
            "token_endpoint_auth_methods_supported": ["none"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "claims_supported": [
                "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "client_id",
                "tenant_id", "allowed_tenants", "scope", "scp", "name", "preferred_username",
                "email", "role",
            ],
            "acr_values_supported": ["tenant:<tenant id>"],
        })
    }

    /// Answers one request whose path starts with [`DevIdp::path_prefix`] (others get 404).
    /// The body must already be collected; form bodies here are small.
    pub fn handle(&self, req: Request<Bytes>) -> Response<Bytes> {
        let path = req.uri().path();
        let Some(rest) = path.strip_prefix(self.inner.prefix.as_str()) else {
            return not_found();
        };
        let rest = match rest {
            "" | "/" => "/",
            r if r.starts_with('/') => r.trim_end_matches('/'),
            _ => return not_found(),
        };
        let method = req.method();
        let is_get = method == Method::GET || method == Method::HEAD;
        let is_post = method == Method::POST;
        let api = matches!(
            rest,
            paths::DISCOVERY
                | paths::OAUTH_METADATA
                | paths::JWKS
                | paths::DEVICE_AUTHORIZATION
                | paths::TOKEN
        );
        if api && method == Method::OPTIONS {
            return cors_preflight();
        }
        match rest {
            "/" if is_get => html_response(StatusCode::OK, pages::index_page(&self.inner.issuer)),
            "/" => method_not_allowed("GET"),
            paths::DISCOVERY | paths::OAUTH_METADATA if is_get => {
                json_response(StatusCode::OK, &self.discovery(), "no-cache")
            }
            paths::JWKS if is_get => json_response(StatusCode::OK, &self.jwks(), "no-cache"),
            paths::DISCOVERY | paths::OAUTH_METADATA | paths::JWKS => method_not_allowed("GET"),
            paths::DEVICE_AUTHORIZATION if is_post => {
                self.json_endpoint(req.body(), |form| self.device_authorization(form))
            }
            paths::TOKEN if is_post => self.json_endpoint(req.body(), |form| self.token(form)),
            paths::DEVICE_AUTHORIZATION | paths::TOKEN => method_not_allowed("POST"),
            paths::DEVICE if is_get => self.device_page(req.uri().query().unwrap_or_default()),
            paths::DEVICE if is_post => self.device_login(req.body()),
            paths::DEVICE => method_not_allowed("GET, POST"),
            _ => not_found(),
        }
    }

    fn json_endpoint<T: Serialize>(
        &self,
        body: &Bytes,
        f: impl FnOnce(&Form) -> Result<T, OAuthError>,
    ) -> Response<Bytes> {
        match Form::parse(body).and_then(|form| f(&form)) {
            Ok(value) => json_response(StatusCode::OK, &value, "no-store"),
            Err(e) => oauth_error_response(&e),
        }
    }

    fn find_user(&self, username: &str) -> Option<&DevUser> {
        let username = username.trim();
        self.inner
            .config
            .users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(username))
    }

    // ---- device authorization -------------------------------------------------------------

    fn device_authorization(&self, form: &Form) -> Result<serde_json::Value, OAuthError> {
        let config = &self.inner.config;
        let client_id = form
            .get("client_id")
            .ok_or_else(|| OAuthError::invalid_client("missing client_id"))?;
        if client_id != config.client_id {
            return Err(OAuthError::invalid_client(format!(
                "unknown client '{client_id}'"
            )));
        }
        let tenant = tenant_from_acr_values(form.get("acr_values"))?;
        let scopes = tokens::requested_scopes(form.get("scope"));
        let device_code = random::token(32)?;
        let now = Instant::now();
        let mut store = lock(&self.inner.devices);
        store.prune(now);
        if store.len() >= device::MAX_GRANTS {
            return Err(OAuthError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                ..OAuthError::new(
                    "temporarily_unavailable",
                    "too many pending device authorizations",
                )
            });
        }
        let user_code = loop {
            let code = random::user_code()?;
            if !store.contains_user_code(&code) {
                break code;
            }
        };
        store.insert(
            device_code.clone(),
            DeviceGrant {
                user_code: user_code.clone(),
                client_id: client_id.to_owned(),
                scopes,
                tenant,
                expires_at: now + config.device_code_lifetime,
                interval: config.poll_interval,
                last_poll: None,
                failed_logins: 0,
                state: GrantState::Pending,
            },
        );
        drop(store);
        let verification_uri = self.verification_uri();
        Ok(serde_json::json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": format!("{verification_uri}?user_code={user_code}"),
            "expires_in": ceil_secs(config.device_code_lifetime),
            "interval": ceil_secs(config.poll_interval),
        }))
    }

    // ---- token endpoint -------------------------------------------------------------------

    fn token(&self, form: &Form) -> Result<TokenResponse, OAuthError> {
        match form.require("grant_type")? {
            GRANT_TYPE_DEVICE_CODE => self.device_code_grant(form),
            GRANT_TYPE_REFRESH_TOKEN => self.refresh_grant(form),
            GRANT_TYPE_TOKEN_EXCHANGE => self.token_exchange(form),
            other => Err(OAuthError::new(
                "unsupported_grant_type",
                format!("grant_type '{other}' is not supported"),
            )),
        }
    }

    fn device_code_grant(&self, form: &Form) -> Result<TokenResponse, OAuthError> {
        let device_code = form.require("device_code")?;
        let poll =
            lock(&self.inner.devices).poll(device_code, form.get("client_id"), Instant::now());
        match poll {
            Poll::Unknown => Err(OAuthError::invalid_grant("unknown device_code")),
            Poll::WrongClient => Err(OAuthError::invalid_grant(
                "the device_code was issued to another client",
            )),
            Poll::Expired => Err(OAuthError::new(
                "expired_token",
                "the device_code expired; start a new device authorization",
            )),
            Poll::SlowDown => Err(OAuthError::new(
                "slow_down",
                "polling too fast; the interval grew by 5 seconds",
            )),
            Poll::Pending => Err(OAuthError::new(
                "authorization_pending",
                "the user has not signed in on the verification page yet",
            )),
            Poll::Denied => Err(OAuthError::new(
                "access_denied",
                "the user or the provider denied the request",
            )),
            Poll::AlreadyUsed => Err(OAuthError::invalid_grant(
                "the device_code was already exchanged",
            )),
            Poll::Approved {
                username,
                tenant,
                auth_time,
                scopes,
                client_id,
            } => {
                let user = self
                    .find_user(&username)
                    .ok_or_else(|| OAuthError::invalid_grant("the user no longer exists"))?;
                let scopes = tokens::granted_scopes(user, &scopes);
                Ok(self.issue(user, tenant, &scopes, &client_id, auth_time, true)?)
            }
        }
    }

    fn refresh_validation(&self) -> Validation {
        let mut v = Validation::new(keys::ALGORITHM);
        v.leeway = 0;
        v.set_issuer(&[&self.inner.issuer]);
        v.set_audience(&[&self.inner.issuer]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v
    }

    fn access_validation(&self) -> Validation {
        let mut v = Validation::new(keys::ALGORITHM);
        v.leeway = 0;
        v.set_issuer(&[&self.inner.issuer]);
        v.set_audience(&[&self.inner.config.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v
    }

    fn refresh_grant(&self, form: &Form) -> Result<TokenResponse, OAuthError> {
        let token = form.require("refresh_token")?;
        let claims: RefreshTokenClaims =
            self.inner
                .key
                .verify(token, &self.refresh_validation())
                .map_err(|e| OAuthError::invalid_grant(format!("invalid refresh_token: {e}")))?;
        if claims.token_use != tokens::REFRESH_TOKEN_USE {
            return Err(OAuthError::invalid_grant(
                "invalid refresh_token: not a refresh token",
            ));
        }
        if form.get("client_id").is_some_and(|c| c != claims.client_id) {
            return Err(OAuthError::invalid_grant(
                "the refresh_token was issued to another client",
            ));
        }
        let user = self
            .find_user(&claims.sub)
            .ok_or_else(|| OAuthError::invalid_grant("the user no longer exists"))?;
        if let Some(tenant) = &claims.tenant_id
            && !user.may_use_tenant(tenant)
        {
            return Err(OAuthError::invalid_grant(format!(
                "user '{}' may no longer use tenant '{tenant}'",
                user.username
            )));
        }
        let original: Vec<String> = claims.scope.split_whitespace().map(str::to_owned).collect();
        let scopes = narrow_scopes(&original, form.get("scope"))?;
        {
            let now = now_secs();
            let mut used = lock(&self.inner.used_refresh_tokens);
            used.retain(|_, exp| *exp >= now);
            if used.insert(claims.jti.clone(), claims.exp).is_some() {
                return Err(OAuthError::invalid_grant(
                    "the refresh_token was already used; each refresh returns a new one",
                ));
            }
        }
        let scopes = tokens::granted_scopes(user, &scopes);
        Ok(self.issue(
            user,
            claims.tenant_id,
            &scopes,
            &claims.client_id,
            claims.auth_time,
            true,
        )?)
    }

    fn token_exchange(&self, form: &Form) -> Result<TokenResponse, OAuthError> {
        let subject_token = form.require("subject_token")?;
        if let Some(kind) = form.get("subject_token_type")
            && kind != TOKEN_TYPE_ACCESS_TOKEN
        {
            return Err(OAuthError::invalid_request(format!(
                "subject_token_type must be {TOKEN_TYPE_ACCESS_TOKEN}"
            )));
        }
        if let Some(kind) = form.get("requested_token_type")
            && kind != TOKEN_TYPE_ACCESS_TOKEN
        {
            return Err(OAuthError::invalid_request(format!(
                "requested_token_type must be {TOKEN_TYPE_ACCESS_TOKEN}"
            )));
        }
        let claims = self
            .verify_access_token(subject_token)
            .map_err(|e| OAuthError::invalid_grant(format!("invalid subject_token: {e}")))?;
        let tenant = tenant_from_acr_values(form.get("acr_values"))?.ok_or_else(|| {
            OAuthError::invalid_request("acr_values must name the tenant: tenant:<id>")
        })?;
        let user = self
            .find_user(&claims.sub)
            .ok_or_else(|| OAuthError::invalid_grant("the user no longer exists"))?;
        if !user.may_use_tenant(&tenant) {
            return Err(OAuthError::new(
                "access_denied",
                format!("user '{}' may not use tenant '{tenant}'", user.username),
            ));
        }
        let original: Vec<String> = claims
            .scp
            .iter()
            .filter(|s| *s != SCOPE_OFFLINE_ACCESS)
            .cloned()
            .collect();
        let scopes = narrow_scopes(&original, form.get("scope"))?;
        let scopes = tokens::granted_scopes(user, &scopes);
        let mut response = self.issue(
            user,
            Some(tenant),
            &scopes,
            &claims.client_id,
            claims.auth_time,
            false,
        )?;
        response.issued_token_type = Some(TOKEN_TYPE_ACCESS_TOKEN);
        Ok(response)
    }

    /// Signs the tokens of one successful grant. `full`: also an ID token, and a refresh token
    /// when the scope has `offline_access`.
    fn issue(
        &self,
        user: &DevUser,
        tenant: Option<String>,
        scopes: &[String],
        client_id: &str,
        auth_time: u64,
        full: bool,
    ) -> Result<TokenResponse, DevIdpError> {
        let config = &self.inner.config;
        let issuer = &self.inner.issuer;
        let now = now_secs();
        let access_lifetime = ceil_secs(config.access_token_lifetime);
        let scope = scopes.join(" ");
        let access = AccessTokenClaims {
            iss: issuer.clone(),
            sub: user.username.clone(),
            aud: config.audience.clone(),
            exp: now + access_lifetime,
            iat: now,
            nbf: now,
            jti: random::token(16)?,
            client_id: client_id.to_owned(),
            tenant_id: tenant.clone(),
            allowed_tenants: user.allowed_tenants(),
            scope: scope.clone(),
            scp: scopes.to_vec(),
            name: user.effective_display_name().to_owned(),
            preferred_username: user.username.clone(),
            email: user.effective_email(),
            role: user.roles.clone(),
            auth_time,
        };
        let access_token = self.inner.key.sign(tokens::TYP_ACCESS, &access)?;
        let (id_token, refresh_token) = if full {
            let id = IdTokenClaims {
                iss: issuer.clone(),
                sub: user.username.clone(),
                aud: client_id.to_owned(),
                exp: now + access_lifetime,
                iat: now,
                auth_time,
                name: access.name.clone(),
                preferred_username: user.username.clone(),
                email: access.email.clone(),
                tenant_id: tenant.clone(),
            };
            let id_token = self.inner.key.sign(tokens::TYP_ID, &id)?;
            let refresh_token = if scopes.iter().any(|s| s == SCOPE_OFFLINE_ACCESS) {
                let refresh = RefreshTokenClaims {
                    iss: issuer.clone(),
                    sub: user.username.clone(),
                    aud: issuer.clone(),
                    exp: now + ceil_secs(config.refresh_token_lifetime),
                    iat: now,
                    jti: random::token(16)?,
                    token_use: tokens::REFRESH_TOKEN_USE.to_owned(),
                    client_id: client_id.to_owned(),
                    tenant_id: tenant,
                    scope: scope.clone(),
                    auth_time,
                };
                Some(self.inner.key.sign(tokens::TYP_REFRESH, &refresh)?)
            } else {
                None
            };
            (Some(id_token), refresh_token)
        } else {
            (None, None)
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: access_lifetime,
            scope,
            id_token,
            refresh_token,
            issued_token_type: None,
        })
    }

    /// Checks an access token of this provider (signature, `iss`, `aud`, `exp`, `nbf`) and
    /// returns its claims.
    ///
    /// # Errors
    ///
    /// [`DevIdpError::Crypto`] with the reason when the token is not valid.
    pub fn verify_access_token(&self, token: &str) -> Result<AccessTokenClaims, DevIdpError> {
        Ok(self.inner.key.verify(token, &self.access_validation())?)
    }

    /// Signs an access token for `username` in `tenant` without the device flow (tests, scripts),
    /// with the scope `octo_api` (`octo_api.read_only` for a read-only user).
    ///
    /// # Errors
    ///
    /// An unknown user, a tenant the user may not use, or a signing failure.
    pub fn issue_access_token(
        &self,
        username: &str,
        tenant: Option<&str>,
    ) -> Result<String, DevIdpError> {
        let user = self
            .find_user(username)
            .ok_or_else(|| DevIdpError::UnknownUser(username.to_owned()))?;
        let tenant = tenant.map(str::to_ascii_lowercase);
        if let Some(t) = &tenant
            && !user.may_use_tenant(t)
        {
            return Err(DevIdpError::TenantNotAllowed {
                user: user.username.clone(),
                tenant: t.clone(),
            });
        }
        let scopes = tokens::granted_scopes(user, &[SCOPE_API.to_owned()]);
        let client_id = self.inner.config.client_id.clone();
        Ok(self
            .issue(user, tenant, &scopes, &client_id, now_secs(), false)?
            .access_token)
    }

    // ---- verification page ----------------------------------------------------------------

    fn device_action(&self) -> String {
        format!("{}{}", self.inner.prefix, paths::DEVICE)
    }

    fn device_page(&self, query: &str) -> Response<Bytes> {
        let action = self.device_action();
        let query = Form::parse(query.as_bytes()).unwrap_or(Form(HashMap::new()));
        let typed = query.get("user_code").unwrap_or_default();
        let Some(code) = random::normalize_user_code(typed) else {
            let error =
                (!typed.is_empty()).then_some("That is not a valid code: it looks like BCDF-GHJK.");
            let form = pages::LoginForm {
                action: &action,
                user_code: typed,
                ask_tenant: true,
                error,
                ..Default::default()
            };
            return html_response(StatusCode::OK, pages::login_page(&form));
        };
        let now = Instant::now();
        let store = lock(&self.inner.devices);
        match store.by_user_code(&code) {
            Some(g) if g.state == GrantState::Pending && !g.is_expired(now) => {
                let scopes = g.scopes.join(" ");
                let form = pages::LoginForm {
                    action: &action,
                    user_code: &code,
                    client_id: Some(&g.client_id),
                    tenant: g.tenant.as_deref(),
                    scopes: Some(&scopes),
                    ask_tenant: g.tenant.is_none(),
                    ..Default::default()
                };
                html_response(StatusCode::OK, pages::login_page(&form))
            }
            _ => {
                let form = pages::LoginForm {
                    action: &action,
                    user_code: &code,
                    ask_tenant: true,
                    error: Some(
                        "This code is unknown, expired or already used. Start the sign-in again in your application.",
                    ),
                    ..Default::default()
                };
                html_response(StatusCode::OK, pages::login_page(&form))
            }
        }
    }

    fn device_login(&self, body: &Bytes) -> Response<Bytes> {
        let action = self.device_action();
        let form = match Form::parse(body) {
            Ok(form) => form,
            Err(e) => {
                return html_response(
                    StatusCode::BAD_REQUEST,
                    pages::outcome_page(false, "Bad request", &e.description),
                );
            }
        };
        let typed = form.get("user_code").unwrap_or_default();
        let username = form.get("username").unwrap_or_default();
        let password = form.get("password").unwrap_or_default();
        let tenant_input = form.get("tenant").unwrap_or_default().trim();
        let deny = form.get("action") == Some("deny");
        // The form again with an error, and what is known about the request.
        let retry = |code: &str, error: &str, grant: Option<&DeviceGrant>| {
            let scopes = grant.map(|g| g.scopes.join(" "));
            let page = pages::login_page(&pages::LoginForm {
                action: &action,
                user_code: code,
                username,
                client_id: grant.map(|g| g.client_id.as_str()),
                tenant: grant.and_then(|g| g.tenant.as_deref()),
                scopes: scopes.as_deref(),
                ask_tenant: grant.is_none_or(|g| g.tenant.is_none()),
                tenant_input,
                error: Some(error),
            });
            html_response(StatusCode::BAD_REQUEST, page)
        };
        let Some(code) = random::normalize_user_code(typed) else {
            return retry(
                typed,
                "That is not a valid code: it looks like BCDF-GHJK.",
                None,
            );
        };
        let now = Instant::now();
        let mut store = lock(&self.inner.devices);
        let Some(grant) = store.by_user_code_mut(&code) else {
            return retry(
                &code,
                "Unknown code. Check it, or start the sign-in again in your application.",
                None,
            );
        };
        if grant.is_expired(now) {
            return html_response(
                StatusCode::BAD_REQUEST,
                pages::outcome_page(
                    false,
                    "Code expired",
                    &format!(
                        "The code {code} has expired. Start the sign-in again in your application."
                    ),
                ),
            );
        }
        if grant.state != GrantState::Pending {
            return html_response(
                StatusCode::BAD_REQUEST,
                pages::outcome_page(
                    false,
                    "Code already used",
                    &format!("The code {code} was already used."),
                ),
            );
        }
        if deny {
            grant.state = GrantState::Denied;
            return html_response(
                StatusCode::OK,
                pages::outcome_page(
                    false,
                    "Access denied",
                    "The application will not get access.",
                ),
            );
        }
        let user = self
            .find_user(username)
            .filter(|u| secrets_equal(&u.password, password));
        let Some(user) = user else {
            grant.failed_logins += 1;
            if grant.failed_logins >= device::MAX_FAILED_LOGINS {
                grant.state = GrantState::Denied;
                return html_response(
                    StatusCode::FORBIDDEN,
                    pages::outcome_page(
                        false,
                        "Too many attempts",
                        "Too many wrong passwords for this code; it is blocked. Start the sign-in again in your application.",
                    ),
                );
            }
            return retry(&code, "Wrong user name or password.", Some(grant));
        };
        let tenant = match (&grant.tenant, tenant_input) {
            (Some(t), _) => Some(t.clone()),
            (None, "") => None,
            (None, input) => match parse_tenant(input) {
                Some(t) => Some(t),
                None => return retry(&code, "That is not a valid tenant id.", Some(grant)),
            },
        };
        if let Some(t) = &tenant
            && !user.may_use_tenant(t)
        {
            grant.state = GrantState::Denied;
            return html_response(
                StatusCode::FORBIDDEN,
                pages::outcome_page(
                    false,
                    "Access denied",
                    &format!(
                        "User '{}' may not use tenant '{t}'. The application is told access_denied; \
                         sign in again as another user or for another tenant.",
                        user.username
                    ),
                ),
            );
        }
        grant.state = GrantState::Approved {
            username: user.username.clone(),
            tenant: tenant.clone(),
            auth_time: now_secs(),
        };
        let message = match &tenant {
            Some(t) => format!(
                "Signed in as '{}' for tenant '{t}'. The application gets its tokens on its next poll.",
                user.username
            ),
            None => format!(
                "Signed in as '{}'. The application gets its tokens on its next poll.",
                user.username
            ),
        };
        html_response(
            StatusCode::OK,
            pages::outcome_page(true, "Device connected", &message),
        )
    }
}

/// The scopes of a refresh or exchange: the original ones, or the `scope` parameter when given,
/// which must be a subset (RFC 6749 §6).
fn narrow_scopes(original: &[String], requested: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(original.to_vec());
    };
    let requested: Vec<String> = requested.split_whitespace().map(str::to_owned).collect();
    if let Some(extra) = requested.iter().find(|s| !original.contains(s)) {
        return Err(OAuthError::new(
            "invalid_scope",
            format!("scope '{extra}' was not granted originally"),
        ));
    }
    Ok(requested)
}

fn validate(config: &DevIdpConfig) -> Result<(), DevIdpError> {
    let bad = |m: String| Err(DevIdpError::InvalidConfig(m));
    if config.users.is_empty() {
        return bad("at least one user is needed".to_owned());
    }
    for (i, user) in config.users.iter().enumerate() {
        if user.username.trim().is_empty() || user.username.trim() != user.username {
            return bad(format!(
                "user #{}: the user name is empty or has surrounding spaces",
                i + 1
            ));
        }
        if user.password.is_empty() {
            return bad(format!("user '{}': the password is empty", user.username));
        }
        if config.users[..i]
            .iter()
            .any(|u| u.username.eq_ignore_ascii_case(&user.username))
        {
            return bad(format!("user '{}' is configured twice", user.username));
        }
        if let Some(t) = user
            .tenants
            .iter()
            .find(|t| *t != ALL_TENANTS && parse_tenant(t).is_none())
        {
            return bad(format!(
                "user '{}': '{t}' is not a valid tenant id",
                user.username
            ));
        }
    }
    if config.client_id.is_empty() || config.audience.is_empty() {
        return bad("client_id and audience must not be empty".to_owned());
    }
    for (name, d) in [
        ("access_token_lifetime", config.access_token_lifetime),
        ("refresh_token_lifetime", config.refresh_token_lifetime),
        ("device_code_lifetime", config.device_code_lifetime),
    ] {
        if d.is_zero() {
            return bad(format!("{name} must be longer than zero"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_gives_the_prefix() {
        let (issuer, prefix) = parse_issuer("http://127.0.0.1:8080/dev-idp/").expect("valid");
        assert_eq!(issuer, "http://127.0.0.1:8080/dev-idp");
        assert_eq!(prefix, "/dev-idp");
        let (_, root) = parse_issuer("https://idp.example").expect("valid");
        assert_eq!(root, "");
        assert!(parse_issuer("/dev-idp").is_err());
        assert!(parse_issuer("ftp://x/dev-idp").is_err());
        assert!(parse_issuer("http://x/dev-idp?a=b").is_err());
    }

    #[test]
    fn configuration_mistakes_are_reported() {
        let issuer = "http://localhost:1/dev-idp";
        assert!(DevIdp::new(DevIdpConfig::new(issuer, vec![])).is_err());
        let twice = vec![DevUser::new("a", "x"), DevUser::new("A", "y")];
        assert!(DevIdp::new(DevIdpConfig::new(issuer, twice)).is_err());
        assert!(DevIdp::new(DevIdpConfig::new(issuer, vec![DevUser::new("a", "")])).is_err());
        let bad_tenant = DevUser::new("a", "x").with_tenants(["no spaces"]);
        assert!(DevIdp::new(DevIdpConfig::new(issuer, vec![bad_tenant])).is_err());
        let (config, password) = DevIdpConfig::with_random_admin(issuer);
        assert_eq!(password.len(), 20);
        assert!(DevIdp::new(config).is_ok());
    }

    #[test]
    fn acr_values_name_the_tenant() {
        assert_eq!(tenant_from_acr_values(None).expect("ok"), None);
        assert_eq!(
            tenant_from_acr_values(Some("idp:local tenant:OctoSystem"))
                .expect("ok")
                .as_deref(),
            Some("octosystem")
        );
        assert!(tenant_from_acr_values(Some("tenant:")).is_err());
        assert!(tenant_from_acr_values(Some("tenant:<x>")).is_err());
    }

    #[test]
    fn narrowing_refuses_new_scopes() {
        let original = vec!["openid".to_owned(), "octo_api".to_owned()];
        assert_eq!(narrow_scopes(&original, None).expect("ok"), original);
        assert_eq!(
            narrow_scopes(&original, Some("octo_api")).expect("ok"),
            vec!["octo_api".to_owned()]
        );
        assert_eq!(
            narrow_scopes(&original, Some("email"))
                .expect_err("wider")
                .code,
            "invalid_scope"
        );
    }

    #[test]
    fn secrets_compare() {
        assert!(secrets_equal("abc", "abc"));
        assert!(!secrets_equal("abc", "abd"));
        assert!(!secrets_equal("abc", "abcd"));
    }

    #[test]
    fn paths_outside_the_prefix_are_not_found() {
        let (config, _) = DevIdpConfig::with_random_admin("http://localhost:1/dev-idp");
        let idp = DevIdp::new(config).expect("idp");
        let get = |path: &str| {
            let req = Request::builder()
                .uri(path)
                .body(Bytes::new())
                .expect("request");
            idp.handle(req).status()
        };
        assert_eq!(get("/dev-idpx/jwks"), StatusCode::NOT_FOUND);
        assert_eq!(get("/other"), StatusCode::NOT_FOUND);
        assert_eq!(get("/dev-idp/jwks"), StatusCode::OK);
        assert_eq!(get("/dev-idp/jwks/"), StatusCode::OK);
        assert_eq!(get("/dev-idp"), StatusCode::OK);
        assert_eq!(
            get("/dev-idp/connect/token"),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }
}
