//! `enable_stream_data` and `disable_stream_data`: the System.StreamData model and the tenant's
//! archive runtime store.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{failed, tenant};
use crate::ck::TenantParams;
use crate::error::ToolError;
use crate::platform::Platform;
use crate::tool::{
    Access, Annotations, Category, ConfirmTarget, Confirmation, Success, Tool, ToolContext,
    ToolExample, ToolSpec,
};

pub struct EnableStreamData(pub Platform);

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnableOutput {
    /// The service-managed model, `System.StreamData-<version>`.
    pub model_id: String,
    /// False when stream data was already enabled and its store whole.
    pub changed: bool,
    /// Archives whose missing table was recreated (empty) by this call.
    pub repaired_archives: Vec<String>,
}

#[async_trait]
impl Tool for EnableStreamData {
    type Params = TenantParams;
    type Output = EnableOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "enable_stream_data",
            title: "Enable Stream Data",
            description: "Enables stream data (time-series archives) for a tenant: installs the \
                service-managed System.StreamData model and initialises the tenant's archive \
                runtime store. Idempotent; run it again to repair a half-initialised or damaged \
                store (missing tables of activated archives are recreated, empty).",
            category: Category::StreamData,
            annotations: Annotations {
                idempotent: true,
                ..Annotations::ADDITIVE
            },
            access: Access::Write,
            examples: vec![ToolExample {
                description: "For octosystem",
                parameters: json!({"tenantId": "octosystem"}),
            }],
            notes: vec![
                "import_ck_from_catalog does not install service-managed models; this does.",
                "Archives are entities of System.StreamData/RawArchive: create one with \
                 create_entity (Name, TargetCkTypeId, Columns [{AttributePath}], State \
                 Inactive, Kind TimeSeries, optional RetentionPeriod like 7.00:00:00), then \
                 activate_archive.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: TenantParams,
    ) -> Result<Success<EnableOutput>, ToolError> {
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let report = self
            .0
            .stream_data
            .enable(&tenant.tenant_id)
            .await
            .map_err(|e| failed(e, &tenant))?;
        let message = match (report.changed, report.repaired_archives.len()) {
            (false, _) => format!(
                "Stream Data was already enabled for tenant '{}'.",
                tenant.tenant_id
            ),
            (true, 0) => format!("Stream Data enabled for tenant '{}'.", tenant.tenant_id),
            (true, n) => format!(
                "Stream Data enabled for tenant '{}'; the tables of {n} archive(s) were \
                 recreated (empty).",
                tenant.tenant_id
            ),
        };
        Ok(Success::new(EnableOutput {
            model_id: report.model_id,
            changed: report.changed,
            repaired_archives: report.repaired_archives,
        })
        .message(message)
        .tenant(tenant.tenant_id.to_string()))
    }
}

pub struct DisableStreamData(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisableParams {
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Also delete every archive table and sample. Default false: the data is kept and is
    /// visible again after enable_stream_data.
    #[serde(default)]
    pub delete_data: bool,
    /// Must be true. Ask the user first.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DisableOutput {
    pub model_id: String,
    /// False when stream data was not enabled.
    pub changed: bool,
    /// True when the archive runtime store and its samples were deleted.
    pub data_deleted: bool,
}

#[async_trait]
impl Tool for DisableStreamData {
    type Params = DisableParams;
    type Output = DisableOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "disable_stream_data",
            title: "Disable Stream Data",
            description: "Disables stream data for a tenant: the System.StreamData model leaves \
                the tenant's library. Stored samples are kept unless deleteData is true. \
                Requires confirm: true.",
            category: Category::StreamData,
            annotations: Annotations::DESTRUCTIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "After the user agreed; keeps the samples",
                parameters: json!({"tenantId": "octosystem", "confirm": true}),
            }],
            notes: vec!["Ask the user for explicit consent before setting confirm to true."],
            confirmation: Some(Confirmation {
                verb: "disable",
                target: ConfirmTarget::Fixed("Stream Data"),
            }),
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: DisableParams,
    ) -> Result<Success<DisableOutput>, ToolError> {
        debug_assert!(params.confirm, "the registry's guard checks confirm first");
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let (changed, data_deleted) = self
            .0
            .stream_data
            .disable(&tenant.tenant_id, params.delete_data)
            .await
            .map_err(|e| failed(e, &tenant))?;
        let message = match (changed, data_deleted) {
            (true, false) => format!("Stream Data disabled for tenant '{}'.", tenant.tenant_id),
            (_, true) => format!(
                "Stream Data disabled for tenant '{}'; its archive tables and samples were \
                 deleted.",
                tenant.tenant_id
            ),
            (false, false) => format!(
                "Stream Data was not enabled for tenant '{}'.",
                tenant.tenant_id
            ),
        };
        Ok(Success::new(DisableOutput {
            model_id: octo_streamdata::MODEL_NAME.to_owned(),
            changed,
            data_deleted,
        })
        .message(message)
        .tenant(tenant.tenant_id.to_string()))
    }
}
