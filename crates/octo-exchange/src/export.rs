//! Exports in the runtime-model format: [`export_by_query`] (the entities of a type and its
//! derived types matching a filter) and [`export_by_deep_graph`] (some root entities and
//! everything below them). Entities are read page by page and written as they come, so memory
//! holds one page plus the set of exported ids (which decides the associations written: only
//! those between exported entities, so the file imports into an empty tenant).

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::path::Path;

use octo_ck::CkLibrary;
use octo_ck::document::CkValueType;
use octo_ck::library::EffectiveAttribute;
use octo_entities::Entities;
use octo_entities::filter::{Criteria, to_filter};
use octo_entities::value::stored_date_time;
use octo_ids::{CkModelDependency, OctoObjectId, TenantId};
use octo_store::{
    AttributePath, Direction, EntityQuery, FieldFilter, FilterExpr, FilterOperator, PathRef,
    RtEntity, SNAPSHOT_PAGE, SystemAttribute, ValueKind,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::ExchangeError;
use crate::runtime_model::{
    FileFormat, RtAssociationDoc, RtAttributeDoc, RtEntityDoc, RuntimeModelWriter,
};

/// The most entities one export writes; past it the export is refused (use a dump).
pub const MAX_EXPORT_ENTITIES: usize = 1_000_000;

/// The role along which a deep-graph export descends: children point to their parent.
const PARENT_CHILD: &str = "System/ParentChild";

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportReport {
    pub entities: u64,
    pub associations: u64,
    /// The models the file depends on, e.g. `Basic-[2.0.2,3.0.0)`.
    pub dependencies: Vec<String>,
}

/// Writes the entities of `ck_type_id` (and derived types) matching `criteria` to `path`.
///
/// # Errors
/// Unknown types or paths, store and I/O errors.
pub async fn export_by_query(
    entities: &Entities,
    tenant: &TenantId,
    ck_type_id: &str,
    criteria: Option<&Criteria>,
    path: &Path,
    format: FileFormat,
) -> Result<ExportReport, ExchangeError> {
    let (library, info) = entities.type_info(tenant, ck_type_id).await?;
    let filter = match criteria {
        Some(criteria) => to_filter(&library, &info, criteria)?,
        None => None,
    };
    let ck_type_ids: Vec<String> = std::iter::once(info.id.to_string())
        .chain(info.derived_types.iter().map(ToString::to_string))
        .collect();
    // First pass: the ids, which decide which associations stay inside the file.
    let mut ids = HashSet::new();
    let mut types = BTreeSet::new();
    let mut after: Option<OctoObjectId> = None;
    loop {
        let page = query_page(entities, tenant, &ck_type_ids, filter.as_ref(), after).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.rt_id);
        for entity in &page {
            ids.insert(entity.rt_id);
            types.insert(entity.ck_type_id.clone());
        }
        if ids.len() > MAX_EXPORT_ENTITIES {
            return Err(too_many());
        }
    }
    let dependencies = dependencies(&library, &types);
    let mut writer = RuntimeModelWriter::create(path, format, &dependencies)?;
    let mut report = ExportReport {
        dependencies,
        ..ExportReport::default()
    };
    let mut after: Option<OctoObjectId> = None;
    loop {
        let page = query_page(entities, tenant, &ck_type_ids, filter.as_ref(), after).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.rt_id);
        for entity in page.iter().filter(|e| ids.contains(&e.rt_id)) {
            let doc = entity_doc(entities, &library, tenant, entity, &ids).await?;
            report.associations += doc.associations.len() as u64;
            writer.entity(&doc)?;
        }
    }
    report.entities = writer.finish()?;
    Ok(report)
}

/// Writes the entities `origin_rt_ids` (of `origin_ck_type_id` or a derived type) and
/// everything below them to `path`: their children along `System/ParentChild`, recursively,
/// and the targets of their other outbound associations (and what is below those).
///
/// # Errors
/// A root that does not exist or is of another type, store and I/O errors.
pub async fn export_by_deep_graph(
    entities: &Entities,
    tenant: &TenantId,
    origin_rt_ids: &[String],
    origin_ck_type_id: &str,
    path: &Path,
    format: FileFormat,
) -> Result<ExportReport, ExchangeError> {
    let (library, info) = entities.type_info(tenant, origin_ck_type_id).await?;
    let store = entities.store();
    let mut order: Vec<OctoObjectId> = Vec::new();
    let mut seen: HashSet<OctoObjectId> = HashSet::new();
    let mut types = BTreeSet::new();
    let mut queue = VecDeque::new();
    for text in origin_rt_ids {
        let id: OctoObjectId = text
            .trim()
            .parse()
            .map_err(|e: octo_ids::IdError| ExchangeError::Request(e.to_string()))?;
        let root = store.get_entity(tenant, &id).await?.filter(|root| {
            root.ck_type_id == info.id.to_string()
                || library
                    .is_a(&root.ck_type_id, &info.id.to_string())
                    .unwrap_or(false)
        });
        if root.is_none() {
            return Err(ExchangeError::Request(format!(
                "Entity with ID '{id}' not found in type '{origin_ck_type_id}'"
            )));
        }
        if seen.insert(id) {
            queue.push_back(id);
        }
    }
    // Breadth first, so the file lists parents before their children.
    while let Some(id) = queue.pop_front() {
        let Some(entity) = store.get_entity(tenant, &id).await? else {
            continue; // deleted meanwhile
        };
        types.insert(entity.ck_type_id.clone());
        order.push(id);
        if order.len() > MAX_EXPORT_ENTITIES {
            return Err(too_many());
        }
        let children = store
            .list_associations(tenant, &id, Direction::Inbound, Some(PARENT_CHILD))
            .await?
            .into_iter()
            .map(|link| link.origin_rt_id);
        let referenced = store
            .list_associations(tenant, &id, Direction::Outbound, None)
            .await?
            .into_iter()
            .filter(|link| link.role_id != PARENT_CHILD)
            .map(|link| link.target_rt_id);
        for next in children.chain(referenced) {
            if seen.insert(next) {
                queue.push_back(next);
            }
        }
    }
    let ids: HashSet<OctoObjectId> = order.iter().copied().collect();
    let dependencies = dependencies(&library, &types);
    let mut writer = RuntimeModelWriter::create(path, format, &dependencies)?;
    let mut report = ExportReport {
        dependencies,
        ..ExportReport::default()
    };
    for id in &order {
        let Some(entity) = store.get_entity(tenant, id).await? else {
            continue;
        };
        let doc = entity_doc(entities, &library, tenant, &entity, &ids).await?;
        report.associations += doc.associations.len() as u64;
        writer.entity(&doc)?;
    }
    report.entities = writer.finish()?;
    Ok(report)
}

fn too_many() -> ExchangeError {
    ExchangeError::Request(format!(
        "The export would hold more than {MAX_EXPORT_ENTITIES} entities; narrow it with filters \
         or use dump_tenant for a whole tenant."
    ))
}

/// One page of matches after `after`, in rtId order (keyset paging: no page is skipped or
/// repeated however far the export goes).
async fn query_page(
    entities: &Entities,
    tenant: &TenantId,
    ck_type_ids: &[String],
    filter: Option<&FilterExpr>,
    after: Option<OctoObjectId>,
) -> Result<Vec<RtEntity>, ExchangeError> {
    let mut parts: Vec<FilterExpr> = filter.cloned().into_iter().collect();
    if let Some(after) = after {
        parts.push(FilterExpr::Field(FieldFilter {
            field: PathRef {
                path: AttributePath::System(SystemAttribute::RtId),
                kind: ValueKind::String,
            },
            operator: FilterOperator::GreaterThan,
            value: Some(Value::String(after.to_string())),
            second_value: None,
        }));
    }
    let page = entities
        .store()
        .query_entities(
            tenant,
            &EntityQuery {
                ck_type_ids: ck_type_ids.to_vec(),
                filter: (!parts.is_empty()).then_some(FilterExpr::And(parts)),
                sort: Vec::new(),
                limit: SNAPSHOT_PAGE,
                offset: 0,
            },
        )
        .await?;
    Ok(page.entities)
}

/// `Model-[x.y.z,(x+1).0.0)` for the model of each type: the loaded version or a compatible
/// later one.
fn dependencies(library: &CkLibrary, types: &BTreeSet<String>) -> Vec<String> {
    let mut models = BTreeSet::new();
    for ty in types {
        if let Ok(info) = library.get_type(ty) {
            models.insert(info.model_id.clone());
        }
    }
    models
        .into_iter()
        .map(|model| {
            let version = model.version();
            format!(
                "{}-[{version},{}.0.0)",
                model.name(),
                version.major.saturating_add(1)
            )
        })
        .filter(|text| text.parse::<CkModelDependency>().is_ok())
        .collect()
}

/// The entity in the file's form, with its associations to other exported entities.
async fn entity_doc(
    entities: &Entities,
    library: &CkLibrary,
    tenant: &TenantId,
    entity: &RtEntity,
    exported: &HashSet<OctoObjectId>,
) -> Result<RtEntityDoc, ExchangeError> {
    let stored = entity.attributes.as_object().cloned().unwrap_or_default();
    let mut attributes = Vec::new();
    match library.get_type(&entity.ck_type_id) {
        Ok(info) => {
            for attribute in &info.attributes {
                if let Some(value) = stored.get(&attribute.name).filter(|v| !v.is_null()) {
                    attributes.push(RtAttributeDoc {
                        id: attribute.attribute_id.to_string(),
                        value: to_runtime_form(library, attribute, value),
                    });
                }
            }
        }
        Err(error) => {
            // Its model was removed: the values cannot be named by attribute id.
            tracing::warn!(rt_id = %entity.rt_id, %error, "entity exported without attributes");
        }
    }
    let associations = entities
        .store()
        .list_associations(tenant, &entity.rt_id, Direction::Outbound, None)
        .await?
        .into_iter()
        .filter(|link| exported.contains(&link.target_rt_id))
        .map(|link| RtAssociationDoc {
            role_id: link.role_id,
            target_rt_id: link.target_rt_id.to_string(),
            target_ck_type_id: link.target_ck_type_id,
            target_ck_attribute_ids: Vec::new(),
            attributes: Vec::new(),
        })
        .collect();
    Ok(RtEntityDoc {
        rt_id: entity.rt_id.to_string(),
        ck_type_id: entity.ck_type_id.clone(),
        rt_well_known_name: entity.rt_well_known_name.clone(),
        rt_creation_date_time: Some(stored_date_time(entity.rt_creation_date_time)),
        rt_changed_date_time: Some(stored_date_time(entity.rt_changed_date_time)),
        rt_state: Some(
            if entity.rt_state == 0 {
                "Active"
            } else {
                "Archived"
            }
            .to_owned(),
        ),
        attributes,
        associations,
    })
}

/// A stored value in the file's form: records become `{ckRecordId, attributes[{id, value}]}`.
pub fn to_runtime_form(
    library: &CkLibrary,
    attribute: &EffectiveAttribute,
    value: &Value,
) -> Value {
    match (attribute.value_type, value) {
        (CkValueType::Record, Value::Object(fields)) => {
            record_to_runtime(library, attribute, fields)
        }
        (CkValueType::RecordArray, Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|item| match item {
                    Value::Object(fields) => record_to_runtime(library, attribute, fields),
                    other => other.clone(),
                })
                .collect(),
        ),
        _ => value.clone(),
    }
}

fn record_to_runtime(
    library: &CkLibrary,
    attribute: &EffectiveAttribute,
    fields: &Map<String, Value>,
) -> Value {
    let Some(record_id) = &attribute.record_id else {
        return Value::Object(fields.clone());
    };
    let Ok(record) = library.get_record(&record_id.to_string()) else {
        return Value::Object(fields.clone());
    };
    let attributes: Vec<Value> = record
        .attributes
        .iter()
        .filter_map(|field| {
            fields.get(&field.name).map(|value| {
                json!({
                    "id": field.attribute_id.to_string(),
                    "value": to_runtime_form(library, field, value),
                })
            })
        })
        .collect();
    json!({ "ckRecordId": record.id.to_string(), "attributes": attributes })
}
