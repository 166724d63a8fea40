//! `get_available_archive_paths` and the archive life cycle: `activate_archive`,
//! `disable_archive`, `enable_archive`, `retry_archive_activation`, `delete_archive`.

use async_trait::async_trait;
use octo_streamdata::Archive;
use octo_streamdata::paths::ArchivePath;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{failed, required, tenant};
use crate::error::ToolError;
use crate::platform::Platform;
use crate::tool::{
    Access, Annotations, Category, ConfirmTarget, Confirmation, Success, Tool, ToolContext,
    ToolExample, ToolSpec,
};

pub struct GetAvailableArchivePaths(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PathsParams {
    /// The CK type an archive would record, e.g. `Octo.Industry.Energy/EnergyMeter`.
    pub ck_type_id: String,
    /// How deep record attributes are followed; default 5, at least 1.
    #[serde(default)]
    pub max_depth: Option<u32>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PathsOutput {
    pub ck_type_id: String,
    pub max_depth: u32,
    /// `{path, primitiveType, isRecord, isArray, recordTypeId?}`; paths that are neither
    /// records nor arrays can be archive columns.
    #[schemars(with = "Vec<serde_json::Value>")]
    pub paths: Vec<ArchivePath>,
    pub path_count: usize,
}

#[async_trait]
impl Tool for GetAvailableArchivePaths {
    type Params = PathsParams;
    type Output = PathsOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_available_archive_paths",
            title: "List archivable attribute paths",
            description: "Lists the attribute paths of a CK type (record fields as \
                Record.Field, down to maxDepth) with their value types, i.e. the candidates \
                for an archive's Columns.",
            category: Category::StreamData,
            annotations: Annotations::READ_ONLY,
            access: Access::Read,
            examples: vec![ToolExample {
                description: "Paths of energy meters",
                parameters: json!({"tenantId": "octosystem", "ckTypeId": "Octo.Industry.Energy/EnergyMeter"}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: PathsParams,
    ) -> Result<Success<PathsOutput>, ToolError> {
        let ck_type_id = required(&params.ck_type_id, "ckTypeId")?;
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let max_depth = params
            .max_depth
            .unwrap_or(octo_streamdata::paths::DEFAULT_MAX_DEPTH)
            .max(1);
        let paths = self
            .0
            .stream_data
            .available_paths(&tenant.tenant_id, ck_type_id, Some(max_depth))
            .await
            .map_err(|e| failed(e, &tenant))?;
        let count = paths.len();
        Ok(Success::new(PathsOutput {
            ck_type_id: ck_type_id.to_owned(),
            max_depth,
            paths,
            path_count: count,
        })
        .message(format!("{count} path(s) of {ck_type_id}."))
        .tenant(tenant.tenant_id.to_string()))
    }
}

/// The life-cycle actions without confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Activate,
    Disable,
    Enable,
    Retry,
}

pub struct ArchiveAction(pub Platform, pub Action);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArchiveParams {
    /// The archive entity's rtId.
    pub archive_rt_id: String,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveOutput {
    pub rt_id: String,
    /// Created, Activating, Activated, Failed or Disabled.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

fn output(archive: &Archive, message: String, tenant: String) -> Success<ArchiveOutput> {
    Success::new(ArchiveOutput {
        rt_id: archive.rt_id(),
        status: archive.status.to_string(),
        last_error: archive.last_error.clone(),
    })
    .message(message)
    .tenant(tenant)
}

#[async_trait]
impl Tool for ArchiveAction {
    type Params = ArchiveParams;
    type Output = ArchiveOutput;

    fn spec(&self) -> ToolSpec {
        let (name, title, description) = match self.1 {
            Action::Activate => (
                "activate_archive",
                "Activate an archive",
                "Creates the archive's table with one typed column per Columns path and starts \
                 recording: Created → Activated. If the table cannot be created the archive \
                 becomes Failed with the reason in LastError.",
            ),
            Action::Disable => (
                "disable_archive",
                "Disable an archive",
                "Pauses recording: Activated → Disabled. Writes are refused; the samples are \
                 kept and can still be queried.",
            ),
            Action::Enable => (
                "enable_archive",
                "Re-enable an archive",
                "Resumes recording of a disabled archive: Disabled → Activated.",
            ),
            Action::Retry => (
                "retry_archive_activation",
                "Retry an archive's activation",
                "Retries creating the table of a Failed archive (after fixing the cause, e.g. \
                 its Columns), or recreates the missing table of an activated one.",
            ),
        };
        ToolSpec {
            name,
            title,
            description,
            category: Category::StreamData,
            annotations: Annotations {
                idempotent: true,
                ..Annotations::ADDITIVE
            },
            access: Access::Write,
            examples: vec![ToolExample {
                description: "One archive",
                parameters: json!({"tenantId": "octosystem", "archiveRtId": "65a0f1c2d3e4f5a6b7c8d9e0"}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: ArchiveParams,
    ) -> Result<Success<ArchiveOutput>, ToolError> {
        let id = required(&params.archive_rt_id, "rtId")?;
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let service = &self.0.stream_data;
        let t = &tenant.tenant_id;
        let result = match self.1 {
            Action::Activate => service.activate(t, id).await,
            Action::Disable => service.disable_archive(t, id).await,
            Action::Enable => service.enable_archive(t, id).await,
            Action::Retry => service.retry_activation(t, id).await,
        };
        let archive = result.map_err(|e| failed(e, &tenant))?;
        let message = match self.1 {
            Action::Activate => format!("Archive '{id}' activated."),
            Action::Disable => format!("Archive '{id}' disabled (data preserved)."),
            Action::Enable => format!("Archive '{id}' re-enabled."),
            Action::Retry => format!("Archive '{id}' activation retried."),
        };
        Ok(output(&archive, message, tenant.tenant_id.to_string()))
    }
}

pub struct DeleteArchive(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteArchiveParams {
    /// The archive entity's rtId.
    pub archive_rt_id: String,
    /// Must be true: the table and every sample are deleted. Ask the user first.
    #[serde(default)]
    pub confirm: bool,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[async_trait]
impl Tool for DeleteArchive {
    type Params = DeleteArchiveParams;
    type Output = ArchiveOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "delete_archive",
            title: "Delete an archive",
            description: "Deletes an archive: its table with every sample, and the archive \
                entity. Requires confirm: true.",
            category: Category::StreamData,
            annotations: Annotations::DESTRUCTIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "After the user agreed",
                parameters: json!({"tenantId": "octosystem", "archiveRtId": "65a0f1c2d3e4f5a6b7c8d9e0", "confirm": true}),
            }],
            notes: vec!["Ask the user for explicit consent before setting confirm to true."],
            confirmation: Some(Confirmation {
                verb: "act on archive",
                target: ConfirmTarget::Parameter("archiveRtId"),
            }),
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: DeleteArchiveParams,
    ) -> Result<Success<ArchiveOutput>, ToolError> {
        debug_assert!(params.confirm, "the registry's guard checks confirm first");
        let id = required(&params.archive_rt_id, "rtId")?;
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let archive = self
            .0
            .stream_data
            .delete_archive(&tenant.tenant_id, id)
            .await
            .map_err(|e| failed(e, &tenant))?;
        Ok(output(
            &archive,
            format!("Archive '{id}' deleted — table dropped, data lost."),
            tenant.tenant_id.to_string(),
        ))
    }
}
