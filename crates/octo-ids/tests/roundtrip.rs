//! Property tests: every valid id survives `Display` -> `FromStr` and a
//! serde JSON round trip unchanged.

use std::fmt::{Debug, Display};
use std::str::FromStr;

use octo_ids::{
    CkAssociationRoleKind, CkAttributeKind, CkElementKind, CkEnumKind, CkFullId, CkLocalId,
    CkModelDependency, CkModelId, CkModelVersion, CkModelVersionRange, CkRecordKind, CkRef,
    CkTypeKind, IdError, OctoObjectId, RtCkId, TenantId, VersionBound,
};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn check_round_trip<T>(id: &T) -> Result<(), TestCaseError>
where
    T: FromStr<Err = IdError> + Display + Serialize + DeserializeOwned + PartialEq + Debug,
{
    let text = id.to_string();
    let parsed: T = text
        .parse()
        .map_err(|e: IdError| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&parsed, id);
    prop_assert_eq!(parsed.to_string(), text.clone());

    let json = serde_json::to_string(id).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&json, &serde_json::to_string(&text).unwrap_or_default());
    let back: T = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&back, id);
    Ok(())
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,12}(\\.[A-Za-z0-9_]{1,8}){0,2}"
}

fn model_version() -> impl Strategy<Value = CkModelVersion> {
    (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(a, b, c)| CkModelVersion::new(a, b, c))
}

/// Small numbers so that generated ranges often share bounds and have
/// zero patches, which exercises the short `major.minor` form.
fn small_version() -> impl Strategy<Value = CkModelVersion> {
    (0_u32..4, 0_u32..4, prop_oneof![Just(0_u32), 0_u32..4])
        .prop_map(|(a, b, c)| CkModelVersion::new(a, b, c))
}

fn model_id() -> impl Strategy<Value = CkModelId> {
    (name(), model_version()).prop_filter_map("valid model id", |(n, v)| CkModelId::new(&n, v).ok())
}

fn local_id<K: CkElementKind>() -> impl Strategy<Value = CkLocalId<K>> {
    (name(), any::<u32>()).prop_filter_map("valid local id", |(n, v)| CkLocalId::new(&n, v).ok())
}

fn full_id<K: CkElementKind>() -> impl Strategy<Value = CkFullId<K>> {
    (model_id(), local_id::<K>()).prop_map(|(m, l)| CkFullId::new(m, l))
}

fn runtime_id<K: CkElementKind>() -> impl Strategy<Value = RtCkId<K>> {
    (name(), name()).prop_filter_map("valid runtime id", |(m, n)| RtCkId::new(&m, &n).ok())
}

fn either_id<K: CkElementKind>() -> impl Strategy<Value = CkRef<K>> {
    prop_oneof![
        full_id::<K>().prop_map(CkRef::Full),
        runtime_id::<K>().prop_map(CkRef::Runtime),
    ]
}

fn bound() -> impl Strategy<Value = Option<VersionBound>> {
    proptest::option::of(
        (small_version(), any::<bool>())
            .prop_map(|(version, inclusive)| VersionBound { version, inclusive }),
    )
}

fn version_range() -> impl Strategy<Value = CkModelVersionRange> {
    prop_oneof![
        model_version().prop_map(CkModelVersionRange::exact),
        (bound(), bound()).prop_filter_map("non-empty range", |(lo, hi)| {
            CkModelVersionRange::new(lo, hi).ok()
        }),
    ]
}

/// One proptest module per element kind, so a failure names the kind.
macro_rules! element_round_trips {
    ($module:ident, $kind:ty) => {
        mod $module {
            use super::*;

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(64))]

                #[test]
                fn local_id_round_trips(id in super::local_id::<$kind>()) {
                    check_round_trip(&id)?;
                }

                #[test]
                fn full_id_round_trips(id in super::full_id::<$kind>()) {
                    check_round_trip(&id)?;
                    let rt = id.to_runtime();
                    prop_assert_eq!(rt.model_name(), id.model().name());
                    prop_assert_eq!(rt.name(), id.local_id().name());
                    prop_assert!(CkRef::Runtime(rt).matches(&id));
                }

                #[test]
                fn runtime_id_round_trips(id in super::runtime_id::<$kind>()) {
                    check_round_trip(&id)?;
                }

                #[test]
                fn either_id_round_trips(id in super::either_id::<$kind>()) {
                    check_round_trip(&id)?;
                    prop_assert_eq!(
                        id.to_runtime().to_string(),
                        format!("{}/{}", id.model_name(), id.name())
                    );
                }
            }
        }
    };
}

element_round_trips!(ck_type, CkTypeKind);
element_round_trips!(ck_attribute, CkAttributeKind);
element_round_trips!(ck_enum, CkEnumKind);
element_round_trips!(ck_record, CkRecordKind);
element_round_trips!(ck_association_role, CkAssociationRoleKind);

proptest! {
    #[test]
    fn model_version_round_trips(v in model_version()) {
        check_round_trip(&v)?;
    }

    #[test]
    fn model_id_round_trips(id in model_id()) {
        check_round_trip(&id)?;
    }

    #[test]
    fn version_range_round_trips(range in version_range()) {
        check_round_trip(&range)?;
    }

    #[test]
    fn range_contains_agrees_with_bounds(range in version_range(), v in small_version()) {
        let above = range.lower().is_none_or(|lo| if lo.inclusive { v >= lo.version } else { v > lo.version });
        let below = range.upper().is_none_or(|hi| if hi.inclusive { v <= hi.version } else { v < hi.version });
        prop_assert_eq!(range.contains(&v), above && below);
        if let Some(exact) = range.exact_version() {
            prop_assert_eq!(range.contains(&v), v == exact);
        }
    }

    #[test]
    fn model_dependency_round_trips(n in name(), range in version_range()) {
        if let Ok(dep) = CkModelDependency::new(&n, range) {
            check_round_trip(&dep)?;
        }
    }

    #[test]
    fn object_id_round_trips(bytes in any::<[u8; 12]>()) {
        let id = OctoObjectId::from_bytes(bytes);
        check_round_trip(&id)?;
        let upper: OctoObjectId = id.to_string().to_uppercase().parse()
            .map_err(|e: IdError| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(upper, id);
        prop_assert_eq!(id.as_bytes(), &bytes);
    }

    #[test]
    fn tenant_id_round_trips(s in "[a-z][a-z0-9_-]{0,62}") {
        let id: TenantId = s.parse().map_err(|e: IdError| TestCaseError::fail(e.to_string()))?;
        check_round_trip(&id)?;
        let normalized = TenantId::parse_normalized(&s.to_uppercase())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(normalized, id);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,40}") {
        let _ = s.parse::<CkModelId>();
        let _ = s.parse::<CkModelVersionRange>();
        let _ = s.parse::<CkModelDependency>();
        let _ = s.parse::<octo_ids::CkTypeId>();
        let _ = s.parse::<octo_ids::CkTypeFullId>();
        let _ = s.parse::<octo_ids::RtCkTypeId>();
        let _ = s.parse::<octo_ids::CkTypeRef>();
        let _ = s.parse::<OctoObjectId>();
        let _ = s.parse::<TenantId>();
    }
}
