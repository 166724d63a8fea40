//! Tenant dumps: [`dump_tenant`] writes a gzip'd tar holding
//!
//! ```text
//! manifest.json                  format version, tenant, time, counts, SHA-256 per part
//! <tenant>/ckModels.bson         one BSON document per CK model
//! <tenant>/entities.bson         one per entity, `_id` = its rtId as an ObjectId
//! <tenant>/associations.bson     one per association
//! <tenant>/streamdata.<archiveRtId>.bson
//!                                one per stream-data sample of that archive (with archive data)
//! ```
//!
//! — the folder layout `mongodump` writes, so `bsondump` reads the parts. The tenant is read as
//! one consistent snapshot ([`octo_store::Store::read_tenant_snapshot`]) and written page by
//! page, so memory stays flat whatever the tenant's size. With archive data, each archive's
//! samples follow, paged by time (read after the snapshot, so samples written meanwhile may be
//! included); the manifest lists them with their checksums like every other part.
//!
//! [`restore_tenant`] first unpacks the archive to a work folder, checking the manifest and
//! every part's size and SHA-256; only when all match does it write, in one transaction
//! ([`octo_store::Store::restore_tenant_snapshot`]), again page by page. A corrupt, truncated
//! or foreign archive is refused and the target tenant is not touched.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use octo_ids::{CkModelId, OctoObjectId, TenantId};
use octo_store::{
    ArchiveTable, Association, CkModelState, RtEntity, SNAPSHOT_PAGE, SnapshotCounts, SnapshotSink,
    SnapshotSource, Store, StoreError, StoredCkModel, StreamRowsQuery, StreamSample,
    StreamSelection, StreamValue, TenantRecord,
};
use octo_streamdata::StreamData;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::ExchangeError;

/// The archive format this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// What `manifest.json` says it is.
pub const FORMAT_NAME: &str = "octomesh-tenant-dump";
/// The parts, in the order they are written and restored.
pub const PARTS: [&str; 3] = ["ckModels", "entities", "associations"];
/// The name of an archive's samples part is this, the archive's rtId and `.bson`.
pub const SAMPLES_PREFIX: &str = "streamdata.";
/// Samples read per query while dumping.
const SAMPLE_PAGE: u32 = 5000;
/// The largest manifest read (a real one is a few hundred bytes).
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// `manifest.json` of a dump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DumpManifest {
    pub format: String,
    pub format_version: u32,
    /// The tenant dumped.
    pub tenant_id: String,
    pub created_at: DateTime<Utc>,
    /// The server that wrote it, e.g. `octo-exchange 0.1.0`.
    pub written_by: String,
    pub counts: SnapshotCounts,
    pub parts: Vec<PartEntry>,
}

/// One BSON file of a dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartEntry {
    /// Its path in the archive, e.g. `meshtest/entities.bson`.
    pub path: String,
    pub documents: u64,
    pub size_bytes: u64,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
}

/// What [`dump_tenant`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct DumpReport {
    pub manifest: DumpManifest,
    /// The archive's size.
    pub size_bytes: u64,
}

/// What [`restore_tenant`] restored.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreReport {
    /// The tenant the archive was made from.
    pub source_tenant_id: String,
    pub counts: SnapshotCounts,
    /// Stream-data samples restored (0 without archive data).
    pub samples: u64,
}

/// Counters a dump or restore advances page by page. Poll them from another task to show
/// progress (a bar, MCP progress notifications): the work itself never waits for a reader.
#[derive(Debug, Default)]
pub struct Progress {
    /// Documents (models, entities, associations) written or read so far.
    pub done: AtomicU64,
    /// All documents of a restore, once the manifest is verified; 0 while unknown (a dump
    /// does not count ahead).
    pub total: AtomicU64,
}

impl Progress {
    /// `(done, total)`, total `None` while unknown.
    #[must_use]
    pub fn get(&self) -> (u64, Option<u64>) {
        let total = self.total.load(Ordering::Relaxed);
        (
            self.done.load(Ordering::Relaxed),
            (total > 0).then_some(total),
        )
    }

    fn advance(&self, by: usize) {
        self.done.fetch_add(by as u64, Ordering::Relaxed);
    }
}

// --- BSON documents ------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CkModelDoc {
    #[serde(rename = "_id")]
    model_name: String,
    model_id: String,
    state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state_reason: Option<String>,
    service_managed: bool,
    document: bson::Bson,
    /// RFC 3339 with microseconds: BSON dates keep only milliseconds.
    updated_at: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntityDoc {
    #[serde(rename = "_id")]
    rt_id: bson::oid::ObjectId,
    ck_type_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rt_well_known_name: Option<String>,
    rt_version: i64,
    rt_creation_date_time: String,
    rt_changed_date_time: String,
    rt_state: i32,
    attributes: bson::Bson,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssociationDoc {
    role_id: String,
    origin_rt_id: bson::oid::ObjectId,
    origin_ck_type_id: String,
    target_rt_id: bson::oid::ObjectId,
    target_ck_type_id: String,
    created_at: String,
}

fn time_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn aborted(reason: impl Into<String>) -> StoreError {
    StoreError::Aborted {
        reason: reason.into(),
    }
}

fn to_bson(value: &Value, what: &str) -> Result<bson::Bson, StoreError> {
    bson::to_bson(value).map_err(|e| aborted(format!("{what} cannot be written as BSON: {e}")))
}

fn from_bson(value: bson::Bson, what: &str) -> Result<Value, StoreError> {
    bson::from_bson(value).map_err(|e| aborted(format!("{what} is not valid JSON data: {e}")))
}

fn object_id(id: &OctoObjectId) -> bson::oid::ObjectId {
    id.to_object_id()
}

fn time(text: &str, what: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| aborted(format!("{what} '{text}' is not a time: {e}")))
}

// --- Dump ---------------------------------------------------------------------------------

/// A part file being written, hashed and counted on the way.
struct PartWriter {
    path: String,
    file: BufWriter<File>,
    hasher: Sha256,
    documents: u64,
    size_bytes: u64,
    buffer: Vec<u8>,
}

impl PartWriter {
    fn create(dir: &Path, path: String) -> Result<Self, ExchangeError> {
        let full = dir.join(&path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        Ok(Self {
            path,
            file: BufWriter::new(File::create(full)?),
            hasher: Sha256::new(),
            documents: 0,
            size_bytes: 0,
            buffer: Vec::new(),
        })
    }

    fn write<T: Serialize>(&mut self, doc: &T) -> Result<(), StoreError> {
        let document = bson::to_document(doc).map_err(|e| {
            aborted(format!(
                "a document of {} cannot be encoded: {e}",
                self.path
            ))
        })?;
        self.buffer.clear();
        document.to_writer(&mut self.buffer).map_err(|e| {
            aborted(format!(
                "a document of {} cannot be encoded: {e}",
                self.path
            ))
        })?;
        self.file
            .write_all(&self.buffer)
            .map_err(|e| aborted(format!("writing {} failed: {e}", self.path)))?;
        self.hasher.update(&self.buffer);
        self.documents += 1;
        self.size_bytes += self.buffer.len() as u64;
        Ok(())
    }

    fn finish(mut self) -> Result<PartEntry, ExchangeError> {
        self.file.flush()?;
        Ok(PartEntry {
            path: self.path,
            documents: self.documents,
            size_bytes: self.size_bytes,
            sha256: hex::encode(self.hasher.finalize()),
        })
    }
}

struct DumpSink<'a> {
    models: PartWriter,
    entities: PartWriter,
    associations: PartWriter,
    progress: &'a Progress,
}

impl SnapshotSink for DumpSink<'_> {
    fn ck_models(&mut self, page: &[StoredCkModel]) -> Result<(), StoreError> {
        for model in page {
            self.models.write(&CkModelDoc {
                model_name: model.model_name.clone(),
                model_id: model.model_id.to_string(),
                state: model.state.as_str().to_owned(),
                state_reason: model.state_reason.clone(),
                service_managed: model.service_managed,
                document: to_bson(&model.document, "a CK model")?,
                updated_at: time_text(model.updated_at),
            })?;
        }
        self.progress.advance(page.len());
        Ok(())
    }

    fn entities(&mut self, page: &[RtEntity]) -> Result<(), StoreError> {
        for entity in page {
            self.entities.write(&EntityDoc {
                rt_id: object_id(&entity.rt_id),
                ck_type_id: entity.ck_type_id.clone(),
                rt_well_known_name: entity.rt_well_known_name.clone(),
                rt_version: i64::try_from(entity.rt_version).unwrap_or(i64::MAX),
                rt_creation_date_time: time_text(entity.rt_creation_date_time),
                rt_changed_date_time: time_text(entity.rt_changed_date_time),
                rt_state: entity.rt_state,
                attributes: to_bson(&entity.attributes, "the attributes of an entity")?,
            })?;
        }
        self.progress.advance(page.len());
        Ok(())
    }

    fn associations(&mut self, page: &[Association]) -> Result<(), StoreError> {
        for a in page {
            self.associations.write(&AssociationDoc {
                role_id: a.role_id.clone(),
                origin_rt_id: object_id(&a.origin_rt_id),
                origin_ck_type_id: a.origin_ck_type_id.clone(),
                target_rt_id: object_id(&a.target_rt_id),
                target_ck_type_id: a.target_ck_type_id.clone(),
                created_at: time_text(a.created_at),
            })?;
        }
        self.progress.advance(page.len());
        Ok(())
    }
}

/// A work folder removed when dropped (also on errors).
struct WorkDir(PathBuf);

impl WorkDir {
    fn create(beside: &Path) -> Result<Self, ExchangeError> {
        let parent = beside
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = format!(".octo-dump-work-{}", OctoObjectId::new());
        let dir = parent.join(name);
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Dumps `tenant` to a gzip'd tar at `path` (see the module documentation).
///
/// # Errors
/// [`StoreError::NotFound`] (as [`ExchangeError::Store`]) for a missing tenant; store and I/O
/// errors. A failed dump leaves no file at `path`.
pub async fn dump_tenant(
    store: &dyn Store,
    tenant: &TenantId,
    path: &Path,
    archive_data: Option<&StreamData>,
    progress: &Progress,
) -> Result<DumpReport, ExchangeError> {
    let work = WorkDir::create(path)?;
    let part = |name: &str| format!("{tenant}/{name}.bson");
    let mut sink = DumpSink {
        models: PartWriter::create(&work.0, part(PARTS[0]))?,
        entities: PartWriter::create(&work.0, part(PARTS[1]))?,
        associations: PartWriter::create(&work.0, part(PARTS[2]))?,
        progress,
    };
    let counts = store.read_tenant_snapshot(tenant, &mut sink).await?;
    let DumpSink {
        models,
        entities,
        associations,
        ..
    } = sink;
    let mut parts = vec![models.finish()?, entities.finish()?, associations.finish()?];
    if let Some(streams) = archive_data {
        let archives = streams.archive_tables(tenant).await.map_err(|e| {
            ExchangeError::Request(format!("The stream-data archives cannot be listed: {e}"))
        })?;
        for archive in &archives {
            parts.push(dump_samples(store, tenant, &archive.table, &work.0, progress).await?);
        }
    }
    let manifest = DumpManifest {
        format: FORMAT_NAME.to_owned(),
        format_version: FORMAT_VERSION,
        tenant_id: tenant.to_string(),
        created_at: Utc::now(),
        written_by: format!("octo-exchange {}", env!("CARGO_PKG_VERSION")),
        counts,
        parts,
    };
    let result = write_archive(&work.0, &manifest, path);
    if result.is_err() {
        let _ = std::fs::remove_file(path);
    }
    let size_bytes = result?;
    Ok(DumpReport {
        manifest,
        size_bytes,
    })
}

/// One stored sample in a dump: the time in microseconds since the epoch, the source rtId and
/// the values by column name (BSON keeps integers, doubles, booleans and text apart).
#[derive(Serialize, Deserialize)]
struct SampleDoc {
    time: i64,
    source: String,
    values: bson::Document,
}

/// The samples part of an archive, page by page in (time, source) order.
async fn dump_samples(
    store: &dyn Store,
    tenant: &TenantId,
    table: &ArchiveTable,
    work: &Path,
    progress: &Progress,
) -> Result<PartEntry, ExchangeError> {
    let mut writer = PartWriter::create(
        work,
        format!("{tenant}/{SAMPLES_PREFIX}{}.bson", table.archive_id),
    )?;
    let columns: Vec<usize> = (0..table.columns.len()).collect();
    let mut last: Option<(i64, String)> = None;
    let mut limit = SAMPLE_PAGE;
    loop {
        let query = StreamRowsQuery {
            selection: StreamSelection {
                from: last.as_ref().map(|(time, _)| *time),
                ..StreamSelection::default()
            },
            columns: columns.clone(),
            descending: false,
            limit,
        };
        let page = store.query_samples(table, &query).await?;
        let full = page.len() == limit as usize;
        let mut progressed = false;
        for sample in page {
            // The page starts at the last time seen (inclusive): skip what was written.
            if let Some((time, source)) = &last
                && (sample.time, &sample.source) <= (*time, source)
            {
                continue;
            }
            let mut values = bson::Document::new();
            for (column, value) in table.columns.iter().zip(&sample.values) {
                values.insert(column.name.clone(), to_bson_value(value));
            }
            writer.write(&SampleDoc {
                time: sample.time,
                source: sample.source.clone(),
                values,
            })?;
            progress.advance(1);
            progressed = true;
            last = Some((sample.time, sample.source));
        }
        if !full {
            break;
        }
        // A whole page of one time: read more at once until it moves on.
        limit = if progressed {
            SAMPLE_PAGE
        } else {
            limit.saturating_mul(2)
        };
    }
    writer.finish()
}

fn to_bson_value(value: &StreamValue) -> bson::Bson {
    match value {
        StreamValue::Null => bson::Bson::Null,
        StreamValue::Integer(i) => bson::Bson::Int64(*i),
        StreamValue::Double(f) => bson::Bson::Double(*f),
        StreamValue::Boolean(b) => bson::Bson::Boolean(*b),
        StreamValue::Text(t) => bson::Bson::String(t.clone()),
    }
}

fn from_bson_value(value: Option<&bson::Bson>, what: &str) -> Result<StreamValue, ExchangeError> {
    Ok(match value {
        None | Some(bson::Bson::Null) => StreamValue::Null,
        Some(bson::Bson::Int64(i)) => StreamValue::Integer(*i),
        Some(bson::Bson::Int32(i)) => StreamValue::Integer(i64::from(*i)),
        Some(bson::Bson::Double(f)) => StreamValue::Double(*f),
        Some(bson::Bson::Boolean(b)) => StreamValue::Boolean(*b),
        Some(bson::Bson::String(t)) => StreamValue::Text(t.clone()),
        Some(other) => {
            return Err(ExchangeError::Archive(format!(
                "{what} holds a sample value of an unsupported BSON type ({other})."
            )));
        }
    })
}

/// Whether `path` is an archive's samples part.
#[must_use]
pub fn is_samples_part(path: &str) -> bool {
    samples_archive(path).is_some()
}

/// The archive rtId of a samples part path `<tenant>/streamdata.<rtId>.bson`.
fn samples_archive(path: &str) -> Option<OctoObjectId> {
    let (_, file_name) = path.split_once('/')?;
    file_name
        .strip_prefix(SAMPLES_PREFIX)?
        .strip_suffix(".bson")?
        .parse()
        .ok()
}

/// Restores every samples part into the target's archives (recreated empty first).
async fn restore_samples(
    store: &dyn Store,
    streams: &StreamData,
    work: &Path,
    manifest: &DumpManifest,
    target: &TenantId,
    progress: &Progress,
) -> Result<u64, ExchangeError> {
    let parts: Vec<(&PartEntry, OctoObjectId)> = manifest
        .parts
        .iter()
        .filter_map(|part| samples_archive(&part.path).map(|id| (part, id)))
        .collect();
    if parts.is_empty() {
        return Ok(0);
    }
    let cannot = |e: &dyn std::fmt::Display| {
        ExchangeError::Request(format!(
            "The tenant was restored, but its stream-data samples were not: {e}. Run \
             restore_tenant again to retry."
        ))
    };
    streams
        .enable_after_restore(target)
        .await
        .map_err(|e| cannot(&e))?;
    let mut restored = 0;
    for (part, archive_id) in parts {
        let resolved = streams
            .resolve(target, &archive_id.to_string())
            .await
            .map_err(|e| cannot(&e))?;
        let table = &resolved.table;
        store.drop_archive_table(table).await?;
        store.create_archive_table(table).await?;
        let mut reader = PartReader {
            path: part.path.clone(),
            file: Some(BufReader::new(File::open(work.join(&part.path))?)),
        };
        while let Some(page) = reader.next_page::<SampleDoc>()? {
            let mut samples = Vec::with_capacity(page.len());
            for doc in page {
                let values = table
                    .columns
                    .iter()
                    .map(|column| from_bson_value(doc.values.get(&column.name), &part.path))
                    .collect::<Result<Vec<_>, _>>()?;
                samples.push(StreamSample {
                    time: doc.time,
                    source: doc.source,
                    values,
                });
            }
            restored += store.write_samples(table, &samples).await?;
            progress.advance(samples.len());
        }
        // The samples went in past the rollups' dirty marks: recompute the rollups from them.
        streams
            .reset_rollups_of(target, &archive_id.to_string())
            .await
            .map_err(|e| cannot(&e))?;
    }
    Ok(restored)
}

fn write_archive(work: &Path, manifest: &DumpManifest, path: &Path) -> Result<u64, ExchangeError> {
    let file = BufWriter::new(File::create(path)?);
    let gzip = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gzip);
    let json = serde_json::to_vec_pretty(manifest).map_err(std::io::Error::other)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(json.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(u64::try_from(manifest.created_at.timestamp()).unwrap_or(0));
    header.set_cksum();
    tar.append_data(&mut header, "manifest.json", json.as_slice())?;
    for part in &manifest.parts {
        tar.append_path_with_name(work.join(&part.path), &part.path)?;
    }
    let gzip = tar.into_inner()?;
    let mut file = gzip.finish()?;
    file.flush()?;
    let file = file.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}

// --- Restore ------------------------------------------------------------------------------

/// Unpacks the archive into `work`, checking it against its manifest; the manifest on success.
fn unpack_and_verify(archive: &Path, work: &Path) -> Result<DumpManifest, ExchangeError> {
    let refuse = |reason: String| ExchangeError::Archive(reason);
    let file = File::open(archive)?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
    let mut manifest: Option<DumpManifest> = None;
    // (path in the archive, size, sha256) of each part seen.
    let mut seen: Vec<(String, u64, String)> = Vec::new();
    let entries = tar
        .entries()
        .map_err(|e| refuse(format!("it is not a gzip'd tar archive ({e}).")))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| refuse(format!("the archive is corrupt or truncated ({e}).")))?;
        let name = entry
            .path()
            .map_err(|e| refuse(format!("an entry has an unreadable name ({e}).")))?
            .to_string_lossy()
            .into_owned();
        if name == "manifest.json" {
            let mut text = Vec::new();
            (&mut entry)
                .take(MAX_MANIFEST_BYTES)
                .read_to_end(&mut text)
                .map_err(|e| refuse(format!("manifest.json cannot be read ({e}).")))?;
            manifest = Some(serde_json::from_slice(&text).map_err(|e| {
                refuse(format!(
                    "manifest.json is not a tenant-dump manifest ({e})."
                ))
            })?);
            continue;
        }
        // Only `<tenant>/<part>.bson`: nothing else is written, so no path leaves `work`.
        let Some((folder, file_name)) = name.split_once('/') else {
            return Err(refuse(format!("unexpected entry '{name}' in the archive.")));
        };
        let known = PARTS.iter().any(|p| file_name == format!("{p}.bson"))
            || samples_archive(&name).is_some();
        if !known || folder.parse::<TenantId>().is_err() || file_name.contains('/') {
            return Err(refuse(format!("unexpected entry '{name}' in the archive.")));
        }
        let target = work.join(folder);
        std::fs::create_dir_all(&target)?;
        let mut out = BufWriter::new(File::create(target.join(file_name))?);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = entry
                .read(&mut buffer)
                .map_err(|e| refuse(format!("'{name}' is corrupt or truncated ({e}).")))?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            out.write_all(&buffer[..read])?;
            size += read as u64;
        }
        out.flush()?;
        seen.push((name, size, hex::encode(hasher.finalize())));
    }
    let manifest = manifest.ok_or_else(|| {
        refuse("it has no manifest.json; it is not a tenant dump of this server.".to_owned())
    })?;
    if manifest.format != FORMAT_NAME || manifest.format_version != FORMAT_VERSION {
        return Err(refuse(format!(
            "it is '{}' version {}, but this server reads '{FORMAT_NAME}' version \
             {FORMAT_VERSION}.",
            manifest.format, manifest.format_version
        )));
    }
    for part in &manifest.parts {
        let Some((_, size, sha256)) = seen.iter().find(|(name, _, _)| *name == part.path) else {
            return Err(refuse(format!(
                "'{}' is listed in the manifest but missing from the archive.",
                part.path
            )));
        };
        if *size != part.size_bytes || *sha256 != part.sha256 {
            return Err(refuse(format!(
                "'{}' does not match its checksum (manifest: {} bytes, SHA-256 {}; archive: {} \
                 bytes, SHA-256 {}); the file is corrupt. Download the dump again.",
                part.path, part.size_bytes, part.sha256, size, sha256
            )));
        }
    }
    for (name, _, _) in &seen {
        if !manifest.parts.iter().any(|p| p.path == *name) {
            return Err(refuse(format!("'{name}' is not listed in the manifest.")));
        }
    }
    Ok(manifest)
}

/// Reads one part's BSON documents a page at a time.
struct PartReader {
    path: String,
    file: Option<BufReader<File>>,
}

impl PartReader {
    fn open(work: &Path, manifest: &DumpManifest, kind: &str) -> Result<Self, ExchangeError> {
        let suffix = format!("/{kind}.bson");
        let part = manifest.parts.iter().find(|p| p.path.ends_with(&suffix));
        Ok(match part {
            Some(part) => Self {
                path: part.path.clone(),
                file: Some(BufReader::new(File::open(work.join(&part.path))?)),
            },
            None => Self {
                path: kind.to_owned(),
                file: None,
            },
        })
    }

    fn next_page<T: serde::de::DeserializeOwned>(&mut self) -> Result<Option<Vec<T>>, StoreError> {
        let Some(file) = &mut self.file else {
            return Ok(None);
        };
        let mut page = Vec::new();
        while page.len() < SNAPSHOT_PAGE as usize {
            let at_end = file
                .fill_buf()
                .map_err(|e| aborted(format!("reading {} failed: {e}", self.path)))?
                .is_empty();
            if at_end {
                break;
            }
            let document = bson::Document::from_reader(&mut *file)
                .map_err(|e| aborted(format!("{} holds an invalid document: {e}", self.path)))?;
            page.push(bson::from_document(document).map_err(|e| {
                aborted(format!(
                    "{} holds a document of the wrong shape: {e}",
                    self.path
                ))
            })?);
        }
        Ok((!page.is_empty()).then_some(page))
    }
}

struct RestoreSource<'a> {
    progress: &'a Progress,
    tenant: TenantId,
    models: PartReader,
    entities: PartReader,
    associations: PartReader,
}

fn rt_id(id: bson::oid::ObjectId) -> OctoObjectId {
    OctoObjectId::from_bytes(id.bytes())
}

impl SnapshotSource for RestoreSource<'_> {
    fn next_ck_models(&mut self) -> Result<Option<Vec<StoredCkModel>>, StoreError> {
        let Some(page) = self.models.next_page::<CkModelDoc>()? else {
            return Ok(None);
        };
        self.progress.advance(page.len());
        page.into_iter()
            .map(|doc| {
                Ok(StoredCkModel {
                    tenant_id: self.tenant.clone(),
                    model_id: doc.model_id.parse::<CkModelId>().map_err(|e| {
                        aborted(format!("model '{}' has an invalid id: {e}", doc.model_name))
                    })?,
                    model_name: doc.model_name,
                    state: doc
                        .state
                        .parse::<CkModelState>()
                        .map_err(|e| aborted(format!("a model has an invalid state: {e}")))?,
                    state_reason: doc.state_reason,
                    service_managed: doc.service_managed,
                    document: from_bson(doc.document, "a CK model")?,
                    updated_at: time(&doc.updated_at, "a model's updatedAt")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn next_entities(&mut self) -> Result<Option<Vec<RtEntity>>, StoreError> {
        let Some(page) = self.entities.next_page::<EntityDoc>()? else {
            return Ok(None);
        };
        self.progress.advance(page.len());
        page.into_iter()
            .map(|doc| {
                Ok(RtEntity {
                    tenant_id: self.tenant.clone(),
                    rt_id: rt_id(doc.rt_id),
                    ck_type_id: doc.ck_type_id,
                    rt_well_known_name: doc.rt_well_known_name,
                    rt_version: u64::try_from(doc.rt_version).unwrap_or(1),
                    rt_creation_date_time: time(&doc.rt_creation_date_time, "rtCreationDateTime")?,
                    rt_changed_date_time: time(&doc.rt_changed_date_time, "rtChangedDateTime")?,
                    rt_state: doc.rt_state,
                    attributes: from_bson(doc.attributes, "an entity's attributes")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn next_associations(&mut self) -> Result<Option<Vec<Association>>, StoreError> {
        let Some(page) = self.associations.next_page::<AssociationDoc>()? else {
            return Ok(None);
        };
        self.progress.advance(page.len());
        page.into_iter()
            .map(|doc| {
                Ok(Association {
                    tenant_id: self.tenant.clone(),
                    role_id: doc.role_id,
                    origin_rt_id: rt_id(doc.origin_rt_id),
                    origin_ck_type_id: doc.origin_ck_type_id,
                    target_rt_id: rt_id(doc.target_rt_id),
                    target_ck_type_id: doc.target_ck_type_id,
                    created_at: time(&doc.created_at, "an association's createdAt")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// Restores the dump at `archive` into `target` (created when missing, replaced otherwise),
/// after checking the whole archive (see the module documentation).
///
/// # Errors
/// [`ExchangeError::Archive`] for a corrupt, truncated or foreign archive (nothing changed);
/// store and I/O errors (nothing changed either: the write is one transaction).
pub async fn restore_tenant(
    store: &dyn Store,
    archive: &Path,
    target: &TenantId,
    archive_data: Option<&StreamData>,
    progress: &Progress,
) -> Result<RestoreReport, ExchangeError> {
    let work = WorkDir::create(archive)?;
    let manifest = unpack_and_verify(archive, &work.0)?;
    let counts = manifest.counts;
    let samples: u64 = if archive_data.is_some() {
        manifest
            .parts
            .iter()
            .filter(|part| samples_archive(&part.path).is_some())
            .map(|part| part.documents)
            .sum()
    } else {
        0
    };
    progress.total.store(
        counts.ck_models + counts.entities + counts.associations + samples,
        Ordering::Relaxed,
    );
    let mut source = RestoreSource {
        progress,
        tenant: target.clone(),
        models: PartReader::open(&work.0, &manifest, PARTS[0])?,
        entities: PartReader::open(&work.0, &manifest, PARTS[1])?,
        associations: PartReader::open(&work.0, &manifest, PARTS[2])?,
    };
    let record = TenantRecord {
        tenant_id: target.clone(),
        parent_tenant_id: None,
        database_name: target.to_string(),
        created_at: Utc::now(),
    };
    let counts = store
        .restore_tenant_snapshot(&record, &mut source)
        .await
        .map_err(|error| match error {
            StoreError::Aborted { reason } => ExchangeError::Archive(reason),
            other => ExchangeError::Store(other),
        })?;
    let samples = match archive_data {
        Some(streams) => {
            restore_samples(store, streams, &work.0, &manifest, target, progress).await?
        }
        None => 0,
    };
    Ok(RestoreReport {
        source_tenant_id: manifest.tenant_id,
        counts,
        samples,
    })
}
