//! [`CkService`]: every tenant's CK library on the store.
//!
//! The store is the source of truth (`get_ck_library_status` reads it). Two per-process caches
//! sit in front of it: the resolved [`CkLibrary`] per tenant and the model list that
//! `get_available_models` serves. Both are invalidated here on every change this process makes
//! and expire after [`CACHE_TTL`], which bounds how stale another replica's view can be.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use moka::future::Cache;
use octo_ck::catalog::{CkCatalog, EmbeddedCatalog};
use octo_ck::resolve::{DependencyResolution, LoadedModels, resolve_dependencies};
use octo_ck::{CkLibrary, CkModel, diff};
use octo_ids::TenantId;
use octo_store::{CkModelState, ImportJob, JobState, Store, StoredCkModel};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::error::CkServiceError;
use crate::feature::Feature;

/// How long a cached library or model list may live; the bound on cross-replica staleness.
pub const CACHE_TTL: Duration = Duration::from_secs(10);

/// The job kind of a CK model import.
pub const IMPORT_JOB_KIND: &str = "ck_model_import";

/// The tenant CK libraries of one server process.
pub struct CkService {
    pub(crate) store: Arc<dyn Store>,
    catalogs: Vec<Arc<dyn CkCatalog>>,
    libraries: Cache<TenantId, Arc<CkLibrary>>,
    model_lists: Cache<TenantId, Arc<Vec<String>>>,
    /// Woken when a job is enqueued (the worker) or finished (waiters).
    pub(crate) job_enqueued: Notify,
    pub(crate) job_finished: Notify,
}

impl std::fmt::Debug for CkService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CkService")
            .field(
                "catalogs",
                &self.catalogs.iter().map(|c| c.name()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// A model as `get_ck_library_status` reports it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelStatus {
    pub model_name: String,
    pub model_id: String,
    pub model_state: CkModelState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub service_managed: bool,
    pub updated_at: String,
}

/// What `import_ck_from_catalog` set in motion.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogImport {
    pub models_to_import: Vec<String>,
    pub job_ids: Vec<Uuid>,
    /// Service-managed models the plan needed but that only their `enable_*` tool installs.
    pub service_managed: Vec<String>,
}

/// What `check_ck_upgrade` found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeCheck {
    pub model_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loaded_model_id: Option<String>,
    pub candidate_model_id: String,
    pub is_upgrade: bool,
    pub is_breaking: bool,
    pub changes: Vec<diff::Change>,
    /// Stored entities per type that a breaking change would affect.
    pub affected_entities: BTreeMap<String, u64>,
    /// Whether importing the candidate would be accepted now.
    pub can_import: bool,
}

impl CkService {
    /// A service with the embedded catalog first, then `extra` catalogs (operators' folders).
    pub fn new(store: Arc<dyn Store>, extra: Vec<Arc<dyn CkCatalog>>) -> Self {
        let mut catalogs: Vec<Arc<dyn CkCatalog>> = vec![Arc::new(EmbeddedCatalog::new())];
        catalogs.extend(extra);
        Self {
            store,
            catalogs,
            libraries: Cache::builder().time_to_live(CACHE_TTL).build(),
            model_lists: Cache::builder().time_to_live(CACHE_TTL).build(),
            job_enqueued: Notify::new(),
            job_finished: Notify::new(),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn catalogs(&self) -> &[Arc<dyn CkCatalog>] {
        &self.catalogs
    }

    pub fn catalog(&self, name: &str) -> Result<&Arc<dyn CkCatalog>, CkServiceError> {
        self.catalogs
            .iter()
            .find(|catalog| catalog.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| CkServiceError::UnknownCatalog {
                name: name.to_owned(),
                known: self
                    .catalogs
                    .iter()
                    .map(|c| format!("'{}'", c.name()))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Drops this process's cached views of `tenant` (`clear_tenant_cache`).
    pub async fn invalidate(&self, tenant: &TenantId) {
        self.libraries.invalidate(tenant).await;
        self.model_lists.invalidate(tenant).await;
    }

    /// Makes sure a tenant has the System base model; run at start-up and for new tenants.
    pub async fn prepare_tenant(&self, tenant: &TenantId) -> Result<(), CkServiceError> {
        let system = octo_ck::system_model()?;
        if let Some(existing) = self.store.get_ck_model(tenant, system.name()).await?
            && existing.state == CkModelState::Available
        {
            return Ok(());
        }
        self.put(tenant, system, CkModelState::Available, None)
            .await?;
        self.invalidate(tenant).await;
        Ok(())
    }

    /// The tenant's resolved library (cached).
    pub async fn library(&self, tenant: &TenantId) -> Result<Arc<CkLibrary>, CkServiceError> {
        // A plain read first: every entity call asks, and `try_get_with` costs several times
        // as much even when the library is cached (it builds and drops the loading future).
        if let Some(library) = self.libraries.get(tenant).await {
            return Ok(library);
        }
        let store = Arc::clone(&self.store);
        let key = tenant.clone();
        self.libraries
            .try_get_with(tenant.clone(), async move {
                let models = available_models(store.as_ref(), &key).await?;
                let (library, problems) = CkLibrary::new_unchecked(models);
                for problem in problems {
                    // Loaded models were validated on import; this only happens if the
                    // embedded System model changed under existing data.
                    tracing::warn!(tenant = %key, %problem, "loaded CK models do not validate");
                }
                Ok::<_, CkServiceError>(Arc::new(library))
            })
            .await
            .map_err(|error| CkServiceError::Refused(error.to_string()))
    }

    /// Model ids the tenant has loaded, from a cache that may be briefly stale.
    pub async fn available_models(
        &self,
        tenant: &TenantId,
    ) -> Result<Arc<Vec<String>>, CkServiceError> {
        let store = Arc::clone(&self.store);
        let key = tenant.clone();
        self.model_lists
            .try_get_with(tenant.clone(), async move {
                let models = store.list_ck_models(&key).await?;
                Ok::<_, CkServiceError>(Arc::new(
                    models
                        .into_iter()
                        .filter(|m| m.state == CkModelState::Available)
                        .map(|m| m.model_id.to_string())
                        .collect(),
                ))
            })
            .await
            .map_err(|error| CkServiceError::Refused(error.to_string()))
    }

    /// Every model record of the tenant, read from the store (the source of truth).
    pub async fn status(&self, tenant: &TenantId) -> Result<Vec<ModelStatus>, CkServiceError> {
        Ok(self
            .store
            .list_ck_models(tenant)
            .await?
            .into_iter()
            .map(|m| ModelStatus {
                model_name: m.model_name,
                model_id: m.model_id.to_string(),
                model_state: m.state,
                reason: m.state_reason,
                service_managed: m.service_managed,
                updated_at: m.updated_at.to_rfc3339(),
            })
            .collect())
    }

    /// What the tenant has loaded, for dependency resolution.
    pub async fn loaded(&self, tenant: &TenantId) -> Result<LoadedModels, CkServiceError> {
        let models = available_models(self.store.as_ref(), tenant).await?;
        Ok(models.iter().collect())
    }

    /// The dependency plan for importing `model_id` from `catalog` (nothing is changed).
    pub async fn check_dependencies(
        &self,
        tenant: &TenantId,
        catalog: &str,
        model_id: &str,
    ) -> Result<DependencyResolution, CkServiceError> {
        let first = Arc::clone(self.catalog(catalog)?);
        let mut ordered: Vec<&dyn CkCatalog> = vec![first.as_ref()];
        ordered.extend(
            self.catalogs
                .iter()
                .filter(|c| c.name() != first.name())
                .map(|c| c.as_ref()),
        );
        let loaded = self.loaded(tenant).await?;
        Ok(resolve_dependencies(&ordered, &loaded, model_id)?)
    }

    /// Enqueues imports of `model_id` and the dependencies the tenant lacks, dependencies first.
    /// Service-managed models are never enqueued: their `enable_*` tool installs them.
    pub async fn import_from_catalog(
        &self,
        tenant: &TenantId,
        catalog: &str,
        model_id: &str,
    ) -> Result<CatalogImport, CkServiceError> {
        let resolution = self.check_dependencies(tenant, catalog, model_id).await?;
        if !resolution.is_resolvable() {
            let conflicts = serde_json::to_string(&resolution.conflicts).unwrap_or_default();
            return Err(CkServiceError::Refused(format!(
                "Cannot import '{model_id}': its dependencies conflict with what the tenant has \
                 loaded: {conflicts}"
            )));
        }
        let mut plan = CatalogImport {
            models_to_import: Vec::new(),
            job_ids: Vec::new(),
            service_managed: Vec::new(),
        };
        for planned in &resolution.to_import {
            let id = planned.model_id.to_string();
            if octo_ck::model::is_service_managed(planned.model_id.name()) {
                plan.service_managed.push(id);
                continue;
            }
            let model = self.catalog(&planned.catalog)?.load(&id)?;
            let job = self.enqueue(tenant, model).await?;
            plan.models_to_import.push(id);
            plan.job_ids.push(job.job_id);
        }
        Ok(plan)
    }

    /// Compares `model_id` from `catalog` with the loaded version (nothing is changed).
    pub async fn check_upgrade(
        &self,
        tenant: &TenantId,
        catalog: &str,
        model_id: &str,
    ) -> Result<UpgradeCheck, CkServiceError> {
        let candidate = self.catalog(catalog)?.load(model_id)?;
        let loaded = self
            .store
            .get_ck_model(tenant, candidate.name())
            .await?
            .filter(|m| m.state == CkModelState::Available)
            .map(|m| parse_stored(&m))
            .transpose()?;
        let Some(loaded) = loaded else {
            return Ok(UpgradeCheck {
                model_name: candidate.name().to_owned(),
                loaded_model_id: None,
                candidate_model_id: candidate.id().to_string(),
                is_upgrade: false,
                is_breaking: false,
                changes: Vec::new(),
                affected_entities: BTreeMap::new(),
                can_import: true,
            });
        };
        let model_diff = diff::diff(&loaded, &candidate);
        let affected = if model_diff.is_breaking() {
            self.stored_entities_per_type(tenant, &loaded).await?
        } else {
            BTreeMap::new()
        };
        Ok(UpgradeCheck {
            model_name: candidate.name().to_owned(),
            loaded_model_id: Some(loaded.id().to_string()),
            candidate_model_id: candidate.id().to_string(),
            is_upgrade: candidate.version() > loaded.version(),
            is_breaking: model_diff.is_breaking(),
            can_import: !model_diff.is_breaking() || affected.is_empty(),
            changes: model_diff.changes,
            affected_entities: affected,
        })
    }

    /// Enqueues an import of `model` into `tenant`; a model the tenant does not have yet shows
    /// as `Importing` until the job ends.
    pub async fn enqueue(
        &self,
        tenant: &TenantId,
        model: CkModel,
    ) -> Result<ImportJob, CkServiceError> {
        let existing = self.store.get_ck_model(tenant, model.name()).await?;
        if existing.is_none_or(|m| m.state != CkModelState::Available) {
            self.put(tenant, &model, CkModelState::Importing, None)
                .await?;
            self.model_lists.invalidate(tenant).await;
        }
        let payload = json!({ "model": serde_json::to_value(&model).map_err(|e| CkServiceError::Refused(format!("cannot encode model: {e}")))? });
        let job = self
            .store
            .enqueue_job(tenant, IMPORT_JOB_KIND, payload)
            .await?;
        self.job_enqueued.notify_one();
        Ok(job)
    }

    /// Waits until the job has finished or `timeout` passed; returns its latest state.
    pub async fn wait_for_job(
        &self,
        tenant: &TenantId,
        job_id: Uuid,
        timeout: Duration,
    ) -> Result<ImportJob, CkServiceError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let finished = self.job_finished.notified();
            let job = self
                .store
                .get_job(tenant, job_id)
                .await?
                .ok_or(CkServiceError::UnknownJob(job_id))?;
            if matches!(job.state, JobState::Succeeded | JobState::Failed)
                || tokio::time::Instant::now() >= deadline
            {
                return Ok(job);
            }
            // Another replica may finish it, so poll as well as listen.
            let _ = tokio::time::timeout_at(
                deadline.min(tokio::time::Instant::now() + Duration::from_millis(250)),
                finished,
            )
            .await;
        }
    }

    /// Installs the feature's service-managed model now (idempotent); returns its model id.
    pub async fn enable(
        &self,
        tenant: &TenantId,
        feature: Feature,
    ) -> Result<(String, bool), CkServiceError> {
        let model = self.catalog("embedded")?.load(feature.model_name())?;
        if let Some(existing) = self.store.get_ck_model(tenant, model.name()).await?
            && existing.state == CkModelState::Available
            && existing.model_id == *model.id()
        {
            return Ok((model.id().to_string(), false));
        }
        self.install(tenant, model.clone()).await?;
        Ok((model.id().to_string(), true))
    }

    /// Removes the feature's model from the tenant's library; stored runtime data stays and is
    /// visible again once the feature is re-enabled. Returns whether it was enabled.
    pub async fn disable(
        &self,
        tenant: &TenantId,
        feature: Feature,
    ) -> Result<bool, CkServiceError> {
        let removed = self
            .store
            .delete_ck_model(tenant, feature.model_name())
            .await?;
        self.invalidate(tenant).await;
        Ok(removed)
    }

    /// Validates `model` against the tenant's other models and stores it as `Available`.
    /// A breaking upgrade is refused while entities of the affected model's types exist.
    pub(crate) async fn install(
        &self,
        tenant: &TenantId,
        model: CkModel,
    ) -> Result<Value, CkServiceError> {
        self.wait_for_importing_dependencies(tenant, &model).await?;
        let others: Vec<CkModel> = available_models(self.store.as_ref(), tenant)
            .await?
            .into_iter()
            .filter(|m| m.name() != model.name())
            .collect();
        let previous = self
            .store
            .get_ck_model(tenant, model.name())
            .await?
            .filter(|m| m.state == CkModelState::Available)
            .map(|m| parse_stored(&m))
            .transpose()?;
        let mut warnings = Vec::new();
        if let Some(previous) = &previous {
            let model_diff = diff::diff(previous, &model);
            if model_diff.is_breaking() {
                let affected = self.stored_entities_per_type(tenant, previous).await?;
                let breaking: Vec<String> = model_diff
                    .breaking()
                    .map(|c| format!("{}: {}", c.element, c.description))
                    .collect();
                if !affected.is_empty() {
                    let data: Vec<String> = affected
                        .iter()
                        .map(|(ty, n)| format!("{n} entities of '{ty}'"))
                        .collect();
                    return Err(CkServiceError::Refused(format!(
                        "Refusing to replace '{}' with '{}': the change is breaking ({}) and the \
                         tenant stores data of this model ({}). Migrate or delete that data first.",
                        previous.id(),
                        model.id(),
                        breaking.join("; "),
                        data.join(", ")
                    )));
                }
                warnings.push(format!(
                    "Breaking changes accepted because no data of '{}' is stored: {}",
                    previous.id(),
                    breaking.join("; ")
                ));
            }
        }
        let mut all = others;
        all.push(model.clone());
        CkLibrary::new(all)?;
        self.put(tenant, &model, CkModelState::Available, None)
            .await?;
        self.invalidate(tenant).await;
        Ok(json!({
            "modelId": model.id().to_string(),
            "replaced": previous.map(|p| p.id().to_string()),
            "warnings": warnings,
        }))
    }

    /// A dependency enqueued just before may still be importing (several workers, several
    /// replicas): wait for it rather than fail with "missing dependency".
    async fn wait_for_importing_dependencies(
        &self,
        tenant: &TenantId,
        model: &CkModel,
    ) -> Result<(), CkServiceError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let mut importing = false;
            for dependency in model.dependencies() {
                if let Some(record) = self.store.get_ck_model(tenant, dependency.name()).await?
                    && record.state == CkModelState::Importing
                {
                    importing = true;
                }
            }
            if !importing || tokio::time::Instant::now() >= deadline {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Entities stored per type of `model` (only types that have any).
    async fn stored_entities_per_type(
        &self,
        tenant: &TenantId,
        model: &CkModel,
    ) -> Result<BTreeMap<String, u64>, CkServiceError> {
        let mut counts = BTreeMap::new();
        for ty in model.types() {
            let id = model.runtime_id(ty).to_string();
            let n = self
                .store
                .count_entities(tenant, std::slice::from_ref(&id))
                .await?;
            if n > 0 {
                counts.insert(id, n);
            }
        }
        Ok(counts)
    }

    pub(crate) async fn put(
        &self,
        tenant: &TenantId,
        model: &CkModel,
        state: CkModelState,
        reason: Option<String>,
    ) -> Result<(), CkServiceError> {
        let document = serde_json::to_value(model)
            .map_err(|e| CkServiceError::Refused(format!("cannot encode model: {e}")))?;
        self.store
            .put_ck_model(&StoredCkModel {
                tenant_id: tenant.clone(),
                model_name: model.name().to_owned(),
                model_id: model.id().clone(),
                state,
                state_reason: reason,
                service_managed: model.is_service_managed(),
                document,
                updated_at: Utc::now(),
            })
            .await?;
        Ok(())
    }
}

/// The tenant's `Available` models, parsed.
async fn available_models(
    store: &dyn Store,
    tenant: &TenantId,
) -> Result<Vec<CkModel>, CkServiceError> {
    store
        .list_ck_models(tenant)
        .await?
        .iter()
        .filter(|m| m.state == CkModelState::Available)
        .map(parse_stored)
        .collect()
}

pub(crate) fn parse_stored(stored: &StoredCkModel) -> Result<CkModel, CkServiceError> {
    serde_json::from_value(stored.document.clone()).map_err(|error| {
        CkServiceError::Refused(format!(
            "The stored model '{}' cannot be read ({error}); re-import it.",
            stored.model_id
        ))
    })
}
