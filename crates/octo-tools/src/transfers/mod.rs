//! File-transfer tools: `prepare_file_upload` reserves an upload slot that the client fills with
//! a plain HTTP PUT, `cancel_file_transfer` ends a transfer early. The bytes never pass through
//! MCP; the import tools (e.g. `import_ck_model`) take the `transferId` afterwards. `exchange`
//! holds the tools that import, export, dump and restore tenant data through transfers.

pub mod exchange;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{RegistryError, ToolError};
use crate::platform::{Platform, tenancy_error};
use crate::registry::ToolRegistryBuilder;
use crate::tool::{
    Access, Annotations, Category, Success, Tool, ToolContext, ToolExample, ToolSpec,
};

pub fn register(
    builder: ToolRegistryBuilder,
    platform: &Platform,
) -> Result<ToolRegistryBuilder, RegistryError> {
    builder
        .register(PrepareFileUpload(platform.clone()))?
        .register(CancelFileTransfer(platform.clone()))?
        .register(exchange::ImportRuntimeModel(platform.clone()))?
        .register(exchange::ExportRuntimeModelByQuery(platform.clone()))?
        .register(exchange::ExportRuntimeModelByDeepGraph(platform.clone()))?
        .register(exchange::DumpTenant(platform.clone()))?
        .register(exchange::RestoreTenant(platform.clone()))
}

/// A transfer error as a tool failure; the messages already say what to do.
fn transfer_error(error: octo_transfer::TransferError) -> ToolError {
    ToolError::failed(error.to_string())
}

pub struct PrepareFileUpload(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrepareFileUploadParams {
    /// The name of the file to upload, e.g. 'model.zip'; kept for the import and downloads.
    pub file_name: String,
    /// The tenant the upload is for; defaults to the URL tenant, then the system tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrepareFileUploadOutput {
    /// Pass this to the import or restore tool after the upload.
    pub transfer_id: String,
    /// The path to PUT the file body to, relative to the server's base URL.
    pub upload_url_path: String,
    /// The full upload URL, built from the address the client used for this MCP call; absent
    /// when that is unknown (then prefix uploadUrlPath with the server URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_url: Option<String>,
    /// The HTTP method of the upload: PUT.
    pub method: String,
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
    /// When the reservation (and an uploaded file nobody imported) expires, RFC 3339.
    pub expires_at: String,
}

#[async_trait]
impl Tool for PrepareFileUpload {
    type Params = PrepareFileUploadParams;
    type Output = PrepareFileUploadOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "prepare_file_upload",
            title: "Prepare a file upload",
            description: "Reserves an upload slot and returns its transferId and upload URL. \
                PUT the file body to uploadUrl (or the server's base URL + uploadUrlPath), e.g. \
                curl -T model.zip <uploadUrl>, then call the matching import tool with the \
                transferId. The slot expires at expiresAt.",
            category: Category::FileTransfer,
            access: Access::Write,
            annotations: Annotations::ADDITIVE,
            examples: vec![ToolExample {
                description: "Reserve an upload for a zipped model folder",
                parameters: json!({"fileName": "Demo.Plant.zip", "tenantId": "octosystem"}),
            }],
            notes: vec![
                "The upload answers 201 with the file's size and SHA-256; 413 above maxBytes; a \
                 transfer takes one upload (409 on a second PUT); 410 once expired.",
            ],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        params: PrepareFileUploadParams,
    ) -> Result<Success<PrepareFileUploadOutput>, ToolError> {
        let tenant = match octo_tenancy::resolve(
            params.tenant_id.as_deref(),
            ctx.call.url_tenant.as_deref(),
        ) {
            Ok(_) => Some(
                self.0
                    .tenant(ctx, params.tenant_id.as_deref())
                    .await?
                    .tenant_id,
            ),
            Err(octo_tenancy::TenancyError::NoTenant) => None,
            Err(error) => return Err(tenancy_error(error)),
        };
        let record = self
            .0
            .transfers
            .reserve_upload(tenant, &params.file_name, ctx.call.session_id.clone())
            .await
            .map_err(transfer_error)?;
        let path = format!(
            "{}{}",
            octo_transfer::UPLOAD_PATH_PREFIX,
            record.transfer_id
        );
        let message = format!(
            "Reserved upload slot. PUT the file body to '{path}' and then call the matching \
             import / restore tool with this transferId."
        );
        Ok(Success::new(PrepareFileUploadOutput {
            transfer_id: record.transfer_id,
            upload_url: ctx
                .call
                .base_url
                .as_ref()
                .map(|base| format!("{base}{path}")),
            upload_url_path: path,
            method: "PUT".to_owned(),
            max_bytes: self.0.transfers.config().max_bytes,
            expires_at: record.expires_at.to_rfc3339(),
        })
        .message(message)
        .tenant(record.tenant_id.to_string()))
    }
}

pub struct CancelFileTransfer(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelFileTransferParams {
    /// The transferId from prepare_file_upload or an export tool.
    pub transfer_id: String,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelFileTransferOutput {
    pub transfer_id: String,
}

#[async_trait]
impl Tool for CancelFileTransfer {
    type Params = CancelFileTransferParams;
    type Output = CancelFileTransferOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "cancel_file_transfer",
            title: "Cancel a file transfer",
            description: "Ends an upload or download early and removes its file. Cancelling a \
                cancelled transfer succeeds again.",
            category: Category::FileTransfer,
            access: Access::Write,
            annotations: Annotations {
                idempotent: true,
                ..Annotations::ADDITIVE
            },
            examples: vec![ToolExample {
                description: "Cancel an upload",
                parameters: json!({"transferId": "0123456789abcdef0123456789abcdef"}),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        _ctx: &ToolContext,
        params: CancelFileTransferParams,
    ) -> Result<Success<CancelFileTransferOutput>, ToolError> {
        let id = params.transfer_id.trim();
        let record = self.0.transfers.cancel(id).await.map_err(transfer_error)?;
        Ok(Success::new(CancelFileTransferOutput {
            transfer_id: record.transfer_id.clone(),
        })
        .message(format!("Transfer '{}' cancelled.", record.transfer_id))
        .tenant(record.tenant_id.to_string()))
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod exchange_tests;
