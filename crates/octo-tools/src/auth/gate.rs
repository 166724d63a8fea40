//! [`AuthGate`]: the registry's one check before a non-public tool runs.
//!
//! The identity comes from the request's `Authorization: Bearer` token when it sends one,
//! else from the MCP session's stored login for the call's tenant (refreshed when needed, or
//! another login of the session whose token allows the tenant). The call's tenant is resolved
//! as the tools resolve it (`tenantId`, then the `/{tenantId}/mcp` URL); a call without one
//! needs just any valid login, and the tool then reports the missing tenant itself.

use std::sync::Arc;

use async_trait::async_trait;
use octo_auth::{AuthService, Identity, READ_ONLY_SCOPE};
use octo_ids::TenantId;

use super::{NOT_AUTHENTICATED, bearer};
use crate::registry::{AccessGate, GateRefusal};
use crate::tool::{Access, CallInfo};

/// Admits calls with a login that allows their tenant, and writes only without read-only scope.
#[derive(Debug, Clone)]
pub struct AuthGate {
    auth: Arc<AuthService>,
}

impl AuthGate {
    pub fn new(auth: Arc<AuthService>) -> Self {
        Self { auth }
    }

    async fn identity(
        &self,
        tenant: Option<&TenantId>,
        call: &CallInfo,
    ) -> Result<Option<Identity>, String> {
        if let Some(token) = bearer(call.authorization.as_deref()) {
            return self
                .auth
                .validate_bearer(token)
                .await
                .map(Some)
                .map_err(|rejected| {
                    format!(
                        "{NOT_AUTHENTICATED} The bearer token was refused: {rejected}. Get a new \
                     access token from the identity provider."
                    )
                });
        }
        let Some(session) = call.session_id.as_deref() else {
            return Ok(None);
        };
        let login = match tenant {
            Some(tenant) => self.auth.login_allowing(session, tenant).await,
            None => self.auth.latest_login(session).await,
        };
        login
            .map(|login| login.map(|login| login.identity))
            .map_err(|error| error.to_string())
    }
}

#[async_trait]
impl AccessGate for AuthGate {
    async fn admit(
        &self,
        tool: &str,
        access: Access,
        tenant_parameter: Option<&str>,
        call: &CallInfo,
    ) -> Result<(), GateRefusal> {
        let tenant = octo_tenancy::resolve(tenant_parameter, call.url_tenant.as_deref())
            .ok()
            .map(|resolved| resolved.tenant_id);
        let refuse = |message: String| GateRefusal {
            message,
            tenant_id: tenant.as_ref().map(ToString::to_string),
        };
        let identity = self.identity(tenant.as_ref(), call).await.map_err(refuse)?;
        let Some(identity) = identity else {
            let how = match (&tenant, call.session_id.is_some()) {
                (Some(tenant), true) => format!(
                    "Call 'authenticate' with tenantId '{tenant}' and follow its instructions, \
                     or send an access token as 'Authorization: Bearer <token>'."
                ),
                (None, true) => "Call 'authenticate' with your tenantId and follow its \
                    instructions, or send an access token as 'Authorization: Bearer <token>'."
                    .to_owned(),
                (_, false) => "This request has no MCP session (the stateless 2026-07-28 \
                    protocol revision): send an access token from the identity provider as \
                    'Authorization: Bearer <token>'."
                    .to_owned(),
            };
            return Err(refuse(format!("{NOT_AUTHENTICATED} {how}")));
        };
        if let Some(tenant) = &tenant
            && !identity.may_act_on(tenant.as_str())
        {
            let holds = identity
                .tenant_id
                .as_deref()
                .map(|own| format!(" (your login is for tenant '{own}')"))
                .unwrap_or_default();
            return Err(refuse(format!(
                "Your login does not allow tenant '{tenant}'{holds}. Call 'authenticate' with \
                 tenantId '{tenant}' to log in to it, or 'switch_tenant' if your account may use \
                 it."
            )));
        }
        if access == Access::Write && identity.is_read_only() {
            return Err(refuse(format!(
                "'{tool}' changes data, but your login has read-only access (scope \
                 '{READ_ONLY_SCOPE}'). Log in with an account that may write, or use tools that \
                 only read."
            )));
        }
        Ok(())
    }
}
