//! [`Entities`]: creating, reading, updating, deleting and querying runtime entities of a
//! tenant, every value checked against the tenant's CK library before it reaches the store.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use octo_ck::CkLibrary;
use octo_ck::library::TypeInfo;
use octo_ck_service::CkService;
use octo_ids::{OctoObjectId, TenantId};
use octo_store::{
    AggregateRow, EntityQuery, RtEntity, SortDirection, SortKey, Store, WriteOutcome,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::aggregate::{self, ColumnRequest};
use crate::error::EntityError;
use crate::filter::{Criteria, to_filter};
use crate::path::{ResolvedPath, resolve};
use crate::value::{describe, stored_date_time, to_stored};

/// The largest page `query` returns.
pub const MAX_LIMIT: u32 = 1000;
/// The page size when the caller names none.
pub const DEFAULT_LIMIT: u32 = 100;

/// One `{attributePath, value}` of `entityData`.
#[derive(Debug, Clone)]
pub struct AttributeUpdate {
    pub attribute_path: String,
    pub value: Value,
}

/// An entity as tools return it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityView {
    pub rt_id: String,
    pub ck_type_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt_well_known_name: Option<String>,
    pub rt_version: u64,
    pub rt_creation_date_time: String,
    pub rt_changed_date_time: String,
    pub attributes: Map<String, Value>,
}

/// What an update or delete did.
#[derive(Debug, Clone)]
pub enum Written {
    Done(EntityView),
    /// Nothing changed: the entity is at another version than expected.
    Conflict {
        message: String,
        current: EntityView,
    },
}

/// One page of a query.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub total_count: u64,
    pub entities: Vec<EntityView>,
}

/// Entity operations of one server; cheap to clone.
#[derive(Clone)]
pub struct Entities {
    ck: Arc<CkService>,
    /// (tenant, type) pairs whose CK `indexes` this process has already made sure exist.
    indexed: Arc<Mutex<HashSet<(TenantId, String)>>>,
}

impl std::fmt::Debug for Entities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entities").finish_non_exhaustive()
    }
}

impl Entities {
    pub fn new(ck: Arc<CkService>) -> Self {
        Self {
            ck,
            indexed: Arc::default(),
        }
    }

    /// Makes the `indexes` the type and its ancestors declare real database indexes, once per
    /// process and type; lazily, because models arrive through jobs on any replica. A failure
    /// only costs speed, so it is logged rather than failing the query.
    async fn ensure_indexes(&self, tenant: &TenantId, library: &CkLibrary, info: &TypeInfo) {
        let key = (tenant.clone(), info.id.to_string());
        {
            let Ok(mut indexed) = self.indexed.lock() else {
                return;
            };
            if !indexed.insert(key) {
                return;
            }
        }
        let lineage = std::iter::once(info.id.to_string())
            .chain(info.ancestors.iter().map(ToString::to_string));
        for type_id in lineage {
            let Ok(declaring) = library.get_type(&type_id) else {
                continue;
            };
            for index in &declaring.indexes {
                for field in &index.fields {
                    // Paths the store cannot index (`_id`, records) are skipped: the key
                    // columns already cover the ids.
                    let paths: Vec<_> = field
                        .attribute_paths
                        .iter()
                        .filter_map(|path| resolve(library, info, path).ok())
                        .filter(|p| {
                            !matches!(
                                p.path.kind,
                                octo_store::ValueKind::Json
                                    | octo_store::ValueKind::StringArray
                                    | octo_store::ValueKind::IntegerArray
                            )
                        })
                        .map(|p| p.path)
                        .collect();
                    if paths.is_empty() || paths.len() != field.attribute_paths.len() {
                        continue;
                    }
                    if let Err(error) = self
                        .store()
                        .ensure_attribute_index(tenant, &type_id, &paths)
                        .await
                    {
                        tracing::warn!(%error, ck_type = %type_id, "CK index not created");
                    }
                }
            }
        }
    }

    /// The store the entities live in.
    pub fn store(&self) -> &Arc<dyn Store> {
        self.ck.store()
    }

    /// The tenant's CK library (cached).
    pub async fn ck_library(&self, tenant: &TenantId) -> Result<Arc<CkLibrary>, EntityError> {
        Ok(self.ck.library(tenant).await?)
    }

    /// The tenant's library and the type named by `ck_type_id` (either id form).
    pub async fn type_info(
        &self,
        tenant: &TenantId,
        ck_type_id: &str,
    ) -> Result<(Arc<CkLibrary>, Arc<TypeInfo>), EntityError> {
        let text = ck_type_id.trim();
        // A malformed id is reported with the id crate's message whatever else fails; it is
        // checked only on failure because a found type proves the id well formed, and this
        // runs on every entity call.
        let malformed = || {
            text.parse::<octo_ids::CkTypeRef>()
                .err()
                .map(|error| EntityError::invalid(error.to_string()))
        };
        let library = match self.ck.library(tenant).await {
            Ok(library) => library,
            Err(error) => return Err(malformed().unwrap_or_else(|| error.into())),
        };
        match library.get_type_shared(text) {
            Ok(info) => Ok((library, info)),
            Err(error) => Err(malformed().unwrap_or_else(|| error.into())),
        }
    }

    pub async fn create(
        &self,
        tenant: &TenantId,
        ck_type_id: &str,
        data: &[AttributeUpdate],
        rt_well_known_name: Option<String>,
    ) -> Result<EntityView, EntityError> {
        let (library, info) = self.type_info(tenant, ck_type_id).await?;
        let now = Utc::now();
        let entity = new_entity(
            &library,
            &info,
            NewEntity {
                tenant: tenant.clone(),
                rt_id: OctoObjectId::new(),
                rt_well_known_name,
                created: now,
                changed: now,
            },
            data,
        )?;
        self.store().insert_entity(&entity).await?;
        Ok(view(&entity, None))
    }

    /// The entity, which must be of `ck_type_id` or a type derived from it.
    pub async fn get(
        &self,
        tenant: &TenantId,
        ck_type_id: &str,
        rt_id: &str,
    ) -> Result<EntityView, EntityError> {
        let (library, info) = self.type_info(tenant, ck_type_id).await?;
        let id = parse_rt_id(rt_id)?;
        let entity = self
            .existing(tenant, &library, &info, &id, ck_type_id)
            .await?;
        Ok(view(&entity, None))
    }

    async fn existing(
        &self,
        tenant: &TenantId,
        library: &CkLibrary,
        info: &TypeInfo,
        rt_id: &OctoObjectId,
        asked: &str,
    ) -> Result<RtEntity, EntityError> {
        let not_found = || {
            EntityError::invalid(format!(
                "Entity with ID '{rt_id}' not found in type '{}'",
                asked.trim()
            ))
        };
        let entity = self
            .store()
            .get_entity(tenant, rt_id)
            .await?
            .ok_or_else(not_found)?;
        let info_id = info.id.to_string();
        if entity.ck_type_id != info_id
            && !library.is_a(&entity.ck_type_id, &info_id).unwrap_or(false)
        {
            return Err(not_found());
        }
        Ok(entity)
    }

    /// Applies `data` to the entity. With `expected_version` the write happens only at that
    /// version; without it, a concurrent change is merged by retrying on the new version (no
    /// update is ever lost).
    pub async fn update(
        &self,
        tenant: &TenantId,
        ck_type_id: &str,
        rt_id: &str,
        data: &[AttributeUpdate],
        expected_version: Option<u64>,
    ) -> Result<Written, EntityError> {
        let (library, info) = self.type_info(tenant, ck_type_id).await?;
        let id = parse_rt_id(rt_id)?;
        for _attempt in 0..16 {
            let current = self
                .existing(tenant, &library, &info, &id, ck_type_id)
                .await?;
            if let Some(expected) = expected_version
                && current.rt_version != expected
            {
                return Ok(conflict(expected, &current));
            }
            // Validate against the entity's own (possibly derived) type.
            let own = library.get_type(&current.ck_type_id)?;
            let mut attributes = current.attributes.as_object().cloned().unwrap_or_default();
            let mut well_known = current.rt_well_known_name.clone();
            apply(&library, &own, &mut attributes, &mut well_known, data)?;
            check_required(&own, &attributes)?;
            let well_known_change =
                (well_known != current.rt_well_known_name).then_some(well_known);
            match self
                .store()
                .update_entity(
                    tenant,
                    &id,
                    Some(current.rt_version),
                    Value::Object(attributes),
                    well_known_change,
                )
                .await?
            {
                WriteOutcome::Done(entity) => return Ok(Written::Done(view(&entity, None))),
                WriteOutcome::Conflict(now) => {
                    if let Some(expected) = expected_version {
                        return Ok(conflict(expected, &now));
                    }
                }
                WriteOutcome::NotFound => {
                    return Err(EntityError::invalid(format!(
                        "Entity with ID '{id}' not found in type '{}'",
                        ck_type_id.trim()
                    )));
                }
            }
        }
        Err(EntityError::invalid(format!(
            "Entity '{id}' is being changed by many writers at once; retry the update."
        )))
    }

    /// Deletes the entity (and its associations); with `expected_version` only at that version.
    pub async fn delete(
        &self,
        tenant: &TenantId,
        ck_type_id: &str,
        rt_id: &str,
        expected_version: Option<u64>,
    ) -> Result<Written, EntityError> {
        let (library, info) = self.type_info(tenant, ck_type_id).await?;
        let id = parse_rt_id(rt_id)?;
        self.existing(tenant, &library, &info, &id, ck_type_id)
            .await?;
        match self
            .store()
            .delete_entity(tenant, &id, expected_version)
            .await?
        {
            WriteOutcome::Done(entity) => Ok(Written::Done(view(&entity, None))),
            WriteOutcome::Conflict(current) => {
                Ok(conflict(expected_version.unwrap_or_default(), &current))
            }
            WriteOutcome::NotFound => Err(EntityError::invalid(format!(
                "Entity with ID '{id}' not found in type '{}'",
                ck_type_id.trim()
            ))),
        }
    }

    /// Entities of the type and every type derived from it, filtered, sorted and paged by the
    /// database; `attribute_paths` limits the attributes returned.
    #[allow(clippy::too_many_arguments)]
    pub async fn query(
        &self,
        tenant: &TenantId,
        ck_type_id: &str,
        criteria: Option<&Criteria>,
        attribute_paths: &[String],
        sort: &[(String, SortDirection)],
        limit: Option<u32>,
        offset: Option<u32>,
    ) -> Result<QueryResult, EntityError> {
        let (library, info) = self.type_info(tenant, ck_type_id).await?;
        self.ensure_indexes(tenant, &library, &info).await;
        let filter = match criteria {
            Some(criteria) => to_filter(&library, &info, criteria)?,
            None => None,
        };
        let sort = sort
            .iter()
            .map(|(path, direction)| {
                Ok(SortKey {
                    field: resolve(&library, &info, path)?.path,
                    direction: *direction,
                })
            })
            .collect::<Result<Vec<_>, EntityError>>()?;
        let projection = attribute_paths
            .iter()
            .map(|path| resolve(&library, &info, path))
            .collect::<Result<Vec<_>, _>>()?;
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit > MAX_LIMIT {
            return Err(EntityError::invalid(format!(
                "limit {limit} is too large: at most {MAX_LIMIT} entities per call; page with offset."
            )));
        }
        let page = self
            .store()
            .query_entities(
                tenant,
                &EntityQuery {
                    ck_type_ids: with_derived(&info),
                    filter,
                    sort,
                    limit,
                    offset: offset.unwrap_or(0),
                },
            )
            .await?;
        let projection = (!projection.is_empty()).then_some(projection.as_slice());
        Ok(QueryResult {
            total_count: page.total_count,
            entities: page
                .entities
                .into_iter()
                .map(|e| into_view(e, projection))
                .collect(),
        })
    }

    /// Aggregates over the type and its derived types in the database.
    pub async fn aggregate(
        &self,
        tenant: &TenantId,
        ck_type_id: &str,
        columns: &[ColumnRequest],
        group_by: Option<&[Option<String>]>,
        criteria: Option<&Criteria>,
    ) -> Result<Vec<AggregateRow>, EntityError> {
        let (library, info) = self.type_info(tenant, ck_type_id).await?;
        self.ensure_indexes(tenant, &library, &info).await;
        let query = aggregate::build(
            &library,
            &info,
            with_derived(&info),
            columns,
            group_by,
            criteria,
        )?;
        Ok(self.store().aggregate_entities(tenant, &query).await?)
    }
}

/// The identity of an entity [`new_entity`] builds.
#[derive(Debug, Clone)]
pub struct NewEntity {
    pub tenant: TenantId,
    pub rt_id: OctoObjectId,
    pub rt_well_known_name: Option<String>,
    pub created: chrono::DateTime<Utc>,
    pub changed: chrono::DateTime<Utc>,
}

/// The entity `create` would write: the type must be concrete, every value in `data` must fit
/// its attribute and every required attribute must be set. Writes nothing; `create` and the
/// runtime-model import both build entities here, so both check alike.
pub fn new_entity(
    library: &CkLibrary,
    info: &TypeInfo,
    identity: NewEntity,
    data: &[AttributeUpdate],
) -> Result<RtEntity, EntityError> {
    if info.is_abstract {
        return Err(EntityError::invalid(format!(
            "Type '{}' is abstract; create an entity of a type derived from it: {}.",
            info.id,
            concrete(library, info).join(", ")
        )));
    }
    let mut attributes = Map::new();
    let mut well_known = identity.rt_well_known_name;
    apply(library, info, &mut attributes, &mut well_known, data)?;
    check_required(info, &attributes)?;
    Ok(RtEntity {
        tenant_id: identity.tenant,
        rt_id: identity.rt_id,
        ck_type_id: info.id.to_string(),
        rt_well_known_name: well_known,
        rt_version: 1,
        rt_creation_date_time: identity.created,
        rt_changed_date_time: identity.changed,
        rt_state: 0,
        attributes: Value::Object(attributes),
    })
}

fn parse_rt_id(rt_id: &str) -> Result<OctoObjectId, EntityError> {
    rt_id
        .trim()
        .parse::<OctoObjectId>()
        .map_err(|error| EntityError::invalid(error.to_string()))
}

fn with_derived(info: &TypeInfo) -> Vec<String> {
    std::iter::once(info.id.to_string())
        .chain(info.derived_types.iter().map(ToString::to_string))
        .collect()
}

fn concrete(library: &CkLibrary, info: &TypeInfo) -> Vec<String> {
    info.derived_types
        .iter()
        .filter(|id| !library.is_abstract(&id.to_string()).unwrap_or(true))
        .map(ToString::to_string)
        .collect()
}

fn conflict(expected: u64, current: &RtEntity) -> Written {
    Written::Conflict {
        message: format!(
            "Stale expectedVersion: you had {expected}, the entity is at rtVersion {}. Nothing \
             was changed. Rebase your change on the returned entity and call again with \
             expectedVersion: {}.",
            current.rt_version, current.rt_version
        ),
        current: view(current, None),
    }
}

/// Applies `data` to `attributes` (and the well-known name), checking every path and value.
fn apply(
    library: &CkLibrary,
    info: &TypeInfo,
    attributes: &mut Map<String, Value>,
    well_known: &mut Option<String>,
    data: &[AttributeUpdate],
) -> Result<(), EntityError> {
    for item in data {
        let resolved = resolve(library, info, &item.attribute_path)?;
        let Some(attribute) = &resolved.attribute else {
            if resolved.display == "rtWellKnownName" {
                *well_known = match &item.value {
                    Value::Null => None,
                    Value::String(text) => Some(text.clone()),
                    other => {
                        return Err(EntityError::invalid(format!(
                            "rtWellKnownName must be text; got {other}."
                        )));
                    }
                };
                continue;
            }
            return Err(EntityError::invalid(format!(
                "'{}' is a system attribute and cannot be set.",
                resolved.display
            )));
        };
        let stored = to_stored(library, attribute, &resolved.display, &item.value)?;
        set_path(attributes, &resolved, stored)?;
    }
    Ok(())
}

fn set_path(
    attributes: &mut Map<String, Value>,
    resolved: &ResolvedPath,
    value: Value,
) -> Result<(), EntityError> {
    let octo_store::AttributePath::Attribute(keys) = &resolved.path.path else {
        return Ok(());
    };
    let Some((last, parents)) = keys.split_last() else {
        return Ok(());
    };
    let mut target = attributes;
    for key in parents {
        let slot = target
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if slot.is_null() {
            *slot = Value::Object(Map::new());
        }
        target = slot.as_object_mut().ok_or_else(|| {
            EntityError::invalid(format!(
                "'{}' cannot be set: '{key}' does not hold a record.",
                resolved.display
            ))
        })?;
    }
    if value.is_null() {
        target.remove(last);
    } else {
        target.insert(last.clone(), value);
    }
    Ok(())
}

fn check_required(info: &TypeInfo, attributes: &Map<String, Value>) -> Result<(), EntityError> {
    let missing: Vec<String> = info
        .attributes
        .iter()
        .filter(|a| !a.is_optional && attributes.get(&a.name).is_none_or(Value::is_null))
        .map(|a| format!("'{}' ({})", a.name, describe(a.value_type)))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(EntityError::invalid(format!(
            "Type '{}' requires {}; add them to entityData.",
            info.id,
            missing.join(", ")
        )))
    }
}

/// The entity as tools show it, with only the projected attributes when asked.
pub fn view(entity: &RtEntity, projection: Option<&[ResolvedPath]>) -> EntityView {
    let attributes = match projection {
        None => entity.attributes.as_object().cloned().unwrap_or_default(),
        Some(paths) => project(&entity.attributes, paths),
    };
    EntityView {
        rt_id: entity.rt_id.to_string(),
        ck_type_id: entity.ck_type_id.clone(),
        rt_well_known_name: entity.rt_well_known_name.clone(),
        rt_version: entity.rt_version,
        rt_creation_date_time: stored_date_time(entity.rt_creation_date_time),
        rt_changed_date_time: stored_date_time(entity.rt_changed_date_time),
        attributes,
    }
}

/// [`view`] of an entity the caller no longer needs: its attributes move instead of being
/// copied (query results are read once and handed on).
pub fn into_view(entity: RtEntity, projection: Option<&[ResolvedPath]>) -> EntityView {
    let attributes = match projection {
        Some(paths) => project(&entity.attributes, paths),
        None => match entity.attributes {
            Value::Object(all) => all,
            _ => Map::new(),
        },
    };
    EntityView {
        rt_id: entity.rt_id.to_string(),
        ck_type_id: entity.ck_type_id,
        rt_well_known_name: entity.rt_well_known_name,
        rt_version: entity.rt_version,
        rt_creation_date_time: stored_date_time(entity.rt_creation_date_time),
        rt_changed_date_time: stored_date_time(entity.rt_changed_date_time),
        attributes,
    }
}

/// The values at the projected attribute paths (records reached by key), by display name;
/// only the picked values are copied.
fn project(attributes: &Value, paths: &[ResolvedPath]) -> Map<String, Value> {
    let mut picked = Map::new();
    for path in paths {
        if let octo_store::AttributePath::Attribute(keys) = &path.path.path {
            let value = keys
                .iter()
                .try_fold(attributes, |value, key| value.get(key));
            if let Some(value) = value {
                picked.insert(path.display.clone(), value.clone());
            }
        }
    }
    picked
}
