//! [`import_runtime_model`]: a runtime-model file into a tenant, all or nothing.
//!
//! Everything is checked before anything is written, and every problem is reported (up to
//! [`MAX_PROBLEMS`]), each naming the entity by index and rtId and the attribute or
//! association at fault:
//! - the file's dependencies must be loaded in the tenant;
//! - each entity is built by [`octo_entities::new_entity`], the code `create_entity` uses, so a
//!   value the tool refuses is refused here too;
//! - each association is checked by [`octo_entities::associations::check_role`], as
//!   `create_association` checks it, and against the role's multiplicities (counting what the
//!   file and the tenant already hold);
//! - ids must be unique in the file; with `InsertOnly` they must be new to the tenant, with
//!   `Upsert` an existing entity must keep its type.
//!
//! Then [`octo_store::Store::write_runtime_batch`] writes it all in one transaction.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use octo_ck::CkLibrary;
use octo_ck::document::CkValueType;
use octo_ck::library::EffectiveAttribute;
use octo_entities::associations::{at_most_one_per_end, check_role};
use octo_entities::path::resolve;
use octo_entities::{AttributeUpdate, Entities, NewEntity, new_entity};
use octo_ids::{CkModelDependency, OctoObjectId, TenantId};
use octo_store::{Association, BatchReport, Direction, EntityWriteMode, RtEntity};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ExchangeError;
use crate::runtime_model::{RtAttributeDoc, RtEntityDoc, RuntimeModel};

/// How many problems an error lists at most (the count says how many there were).
pub const MAX_PROBLEMS: usize = 50;

/// What to do with an entity whose rtId the tenant already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportStrategy {
    /// Refuse the import (nothing is written).
    InsertOnly,
    /// Overwrite its attributes (it must keep its type).
    Upsert,
}

impl ImportStrategy {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InsertOnly => "InsertOnly",
            Self::Upsert => "Upsert",
        }
    }
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub entities_inserted: u64,
    pub entities_updated: u64,
    pub associations_inserted: u64,
    /// Associations the tenant already had (left as they were).
    pub associations_unchanged: u64,
}

impl From<BatchReport> for ImportReport {
    fn from(report: BatchReport) -> Self {
        Self {
            entities_inserted: report.entities_inserted,
            entities_updated: report.entities_updated,
            associations_inserted: report.associations_inserted,
            associations_unchanged: report.associations_unchanged,
        }
    }
}

/// Problems found so far, each a line of the error.
#[derive(Default)]
struct Problems(Vec<String>, usize);

impl Problems {
    fn push(&mut self, problem: String) {
        self.1 += 1;
        if self.0.len() < MAX_PROBLEMS {
            self.0.push(problem);
        }
    }

    fn into_result(self) -> Result<(), ExchangeError> {
        if self.1 == 0 {
            return Ok(());
        }
        let mut lines = self.0;
        if self.1 > lines.len() {
            lines.push(format!("… and {} more.", self.1 - lines.len()));
        }
        Err(ExchangeError::Invalid(lines))
    }
}

/// Imports `model` into `tenant`, all or nothing (see the module documentation).
///
/// # Errors
/// [`ExchangeError::Invalid`] listing every problem; store errors.
pub async fn import_runtime_model(
    entities: &Entities,
    tenant: &TenantId,
    model: &RuntimeModel,
    strategy: ImportStrategy,
) -> Result<ImportReport, ExchangeError> {
    let mut importer = Importer::new(entities, tenant, strategy).await?;
    check_dependencies(
        &importer.library,
        &model.dependencies,
        &mut importer.problems,
    );
    for (index, doc) in model.entities.iter().enumerate() {
        importer.index_entity(index, doc).await?;
    }
    let mut associations = Vec::new();
    for (index, doc) in model.entities.iter().enumerate() {
        associations.extend(importer.check_associations(index, doc).await?);
    }
    importer.check_multiplicities().await?;
    std::mem::take(&mut importer.problems).into_result()?;
    let mut built = Vec::with_capacity(model.entities.len());
    for doc in &model.entities {
        built.push(importer.build(doc)?);
    }
    let report = entities
        .store()
        .write_runtime_batch(tenant, &built, &associations, importer.mode())
        .await?;
    Ok(report.into())
}

/// How many entities a streamed import writes per transaction.
pub const IMPORT_BATCH: usize = 1000;

/// Imports the runtime-model file at `path` into `tenant` with flat memory, advancing
/// `progress` by the entities written. A JSON file (also inside a zip) is read three times as
/// a stream: its entities are checked and indexed (rtId → type), then its associations are
/// checked against that index, and only when nothing was found wrong is it written, in
/// transactions of [`IMPORT_BATCH`] entities (their associations follow once every entity is
/// written). Bad input changes nothing, as with [`import_runtime_model`]; a store failure in
/// the middle of the write leaves the batches written before it (importing the file again with
/// `Upsert` completes it). YAML is parsed whole (see
/// [`crate::runtime_model::MAX_YAML_BYTES`]).
///
/// # Errors
/// As [`import_runtime_model`], and [`ExchangeError::Format`] for a file that does not read.
pub async fn import_runtime_model_file(
    entities: &Entities,
    tenant: &TenantId,
    path: &std::path::Path,
    strategy: ImportStrategy,
    progress: &crate::dump::Progress,
) -> Result<ImportReport, ExchangeError> {
    use std::sync::atomic::Ordering;
    let mut importer = Importer::new(entities, tenant, strategy).await?;

    // Pass 1: every entity checked and indexed.
    let mut entities_in_file = EntityStream::open(path);
    let mut count = 0_u64;
    while let Some((index, doc)) = entities_in_file.next().await {
        count += 1;
        importer.index_entity(index, &doc).await?;
    }
    let dependencies = entities_in_file.finish().await?;
    check_dependencies(&importer.library, &dependencies, &mut importer.problems);
    progress.total.store(count, Ordering::Relaxed);

    // Pass 2: associations checked against the index and the tenant.
    let mut entities_in_file = EntityStream::open(path);
    while let Some((index, doc)) = entities_in_file.next().await {
        importer.check_associations(index, &doc).await?;
    }
    entities_in_file.finish().await?;
    importer.check_multiplicities().await?;
    std::mem::take(&mut importer.problems).into_result()?;

    // Pass 3: written in batches, entities first, then associations.
    let store = entities.store();
    let mode = importer.mode();
    let mut report = ImportReport::default();
    let mut batch = Vec::with_capacity(IMPORT_BATCH);
    let mut entities_in_file = EntityStream::open(path);
    loop {
        let next = entities_in_file.next().await;
        if let Some((_, doc)) = &next {
            batch.push(importer.build(doc)?);
        }
        if batch.len() >= IMPORT_BATCH || (next.is_none() && !batch.is_empty()) {
            let written = store.write_runtime_batch(tenant, &batch, &[], mode).await?;
            report.add(written.into());
            progress
                .done
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            batch.clear();
        }
        if next.is_none() {
            break;
        }
    }
    entities_in_file.finish().await?;
    let mut links = Vec::with_capacity(IMPORT_BATCH);
    let mut entities_in_file = EntityStream::open(path);
    loop {
        let next = entities_in_file.next().await;
        if let Some((index, doc)) = &next {
            links.extend(importer.check_associations(*index, doc).await?);
        }
        if links.len() >= IMPORT_BATCH || (next.is_none() && !links.is_empty()) {
            let written = store.write_runtime_batch(tenant, &[], &links, mode).await?;
            report.add(written.into());
            links.clear();
        }
        if next.is_none() {
            break;
        }
    }
    entities_in_file.finish().await?;
    Ok(report)
}

/// The entities of a file, in file order, parsed on a blocking thread and handed over in
/// small batches (so at most a few hundred are in memory).
struct EntityStream {
    receiver: tokio::sync::mpsc::Receiver<Vec<RtEntityDoc>>,
    reader: tokio::task::JoinHandle<Result<Vec<String>, ExchangeError>>,
    pending: std::vec::IntoIter<RtEntityDoc>,
    index: usize,
}

impl EntityStream {
    fn open(path: &std::path::Path) -> Self {
        const HANDOVER: usize = 256;
        let (sender, receiver) = tokio::sync::mpsc::channel::<Vec<RtEntityDoc>>(2);
        let owned = path.to_owned();
        let reader = tokio::task::spawn_blocking(move || {
            let mut pending = Vec::with_capacity(HANDOVER);
            let dependencies = crate::runtime_model::stream_file(&owned, |doc| {
                pending.push(doc);
                if pending.len() >= HANDOVER {
                    let full = std::mem::replace(&mut pending, Vec::with_capacity(HANDOVER));
                    // Closed: the consumer stopped on an error of its own and reports that.
                    sender
                        .blocking_send(full)
                        .map_err(|_| ExchangeError::Request("The import stopped.".to_owned()))?;
                }
                Ok(())
            })?;
            if !pending.is_empty() {
                let _ = sender.blocking_send(pending);
            }
            Ok(dependencies)
        });
        Self {
            receiver,
            reader,
            pending: Vec::new().into_iter(),
            index: 0,
        }
    }

    /// The next entity and its index in the file; `None` at the end or when reading failed
    /// ([`Self::finish`] says which).
    async fn next(&mut self) -> Option<(usize, RtEntityDoc)> {
        loop {
            if let Some(doc) = self.pending.next() {
                self.index += 1;
                return Some((self.index - 1, doc));
            }
            self.pending = self.receiver.recv().await?.into_iter();
        }
    }

    /// The file's dependencies once every entity was taken, or why reading failed.
    async fn finish(self) -> Result<Vec<String>, ExchangeError> {
        drop(self.receiver);
        self.reader
            .await
            .map_err(|e| ExchangeError::Request(format!("Reading the upload failed: {e}")))?
    }
}

impl ImportReport {
    fn add(&mut self, other: Self) {
        self.entities_inserted += other.entities_inserted;
        self.entities_updated += other.entities_updated;
        self.associations_inserted += other.associations_inserted;
        self.associations_unchanged += other.associations_unchanged;
    }
}

/// What an import learns about a file while checking it: small per entity (an id and an
/// interned type), so a file of millions of entities fits.
struct Importer<'a> {
    entities: &'a Entities,
    library: std::sync::Arc<CkLibrary>,
    tenant: &'a TenantId,
    strategy: ImportStrategy,
    now: DateTime<Utc>,
    problems: Problems,
    /// Type names, interned.
    types: Vec<String>,
    type_index: HashMap<String, u32>,
    /// rtId → (index in the file, type) of every good entity of the file.
    in_file: HashMap<OctoObjectId, (usize, u32)>,
    /// rtId → type of the file's entities the tenant already has.
    stored_types: HashMap<OctoObjectId, u32>,
    /// Distinct other ends per (entity, role, direction), for roles allowing one.
    ends: HashMap<(OctoObjectId, String, Direction), BTreeSet<OctoObjectId>>,
}

impl<'a> Importer<'a> {
    async fn new(
        entities: &'a Entities,
        tenant: &'a TenantId,
        strategy: ImportStrategy,
    ) -> Result<Self, ExchangeError> {
        Ok(Self {
            library: entities.ck_library(tenant).await?,
            entities,
            tenant,
            strategy,
            now: Utc::now(),
            problems: Problems::default(),
            types: Vec::new(),
            type_index: HashMap::new(),
            in_file: HashMap::new(),
            stored_types: HashMap::new(),
            ends: HashMap::new(),
        })
    }

    fn mode(&self) -> EntityWriteMode {
        match self.strategy {
            ImportStrategy::InsertOnly => EntityWriteMode::InsertOnly,
            ImportStrategy::Upsert => EntityWriteMode::Upsert,
        }
    }

    fn intern(&mut self, ck_type_id: &str) -> u32 {
        if let Some(index) = self.type_index.get(ck_type_id) {
            return *index;
        }
        let index = u32::try_from(self.types.len()).unwrap_or(u32::MAX);
        self.types.push(ck_type_id.to_owned());
        self.type_index.insert(ck_type_id.to_owned(), index);
        index
    }

    fn type_name(&self, index: u32) -> &str {
        self.types.get(index as usize).map_or("", String::as_str)
    }

    /// The entity as it will be written (checked before by [`Self::index_entity`]).
    fn build(&self, doc: &RtEntityDoc) -> Result<RtEntity, ExchangeError> {
        build_entity(&self.library, self.tenant, doc, self.now)
            .map_err(|problem| ExchangeError::Request(format!("{}: {problem}", doc.rt_id)))
    }

    /// Pass 1: checks the entity and against the tenant (new ids for InsertOnly, same types
    /// for Upsert), and remembers its id and type.
    async fn index_entity(&mut self, index: usize, doc: &RtEntityDoc) -> Result<(), ExchangeError> {
        let label = entity_label(index, doc);
        let entity = match build_entity(&self.library, self.tenant, doc, self.now) {
            Ok(entity) => entity,
            Err(message) => {
                self.problems.push(format!("{label}: {message}"));
                return Ok(());
            }
        };
        if let Some((first, _)) = self.in_file.get(&entity.rt_id) {
            self.problems.push(format!(
                "{label}: the rtId is used again; entities[{first}] already has it."
            ));
            return Ok(());
        }
        let ty = self.intern(&entity.ck_type_id);
        self.in_file.insert(entity.rt_id, (index, ty));
        let tenant = self.tenant;
        if let Some(existing) = self
            .entities
            .store()
            .get_entity(tenant, &entity.rt_id)
            .await?
        {
            let label = format!("entities[{index}] (rtId '{}')", entity.rt_id);
            match self.strategy {
                ImportStrategy::InsertOnly => self.problems.push(format!(
                    "{label}: tenant '{tenant}' already has this entity; import with \
                     importStrategy Upsert to overwrite it."
                )),
                ImportStrategy::Upsert if existing.ck_type_id != entity.ck_type_id => {
                    self.problems.push(format!(
                        "{label}: tenant '{tenant}' already has this entity as a '{}', not a \
                         '{}'; an import cannot change an entity's type.",
                        existing.ck_type_id, entity.ck_type_id
                    ));
                }
                ImportStrategy::Upsert => {}
            }
            let stored = self.intern(&existing.ck_type_id);
            self.stored_types.insert(entity.rt_id, stored);
        }
        Ok(())
    }

    /// Pass 2: checks the entity's associations against the index, the tenant and the
    /// library; returns them as they will be written.
    async fn check_associations(
        &mut self,
        index: usize,
        doc: &RtEntityDoc,
    ) -> Result<Vec<Association>, ExchangeError> {
        let store = self.entities.store();
        let tenant = self.tenant;
        let library = std::sync::Arc::clone(&self.library);
        let mut out = Vec::new();
        if doc.associations.is_empty() {
            return Ok(out);
        }
        let Ok(origin) = doc.rt_id.trim().parse::<OctoObjectId>() else {
            return Ok(out); // already reported
        };
        let Some(&(_, origin_type)) = self.in_file.get(&origin) else {
            return Ok(out); // the entity itself was refused
        };
        let origin_type = self.type_name(origin_type).to_owned();
        for (position, link) in doc.associations.iter().enumerate() {
            let label = format!(
                "{} associations[{position}] ('{}' → '{}')",
                entity_label(index, doc),
                link.role_id,
                link.target_rt_id
            );
            if !link.attributes.is_empty() {
                self.problems.push(format!(
                    "{label}: association attributes are not supported by this server; remove \
                 them from the file."
                ));
                continue;
            }
            let target: OctoObjectId = match link.target_rt_id.trim().parse() {
                Ok(id) => id,
                Err(error) => {
                    self.problems.push(format!("{label}: targetRtId: {error}"));
                    continue;
                }
            };
            let target_type = match self.in_file.get(&target) {
                Some(&(_, ty)) => self.type_name(ty).to_owned(),
                None => match store.get_entity(tenant, &target).await? {
                    Some(existing) => existing.ck_type_id,
                    None => {
                        self.problems.push(format!(
                            "{label}: the target is neither in the file nor in tenant \
                         '{tenant}'."
                        ));
                        continue;
                    }
                },
            };
            let declared = link.target_ck_type_id.trim();
            if !declared.eq_ignore_ascii_case(&target_type) {
                self.problems.push(format!(
                    "{label}: targetCkTypeId is '{declared}' but the target is a '{target_type}'."
                ));
                continue;
            }
            let role = match check_role(&library, &link.role_id, &origin_type, &target_type) {
                Ok(role) => role,
                Err(error) => {
                    self.problems.push(format!("{label}: {error}"));
                    continue;
                }
            };
            let role_id = role.id.to_string();
            if at_most_one_per_end(role.outbound_multiplicity) {
                self.ends
                    .entry((origin, role_id.clone(), Direction::Outbound))
                    .or_default()
                    .insert(target);
            }
            if at_most_one_per_end(role.inbound_multiplicity) {
                self.ends
                    .entry((target, role_id.clone(), Direction::Inbound))
                    .or_default()
                    .insert(origin);
            }
            out.push(Association {
                tenant_id: tenant.clone(),
                role_id,
                origin_rt_id: origin,
                origin_ck_type_id: origin_type.clone(),
                target_rt_id: target,
                target_ck_type_id: target_type,
                created_at: self.now,
            });
        }
        Ok(out)
    }

    /// After pass 2: roles allowing one end per entity, counting what the tenant holds.
    async fn check_multiplicities(&mut self) -> Result<(), ExchangeError> {
        let store = self.entities.store();
        let tenant = self.tenant;
        let problems = &mut self.problems;
        let in_file = &self.in_file;
        let stored_types = &self.stored_types;
        // What the tenant already holds counts too (an entity of the file may exist already).
        for ((entity, role_id, direction), others) in &mut self.ends {
            let exists = stored_types.contains_key(entity) || !in_file.contains_key(entity);
            if exists {
                for link in store
                    .list_associations(tenant, entity, *direction, Some(role_id))
                    .await?
                {
                    others.insert(match direction {
                        Direction::Outbound => link.target_rt_id,
                        Direction::Inbound => link.origin_rt_id,
                    });
                }
            }
            if others.len() > 1 {
                let (what, ends) = match direction {
                    Direction::Outbound => ("targets", "target per origin"),
                    Direction::Inbound => ("origins", "origin per target"),
                };
                problems.push(format!(
                "Entity '{entity}' would have {} {what} of '{role_id}' ({}), but the role allows \
                 one {ends}.",
                others.len(),
                others
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            }
        }
        Ok(())
    }
}

fn entity_label(index: usize, doc: &RtEntityDoc) -> String {
    format!("entities[{index}] (rtId '{}')", doc.rt_id)
}

fn check_dependencies(library: &CkLibrary, dependencies: &[String], problems: &mut Problems) {
    for (index, text) in dependencies.iter().enumerate() {
        match text.parse::<CkModelDependency>() {
            Err(error) => problems.push(format!("dependencies[{index}]: {error}")),
            Ok(dependency) => match library.model(dependency.name()) {
                Some(model) if dependency.is_satisfied_by(model.id()) => {}
                Some(model) => problems.push(format!(
                    "dependencies[{index}] '{text}': the tenant has '{}', which is outside that \
                     range; import a fitting version of the model first.",
                    model.id()
                )),
                None => problems.push(format!(
                    "dependencies[{index}] '{text}': the tenant has no model '{}'; import it \
                     first (import_ck_from_catalog or import_ck_model).",
                    dependency.name()
                )),
            },
        }
    }
}

/// The entity as `create_entity` would build it, or the problem in words.
fn build_entity(
    library: &CkLibrary,
    tenant: &TenantId,
    doc: &RtEntityDoc,
    now: DateTime<Utc>,
) -> Result<RtEntity, String> {
    let rt_id: OctoObjectId = doc.rt_id.trim().parse().map_err(|e| format!("{e}"))?;
    let info = library
        .get_type(doc.ck_type_id.trim())
        .map_err(|e| format!("ckTypeId '{}': {e}", doc.ck_type_id))?;
    let mut data = Vec::with_capacity(doc.attributes.len());
    for (position, attribute) in doc.attributes.iter().enumerate() {
        let at = format!("attributes[{position}] '{}'", attribute.id);
        let resolved = resolve(library, &info, &attribute.id).map_err(|e| format!("{at}: {e}"))?;
        let Some(effective) = &resolved.attribute else {
            return Err(format!(
                "{at}: system attributes are set by the entity's own fields (rtId, \
                 rtWellKnownName, …), not as attributes."
            ));
        };
        let value = from_runtime_form(library, effective, &attribute.value, &attribute.id)
            .map_err(|e| format!("{at}: {e}"))?;
        data.push(AttributeUpdate {
            attribute_path: attribute.id.clone(),
            value,
        });
    }
    let time = |field: &str, text: &Option<String>| -> Result<DateTime<Utc>, String> {
        match text {
            None => Ok(now),
            Some(text) => DateTime::parse_from_rfc3339(text.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    format!("{field} '{text}' is not an ISO 8601 date-time with offset: {e}")
                }),
        }
    };
    let created = time("rtCreationDateTime", &doc.rt_creation_date_time)?;
    let changed = time("rtChangedDateTime", &doc.rt_changed_date_time)?;
    let rt_state = match doc.rt_state.as_deref().map(str::trim) {
        None | Some("Active") => 0,
        Some("Archived") => 1,
        Some(other) => {
            return Err(format!("rtState '{other}' is not one of Active, Archived."));
        }
    };
    let mut entity = new_entity(
        library,
        &info,
        NewEntity {
            tenant: tenant.clone(),
            rt_id,
            rt_well_known_name: doc.rt_well_known_name.clone(),
            created,
            changed,
        },
        &data,
    )
    .map_err(|e| e.to_string())?;
    entity.rt_state = rt_state;
    Ok(entity)
}

/// A value in the file's form turned into the form `create_entity` takes: records come as
/// `{ckRecordId, attributes[{id, value}]}` and become objects keyed by field name (a plain
/// object keyed by field name is taken as it is).
pub fn from_runtime_form(
    library: &CkLibrary,
    attribute: &EffectiveAttribute,
    value: &Value,
    path: &str,
) -> Result<Value, String> {
    match (attribute.value_type, value) {
        (CkValueType::Record, Value::Object(_)) => {
            record_from_runtime(library, attribute, value, path)
        }
        (CkValueType::RecordArray, Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| record_from_runtime(library, attribute, item, &format!("{path}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        _ => Ok(value.clone()),
    }
}

fn record_from_runtime(
    library: &CkLibrary,
    attribute: &EffectiveAttribute,
    value: &Value,
    path: &str,
) -> Result<Value, String> {
    let Value::Object(map) = value else {
        return Ok(value.clone());
    };
    let Some(Value::Array(items)) = map.get("attributes") else {
        return Ok(value.clone());
    };
    let record_id = match map.get("ckRecordId") {
        Some(Value::String(id)) => id.clone(),
        _ => attribute
            .record_id
            .as_ref()
            .map(ToString::to_string)
            .ok_or_else(|| format!("'{path}' names no ckRecordId"))?,
    };
    let record = library
        .get_record(&record_id)
        .map_err(|e| format!("'{path}': {e}"))?;
    if let Some(expected) = &attribute.record_id
        && record.id != *expected
        && !record.ancestors.contains(expected)
    {
        return Err(format!(
            "'{path}' holds a '{}' record; the attribute takes '{expected}'.",
            record.id
        ));
    }
    let mut fields = Map::new();
    for (position, item) in items.iter().enumerate() {
        let item: RtAttributeDoc = serde_json::from_value(item.clone())
            .map_err(|e| format!("'{path}'.attributes[{position}] is not {{id, value}}: {e}"))?;
        let field = record
            .attributes
            .iter()
            .find(|f| {
                f.attribute_id
                    .to_string()
                    .eq_ignore_ascii_case(item.id.trim())
                    || f.name.eq_ignore_ascii_case(item.id.trim())
            })
            .ok_or_else(|| {
                format!(
                    "record '{}' at '{path}' has no field '{}'. Its fields: {}.",
                    record.id,
                    item.id,
                    record
                        .attributes
                        .iter()
                        .map(|f| f.attribute_id.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        let inner = from_runtime_form(
            library,
            field,
            &item.value,
            &format!("{path}.{}", field.name),
        )?;
        fields.insert(field.name.clone(), inner);
    }
    Ok(Value::Object(fields))
}
