//! `authenticate` and `check_auth_status`: the device flow, one step per call.

use std::sync::Arc;

use async_trait::async_trait;
use octo_auth::{AuthService, BeginOutcome, CheckOutcome};
use octo_ids::TenantId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{auth_failure, service, session};
use crate::error::ToolError;
use crate::tool::{
    Access, Annotations, Category, NoParams, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub struct Authenticate(pub Option<Arc<AuthService>>);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthenticateParams {
    /// The tenant to log in to (sent to the identity provider as `acr_values=tenant:<id>`).
    pub tenant_id: String,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticateOutput {
    /// True when the session already holds a valid login for the tenant.
    pub is_already_authenticated: bool,
    /// The code the user enters on the verification page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_code: Option<String>,
    /// The page where the user logs in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_uri: Option<String>,
    /// The page with the code filled in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_uri_complete: Option<String>,
    /// How long the code is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<u64>,
}

/// Tools that reach the identity provider.
pub(super) const OPEN_WORLD_READ: Annotations = Annotations {
    open_world: true,
    ..Annotations::READ_ONLY
};

/// Login state changes, nothing else.
const OPEN_WORLD_LOGIN: Annotations = Annotations {
    read_only: false,
    destructive: false,
    idempotent: false,
    open_world: true,
};

fn tenant_parameter(text: &str) -> Result<TenantId, ToolError> {
    text.trim()
        .parse()
        .map_err(|error| ToolError::invalid(format!("{error}")))
}

#[async_trait]
impl Tool for Authenticate {
    type Params = AuthenticateParams;
    type Output = AuthenticateOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "authenticate",
            title: "Log in (device flow)",
            description: "Starts a login to a tenant with the OAuth 2.0 device flow and returns a \
                user code and a verification URL: the user opens the URL, enters the code and \
                logs in, then you call check_auth_status. Says so when this MCP session is \
                already logged in to the tenant.",
            category: Category::Authentication,
            access: Access::Public,
            annotations: OPEN_WORLD_LOGIN,
            examples: vec![ToolExample {
                description: "Log in to tenant meshtest",
                parameters: json!({"tenantId": "meshtest"}),
            }],
            notes: vec![
                "The login belongs to this MCP session; a new session logs in again.",
                "Show the user the verificationUri and userCode, then call check_auth_status.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: AuthenticateParams,
    ) -> Result<Success<AuthenticateOutput>, ToolError> {
        let auth = service(&self.0)?;
        let session = session(ctx)?;
        let tenant = tenant_parameter(&params.tenant_id)?;
        match auth
            .begin_device_flow(session, &tenant)
            .await
            .map_err(auth_failure)?
        {
            BeginOutcome::AlreadyAuthenticated(_) => Ok(Success::new(AuthenticateOutput {
                is_already_authenticated: true,
                ..AuthenticateOutput::default()
            })
            .message("Already authenticated. Use 'whoami' to see your identity.")
            .tenant(tenant.to_string())),
            BeginOutcome::Started(login) => {
                let message = format!(
                    "Please open {} in your browser and enter code: {}. Then call \
                     'check_auth_status' to complete authentication.",
                    login.verification_uri, login.user_code
                );
                Ok(Success::new(AuthenticateOutput {
                    is_already_authenticated: false,
                    user_code: Some(login.user_code),
                    verification_uri: Some(login.verification_uri),
                    verification_uri_complete: login.verification_uri_complete,
                    expires_in_seconds: Some(login.expires_in_secs),
                })
                .message(message)
                .tenant(tenant.to_string()))
            }
        }
    }
}

pub struct CheckAuthStatus(pub Option<Arc<AuthService>>);

#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckAuthStatusOutput {
    pub is_authenticated: bool,
    /// True while the user has not finished the browser login.
    pub is_pending: bool,
    /// Wait this long before calling again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

#[async_trait]
impl Tool for CheckAuthStatus {
    type Params = NoParams;
    type Output = CheckAuthStatusOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "check_auth_status",
            title: "Finish the login",
            description: "Checks once whether the user has finished the device-flow login started \
                by authenticate, and stores the tokens when they have. While the login is \
                pending, returns isPending and retryAfterSeconds: wait that long before calling \
                again.",
            category: Category::Authentication,
            access: Access::Public,
            annotations: OPEN_WORLD_LOGIN,
            examples: vec![ToolExample {
                description: "Check the login",
                parameters: json!({}),
            }],
            notes: vec!["Sends at most one request to the identity provider per call."],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        _: NoParams,
    ) -> Result<Success<CheckAuthStatusOutput>, ToolError> {
        let auth = service(&self.0)?;
        let session = session(ctx)?;
        let outcome = auth
            .check_device_flow(session)
            .await
            .map_err(auth_failure)?;
        let authenticated = |tenant: String, message: String| {
            Ok(Success::new(CheckAuthStatusOutput {
                is_authenticated: true,
                ..CheckAuthStatusOutput::default()
            })
            .message(message)
            .tenant(tenant))
        };
        match outcome {
            CheckOutcome::NoFlow(Some(login)) => authenticated(
                login.tenant.to_string(),
                "Already authenticated.".to_owned(),
            ),
            CheckOutcome::NoFlow(None) => Err(ToolError::failed(
                "No login is in progress in this MCP session. Call 'authenticate' with your \
                 tenantId first.",
            )),
            CheckOutcome::Pending {
                retry_after_secs,
                slowed_down,
                user_code,
                verification_uri,
            } => {
                let message = if slowed_down {
                    "Waiting for user to authenticate (polling too fast, slowing down).".to_owned()
                } else {
                    format!(
                        "Waiting for user to authenticate. Please open {verification_uri} and \
                         enter code: {user_code}"
                    )
                };
                Ok(Success::new(CheckAuthStatusOutput {
                    is_authenticated: false,
                    is_pending: true,
                    retry_after_seconds: Some(retry_after_secs),
                })
                .message(message))
            }
            CheckOutcome::Expired { tenant } => Err(ToolError::Failed {
                message: format!(
                    "The user code expired before the login was finished. Call 'authenticate' \
                     with tenantId '{tenant}' again for a new code."
                ),
                tenant_id: Some(tenant.to_string()),
            }),
            CheckOutcome::Failed { tenant, reason } => Err(ToolError::Failed {
                message: format!(
                    "The login failed: {reason}. Call 'authenticate' with tenantId '{tenant}' to \
                     start again."
                ),
                tenant_id: Some(tenant.to_string()),
            }),
            CheckOutcome::Authenticated(login) => authenticated(
                login.tenant.to_string(),
                "Authentication successful! You can now use all tools. Use 'whoami' to see your \
                 identity and 'list_tenants' to see available tenants."
                    .to_owned(),
            ),
            CheckOutcome::OtherTenant { requested, login } => {
                Ok(Success::new(CheckAuthStatusOutput {
                    is_authenticated: true,
                    ..CheckAuthStatusOutput::default()
                })
                .message(format!(
                    "The login was completed for tenant '{}', not for '{requested}', which this \
                 account may not use. You can use tenant '{}'; to work on '{requested}', call \
                 'authenticate' with tenantId '{requested}' and log in with an account that \
                 may use it.",
                    login.tenant, login.tenant
                ))
                .tenant(login.tenant.to_string()))
            }
        }
    }
}
