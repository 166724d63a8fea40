//! Stream-data tools: enabling the feature, archive paths and life cycle, small writes, file
//! import and export through transfers, time-series queries, storage statistics and rollup
//! archives.
//!
//! Everything is resolved and checked in `octo-streamdata` (the four-stage cascade, the
//! aggregation rules shared with entities) and stored by `octo-store`; these are the wire
//! shapes and messages.

mod archives;
mod dto;
mod feature;
mod files;
mod queries;
mod rollups;
mod stats;
mod write;

use octo_tenancy::ResolvedTenant;

use crate::error::{RegistryError, ToolError};
use crate::platform::{Platform, failed_in};
use crate::registry::ToolRegistryBuilder;
use crate::tool::ToolContext;

pub fn register(
    builder: ToolRegistryBuilder,
    platform: &Platform,
) -> Result<ToolRegistryBuilder, RegistryError> {
    let p = || platform.clone();
    builder
        .register(feature::EnableStreamData(p()))?
        .register(feature::DisableStreamData(p()))?
        .register(archives::GetAvailableArchivePaths(p()))?
        .register(archives::ArchiveAction(p(), archives::Action::Activate))?
        .register(archives::ArchiveAction(p(), archives::Action::Disable))?
        .register(archives::ArchiveAction(p(), archives::Action::Enable))?
        .register(archives::ArchiveAction(p(), archives::Action::Retry))?
        .register(archives::DeleteArchive(p()))?
        .register(write::WriteStreamData(p()))?
        .register(files::ImportArchiveData(p()))?
        .register(files::ExportArchiveData(p()))?
        .register(queries::QueryStreamDataSimple(p()))?
        .register(queries::QueryStreamDataAggregation(p()))?
        .register(queries::QueryStreamDataGrouping(p()))?
        .register(queries::QueryStreamDataDownsampling(p()))?
        .register(stats::GetArchiveStorageStats(p()))?
        .register(rollups::CreateRollupArchive(p()))?
        .register(rollups::ListRollupsForArchive(p()))?
        .register(rollups::FreezeRollupArchive(p()))?
        .register(rollups::UnfreezeRollupArchive(p()))?
        .register(rollups::RewindRollupWatermark(p()))?
        .register(rollups::BackfillRollupArchive(p()))?
        .register(rollups::GetRollupQueryMetadata(p()))?
        .register(rollups::ListRecomputeJobs(p()))
}

/// The tenant of a call: stage 1 of the cascade (`Tenant '<id>' not found…`).
async fn tenant(
    platform: &Platform,
    ctx: &ToolContext,
    parameter: Option<&str>,
) -> Result<ResolvedTenant, ToolError> {
    platform.tenant(ctx, parameter).await
}

/// A required id parameter, trimmed; `<name> is required.` when blank.
#[allow(clippy::result_large_err)] // the error every `Tool::run` returns
fn required<'a>(value: &'a str, name: &str) -> Result<&'a str, ToolError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ToolError::InvalidArguments(format!("{name} is required.")));
    }
    Ok(value)
}

/// A failure of the stream-data service in `tenant`.
fn failed(error: octo_streamdata::StreamDataError, tenant: &ResolvedTenant) -> ToolError {
    failed_in(error, tenant)
}

#[cfg(test)]
mod tests;
