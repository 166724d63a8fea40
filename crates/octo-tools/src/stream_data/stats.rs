//! `get_archive_storage_stats`: what each archive's storage holds, and whether it is healthy.

use async_trait::async_trait;
use octo_streamdata::StorageStats;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{failed, tenant};
use crate::error::ToolError;
use crate::platform::Platform;
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub struct GetArchiveStorageStats(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatsParams {
    /// The archives' rtIds.
    pub archive_rt_ids: Vec<String>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatsOutput {
    /// Per archive: tableExists, recordCount, sizeBytes, firstTimestamp, lastTimestamp,
    /// status and health (Healthy, NotActivated, Disabled, Failed, TableMissing, NotFound).
    #[schemars(with = "Vec<serde_json::Value>")]
    pub stats: Vec<StorageStats>,
}

#[async_trait]
impl Tool for GetArchiveStorageStats {
    type Params = StatsParams;
    type Output = StatsOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_archive_storage_stats",
            title: "Archive storage statistics",
            description: "Reports, per archive, whether its table exists, how many samples it \
                holds, its size on disk, its time range, status and health. An unknown rtId \
                gets a row with health NotFound, so this also verifies archive ids.",
            category: Category::StreamData,
            annotations: Annotations::READ_ONLY,
            access: Access::Read,
            examples: vec![ToolExample {
                description: "One archive",
                parameters: json!({"tenantId": "octosystem", "archiveRtIds": ["65a0f1c2d3e4f5a6b7c8d9e0"]}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: StatsParams,
    ) -> Result<Success<StatsOutput>, ToolError> {
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        if params.archive_rt_ids.is_empty() {
            return Ok(Success::new(StatsOutput { stats: Vec::new() })
                .message("archiveRtIds was empty; no stats to fetch.")
                .tenant(tenant.tenant_id.to_string()));
        }
        let stats = self
            .0
            .stream_data
            .storage_stats(&tenant.tenant_id, &params.archive_rt_ids)
            .await
            .map_err(|e| failed(e, &tenant))?;
        let count = stats.len();
        Ok(Success::new(StatsOutput { stats })
            .message(format!("Stats fetched for {count} archive(s)."))
            .tenant(tenant.tenant_id.to_string()))
    }
}
