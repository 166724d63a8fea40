//! Loading a [`CkModel`] from any of its forms:
//!
//! - a model folder: `ckModel.yaml` plus element files in `types/`,
//!   `attributes/`, `records/`, `enums/`, `associations/` (any `.yaml`,
//!   `.yml` or `.json` file below the folder is read) — [`load_folder`];
//! - a zip of such a folder, with the files at the top level or inside one
//!   top-level folder — [`load_zip`];
//! - a single YAML or JSON document holding the fields of `ckModel.yaml` and
//!   all element lists together, or the compiled form
//!   (`construction-kit-compiled.schema.json`) — [`load_document`].
//!
//! Loading checks syntax: the files must match the schemas, ids must be
//! spelt correctly and references must have one of the accepted forms. It
//! reports every such problem at once. Whether references point at existing
//! elements, inheritance is sound and dependencies are present is checked
//! by [`crate::validate`] and [`crate::CkLibrary`].

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use octo_ids::{CkElementKind, CkLocalId, CkModelDependency, CkModelId};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::document::{
    CkElementsDocument, CkModelDocument, CkModelMetaDocument, CkTypeAttributeDocument,
};
use crate::error::{CkError, Location};
use crate::model::{
    CkAssociationRoleDef, CkAttributeDef, CkAttributeUse, CkEnumDef, CkEnumValue, CkModel,
    CkRecordDef, CkTypeAssociation, CkTypeDef,
};
use crate::reference::{CkElementRef, resolve_reference};

/// The file holding a model folder's id and dependencies.
pub const MODEL_FILE: &str = "ckModel.yaml";

/// Largest model (all files together, uncompressed) the loaders accept. Real
/// models are a few hundred kilobytes; the limit stops zip bombs.
pub const MAX_MODEL_BYTES: u64 = 64 * 1024 * 1024;

const MODEL_FILE_NAMES: [&str; 3] = [MODEL_FILE, "ckModel.yml", "ckModel.json"];

/// Loads a model from a folder, a zip file, or a single YAML/JSON document,
/// depending on what `path` is.
///
/// # Errors
/// Read errors and every syntax problem found, see [`load_folder`],
/// [`load_zip`] and [`load_document`].
pub fn load_path(path: impl AsRef<Path>) -> Result<CkModel, CkError> {
    let path = path.as_ref();
    if path.is_dir() {
        return load_folder(path);
    }
    let bytes = std::fs::read(path).map_err(|e| io_error(path, &e))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    if name.to_lowercase().ends_with(".zip") {
        return load_zip(&bytes);
    }
    let text = String::from_utf8(bytes).map_err(|_| CkError::Parse {
        file: name.clone(),
        message: "the file is not UTF-8 text".to_owned(),
    })?;
    load_document(&text, &name)
}

/// Loads a model folder: `ckModel.yaml` at its top and element files below.
/// Hidden entries (starting with `.`) are skipped.
///
/// # Errors
/// [`CkError::Io`] if the folder cannot be read,
/// [`CkError::MissingModelFile`] without `ckModel.yaml`, otherwise every
/// syntax problem found (several as [`CkError::Invalid`]).
pub fn load_folder(path: impl AsRef<Path>) -> Result<CkModel, CkError> {
    let root = path.as_ref();
    let mut files = BTreeMap::new();
    let mut total = 0;
    collect_folder(root, root, &mut files, &mut total)?;
    load_files(&root.display().to_string(), &files)
}

fn io_error(path: &Path, e: &std::io::Error) -> CkError {
    CkError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn is_model_file_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

fn collect_folder(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<String, String>,
    total: &mut u64,
) -> Result<(), CkError> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, &e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let file_type = entry.file_type().map_err(|e| io_error(&path, &e))?;
        if file_type.is_dir() {
            collect_folder(root, &path, files, total)?;
        } else if is_model_file_name(&name) {
            let bytes = std::fs::read(&path).map_err(|e| io_error(&path, &e))?;
            *total += bytes.len() as u64;
            if *total > MAX_MODEL_BYTES {
                return Err(CkError::TooLarge {
                    what: format!("The model folder '{}'", root.display()),
                    limit: MAX_MODEL_BYTES,
                });
            }
            let relative = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let text = String::from_utf8(bytes).map_err(|_| CkError::Parse {
                file: relative.clone(),
                message: "the file is not UTF-8 text".to_owned(),
            })?;
            files.insert(relative, text);
        }
    }
    Ok(())
}

/// Loads a model from the bytes of a zip archive of a model folder. The
/// folder's files may sit at the top of the archive or inside a single
/// top-level folder. An archive with no `ckModel.yaml` but exactly one
/// YAML/JSON file is read as a single document.
///
/// # Errors
/// [`CkError::Zip`] for a broken archive, [`CkError::TooLarge`] beyond
/// [`MAX_MODEL_BYTES`], otherwise as [`load_folder`].
pub fn load_zip(bytes: &[u8]) -> Result<CkModel, CkError> {
    let zip_error = |e: zip::result::ZipError| CkError::Zip {
        message: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zip_error)?;
    let mut files = BTreeMap::new();
    let mut total = 0_u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(zip_error)?;
        let name = entry.name().replace('\\', "/");
        let hidden = name
            .split('/')
            .any(|part| part.starts_with('.') || part == "__MACOSX");
        if entry.is_dir() || hidden || !is_model_file_name(&name) {
            continue;
        }
        let remaining = MAX_MODEL_BYTES.saturating_sub(total);
        let mut content = Vec::new();
        // `take` guards against archives that lie about their sizes.
        (&mut entry)
            .take(remaining + 1)
            .read_to_end(&mut content)
            .map_err(|e| CkError::Zip {
                message: format!("cannot extract '{name}': {e}"),
            })?;
        total += content.len() as u64;
        if total > MAX_MODEL_BYTES {
            return Err(CkError::TooLarge {
                what: "The zip archive's content".to_owned(),
                limit: MAX_MODEL_BYTES,
            });
        }
        let text = String::from_utf8(content).map_err(|_| CkError::Parse {
            file: name.clone(),
            message: "the file is not UTF-8 text".to_owned(),
        })?;
        files.insert(name.trim_start_matches('/').to_owned(), text);
    }
    let model_files: Vec<&String> = files
        .keys()
        .filter(|k| {
            let file = k.rsplit('/').next().unwrap_or(k);
            MODEL_FILE_NAMES.contains(&file)
        })
        .collect();
    let Some(shallowest) = model_files.iter().min_by_key(|k| k.matches('/').count()) else {
        if files.len() == 1
            && let Some((name, text)) = files.iter().next()
        {
            return load_document(text, name);
        }
        return Err(CkError::MissingModelFile {
            place: "the zip archive".to_owned(),
        });
    };
    let prefix = match shallowest.rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/"),
        None => String::new(),
    };
    let inside: BTreeMap<String, String> = files
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(&prefix)
                .map(|rel| (rel.to_owned(), v.clone()))
        })
        .collect();
    load_files("the zip archive", &inside)
}

/// Loads a model from one YAML or JSON document: the single-document form
/// (the fields of `ckModel.yaml` and all element lists, references as in
/// the folder) or the compiled form. `name` is used as the source file of
/// every element and in error messages, e.g. `plant.yaml`.
///
/// # Errors
/// [`CkError::Parse`] for syntax and schema errors, otherwise every id and
/// reference problem found.
pub fn load_document(text: &str, name: &str) -> Result<CkModel, CkError> {
    let document: CkModelDocument = parse(text, name)?;
    from_document(&document, name)
}

/// Loads a model in the compiled form (`construction-kit-compiled.schema.json`).
/// The compiled form is a single document, so this is [`load_document`];
/// it exists so that call sites say which form they expect.
///
/// # Errors
/// As [`load_document`].
pub fn load_compiled(text: &str, name: &str) -> Result<CkModel, CkError> {
    load_document(text, name)
}

/// Builds a model from an already parsed single document.
///
/// # Errors
/// Every id and reference problem found.
pub fn from_document(document: &CkModelDocument, name: &str) -> Result<CkModel, CkError> {
    let mut builder = Builder::new(&document.meta(), name)?;
    builder.add_elements(&document.elements(), name, true);
    builder.model.migrations.clone_from(&document.migrations);
    builder.finish()
}

/// Reads only a folder's `ckModel.yaml`: enough to list a model in a
/// catalog without loading its elements.
///
/// # Errors
/// [`CkError::MissingModelFile`], [`CkError::Io`] or [`CkError::Parse`].
pub fn read_meta(folder: impl AsRef<Path>) -> Result<CkModelMetaDocument, CkError> {
    let folder = folder.as_ref();
    for file in MODEL_FILE_NAMES {
        let path = folder.join(file);
        if path.is_file() {
            let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, &e))?;
            return parse(&text, file);
        }
    }
    Err(CkError::MissingModelFile {
        place: format!("'{}'", folder.display()),
    })
}

/// Parses YAML or JSON (chosen by the file name, or by a leading `{`),
/// ignoring a byte-order mark, which some editors write.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, CkError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let json = file.to_lowercase().ends_with(".json") || text.trim_start().starts_with('{');
    let result = if json {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| e.to_string())
    };
    result.map_err(|message| CkError::Parse {
        file: file.to_owned(),
        message,
    })
}

/// Only the `$schema` of a file, to tell element files from other files
/// that may live in a model folder.
#[derive(Deserialize)]
struct SchemaPeek {
    #[serde(rename = "$schema", default)]
    schema: Option<String>,
}

/// What to do with a file in a model folder, judged by its `$schema`.
enum FileRole {
    Elements,
    /// Belongs to another tool (runtime data, migrations, build config).
    Other,
    Unknown(String),
}

fn file_role(text: &str, file: &str) -> Result<FileRole, CkError> {
    let peek: SchemaPeek = parse(text, file)?;
    Ok(match peek.schema {
        None => FileRole::Elements,
        Some(s) if s.ends_with("construction-kit-elements.schema.json") => FileRole::Elements,
        Some(s)
            if s.contains("runtime-") || s.contains("model-config") || s.contains("migration") =>
        {
            FileRole::Other
        }
        Some(s) => FileRole::Unknown(s),
    })
}

/// Loads a model from its files (relative path → text).
fn load_files(place: &str, files: &BTreeMap<String, String>) -> Result<CkModel, CkError> {
    let Some((meta_file, meta_text)) = MODEL_FILE_NAMES
        .iter()
        .find_map(|name| files.get_key_value(*name))
    else {
        return Err(CkError::MissingModelFile {
            place: place.to_owned(),
        });
    };
    let meta: CkModelMetaDocument = parse(meta_text, meta_file)?;
    let mut builder = Builder::new(&meta, meta_file)?;
    for (file, text) in files {
        if file == meta_file || text.trim_start_matches('\u{feff}').trim().is_empty() {
            continue;
        }
        match file_role(text, file) {
            Ok(FileRole::Elements) => match parse::<CkElementsDocument>(text, file) {
                Ok(doc) => builder.add_elements(&doc, file, false),
                Err(e) => builder.problems.push(e),
            },
            Ok(FileRole::Other) => {}
            Ok(FileRole::Unknown(schema)) => builder.problems.push(CkError::UnknownSchema {
                file: file.clone(),
                schema,
            }),
            Err(e) => builder.problems.push(e),
        }
    }
    builder.finish()
}

/// Turns documents into a [`CkModel`], collecting every problem.
struct Builder {
    model: CkModel,
    problems: Vec<CkError>,
}

fn element(noun: &str, id: &str) -> String {
    format!("{noun} '{id}'")
}

impl Builder {
    fn new(meta: &CkModelMetaDocument, file: &str) -> Result<Self, CkError> {
        let id: CkModelId = meta.model_id.parse().map_err(|source| CkError::InvalidId {
            location: Location::new(file, "", "modelId"),
            source,
        })?;
        let mut problems = Vec::new();
        let mut dependencies = Vec::new();
        for dep in &meta.dependencies {
            match dep.parse::<CkModelDependency>() {
                Ok(d) => dependencies.push(d),
                Err(source) => problems.push(CkError::InvalidId {
                    location: Location::new(file, "", "dependencies"),
                    source,
                }),
            }
        }
        let mut model = CkModel::new(id, meta.description.clone(), dependencies);
        file.clone_into(&mut model.source);
        Ok(Self { model, problems })
    }

    fn finish(self) -> Result<CkModel, CkError> {
        let subject = format!("Model '{}'", self.model.id());
        match CkError::from_problems(subject, self.problems) {
            None => Ok(self.model),
            Some(e) => Err(e),
        }
    }

    fn local_id<K: CkElementKind>(
        &mut self,
        text: &str,
        location: &Location,
    ) -> Option<CkLocalId<K>> {
        let parsed = if text.contains('-') {
            text.parse()
        } else {
            CkLocalId::new(text, 1)
        };
        parsed
            .map_err(|source| {
                self.problems.push(CkError::InvalidId {
                    location: location.clone(),
                    source,
                });
            })
            .ok()
    }

    fn reference<K: CkElementKind>(
        &mut self,
        text: &str,
        location: Location,
    ) -> Option<CkElementRef<K>> {
        resolve_reference(text, self.model.name())
            .map_err(|reason| {
                self.problems.push(CkError::InvalidReference {
                    location,
                    reference: text.to_owned(),
                    reason,
                });
            })
            .ok()
    }

    fn uses(
        &mut self,
        uses: &[CkTypeAttributeDocument],
        location: &Location,
    ) -> Vec<CkAttributeUse> {
        uses.iter()
            .filter_map(|u| {
                let attribute = self.reference(
                    &u.id,
                    location.with_field(format!("attributes '{}'", u.name)),
                )?;
                Some(CkAttributeUse {
                    attribute,
                    name: u.name.clone(),
                    is_optional: u.is_optional.unwrap_or(false),
                    auto_increment_reference: u.auto_increment_reference.clone(),
                    auto_complete_values: u.auto_complete_values.clone(),
                })
            })
            .collect()
    }

    /// Adds the elements of one file; `compiled` allows the fields only the
    /// compiled form has.
    fn add_elements(&mut self, doc: &CkElementsDocument, file: &str, compiled: bool) {
        for a in &doc.attributes {
            let location = Location::new(file, element("attribute", &a.id), "");
            let Some(id) = self.local_id(&a.id, &location.with_field("id")) else {
                continue;
            };
            let value_enum = a
                .value_ck_enum_id
                .as_deref()
                .and_then(|r| self.reference(r, location.with_field("valueCkEnumId")));
            let value_record = a
                .value_ck_record_id
                .as_deref()
                .and_then(|r| self.reference(r, location.with_field("valueCkRecordId")));
            self.model.attributes.push(CkAttributeDef {
                id,
                value_type: a.value_type,
                value_enum,
                value_record,
                default_values: a.default_values.clone(),
                is_runtime_state: a.is_runtime_state.unwrap_or(false),
                description: a.description.clone(),
                meta_data: a.meta_data.clone(),
                source: file.to_owned(),
            });
        }
        for t in &doc.types {
            let location = Location::new(file, element("type", &t.type_id), "");
            if !compiled && t.is_collection_root.is_some() {
                self.problems.push(CkError::FieldNotAllowed {
                    location: location.with_field("isCollectionRoot"),
                    reason: "isCollectionRoot belongs to the compiled form only; remove it from the element file".to_owned(),
                });
            }
            let Some(id) = self.local_id(&t.type_id, &location.with_field("typeId")) else {
                continue;
            };
            let derived_from = t
                .derived_from_ck_type_id
                .as_deref()
                .and_then(|r| self.reference(r, location.with_field("derivedFromCkTypeId")));
            let attributes = self.uses(&t.attributes, &location);
            let associations = t
                .associations
                .iter()
                .filter_map(|a| {
                    let field = format!("associations '{}'", a.id);
                    let role = self.reference(&a.id, location.with_field(field.clone()));
                    let target = self.reference(
                        &a.target_ck_type_id,
                        location.with_field(format!("{field} targetCkTypeId")),
                    );
                    let target_attributes = a
                        .target_attributes
                        .iter()
                        .filter_map(|r| {
                            self.reference(
                                r,
                                location.with_field(format!("{field} targetAttributes")),
                            )
                        })
                        .collect();
                    Some(CkTypeAssociation {
                        role: role?,
                        target: target?,
                        target_attributes,
                    })
                })
                .collect();
            self.model.types.push(CkTypeDef {
                id,
                derived_from,
                is_abstract: t.is_abstract.unwrap_or(false),
                is_final: t.is_final.unwrap_or(false),
                description: t.description.clone(),
                display_name_rule: t.display_name_rule.clone(),
                display_description_rule: t.display_description_rule.clone(),
                attributes,
                indexes: t.indexes.clone(),
                associations,
                enable_change_stream_pre_and_post_images: t
                    .enable_change_stream_pre_and_post_images
                    .unwrap_or(false),
                is_collection_root: t.is_collection_root,
                source: file.to_owned(),
            });
        }
        for r in &doc.records {
            let location = Location::new(file, element("record", &r.record_id), "");
            let Some(id) = self.local_id(&r.record_id, &location.with_field("recordId")) else {
                continue;
            };
            let derived_from = r
                .derived_from_ck_record_id
                .as_deref()
                .and_then(|d| self.reference(d, location.with_field("derivedFromCkRecordId")));
            let attributes = self.uses(&r.attributes, &location);
            self.model.records.push(CkRecordDef {
                id,
                derived_from,
                is_abstract: r.is_abstract.unwrap_or(false),
                is_final: r.is_final.unwrap_or(false),
                attributes,
                enable_change_stream_pre_and_post_images: r
                    .enable_change_stream_pre_and_post_images
                    .unwrap_or(false),
                description: r.description.clone(),
                source: file.to_owned(),
            });
        }
        for e in &doc.enums {
            let location = Location::new(file, element("enum", &e.enum_id), "enumId");
            let Some(id) = self.local_id(&e.enum_id, &location) else {
                continue;
            };
            self.model.enums.push(CkEnumDef {
                id,
                values: e
                    .values
                    .iter()
                    .map(|v| CkEnumValue {
                        key: v.key,
                        name: v.name.clone(),
                        description: v.description.clone(),
                        is_extension: v.is_extension.unwrap_or(false),
                    })
                    .collect(),
                use_flags: e.use_flags.unwrap_or(false),
                is_extensible: e.is_extensible.unwrap_or(false),
                description: e.description.clone(),
                source: file.to_owned(),
            });
        }
        for r in &doc.association_roles {
            let location = Location::new(file, element("association role", &r.id), "");
            let Some(id) = self.local_id(&r.id, &location.with_field("id")) else {
                continue;
            };
            let attributes = self.uses(&r.attributes, &location);
            self.model.association_roles.push(CkAssociationRoleDef {
                id,
                inbound_name: r.inbound_name.clone(),
                outbound_name: r.outbound_name.clone(),
                inbound_multiplicity: r.inbound_multiplicity,
                outbound_multiplicity: r.outbound_multiplicity,
                attributes,
                description: r.description.clone(),
                source: file.to_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\u{feff}modelId: Demo.Tiny-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: Speed
    valueType: Double
types:
  - typeId: Fan
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Speed
        name: Speed
        isOptional: true
";

    #[test]
    fn single_document_loads_with_bom() {
        let model = load_document(DOC, "tiny.yaml").expect("loads");
        assert_eq!(model.id().to_string(), "Demo.Tiny-1.0.0");
        let fan = model.type_def("Fan").expect("Fan");
        assert_eq!(fan.id.to_string(), "Fan-1");
        assert_eq!(fan.source, "tiny.yaml");
        assert_eq!(
            fan.derived_from
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("System/Entity")
        );
        assert_eq!(fan.attributes[0].attribute.to_string(), "Demo.Tiny/Speed");
        assert!(fan.attributes[0].is_optional);
    }

    #[test]
    fn every_syntax_problem_is_reported_with_its_place() {
        let text = "modelId: Demo.Tiny-1.0.0
dependencies: [System-2.0]
attributes:
  - id: Bad-Id-x
    valueType: String
types:
  - typeId: Fan
    derivedFromCkTypeId: Entity
";
        let err = load_document(text, "tiny.yaml").expect_err("problems");
        assert_eq!(err.problems().len(), 3, "{err}");
        let msg = err.to_string();
        assert!(msg.contains("tiny.yaml, field 'dependencies'"), "{msg}");
        assert!(
            msg.contains("tiny.yaml, attribute 'Bad-Id-x', field 'id'"),
            "{msg}"
        );
        assert!(
            msg.contains("tiny.yaml, type 'Fan', field 'derivedFromCkTypeId': the reference 'Entity' is invalid"),
            "{msg}"
        );
    }

    #[test]
    fn bad_model_id_and_unknown_fields_fail_early() {
        let err = load_document("modelId: Tiny\n", "t.yaml").expect_err("no version");
        assert!(
            err.to_string()
                .starts_with("t.yaml, field 'modelId': Invalid CkModelId"),
            "{err}"
        );
        let err = load_document(
            "modelId: T-1.0.0\ntypes:\n  - typeId: A\n    isAbstrct: true\n",
            "t.yaml",
        )
        .expect_err("unknown field");
        assert!(err.to_string().contains("isAbstrct"), "{err}");
    }

    #[test]
    fn compiled_form_keeps_migrations_and_collection_roots() {
        let text = r#"{
  "$schema": "https://schemas.meshmakers.cloud/construction-kit-compiled.schema.json",
  "modelId": "Demo.Compiled-1.0.0",
  "types": [{ "typeId": "Root", "isCollectionRoot": true }],
  "migrations": { "meta": { "note": "kept as written" } }
}"#;
        let model = load_compiled(text, "compiled.json").expect("loads");
        assert_eq!(
            model.type_def("Root").and_then(|t| t.is_collection_root),
            Some(true)
        );
        assert_eq!(
            model.migrations().and_then(|m| m["meta"]["note"].as_str()),
            Some("kept as written")
        );
    }

    fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        use std::io::Write;
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, text) in files {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("entry");
            writer.write_all(text.as_bytes()).expect("write");
        }
        writer.finish().expect("finish").into_inner()
    }

    #[test]
    fn folder_files_are_judged_by_their_schema() {
        let zip = zip_of(&[
            ("m/ckModel.yaml", "modelId: Demo.Files-1.0.0\n"),
            ("m/types/a.yaml", "types:\n  - typeId: A\n"),
            (
                "m/data/seed.yaml",
                "$schema: https://schemas.meshmakers.cloud/runtime-model.schema.json\ndependencies: []\nentities: []\n",
            ),
            ("m/empty.yaml", "\n"),
            ("m/.hidden/x.yaml", "not: an element file\n"),
            ("m/README.md", "ignored"),
        ]);
        let model = load_zip(&zip).expect("loads");
        assert_eq!(model.types().len(), 1);
        assert_eq!(model.types()[0].source, "types/a.yaml");

        let zip = zip_of(&[
            ("ckModel.yaml", "modelId: Demo.Files-1.0.0\n"),
            (
                "types/a.yaml",
                "$schema: https://example.com/other.json\ntypes: []\n",
            ),
            (
                "types/b.yaml",
                "types:\n  - typeId: B\n    isCollectionRoot: true\n",
            ),
        ]);
        let err = load_zip(&zip).expect_err("two problems");
        assert_eq!(err.problems().len(), 2, "{err}");
        assert!(
            matches!(err.problems()[0], CkError::UnknownSchema { .. }),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("types/b.yaml, type 'B', field 'isCollectionRoot': isCollectionRoot belongs to the compiled form only"),
            "{err}"
        );
    }

    #[test]
    fn zips_without_a_model_file() {
        let single = zip_of(&[("plant.yaml", "modelId: Demo.Single-1.0.0\n")]);
        assert_eq!(
            load_zip(&single).expect("single document").name(),
            "Demo.Single"
        );
        let none = zip_of(&[("a.yaml", "x: 1\n"), ("b.yaml", "y: 2\n")]);
        assert!(matches!(
            load_zip(&none),
            Err(CkError::MissingModelFile { .. })
        ));
        assert!(matches!(load_zip(b"not a zip"), Err(CkError::Zip { .. })));
    }

    #[test]
    fn json_is_detected() {
        let model = load_document(r#"{"modelId": "Demo.Json-1.0.0"}"#, "inline").expect("json");
        assert_eq!(model.name(), "Demo.Json");
    }
}
