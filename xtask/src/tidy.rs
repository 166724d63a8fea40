//! Tidy checks, run as plain tests by `cargo test -p xtask`: rules about the source tree that a
//! compiler does not check but the architecture relies on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layer of each crate: a crate may depend only on crates of a lower layer, so dependencies
/// point downward (docs/architecture.md). A new crate must be placed here.
const LAYERS: &[(&str, u8)] = &[
    ("octo-ids", 0),
    ("octo-store", 1),
    ("octo-ck", 2),
    ("octo-tenancy", 2),
    ("octo-test-support", 2),
    ("octo-ck-service", 3),
    ("octo-auth", 3),
    ("octo-transfer", 3),
    ("octo-dev-idp", 4),
    ("octo-entities", 4),
    ("octo-streamdata", 4),
    ("octo-exchange", 5),
    ("octo-tools", 6),
    ("octo-mcp", 7),
    ("mcp-http", 8),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn crates() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .expect("crates/ exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The workspace crates named in the `[dependencies]` table of a manifest.
fn internal_dependencies(manifest: &str) -> Vec<String> {
    let known: Vec<&str> = LAYERS.iter().map(|(name, _)| *name).collect();
    let mut in_dependencies = false;
    let mut found = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if !in_dependencies {
            continue;
        }
        let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
        if known.contains(&name) {
            found.push(name.to_owned());
        }
    }
    found
}

#[test]
fn every_module_starts_with_a_doc_comment() {
    let mut files = Vec::new();
    for dir in crates() {
        rust_files(&dir.join("src"), &mut files);
    }
    rust_files(&root().join("xtask/src"), &mut files);
    let missing: Vec<String> = files
        .iter()
        .filter(|file| {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "these modules do not start with a `//!` doc comment saying what they are:\n{}",
        missing.join("\n")
    );
}

#[test]
fn dependencies_point_downward() {
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut problems = Vec::new();
    for dir in crates() {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(layer) = layers.get(name.as_str()) else {
            problems.push(format!(
                "crate {name} has no layer: add it to LAYERS in xtask/src/tidy.rs and to docs/architecture.md"
            ));
            continue;
        };
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        for dependency in internal_dependencies(&manifest) {
            let theirs = layers.get(dependency.as_str()).copied().unwrap_or(u8::MAX);
            if theirs >= *layer {
                problems.push(format!(
                    "{name} (layer {layer}) depends on {dependency} (layer {theirs}): dependencies must point downward"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_crate_is_described_in_the_architecture_doc() {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap_or_default();
    let missing: Vec<String> = crates()
        .iter()
        .filter_map(|dir| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|name| !doc.contains(&format!("### `crates/{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/architecture.md has no `### `crates/<name>`` section for: {}",
        missing.join(", ")
    );
}

#[test]
fn dependency_lines_are_read() {
    let manifest = "[dependencies]\nocto-ids.workspace = true\nserde = \"1\"\n\n[dev-dependencies]\nocto-store.workspace = true\n";
    assert_eq!(internal_dependencies(manifest), ["octo-ids"]);
}

/// Every crate says in its README what it offers a service that embeds it (issue 9).
#[test]
fn every_crate_has_a_readme() {
    let missing: Vec<String> = crates()
        .into_iter()
        .filter(|dir| !dir.join("README.md").is_file())
        .map(|dir| dir.display().to_string())
        .collect();
    assert!(missing.is_empty(), "crates without README.md: {missing:?}");
}
