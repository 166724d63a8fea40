//! Folder catalogs, dependency resolution across catalogs (order and
//! conflicts) and the classification of model diffs.

mod common;

use common::{fixture, system};
use octo_ck::catalog::{CkCatalog, EmbeddedCatalog, FolderCatalog};
use octo_ck::resolve::{LoadedModels, resolve_dependencies};
use octo_ck::{ChangeKind, CkError, CkModel, diff};

fn acme() -> FolderCatalog {
    FolderCatalog::new("local", fixture("catalog"))
}

fn load(model: &str) -> CkModel {
    acme().load(model).expect("catalog model loads")
}

/// A tenant holding System and the given catalog models.
fn tenant(models: &[&str]) -> LoadedModels {
    let mut loaded: Vec<CkModel> = vec![system()];
    loaded.extend(models.iter().map(|m| load(m)));
    loaded.iter().collect()
}

#[test]
fn folder_catalog_lists_every_version_and_skips_other_folders() {
    let catalog = acme();
    assert_eq!(catalog.name(), "local");
    let ids: Vec<String> = catalog
        .list(Some("acme.base-"))
        .expect("lists")
        .iter()
        .map(|e| e.model_id.to_string())
        .collect();
    assert_eq!(
        ids,
        ["Acme.Base-1.0.0", "Acme.Base-1.1.0", "Acme.Base-2.0.0"]
    );
    let all = catalog.list(None).expect("lists");
    assert_eq!(all.len(), 9);
    assert!(all.iter().all(|e| !e.service_managed));
    let line = all
        .iter()
        .find(|e| e.model_id.to_string() == "Acme.Line-1.0.0")
        .expect("line");
    assert_eq!(line.dependencies[1].to_string(), "Acme.Base-[1.0,2.0)");
    assert_eq!(
        line.description.as_deref(),
        Some("Production lines built from Acme parts.")
    );
    // Searching covers descriptions.
    assert_eq!(catalog.list(Some("CYCLE")).expect("lists").len(), 2);
}

#[test]
fn folder_catalog_loads_by_id_or_highest_version() {
    assert_eq!(load("Acme.Base").id().to_string(), "Acme.Base-2.0.0");
    assert_eq!(load("Acme.Base-1.1.0").id().to_string(), "Acme.Base-1.1.0");
    assert_eq!(
        load("Acme.Base-1.1.0").type_def("Kit").expect("Kit").source,
        "types/model.yaml"
    );
    let err = acme().load("Acme.Base-3.0.0").expect_err("no such version");
    assert!(matches!(err, CkError::UnknownModel { .. }));
    assert_eq!(
        err.to_string(),
        "Catalog 'local' has no model 'Acme.Base-3.0.0'; it has 'Acme.Base-1.0.0', 'Acme.Base-1.1.0', 'Acme.Base-2.0.0'"
    );
    let missing = FolderCatalog::new("nowhere", fixture("no-such-folder"));
    assert!(matches!(missing.list(None), Err(CkError::Io { .. })));
}

#[test]
fn resolution_orders_dependencies_first_and_skips_loaded_ones() {
    let local = acme();
    let resolution = resolve_dependencies(&[&local], &tenant(&[]), "Acme.Line").expect("resolves");
    assert!(resolution.is_resolvable(), "{:?}", resolution.conflicts);
    assert_eq!(resolution.requested.to_string(), "Acme.Line-2.0.0");
    assert_eq!(
        resolution.model_ids_to_import(),
        ["Acme.Base-2.0.0", "Acme.Line-2.0.0"]
    );
    assert_eq!(resolution.to_import[0].catalog, "local");
    assert_eq!(
        resolution.satisfied.len(),
        2,
        "System twice: for Line and for Base"
    );

    // An older Line takes the highest Base its range allows.
    let resolution =
        resolve_dependencies(&[&local], &tenant(&[]), "Acme.Line-1.0.0").expect("resolves");
    assert_eq!(
        resolution.model_ids_to_import(),
        ["Acme.Base-1.1.0", "Acme.Line-1.0.0"]
    );

    // A compatible Base already loaded is kept.
    let resolution =
        resolve_dependencies(&[&local], &tenant(&["Acme.Base-1.0.0"]), "Acme.Line-1.0.0")
            .expect("resolves");
    assert_eq!(resolution.model_ids_to_import(), ["Acme.Line-1.0.0"]);
    assert!(
        resolution
            .satisfied
            .iter()
            .any(|s| s.loaded.to_string() == "Acme.Base-1.0.0")
    );
}

#[test]
fn catalogs_are_combined_and_system_comes_from_the_embedded_one() {
    let local = acme();
    let embedded = EmbeddedCatalog::new();
    let resolution = resolve_dependencies(&[&local, &embedded], &LoadedModels::new(), "Acme.Line")
        .expect("resolves");
    assert!(resolution.is_resolvable(), "{:?}", resolution.conflicts);
    assert_eq!(
        resolution.model_ids_to_import(),
        ["System-2.2.2", "Acme.Base-2.0.0", "Acme.Line-2.0.0"]
    );
    assert_eq!(resolution.to_import[0].catalog, "embedded");
}

#[test]
fn a_loaded_model_outside_the_range_is_a_conflict() {
    let local = acme();
    let resolution =
        resolve_dependencies(&[&local], &tenant(&["Acme.Base-2.0.0"]), "Acme.Line-1.0.0")
            .expect("resolves");
    assert!(!resolution.is_resolvable());
    assert_eq!(resolution.conflicts.len(), 1);
    let conflict = &resolution.conflicts[0];
    assert_eq!(
        conflict.found.as_ref().map(ToString::to_string).as_deref(),
        Some("Acme.Base-2.0.0")
    );
    assert_eq!(
        conflict.message,
        "'Acme.Line-1.0.0' requires 'Acme.Base-[1.0,2.0)', but the tenant holds 'Acme.Base-2.0.0' (found 2.0.0, required [1.0,2.0)); catalog 'local' has 'Acme.Base-1.1.0', so upgrade 'Acme.Base' first (check it with check_ck_upgrade)"
    );
    let err = resolution.into_plan().expect_err("conflict");
    assert!(
        err.to_string()
            .starts_with("Cannot import 'Acme.Line-1.0.0': 'Acme.Line-1.0.0' requires"),
        "{err}"
    );
}

#[test]
fn an_upgrade_that_breaks_a_loaded_model_is_a_conflict() {
    let local = acme();
    let loaded = tenant(&["Acme.Base-1.0.0", "Acme.Line-1.0.0"]);
    let resolution = resolve_dependencies(&[&local], &loaded, "Acme.Base-2.0.0").expect("resolves");
    assert_eq!(
        resolution.to_import[0]
            .replaces
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("Acme.Base-1.0.0")
    );
    assert_eq!(resolution.conflicts.len(), 1, "{:?}", resolution.conflicts);
    assert_eq!(
        resolution.conflicts[0].message,
        "replacing 'Acme.Base-1.0.0' with 'Acme.Base-2.0.0' would break the loaded model 'Acme.Line-1.0.0', which requires 'Acme.Base-[1.0,2.0)'"
    );
    // A compatible upgrade is fine.
    let resolution = resolve_dependencies(&[&local], &loaded, "Acme.Base-1.1.0").expect("resolves");
    assert!(resolution.is_resolvable(), "{:?}", resolution.conflicts);
    assert_eq!(resolution.model_ids_to_import(), ["Acme.Base-1.1.0"]);
}

#[test]
fn unsatisfiable_conflicting_and_cyclic_dependencies_are_reported() {
    let local = acme();
    let orphan = resolve_dependencies(&[&local], &tenant(&[]), "Acme.Orphan").expect("resolves");
    assert_eq!(
        orphan.conflicts[0].message,
        "'Acme.Orphan-1.0.0' requires 'Acme.Missing-[1.0,2.0)', which is not loaded and no catalog satisfies; no catalog has any version of it"
    );

    let combo = resolve_dependencies(&[&local], &tenant(&[]), "Acme.Combo").expect("resolves");
    assert_eq!(combo.conflicts.len(), 1, "{:?}", combo.conflicts);
    assert_eq!(
        combo.conflicts[0].message,
        "'Acme.Combo-1.0.0' requires 'Acme.Base-[1.0,2.0)', but 'Acme.Base-2.0.0' is already needed by another model being imported (found 2.0.0, required [1.0,2.0))"
    );

    let ring = resolve_dependencies(&[&local], &tenant(&[]), "Acme.Ring.A").expect("resolves");
    assert_eq!(ring.conflicts.len(), 1, "{:?}", ring.conflicts);
    assert!(
        ring.conflicts[0]
            .message
            .contains("depend on each other in a cycle")
    );

    let err = resolve_dependencies(&[&local], &tenant(&[]), "Acme.Lin").expect_err("unknown");
    assert!(
        err.to_string().contains("did you mean 'Acme.Line'"),
        "{err}"
    );
}

#[test]
fn compatible_upgrade_has_only_compatible_changes() {
    let d = diff(&load("Acme.Base-1.0.0"), &load("Acme.Base-1.1.0"));
    assert!(!d.is_breaking(), "{:?}", d.changes);
    let described: Vec<String> = d
        .changes
        .iter()
        .map(|c| format!("{}: {}", c.element, c.description))
        .collect();
    assert_eq!(
        described,
        [
            "type 'Acme.Base/Part': optional attribute 'Color' added",
            "type 'Acme.Base/Kit': added",
            "enum 'Acme.Base/Color': value 2 'Blue' added",
        ]
    );
    assert!(d.ensure_compatible().is_ok());
}

#[test]
fn breaking_upgrade_is_classified_and_refused() {
    let d = diff(&load("Acme.Base-1.1.0"), &load("Acme.Base-2.0.0"));
    let breaking: Vec<String> = d
        .breaking()
        .map(|c| format!("{}: {}", c.element, c.description))
        .collect();
    assert_eq!(
        breaking,
        [
            "type 'Acme.Base/Part': attribute 'Level' changed from optional to required",
            "type 'Acme.Base/Part': attribute 'Color' removed",
            "type 'Acme.Base/Part': required attribute 'Owner' added; existing entities have no value for it",
            "type 'Acme.Base/Legacy': removed",
            "type 'Acme.Base/Kit': removed",
            "attribute 'Acme.Base/Code': value type changed from String to Int",
            "enum 'Acme.Base/Color': value 1 'Green' removed",
            "association role 'Acme.Base/Uses': outbound multiplicity changed from N to ZeroOrOne",
        ]
    );
    let compatible: Vec<String> = d
        .compatible()
        .map(|c| format!("{}: {}", c.element, c.description))
        .collect();
    assert_eq!(compatible, ["attribute 'Acme.Base/Owner': added"]);
    let err = d.ensure_compatible().expect_err("breaking");
    assert!(err.to_string().starts_with("Upgrading 'Acme.Base-1.1.0' to 'Acme.Base-2.0.0' is not compatible: type 'Acme.Base/Part': attribute 'Level'"), "{err}");
    // Going back is breaking too: the added type and enum value disappear.
    let back = diff(&load("Acme.Base-1.1.0"), &load("Acme.Base-1.0.0"));
    assert!(back.breaking().any(|c| c.element == "type 'Acme.Base/Kit'"));
    assert!(
        back.changes.iter().all(|c| c.kind == ChangeKind::Breaking),
        "{:?}",
        back.changes
    );
}
