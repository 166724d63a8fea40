//! `switch_tenant`: a login for another tenant, by RFC 8693 token exchange where the provider
//! offers it, else by a new device flow.

use std::sync::Arc;

use async_trait::async_trait;
use octo_auth::{AuthService, SwitchOutcome};
use octo_ids::TenantId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::device::OPEN_WORLD_READ;
use super::{NOT_AUTHENTICATED, auth_failure, service, session};
use crate::error::ToolError;
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub struct SwitchTenant(pub Option<Arc<AuthService>>);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwitchTenantParams {
    /// The tenant to get a login for.
    pub tenant_id: String,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SwitchTenantOutput {
    /// The roles the login has in the tenant.
    pub roles: Vec<String>,
    /// Set when the provider cannot exchange tokens and a device flow was started instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_uri_complete: Option<String>,
}

#[async_trait]
impl Tool for SwitchTenant {
    type Params = SwitchTenantParams;
    type Output = SwitchTenantOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "switch_tenant",
            title: "Log in to another tenant",
            description: "Gets this MCP session a login for another tenant by exchanging the \
                current token (RFC 8693) with the identity provider; where the provider cannot \
                exchange tokens, starts a device flow for the tenant instead. Tools still take \
                the tenant from their tenantId parameter.",
            category: Category::Authentication,
            access: Access::Public,
            annotations: Annotations {
                read_only: false,
                idempotent: true,
                ..OPEN_WORLD_READ
            },
            examples: vec![ToolExample {
                description: "Work on tenant plant7 too",
                parameters: json!({"tenantId": "plant7"}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: SwitchTenantParams,
    ) -> Result<Success<SwitchTenantOutput>, ToolError> {
        let auth = service(&self.0)?;
        let session = session(ctx)?;
        let tenant: TenantId = params
            .tenant_id
            .trim()
            .parse()
            .map_err(|error| ToolError::invalid(format!("{error}")))?;
        let outcome = auth
            .switch_tenant(session, &tenant)
            .await
            .map_err(auth_failure)?;
        let in_tenant = |message: String| ToolError::Failed {
            message,
            tenant_id: Some(tenant.to_string()),
        };
        match outcome {
            SwitchOutcome::AlreadyOn(login) => Ok(Success::new(SwitchTenantOutput {
                roles: login.identity.roles,
                ..SwitchTenantOutput::default()
            })
            .message(format!("Already on tenant '{tenant}'."))
            .tenant(tenant.to_string())),
            SwitchOutcome::Switched(login) => Ok(Success::new(SwitchTenantOutput {
                roles: login.identity.roles,
                ..SwitchTenantOutput::default()
            })
            .message(format!(
                "Switched to tenant '{tenant}'. Subsequent tools will operate on this tenant \
                 when you pass it as 'tenantId'."
            ))
            .tenant(tenant.to_string())),
            SwitchOutcome::NotAuthenticated => Err(in_tenant(format!(
                "{NOT_AUTHENTICATED} Call 'authenticate' with tenantId '{tenant}' to log in to it."
            ))),
            SwitchOutcome::Refused(reason) => Err(in_tenant(format!(
                "Could not switch to tenant '{tenant}'. You may not have access to it, or the \
                 identity service is unreachable. Use the 'authenticate' tool to log in against \
                 that tenant directly. ({reason})"
            ))),
            SwitchOutcome::DeviceFlow(login) => {
                let message = format!(
                    "The identity provider cannot exchange tokens, so a new login for tenant \
                     '{tenant}' was started: please open {} in your browser and enter code: {}. \
                     Then call 'check_auth_status' to complete authentication.",
                    login.verification_uri, login.user_code
                );
                Ok(Success::new(SwitchTenantOutput {
                    roles: Vec::new(),
                    user_code: Some(login.user_code),
                    verification_uri: Some(login.verification_uri),
                    verification_uri_complete: login.verification_uri_complete,
                })
                .message(message)
                .tenant(tenant.to_string()))
            }
        }
    }
}
