//! Every form of a model — folder, zip, single YAML or JSON document,
//! compiled document — loads to the same `CkModel`, and a `CkModel`
//! survives a JSON round trip unchanged.

mod common;

use common::{fixture, plant, system, zip_folder};
use octo_ck::catalog::EmbeddedCatalog;
use octo_ck::document::CkValueType;
use octo_ck::{ChangeKind, CkModel, diff, source};

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture file")
}

#[test]
fn folder_loads_with_every_element_and_its_source_file() {
    let model = plant();
    assert_eq!(model.id().to_string(), "Demo.Plant-1.0.0");
    assert_eq!(model.dependencies()[0].to_string(), "System-[2.0,3.0)");
    assert_eq!(
        model.description(),
        Some("A small pumping plant, written for octo-ck's tests.")
    );
    let counts = (
        model.types().len(),
        model.attributes().len(),
        model.records().len(),
        model.enums().len(),
        model.association_roles().len(),
    );
    assert_eq!(counts, (5, 17, 2, 2, 1));
    assert_eq!(
        model.type_def("Pump").expect("Pump").source,
        "types/pump.yaml"
    );
    assert_eq!(
        model.type_def("Machine").expect("Machine").source,
        "types/machine.yaml"
    );
    assert_eq!(
        model.record_def("Limit").expect("Limit").source,
        "records/setpoint.yaml"
    );
    assert_eq!(
        model.enum_def("PumpState").expect("enum").source,
        "enums/pumpState.yaml"
    );
    assert_eq!(
        model.role_def("Feeds").expect("role").source,
        "associations/plant.yaml"
    );
    // Every value type the schema defines appears in the fixture.
    for vt in CkValueType::ALL {
        assert!(
            model.attributes().iter().any(|a| a.value_type == vt),
            "{vt} is not covered"
        );
    }
}

#[test]
fn zip_loads_to_the_same_model_with_or_without_a_top_level_folder() {
    let folder = plant();
    let flat = source::load_zip(&zip_folder(&fixture("plant"), "")).expect("flat zip");
    assert_eq!(flat, folder);
    let nested = source::load_zip(&zip_folder(&fixture("plant"), "plant/")).expect("nested zip");
    assert_eq!(nested, folder);
}

#[test]
fn single_yaml_and_json_documents_load_to_the_same_content() {
    let folder = plant();
    let yaml = source::load_document(&read("plant.yaml"), "plant.yaml").expect("yaml");
    let json = source::load_document(&read("plant.json"), "plant.json").expect("json");
    assert_eq!(yaml.to_document(), folder.to_document());
    assert_eq!(json.to_document(), folder.to_document());
    // The JSON writes `System/Name` where the folder writes `${System}/Name`:
    // both resolve to the same reference.
    assert!(read("plant.json").contains("\"System/Name\""));
    assert_eq!(
        json.type_def("Tank").expect("Tank").attributes,
        folder.type_def("Tank").expect("Tank").attributes
    );
    assert_eq!(yaml.type_def("Pump").expect("Pump").source, "plant.yaml");
}

#[test]
fn compiled_form_loads_with_its_extra_fields() {
    let folder = plant();
    let compiled = source::load_compiled(&read("plant-compiled.json"), "plant-compiled.json")
        .expect("compiled");
    assert_eq!(compiled.dependencies()[0].to_string(), "System-2.2.2");
    assert_eq!(
        compiled
            .type_def("Station")
            .expect("Station")
            .is_collection_root,
        Some(true)
    );
    let base = compiled
        .type_def("Tank")
        .and_then(|t| t.derived_from.as_ref())
        .expect("base");
    assert_eq!(base.to_string(), "System-2.2.2/Entity-1");
    // Apart from the pinned dependency the content is the folder's.
    let d = diff(&folder, &compiled);
    assert_eq!(d.changes.len(), 1, "{:?}", d.changes);
    assert_eq!(d.changes[0].kind, ChangeKind::Compatible);
    assert!(d.changes[0].description.contains("'System-2.2.2'"));
}

#[test]
fn path_loading_picks_the_form() {
    let folder = plant();
    assert_eq!(source::load_path(fixture("plant")).expect("folder"), folder);
    let yaml = source::load_path(fixture("plant.yaml")).expect("file");
    assert_eq!(yaml.to_document(), folder.to_document());
}

#[test]
fn model_to_document_and_back_is_lossless() {
    let folder = plant();
    let text = export_json(&folder);
    let back = source::load_document(&text, "exported.json").expect("exported document loads");
    assert_eq!(back.to_document(), folder.to_document());
}

fn export_json(model: &CkModel) -> String {
    serde_json::to_string_pretty(&model.to_document()).expect("serializes")
}

#[test]
fn ck_model_json_round_trip_gives_the_same_model() {
    let mut models = vec![plant(), system()];
    models.extend(EmbeddedCatalog::models().expect("embedded").iter().cloned());
    for model in models {
        let json = serde_json::to_string(&model).expect("serializes");
        let back: CkModel = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, model, "{}", model.id());
    }
}

#[test]
fn ck_model_json_uses_readable_ids() {
    let json = serde_json::to_value(plant()).expect("serializes");
    assert_eq!(json["id"], "Demo.Plant-1.0.0");
    let pump = &json["types"][2];
    assert_eq!(pump["id"], "Pump-1");
    assert_eq!(pump["derivedFrom"], "Demo.Plant/Machine");
    assert_eq!(pump["source"], "types/pump.yaml");
}
