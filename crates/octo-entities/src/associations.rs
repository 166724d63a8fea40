//! Associations between entities by CK association roles (`System/ParentChild`,
//! `System/Related`, model-defined ones): creating them with the role's end types and
//! multiplicities enforced, deleting them, navigating them and walking trees of them.
//!
//! Direction is seen from the entity asked about: `Outbound` follows associations it is the
//! origin of (a child's `System/ParentChild` leads to its parent), `Inbound` those it is the
//! target of (a parent's inbound `System/ParentChild` lead to its children).

use chrono::Utc;
use octo_ck::CkLibrary;
use octo_ck::document::CkMultiplicity;
use octo_ck::library::{AssociationDirection, RoleInfo};
use octo_ids::{OctoObjectId, TenantId};
use octo_store::{
    Association, AttributePath, Direction, ExclusiveEnds, ExclusiveInsert, FieldFilter, FilterExpr,
    FilterOperator, PathRef, SystemAttribute, ValueKind,
};
use serde::Serialize;
use serde_json::Value;

use crate::entities::{Entities, EntityView, QueryResult, into_view, view};
use crate::error::EntityError;
use crate::filter::{Criteria, to_filter};
use crate::path::resolve;

/// How far `tree` walks, at most, whatever the caller asks.
pub const MAX_TREE_DEPTH: u32 = 10;
/// How many nodes `tree` returns at most.
pub const MAX_TREE_NODES: usize = 2000;
/// How many associated entities `navigate` considers at most.
pub const MAX_NAVIGATION: usize = 1000;

/// An association as tools show it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationView {
    pub ck_role_id: String,
    pub origin_rt_id: String,
    pub origin_ck_type_id: String,
    pub target_rt_id: String,
    pub target_ck_type_id: String,
}

/// One node of an association tree.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeNode {
    pub rt_id: String,
    pub ck_type_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt_well_known_name: Option<String>,
    pub attributes: serde_json::Map<String, Value>,
    /// `None` at the depth limit (not walked), empty when there are none.
    pub children: Option<Vec<TreeNode>>,
}

fn store_direction(direction: AssociationDirection) -> Direction {
    match direction {
        AssociationDirection::Outbound => Direction::Outbound,
        AssociationDirection::Inbound => Direction::Inbound,
    }
}

fn at_most_one(multiplicity: CkMultiplicity) -> bool {
    !matches!(multiplicity, CkMultiplicity::N)
}

impl Entities {
    /// Associates `origin` with `target` by `role_id`.
    pub async fn associate(
        &self,
        tenant: &TenantId,
        role_id: &str,
        origin: (&str, &str),
        target: (&str, &str),
    ) -> Result<AssociationView, EntityError> {
        let (library, origin_info) = self.type_info(tenant, origin.0).await?;
        let origin_entity = self.get(tenant, origin.0, origin.1).await?;
        let target_entity = self.get(tenant, target.0, target.1).await?;
        let role = check_role(
            &library,
            role_id,
            &origin_entity.ck_type_id,
            &target_entity.ck_type_id,
        )
        .map_err(|error| match error {
            // Name the type asked about as well as the entity's own.
            EntityError::Invalid(message) => EntityError::invalid(message.replacen(
                &format!("Roles from '{}'", origin_entity.ck_type_id),
                &format!("Roles from '{}'", origin_info.id),
                1,
            )),
            other => other,
        })?;
        let role_rt = role.id.to_string();
        let origin_id = parse(&origin_entity.rt_id)?;
        let target_id = parse(&target_entity.rt_id)?;
        let ends = ExclusiveEnds {
            origin: at_most_one(role.outbound_multiplicity),
            target: at_most_one(role.inbound_multiplicity),
        };
        let association = Association {
            tenant_id: tenant.clone(),
            role_id: role_rt,
            origin_rt_id: origin_id,
            origin_ck_type_id: origin_entity.ck_type_id.clone(),
            target_rt_id: target_id,
            target_ck_type_id: target_entity.ck_type_id.clone(),
            created_at: Utc::now(),
        };
        // Check and insert are one step in the store, so racing creates cannot both pass.
        match self
            .store()
            .insert_exclusive_association(&association, ends)
            .await?
        {
            ExclusiveInsert::Inserted => Ok(association_view(&association)),
            ExclusiveInsert::OriginTaken => Err(EntityError::invalid(format!(
                "Entity '{origin_id}' already has its one '{}' association ({} allows {} \
                 target per origin); delete it first.",
                association.role_id,
                association.role_id,
                role.outbound_multiplicity.as_str()
            ))),
            ExclusiveInsert::TargetTaken => Err(EntityError::invalid(format!(
                "Entity '{target_id}' already is the target of a '{}' association ({} allows \
                 {} origin per target); delete it first.",
                association.role_id,
                association.role_id,
                role.inbound_multiplicity.as_str()
            ))),
        }
    }

    /// Removes the association; `false` when there was none.
    pub async fn dissociate(
        &self,
        tenant: &TenantId,
        role_id: &str,
        origin_rt_id: &str,
        target_rt_id: &str,
    ) -> Result<bool, EntityError> {
        let library = self.ck_library(tenant).await?;
        let role = library.get_role(role_id.trim())?.id.to_string();
        Ok(self
            .store()
            .delete_association(tenant, &role, &parse(origin_rt_id)?, &parse(target_rt_id)?)
            .await?)
    }

    /// The entities associated with one entity by a role, in one direction, optionally only of
    /// `target_type` (and its derived types) and matching `criteria` (evaluated by the database).
    #[allow(clippy::too_many_arguments)]
    pub async fn navigate(
        &self,
        tenant: &TenantId,
        ck_type_id: &str,
        rt_id: &str,
        role_id: &str,
        direction: AssociationDirection,
        target_type: Option<&str>,
        criteria: Option<&Criteria>,
        attribute_paths: &[String],
    ) -> Result<QueryResult, EntityError> {
        let source = self
            .get(tenant, ck_type_id, rt_id)
            .await
            .map_err(|error| match error {
                EntityError::Invalid(message) if message.starts_with("Entity with ID") => {
                    EntityError::invalid(format!("Source {}", lowercase_first(&message)))
                }
                other => other,
            })?;
        let library = self.ck_library(tenant).await?;
        let role = library.get_role(role_id.trim())?.id.to_string();
        let links = self
            .store()
            .list_associations(
                tenant,
                &parse(&source.rt_id)?,
                store_direction(direction),
                Some(&role),
            )
            .await?;
        let other_ids: Vec<Value> = links
            .iter()
            .take(MAX_NAVIGATION)
            .map(|link| {
                Value::String(match direction {
                    AssociationDirection::Outbound => link.target_rt_id.to_string(),
                    AssociationDirection::Inbound => link.origin_rt_id.to_string(),
                })
            })
            .collect();
        let other_type = match target_type.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => t.to_owned(),
            None => "System/Entity".to_owned(),
        };
        let (library, info) = self.type_info(tenant, &other_type).await?;
        let mut parts = vec![FilterExpr::Field(FieldFilter {
            field: PathRef {
                path: AttributePath::System(SystemAttribute::RtId),
                kind: ValueKind::String,
            },
            operator: FilterOperator::In,
            value: Some(Value::Array(other_ids)),
            second_value: None,
        })];
        if let Some(criteria) = criteria
            && let Some(expr) = to_filter(&library, &info, criteria)?
        {
            parts.push(expr);
        }
        let projection = attribute_paths
            .iter()
            .map(|path| resolve(&library, &info, path))
            .collect::<Result<Vec<_>, _>>()?;
        let page = self
            .store()
            .query_entities(
                tenant,
                &octo_store::EntityQuery {
                    ck_type_ids: std::iter::once(info.id.to_string())
                        .chain(info.derived_types.iter().map(ToString::to_string))
                        .collect(),
                    filter: Some(FilterExpr::And(parts)),
                    sort: Vec::new(),
                    limit: MAX_NAVIGATION as u32,
                    offset: 0,
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

    /// Trees from every entity of `root_type` (optionally filtered) along `role_id`.
    #[allow(clippy::too_many_arguments)]
    pub async fn tree(
        &self,
        tenant: &TenantId,
        root_type: &str,
        role_id: &str,
        direction: AssociationDirection,
        max_depth: u32,
        attribute_paths: &[String],
        root_criteria: Option<&Criteria>,
    ) -> Result<Vec<TreeNode>, EntityError> {
        let library = self.ck_library(tenant).await?;
        let role = library.get_role(role_id.trim())?.id.to_string();
        let depth = max_depth.min(MAX_TREE_DEPTH);
        let roots = self
            .query(
                tenant,
                root_type,
                root_criteria,
                attribute_paths,
                &[],
                Some(1000),
                None,
            )
            .await?;
        let mut budget = MAX_TREE_NODES;
        let mut out = Vec::new();
        for root in roots.entities {
            if budget == 0 {
                break;
            }
            budget -= 1;
            out.push(
                self.walk(
                    tenant,
                    &library,
                    root,
                    &role,
                    direction,
                    depth,
                    attribute_paths,
                    &mut budget,
                )
                .await?,
            );
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn walk<'a>(
        &'a self,
        tenant: &'a TenantId,
        library: &'a CkLibrary,
        node: EntityView,
        role: &'a str,
        direction: AssociationDirection,
        depth: u32,
        attribute_paths: &'a [String],
        budget: &'a mut usize,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<TreeNode, EntityError>> + Send + 'a>,
    > {
        Box::pin(async move {
            let children = if depth == 0 {
                None
            } else {
                let links = self
                    .store()
                    .list_associations(
                        tenant,
                        &parse(&node.rt_id)?,
                        store_direction(direction),
                        Some(role),
                    )
                    .await?;
                let mut children = Vec::new();
                for link in links {
                    if *budget == 0 {
                        break;
                    }
                    *budget -= 1;
                    let (id, ty) = match direction {
                        AssociationDirection::Outbound => {
                            (link.target_rt_id, link.target_ck_type_id)
                        }
                        AssociationDirection::Inbound => {
                            (link.origin_rt_id, link.origin_ck_type_id)
                        }
                    };
                    let Some(entity) = self.store().get_entity(tenant, &id).await? else {
                        continue;
                    };
                    let projection = match library.get_type(&ty) {
                        Ok(info) => attribute_paths
                            .iter()
                            .filter_map(|p| resolve(library, &info, p).ok())
                            .collect::<Vec<_>>(),
                        Err(_) => Vec::new(),
                    };
                    let child = view(
                        &entity,
                        (!attribute_paths.is_empty()).then_some(projection.as_slice()),
                    );
                    children.push(
                        self.walk(
                            tenant,
                            library,
                            child,
                            role,
                            direction,
                            depth - 1,
                            attribute_paths,
                            budget,
                        )
                        .await?,
                    );
                }
                Some(children)
            };
            Ok(TreeNode {
                rt_id: node.rt_id,
                ck_type_id: node.ck_type_id,
                rt_well_known_name: node.rt_well_known_name,
                attributes: node.attributes,
                children,
            })
        })
    }
}

/// The role `role_id` if it leads from an entity of `origin_type` to one of `target_type` (or
/// a type derived from it), else a message listing the roles that do lead from `origin_type`.
/// `associate` and the runtime-model import check alike through this.
pub fn check_role(
    library: &CkLibrary,
    role_id: &str,
    origin_type: &str,
    target_type: &str,
) -> Result<RoleInfo, EntityError> {
    let role = library.get_role(role_id.trim())?;
    let role_rt = role.id.to_string();
    let roles = library.roles_for_type(origin_type)?;
    let fits = roles.outbound.iter().any(|end| {
        end.role_id.to_string() == role_rt
            && library
                .is_a(target_type, &end.other_type.to_string())
                .unwrap_or(false)
    });
    if fits {
        return Ok(role);
    }
    let offered: Vec<String> = roles
        .outbound
        .iter()
        .map(|end| format!("{} → {}", end.role_id, end.other_type))
        .collect();
    Err(EntityError::invalid(format!(
        "Role '{role_rt}' does not lead from '{origin_type}' to '{target_type}'. Roles from \
         '{origin_type}': {}.",
        if offered.is_empty() {
            "none".to_owned()
        } else {
            offered.join(", ")
        }
    )))
}

/// Whether a multiplicity allows at most one association per entity at that end.
pub fn at_most_one_per_end(multiplicity: CkMultiplicity) -> bool {
    at_most_one(multiplicity)
}

fn association_view(association: &Association) -> AssociationView {
    AssociationView {
        ck_role_id: association.role_id.clone(),
        origin_rt_id: association.origin_rt_id.to_string(),
        origin_ck_type_id: association.origin_ck_type_id.clone(),
        target_rt_id: association.target_rt_id.to_string(),
        target_ck_type_id: association.target_ck_type_id.clone(),
    }
}

fn parse(rt_id: &str) -> Result<OctoObjectId, EntityError> {
    rt_id
        .trim()
        .parse()
        .map_err(|error: octo_ids::IdError| EntityError::invalid(error.to_string()))
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
