//! `CkLibrary` answers schema questions about a tenant's models: inherited
//! attributes, ancestors and derived types, roles including those declared
//! on ancestors, enums, records, search and listings.

mod common;

use common::{plant_library, system};
use octo_ck::catalog::EmbeddedCatalog;
use octo_ck::document::{CkMultiplicity, CkValueType};
use octo_ck::library::AssociationDirection;
use octo_ck::{CkError, CkLibrary};

fn names(ids: &[impl ToString]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

#[test]
fn effective_attributes_include_inherited_ones_root_first() {
    let library = plant_library();
    let pump = library
        .get_type("Demo.Plant/CentrifugalPump")
        .expect("type");
    assert_eq!(
        pump.full_id.to_string(),
        "Demo.Plant-1.0.0/CentrifugalPump-1"
    );
    assert_eq!(
        names(&pump.ancestors),
        ["Demo.Plant/Pump", "Demo.Plant/Machine", "System/Entity"]
    );
    let attributes: Vec<(&str, &str, bool)> = pump
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.declared_on.as_str(), a.inherited))
        .collect();
    assert_eq!(
        attributes[..7],
        [
            ("RtBlueprintSource", "System/Entity", true),
            ("RtBlueprintLocked", "System/Entity", true),
            ("RtBlueprintAppliedAt", "System/Entity", true),
            ("Name", "Demo.Plant/Machine", true),
            ("RatedPower", "Demo.Plant/Machine", true),
            ("Keywords", "Demo.Plant/Machine", true),
            ("FlowRate", "Demo.Plant/Pump", true),
        ]
    );
    assert_eq!(pump.attributes.len(), 18);
    let name = pump.attribute("name").expect("case-insensitive lookup");
    assert_eq!(name.attribute_id.to_string(), "System/Name");
    assert_eq!(name.attribute_full_id.to_string(), "System-2.2.2/Name-1");
    assert_eq!(name.value_type, CkValueType::String);
    assert!(!name.is_optional);
    let state = pump.attribute("State").expect("State");
    assert_eq!(state.value_type, CkValueType::Enum);
    assert_eq!(
        state.enum_id.as_ref().map(ToString::to_string).as_deref(),
        Some("Demo.Plant/PumpState")
    );
    let limits = pump.attribute("Limits").expect("Limits");
    assert_eq!(
        limits
            .record_id
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("Demo.Plant/Limit")
    );
    assert!(limits.is_optional);
    let keywords = pump.attribute("Keywords").expect("Keywords");
    assert_eq!(keywords.auto_complete_values, ["spare", "critical"]);
    // The display-name rule is inherited from Machine.
    assert_eq!(pump.display_name_rule.as_deref(), Some("${name}"));
    assert!(pump.is_final && !pump.is_abstract);
}

#[test]
fn derived_types_are_transitive() {
    let library = plant_library();
    assert_eq!(
        names(&library.derived_types("Demo.Plant/Machine").expect("type")),
        ["Demo.Plant/CentrifugalPump", "Demo.Plant/Pump"]
    );
    let entity = library.get_type("System/Entity").expect("Entity");
    assert!(
        entity
            .derived_types
            .iter()
            .any(|t| t.to_string() == "Demo.Plant/CentrifugalPump")
    );
    assert!(
        entity
            .derived_types
            .iter()
            .any(|t| t.to_string() == "System/SimpleSdQuery")
    );
    assert!(library.is_abstract("Demo.Plant/Machine").expect("type"));
    assert!(library.is_final("Demo.Plant/Tank").expect("type"));
    assert!(
        library
            .is_a("Demo.Plant/CentrifugalPump", "System/Entity")
            .expect("types")
    );
    assert!(
        !library
            .is_a("Demo.Plant/Tank", "Demo.Plant/Machine")
            .expect("types")
    );
    assert_eq!(
        names(&library.ancestors("Demo.Plant/Tank").expect("type")),
        ["System/Entity"]
    );
}

#[test]
fn full_and_runtime_ids_are_both_accepted() {
    let library = plant_library();
    let by_runtime = library.get_type("Demo.Plant/Pump").expect("runtime");
    let by_full = library.get_type("Demo.Plant-1.0.0/Pump-1").expect("full");
    assert_eq!(by_runtime, by_full);
    let err = library
        .get_type("Demo.Plant-2.0.0/Pump-1")
        .expect_err("wrong version");
    assert_eq!(
        err.to_string(),
        "Unknown type 'Demo.Plant-2.0.0/Pump-1'; the library has 'Demo.Plant-1.0.0/Pump-1'"
    );
}

#[test]
fn unknown_or_malformed_ids_get_helpful_errors() {
    let library = plant_library();
    let err = library.get_type("Demo.Plant/Pmup").expect_err("typo");
    assert_eq!(
        err.to_string(),
        "Unknown type 'Demo.Plant/Pmup'; did you mean 'Demo.Plant/Pump'?"
    );
    let err = library.get_type("Pump").expect_err("no model");
    assert!(
        err.to_string()
            .contains("ids name their model, e.g. 'Demo.Plant/Pump'"),
        "{err}"
    );
    let err = library
        .get_type("Demo.Plant/Pump-1.0.0")
        .expect_err("malformed");
    assert!(matches!(err, CkError::Id(_)), "{err:?}");
    assert!(err.to_string().starts_with("Invalid CkTypeId"), "{err}");
    assert!(library.get_enum("Demo.Plant/Pump").is_err());
}

#[test]
fn roles_include_those_declared_on_ancestors() {
    let library = plant_library();
    let roles = library
        .roles_for_type("Demo.Plant/CentrifugalPump")
        .expect("roles");
    let outbound: Vec<(String, &str, String, CkMultiplicity, bool)> = roles
        .outbound
        .iter()
        .map(|r| {
            (
                r.role_id.to_string(),
                r.navigation_name.as_str(),
                r.other_type.to_string(),
                r.multiplicity,
                r.inherited,
            )
        })
        .collect();
    assert_eq!(
        outbound,
        [
            (
                "Demo.Plant/Feeds".to_owned(),
                "FeedsInto",
                "Demo.Plant/Tank".to_owned(),
                CkMultiplicity::ZeroOrOne,
                true
            ),
            (
                "System/ParentChild".to_owned(),
                "Parent",
                "Demo.Plant/Station".to_owned(),
                CkMultiplicity::One,
                true
            ),
            (
                "System/Related".to_owned(),
                "RelatesTo",
                "System/Entity".to_owned(),
                CkMultiplicity::N,
                true
            ),
        ]
    );
    assert!(
        roles
            .outbound
            .iter()
            .all(|r| r.direction == AssociationDirection::Outbound)
    );
    let feeds = &roles.outbound[0];
    assert_eq!(feeds.origin_type.to_string(), "Demo.Plant/Pump");
    assert_eq!(feeds.inbound_name, "FedBy");
    assert_eq!(feeds.inbound_multiplicity, CkMultiplicity::N);
    assert_eq!(feeds.role_full_id.to_string(), "Demo.Plant-1.0.0/Feeds-1");

    let tank = library.roles_for_type("Demo.Plant/Tank").expect("roles");
    let inbound: Vec<(String, &str, String, bool)> = tank
        .inbound
        .iter()
        .map(|r| {
            (
                r.role_id.to_string(),
                r.navigation_name.as_str(),
                r.other_type.to_string(),
                r.inherited,
            )
        })
        .collect();
    assert_eq!(
        inbound,
        [
            (
                "Demo.Plant/Feeds".to_owned(),
                "FedBy",
                "Demo.Plant/Pump".to_owned(),
                false
            ),
            (
                "System/Related".to_owned(),
                "RelatesFrom",
                "System/Entity".to_owned(),
                true
            ),
        ]
    );
    let station = library.roles_for_type("Demo.Plant/Station").expect("roles");
    let children = station
        .inbound
        .iter()
        .find(|r| r.role_id.to_string() == "System/ParentChild")
        .expect("children");
    assert_eq!(children.navigation_name, "Children");
    assert_eq!(children.other_type.to_string(), "Demo.Plant/Machine");
    assert_eq!(children.multiplicity, CkMultiplicity::N);
}

#[test]
fn role_details_list_where_the_role_is_used() {
    let library = plant_library();
    let role = library.get_role("System/ParentChild").expect("role");
    assert_eq!(
        (role.outbound_name.as_str(), role.inbound_name.as_str()),
        ("Parent", "Children")
    );
    assert_eq!(
        (role.outbound_multiplicity, role.inbound_multiplicity),
        (CkMultiplicity::One, CkMultiplicity::N)
    );
    assert_eq!(role.used_by.len(), 1);
    assert_eq!(
        role.used_by[0].origin_type.to_string(),
        "Demo.Plant/Machine"
    );
    assert_eq!(
        role.used_by[0].target_type.to_string(),
        "Demo.Plant/Station"
    );
}

#[test]
fn enums_records_and_attributes() {
    let library = plant_library();
    let state = library.get_enum("Demo.Plant/PumpState").expect("enum");
    assert!(state.is_extensible && !state.use_flags);
    assert_eq!(
        state.value_by_key(2).map(|v| v.name.as_str()),
        Some("Fault")
    );
    assert_eq!(state.value_by_name("running").map(|v| v.key), Some(1));
    assert!(
        library
            .get_enum("Demo.Plant/ValveMode")
            .expect("enum")
            .use_flags
    );

    let limit = library.get_record("Demo.Plant/Limit").expect("record");
    assert_eq!(names(&limit.ancestors), ["Demo.Plant/Setpoint"]);
    let fields: Vec<(&str, bool)> = limit
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.inherited))
        .collect();
    assert_eq!(
        fields,
        [("Value", true), ("Tolerance", true), ("Label", false)]
    );
    let setpoint = library.get_record("Demo.Plant/Setpoint").expect("record");
    assert_eq!(names(&setpoint.derived_records), ["Demo.Plant/Limit"]);

    let flow = library
        .get_attribute("Demo.Plant/FlowRate")
        .expect("attribute");
    assert_eq!(flow.value_type, CkValueType::Double);
    assert_eq!(flow.meta_data[0].key, "Unit");
    assert!(
        library
            .get_attribute("Demo.Plant/Remote")
            .expect("attribute")
            .is_runtime_state
    );
}

#[test]
fn search_and_listing() {
    let library = plant_library();
    let found: Vec<String> = library
        .search_types("PUMP")
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    // Station matches by its description, "A pumping station."
    assert_eq!(
        found,
        [
            "Demo.Plant/CentrifugalPump",
            "Demo.Plant/Pump",
            "Demo.Plant/Station"
        ]
    );
    // Only Pump's description mentions a well.
    let by_description = library.search_types("well");
    assert_eq!(by_description.len(), 1);
    assert_eq!(by_description[0].id.to_string(), "Demo.Plant/Pump");

    let concrete = library.types(false, Some("Demo.Plant"));
    assert_eq!(
        concrete
            .iter()
            .map(|t| t.id.to_string())
            .collect::<Vec<_>>(),
        [
            "Demo.Plant/CentrifugalPump",
            "Demo.Plant/Pump",
            "Demo.Plant/Station",
            "Demo.Plant/Tank"
        ]
    );
    assert_eq!(library.types(true, Some("Demo.Plant-1.0.0")).len(), 5);
    assert_eq!(library.types(true, None).len(), 5 + 19);
    assert!(library.types(false, None).iter().all(|t| !t.is_abstract));
    assert_eq!(library.models().len(), 2);
    assert!(library.model("System-2.2.2").is_some());
}

#[test]
fn the_embedded_catalog_builds_one_library() {
    let library =
        CkLibrary::new(EmbeddedCatalog::models().expect("embedded").to_vec()).expect("valid");
    let meter = library
        .get_type("Octo.Industry.Energy/ElectricityMeter")
        .expect("meter");
    assert_eq!(
        names(&meter.ancestors),
        [
            "Octo.Industry.Energy/EnergyMeter",
            "Octo.Assets/Equipment",
            "Octo.Assets/Asset",
            "System/Entity"
        ]
    );
    for name in [
        "Name",
        "SerialNumber",
        "OperatingState",
        "Power",
        "Energy",
        "Voltage",
    ] {
        assert!(meter.attribute(name).is_some(), "{name}");
    }
    let roles = library
        .roles_for_type("Octo.Industry.Energy/ElectricityMeter")
        .expect("roles");
    let navigation: Vec<&str> = roles
        .outbound
        .iter()
        .map(|r| r.navigation_name.as_str())
        .collect();
    assert!(
        navigation.contains(&"MainMeter") && navigation.contains(&"Parent"),
        "{navigation:?}"
    );
    let inbound: Vec<&str> = roles
        .inbound
        .iter()
        .map(|r| r.navigation_name.as_str())
        .collect();
    assert!(
        inbound.contains(&"SubMeters") && inbound.contains(&"MaintenanceItems"),
        "{inbound:?}"
    );
}

#[test]
fn an_inconsistent_tenant_can_still_be_queried() {
    let broken = common::doc(
        "modelId: Demo.Loose-1.0.0
dependencies:
  - System-[2.0,3.0)
types:
  - typeId: Thing
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Missing
        name: Missing
      - id: ${System}/Name
        name: Name
",
    );
    let (library, problems) = CkLibrary::new_unchecked(vec![system(), broken]);
    assert_eq!(problems.len(), 1);
    let thing = library.get_type("Demo.Loose/Thing").expect("type");
    // The unresolvable attribute is left out; the rest is answered.
    assert!(thing.attribute("Name").is_some());
    assert!(thing.attribute("Missing").is_none());
}
