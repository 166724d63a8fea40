//! `auth_status`, `whoami` and `list_tenants`: what the session's login (or the request's
//! bearer token) says about the caller. All read the token's claims only.

use std::sync::Arc;

use async_trait::async_trait;
use octo_auth::AuthService;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;

use super::device::OPEN_WORLD_READ;
use super::{NOT_AUTHENTICATED, caller, service};
use crate::error::ToolError;
use crate::tool::{Access, Category, NoParams, Success, Tool, ToolContext, ToolExample, ToolSpec};

/// A time as RFC 3339 UTC text, as the other tools write times.
fn utc_text(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The failure of `whoami` and `list_tenants` without a login.
fn not_authenticated() -> ToolError {
    ToolError::failed(format!(
        "{NOT_AUTHENTICATED} Call 'authenticate' with your tenantId and follow its instructions, \
         or send an access token as 'Authorization: Bearer <token>'."
    ))
}

pub struct AuthStatus(pub Option<Arc<AuthService>>);

#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthStatusOutput {
    pub is_authenticated: bool,
    /// True when this call refreshed the access token.
    pub was_refreshed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at_utc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
}

#[async_trait]
impl Tool for AuthStatus {
    type Params = NoParams;
    type Output = AuthStatusOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "auth_status",
            title: "Login status",
            description: "Reports whether this MCP session is logged in, refreshing an expired \
                access token first. Never fails for want of a login: isAuthenticated says it.",
            category: Category::Authentication,
            access: Access::Public,
            annotations: OPEN_WORLD_READ,
            examples: vec![ToolExample {
                description: "Am I logged in?",
                parameters: json!({}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        _: NoParams,
    ) -> Result<Success<AuthStatusOutput>, ToolError> {
        let auth = service(&self.0)?;
        let Some((identity, was_refreshed)) = caller(auth, ctx).await? else {
            return Ok(Success::new(AuthStatusOutput::default())
                .message("Not authenticated. Call 'authenticate' first."));
        };
        let mut success = Success::new(AuthStatusOutput {
            is_authenticated: true,
            was_refreshed,
            expires_at_utc: Some(utc_text(identity.expires_at)),
            subject_id: Some(identity.sub.clone()),
            user_name: identity.name.clone(),
        })
        .message(if was_refreshed {
            "Access token was refreshed."
        } else {
            "Authenticated."
        });
        if let Some(tenant) = identity.tenant_id {
            success = success.tenant(tenant);
        }
        Ok(success)
    }
}

pub struct WhoAmI(pub Option<Arc<AuthService>>);

#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmIOutput {
    pub is_authenticated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub allowed_tenants: Vec<String>,
    pub roles: Vec<String>,
    pub scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_expires_at_utc: Option<String>,
}

#[async_trait]
impl Tool for WhoAmI {
    type Params = NoParams;
    type Output = WhoAmIOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "whoami",
            title: "Who am I",
            description: "The logged-in user: id, name, e-mail, tenant, the tenants the login \
                allows, roles, scopes and when the token expires (from the token's claims).",
            category: Category::Authentication,
            access: Access::Public,
            annotations: OPEN_WORLD_READ,
            examples: vec![ToolExample {
                description: "Show my identity",
                parameters: json!({}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        _: NoParams,
    ) -> Result<Success<WhoAmIOutput>, ToolError> {
        let auth = service(&self.0)?;
        let (identity, _) = caller(auth, ctx).await?.ok_or_else(not_authenticated)?;
        let tenant = identity.tenant_id.clone();
        let mut success = Success::new(WhoAmIOutput {
            is_authenticated: true,
            user_id: Some(identity.sub),
            user_name: identity.name,
            email: identity.email,
            allowed_tenants: identity.allowed_tenants,
            roles: identity.roles,
            scopes: identity.scopes,
            token_expires_at_utc: Some(utc_text(identity.expires_at)),
        });
        if let Some(tenant) = tenant {
            success = success.tenant(tenant);
        }
        Ok(success)
    }
}

pub struct ListTenants(pub Option<Arc<AuthService>>);

#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListTenantsOutput {
    /// The tenant the token was issued for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_tenant_id: Option<String>,
    /// Every tenant the login allows (`*` means all).
    pub allowed_tenants: Vec<String>,
    pub total_count: usize,
}

#[async_trait]
impl Tool for ListTenants {
    type Params = NoParams;
    type Output = ListTenantsOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "list_tenants",
            title: "Tenants I may use",
            description: "The tenants the current login allows, from the token's claims \
                (tenant_id and allowed_tenants). get_tenants lists the tenants that exist.",
            category: Category::Authentication,
            access: Access::Public,
            annotations: OPEN_WORLD_READ,
            examples: vec![ToolExample {
                description: "My tenants",
                parameters: json!({}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        _: NoParams,
    ) -> Result<Success<ListTenantsOutput>, ToolError> {
        let auth = service(&self.0)?;
        let (identity, _) = caller(auth, ctx).await?.ok_or_else(not_authenticated)?;
        let tenants = identity.tenants();
        let message = if tenants.is_empty() {
            "No tenants found in your token. You may need to request the 'allowed_tenants' scope."
                .to_owned()
        } else {
            format!(
                "You have access to {} tenant(s). Pass the tenant ID as 'tenantId' parameter to \
                 other tools.",
                tenants.len()
            )
        };
        Ok(Success::new(ListTenantsOutput {
            current_tenant_id: identity.tenant_id,
            total_count: tenants.len(),
            allowed_tenants: tenants,
        })
        .message(message))
    }
}
