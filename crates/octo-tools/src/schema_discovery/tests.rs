//! Schema discovery tools through the registry, on a store with the System model and, where a
//! test needs richer types, `Octo.Industry.Energy` imported from the embedded catalog. Every case
//! runs twice, on a fresh SQLite and on a fresh PostgreSQL store (`both_backends!`).

use std::sync::Arc;

use octo_ids::TenantId;
use octo_store::Store;
use octo_test_support::both_backends;
use serde_json::{Value, json};

use crate::test_support::{call, call_at, error};
use crate::tool::{Annotations, Category};
use crate::{Platform, ToolRegistry, test_platform_on};

const TOOLS: [&str; 3] = ["get_available_types", "get_type_schema", "search_types"];

async fn registry(store: Arc<dyn Store>) -> (Platform, Arc<ToolRegistry>) {
    let platform = test_platform_on(store).await;
    let registry = Arc::new(crate::standard_registry(&platform).expect("registry"));
    (platform, registry)
}

/// Imports `Octo.Industry.Energy` (and `Octo.Assets`, which it needs) into the system tenant.
async fn import_energy(platform: &Platform) {
    let tenant = TenantId::system();
    platform
        .ck
        .import_from_catalog(&tenant, "embedded", "Octo.Industry.Energy")
        .await
        .expect("import planned");
    while platform.ck.run_next_job("test").await.expect("job runs") {}
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item["ckTypeId"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

fn find<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    list.as_array()
        .and_then(|items| items.iter().find(|item| item[key] == json!(value)))
        .unwrap_or_else(|| panic!("no item with {key} = {value} in {list}"))
}

async fn schema(registry: &Arc<ToolRegistry>, ck_type_id: &str) -> Value {
    let out = call(
        registry,
        "get_type_schema",
        json!({"ckTypeId": ck_type_id, "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(out["isSuccess"], json!(true), "{out}");
    out
}

both_backends!(the_tools_are_read_only_schema_discovery_tools);
async fn the_tools_are_read_only_schema_discovery_tools(store: Arc<dyn Store>) {
    let (_, registry) = registry(store).await;
    for name in TOOLS {
        let descriptor = registry.get(name).expect("registered");
        assert_eq!(
            descriptor.spec.category,
            Category::SchemaDiscovery,
            "{name}"
        );
        assert_eq!(
            descriptor.spec.annotations,
            Annotations::READ_ONLY,
            "{name}"
        );
        assert!(!descriptor.spec.examples.is_empty(), "{name}");
    }
}

both_backends!(system_types_are_listed_without_abstract_ones_by_default);
async fn system_types_are_listed_without_abstract_ones_by_default(store: Arc<dyn Store>) {
    let (_, registry) = registry(store).await;
    let out = call(
        &registry,
        "get_available_types",
        json!({"tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(out["isSuccess"], json!(true), "{out}");
    assert_eq!(out["tenantId"], json!("octosystem"));
    assert_eq!(out["includeAbstract"], json!(false));
    assert!(out.get("modelIdFilter").is_none(), "{out}");
    let listed = ids(&out["types"]);
    assert_eq!(out["totalTypes"], json!(listed.len()));
    assert!(listed.contains(&"System/TenantConfiguration"), "{out}");
    assert!(!listed.contains(&"System/Entity"), "{out}");
    assert!(!listed.contains(&"System/PersistentQuery"), "{out}");
    let query = find(&out["types"], "ckTypeId", "System/SimpleRtQuery");
    assert_eq!(query["fullCkTypeId"], json!("System-2.2.2/SimpleRtQuery-1"));
    assert_eq!(query["modelId"], json!("System-2.2.2"));
    assert_eq!(query["typeName"], json!("SimpleRtQuery"));
    assert_eq!(query["derivedFrom"], json!("System/PersistentQuery"));
    assert_eq!(query["isAbstract"], json!(false));

    let all = call(
        &registry,
        "get_available_types",
        json!({"tenantId": "octosystem", "includeAbstract": true}),
    )
    .await;
    let entity = find(&all["types"], "ckTypeId", "System/Entity");
    assert_eq!(entity["isAbstract"], json!(true));
    assert!(entity.get("derivedFrom").is_none(), "{entity}");
    assert!(all["totalTypes"].as_u64() > out["totalTypes"].as_u64());
}

both_backends!(the_model_filter_takes_a_name_or_an_id_and_names_the_loaded_models_when_unknown);
async fn the_model_filter_takes_a_name_or_an_id_and_names_the_loaded_models_when_unknown(
    store: Arc<dyn Store>,
) {
    let (platform, registry) = registry(store).await;
    import_energy(&platform).await;
    let out = call(
        &registry,
        "get_available_types",
        json!({"tenantId": "octosystem", "ckModelId": "Octo.Industry.Energy"}),
    )
    .await;
    assert_eq!(out["isSuccess"], json!(true), "{out}");
    assert_eq!(out["modelIdFilter"], json!("Octo.Industry.Energy"));
    let listed = ids(&out["types"]);
    assert!(
        listed.contains(&"Octo.Industry.Energy/EnergyMeter"),
        "{out}"
    );
    assert!(
        listed
            .iter()
            .all(|id| id.starts_with("Octo.Industry.Energy/")),
        "{out}"
    );
    let by_id = call(
        &registry,
        "get_available_types",
        json!({"tenantId": "octosystem", "ckModelId": "octo.industry.energy-1.0.0"}),
    )
    .await;
    assert_eq!(by_id["totalTypes"], out["totalTypes"], "{by_id}");

    let unknown = call(
        &registry,
        "get_available_types",
        json!({"tenantId": "octosystem", "ckModelId": "Octo.Nope"}),
    )
    .await;
    assert_eq!(unknown["isSuccess"], json!(false));
    assert_eq!(unknown["tenantId"], json!("octosystem"));
    let message = error(&unknown);
    assert!(
        message.starts_with("Model 'Octo.Nope' is not loaded in tenant 'octosystem'"),
        "{message}"
    );
    assert!(message.contains("System-2.2.2"), "{message}");
    assert!(message.contains("Octo.Industry.Energy-1.0.0"), "{message}");
}

both_backends!(a_schema_includes_inherited_attributes_with_their_origin);
async fn a_schema_includes_inherited_attributes_with_their_origin(store: Arc<dyn Store>) {
    let (_, registry) = registry(store).await;
    let out = schema(&registry, "System/SimpleRtQuery").await;
    assert_eq!(out["tenantId"], json!("octosystem"));
    assert_eq!(out["ckTypeId"], json!("System/SimpleRtQuery"));
    assert_eq!(out["fullCkTypeId"], json!("System-2.2.2/SimpleRtQuery-1"));
    assert_eq!(out["modelId"], json!("System-2.2.2"));
    assert_eq!(out["typeName"], json!("SimpleRtQuery"));
    assert_eq!(out["version"], json!("1"));
    assert_eq!(out["derivedFrom"], json!("System/PersistentQuery"));
    assert_eq!(
        out["inheritanceHierarchy"],
        json!(["System/PersistentQuery", "System/Entity"])
    );
    let attributes = &out["attributes"];
    let from_entity = find(attributes, "name", "RtBlueprintSource");
    assert_eq!(from_entity["inheritedFrom"], json!("System/Entity"));
    assert_eq!(from_entity["isOptional"], json!(true));
    assert_eq!(from_entity["isRequired"], json!(false));
    let name = find(attributes, "name", "Name");
    assert_eq!(name["inheritedFrom"], json!("System/PersistentQuery"));
    assert_eq!(
        name["attributeId"].as_str().map(|id| id.contains('/')),
        Some(true)
    );
    let optional = out["optionalAttributes"].as_array().expect("list");
    assert!(optional.contains(&json!("RtBlueprintSource")), "{out}");
    let required = out["requiredAttributes"].as_array().expect("list");
    assert_eq!(
        required.len() + optional.len(),
        attributes.as_array().map_or(0, Vec::len)
    );
    // Record values come with the record's fields, so a caller can write them.
    let sorting = find(attributes, "name", "Sorting");
    assert_eq!(sorting["valueType"], json!("RecordArray"));
    assert_eq!(sorting["recordId"], json!("System/SortOrderItem"));
    assert!(
        sorting["recordFields"]
            .as_array()
            .is_some_and(|fields| !fields.is_empty()),
        "{sorting}"
    );
    // The root type's own indexes apply to every derived type's entities.
    let indexes = out["indexes"].as_array().expect("indexes");
    assert!(
        indexes
            .iter()
            .any(|index| index["inheritedFrom"] == json!("System/Entity")),
        "{out}"
    );
}

both_backends!(enum_attributes_list_their_values);
async fn enum_attributes_list_their_values(store: Arc<dyn Store>) {
    let (platform, registry) = registry(store).await;
    import_energy(&platform).await;
    let out = schema(&registry, "Octo.Industry.Energy/EnergyMeter").await;
    let carrier = find(&out["attributes"], "name", "EnergyCarrier");
    assert_eq!(carrier["valueType"], json!("Enum"));
    assert_eq!(carrier["isRequired"], json!(true));
    assert!(carrier["enumId"].is_string(), "{carrier}");
    let values = carrier["enumValues"].as_array().expect("values");
    assert!(!values.is_empty(), "{carrier}");
    assert!(
        values
            .iter()
            .all(|v| v["name"].is_string() && v["key"].is_i64())
    );
    let required = out["requiredAttributes"].as_array().expect("list");
    assert!(required.contains(&json!("Number")), "{out}");
}

both_backends!(associations_appear_in_both_directions_with_where_they_are_declared);
async fn associations_appear_in_both_directions_with_where_they_are_declared(
    store: Arc<dyn Store>,
) {
    let (platform, registry) = registry(store).await;
    let entity = schema(&registry, "System/Entity").await;
    let related = find(&entity["outboundAssociations"], "roleId", "System/Related");
    assert_eq!(related["direction"], json!("Outbound"));
    assert_eq!(related["navigationName"], json!("RelatesTo"));
    assert!(related.get("inheritedFrom").is_none(), "{related}");
    let related_in = find(&entity["inboundAssociations"], "roleId", "System/Related");
    assert_eq!(related_in["navigationName"], json!("RelatesFrom"));

    import_energy(&platform).await;
    let equipment = schema(&registry, "Octo.Assets/Equipment").await;
    let parents: Vec<&Value> = equipment["outboundAssociations"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|a| a["roleId"] == json!("System/ParentChild"))
        .collect();
    assert!(!parents.is_empty(), "{equipment}");
    for parent in &parents {
        assert_eq!(parent["navigationName"], json!("Parent"));
        assert_eq!(parent["multiplicity"], json!("One"));
        assert_eq!(parent["originCkTypeId"], json!("Octo.Assets/Equipment"));
    }
    assert!(
        parents
            .iter()
            .any(|p| p["otherCkTypeId"] == json!("Octo.Assets/Building")),
        "{equipment}"
    );

    let building = schema(&registry, "Octo.Assets/Building").await;
    let children = building["inboundAssociations"]
        .as_array()
        .expect("list")
        .iter()
        .find(|a| {
            a["roleId"] == json!("System/ParentChild")
                && a["otherCkTypeId"] == json!("Octo.Assets/Equipment")
        })
        .unwrap_or_else(|| panic!("Equipment children in {building}"));
    assert_eq!(children["direction"], json!("Inbound"));
    assert_eq!(children["navigationName"], json!("Children"));
    assert_eq!(children["multiplicity"], json!("N"));

    // A derived type inherits its ancestors' associations and says from where.
    let meter = schema(&registry, "Octo.Industry.Energy/EnergyMeter").await;
    let inherited = meter["outboundAssociations"]
        .as_array()
        .expect("list")
        .iter()
        .find(|a| a["roleId"] == json!("System/ParentChild"))
        .unwrap_or_else(|| panic!("ParentChild in {meter}"));
    assert_eq!(inherited["inheritedFrom"], json!("Octo.Assets/Equipment"));
    let own = find(
        &meter["outboundAssociations"],
        "roleId",
        "Octo.Industry.Energy/SubMeterOf",
    );
    assert!(own.get("inheritedFrom").is_none(), "{own}");
}

both_backends!(an_imported_type_is_found_by_runtime_id_full_id_and_search);
async fn an_imported_type_is_found_by_runtime_id_full_id_and_search(store: Arc<dyn Store>) {
    let (platform, registry) = registry(store).await;
    import_energy(&platform).await;
    let by_runtime = schema(&registry, "Octo.Industry.Energy/EnergyMeter").await;
    assert_eq!(
        by_runtime["fullCkTypeId"],
        json!("Octo.Industry.Energy-1.0.0/EnergyMeter-1")
    );
    assert_eq!(
        by_runtime["derivedFrom"],
        json!("Octo.Assets/Equipment"),
        "{by_runtime}"
    );
    assert!(
        by_runtime["derivedTypes"]
            .as_array()
            .is_some_and(|d| d.contains(&json!("Octo.Industry.Energy/ElectricityMeter"))),
        "{by_runtime}"
    );
    let by_full = schema(&registry, "Octo.Industry.Energy-1.0.0/EnergyMeter-1").await;
    assert_eq!(
        by_full["ckTypeId"],
        json!("Octo.Industry.Energy/EnergyMeter")
    );
    assert_eq!(by_full["attributes"], by_runtime["attributes"]);

    let found = call(
        &registry,
        "search_types",
        json!({"searchTerm": "meter", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(found["isSuccess"], json!(true), "{found}");
    assert_eq!(found["searchTerm"], json!("meter"));
    assert_eq!(found["includeAbstract"], json!(false));
    let matches = ids(&found["matches"]);
    assert!(
        matches.contains(&"Octo.Industry.Energy/EnergyMeter"),
        "{found}"
    );
    assert_eq!(found["matchCount"], json!(matches.len()));
}

both_backends!(a_full_id_with_other_versions_names_the_loaded_one);
async fn a_full_id_with_other_versions_names_the_loaded_one(store: Arc<dyn Store>) {
    let (_, registry) = registry(store).await;
    let out = call(
        &registry,
        "get_type_schema",
        json!({"ckTypeId": "System-1.0.0/Entity-1", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(out["isSuccess"], json!(false));
    assert!(error(&out).contains("'System-2.2.2/Entity-1'"), "{out}");
    assert!(error(&out).contains("'System/Entity'"), "{out}");
}

both_backends!(an_unknown_type_suggests_close_names);
async fn an_unknown_type_suggests_close_names(store: Arc<dyn Store>) {
    let (platform, registry) = registry(store).await;
    let typo = call(
        &registry,
        "get_type_schema",
        json!({"ckTypeId": "System/Entty", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(typo["isSuccess"], json!(false));
    assert_eq!(typo["tenantId"], json!("octosystem"));
    let message = error(&typo);
    assert!(
        message.starts_with("CK type 'System/Entty' is not loaded in tenant 'octosystem'"),
        "{message}"
    );
    assert!(
        message.contains("Did you mean 'System/Entity'"),
        "{message}"
    );

    let missing_model = call(
        &registry,
        "get_type_schema",
        json!({"ckTypeId": "Octo.Industry.Energy/EnergyMeter", "tenantId": "octosystem"}),
    )
    .await;
    assert!(
        error(&missing_model).contains("the tenant has no model 'Octo.Industry.Energy'"),
        "{missing_model}"
    );

    import_energy(&platform).await;
    let wrong_model = call(
        &registry,
        "get_type_schema",
        json!({"ckTypeId": "Energy/EnergyMeter", "tenantId": "octosystem"}),
    )
    .await;
    assert!(
        error(&wrong_model).contains("'Octo.Industry.Energy/EnergyMeter'"),
        "{wrong_model}"
    );
}

both_backends!(a_malformed_type_id_is_explained);
async fn a_malformed_type_id_is_explained(store: Arc<dyn Store>) {
    let (platform, registry) = registry(store).await;
    for malformed in ["System/Not A Type", "EnergyMeter", "System-2/Entity"] {
        let out = call(
            &registry,
            "get_type_schema",
            json!({"ckTypeId": malformed, "tenantId": "octosystem"}),
        )
        .await;
        assert_eq!(out["isSuccess"], json!(false));
        assert!(error(&out).starts_with("Invalid CkTypeId"), "{out}");
    }
    // Even without a usable tenant, the id's own problem is what the caller hears about.
    let no_tenant = call(&registry, "get_type_schema", json!({"ckTypeId": "Pump"})).await;
    assert!(
        error(&no_tenant).starts_with("Invalid CkTypeId"),
        "{no_tenant}"
    );

    import_energy(&platform).await;
    let bare = call(
        &registry,
        "get_type_schema",
        json!({"ckTypeId": "EnergyMeter", "tenantId": "octosystem"}),
    )
    .await;
    assert!(error(&bare).starts_with("Invalid CkTypeId"), "{bare}");
    assert!(
        error(&bare).contains("'Octo.Industry.Energy/EnergyMeter'"),
        "{bare}"
    );
}

both_backends!(blank_required_arguments_are_reported_by_name);
async fn blank_required_arguments_are_reported_by_name(store: Arc<dyn Store>) {
    let (_, registry) = registry(store).await;
    let search = call(
        &registry,
        "search_types",
        json!({"searchTerm": "  ", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(error(&search), "searchTerm is required.");
    let schema = call(
        &registry,
        "get_type_schema",
        json!({"ckTypeId": "", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(error(&schema), "ckTypeId is required.");
}

both_backends!(search_mentions_abstract_matches_it_leaves_out);
async fn search_mentions_abstract_matches_it_leaves_out(store: Arc<dyn Store>) {
    let (_, registry) = registry(store).await;
    let concrete = call(
        &registry,
        "search_types",
        json!({"searchTerm": "QUERY", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(concrete["isSuccess"], json!(true), "{concrete}");
    let matches = ids(&concrete["matches"]);
    assert!(matches.contains(&"System/SimpleRtQuery"), "{concrete}");
    assert!(!matches.contains(&"System/PersistentQuery"), "{concrete}");
    assert!(
        concrete["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("System/PersistentQuery")),
        "{concrete}"
    );
    let all = call(
        &registry,
        "search_types",
        json!({"searchTerm": "query", "includeAbstract": true, "tenantId": "octosystem"}),
    )
    .await;
    assert!(
        ids(&all["matches"]).contains(&"System/PersistentQuery"),
        "{all}"
    );
    let none = call(
        &registry,
        "search_types",
        json!({"searchTerm": "zzzz", "tenantId": "octosystem"}),
    )
    .await;
    assert_eq!(none["isSuccess"], json!(true));
    assert_eq!(none["matchCount"], json!(0));
}

both_backends!(an_unknown_tenant_is_not_found);
async fn an_unknown_tenant_is_not_found(store: Arc<dyn Store>) {
    let (_, registry) = registry(store).await;
    let arguments = [
        json!({"tenantId": "nope"}),
        json!({"ckTypeId": "System/Entity", "tenantId": "nope"}),
        json!({"searchTerm": "entity", "tenantId": "nope"}),
    ];
    for (tool, arguments) in TOOLS.into_iter().zip(arguments) {
        let out = call(&registry, tool, arguments).await;
        assert!(
            error(&out).starts_with("Tenant 'nope' not found"),
            "{tool}: {out}"
        );
        assert_eq!(out["tenantId"], json!("nope"), "{tool}");
    }
}

both_backends!(no_tenant_at_all_is_no_tenant_could_be_resolved);
async fn no_tenant_at_all_is_no_tenant_could_be_resolved(store: Arc<dyn Store>) {
    let (_, registry) = registry(store).await;
    let arguments = [
        json!({}),
        json!({"ckTypeId": "System/Entity"}),
        json!({"searchTerm": "entity"}),
    ];
    for (tool, arguments) in TOOLS.into_iter().zip(arguments) {
        let out = call(&registry, tool, arguments).await;
        assert!(
            error(&out).starts_with("No tenant could be resolved"),
            "{tool}: {out}"
        );
    }
}

both_backends!(the_url_tenant_is_the_fallback);
async fn the_url_tenant_is_the_fallback(store: Arc<dyn Store>) {
    let (_, registry) = registry(store).await;
    let created = call(
        &registry,
        "create_tenant",
        json!({"childTenantId": "plant7"}),
    )
    .await;
    assert_eq!(created["isSuccess"], json!(true), "{created}");
    let arguments = [
        json!({}),
        json!({"ckTypeId": "System/Entity"}),
        json!({"searchTerm": "entity"}),
    ];
    for (tool, arguments) in TOOLS.into_iter().zip(arguments) {
        let out = call_at(&registry, tool, arguments, Some("plant7")).await;
        assert_eq!(out["isSuccess"], json!(true), "{tool}: {out}");
        assert_eq!(out["tenantId"], json!("plant7"), "{tool}");
    }
    let parameter_wins = call_at(
        &registry,
        "get_available_types",
        json!({"tenantId": "octosystem"}),
        Some("plant7"),
    )
    .await;
    assert_eq!(parameter_wins["tenantId"], json!("octosystem"));
}
