//! The tenant lifecycle on top of the store: the system tenant, create, delete, clean.

use std::sync::Arc;

use chrono::Utc;
use octo_ids::TenantId;
use octo_store::{CleanReport, Store, StoreError, TenantRecord};

use crate::error::TenancyError;

/// Tenant operations; cheap to clone.
#[derive(Clone)]
pub struct Tenants {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for Tenants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenants").finish_non_exhaustive()
    }
}

impl Tenants {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
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

    /// The tenant, or `Tenant '<id>' not found`.
    pub async fn require(&self, tenant_id: &TenantId) -> Result<TenantRecord, TenancyError> {
        self.store
            .get_tenant(tenant_id)
            .await?
            .ok_or_else(|| TenancyError::NotFound(tenant_id.clone()))
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
        if !self.store.delete_tenant(tenant_id).await? {
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
