//! Construction Kit tools: catalogs, imports, library status and the service toggles.
//!
//! Models are imported by jobs in the store (any server process runs them); the library status
//! reads the store, the model list a cache. Service-managed `System.*` models are installed by
//! their feature's `enable_*` tool, never by an import.

mod catalogs;
mod import;
mod library;
mod toggles;
mod upgrade;

pub use library::TenantParams;

use octo_ck_service::Feature;

use crate::error::RegistryError;
use crate::platform::Platform;
use crate::registry::ToolRegistryBuilder;

pub fn register(
    builder: ToolRegistryBuilder,
    platform: &Platform,
) -> Result<ToolRegistryBuilder, RegistryError> {
    let p = || platform.clone();
    let mut builder = builder
        .register(catalogs::ListCkCatalogs(p()))?
        .register(catalogs::ListCkCatalogModels(p()))?
        .register(upgrade::CheckCkDependencies(p()))?
        .register(upgrade::CheckCkUpgrade(p()))?
        .register(import::ImportCkFromCatalog(p()))?
        .register(import::ImportCkModel(p()))?
        .register(library::GetAvailableModels(p()))?
        .register(library::GetCkLibraryStatus(p()))?
        .register(library::ClearTenantCache(p()))?;
    // Stream data has its own tools (they also manage the archive runtime store).
    for feature in Feature::ALL
        .into_iter()
        .filter(|f| *f != Feature::StreamData)
    {
        builder = builder
            .register(toggles::EnableFeature(p(), feature))?
            .register(toggles::DisableFeature(p(), feature))?;
    }
    Ok(builder)
}

#[cfg(test)]
mod tests;
