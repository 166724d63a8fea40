//! Authentication wiring: the identity provider (an external one, or the built-in development
//! provider mounted at `/dev-idp`), the `AuthService` the tools' gate uses, the RFC 9728
//! protected-resource metadata, the `bearer-required` check in front of the MCP endpoint, and
//! the bearer check in front of writes outside MCP (stream-data ingestion).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use octo_auth::{AuthConfig, AuthService, ServerKey};
use octo_dev_idp::{DEFAULT_AUDIENCE, DevIdp, DevIdpConfig, DevUser};
use octo_mcp::Body;
use serde_json::json;

use crate::config::{AuthMode, AuthSettings};

/// Why authentication could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthSetupError {
    #[error("{0}")]
    Auth(#[from] octo_auth::AuthError),
    #[error("cannot start the built-in identity provider: {0}")]
    DevIdp(#[from] octo_dev_idp::DevIdpError),
}

/// What authentication is on, once the server knows its address.
#[derive(Debug, Clone)]
pub struct Auth {
    pub mode: AuthMode,
    /// `None` when authentication is disabled.
    pub service: Option<Arc<AuthService>>,
    /// The built-in provider, when it is the issuer.
    pub dev_idp: Option<DevIdp>,
    /// The generated password of the built-in provider's `admin` (not set when configured).
    pub generated_password: Option<String>,
    /// The configured public URL, if any.
    pub public_url: Option<String>,
}

/// `http://<addr>` for a server bound to `addr`, with an unspecified address replaced by
/// loopback (a browser cannot open `0.0.0.0`).
pub fn local_base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
        ip if ip.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{ip}:{}", addr.port())
}

impl Auth {
    /// Sets up the provider and the service for a server reachable at `addr`.
    pub fn setup(
        settings: &AuthSettings,
        store: Arc<dyn octo_store::Store>,
        data_dir: &Path,
        addr: SocketAddr,
    ) -> Result<Self, AuthSetupError> {
        if settings.mode == AuthMode::Disabled {
            return Ok(Self {
                mode: settings.mode,
                service: None,
                dev_idp: None,
                generated_password: None,
                public_url: settings.public_url.clone(),
            });
        }
        let base = settings
            .public_url
            .clone()
            .unwrap_or_else(|| local_base_url(addr));
        let (issuer, audience, dev_idp, generated_password) = match &settings.issuer {
            Some(issuer) => (issuer.clone(), settings.audience.clone(), None, None),
            None => {
                let issuer = format!("{base}/dev-idp");
                let (password, generated) = match &settings.dev_idp_password {
                    Some(password) => (password.clone(), None),
                    None => {
                        let password = octo_dev_idp::generate_password();
                        (password.clone(), Some(password))
                    }
                };
                let mut config = DevIdpConfig::new(issuer.clone(), vec![DevUser::admin(password)])
                    .key_path(data_dir.join("dev-idp-key.pem"));
                config.client_id = settings.client_id.clone();
                let audience = settings
                    .audience
                    .clone()
                    .unwrap_or_else(|| DEFAULT_AUDIENCE.to_owned());
                config.audience = audience.clone();
                let idp = DevIdp::new(config)?;
                (issuer, Some(audience), Some(idp), generated)
            }
        };
        let key = match &settings.key {
            Some(text) => ServerKey::from_base64(text)?,
            None => ServerKey::load_or_create(&data_dir.join("auth.key"))?,
        };
        let mut config = AuthConfig::new(issuer, settings.client_id.clone());
        config.client_secret = settings.client_secret.clone();
        config.audience = audience;
        config.scopes = settings.scopes.clone();
        let service = AuthService::new(store, config, &key)?;
        Ok(Self {
            mode: settings.mode,
            service: Some(Arc::new(service)),
            dev_idp,
            generated_password,
            public_url: settings.public_url.clone(),
        })
    }

    /// The base URL clients address: the configured public URL, else from `Host`.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .filter(|host| {
                host.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_')
                })
            })
            .unwrap_or("localhost");
        let scheme = match headers
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
        {
            Some("https") => "https",
            _ => "http",
        };
        format!("{scheme}://{host}")
    }

    /// The RFC 9728 protected-resource metadata for `resource_path` (e.g. `/mcp`).
    pub fn resource_metadata(
        &self,
        headers: &HeaderMap,
        resource_path: &str,
    ) -> Option<serde_json::Value> {
        let service = self.service.as_ref()?;
        let config = service.config();
        Some(json!({
            "resource": format!("{}{resource_path}", self.base_url(headers)),
            "authorization_servers": [config.issuer],
            "bearer_methods_supported": ["header"],
            "scopes_supported": config.scopes,
            "resource_name": "OctoMesh MCP Services",
        }))
    }

    /// In `bearer-required` mode: `None` when the request carries a valid bearer token, else
    /// the 401 to send.
    pub async fn require_bearer(
        &self,
        headers: &HeaderMap,
        resource_path: &str,
    ) -> Option<Response<Body>> {
        if self.mode != AuthMode::BearerRequired {
            return None;
        }
        let service = self.service.as_ref()?;
        let refusal = match bearer_token(headers) {
            None => None,
            Some(token) => match service.validate_bearer(token).await {
                Ok(_) => return None,
                Err(rejected) => Some(rejected.to_string()),
            },
        };
        let (challenge, message) = self.challenge(headers, resource_path, refusal);
        let body =
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32001, "message": message}});
        Some(unauthorized(&body, &challenge))
    }

    /// The check in front of a write outside MCP (stream-data ingestion): with authentication
    /// on (any mode but `disabled`), a valid bearer token that allows `tenant` and is not
    /// read-only. `None` when admitted, else the 401 (with `WWW-Authenticate`) or 403 to send,
    /// with a JSON body `{isSuccess: false, errorMessage}`.
    pub async fn authorize_write(
        &self,
        headers: &HeaderMap,
        tenant: &str,
        resource_path: &str,
    ) -> Option<Response<Body>> {
        let service = self.service.as_ref()?;
        let refusal = match bearer_token(headers) {
            None => None,
            Some(token) => match service.validate_bearer(token).await {
                Ok(identity) => {
                    return identity.write_refusal(tenant).map(|message| {
                        json_response(
                            StatusCode::FORBIDDEN,
                            &json!({"isSuccess": false, "errorMessage": message}),
                        )
                    });
                }
                Err(rejected) => Some(rejected.to_string()),
            },
        };
        let (challenge, message) = self.challenge(headers, resource_path, refusal);
        Some(unauthorized(
            &json!({"isSuccess": false, "errorMessage": message}),
            &challenge,
        ))
    }

    /// The `WWW-Authenticate` value and the message of a 401 for `resource_path`; `refusal` is
    /// why a token was refused (`None`: there was none).
    fn challenge(
        &self,
        headers: &HeaderMap,
        resource_path: &str,
        refusal: Option<String>,
    ) -> (String, String) {
        let metadata = format!(
            "{}/.well-known/oauth-protected-resource{}",
            self.base_url(headers),
            resource_path
        );
        let challenge = match &refusal {
            None => format!("Bearer resource_metadata=\"{metadata}\""),
            Some(reason) => format!(
                "Bearer resource_metadata=\"{metadata}\", error=\"invalid_token\", error_description=\"{}\"",
                reason.replace('"', "'")
            ),
        };
        let message = match refusal {
            None => format!(
                "Unauthorized: this server requires 'Authorization: Bearer <access token>'. The \
                 identity provider is named in {metadata}."
            ),
            Some(reason) => format!("Unauthorized: the bearer token was refused: {reason}."),
        };
        (challenge, message)
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

/// A JSON body with `status`; also the answer format of HTTP ingestion.
pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

fn unauthorized(body: &serde_json::Value, challenge: &str) -> Response<Body> {
    let mut response = json_response(StatusCode::UNAUTHORIZED, body);
    if let Ok(value) = header::HeaderValue::from_str(challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_addresses_become_loopback_urls() {
        assert_eq!(
            local_base_url("0.0.0.0:8080".parse().expect("addr")),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            local_base_url("127.0.0.1:9000".parse().expect("addr")),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            local_base_url("[::]:80".parse().expect("addr")),
            "http://[::1]:80"
        );
    }
}
