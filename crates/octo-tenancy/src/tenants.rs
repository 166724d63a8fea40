//! The tenant lifecycle on top of the store: the system tenant, create, delete, clean.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use moka::future::Cache;
use octo_ids::TenantId;
use octo_store::{CleanReport, Store, StoreError, TenantRecord};

use crate::error::TenancyError;

/// How long a tenant found in the store is taken to exist without asking again.
///
/// Every tenant-scoped tool checks its tenant first; the cache saves that round trip on
/// repeated calls. A tenant deleted through this process is forgotten at once; one deleted
/// through another replica (or the operator CLI) is seen as gone within this time, and
/// meanwhile writes to it fail on the store's foreign keys, so nothing lands in a dead tenant.
pub const TENANT_CACHE_TTL: Duration = Duration::from_secs(5);

/// Tenant operations; cheap to clone (clones share the cache).
#[derive(Clone)]
pub struct Tenants {
    store: Arc<dyn Store>,
    known: Cache<TenantId, TenantRecord>,
}

impl std::fmt::Debug for Tenants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenants").finish_non_exhaustive()
    }
}

impl Tenants {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            known: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(TENANT_CACHE_TTL)
                .build(),
        }
    }

    /// Forgets what the cache knows about `tenant_id` (`clear_tenant_cache`, deletes).
    pub async fn forget(&self, tenant_id: &TenantId) {
        self.known.invalidate(tenant_id).await;
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Makes sure the system tenant exists; run at every start-up (idempotent, and safe when
    /// several replicas start at once: the loser of the race sees `TenantExists`).
    pub async fn ensure_system_tenant(&self) -> Result<TenantRecord, TenancyError> {
        let system = TenantId::system();
        if let Some(existing) = self.store.get_tenant(&system).await? {
            return Ok(existing);
        }
        let record = TenantRecord {
            tenant_id: system.clone(),
            parent_tenant_id: None,
            database_name: system.to_string(),
            created_at: Utc::now(),
        };
        match self.store.create_tenant(&record).await {
            Ok(()) | Err(StoreError::TenantExists { .. }) => {}
            Err(error) => return Err(error.into()),
        }
        self.require(&system).await
    }

    /// The tenant, or `Tenant '<id>' not found`. Only found tenants are cached (see
    /// [`TENANT_CACHE_TTL`]): a tenant created elsewhere is seen at once.
    pub async fn require(&self, tenant_id: &TenantId) -> Result<TenantRecord, TenancyError> {
        if let Some(record) = self.known.get(tenant_id).await {
            return Ok(record);
        }
        let record = self
            .store
            .get_tenant(tenant_id)
            .await?
            .ok_or_else(|| TenancyError::NotFound(tenant_id.clone()))?;
        self.known.insert(tenant_id.clone(), record.clone()).await;
        Ok(record)
    }

    /// Every tenant, sorted by id.
    pub async fn list(&self) -> Result<Vec<TenantRecord>, TenancyError> {
        Ok(self.store.list_tenants().await?)
    }

    /// The tenants created under `parent`.
    pub async fn children(&self, parent: &TenantId) -> Result<Vec<TenantRecord>, TenancyError> {
        Ok(self
            .store
            .list_tenants()
            .await?
            .into_iter()
            .filter(|tenant| tenant.parent_tenant_id.as_ref() == Some(parent))
            .collect())
    }

    /// Creates `child` under `parent` (which must exist); the database name defaults to the id.
    pub async fn create(
        &self,
        child: &TenantId,
        database: Option<&str>,
        parent: &TenantId,
    ) -> Result<TenantRecord, TenancyError> {
        self.require(parent).await?;
        let database_name = database
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map_or_else(|| child.to_string(), str::to_lowercase);
        let record = TenantRecord {
            tenant_id: child.clone(),
            parent_tenant_id: Some(parent.clone()),
            database_name,
            created_at: Utc::now(),
        };
        match self.store.create_tenant(&record).await {
            Ok(()) => Ok(record),
            Err(StoreError::TenantExists { .. }) => Err(TenancyError::AlreadyExists(child.clone())),
            Err(error) => Err(error.into()),
        }
    }

    /// Deletes a tenant and all its data. The system tenant is protected.
    pub async fn delete(&self, tenant_id: &TenantId) -> Result<TenantRecord, TenancyError> {
        if tenant_id.is_system() {
            return Err(TenancyError::SystemTenant(tenant_id.clone()));
        }
        let record = self.require(tenant_id).await?;
        self.forget(tenant_id).await;
        let deleted = self.store.delete_tenant(tenant_id).await;
        // Again after the delete: a concurrent `require` may have cached it in between.
        self.forget(tenant_id).await;
        if !deleted? {
            // Deleted by someone else between the two calls; the outcome is the same.
            tracing::debug!(tenant = %tenant_id, "tenant vanished during delete");
        }
        Ok(record)
    }

    /// Removes the tenant's runtime data (entities, associations) and keeps its models.
    pub async fn clean(&self, tenant_id: &TenantId) -> Result<CleanReport, TenancyError> {
        if tenant_id.is_system() {
            return Err(TenancyError::SystemTenant(tenant_id.clone()));
        }
        self.require(tenant_id).await?;
        Ok(self.store.clean_tenant(tenant_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn tenants() -> Tenants {
        let store = octo_store::open("sqlite::memory:").await.expect("store");
        let tenants = Tenants::new(store);
        tenants.ensure_system_tenant().await.expect("system tenant");
        tenants
    }

    fn id(text: &str) -> TenantId {
        text.parse().expect("valid tenant id")
    }

    #[tokio::test]
    async fn the_system_tenant_exists_once() {
        let tenants = tenants().await;
        tenants.ensure_system_tenant().await.expect("idempotent");
        let all = tenants.list().await.expect("list");
        assert_eq!(all.len(), 1);
        assert!(all[0].tenant_id.is_system());
    }

    #[tokio::test]
    async fn a_cached_tenant_is_forgotten_on_delete_and_on_request() {
        let tenants = tenants().await;
        let system = TenantId::system();
        tenants
            .create(&id("plant7"), None, &system)
            .await
            .expect("created");
        // Cached by the first check; a clone shares the cache.
        tenants.require(&id("plant7")).await.expect("found");
        let other = tenants.clone();
        other.delete(&id("plant7")).await.expect("deleted");
        assert!(matches!(
            tenants.require(&id("plant7")).await,
            Err(TenancyError::NotFound(_))
        ));

        // Deleted behind the cache's back (another replica): gone once forgotten.
        tenants
            .create(&id("plant8"), None, &system)
            .await
            .expect("created");
        tenants.require(&id("plant8")).await.expect("found");
        assert!(
            tenants
                .store()
                .delete_tenant(&id("plant8"))
                .await
                .expect("store delete")
        );
        tenants.forget(&id("plant8")).await;
        assert!(matches!(
            tenants.require(&id("plant8")).await,
            Err(TenancyError::NotFound(_))
        ));
        // A tenant that did not exist is never cached as missing: created elsewhere, it is seen.
        assert!(tenants.require(&id("plant9")).await.is_err());
        let record = TenantRecord {
            tenant_id: id("plant9"),
            parent_tenant_id: Some(system),
            database_name: "plant9".to_owned(),
            created_at: Utc::now(),
        };
        tenants
            .store()
            .create_tenant(&record)
            .await
            .expect("store create");
        tenants.require(&id("plant9")).await.expect("seen at once");
    }

    #[tokio::test]
    async fn create_list_children_and_delete() {
        let tenants = tenants().await;
        let system = TenantId::system();
        let created = tenants
            .create(&id("acme"), Some("AcmeDB"), &system)
            .await
            .expect("created");
        assert_eq!(created.database_name, "acmedb");
        let children = tenants.children(&system).await.expect("children");
        assert_eq!(children.len(), 1);
        let again = tenants.create(&id("acme"), None, &system).await;
        assert!(matches!(again, Err(TenancyError::AlreadyExists(_))));
        tenants.delete(&id("acme")).await.expect("deleted");
        let missing = tenants.require(&id("acme")).await.expect_err("gone");
        assert_eq!(
            missing.to_string(),
            "Tenant 'acme' not found. Call get_tenants to list the tenants, or create_tenant to create it."
        );
    }

    #[tokio::test]
    async fn the_system_tenant_is_protected() {
        let tenants = tenants().await;
        let error = tenants
            .delete(&TenantId::system())
            .await
            .expect_err("protected");
        assert!(matches!(error, TenancyError::SystemTenant(_)));
        let error = tenants
            .clean(&TenantId::system())
            .await
            .expect_err("protected");
        assert!(matches!(error, TenancyError::SystemTenant(_)));
    }

    #[tokio::test]
    async fn a_parent_must_exist() {
        let tenants = tenants().await;
        let error = tenants
            .create(&id("child"), None, &id("nobody"))
            .await
            .expect_err("no parent");
        assert!(error.to_string().starts_with("Tenant 'nobody' not found"));
    }
}
