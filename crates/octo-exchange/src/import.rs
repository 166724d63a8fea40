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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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
    let library = entities.ck_library(tenant).await?;
    let store = entities.store();
    let mut problems = Problems::default();
    check_dependencies(&library, &model.dependencies, &mut problems);

    let now = Utc::now();
    let mut built: Vec<RtEntity> = Vec::with_capacity(model.entities.len());
    // rtId → (index in the file, type) for the association checks.
    let mut in_file: HashMap<OctoObjectId, (usize, String)> = HashMap::new();
    for (index, doc) in model.entities.iter().enumerate() {
        let label = entity_label(index, doc);
        match build_entity(&library, tenant, doc, now) {
            Ok(entity) => {
                if let Some((first, _)) = in_file.get(&entity.rt_id) {
                    problems.push(format!(
                        "{label}: the rtId is used again; entities[{first}] already has it."
                    ));
                    continue;
                }
                in_file.insert(entity.rt_id, (index, entity.ck_type_id.clone()));
                built.push(entity);
            }
            Err(message) => problems.push(format!("{label}: {message}")),
        }
    }

    // Against the tenant: new ids for InsertOnly, same types for Upsert.
    let mut stored_types: HashMap<OctoObjectId, String> = HashMap::new();
    for entity in &built {
        if let Some(existing) = store.get_entity(tenant, &entity.rt_id).await? {
            let index = in_file.get(&entity.rt_id).map_or(0, |(i, _)| *i);
            let label = format!("entities[{index}] (rtId '{}')", entity.rt_id);
            match strategy {
                ImportStrategy::InsertOnly => problems.push(format!(
                    "{label}: tenant '{tenant}' already has this entity; import with \
                     importStrategy Upsert to overwrite it."
                )),
                ImportStrategy::Upsert if existing.ck_type_id != entity.ck_type_id => problems
                    .push(format!(
                        "{label}: tenant '{tenant}' already has this entity as a '{}', not a \
                         '{}'; an import cannot change an entity's type.",
                        existing.ck_type_id, entity.ck_type_id
                    )),
                ImportStrategy::Upsert => {}
            }
            stored_types.insert(entity.rt_id, existing.ck_type_id);
        }
    }

    let associations = check_associations(
        entities,
        &library,
        tenant,
        model,
        &in_file,
        &stored_types,
        now,
        &mut problems,
    )
    .await?;
    problems.into_result()?;

    let mode = match strategy {
        ImportStrategy::InsertOnly => EntityWriteMode::InsertOnly,
        ImportStrategy::Upsert => EntityWriteMode::Upsert,
    };
    let report = store
        .write_runtime_batch(tenant, &built, &associations, mode)
        .await?;
    Ok(report.into())
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

/// Checks every association of the file; returns them ready to write.
#[allow(clippy::too_many_arguments)]
async fn check_associations(
    entities: &Entities,
    library: &CkLibrary,
    tenant: &TenantId,
    model: &RuntimeModel,
    in_file: &HashMap<OctoObjectId, (usize, String)>,
    stored_types: &HashMap<OctoObjectId, String>,
    now: DateTime<Utc>,
    problems: &mut Problems,
) -> Result<Vec<Association>, ExchangeError> {
    let store = entities.store();
    let mut out = Vec::new();
    // Distinct other ends per (entity, role, direction), for roles allowing one.
    let mut ends: HashMap<(OctoObjectId, String, Direction), BTreeSet<OctoObjectId>> =
        HashMap::new();
    for (index, doc) in model.entities.iter().enumerate() {
        if doc.associations.is_empty() {
            continue;
        }
        let Ok(origin) = doc.rt_id.trim().parse::<OctoObjectId>() else {
            continue; // already reported
        };
        let Some((_, origin_type)) = in_file.get(&origin) else {
            continue; // the entity itself was refused
        };
        for (position, link) in doc.associations.iter().enumerate() {
            let label = format!(
                "{} associations[{position}] ('{}' → '{}')",
                entity_label(index, doc),
                link.role_id,
                link.target_rt_id
            );
            if !link.attributes.is_empty() {
                problems.push(format!(
                    "{label}: association attributes are not supported by this server; remove \
                     them from the file."
                ));
                continue;
            }
            let target: OctoObjectId = match link.target_rt_id.trim().parse() {
                Ok(id) => id,
                Err(error) => {
                    problems.push(format!("{label}: targetRtId: {error}"));
                    continue;
                }
            };
            let target_type = match in_file.get(&target) {
                Some((_, ty)) => ty.clone(),
                None => match store.get_entity(tenant, &target).await? {
                    Some(existing) => existing.ck_type_id,
                    None => {
                        problems.push(format!(
                            "{label}: the target is neither in the file nor in tenant \
                             '{tenant}'."
                        ));
                        continue;
                    }
                },
            };
            let declared = link.target_ck_type_id.trim();
            if !declared.eq_ignore_ascii_case(&target_type) {
                problems.push(format!(
                    "{label}: targetCkTypeId is '{declared}' but the target is a '{target_type}'."
                ));
                continue;
            }
            let role = match check_role(library, &link.role_id, origin_type, &target_type) {
                Ok(role) => role,
                Err(error) => {
                    problems.push(format!("{label}: {error}"));
                    continue;
                }
            };
            let role_id = role.id.to_string();
            if at_most_one_per_end(role.outbound_multiplicity) {
                ends.entry((origin, role_id.clone(), Direction::Outbound))
                    .or_default()
                    .insert(target);
            }
            if at_most_one_per_end(role.inbound_multiplicity) {
                ends.entry((target, role_id.clone(), Direction::Inbound))
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
                created_at: now,
            });
        }
    }
    // What the tenant already holds counts too (an entity of the file may exist already).
    for ((entity, role_id, direction), others) in &mut ends {
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
    Ok(out)
}
