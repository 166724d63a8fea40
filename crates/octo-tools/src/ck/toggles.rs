//! `enable_*` / `disable_*`: switching the service-managed features on and off per tenant.

use async_trait::async_trait;
use octo_ck_service::Feature;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::library::TenantParams;
use crate::error::ToolError;
use crate::platform::{Platform, failed_in};
use crate::tool::{
    Access, Annotations, Category, ConfirmTarget, Confirmation, Success, Tool, ToolContext,
    ToolExample, ToolSpec,
};

pub struct EnableFeature(pub Platform, pub Feature);

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToggleOutput {
    /// The service-managed model behind the feature.
    pub model_id: String,
    /// False when the feature was already in the requested state.
    pub changed: bool,
}

fn category(feature: Feature) -> Category {
    match feature {
        Feature::StreamData => Category::StreamData,
        _ => Category::ConstructionKit,
    }
}

#[async_trait]
impl Tool for EnableFeature {
    type Params = TenantParams;
    type Output = ToggleOutput;

    fn spec(&self) -> ToolSpec {
        let (title, description) = match self.1 {
            Feature::Communication => (
                "Enable Communication",
                "Enables the communication feature (adapters, pools, pipelines) for a tenant by \
                 installing its service-managed System.Communication model. Idempotent.",
            ),
            Feature::StreamData => (
                "Enable Stream Data",
                "Enables stream data (time-series archives and rollups) for a tenant by \
                 installing its service-managed System.StreamData model. Idempotent.",
            ),
            Feature::Reporting => (
                "Enable Reporting",
                "Enables reporting for a tenant by installing its service-managed \
                 System.Reporting model. Idempotent.",
            ),
            Feature::Ui => (
                "Enable UI",
                "Enables the UI feature (dashboards and widgets) for a tenant by installing its \
                 service-managed System.UI model. Idempotent.",
            ),
        };
        ToolSpec {
            name: self.1.enable_tool(),
            title,
            description,
            category: category(self.1),
            access: Access::Write,
            annotations: Annotations {
                idempotent: true,
                ..Annotations::ADDITIVE
            },
            examples: vec![ToolExample {
                description: "For octosystem",
                parameters: json!({"tenantId": "octosystem"}),
            }],
            notes: vec![
                "import_ck_from_catalog does not install service-managed models; this does.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: TenantParams,
    ) -> Result<Success<ToggleOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let (model_id, changed) = self
            .0
            .ck
            .enable(&tenant.tenant_id, self.1)
            .await
            .map_err(|error| failed_in(error, &tenant))?;
        let message = if changed {
            format!("{} enabled for tenant '{}'.", self.1, tenant.tenant_id)
        } else {
            format!(
                "{} was already enabled for tenant '{}'.",
                self.1, tenant.tenant_id
            )
        };
        Ok(Success::new(ToggleOutput { model_id, changed })
            .message(message)
            .tenant(tenant.tenant_id.to_string()))
    }
}

pub struct DisableFeature(pub Platform, pub Feature);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisableParams {
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Must be true. Ask the user first.
    #[serde(default)]
    pub confirm: bool,
}

fn disable_tool(feature: Feature) -> &'static str {
    match feature {
        Feature::Communication => "disable_communication",
        Feature::StreamData => "disable_stream_data",
        Feature::Reporting => "disable_reporting",
        Feature::Ui => "disable_ui",
    }
}

#[async_trait]
impl Tool for DisableFeature {
    type Params = DisableParams;
    type Output = ToggleOutput;

    fn spec(&self) -> ToolSpec {
        let (title, target) = match self.1 {
            Feature::Communication => ("Disable Communication", "communication controller"),
            Feature::StreamData => ("Disable Stream Data", "Stream Data"),
            Feature::Reporting => ("Disable Reporting", "reporting"),
            Feature::Ui => ("Disable UI", "UI"),
        };
        ToolSpec {
            name: disable_tool(self.1),
            title,
            description: "Disables the feature for a tenant: its service-managed model leaves the \
                tenant's library. Stored runtime data of the feature is kept and is visible again \
                after re-enabling. Requires confirm: true.",
            category: category(self.1),
            access: Access::Write,
            annotations: Annotations::DESTRUCTIVE,
            examples: vec![ToolExample {
                description: "After the user agreed",
                parameters: json!({"tenantId": "octosystem", "confirm": true}),
            }],
            notes: vec!["Ask the user for explicit consent before setting confirm to true."],
            confirmation: Some(Confirmation {
                verb: "disable",
                target: ConfirmTarget::Fixed(target),
            }),
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: DisableParams,
    ) -> Result<Success<ToggleOutput>, ToolError> {
        debug_assert!(params.confirm, "the registry's guard checks confirm first");
        let tenant = self.0.tenant(ctx, params.tenant_id.as_deref()).await?;
        let changed = self
            .0
            .ck
            .disable(&tenant.tenant_id, self.1)
            .await
            .map_err(|error| failed_in(error, &tenant))?;
        let message = if changed {
            format!("{} disabled for tenant '{}'.", self.1, tenant.tenant_id)
        } else {
            format!(
                "{} was not enabled for tenant '{}'.",
                self.1, tenant.tenant_id
            )
        };
        Ok(Success::new(ToggleOutput {
            model_id: self.1.model_name().to_owned(),
            changed,
        })
        .message(message)
        .tenant(tenant.tenant_id.to_string()))
    }
}
