//! Helpers shared by the integration tests: fixture paths, the fixture
//! models, and zipping a folder in memory.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use octo_ck::{CkLibrary, CkModel, source, system_model};

/// `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The embedded System model.
pub fn system() -> CkModel {
    system_model().expect("embedded System model").clone()
}

/// The Demo.Plant fixture, loaded from its folder.
pub fn plant() -> CkModel {
    source::load_folder(fixture("plant")).expect("plant fixture loads")
}

/// System and Demo.Plant as a validated library.
pub fn plant_library() -> CkLibrary {
    CkLibrary::new(vec![system(), plant()]).expect("plant library validates")
}

/// A single-document model from YAML text, named `doc.yaml`.
pub fn doc(text: &str) -> CkModel {
    source::load_document(text, "doc.yaml").expect("document loads")
}

/// Zips every file below `dir`, under `prefix` (e.g. `plant/` or empty).
pub fn zip_folder(dir: &Path, prefix: &str) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut files = Vec::new();
    collect(dir, dir, &mut files);
    files.sort();
    for (relative, path) in files {
        writer
            .start_file(format!("{prefix}{relative}"), options)
            .expect("zip entry");
        writer
            .write_all(&std::fs::read(path).expect("fixture file"))
            .expect("zip write");
    }
    writer.finish().expect("zip finish").into_inner()
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).expect("fixture folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            let relative = path
                .strip_prefix(root)
                .expect("below root")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((relative, path));
        }
    }
}
