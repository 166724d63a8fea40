//! The authentication tools and the registry's [`AuthGate`].
//!
//! - `authenticate(tenantId)` starts the device flow; `check_auth_status()` polls it once.
//! - `auth_status()`, `whoami()`, `list_tenants()` report the session's login (or the request's
//!   bearer token).
//! - `switch_tenant(tenantId)` gets a login for another tenant by token exchange.
//!
//! Device-flow logins live in the MCP session (`Mcp-Session-Id`). Clients of the stateless
//! 2026-07-28 revision have no session: for them the bearer token is the way in, and the
//! device-flow tools say so.

// The helpers return `ToolError`, what every tool returns; boxing it here would gain nothing.
#![allow(clippy::result_large_err)]

mod device;
mod gate;
mod identity;
mod switch;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use octo_auth::{AuthError, AuthService, Identity};

pub use gate::AuthGate;

use crate::error::{RegistryError, ToolError};
use crate::platform::Platform;
use crate::registry::ToolRegistryBuilder;
use crate::tool::ToolContext;

/// The first words of every refusal for want of a login (the spec's `Not authenticated`).
pub const NOT_AUTHENTICATED: &str = "Not authenticated.";

/// Registers the authentication tools, and the gate when authentication is on.
pub fn register(
    builder: ToolRegistryBuilder,
    platform: &Platform,
) -> Result<ToolRegistryBuilder, RegistryError> {
    let auth = platform.auth.clone();
    let mut builder = builder
        .register(device::Authenticate(auth.clone()))?
        .register(device::CheckAuthStatus(auth.clone()))?
        .register(identity::AuthStatus(auth.clone()))?
        .register(identity::WhoAmI(auth.clone()))?
        .register(identity::ListTenants(auth.clone()))?
        .register(switch::SwitchTenant(auth.clone()))?;
    if let Some(auth) = auth {
        builder = builder.gate(Arc::new(AuthGate::new(auth)));
    }
    Ok(builder)
}

/// What an authentication tool says when authentication is off.
const DISABLED: &str = "Authentication is disabled on this server (auth mode 'disabled'): every \
    tool runs without a login.";

/// The service, or the failure every tool gives when authentication is disabled.
fn service(auth: &Option<Arc<AuthService>>) -> Result<&Arc<AuthService>, ToolError> {
    auth.as_ref().ok_or_else(|| ToolError::failed(DISABLED))
}

/// The MCP session of the call; a stateless request has none and is told to use a bearer token.
fn session(ctx: &ToolContext) -> Result<&str, ToolError> {
    ctx.call.session_id.as_deref().ok_or_else(|| {
        ToolError::failed(
            "This request has no MCP session (the stateless 2026-07-28 protocol revision), so a \
             device-flow login has nowhere to be kept. Send an OAuth access token from the \
             identity provider as 'Authorization: Bearer <token>' instead; \
             /.well-known/oauth-protected-resource names the provider.",
        )
    })
}

/// The bearer token of the request, if it sent one.
pub(crate) fn bearer(ctx_authorization: Option<&str>) -> Option<&str> {
    let value = ctx_authorization?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

fn auth_failure(error: AuthError) -> ToolError {
    ToolError::failed(error.to_string())
}

/// Who the call speaks for: the request's bearer token if it sent one, else the session's most
/// recent login (refreshed when needed). `Err` when the bearer token is refused.
async fn caller(
    auth: &AuthService,
    ctx: &ToolContext,
) -> Result<Option<(Identity, bool)>, ToolError> {
    if let Some(token) = bearer(ctx.call.authorization.as_deref()) {
        return auth
            .validate_bearer(token)
            .await
            .map(|identity| Some((identity, false)))
            .map_err(|rejected| {
                ToolError::failed(format!(
                    "{NOT_AUTHENTICATED} The bearer token was refused: {rejected}. Get a new \
                     access token from the identity provider."
                ))
            });
    }
    let Some(session) = ctx.call.session_id.as_deref() else {
        return Ok(None);
    };
    Ok(auth
        .latest_login(session)
        .await
        .map_err(auth_failure)?
        .map(|login| (login.identity, login.was_refreshed)))
}
