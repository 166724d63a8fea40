//! The services tools act on, handed to each tool when the registry is built.

use std::sync::Arc;

use octo_auth::AuthService;
use octo_ck::catalog::CkCatalog;
use octo_ck_service::CkService;
use octo_entities::Entities;
use octo_exchange::{ExchangeJobs, JobSettings};
use octo_store::Store;
use octo_streamdata::StreamData;
use octo_tenancy::{ResolvedTenant, TenancyError, Tenants};
use octo_transfer::{TransferConfig, TransferService};

use crate::error::ToolError;
use crate::tool::ToolContext;

/// Everything the standard tools need; cheap to clone.
#[derive(Clone, Debug)]
pub struct Platform {
    pub tenants: Tenants,
    pub ck: Arc<CkService>,
    pub entities: Entities,
    /// Stream data: archives, samples, time-series queries.
    pub stream_data: StreamData,
    /// File uploads and downloads beside MCP (`/file-transfer/...`).
    pub transfers: TransferService,
    /// Runtime-model imports and exports, tenant dumps and restores as background jobs.
    pub exchange: ExchangeJobs,
    /// Logins against the identity provider; `None` when authentication is disabled, and then
    /// every tool runs without one.
    pub auth: Option<Arc<AuthService>>,
}

/// Why the platform could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlatformError {
    #[error("{0}")]
    Tenancy(#[from] TenancyError),
    #[error("{0}")]
    Ck(#[from] octo_ck_service::CkServiceError),
    #[error("{0}")]
    Transfer(#[from] octo_transfer::TransferError),
}

impl Platform {
    /// Wires the platform on an open store: the system tenant exists and every tenant has the
    /// System model. `catalogs` are operators' extra CK catalogs (the embedded one is always on);
    /// `transfers` says where transfer files live and their limits.
    pub async fn start(
        store: Arc<dyn Store>,
        catalogs: Vec<Arc<dyn CkCatalog>>,
        transfers: TransferConfig,
    ) -> Result<Self, PlatformError> {
        let transfers = TransferService::new(Arc::clone(&store), transfers)?;
        let tenants = Tenants::new(Arc::clone(&store));
        tenants.ensure_system_tenant().await?;
        let ck = Arc::new(CkService::new(store, catalogs));
        for tenant in tenants.list().await? {
            ck.prepare_tenant(&tenant.tenant_id).await?;
        }
        let entities = Entities::new(Arc::clone(&ck));
        let stream_data = StreamData::new(Arc::clone(&ck));
        let exchange = ExchangeJobs::new(
            entities.clone(),
            transfers.clone(),
            Arc::clone(&ck),
            stream_data.clone(),
            JobSettings::default(),
        );
        Ok(Self {
            tenants,
            ck,
            entities,
            stream_data,
            transfers,
            exchange,
            auth: None,
        })
    }

    /// Starts what must run beside the tools for as long as the platform serves: the CK import
    /// worker (models stay `Importing` without it), the exchange worker (imports, exports,
    /// dumps and restores stay queued without it) and the expired-transfer sweeper. All stop
    /// when `shutdown` fires; `worker_id` must be unique per process (it labels claimed jobs).
    pub fn spawn_background_tasks(
        &self,
        worker_id: String,
        shutdown: tokio_util::sync::CancellationToken,
    ) {
        tokio::spawn(
            self.exchange
                .clone()
                .run_worker(worker_id.clone(), shutdown.child_token()),
        );
        tokio::spawn(Arc::clone(&self.ck).run_worker(worker_id, shutdown.child_token()));
        tokio::spawn(self.transfers.clone().run_sweeper(shutdown.child_token()));
    }

    /// The platform with authentication on: tools other than the catalogue and the
    /// authentication tools then need a login (see [`crate::auth::AuthGate`]).
    #[must_use]
    pub fn with_auth(mut self, auth: Arc<AuthService>) -> Self {
        self.auth = Some(auth);
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        self.tenants.store()
    }

    /// The tenant a call acts on (`tenantId` parameter, then URL), which must exist.
    pub async fn tenant(
        &self,
        ctx: &ToolContext,
        parameter: Option<&str>,
    ) -> Result<ResolvedTenant, ToolError> {
        let resolved = octo_tenancy::resolve(parameter, ctx.call.url_tenant.as_deref())
            .map_err(tenancy_error)?;
        self.tenants
            .require(&resolved.tenant_id)
            .await
            .map_err(|error| failed_in(error, &resolved))?;
        Ok(resolved)
    }
}

/// A tenancy failure before any tenant was settled on.
pub fn tenancy_error(error: TenancyError) -> ToolError {
    ToolError::failed(error.to_string())
}

/// A failure while acting on `tenant`: the envelope names the tenant.
pub fn failed_in(error: impl std::fmt::Display, tenant: &ResolvedTenant) -> ToolError {
    ToolError::Failed {
        message: error.to_string(),
        tenant_id: Some(tenant.tenant_id.to_string()),
    }
}
