//! OctoMesh runtime entities over the store, checked against each tenant's CK library.
//!
//! Modules:
//! - [`entities`]: the [`Entities`] operations (create, get, update with optimistic locking,
//!   delete, query, aggregate).
//! - [`associations`]: associations by CK roles (multiplicities enforced), navigation, trees.
//! - [`value`]: attribute values checked against CK value types and their stored forms.
//! - [`path`]: attribute paths (names, qualified ids, record fields, system attributes).
//! - [`filter`]: filter criteria turned into the store's filter expressions.
//! - [`aggregate`]: aggregation checks (the spec's messages) and default aliases.
//! - [`error`]: the [`EntityError`] messages.

pub mod aggregate;
pub mod associations;
pub mod entities;
pub mod error;
pub mod filter;
pub mod path;
pub mod value;

pub use entities::{
    AttributeUpdate, Entities, EntityView, NewEntity, QueryResult, Written, new_entity,
};
pub use error::EntityError;
