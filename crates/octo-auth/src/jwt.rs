//! [`JwtValidator`]: accepts an access token only if it is a JWT signed by one of the provider's
//! published keys (JWKS), issued by the configured issuer, for the configured audience (when
//! one is set), and not expired.
//!
//! The key set is cached (moka, one hour); a token naming a key id the cache does not know
//! fetches the set again, at most once every ten seconds, so a provider's key rotation is
//! picked up at once while forged key ids cannot make the server hammer the provider.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::client::OidcClient;
use crate::error::TokenRejected;
use crate::identity::Identity;

const JWKS_TTL: Duration = Duration::from_secs(3600);
const FORCED_REFETCH_GAP: Duration = Duration::from_secs(10);
/// Clock difference tolerated between the provider and this server.
const LEEWAY_SECS: u64 = 5;

/// Validates access tokens of one provider.
#[derive(Clone)]
pub struct JwtValidator {
    client: OidcClient,
    keys: moka::future::Cache<(), Arc<JwkSet>>,
    last_forced: Arc<Mutex<Option<Instant>>>,
}

impl std::fmt::Debug for JwtValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtValidator").finish_non_exhaustive()
    }
}

impl JwtValidator {
    pub fn new(client: OidcClient) -> Self {
        Self {
            client,
            keys: moka::future::Cache::builder()
                .max_capacity(1)
                .time_to_live(JWKS_TTL)
                .build(),
            last_forced: Arc::new(Mutex::new(None)),
        }
    }

    /// The identity `token` speaks for, or why it is refused.
    pub async fn validate(&self, token: &str) -> Result<Identity, TokenRejected> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|error| TokenRejected::Malformed(error.to_string()))?;
        // Only asymmetric algorithms: a provider's public key must never verify an HMAC.
        if matches!(
            header.alg,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        ) {
            return Err(TokenRejected::Algorithm(format!("{:?}", header.alg)));
        }
        let jwk = self.key_for(header.kid.as_deref(), header.alg).await?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|error| {
            TokenRejected::Keys(format!("a published key is not usable: {error}"))
        })?;
        let config = self.client.config();
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.set_issuer(&[config.issuer.as_str(), &format!("{}/", config.issuer)]);
        match &config.audience {
            Some(audience) => validation.set_audience(&[audience.as_str()]),
            None => validation.validate_aud = false,
        }
        let data =
            jsonwebtoken::decode::<Value>(token, &key, &validation).map_err(|error| match error
                .kind()
            {
                ErrorKind::InvalidSignature => TokenRejected::Signature,
                ErrorKind::ExpiredSignature => TokenRejected::Expired,
                ErrorKind::InvalidIssuer => TokenRejected::Issuer {
                    expected: config.issuer.clone(),
                    found: issuer_of(token).unwrap_or_default(),
                },
                ErrorKind::InvalidAudience => TokenRejected::Audience {
                    expected: config.audience.clone().unwrap_or_default(),
                },
                ErrorKind::MissingRequiredClaim(claim) => {
                    TokenRejected::MissingClaim(match claim.as_str() {
                        "exp" => "exp",
                        "iss" => "iss",
                        "aud" => "aud",
                        _ => "sub",
                    })
                }
                ErrorKind::InvalidAlgorithm => {
                    TokenRejected::Algorithm(format!("{:?}", header.alg))
                }
                _ => TokenRejected::Malformed(error.to_string()),
            })?;
        Identity::from_claims(&data.claims).ok_or(TokenRejected::MissingClaim("sub"))
    }

    /// The published key for `kid` (or the only key for `alg` when the token names none).
    async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Jwk, TokenRejected> {
        let keys = self.keys(false).await?;
        if let Some(jwk) = pick(&keys, kid, alg) {
            return Ok(jwk);
        }
        // Perhaps the provider rotated its keys since they were cached.
        let mut last = self.last_forced.lock().await;
        if last.is_none_or(|at| at.elapsed() >= FORCED_REFETCH_GAP) {
            *last = Some(Instant::now());
            drop(last);
            let keys = self.keys(true).await?;
            if let Some(jwk) = pick(&keys, kid, alg) {
                return Ok(jwk);
            }
        }
        Err(TokenRejected::UnknownKey(
            kid.unwrap_or("(none)").to_owned(),
        ))
    }

    async fn keys(&self, fresh: bool) -> Result<Arc<JwkSet>, TokenRejected> {
        if fresh {
            self.keys.invalidate(&()).await;
        }
        self.keys
            .try_get_with((), async {
                let metadata = self
                    .client
                    .metadata()
                    .await
                    .map_err(|error| TokenRejected::Keys(error.to_string()))?;
                let response = self
                    .client
                    .http()
                    .get(&metadata.jwks_uri)
                    .send()
                    .await
                    .map_err(|error| TokenRejected::Keys(error.to_string()))?;
                if !response.status().is_success() {
                    return Err(TokenRejected::Keys(format!(
                        "GET {} answered {}",
                        metadata.jwks_uri,
                        response.status()
                    )));
                }
                let set: JwkSet = response
                    .json()
                    .await
                    .map_err(|error| TokenRejected::Keys(error.to_string()))?;
                Ok(Arc::new(set))
            })
            .await
            .map_err(|error: Arc<TokenRejected>| (*error).clone())
    }
}

fn pick(keys: &JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<Jwk> {
    match kid {
        Some(kid) => keys.find(kid).cloned(),
        None => {
            let mut fitting = keys.keys.iter().filter(|jwk| {
                jwk.common
                    .key_algorithm
                    .is_none_or(|key_alg| format!("{key_alg:?}") == format!("{alg:?}"))
            });
            let first = fitting.next()?;
            // Without a key id the choice must be unambiguous.
            fitting.next().is_none().then(|| first.clone())
        }
    }
}

/// The unverified `iss` of a token, only to name it in a refusal.
fn issuer_of(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}
