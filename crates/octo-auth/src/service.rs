//! [`AuthService`]: login state per MCP session and tenant, kept sealed in the store.
//!
//! - A device flow runs per session: [`AuthService::begin_device_flow`] starts it,
//!   [`AuthService::check_device_flow`] polls the provider once per call (never before the
//!   interval the provider asked for, which grows by five seconds on `slow_down`); concurrent
//!   checks in one session share one poll (a lock per session in the process, a claim in the
//!   store across replicas).
//! - Tokens are stored per (tenant, session), sealed with the server key, so a restarted
//!   server or another replica continues the session.
//! - [`AuthService::login_for`] returns a valid identity, refreshing the access token shortly
//!   before it expires. Concurrent calls share one refresh: within a process a lock per
//!   (session, tenant); across replicas a lease in the store, so a rotating refresh token is
//!   spent exactly once. A refused refresh (the refresh token is gone) removes the tokens.
//! - [`AuthService::switch_tenant`] exchanges the session's token for one of another tenant
//!   (RFC 8693) where the provider offers it, else starts a new device flow.
//! - [`AuthService::validate_bearer`] checks an `Authorization: Bearer` token.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use octo_ids::TenantId;
use octo_store::{AuthTokenRecord, DeviceFlowRecord, Store};
use serde::{Deserialize, Serialize};

use crate::client::{GrantError, OidcClient, Poll, TokenSet};
use crate::config::AuthConfig;
use crate::error::{AuthError, TokenRejected};
use crate::identity::Identity;
use crate::jwt::JwtValidator;
use crate::seal::{Sealer, ServerKey};

/// How long one process may hold the refresh lease before others may take over.
const REFRESH_LEASE: Duration = Duration::from_secs(30);
/// How long a caller waits for another process's refresh before giving up.
const REFRESH_WAIT: Duration = Duration::from_secs(10);

/// A login the session holds for a tenant.
#[derive(Debug, Clone)]
pub struct SessionLogin {
    /// The tenant the tokens are stored under.
    pub tenant: TenantId,
    pub identity: Identity,
    /// True when this call refreshed the access token.
    pub was_refreshed: bool,
}

/// What the user is asked to do to finish a device flow.
#[derive(Debug, Clone)]
pub struct DeviceLogin {
    pub tenant: TenantId,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in_secs: u64,
}

/// The result of [`AuthService::begin_device_flow`].
#[derive(Debug, Clone)]
pub enum BeginOutcome {
    AlreadyAuthenticated(SessionLogin),
    Started(DeviceLogin),
}

/// The result of [`AuthService::check_device_flow`].
#[derive(Debug, Clone)]
pub enum CheckOutcome {
    /// No device flow is running; the session's most recent login, if any.
    NoFlow(Option<SessionLogin>),
    Pending {
        retry_after_secs: u64,
        slowed_down: bool,
        user_code: String,
        verification_uri: String,
    },
    /// The user code expired before the login finished.
    Expired {
        tenant: TenantId,
    },
    /// The user declined, or the provider ended the flow with an error.
    Failed {
        tenant: TenantId,
        reason: String,
    },
    Authenticated(SessionLogin),
    /// The login finished, but the token is for another tenant than the one requested.
    OtherTenant {
        requested: TenantId,
        login: SessionLogin,
    },
}

/// The result of [`AuthService::switch_tenant`].
#[derive(Debug, Clone)]
pub enum SwitchOutcome {
    AlreadyOn(SessionLogin),
    Switched(SessionLogin),
    /// The session holds no login to exchange.
    NotAuthenticated,
    /// The provider refused the exchange (or the token it gave is for another tenant).
    Refused(String),
    /// The provider offers no token exchange: a device flow for the tenant was started.
    DeviceFlow(DeviceLogin),
}

/// Tokens as sealed in the store.
#[derive(Serialize, Deserialize)]
struct StoredTokens {
    access_token: String,
    refresh_token: Option<String>,
    /// For a token obtained by exchange: the tenant whose login it was exchanged from, so it
    /// can be exchanged again when it expires (exchanged tokens carry no refresh token).
    exchanged_from: Option<TenantId>,
}

/// A device flow as sealed in the store.
#[derive(Serialize, Deserialize)]
struct StoredDeviceFlow {
    device_code: String,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: Option<String>,
}

/// Login state of every MCP session, on one identity provider.
#[derive(Clone)]
pub struct AuthService {
    store: Arc<dyn Store>,
    client: OidcClient,
    validator: JwtValidator,
    sealer: Sealer,
    locks: moka::future::Cache<(String, TenantId), Arc<tokio::sync::Mutex<()>>>,
    /// One device-flow check at a time per session, so concurrent `check_auth_status` calls
    /// share one poll: a device code is redeemed once, a second poll would be refused.
    check_locks: moka::future::Cache<String, Arc<tokio::sync::Mutex<()>>>,
}

impl std::fmt::Debug for AuthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

fn tokens_context(tenant: &TenantId, session: &str) -> String {
    format!("octo-auth/tokens|{tenant}|{session}")
}

fn device_context(session: &str) -> String {
    format!("octo-auth/device|{session}")
}

fn secs_until(at: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let millis = (at - now).num_milliseconds().max(0);
    u64::try_from(millis).unwrap_or(0).div_ceil(1000)
}

impl AuthService {
    pub fn new(
        store: Arc<dyn Store>,
        config: AuthConfig,
        key: &ServerKey,
    ) -> Result<Self, AuthError> {
        let client = OidcClient::new(config)?;
        Ok(Self {
            store,
            validator: JwtValidator::new(client.clone()),
            client,
            sealer: Sealer::new(key),
            locks: moka::future::Cache::builder()
                .time_to_idle(Duration::from_secs(600))
                .build(),
            check_locks: moka::future::Cache::builder()
                .time_to_idle(Duration::from_secs(600))
                .build(),
        })
    }

    pub fn config(&self) -> &AuthConfig {
        self.client.config()
    }

    pub fn client(&self) -> &OidcClient {
        &self.client
    }

    /// Checks an `Authorization: Bearer` access token.
    pub async fn validate_bearer(&self, token: &str) -> Result<Identity, TokenRejected> {
        self.validator.validate(token).await
    }

    /// Starts a device flow for `tenant` in `session`, unless the session already holds a valid
    /// login for it. A flow already running in the session is replaced.
    pub async fn begin_device_flow(
        &self,
        session: &str,
        tenant: &TenantId,
    ) -> Result<BeginOutcome, AuthError> {
        if let Some(login) = self.login_for(session, tenant).await? {
            return Ok(BeginOutcome::AlreadyAuthenticated(login));
        }
        let started = self
            .client
            .start_device_authorization(tenant.as_str())
            .await?;
        self.store_device_flow(session, tenant, &started).await
    }

    async fn store_device_flow(
        &self,
        session: &str,
        tenant: &TenantId,
        started: &crate::client::DeviceAuthorization,
    ) -> Result<BeginOutcome, AuthError> {
        let now = Utc::now();
        let sealed = StoredDeviceFlow {
            device_code: started.device_code.clone(),
            user_code: started.user_code.clone(),
            verification_uri: started.verification_uri.clone(),
            verification_uri_complete: started.verification_uri_complete.clone(),
        };
        let plain = serde_json::to_vec(&sealed).map_err(|e| AuthError::Sealed(e.to_string()))?;
        let interval = chrono::Duration::from_std(started.interval).unwrap_or_default();
        let lifetime = chrono::Duration::from_std(started.expires_in).unwrap_or_default();
        let record = DeviceFlowRecord {
            session_id: session.to_owned(),
            tenant_id: tenant.clone(),
            sealed: self.sealer.seal(&device_context(session), &plain)?,
            expires_at: now + lifetime,
            interval_secs: u32::try_from(started.interval.as_secs())
                .unwrap_or(5)
                .max(1),
            next_poll_at: now + interval,
            created_at: now,
        };
        self.store.put_device_flow(&record).await?;
        Ok(BeginOutcome::Started(DeviceLogin {
            tenant: tenant.clone(),
            user_code: started.user_code.clone(),
            verification_uri: started.verification_uri.clone(),
            verification_uri_complete: started.verification_uri_complete.clone(),
            expires_in_secs: started.expires_in.as_secs(),
        }))
    }

    /// Polls the session's device flow once (or not at all while the interval has not passed).
    /// Concurrent calls for one session share that poll: in this process the others wait for it
    /// and then read its outcome from the store (the login it saved, or the flow still pending);
    /// across replicas the poll is claimed in the store, and a replica that did not get it says
    /// when to ask again.
    pub async fn check_device_flow(&self, session: &str) -> Result<CheckOutcome, AuthError> {
        let lock = self
            .check_locks
            .get_with(session.to_owned(), async {
                Arc::new(tokio::sync::Mutex::new(()))
            })
            .await;
        let _guard = lock.lock().await;
        self.check_device_flow_once(session).await
    }

    async fn check_device_flow_once(&self, session: &str) -> Result<CheckOutcome, AuthError> {
        let Some(mut flow) = self.store.get_device_flow(session).await? else {
            return Ok(CheckOutcome::NoFlow(self.latest_login(session).await?));
        };
        let stored: StoredDeviceFlow = {
            let plain = self.sealer.open(&device_context(session), &flow.sealed)?;
            serde_json::from_slice(&plain).map_err(|e| AuthError::Sealed(e.to_string()))?
        };
        let now = Utc::now();
        let tenant = flow.tenant_id.clone();
        if now >= flow.expires_at {
            self.store.delete_device_flow(session).await?;
            return Ok(CheckOutcome::Expired { tenant });
        }
        if now < flow.next_poll_at {
            return Ok(CheckOutcome::Pending {
                retry_after_secs: secs_until(flow.next_poll_at, now).max(1),
                slowed_down: false,
                user_code: stored.user_code,
                verification_uri: stored.verification_uri,
            });
        }
        // Another replica may be polling this very flow: only the one that claims the poll sends
        // it (a device code is redeemed once; oidc-provider revokes the login if it comes back).
        let claimed_until = now + chrono::Duration::seconds(i64::from(flow.interval_secs));
        if !self
            .store
            .claim_device_poll(session, flow.next_poll_at, claimed_until)
            .await?
        {
            return match self.store.get_device_flow(session).await? {
                None => Ok(CheckOutcome::NoFlow(self.latest_login(session).await?)),
                Some(current) => Ok(CheckOutcome::Pending {
                    retry_after_secs: secs_until(current.next_poll_at, Utc::now()).max(1),
                    slowed_down: false,
                    user_code: stored.user_code,
                    verification_uri: stored.verification_uri,
                }),
            };
        }
        let poll = self.client.poll_device_token(&stored.device_code).await?;
        let pending = |flow: &DeviceFlowRecord, slowed_down: bool| CheckOutcome::Pending {
            retry_after_secs: u64::from(flow.interval_secs),
            slowed_down,
            user_code: stored.user_code.clone(),
            verification_uri: stored.verification_uri.clone(),
        };
        match poll {
            Poll::Pending | Poll::SlowDown => {
                let slowed_down = matches!(poll, Poll::SlowDown);
                if slowed_down {
                    flow.interval_secs += 5;
                }
                flow.next_poll_at =
                    Utc::now() + chrono::Duration::seconds(i64::from(flow.interval_secs));
                self.store.put_device_flow(&flow).await?;
                Ok(pending(&flow, slowed_down))
            }
            Poll::Expired => {
                self.store.delete_device_flow(session).await?;
                Ok(CheckOutcome::Expired { tenant })
            }
            Poll::Denied => {
                self.store.delete_device_flow(session).await?;
                Ok(CheckOutcome::Failed {
                    tenant,
                    reason: "the login was declined".to_owned(),
                })
            }
            Poll::Failed(reason) => {
                self.store.delete_device_flow(session).await?;
                Ok(CheckOutcome::Failed { tenant, reason })
            }
            Poll::Tokens(tokens) => {
                // The login is saved before the flow is removed, so a concurrent check never
                // finds neither.
                let outcome = self.finish_login(session, tenant, &tokens).await?;
                self.store.delete_device_flow(session).await?;
                Ok(outcome)
            }
        }
    }

    /// Validates the tokens a finished device flow for `tenant` gave and saves the login.
    async fn finish_login(
        &self,
        session: &str,
        tenant: TenantId,
        tokens: &TokenSet,
    ) -> Result<CheckOutcome, AuthError> {
        let identity = match self.validator.validate(&tokens.access_token).await {
            Ok(identity) => identity,
            Err(rejected) => {
                return Ok(CheckOutcome::Failed {
                    tenant,
                    reason: format!("the provider issued a token this server refuses: {rejected}"),
                });
            }
        };
        if identity.may_act_on(tenant.as_str()) {
            let login = self
                .save_login(session, &tenant, tokens, &identity, None)
                .await?;
            return Ok(CheckOutcome::Authenticated(login));
        }
        // Logged in, but for another tenant: keep it under that tenant and say so.
        let actual = identity
            .tenant_id
            .as_deref()
            .and_then(|t| TenantId::parse_normalized(t).ok());
        match actual {
            Some(actual) => {
                let login = self
                    .save_login(session, &actual, tokens, &identity, None)
                    .await?;
                Ok(CheckOutcome::OtherTenant {
                    requested: tenant,
                    login,
                })
            }
            None => Ok(CheckOutcome::Failed {
                tenant: tenant.clone(),
                reason: format!(
                    "the token the provider issued names no tenant, so it does not allow tenant '{tenant}'"
                ),
            }),
        }
    }

    async fn save_login(
        &self,
        session: &str,
        tenant: &TenantId,
        tokens: &TokenSet,
        identity: &Identity,
        exchanged_from: Option<TenantId>,
    ) -> Result<SessionLogin, AuthError> {
        let record = self.record(session, tenant, tokens, identity, exchanged_from, 1)?;
        self.store.put_auth_token(&record).await?;
        Ok(SessionLogin {
            tenant: tenant.clone(),
            identity: identity.clone(),
            was_refreshed: false,
        })
    }

    fn record(
        &self,
        session: &str,
        tenant: &TenantId,
        tokens: &TokenSet,
        identity: &Identity,
        exchanged_from: Option<TenantId>,
        version: u64,
    ) -> Result<AuthTokenRecord, AuthError> {
        let stored = StoredTokens {
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            exchanged_from,
        };
        let plain = serde_json::to_vec(&stored).map_err(|e| AuthError::Sealed(e.to_string()))?;
        let expires_at = tokens
            .expires_at
            .map_or(identity.expires_at, |at| at.min(identity.expires_at));
        Ok(AuthTokenRecord {
            tenant_id: tenant.clone(),
            session_id: session.to_owned(),
            sealed: self.sealer.seal(&tokens_context(tenant, session), &plain)?,
            access_expires_at: expires_at,
            version,
            refresh_lease_until: None,
            updated_at: Utc::now(),
        })
    }

    fn open(&self, record: &AuthTokenRecord) -> Result<StoredTokens, AuthError> {
        let plain = self.sealer.open(
            &tokens_context(&record.tenant_id, &record.session_id),
            &record.sealed,
        )?;
        serde_json::from_slice(&plain).map_err(|e| AuthError::Sealed(e.to_string()))
    }

    /// The session's valid login stored for exactly `tenant`, refreshed when it is about to
    /// expire; `None` when there is none or it can no longer be refreshed.
    pub async fn login_for(
        &self,
        session: &str,
        tenant: &TenantId,
    ) -> Result<Option<SessionLogin>, AuthError> {
        let Some(record) = self.store.get_auth_token(tenant, session).await? else {
            return Ok(None);
        };
        if let Some(login) = self.usable(&record).await? {
            return Ok(Some(login));
        }
        self.refresh(session, tenant).await
    }

    /// A valid login of the session that allows `tenant`: the one stored for it, else any other
    /// whose token names the tenant.
    pub async fn login_allowing(
        &self,
        session: &str,
        tenant: &TenantId,
    ) -> Result<Option<SessionLogin>, AuthError> {
        if let Some(login) = self.login_for(session, tenant).await? {
            return Ok(Some(login));
        }
        for record in self.store.list_auth_tokens(session).await? {
            if &record.tenant_id == tenant {
                continue;
            }
            if let Some(login) = self.login_for(session, &record.tenant_id).await?
                && login.identity.may_act_on(tenant.as_str())
            {
                return Ok(Some(login));
            }
        }
        Ok(None)
    }

    /// The session's most recently stored valid login, if any (refreshed when needed).
    pub async fn latest_login(&self, session: &str) -> Result<Option<SessionLogin>, AuthError> {
        let mut records = self.store.list_auth_tokens(session).await?;
        records.sort_by_key(|record| std::cmp::Reverse(record.updated_at));
        for record in records {
            if let Some(login) = self.login_for(session, &record.tenant_id).await? {
                return Ok(Some(login));
            }
        }
        Ok(None)
    }

    /// The login in `record` if its access token is valid for a while yet.
    async fn usable(&self, record: &AuthTokenRecord) -> Result<Option<SessionLogin>, AuthError> {
        let skew = chrono::Duration::from_std(self.config().refresh_skew).unwrap_or_default();
        if record.access_expires_at - skew <= Utc::now() {
            return Ok(None);
        }
        let tokens = match self.open(record) {
            Ok(tokens) => tokens,
            Err(error) => {
                tracing::warn!(%error, tenant = %record.tenant_id, "stored tokens do not open; dropping them");
                self.store
                    .delete_auth_token(&record.tenant_id, &record.session_id)
                    .await?;
                return Ok(None);
            }
        };
        match self.validator.validate(&tokens.access_token).await {
            Ok(identity) => Ok(Some(SessionLogin {
                tenant: record.tenant_id.clone(),
                identity,
                was_refreshed: false,
            })),
            // Signing keys or configuration changed: let a refresh get a fresh token.
            Err(rejected) => {
                tracing::info!(%rejected, tenant = %record.tenant_id, "stored access token no longer validates");
                Ok(None)
            }
        }
    }

    /// Refreshes the (session, tenant) tokens once for all concurrent callers.
    async fn refresh(
        &self,
        session: &str,
        tenant: &TenantId,
    ) -> Result<Option<SessionLogin>, AuthError> {
        let lock = self
            .locks
            .get_with((session.to_owned(), tenant.clone()), async {
                Arc::new(tokio::sync::Mutex::new(()))
            })
            .await;
        let _guard = lock.lock().await;
        // Whoever held the lock before may have refreshed already.
        let Some(record) = self.store.get_auth_token(tenant, session).await? else {
            return Ok(None);
        };
        if let Some(login) = self.usable(&record).await? {
            return Ok(Some(login));
        }
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(REFRESH_LEASE).unwrap_or_default();
        if !self
            .store
            .lease_auth_refresh(tenant, session, record.version, lease_until, now)
            .await?
        {
            return self
                .wait_for_other_refresh(session, tenant, record.version)
                .await;
        }
        let stored = match self.open(&record) {
            Ok(stored) => stored,
            Err(_) => {
                self.store.delete_auth_token(tenant, session).await?;
                return Ok(None);
            }
        };
        let granted = if let Some(refresh_token) = &stored.refresh_token {
            self.client.refresh(refresh_token).await
        } else if let Some(home) = &stored.exchanged_from {
            // Exchanged tokens have no refresh token: exchange again from the home login.
            match Box::pin(self.login_for(session, home)).await? {
                Some(home_login) => match self.access_token(session, home).await? {
                    Some(subject) => {
                        self.client
                            .exchange(&subject, tenant.as_str(), &home_login.identity.scopes)
                            .await
                    }
                    None => Err(GrantError::Refused("the home login is gone".to_owned())),
                },
                None => Err(GrantError::Refused("the home login is gone".to_owned())),
            }
        } else {
            Err(GrantError::Refused(
                "no refresh token was issued".to_owned(),
            ))
        };
        let mut tokens = match granted {
            Ok(tokens) => tokens,
            Err(GrantError::Refused(reason)) => {
                tracing::info!(%tenant, %reason, "refresh refused; the session must log in again");
                self.store.delete_auth_token(tenant, session).await?;
                return Ok(None);
            }
            Err(GrantError::Unavailable(error)) => return Err(error),
        };
        // Providers that do not rotate refresh tokens return none: keep the old one.
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = stored.refresh_token.clone();
        }
        let identity = match self.validator.validate(&tokens.access_token).await {
            Ok(identity) => identity,
            Err(rejected) => {
                tracing::warn!(%rejected, %tenant, "refreshed access token refused");
                self.store.delete_auth_token(tenant, session).await?;
                return Ok(None);
            }
        };
        let next = self.record(
            session,
            tenant,
            &tokens,
            &identity,
            stored.exchanged_from.clone(),
            record.version + 1,
        )?;
        if !self.store.replace_auth_token(&next, record.version).await? {
            // The session was deleted or logged in again meanwhile; theirs wins.
            return self
                .wait_for_other_refresh(session, tenant, record.version)
                .await;
        }
        Ok(Some(SessionLogin {
            tenant: tenant.clone(),
            identity,
            was_refreshed: true,
        }))
    }

    /// Waits for another process's refresh of version `version` to land.
    async fn wait_for_other_refresh(
        &self,
        session: &str,
        tenant: &TenantId,
        version: u64,
    ) -> Result<Option<SessionLogin>, AuthError> {
        let deadline = tokio::time::Instant::now() + REFRESH_WAIT;
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let Some(record) = self.store.get_auth_token(tenant, session).await? else {
                return Ok(None);
            };
            if record.version != version {
                return self.usable(&record).await;
            }
        }
        Ok(None)
    }

    /// The stored access token of (session, tenant), for a token exchange.
    async fn access_token(
        &self,
        session: &str,
        tenant: &TenantId,
    ) -> Result<Option<String>, AuthError> {
        match self.store.get_auth_token(tenant, session).await? {
            Some(record) => Ok(Some(self.open(&record)?.access_token)),
            None => Ok(None),
        }
    }

    /// Gets the session a login for `tenant`: token exchange from its current login where the
    /// provider offers it, else a new device flow.
    pub async fn switch_tenant(
        &self,
        session: &str,
        tenant: &TenantId,
    ) -> Result<SwitchOutcome, AuthError> {
        if let Some(login) = self.login_for(session, tenant).await? {
            return Ok(SwitchOutcome::AlreadyOn(login));
        }
        let Some(home) = self.latest_login(session).await? else {
            return Ok(SwitchOutcome::NotAuthenticated);
        };
        if !self.client.metadata().await?.supports_token_exchange() {
            let started = self
                .client
                .start_device_authorization(tenant.as_str())
                .await?;
            return match self.store_device_flow(session, tenant, &started).await? {
                BeginOutcome::Started(login) => Ok(SwitchOutcome::DeviceFlow(login)),
                BeginOutcome::AlreadyAuthenticated(login) => Ok(SwitchOutcome::AlreadyOn(login)),
            };
        }
        let Some(subject) = self.access_token(session, &home.tenant).await? else {
            return Ok(SwitchOutcome::NotAuthenticated);
        };
        let tokens = match self
            .client
            .exchange(&subject, tenant.as_str(), &home.identity.scopes)
            .await
        {
            Ok(tokens) => tokens,
            Err(GrantError::Refused(reason)) => return Ok(SwitchOutcome::Refused(reason)),
            Err(GrantError::Unavailable(error)) => return Err(error),
        };
        let identity = match self.validator.validate(&tokens.access_token).await {
            Ok(identity) => identity,
            Err(rejected) => return Ok(SwitchOutcome::Refused(rejected.to_string())),
        };
        if !identity.may_act_on(tenant.as_str()) {
            return Ok(SwitchOutcome::Refused(format!(
                "the exchanged token does not allow tenant '{tenant}'"
            )));
        }
        let login = self
            .save_login(session, tenant, &tokens, &identity, Some(home.tenant))
            .await?;
        Ok(SwitchOutcome::Switched(login))
    }

    /// Forgets everything the session holds (its login state and its stored MCP session).
    pub async fn forget_session(&self, session: &str) -> Result<(), AuthError> {
        self.store.delete_mcp_session(session).await?;
        Ok(())
    }
}
