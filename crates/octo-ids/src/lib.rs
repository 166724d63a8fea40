//! OctoMesh identifiers: parsing, validation and formatting only, no I/O.
//!
//! Every id type implements `FromStr`, `Display`, `TryFrom<&str>`,
//! `TryFrom<String>` and serde as a plain string; deserializing goes through
//! `FromStr`, so an invalid id fails with the same message everywhere. All
//! errors are [`IdError`], whose messages start with `Invalid <Kind>` and show
//! a valid example.
//!
//! ```
//! use octo_ids::{CkModelDependency, CkTypeFullId, CkTypeId, CkTypeRef, OctoObjectId, TenantId};
//!
//! let full: CkTypeFullId = "Industry.Energy-1.0.0/EnergyMeter-1".parse()?;
//! assert_eq!(full.to_runtime().to_string(), "Industry.Energy/EnergyMeter");
//!
//! // Tools accept either form.
//! let r: CkTypeRef = "Industry.Energy/EnergyMeter".parse()?;
//! assert!(r.matches(&full));
//!
//! let dep: CkModelDependency = "Industry.Energy-[1.0,2.0)".parse()?;
//! assert!(dep.is_satisfied_by(full.model()));
//!
//! let err = "MyType-1.0.0".parse::<CkTypeId>().unwrap_err();
//! assert!(err.to_string().starts_with("Invalid CkTypeId 'MyType-1.0.0'"));
//!
//! let rt_id: OctoObjectId = "507F1F77BCF86CD799439011".parse()?;
//! assert_eq!(rt_id.to_string(), "507f1f77bcf86cd799439011");
//! assert!(TenantId::system().is_system());
//! # Ok::<(), octo_ids::IdError>(())
//! ```
//!
//! Modules:
//!
//! - [`error`]: [`IdError`], the crate's single error type.
//! - [`ck_name`]: the spelling rules for model and element names.
//! - [`ck_model_id`]: [`CkModelId`] (`Basic-2.0.2`) and [`CkModelVersion`].
//! - [`ck_model_dependency`]: [`CkModelDependency`] (`System-[2.0,3.0)`) and
//!   [`CkModelVersionRange`].
//! - [`ck_element_kind`]: the element kinds (type, attribute, enum, record,
//!   association role) and the per-kind aliases such as [`CkTypeId`].
//! - [`ck_element_id`]: the generic element ids in their three forms:
//!   versioned name [`CkLocalId`] (`EnergyMeter-1`), full [`CkFullId`]
//!   (`Industry.Energy-1.0.0/EnergyMeter-1`) and runtime [`RtCkId`]
//!   (`Industry.Energy/EnergyMeter`), plus [`CkRef`] for either of the last two.
//! - [`object_id`]: [`OctoObjectId`], an entity's `rtId`.
//! - [`tenant_id`]: [`TenantId`] and the system tenant.

pub mod ck_element_id;
pub mod ck_element_kind;
pub mod ck_model_dependency;
pub mod ck_model_id;
pub mod ck_name;
pub mod error;
pub mod object_id;
mod string_form;
pub mod tenant_id;
mod version_number;

pub use ck_element_id::{CkFullId, CkLocalId, CkRef, RtCkId};
pub use ck_element_kind::{
    CkAssociationRoleFullId, CkAssociationRoleId, CkAssociationRoleKind, CkAssociationRoleRef,
    CkAttributeFullId, CkAttributeId, CkAttributeKind, CkAttributeRef, CkElementKind, CkEnumFullId,
    CkEnumId, CkEnumKind, CkEnumRef, CkRecordFullId, CkRecordId, CkRecordKind, CkRecordRef,
    CkTypeFullId, CkTypeId, CkTypeKind, CkTypeRef, RtCkAssociationRoleId, RtCkAttributeId,
    RtCkEnumId, RtCkRecordId, RtCkTypeId,
};
pub use ck_model_dependency::{CkModelDependency, CkModelVersionRange, VersionBound};
pub use ck_model_id::{CkModelId, CkModelVersion};
pub use error::IdError;
pub use object_id::OctoObjectId;
pub use tenant_id::{SYSTEM_TENANT, TenantId};
