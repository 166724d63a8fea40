//! The kinds of Construction Kit element that share one id scheme: types,
//! attributes, enums, records and association roles.
//!
//! Each kind is an uninhabited marker type used as the type parameter of the
//! generic ids in [`crate::ck_element_id`], so the parsing rules are written
//! once while `CkTypeId` and `CkAttributeId` stay distinct types that cannot
//! be mixed up. This module also defines the per-kind aliases, e.g.
//! [`CkTypeId`], [`CkTypeFullId`], [`RtCkTypeId`] and [`CkTypeRef`].

use std::fmt::Debug;
use std::hash::Hash;

use crate::ck_element_id::{CkFullId, CkLocalId, CkRef, RtCkId};
use crate::error::IdError;

mod sealed {
    use crate::error::IdError;

    /// Keeps the set of kinds closed: each kind maps to its own [`IdError`]
    /// variant, which a downstream kind could not have.
    pub trait Sealed {
        fn error(input: String, reason: String) -> IdError;
    }
}

/// A kind of CK element. Implemented only by the marker types in this module.
pub trait CkElementKind:
    sealed::Sealed + Copy + Debug + Eq + Hash + Ord + Send + Sync + 'static
{
    /// The name of the versioned element id, used as the error prefix, e.g.
    /// `CkTypeId`.
    const ID_NAME: &'static str;
    /// The full-form alias name, e.g. `CkTypeFullId`.
    const FULL_NAME: &'static str;
    /// The runtime-form alias name, e.g. `RtCkTypeId`.
    const RUNTIME_NAME: &'static str;
    /// The either-form alias name, e.g. `CkTypeRef`.
    const REF_NAME: &'static str;
    /// How the element is called in prose, e.g. `type` or `association role`.
    const NOUN: &'static str;
    /// A valid versioned element id, e.g. `EnergyMeter-1`.
    const LOCAL_EXAMPLE: &'static str;
    /// A valid full id, e.g. `Industry.Energy-1.0.0/EnergyMeter-1`.
    const FULL_EXAMPLE: &'static str;
    /// A valid runtime id, e.g. `Industry.Energy/EnergyMeter`.
    const RUNTIME_EXAMPLE: &'static str;
}

pub(crate) fn error<K: CkElementKind>(input: &str, reason: String) -> IdError {
    K::error(input.to_owned(), reason)
}

macro_rules! element_kind {
    (
        $(#[$doc:meta])*
        $kind:ident => $variant:ident {
            noun: $noun:literal,
            local: $local:ident = $local_example:literal,
            full: $full:ident = $full_example:literal,
            runtime: $runtime:ident = $runtime_example:literal,
            either: $either:ident,
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $kind {}

        impl sealed::Sealed for $kind {
            fn error(input: String, reason: String) -> IdError {
                IdError::$variant { input, reason }
            }
        }

        impl CkElementKind for $kind {
            const ID_NAME: &'static str = stringify!($local);
            const FULL_NAME: &'static str = stringify!($full);
            const RUNTIME_NAME: &'static str = stringify!($runtime);
            const REF_NAME: &'static str = stringify!($either);
            const NOUN: &'static str = $noun;
            const LOCAL_EXAMPLE: &'static str = $local_example;
            const FULL_EXAMPLE: &'static str = $full_example;
            const RUNTIME_EXAMPLE: &'static str = $runtime_example;
        }

        #[doc = concat!("A versioned ", $noun, " id within its model, e.g. `", $local_example, "`.")]
        pub type $local = CkLocalId<$kind>;
        #[doc = concat!("A full ", $noun, " id, model id and versioned name, e.g. `", $full_example, "`.")]
        pub type $full = CkFullId<$kind>;
        #[doc = concat!("A runtime ", $noun, " id, model name and name, e.g. `", $runtime_example, "`.")]
        pub type $runtime = RtCkId<$kind>;
        #[doc = concat!("A ", $noun, " id in either the full (`", $full_example, "`) or the runtime (`", $runtime_example, "`) form, as tools accept it.")]
        pub type $either = CkRef<$kind>;
    };
}

element_kind! {
    /// Entity types, e.g. `EnergyMeter` in the `Industry.Energy` model.
    CkTypeKind => CkTypeId {
        noun: "type",
        local: CkTypeId = "EnergyMeter-1",
        full: CkTypeFullId = "Industry.Energy-1.0.0/EnergyMeter-1",
        runtime: RtCkTypeId = "Industry.Energy/EnergyMeter",
        either: CkTypeRef,
    }
}

element_kind! {
    /// Attributes, e.g. `Name` in the `Basic` model.
    CkAttributeKind => CkAttributeId {
        noun: "attribute",
        local: CkAttributeId = "Name-1",
        full: CkAttributeFullId = "Basic-2.0.2/Name-1",
        runtime: RtCkAttributeId = "Basic/Name",
        either: CkAttributeRef,
    }
}

element_kind! {
    /// Enums, the value sets of enum attributes.
    CkEnumKind => CkEnumId {
        noun: "enum",
        local: CkEnumId = "MeterState-1",
        full: CkEnumFullId = "Industry.Energy-1.0.0/MeterState-1",
        runtime: RtCkEnumId = "Industry.Energy/MeterState",
        either: CkEnumRef,
    }
}

element_kind! {
    /// Records, structured attribute values.
    CkRecordKind => CkRecordId {
        noun: "record",
        local: CkRecordId = "Address-1",
        full: CkRecordFullId = "Basic-2.0.2/Address-1",
        runtime: RtCkRecordId = "Basic/Address",
        either: CkRecordRef,
    }
}

element_kind! {
    /// Association roles, e.g. `ParentChild` in the `System` model.
    CkAssociationRoleKind => CkAssociationRoleId {
        noun: "association role",
        local: CkAssociationRoleId = "ParentChild-1",
        full: CkAssociationRoleFullId = "System-2.0.2/ParentChild-1",
        runtime: RtCkAssociationRoleId = "System/ParentChild",
        either: CkAssociationRoleRef,
    }
}
