//! `create_association`, `delete_association`, `navigate_associations`, `get_association_tree`.

use async_trait::async_trait;
use octo_ck::library::AssociationDirection;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::dto::{SimpleFilter, simple_criteria};
use super::entity_json;
use crate::error::ToolError;
use crate::platform::{Platform, failed_in};
use crate::tool::{
    Access, Annotations, Category, ConfirmTarget, Confirmation, Success, Tool, ToolContext,
    ToolExample, ToolSpec,
};

/// Which way to follow associations, seen from the entity asked about.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
pub enum Direction {
    /// Associations the entity is the origin of (a child's ParentChild leads to its parent).
    Outbound,
    /// Associations the entity is the target of (a parent's ParentChild lead to its children).
    Inbound,
}

impl From<Direction> for AssociationDirection {
    fn from(direction: Direction) -> Self {
        match direction {
            Direction::Outbound => AssociationDirection::Outbound,
            Direction::Inbound => AssociationDirection::Inbound,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssociationParams {
    /// The association role, e.g. `System/ParentChild`.
    pub ck_role_id: String,
    /// The origin entity's CK type (or a base type of it).
    pub origin_ck_type_id: String,
    pub origin_rt_id: String,
    /// The target entity's CK type (or a base type of it).
    pub target_ck_type_id: String,
    pub target_rt_id: String,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssociationOutput {
    /// ckRoleId, originRtId, originCkTypeId, targetRtId, targetCkTypeId.
    pub association: Value,
}

pub struct CreateAssociation(pub Platform);

#[async_trait]
impl Tool for CreateAssociation {
    type Params = AssociationParams;
    type Output = AssociationOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "create_association",
            title: "Associate two entities",
            description: "Associates an origin entity with a target entity by a CK association \
                role (System/ParentChild, System/Related or a model's own). The role must lead \
                from the origin's type to the target's type, and its multiplicities are enforced \
                (e.g. a child has one parent).",
            category: Category::Associations,
            access: Access::Write,
            annotations: Annotations::ADDITIVE,
            examples: vec![ToolExample {
                description: "Put a meter under a site",
                parameters: json!({
                    "tenantId": "octosystem",
                    "ckRoleId": "System/ParentChild",
                    "originCkTypeId": "Octo.Industry.Energy/EnergyMeter",
                    "originRtId": "507f1f77bcf86cd799439011",
                    "targetCkTypeId": "Octo.Assets/Site",
                    "targetRtId": "507f1f77bcf86cd799439012"
                }),
            }],
            notes: vec!["get_type_schema lists the roles a type has, with their multiplicities."],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        p: AssociationParams,
    ) -> Result<Success<AssociationOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, p.tenant_id.as_deref()).await?;
        let association = self
            .0
            .entities
            .associate(
                &tenant.tenant_id,
                &p.ck_role_id,
                (&p.origin_ck_type_id, &p.origin_rt_id),
                (&p.target_ck_type_id, &p.target_rt_id),
            )
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        Ok(Success::new(AssociationOutput {
            association: serde_json::to_value(&association).unwrap_or(Value::Null),
        })
        .message(format!(
            "'{}' → '{}' associated by '{}'.",
            association.origin_rt_id, association.target_rt_id, association.ck_role_id
        ))
        .tenant(tenant.tenant_id.to_string()))
    }
}

pub struct DeleteAssociation(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteAssociationParams {
    /// The association role, e.g. `System/ParentChild`.
    pub ck_role_id: String,
    pub origin_rt_id: String,
    pub target_rt_id: String,
    /// Must be true. Ask the user first.
    #[serde(default)]
    pub confirm: bool,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteAssociationOutput {
    pub deleted: bool,
}

#[async_trait]
impl Tool for DeleteAssociation {
    type Params = DeleteAssociationParams;
    type Output = DeleteAssociationOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "delete_association",
            title: "Remove an association",
            description: "Removes the association of a role between two entities (the entities \
                stay). Requires confirm: true.",
            category: Category::Associations,
            access: Access::Write,
            annotations: Annotations::DESTRUCTIVE,
            examples: vec![ToolExample {
                description: "After the user agreed",
                parameters: json!({"tenantId": "octosystem", "ckRoleId": "System/ParentChild", "originRtId": "507f1f77bcf86cd799439011", "targetRtId": "507f1f77bcf86cd799439012", "confirm": true}),
            }],
            notes: vec!["Ask the user for explicit consent before setting confirm to true."],
            confirmation: Some(Confirmation {
                verb: "delete",
                target: ConfirmTarget::Parameter("ckRoleId"),
            }),
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        p: DeleteAssociationParams,
    ) -> Result<Success<DeleteAssociationOutput>, ToolError> {
        debug_assert!(p.confirm, "the registry's guard checks confirm first");
        let tenant = self.0.tenant(ctx, p.tenant_id.as_deref()).await?;
        let deleted = self
            .0
            .entities
            .dissociate(
                &tenant.tenant_id,
                &p.ck_role_id,
                &p.origin_rt_id,
                &p.target_rt_id,
            )
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        let message = if deleted {
            format!("Association '{}' removed.", p.ck_role_id)
        } else {
            format!(
                "No '{}' association from '{}' to '{}' existed; nothing changed.",
                p.ck_role_id, p.origin_rt_id, p.target_rt_id
            )
        };
        Ok(Success::new(DeleteAssociationOutput { deleted })
            .message(message)
            .tenant(tenant.tenant_id.to_string()))
    }
}

pub struct NavigateAssociations(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NavigateParams {
    /// The starting entity's CK type.
    pub ck_type_id: String,
    /// The starting entity.
    pub rt_id: String,
    /// The association role, e.g. `System/ParentChild`.
    pub ck_role_id: String,
    pub direction: Direction,
    /// Only associated entities of this type (and derived types); any type when omitted.
    #[serde(default)]
    pub target_type_id: Option<String>,
    /// Equality filters on the associated entities (attributes of targetTypeId).
    #[serde(default)]
    pub filters: Option<Vec<SimpleFilter>>,
    /// Only these attributes of the associated entities.
    #[serde(default)]
    pub attribute_paths: Option<Vec<String>>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NavigateOutput {
    pub origin_ck_type_id: String,
    pub origin_rt_id: String,
    pub ck_role_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_type_id: Option<String>,
    pub total_count: u64,
    pub entities: Vec<Value>,
}

#[async_trait]
impl Tool for NavigateAssociations {
    type Params = NavigateParams;
    type Output = NavigateOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "navigate_associations",
            title: "Navigate associations",
            description: "Lists the entities associated with one entity by a role, Outbound \
                (it is the origin) or Inbound (it is the target), optionally only of a target \
                type and matching equality filters.",
            category: Category::Associations,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "The children of a site",
                parameters: json!({
                    "tenantId": "octosystem",
                    "ckTypeId": "Octo.Assets/Site",
                    "rtId": "507f1f77bcf86cd799439012",
                    "ckRoleId": "System/ParentChild",
                    "direction": "Inbound"
                }),
            }],
            notes: vec![],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        p: NavigateParams,
    ) -> Result<Success<NavigateOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, p.tenant_id.as_deref()).await?;
        let criteria = p.filters.as_deref().map(simple_criteria);
        let result = self
            .0
            .entities
            .navigate(
                &tenant.tenant_id,
                &p.ck_type_id,
                &p.rt_id,
                &p.ck_role_id,
                p.direction.into(),
                p.target_type_id.as_deref(),
                criteria.as_ref(),
                p.attribute_paths.as_deref().unwrap_or_default(),
            )
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        let message = format!("{} associated entities.", result.total_count);
        Ok(Success::new(NavigateOutput {
            origin_ck_type_id: p.ck_type_id.trim().to_owned(),
            origin_rt_id: p.rt_id.trim().to_owned(),
            ck_role_id: p.ck_role_id.trim().to_owned(),
            target_type_id: p.target_type_id,
            total_count: result.total_count,
            entities: result.entities.iter().map(entity_json).collect(),
        })
        .message(message)
        .tenant(tenant.tenant_id.to_string()))
    }
}

pub struct GetAssociationTree(pub Platform);

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TreeParams {
    /// The type of the tree roots: every entity of it (optionally filtered) is a root.
    pub root_ck_type_id: String,
    /// The association role to follow, e.g. `System/ParentChild`.
    pub ck_role_id: String,
    pub direction: Direction,
    /// How many levels below the roots (default 2, at most 10).
    #[serde(default = "default_depth")]
    pub max_depth: u32,
    /// Only these attributes in each node.
    #[serde(default)]
    pub attribute_paths: Option<Vec<String>>,
    /// Equality filters selecting the roots.
    #[serde(default)]
    pub root_filters: Option<Vec<SimpleFilter>>,
    /// The tenant; defaults to the URL tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

fn default_depth() -> u32 {
    2
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TreeOutput {
    pub ck_role_id: String,
    pub direction: String,
    pub max_depth: u32,
    /// Each node: rtId, ckTypeId, attributes, children (null at the depth limit).
    pub nodes: Vec<Value>,
}

#[async_trait]
impl Tool for GetAssociationTree {
    type Params = TreeParams;
    type Output = TreeOutput;

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "get_association_tree",
            title: "Association tree",
            description: "Walks a role from every entity of a root type (optionally filtered) \
                down to maxDepth levels, e.g. the site → building → equipment hierarchy along \
                System/ParentChild (direction Inbound from the sites).",
            category: Category::Associations,
            access: Access::Read,
            annotations: Annotations::READ_ONLY,
            examples: vec![ToolExample {
                description: "Asset hierarchy under each site",
                parameters: json!({
                    "tenantId": "octosystem",
                    "rootCkTypeId": "Octo.Assets/Site",
                    "ckRoleId": "System/ParentChild",
                    "direction": "Inbound",
                    "maxDepth": 3
                }),
            }],
            notes: vec!["At most 2000 nodes are returned."],
            confirmation: None,
        }
    }

    async fn run(
        &self,
        ctx: &ToolContext,
        p: TreeParams,
    ) -> Result<Success<TreeOutput>, ToolError> {
        let tenant = self.0.tenant(ctx, p.tenant_id.as_deref()).await?;
        let criteria = p.root_filters.as_deref().map(simple_criteria);
        let nodes = self
            .0
            .entities
            .tree(
                &tenant.tenant_id,
                &p.root_ck_type_id,
                &p.ck_role_id,
                p.direction.into(),
                p.max_depth,
                p.attribute_paths.as_deref().unwrap_or_default(),
                criteria.as_ref(),
            )
            .await
            .map_err(|e| failed_in(e, &tenant))?;
        let message = format!("{} root(s).", nodes.len());
        Ok(Success::new(TreeOutput {
            ck_role_id: p.ck_role_id.trim().to_owned(),
            direction: format!("{:?}", p.direction),
            max_depth: p.max_depth.min(octo_entities::associations::MAX_TREE_DEPTH),
            nodes: nodes
                .iter()
                .map(|n| serde_json::to_value(n).unwrap_or(Value::Null))
                .collect(),
        })
        .message(message)
        .tenant(tenant.tenant_id.to_string()))
    }
}
