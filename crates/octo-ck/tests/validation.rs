//! Each validation problem is found, reported together with the others,
//! and named by file, element and field.

mod common;

use common::{doc, fixture, system};
use octo_ck::{CkError, CkLibrary, CkModel, source, validate_model, validate_models};

/// The messages of every problem `model` has on its own.
fn problems(model: &CkModel) -> Vec<String> {
    validate_model(model)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The messages of every problem `models` have together.
fn set_problems(models: &[&CkModel]) -> Vec<String> {
    validate_models(models.iter().copied())
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn assert_one(messages: &[String], parts: &[&str]) {
    assert!(
        messages.iter().any(|m| parts.iter().all(|p| m.contains(p))),
        "no message contains all of {parts:?}:\n{}",
        messages.join("\n")
    );
}

#[test]
fn the_broken_folder_reports_every_problem_with_its_place() {
    let broken = source::load_folder(fixture("broken")).expect("syntax is fine");
    let all = set_problems(&[&system(), &broken]);
    assert_eq!(all.len(), 6, "{}", all.join("\n"));
    assert_one(
        &all,
        &[
            "types/broken.yaml, type 'Widget', field 'derivedFromCkTypeId'",
            "unknown type 'System/Entiy'",
            "did you mean 'System/Entity'",
        ],
    );
    assert_one(
        &all,
        &[
            "types/broken.yaml",
            "types derive from each other in a cycle",
            "Demo.Broken/LoopA -> Demo.Broken/LoopB -> Demo.Broken/LoopA",
        ],
    );
    assert_one(
        &all,
        &[
            "types/broken.yaml, type 'Special', field 'derivedFromCkTypeId'",
            "'System/Tenant' is final",
        ],
    );
    assert_one(
        &all,
        &[
            "types/broken.yaml, type 'Gadget', field 'derivedFromCkTypeId'",
            "refers to model 'Basic', which is not a dependency",
        ],
    );
    assert_one(
        &all,
        &[
            "attributes/broken.yaml, attribute 'Mode'",
            "value type Enum needs 'valueCkEnumId'",
        ],
    );
    assert_one(
        &all,
        &[
            "attributes/broken.yaml, attribute 'Size', field 'defaultValues'",
            "default value 'big' does not fit",
        ],
    );
    // The library refuses the set and carries all problems in one error.
    let err = CkLibrary::new(vec![system(), broken]).expect_err("invalid");
    assert_eq!(err.problems().len(), 6);
    assert!(
        err.to_string()
            .starts_with("The CK library has 6 problem(s):"),
        "{err}"
    );
}

#[test]
fn unknown_references_say_which_reference_and_where() {
    let model = doc("modelId: Demo.Refs-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: Mode
    valueType: Enum
    valueCkEnumId: ${this}/Modes
  - id: Shape
    valueType: Record
    valueCkRecordId: ${this}/Mode
types:
  - typeId: Box
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Sise
        name: Size
    associations:
      - id: ${this}/Holds
        targetCkTypeId: ${this}/Box
      - id: ${System}/ParentChild
        targetCkTypeId: ${this}/Crate
      - id: ${System}/Related
        targetCkTypeId: ${this}/Box
        targetAttributes:
          - ${System}/Nmae
");
    let all = set_problems(&[&system(), &model]);
    assert_eq!(all.len(), 6, "{}", all.join("\n"));
    assert_one(
        &all,
        &[
            "doc.yaml, attribute 'Mode', field 'valueCkEnumId'",
            "unknown enum 'Demo.Refs/Modes'",
        ],
    );
    assert_one(
        &all,
        &[
            "doc.yaml, attribute 'Shape', field 'valueCkRecordId'",
            "'Demo.Refs/Mode' is an attribute, not a record",
        ],
    );
    assert_one(
        &all,
        &[
            "type 'Box', field 'attributes 'Size''",
            "unknown attribute 'Demo.Refs/Sise'",
        ],
    );
    assert_one(
        &all,
        &[
            "type 'Box', field 'associations 'Demo.Refs/Holds''",
            "unknown association role",
        ],
    );
    assert_one(&all, &["targetCkTypeId", "unknown type 'Demo.Refs/Crate'"]);
    assert_one(
        &all,
        &[
            "targetAttributes",
            "unknown attribute 'System/Nmae'",
            "did you mean 'System/Name'",
        ],
    );
}

#[test]
fn pinned_versions_must_match() {
    let model = doc("modelId: Demo.Pins-1.0.0
dependencies:
  - System-[2.0,3.0)
types:
  - typeId: A
    derivedFromCkTypeId: System-2.1.0/Entity
  - typeId: B
    derivedFromCkTypeId: ${System}/Entity-2
");
    let all = set_problems(&[&system(), &model]);
    assert_eq!(all.len(), 2, "{}", all.join("\n"));
    assert_one(
        &all,
        &[
            "type 'A'",
            "pins model version 2.1.0, but 'System-2.2.2' is loaded",
        ],
    );
    assert_one(
        &all,
        &["type 'B'", "'System/Entity' exists in version 1, not 2"],
    );
}

#[test]
fn duplicate_ids_name_both_files() {
    let dir = fixture("plant");
    // Two element files defining the same attribute: zip part of the plant
    // folder with an extra file.
    let zip = {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        for name in [
            "ckModel.yaml",
            "attributes/process.yaml",
            "enums/pumpState.yaml",
            "records/setpoint.yaml",
        ] {
            w.start_file(name, opts).expect("entry");
            w.write_all(&std::fs::read(dir.join(name)).expect("read"))
                .expect("write");
        }
        w.start_file("attributes/more.yaml", opts).expect("entry");
        w.write_all(b"attributes:\n  - id: FlowRate\n    valueType: Int\n")
            .expect("write");
        w.finish().expect("finish").into_inner()
    };
    let model = source::load_zip(&zip).expect("loads");
    let all = problems(&model);
    assert_eq!(all.len(), 1, "{}", all.join("\n"));
    assert_eq!(
        all[0],
        "Duplicate attribute id 'Demo.Plant/FlowRate': defined in attributes/more.yaml and again in attributes/process.yaml; rename or remove one of them"
    );
}

#[test]
fn value_types_and_their_enum_or_record() {
    let model = doc("modelId: Demo.Values-1.0.0
attributes:
  - id: Items
    valueType: RecordArray
  - id: Count
    valueType: Int
    valueCkEnumId: ${this}/Mode
    defaultValues: [3000000000]
  - id: Mode
    valueType: Enum
    valueCkEnumId: ${this}/Modes
    defaultValues: [7, Auto]
enums:
  - enumId: Modes
    values:
      - key: 0
        name: Auto
      - key: 0
        name: Manual
      - key: 1
        name: Manual
");
    let all = problems(&model);
    assert_eq!(all.len(), 6, "{}", all.join("\n"));
    assert_one(
        &all,
        &[
            "attribute 'Items'",
            "value type RecordArray needs 'valueCkRecordId'",
        ],
    );
    assert_one(
        &all,
        &[
            "attribute 'Count', field 'valueCkEnumId'",
            "value type Int does not use an enum",
        ],
    );
    assert_one(&all, &["attribute 'Count'", "3000000000", "32-bit integer"]);
    assert_one(
        &all,
        &[
            "attribute 'Mode', field 'defaultValues'",
            "default value 7",
            "0 (Auto)",
        ],
    );
    assert_one(
        &all,
        &[
            "enum 'Modes', field 'values 'Manual''",
            "key 0 is used twice",
        ],
    );
    assert_one(&all, &["enum 'Modes'", "name 'Manual' is used twice"]);
}

#[test]
fn attribute_names_are_unique_including_inherited_ones() {
    let model = doc("modelId: Demo.Names-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: Code
    valueType: String
types:
  - typeId: Base
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${System}/Name
        name: Name
  - typeId: Child
    derivedFromCkTypeId: ${this}/Base
    attributes:
      - id: ${this}/Code
        name: Name
      - id: ${this}/Code
        name: Code
      - id: ${this}/Code
        name: Code
      - id: ${this}/Code
        name: RtBlueprintSource
      - id: ${this}/Code
        name: lowerCase
");
    let all = set_problems(&[&system(), &model]);
    assert_eq!(all.len(), 4, "{}", all.join("\n"));
    assert_one(
        &all,
        &[
            "type 'Demo.Names/Child', field 'attributes 'Name''",
            "already used by type 'Demo.Names/Base'",
        ],
    );
    assert_one(
        &all,
        &["attributes 'Code'", "already used earlier in this type"],
    );
    assert_one(
        &all,
        &["attributes 'RtBlueprintSource'", "by type 'System/Entity'"],
    );
    assert_one(
        &all,
        &[
            "field 'attributes 'lowerCase''",
            "the name 'lowerCase' is invalid",
        ],
    );
}

#[test]
fn records_inherit_and_may_not_cycle_or_extend_final_ones() {
    let model = doc("modelId: Demo.Records-1.0.0
attributes:
  - id: X
    valueType: Int
records:
  - recordId: Sealed
    isFinal: true
    attributes:
      - id: ${this}/X
        name: X
  - recordId: Open
    derivedFromCkRecordId: ${this}/Sealed
  - recordId: Ping
    derivedFromCkRecordId: ${this}/Pong
  - recordId: Pong
    derivedFromCkRecordId: ${this}/Ping
");
    let all = problems(&model);
    assert_eq!(all.len(), 2, "{}", all.join("\n"));
    assert_one(
        &all,
        &[
            "record 'Open', field 'derivedFromCkRecordId'",
            "'Demo.Records/Sealed' is final",
        ],
    );
    assert_one(
        &all,
        &[
            "records derive from each other in a cycle",
            "Demo.Records/Ping",
        ],
    );
}

#[test]
fn element_ids_and_names_follow_the_schema_spelling() {
    let model = doc("modelId: Demo.Spelling-1.0.0
attributes:
  - id: lower
    valueType: String
associationRoles:
  - id: Link
    inboundName: linked_from
    outboundName: LinksTo
    inboundMultiplicity: N
    outboundMultiplicity: N
");
    let all = problems(&model);
    assert_eq!(all.len(), 2, "{}", all.join("\n"));
    assert_one(
        &all,
        &[
            "attribute 'lower', field 'id'",
            "the name 'lower' is invalid",
        ],
    );
    assert_one(
        &all,
        &[
            "association role 'Link', field 'inboundName'",
            "'linked_from'",
        ],
    );
}

#[test]
fn missing_and_incompatible_dependencies_name_model_and_range() {
    let needs_basic = doc("modelId: Demo.NeedsBasic-1.0.0
dependencies:
  - System-[3.0,4.0)
  - Basic-[2.0,3.0)
");
    let all = set_problems(&[&system(), &needs_basic]);
    assert_eq!(all.len(), 2, "{}", all.join("\n"));
    assert_one(
        &all,
        &[
            "Model 'Demo.NeedsBasic-1.0.0' depends on 'Basic-[2.0,3.0)'",
            "no model named 'Basic' is loaded",
        ],
    );
    assert_one(
        &all,
        &[
            "depends on 'System-[3.0,4.0)'",
            "'System-2.2.2' is loaded",
            "found 2.2.2, required [3.0,4.0)",
        ],
    );
    // On its own the model is fine: dependencies are a question for the set.
    assert!(problems(&needs_basic).is_empty());
}

#[test]
fn dependency_cycles_duplicates_and_self_dependencies() {
    let a =
        doc("modelId: Demo.A-1.0.0\ndependencies:\n  - Demo.B-[1.0,2.0)\n  - Demo.A-[1.0,2.0)\n");
    let b =
        doc("modelId: Demo.B-1.0.0\ndependencies:\n  - Demo.A-[1.0,2.0)\n  - Demo.A-[1.0,2.0)\n");
    let b2 = doc("modelId: Demo.B-1.1.0\n");
    let all = set_problems(&[&a, &b, &b2]);
    assert_eq!(all.len(), 4, "{}", all.join("\n"));
    assert_one(
        &all,
        &["Models depend on each other in a cycle: Demo.A-1.0.0 -> Demo.B-1.0.0 -> Demo.A-1.0.0"],
    );
    assert_one(
        &all,
        &["Model 'Demo.B' is loaded twice (Demo.B-1.0.0 and Demo.B-1.1.0)"],
    );
    assert_one(
        &all,
        &[
            "doc.yaml, field 'dependencies'",
            "'Demo.A-[1.0,2.0)' names the model itself",
        ],
    );
    assert_one(&all, &["repeats a dependency on 'Demo.A'"]);
}

#[test]
fn syntax_errors_stop_loading_and_name_the_file() {
    let err = source::load_document(
        "modelId: Demo.X-1.0.0\ntypes:\n  - typeId: A\n    attributes: 3\n",
        "x.yaml",
    )
    .expect_err("bad shape");
    assert!(matches!(err, CkError::Parse { .. }), "{err:?}");
    assert!(err.to_string().starts_with("x.yaml: "), "{err}");
    let err = source::load_document(
        "modelId: Demo.X-1.0.0\nattributes:\n  - id: A\n    valueType: Integer\n",
        "x.yaml",
    )
    .expect_err("bad value type");
    assert!(
        err.to_string().contains("unknown variant `Integer`"),
        "{err}"
    );
    let err = source::load_folder(fixture("catalog")).expect_err("not a model folder");
    assert!(matches!(err, CkError::MissingModelFile { .. }), "{err:?}");
}
