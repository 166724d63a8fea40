//! The embedded `System-2.2.2` base model that every tenant holds.
//!
//! It carries the element ids, value types, inheritance, optional flags,
//! indexes and enum keys of OctoMesh's System model, so that real models
//! built on it (`${System}/Entity`, `${System}/Name`,
//! `${System}/ParentChild`, …) import unchanged; the descriptions are our
//! own. The source is `models/System-2.2.2.yaml` in the single-document
//! form, compiled into the binary and parsed once on first use.

use std::sync::OnceLock;

use crate::error::CkError;
use crate::model::CkModel;
use crate::source::load_document;

/// The System model's name.
pub const SYSTEM_MODEL_NAME: &str = "System";

/// The embedded System model's id.
pub const SYSTEM_MODEL_ID: &str = "System-2.2.2";

/// The embedded System model's source text.
pub const SYSTEM_MODEL_SOURCE: &str = include_str!("../models/System-2.2.2.yaml");

/// The embedded System model, parsed on first use.
///
/// # Errors
/// Only if the embedded source does not load, which is a bug caught by this
/// crate's tests; callers get the error instead of a panic.
pub fn system_model() -> Result<&'static CkModel, CkError> {
    static MODEL: OnceLock<Result<CkModel, CkError>> = OnceLock::new();
    MODEL
        .get_or_init(|| load_document(SYSTEM_MODEL_SOURCE, "System-2.2.2.yaml"))
        .as_ref()
        .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validate_model;

    #[test]
    fn embedded_system_model_loads_and_validates() {
        let model = system_model().expect("the embedded System model loads");
        assert_eq!(model.id().to_string(), SYSTEM_MODEL_ID);
        assert_eq!(model.name(), SYSTEM_MODEL_NAME);
        assert!(model.dependencies().is_empty());
        let problems = validate_model(model);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn carries_the_elements_real_models_refer_to() {
        let model = system_model().expect("loads");
        let entity = model.type_def("Entity").expect("Entity");
        assert!(entity.is_abstract && !entity.is_final && entity.derived_from.is_none());
        assert_eq!(entity.id.to_string(), "Entity-1");
        for name in ["Name", "DisplayName", "Description", "Enabled", "TimeRange"] {
            assert!(model.attribute_def(name).is_some(), "{name}");
        }
        let parent_child = model.role_def("ParentChild").expect("ParentChild");
        assert_eq!(parent_child.outbound_name, "Parent");
        assert_eq!(parent_child.inbound_name, "Children");
        assert!(model.role_def("Related").is_some());
        assert!(model.record_def("TimeRange").is_some());
        let counts = (
            model.types().len(),
            model.attributes().len(),
            model.records().len(),
            model.enums().len(),
            model.association_roles().len(),
        );
        assert_eq!(counts, (19, 76, 6, 7, 2));
    }
}
