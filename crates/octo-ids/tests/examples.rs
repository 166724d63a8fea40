//! The valid and invalid examples from the requirements, with the exact
//! error prefixes that callers rely on.

use octo_ids::{
    CkAssociationRoleFullId, CkAssociationRoleId, CkAssociationRoleRef, CkAttributeFullId,
    CkAttributeId, CkAttributeRef, CkEnumFullId, CkEnumId, CkModelDependency, CkModelId,
    CkModelVersion, CkRecordFullId, CkRecordId, CkTypeFullId, CkTypeId, CkTypeRef, IdError,
    OctoObjectId, RtCkAssociationRoleId, RtCkAttributeId, RtCkEnumId, RtCkRecordId, RtCkTypeId,
    TenantId,
};

fn message<T: std::str::FromStr<Err = IdError> + std::fmt::Debug>(s: &str) -> String {
    s.parse::<T>().expect_err(s).to_string()
}

#[test]
fn ck_type_id_valid() {
    let id: CkTypeId = "MyType-1".parse().expect("valid");
    assert_eq!(id.name(), "MyType");
    assert_eq!(id.version(), 1);
    assert_eq!(id.to_string(), "MyType-1");
    let dotted: CkTypeId = "Basic.Tree-3".parse().expect("valid");
    assert_eq!(dotted.name(), "Basic.Tree");
    assert_eq!("RtEntity-1".parse::<CkTypeId>().map(|t| t.version()), Ok(1));
}

#[test]
fn ck_type_id_invalid_examples() {
    for s in [
        "MyType-1.0.0",
        "MyType",
        "-1",
        "MyType-x",
        "MyType-",
        "",
        "My Type-1",
        "MyType-01",
        "Basic/Tree-1",
    ] {
        let msg = message::<CkTypeId>(s);
        assert!(
            msg.starts_with(&format!("Invalid CkTypeId '{s}': ")),
            "{msg}"
        );
    }
}

#[test]
fn ck_type_id_messages_say_why() {
    assert_eq!(
        message::<CkTypeId>("MyType-1.0.0"),
        "Invalid CkTypeId 'MyType-1.0.0': the version after the last '-' must be an unsigned integer such as 'MyType-1', not SemVer"
    );
    assert!(message::<CkTypeId>("MyType").contains("no version"));
    assert!(message::<CkTypeId>("MyType").contains("'MyType-1'"));
    assert!(message::<CkTypeId>("-1").contains("name before the '-' is empty"));
    assert!(message::<CkTypeId>("MyType-x").contains("'MyType-1'"));
    assert!(message::<CkTypeId>("MyType-").contains("is empty"));
    assert!(message::<CkTypeId>("MyType-01").contains("write 'MyType-1'"));
}

#[test]
fn ck_type_id_splits_on_last_dash() {
    // A name cannot contain '-', but the split point decides which part the
    // message blames: here the version is fine and the name is wrong.
    let msg = message::<CkTypeId>("My-Type-1");
    assert!(msg.contains("type name 'My-Type'"), "{msg}");
}

#[test]
fn ck_model_ids() {
    for (s, name, version) in [
        ("Basic-2.0.2", "Basic", CkModelVersion::new(2, 0, 2)),
        ("System-2.2.2", "System", CkModelVersion::new(2, 2, 2)),
        (
            "Industry.Energy-1.0.0",
            "Industry.Energy",
            CkModelVersion::new(1, 0, 0),
        ),
    ] {
        let id: CkModelId = s.parse().expect(s);
        assert_eq!((id.name(), id.version()), (name, version));
    }
    for s in ["Basic", "Basic-2", "Basic-2.0", "Basic-x.y.z", "-1.0.0"] {
        assert!(
            message::<CkModelId>(s).starts_with("Invalid CkModelId"),
            "{s}"
        );
    }
}

#[test]
fn ck_model_dependencies() {
    let dep: CkModelDependency = "System-[2.0,3.0)".parse().expect("valid");
    let v = |s: &str| s.parse::<CkModelVersion>().expect(s);
    assert!(dep.range().contains(&v("2.0.0")));
    assert!(dep.range().contains(&v("2.2.2")));
    assert!(!dep.range().contains(&v("3.0.0")));
    let exact: CkModelDependency = "System-2.0.2".parse().expect("valid");
    assert!(exact.range().contains(&v("2.0.2")));
    assert!(!exact.range().contains(&v("2.0.3")));
    assert!(
        message::<CkModelDependency>("System-[3.0,2.0)").starts_with("Invalid CkModelDependency")
    );
}

#[test]
fn type_full_and_runtime_forms() {
    let full: CkTypeFullId = "Industry.Energy-1.0.0/EnergyMeter-1"
        .parse()
        .expect("valid");
    assert_eq!(full.model().to_string(), "Industry.Energy-1.0.0");
    assert_eq!(full.local_id().to_string(), "EnergyMeter-1");
    let rt: RtCkTypeId = "Industry.Energy/EnergyMeter".parse().expect("valid");
    assert_eq!(full.to_runtime(), rt);
    assert_eq!(
        (rt.model_name(), rt.name()),
        ("Industry.Energy", "EnergyMeter")
    );

    let either: CkTypeRef = "Industry.Energy/EnergyMeter".parse().expect("valid");
    assert_eq!(either, CkTypeRef::Runtime(rt.clone()));
    let either: CkTypeRef = "Industry.Energy-1.0.0/EnergyMeter-1"
        .parse()
        .expect("valid");
    assert_eq!(either, CkTypeRef::Full(full.clone()));
    assert_eq!(either.into_runtime(), rt);
}

#[test]
fn type_form_mismatches_explain_themselves() {
    let msg = message::<CkTypeFullId>("Industry.Energy/EnergyMeter");
    assert!(msg.starts_with("Invalid CkTypeId"), "{msg}");
    assert!(msg.contains("runtime form"), "{msg}");
    let msg = message::<RtCkTypeId>("Industry.Energy-1.0.0/EnergyMeter-1");
    assert!(msg.contains("use 'Industry.Energy/EnergyMeter'"), "{msg}");
    let msg = message::<CkTypeFullId>("Industry.Energy-1.0/EnergyMeter-1");
    assert!(msg.contains("model part 'Industry.Energy-1.0'"), "{msg}");
    let msg = message::<CkTypeFullId>("Industry.Energy-1.0.0/EnergyMeter-1.0.0");
    assert!(msg.contains("not SemVer"), "{msg}");
    let msg = message::<CkTypeRef>("EnergyMeter");
    assert!(msg.contains("accepted forms"), "{msg}");
}

#[test]
fn association_roles() {
    for s in ["System/ParentChild", "System/Related"] {
        let rt: RtCkAssociationRoleId = s.parse().expect(s);
        assert_eq!(rt.model_name(), "System");
    }
    let full: CkAssociationRoleFullId = "System-2.0.2/ParentChild-1".parse().expect("valid");
    assert_eq!(full.to_runtime().to_string(), "System/ParentChild");
    let local: CkAssociationRoleId = "ParentChild-1".parse().expect("valid");
    assert_eq!(full.local_id(), &local);
    let either: CkAssociationRoleRef = "System/Related".parse().expect("valid");
    assert_eq!(either.name(), "Related");
    assert!(message::<RtCkAssociationRoleId>("System").starts_with("Invalid CkAssociationRoleId"));
}

#[test]
fn attributes() {
    let rt: RtCkAttributeId = "Basic/Name".parse().expect("valid");
    assert_eq!(rt.name(), "Name");
    let full: CkAttributeFullId = "Basic-2.0.2/Name-1".parse().expect("valid");
    assert_eq!(full.to_runtime(), rt);
    let either: CkAttributeRef = "Basic/Name".parse().expect("valid");
    assert!(either.matches(&full));
    assert!(message::<CkAttributeId>("Name").starts_with("Invalid CkAttributeId"));
    assert!(message::<CkAttributeRef>("Basic/Na me").starts_with("Invalid CkAttributeId"));
}

#[test]
fn enums_and_records_have_their_own_prefix() {
    assert!("Basic-2.0.2/State-1".parse::<CkEnumFullId>().is_ok());
    assert!("Basic/State".parse::<RtCkEnumId>().is_ok());
    assert!(message::<CkEnumId>("State-1.0").starts_with("Invalid CkEnumId"));
    assert!(message::<RtCkEnumId>("Basic/").starts_with("Invalid CkEnumId"));
    assert!("Basic-2.0.2/Address-1".parse::<CkRecordFullId>().is_ok());
    assert!("Basic/Address".parse::<RtCkRecordId>().is_ok());
    assert!(message::<CkRecordId>("Address").starts_with("Invalid CkRecordId"));
    assert!(message::<CkRecordFullId>("/Address-1").starts_with("Invalid CkRecordId"));
}

#[test]
fn object_ids() {
    let id: OctoObjectId = "507F1F77BCF86CD799439011".parse().expect("valid");
    assert_eq!(id.to_string(), "507f1f77bcf86cd799439011");
    assert_eq!(
        message::<OctoObjectId>("abc"),
        "Invalid OctoObjectId 'abc': expected 24 hexadecimal characters [0-9a-fA-F], e.g. 507f1f77bcf86cd799439011 (got 3 characters)"
    );
}

#[test]
fn tenant_ids() {
    assert_eq!(TenantId::system().as_str(), "octosystem");
    assert_eq!(octo_ids::SYSTEM_TENANT, "octosystem");
    let msg = message::<TenantId>("OctoSystem");
    assert!(msg.starts_with("Invalid TenantId 'OctoSystem'"), "{msg}");
    assert!(msg.contains("tenant ids are lower-case"), "{msg}");
    assert_eq!(
        TenantId::parse_normalized("OctoSystem"),
        Ok(TenantId::system())
    );
}

#[test]
fn serde_uses_strings_and_the_same_messages() {
    let json = serde_json::to_string(&TenantId::system()).expect("serializes");
    assert_eq!(json, "\"octosystem\"");
    let err = serde_json::from_str::<CkTypeId>("\"MyType-1.0.0\"").expect_err("invalid");
    assert!(
        err.to_string()
            .starts_with("Invalid CkTypeId 'MyType-1.0.0'"),
        "{err}"
    );
    let err = serde_json::from_str::<OctoObjectId>("\"abc\"").expect_err("invalid");
    assert!(
        err.to_string().starts_with("Invalid OctoObjectId 'abc'"),
        "{err}"
    );
    let err = serde_json::from_str::<TenantId>("42").expect_err("not a string");
    assert!(err.to_string().contains("string"), "{err}");
}

#[test]
fn try_from_and_into_string() {
    let id = CkTypeId::try_from("MyType-1").expect("valid");
    assert_eq!(String::from(id), "MyType-1");
    assert!(TenantId::try_from(String::from("Bad")).is_err());
}
