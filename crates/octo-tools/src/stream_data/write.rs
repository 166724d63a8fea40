//! `write_stream_data`: a small batch of samples from an assistant, all-or-nothing. Devices and
//! pipelines use the HTTP endpoint `POST /{tenantId}/stream-data/{archiveRtId}` instead.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{failed, required, tenant};
use crate::error::ToolError;
use crate::platform::Platform;
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

/// The most rows one call takes; larger loads belong on the HTTP endpoint.
const MAX_ROWS: usize = 10_000;

pub struct WriteStreamData(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WriteParams {
    /// The archive entity's rtId; the archive must be Activated.
    pub archive_rt_id: String,
    /// The samples: `[{timestamp, rtId, values: {<column path>: value}}]`, at most 10 000.
    /// timestamp is RFC 3339 (or epoch milliseconds); rtId is the entity the sample is about.
    pub rows: Vec<Value>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WriteOutput {
    pub archive_rt_id: String,
    /// How many samples were written (all of them, or the call failed and wrote none).
    pub written: u64,
}

#[async_trait]
impl Tool for WriteStreamData {
    type Params = WriteParams;
    type Output = WriteOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "write_stream_data",
            title: "Write samples to an archive",
            description: "Writes samples to an activated archive in one all-or-nothing batch: \
                every row is checked against the archive's columns first, and a bad row is \
                reported by its index with nothing written.",
            category: Category::StreamData,
            annotations: Annotations::ADDITIVE,
            access: Access::Write,
            examples: vec![ToolExample {
                description: "Two power readings of one meter",
                parameters: json!({
                    "tenantId": "octosystem",
                    "archiveRtId": "65a0f1c2d3e4f5a6b7c8d9e0",
                    "rows": [
                        {"timestamp": "2026-11-25T16:00:00Z", "rtId": "65a000000000000000000001", "values": {"Power": 12.5}},
                        {"timestamp": "2026-11-25T16:01:00Z", "rtId": "65a000000000000000000001", "values": {"Power": 12.7}}
                    ]
                }),
            }],
            notes: vec![
                "For bulk loads POST NDJSON or a JSON array to /{tenantId}/stream-data/{archiveRtId}.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: WriteParams,
    ) -> Result<Success<WriteOutput>, ToolError> {
        let id = required(&params.archive_rt_id, "archiveRtId")?;
        if params.rows.len() > MAX_ROWS {
            return Err(ToolError::InvalidArguments(format!(
                "rows has {} entries; at most {MAX_ROWS} per call. Use the HTTP endpoint \
                 /{{tenantId}}/stream-data/{{archiveRtId}} for bulk loads.",
                params.rows.len()
            )));
        }
        let tenant = tenant(&self.0, ctx, params.tenant_id.as_deref()).await?;
        let written = self
            .0
            .stream_data
            .write_rows(&tenant.tenant_id, id, &params.rows)
            .await
            .map_err(|e| failed(e, &tenant))?;
        Ok(Success::new(WriteOutput {
            archive_rt_id: id.to_owned(),
            written,
        })
        .message(format!("{written} sample(s) written to archive '{id}'."))
        .tenant(tenant.tenant_id.to_string()))
    }
}
