//! [`TransferService`]: transfer records in the store, files under
//! `data_dir/transfers`.
//!
//! File layout: a complete transfer's file is `root/{id}`; an upload in
//! progress writes `root/{id}.{random}.part`, so a partial body is never at
//! the name a reader opens, and two racing PUTs never write the same file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use octo_ids::TenantId;
use octo_store::{Store, TransferKind, TransferRecord, TransferState};

use crate::error::TransferError;
use crate::id;

/// How long a tombstone is kept after its transfer expired, so that a late
/// request is told 410 (expired) rather than 404 (never existed).
const TOMBSTONE_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Limits of a [`TransferService`].
#[derive(Debug, Clone)]
pub struct TransferConfig {
    /// The folder holding the files (`data_dir/transfers`).
    pub root: PathBuf,
    /// How long a reservation or an unclaimed file lives.
    pub lifetime: Duration,
    /// The hard cap on one file's size.
    pub max_bytes: u64,
}

/// What one [`TransferService::sweep`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Transfers turned into tombstones (their files removed).
    pub expired: u64,
    /// Old tombstones deleted.
    pub tombstones_purged: u64,
    /// Leftover partial upload files removed (from crashed uploads).
    pub stale_parts_removed: u64,
}

/// File transfers on the shared store and data volume. Cheap to clone.
#[derive(Clone)]
pub struct TransferService {
    store: Arc<dyn Store>,
    config: Arc<TransferConfig>,
}

impl std::fmt::Debug for TransferService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransferService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl TransferService {
    /// A service on `store` with files under `config.root` (created if
    /// missing).
    ///
    /// # Errors
    /// [`TransferError::Io`] when the folder cannot be created.
    pub fn new(store: Arc<dyn Store>, config: TransferConfig) -> Result<Self, TransferError> {
        std::fs::create_dir_all(&config.root)?;
        Ok(Self {
            store,
            config: Arc::new(config),
        })
    }

    /// The limits this service runs with.
    #[must_use]
    pub fn config(&self) -> &TransferConfig {
        &self.config
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Where a complete transfer's file lives. Only called with validated
    /// ids, so the id cannot name another folder.
    pub(crate) fn file_path(&self, transfer_id: &str) -> PathBuf {
        self.config.root.join(transfer_id)
    }

    /// A fresh temporary path for an upload of `transfer_id`.
    pub(crate) fn part_path(&self, transfer_id: &str) -> Result<PathBuf, TransferError> {
        let nonce = id::new_id()?;
        Ok(self
            .config
            .root
            .join(format!("{transfer_id}.{}.part", &nonce[..8])))
    }

    fn expiry(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + chrono::Duration::from_std(self.config.lifetime)
            .unwrap_or_else(|_| chrono::Duration::days(1))
    }

    /// Reserves an upload slot for `tenant` (the system tenant when `None`).
    ///
    /// # Errors
    /// [`TransferError::InvalidFileName`] for an empty name, else store errors.
    pub async fn reserve_upload(
        &self,
        tenant: Option<TenantId>,
        file_name: &str,
        session_id: Option<String>,
    ) -> Result<TransferRecord, TransferError> {
        let file_name = checked_name(file_name)?;
        let now = now();
        let record = TransferRecord {
            tenant_id: tenant.unwrap_or_else(TenantId::system),
            transfer_id: id::new_id()?,
            kind: TransferKind::Upload,
            file_name,
            state: TransferState::Reserved,
            size_bytes: None,
            sha256: None,
            session_id,
            created_at: now,
            expires_at: self.expiry(now),
            completed_at: None,
        };
        self.store.create_transfer(&record).await?;
        Ok(record)
    }

    /// Moves a produced file (on the same volume; copied otherwise) into the
    /// transfer folder and makes it downloadable, with its size and SHA-256.
    ///
    /// # Errors
    /// I/O errors reading or moving the file, store errors.
    pub async fn register_download(
        &self,
        tenant: Option<TenantId>,
        file_name: &str,
        source_path: &Path,
    ) -> Result<TransferRecord, TransferError> {
        let file_name = checked_name(file_name)?;
        let transfer_id = id::new_id()?;
        let target = self.file_path(&transfer_id);
        if tokio::fs::rename(source_path, &target).await.is_err() {
            // Another file system: copy, then drop the source.
            tokio::fs::copy(source_path, &target).await?;
            tokio::fs::remove_file(source_path).await?;
        }
        let (size, sha256) = hash_file(&target).await?;
        let now = now();
        let record = TransferRecord {
            tenant_id: tenant.unwrap_or_else(TenantId::system),
            transfer_id,
            kind: TransferKind::Download,
            file_name,
            state: TransferState::Complete,
            size_bytes: Some(size),
            sha256: Some(sha256),
            session_id: None,
            created_at: now,
            expires_at: self.expiry(now),
            completed_at: Some(now),
        };
        if let Err(error) = self.store.create_transfer(&record).await {
            let _ = tokio::fs::remove_file(&target).await;
            return Err(error.into());
        }
        Ok(record)
    }

    /// The transfer with this id, or why not: [`TransferError::NotFound`] for
    /// a malformed or unknown id, [`TransferError::Gone`] for an expired,
    /// purged or cancelled one.
    ///
    /// # Errors
    /// As described, and store errors.
    pub async fn lookup(&self, transfer_id: &str) -> Result<TransferRecord, TransferError> {
        if !id::is_valid(transfer_id) {
            return Err(TransferError::NotFound(transfer_id.to_owned()));
        }
        let record = self
            .store
            .get_transfer(transfer_id)
            .await?
            .ok_or_else(|| TransferError::NotFound(transfer_id.to_owned()))?;
        if matches!(
            record.state,
            TransferState::Expired | TransferState::Cancelled
        ) || record.expires_at <= Utc::now()
        {
            return Err(TransferError::Gone(transfer_id.to_owned()));
        }
        Ok(record)
    }

    /// Ends a transfer early and removes its file. Idempotent: cancelling a
    /// cancelled transfer succeeds again.
    ///
    /// # Errors
    /// [`TransferError::NotFound`] for an unknown id,
    /// [`TransferError::Gone`] for an expired one; store errors.
    pub async fn cancel(&self, transfer_id: &str) -> Result<TransferRecord, TransferError> {
        if !id::is_valid(transfer_id) {
            return Err(TransferError::NotFound(transfer_id.to_owned()));
        }
        let mut record = self
            .store
            .get_transfer(transfer_id)
            .await?
            .ok_or_else(|| TransferError::NotFound(transfer_id.to_owned()))?;
        match record.state {
            TransferState::Expired => return Err(TransferError::Gone(transfer_id.to_owned())),
            TransferState::Cancelled => return Ok(record),
            TransferState::Reserved | TransferState::Complete => {}
        }
        self.store.cancel_transfer(transfer_id).await?;
        remove_if_present(&self.file_path(transfer_id)).await?;
        record.state = TransferState::Cancelled;
        Ok(record)
    }

    /// A complete transfer's file and record, for an import.
    ///
    /// # Errors
    /// [`TransferError::NotFound`], [`TransferError::Gone`] (also when the
    /// file vanished), [`TransferError::NotComplete`] while the upload has
    /// not finished; store errors.
    pub async fn open_completed(
        &self,
        transfer_id: &str,
    ) -> Result<(PathBuf, TransferRecord), TransferError> {
        let record = self.lookup(transfer_id).await?;
        if record.state != TransferState::Complete {
            return Err(TransferError::NotComplete(transfer_id.to_owned()));
        }
        let path = self.file_path(transfer_id);
        if !tokio::fs::try_exists(&path).await? {
            return Err(TransferError::Gone(transfer_id.to_owned()));
        }
        Ok((path, record))
    }

    /// Sweeps every 30 s, or every tenth of the lifetime when that is shorter (so a short test
    /// lifetime is honoured promptly), until `shutdown` fires. Every replica runs one; sweeping
    /// is idempotent, so they need no coordination.
    pub async fn run_sweeper(self, shutdown: tokio_util::sync::CancellationToken) {
        let period = (self.config().lifetime / 10).clamp(
            std::time::Duration::from_millis(100),
            std::time::Duration::from_secs(30),
        );
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = shutdown.cancelled() => break,
            }
            match self.sweep().await {
                Ok(report) if report != SweepReport::default() => {
                    tracing::info!(?report, "expired file transfers purged");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "file-transfer sweep failed; retrying later"),
            }
        }
    }

    /// Purges expired transfers (their files, then the record becomes a
    /// tombstone), deletes tombstones older than a day and removes partial
    /// upload files older than the lifetime (left by a crash).
    ///
    /// # Errors
    /// Store and I/O errors; a sweep that fails halfway is simply repeated
    /// by the next one.
    pub async fn sweep(&self) -> Result<SweepReport, TransferError> {
        metrics::counter!("octo_transfer_sweeps_total").increment(1);
        let now = Utc::now();
        let mut report = SweepReport::default();
        for record in self.store.list_expired_transfers(now).await? {
            // File first: a tombstone never points at a file that remains.
            remove_if_present(&self.file_path(&record.transfer_id)).await?;
            if self.store.tombstone_transfer(&record.transfer_id).await? {
                report.expired += 1;
            }
        }
        let ttl = chrono::Duration::from_std(TOMBSTONE_TTL).unwrap_or(chrono::Duration::days(1));
        report.tombstones_purged = self.store.purge_transfer_tombstones(now - ttl).await?;
        report.stale_parts_removed = self.remove_stale_parts().await?;
        Ok(report)
    }

    async fn remove_stale_parts(&self) -> Result<u64, TransferError> {
        let mut removed = 0;
        let mut entries = tokio::fs::read_dir(&self.config.root).await?;
        while let Some(entry) = entries.next_entry().await? {
            let path = entry.path();
            if path.extension().is_none_or(|ext| ext != "part") {
                continue;
            }
            let age = entry
                .metadata()
                .await
                .ok()
                .and_then(|meta| meta.modified().ok())
                .and_then(|modified| modified.elapsed().ok());
            // An upload in progress keeps writing, so its mtime stays fresh.
            if age.is_some_and(|age| age > self.config.lifetime) {
                remove_if_present(&path).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// The current time at the store's precision, so the record returned equals
/// the one read back.
fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

/// A usable file name: trimmed, non-empty, at most 255 bytes. It is only
/// stored and echoed (sanitized again for `Content-Disposition`), never used
/// as a path.
fn checked_name(file_name: &str) -> Result<String, TransferError> {
    let name = file_name.trim();
    if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(TransferError::InvalidFileName(file_name.to_owned()));
    }
    Ok(name.to_owned())
}

pub(crate) async fn remove_if_present(path: &Path) -> Result<(), std::io::Error> {
    match tokio::fs::remove_file(path).await {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

async fn hash_file(path: &Path) -> Result<(u64, String), std::io::Error> {
    use sha2::Digest;
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path).await?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}
