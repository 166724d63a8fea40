//! [`OidcClient`]: the requests the server makes to its identity provider.
//!
//! Built on the `oauth2` crate: the device authorization request and the refresh grant use its
//! request builders; the single device-token poll and the RFC 8693 token exchange are POSTed
//! with its HTTP client and read with its response types. Why not its device-token helper:
//! `DeviceAccessTokenRequest::request_async` loops, sleeping between polls, until the user
//! finishes or the code expires. A tool call must return at once with "still pending", so
//! `check_auth_status` sends exactly one token request per call and keeps the interval (and the
//! `slow_down` increase) itself, in the store, where every replica sees it.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponse, BasicTokenResponse};
use oauth2::{
    AsyncHttpClient, ClientId, ClientSecret, DeviceAuthorizationUrl, DeviceCodeErrorResponse,
    DeviceCodeErrorResponseType, EmptyExtraDeviceAuthorizationFields, RefreshToken,
    RequestTokenError, Scope, StandardDeviceAuthorizationResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use crate::config::AuthConfig;
use crate::discovery::{ProviderMetadata, TOKEN_EXCHANGE_GRANT};
use crate::error::AuthError;

/// How long a discovery document is trusted before it is fetched again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Tokens as the provider issued them. Never logged.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// When the provider says the access token expires (`expires_in`), if it said.
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A started device authorization (RFC 8628 §3.2).
#[derive(Clone, Serialize, Deserialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: Duration,
    pub interval: Duration,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .finish_non_exhaustive()
    }
}

/// What one device-token poll came to.
#[derive(Debug)]
pub enum Poll {
    Tokens(TokenSet),
    /// `authorization_pending`: ask again after the interval.
    Pending,
    /// `slow_down`: ask again after the interval plus five seconds.
    SlowDown,
    /// `expired_token`: the user code is no longer valid.
    Expired,
    /// `access_denied`: the user declined.
    Denied,
    /// Another OAuth error, with the provider's description.
    Failed(String),
}

/// Why a refresh or an exchange gave no tokens.
#[derive(Debug)]
pub enum GrantError {
    /// The provider refused (e.g. `invalid_grant`: the refresh token is gone); final.
    Refused(String),
    /// The provider could not be reached or answered nonsense; may work later.
    Unavailable(AuthError),
}

/// Talks to one identity provider.
#[derive(Clone)]
pub struct OidcClient {
    config: AuthConfig,
    http: reqwest::Client,
    discovery: moka::future::Cache<(), Arc<ProviderMetadata>>,
}

impl std::fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcClient")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

impl OidcClient {
    pub fn new(config: AuthConfig) -> Result<Self, AuthError> {
        let http = reqwest::Client::builder()
            // Following redirects from the provider would let it point the server anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.http_timeout)
            .build()
            .map_err(|error| AuthError::Provider {
                issuer: config.issuer.clone(),
                detail: format!("cannot build an HTTP client: {error}"),
            })?;
        Ok(Self {
            config,
            http,
            discovery: moka::future::Cache::builder()
                .max_capacity(1)
                .time_to_live(DISCOVERY_TTL)
                .build(),
        })
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn provider_error(&self, detail: impl std::fmt::Display) -> AuthError {
        AuthError::Provider {
            issuer: self.config.issuer.clone(),
            detail: detail.to_string(),
        }
    }

    /// The provider's discovery document (fetched once, then cached for an hour; concurrent
    /// callers share one fetch). Its `issuer` must be the configured one.
    pub async fn metadata(&self) -> Result<Arc<ProviderMetadata>, AuthError> {
        self.discovery
            .try_get_with((), async {
                let url = ProviderMetadata::url_for(&self.config.issuer);
                let response = self
                    .http
                    .get(&url)
                    .send()
                    .await
                    .map_err(|error| self.provider_error(format!("GET {url}: {error}")))?;
                if !response.status().is_success() {
                    return Err(
                        self.provider_error(format!("GET {url} answered {}", response.status()))
                    );
                }
                let metadata: ProviderMetadata = response.json().await.map_err(|error| {
                    self.provider_error(format!("{url} is not a discovery document: {error}"))
                })?;
                if metadata.issuer.trim_end_matches('/') != self.config.issuer {
                    return Err(self.provider_error(format!(
                        "its discovery document names the issuer '{}'",
                        metadata.issuer
                    )));
                }
                Ok(Arc::new(metadata))
            })
            .await
            .map_err(|error: Arc<AuthError>| self.provider_error(error.to_string()))
    }

    /// Starts a device authorization for `tenant` (`acr_values=tenant:<id>`).
    pub async fn start_device_authorization(
        &self,
        tenant: &str,
    ) -> Result<DeviceAuthorization, AuthError> {
        let metadata = self.metadata().await?;
        let endpoint = metadata
            .device_authorization_endpoint
            .clone()
            .ok_or_else(|| AuthError::NoDeviceFlow {
                issuer: self.config.issuer.clone(),
                client_id: self.config.client_id.clone(),
            })?;
        let device_url =
            DeviceAuthorizationUrl::new(endpoint).map_err(|error| self.provider_error(error))?;
        let token_url = TokenUrl::new(metadata.token_endpoint.clone())
            .map_err(|error| self.provider_error(error))?;
        let mut client = BasicClient::new(ClientId::new(self.config.client_id.clone()))
            .set_device_authorization_url(device_url)
            .set_token_uri(token_url);
        if let Some(secret) = &self.config.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
        let details: StandardDeviceAuthorizationResponse = client
            .exchange_device_code()
            .add_scopes(self.config.scopes.iter().cloned().map(Scope::new))
            .add_extra_param("acr_values", format!("tenant:{tenant}"))
            .request_async(&self.http)
            .await
            .map_err(|error| self.provider_error(describe(&error)))?;
        let _: &EmptyExtraDeviceAuthorizationFields = details.extra_fields();
        Ok(DeviceAuthorization {
            device_code: details.device_code().secret().clone(),
            user_code: details.user_code().secret().clone(),
            verification_uri: details.verification_uri().to_string(),
            verification_uri_complete: details
                .verification_uri_complete()
                .map(|uri| uri.secret().clone()),
            expires_in: details.expires_in(),
            // RFC 8628 §3.2: five seconds when the provider names none.
            interval: details.interval().max(Duration::from_secs(1)),
        })
    }

    /// One device-token request (RFC 8628 §3.4), no waiting.
    pub async fn poll_device_token(&self, device_code: &str) -> Result<Poll, AuthError> {
        let metadata = self.metadata().await?;
        let response = self
            .post_form(
                &metadata.token_endpoint,
                &[
                    ("grant_type", DEVICE_CODE_GRANT),
                    ("device_code", device_code),
                ],
            )
            .await?;
        if response.status().is_success() {
            return self.token_set(response.body()).map(Poll::Tokens);
        }
        let error: DeviceCodeErrorResponse =
            serde_json::from_slice(response.body()).map_err(|_| {
                self.provider_error(format!(
                    "the token endpoint answered {} without an OAuth error",
                    response.status()
                ))
            })?;
        Ok(match error.error() {
            DeviceCodeErrorResponseType::AuthorizationPending => Poll::Pending,
            DeviceCodeErrorResponseType::SlowDown => Poll::SlowDown,
            DeviceCodeErrorResponseType::ExpiredToken => Poll::Expired,
            DeviceCodeErrorResponseType::AccessDenied => Poll::Denied,
            _ => Poll::Failed(error.to_string()),
        })
    }

    /// The refresh grant (RFC 6749 §6).
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenSet, GrantError> {
        let metadata = self.metadata().await.map_err(GrantError::Unavailable)?;
        let token_url = TokenUrl::new(metadata.token_endpoint.clone())
            .map_err(|error| GrantError::Unavailable(self.provider_error(error)))?;
        let mut client =
            BasicClient::new(ClientId::new(self.config.client_id.clone())).set_token_uri(token_url);
        if let Some(secret) = &self.config.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
        let token = RefreshToken::new(refresh_token.to_owned());
        let response: Result<BasicTokenResponse, _> = client
            .exchange_refresh_token(&token)
            .request_async(&self.http)
            .await;
        match response {
            Ok(response) => Ok(from_token_response(&response)),
            Err(RequestTokenError::ServerResponse(error)) => {
                Err(GrantError::Refused(error.to_string()))
            }
            Err(error) => Err(GrantError::Unavailable(
                self.provider_error(describe(&error)),
            )),
        }
    }

    /// RFC 8693 token exchange: a token for `tenant` in return for `subject_token`, with the
    /// subject token's `scopes` (what was granted, not what was asked for: a provider refuses
    /// to widen them).
    pub async fn exchange(
        &self,
        subject_token: &str,
        tenant: &str,
        scopes: &[String],
    ) -> Result<TokenSet, GrantError> {
        let metadata = self.metadata().await.map_err(GrantError::Unavailable)?;
        let scopes = scopes
            .iter()
            .filter(|scope| *scope != "offline_access")
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let acr = format!("tenant:{tenant}");
        let response = self
            .post_form(
                &metadata.token_endpoint,
                &[
                    ("grant_type", TOKEN_EXCHANGE_GRANT),
                    ("subject_token", subject_token),
                    ("subject_token_type", ACCESS_TOKEN_TYPE),
                    ("requested_token_type", ACCESS_TOKEN_TYPE),
                    ("scope", &scopes),
                    ("acr_values", &acr),
                ],
            )
            .await
            .map_err(GrantError::Unavailable)?;
        if response.status().is_success() {
            return self
                .token_set(response.body())
                .map_err(GrantError::Unavailable);
        }
        match serde_json::from_slice::<BasicErrorResponse>(response.body()) {
            Ok(error) => Err(GrantError::Refused(error.to_string())),
            Err(_) => Err(GrantError::Unavailable(self.provider_error(format!(
                "the token endpoint answered {} to a token exchange",
                response.status()
            )))),
        }
    }

    /// POSTs a form to the token endpoint as this client, with `oauth2`'s HTTP client.
    async fn post_form(
        &self,
        url: &str,
        params: &[(&str, &str)],
    ) -> Result<oauth2::HttpResponse, AuthError> {
        let mut pairs: Vec<(&str, &str)> = params.to_vec();
        let mut builder = http::Request::builder()
            .method(http::Method::POST)
            .uri(url)
            .header(http::header::ACCEPT, "application/json")
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            );
        match &self.config.client_secret {
            Some(secret) => {
                use base64::Engine;
                let encode = |text: &str| -> String {
                    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
                };
                let credential = base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    encode(&self.config.client_id),
                    encode(secret)
                ));
                builder =
                    builder.header(http::header::AUTHORIZATION, format!("Basic {credential}"));
            }
            None => pairs.push(("client_id", &self.config.client_id)),
        }
        // Built in one expression: the serializer is not `Send` and must not live across an await.
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
            .into_bytes();
        let request = builder
            .body(body)
            .map_err(|error| self.provider_error(error))?;
        self.http
            .call(request)
            .await
            .map_err(|error| self.provider_error(format!("POST {url}: {error}")))
    }

    fn token_set(&self, body: &[u8]) -> Result<TokenSet, AuthError> {
        let response: BasicTokenResponse = serde_json::from_slice(body).map_err(|error| {
            self.provider_error(format!("the token response could not be read: {error}"))
        })?;
        Ok(from_token_response(&response))
    }
}

fn from_token_response(response: &BasicTokenResponse) -> TokenSet {
    TokenSet {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|token| token.secret().clone()),
        expires_at: response
            .expires_in()
            .and_then(|lifetime| chrono::Duration::from_std(lifetime).ok())
            .map(|lifetime| Utc::now() + lifetime),
    }
}

/// An `oauth2` request error in one line, without secrets.
fn describe<RE: std::error::Error + 'static, TE: oauth2::ErrorResponse + 'static>(
    error: &RequestTokenError<RE, TE>,
) -> Cow<'static, str> {
    match error {
        RequestTokenError::ServerResponse(response) => {
            Cow::Owned(format!("the provider refused: {response}"))
        }
        RequestTokenError::Request(error) => Cow::Owned(format!("request failed: {error}")),
        RequestTokenError::Parse(error, _) => {
            Cow::Owned(format!("its answer could not be read: {error}"))
        }
        RequestTokenError::Other(text) => Cow::Owned(text.clone()),
    }
}
