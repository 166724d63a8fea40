//! Real OctoMesh models load, validate and fit our embedded System model.
//!
//! Set `OCTO_CK_REFERENCE_DIR` to a folder holding OctoMesh's `System` and
//! `Basic` model folders (for example the construction-kit reference
//! material's `models/`) to check them: both load, validate together, and
//! our embedded System model has exactly the reference System's elements
//! (ids, value types, inheritance, flags, indexes, enum keys — everything
//! but descriptions), so Basic validates against ours as well. Without the
//! variable the test checks the embedded System model and a model of our
//! own built on it, so it always asserts something and the repository
//! needs nothing outside itself.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use octo_ck::{CkLibrary, CkModel, source, system_model, validate_model};
use serde_json::{Value, json};

/// Everything about a model's elements except descriptions and source
/// files, keyed by element.
fn shape(model: &CkModel) -> BTreeMap<String, Value> {
    let uses = |uses: &[octo_ck::model::CkAttributeUse]| -> Value {
        uses.iter()
            .map(|u| json!([u.attribute.to_string(), u.name, u.is_optional]))
            .collect()
    };
    let mut out = BTreeMap::new();
    for t in model.types() {
        let associations: Vec<Value> = t
            .associations
            .iter()
            .map(|a| json!([a.role.to_string(), a.target.to_string()]))
            .collect();
        out.insert(
            format!("type {}", t.id),
            json!({
                "derivedFrom": t.derived_from.as_ref().map(ToString::to_string),
                "abstract": t.is_abstract,
                "final": t.is_final,
                "attributes": uses(&t.attributes),
                "associations": associations,
                "indexes": serde_json::to_value(&t.indexes).unwrap_or_default(),
            }),
        );
    }
    for a in model.attributes() {
        out.insert(
            format!("attribute {}", a.id),
            json!({
                "valueType": a.value_type.as_str(),
                "enum": a.value_enum.as_ref().map(ToString::to_string),
                "record": a.value_record.as_ref().map(ToString::to_string),
                "defaults": serde_json::to_value(&a.default_values).unwrap_or_default(),
            }),
        );
    }
    for r in model.records() {
        out.insert(
            format!("record {}", r.id),
            json!({
                "derivedFrom": r.derived_from.as_ref().map(ToString::to_string),
                "attributes": uses(&r.attributes),
            }),
        );
    }
    for e in model.enums() {
        let values: Vec<Value> = e.values.iter().map(|v| json!([v.key, v.name])).collect();
        out.insert(
            format!("enum {}", e.id),
            json!({ "values": values, "flags": e.use_flags, "extensible": e.is_extensible }),
        );
    }
    for r in model.association_roles() {
        out.insert(
            format!("role {}", r.id),
            json!([
                r.outbound_name,
                r.outbound_multiplicity.as_str(),
                r.inbound_name,
                r.inbound_multiplicity.as_str()
            ]),
        );
    }
    out
}

#[test]
fn real_models_load_validate_and_fit_the_embedded_system_model() {
    let ours = system_model().expect("embedded System model").clone();
    assert!(validate_model(&ours).is_empty());
    match std::env::var_os("OCTO_CK_REFERENCE_DIR").map(PathBuf::from) {
        Some(dir) => {
            let system = source::load_folder(dir.join("System")).expect("reference System loads");
            let basic = source::load_folder(dir.join("Basic")).expect("reference Basic loads");
            assert_eq!(system.id(), ours.id());
            let (theirs, mine) = (shape(&system), shape(&ours));
            let differing: Vec<&String> = theirs
                .keys()
                .chain(mine.keys())
                .filter(|k| theirs.get(*k) != mine.get(*k))
                .collect();
            assert!(differing.is_empty(), "elements differ: {differing:?}");
            CkLibrary::new(vec![system, basic.clone()]).expect("reference models validate");
            let library = CkLibrary::new(vec![ours, basic]).expect("Basic validates on our System");
            let tree_node = library.get_type("Basic/TreeNode").expect("TreeNode");
            assert!(tree_node.attribute("Name").is_some());
        }
        None => {
            let library = CkLibrary::new(vec![ours, common::plant()])
                .expect("a model built on the embedded System validates");
            let pump = library.get_type("Demo.Plant/Pump").expect("Pump");
            assert_eq!(
                pump.ancestors.last().map(ToString::to_string).as_deref(),
                Some("System/Entity")
            );
        }
    }
}
