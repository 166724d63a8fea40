//! OctoMesh's runtime-model file format, as its JSON Schemas (`runtime-model.schema.json` and
//! the `runtime-elements-*` parts) define it: `{dependencies, entities[]}`, each entity with
//! `rtId`, `ckTypeId`, optional `rtWellKnownName`, times, `rtState`, `attributes[{id, value}]`
//! and `associations[{roleId, targetRtId, targetCkTypeId}]`. A record value is
//! `{ckRecordId, attributes[{id, value}]}`. Unknown fields are refused, as the schemas'
//! `additionalProperties: false` demands.
//!
//! Files are JSON, YAML, or a zip holding such files (OctoMesh's exports are zips); the
//! reader tells them apart by content, the writer by the file name.

use std::fs::File;
use std::io::{BufRead, BufWriter, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ExchangeError;

/// The schema URL written into files, as OctoMesh writes it.
pub const SCHEMA_URL: &str = "https://schemas.meshmakers.cloud/runtime-model.schema.json";

/// The name of the one document inside a zip this server writes.
pub const ZIP_ENTRY: &str = "runtime-model.json";

/// A whole runtime-model document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuntimeModel {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The CK models the entities' types come from, e.g. `Basic-[2.0,3.0)`.
    pub dependencies: Vec<String>,
    pub entities: Vec<RtEntityDoc>,
}

/// One entity of a runtime model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RtEntityDoc {
    pub rt_id: String,
    pub ck_type_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rt_well_known_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rt_creation_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rt_changed_date_time: Option<String>,
    /// `Active` or `Archived`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rt_state: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<RtAttributeDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<RtAssociationDoc>,
}

/// One attribute value: `id` is the attribute's runtime id (`System/Name`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RtAttributeDoc {
    pub id: String,
    #[serde(default)]
    pub value: Value,
}

/// One outbound association of an entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RtAssociationDoc {
    pub role_id: String,
    pub target_rt_id: String,
    pub target_ck_type_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_ck_attribute_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<RtAttributeDoc>,
}

/// How a file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Json,
    Yaml,
    /// A zip holding one JSON document, [`ZIP_ENTRY`].
    Zip,
}

impl FileFormat {
    /// The format a file name asks for: `.json`, `.yaml`/`.yml`, else a zip (OctoMesh's
    /// default export name is `export.zip`).
    #[must_use]
    pub fn from_file_name(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Self::Json
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Self::Yaml
        } else {
            Self::Zip
        }
    }
}

/// Reads a runtime-model file: JSON, YAML, or a zip of JSON/YAML documents (merged in name
/// order).
///
/// # Errors
/// [`ExchangeError::Format`] naming the document and the position of the first problem.
pub fn read_file(path: &Path) -> Result<RuntimeModel, ExchangeError> {
    let bytes = std::fs::read(path)?;
    read_bytes(&bytes)
}

/// [`read_file`] on bytes already in memory.
///
/// # Errors
/// As [`read_file`].
pub fn read_bytes(bytes: &[u8]) -> Result<RuntimeModel, ExchangeError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return read_zip(bytes);
    }
    parse_document("the file", bytes)
}

/// The largest YAML document an import reads: YAML is parsed whole in memory (JSON is
/// streamed), so a bigger file is refused with a message saying to use JSON.
pub const MAX_YAML_BYTES: u64 = 64 * 1024 * 1024;

/// Streams the entities of the runtime-model file at `path` to `each`, in file order, and
/// returns the file's dependencies (of every document, in a zip). JSON documents (also inside a
/// zip) are read entity by entity with constant memory; YAML documents are read whole, up to
/// [`MAX_YAML_BYTES`]. An error from `each` stops the reading and is returned.
///
/// # Errors
/// [`ExchangeError::Format`] naming the document and the position of the first problem;
/// I/O errors; whatever `each` returns.
pub fn stream_file(
    path: &Path,
    mut each: impl FnMut(RtEntityDoc) -> Result<(), ExchangeError>,
) -> Result<Vec<String>, ExchangeError> {
    let mut file = std::fs::File::open(path)?;
    let mut magic = [0_u8; 4];
    let read = read_up_to(&mut file, &mut magic)?;
    let mut dependencies = Vec::new();
    if magic[..read] == *b"PK\x03\x04" {
        let mut archive = zip::ZipArchive::new(std::fs::File::open(path)?)
            .map_err(|error| ExchangeError::Format(format!("the zip cannot be opened: {error}")))?;
        let names = document_names(archive.file_names());
        if names.is_empty() {
            return Err(ExchangeError::Format(
                "the zip holds no .json, .yaml or .yml document".to_owned(),
            ));
        }
        for name in names {
            let entry = archive
                .by_name(&name)
                .map_err(|error| ExchangeError::Format(format!("'{name}' in the zip: {error}")))?;
            let size = entry.size();
            let found = stream_document(&format!("'{name}' in the zip"), entry, size, &mut each)?;
            for dependency in found {
                if !dependencies.contains(&dependency) {
                    dependencies.push(dependency);
                }
            }
        }
        return Ok(dependencies);
    }
    let size = file.metadata()?.len();
    stream_document("the file", std::fs::File::open(path)?, size, &mut each)
}

fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> Result<usize, std::io::Error> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// The `.json`, `.yaml` and `.yml` names of a zip, sorted.
fn document_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = names
        .filter(|name| {
            let lower = name.to_ascii_lowercase();
            lower.ends_with(".json") || lower.ends_with(".yaml") || lower.ends_with(".yml")
        })
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

/// One JSON or YAML document (told apart by its first character) streamed to `each`.
fn stream_document(
    what: &str,
    reader: impl Read,
    size: u64,
    each: &mut impl FnMut(RtEntityDoc) -> Result<(), ExchangeError>,
) -> Result<Vec<String>, ExchangeError> {
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, reader);
    // Skip a byte-order mark and leading white space to see how the document starts.
    let first = loop {
        let buffer = reader.fill_buf()?;
        let Some(&byte) = buffer.first() else {
            break None;
        };
        if buffer.starts_with(&[0xEF, 0xBB, 0xBF]) {
            reader.consume(3);
        } else if byte.is_ascii_whitespace() {
            reader.consume(1);
        } else {
            break Some(byte);
        }
    };
    if first == Some(b'{') {
        let mut failure = None;
        let mut deserializer = serde_json::Deserializer::from_reader(reader);
        let seed = ModelSeed {
            each,
            failure: &mut failure,
        };
        let parsed = serde::de::DeserializeSeed::deserialize(seed, &mut deserializer)
            .and_then(|dependencies| deserializer.end().map(|()| dependencies));
        if let Some(error) = failure {
            return Err(error);
        }
        return parsed.map_err(|error| not_a_model(what, true, &error.to_string()));
    }
    if size > MAX_YAML_BYTES {
        return Err(ExchangeError::Format(format!(
            "{what} is YAML of {} MiB; YAML is read whole in memory, so imports take YAML of \
             up to {} MiB. Convert it to JSON (streamed, no size limit) or split it.",
            size / (1024 * 1024),
            MAX_YAML_BYTES / (1024 * 1024)
        )));
    }
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let model = parse_document(what, &bytes)?;
    drop(bytes);
    for doc in model.entities {
        each(doc)?;
    }
    Ok(model.dependencies)
}

fn not_a_model(what: &str, json: bool, error: &str) -> ExchangeError {
    ExchangeError::Format(format!(
        "{what} is not a runtime model ({} expected: {{dependencies, entities[]}} as in \
         runtime-model.schema.json): {error}",
        if json { "JSON" } else { "YAML" }
    ))
}

/// The top-level object of a JSON runtime model, with `entities` handed to `each` one by one.
struct ModelSeed<'a, F> {
    each: &'a mut F,
    /// The error `each` returned, if it stopped the reading.
    failure: &'a mut Option<ExchangeError>,
}

const MODEL_FIELDS: &[&str] = &["$schema", "dependencies", "entities"];

impl<'de, F> serde::de::DeserializeSeed<'de> for ModelSeed<'_, F>
where
    F: FnMut(RtEntityDoc) -> Result<(), ExchangeError>,
{
    type Value = Vec<String>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Vec<String>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, F> serde::de::Visitor<'de> for ModelSeed<'_, F>
where
    F: FnMut(RtEntityDoc) -> Result<(), ExchangeError>,
{
    type Value = Vec<String>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object {dependencies, entities[]}")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
        use serde::de::Error;
        let mut dependencies = None;
        let mut entities = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "$schema" => {
                    map.next_value::<Option<String>>()?;
                }
                "dependencies" => dependencies = Some(map.next_value::<Vec<String>>()?),
                "entities" => {
                    map.next_value_seed(EntitiesSeed {
                        each: &mut *self.each,
                        failure: &mut *self.failure,
                    })?;
                    entities = true;
                }
                other => return Err(A::Error::unknown_field(other, MODEL_FIELDS)),
            }
        }
        if !entities {
            return Err(A::Error::missing_field("entities"));
        }
        dependencies.ok_or_else(|| A::Error::missing_field("dependencies"))
    }
}

/// The `entities` array, element by element.
struct EntitiesSeed<'a, F> {
    each: &'a mut F,
    failure: &'a mut Option<ExchangeError>,
}

impl<'de, F> serde::de::DeserializeSeed<'de> for EntitiesSeed<'_, F>
where
    F: FnMut(RtEntityDoc) -> Result<(), ExchangeError>,
{
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F> serde::de::Visitor<'de> for EntitiesSeed<'_, F>
where
    F: FnMut(RtEntityDoc) -> Result<(), ExchangeError>,
{
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of entities")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        use serde::de::Error;
        let mut index = 0_usize;
        while let Some(doc) = seq
            .next_element::<RtEntityDoc>()
            .map_err(|error| A::Error::custom(format!("entities[{index}]: {error}")))?
        {
            if let Err(error) = (self.each)(doc) {
                *self.failure = Some(error);
                return Err(A::Error::custom("the import stopped"));
            }
            index += 1;
        }
        Ok(())
    }
}

fn read_zip(bytes: &[u8]) -> Result<RuntimeModel, ExchangeError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|error| ExchangeError::Format(format!("the zip cannot be opened: {error}")))?;
    let names = document_names(archive.file_names());
    if names.is_empty() {
        return Err(ExchangeError::Format(
            "the zip holds no .json, .yaml or .yml document".to_owned(),
        ));
    }
    let mut merged = RuntimeModel::default();
    for name in names {
        let mut entry = archive
            .by_name(&name)
            .map_err(|error| ExchangeError::Format(format!("'{name}' in the zip: {error}")))?;
        let mut content = Vec::new();
        entry.read_to_end(&mut content)?;
        let model = parse_document(&format!("'{name}' in the zip"), &content)?;
        if merged.schema.is_none() {
            merged.schema = model.schema;
        }
        for dependency in model.dependencies {
            if !merged.dependencies.contains(&dependency) {
                merged.dependencies.push(dependency);
            }
        }
        merged.entities.extend(model.entities);
    }
    Ok(merged)
}

fn parse_document(what: &str, bytes: &[u8]) -> Result<RuntimeModel, ExchangeError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|error| ExchangeError::Format(format!("{what} is not UTF-8 text: {error}")))?;
    let text = text.trim_start_matches('\u{feff}');
    let json = text.trim_start().starts_with('{');
    let parsed = if json {
        serde_json::from_str(text).map_err(|error| error.to_string())
    } else {
        serde_yaml_ng::from_str(text).map_err(|error| error.to_string())
    };
    parsed.map_err(|error| {
        ExchangeError::Format(format!(
            "{what} is not a runtime model ({} expected: {{dependencies, entities[]}} as in \
             runtime-model.schema.json): {error}",
            if json { "JSON" } else { "YAML" }
        ))
    })
}

/// Writes a runtime model entity by entity, so an export never holds all of it in memory.
pub struct RuntimeModelWriter {
    sink: Sink,
    format: FileFormat,
    written: u64,
}

enum Sink {
    Plain(BufWriter<File>),
    Zip(Box<zip::ZipWriter<BufWriter<File>>>),
}

impl Sink {
    fn out(&mut self) -> &mut dyn Write {
        match self {
            Self::Plain(file) => file,
            Self::Zip(zip) => zip.as_mut(),
        }
    }
}

impl std::fmt::Debug for RuntimeModelWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeModelWriter")
            .field("format", &self.format)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

fn io(error: impl std::fmt::Display) -> ExchangeError {
    ExchangeError::Io(std::io::Error::other(error.to_string()))
}

impl RuntimeModelWriter {
    /// Creates `path` and writes the head of the document.
    ///
    /// # Errors
    /// I/O errors.
    pub fn create(
        path: &Path,
        format: FileFormat,
        dependencies: &[String],
    ) -> Result<Self, ExchangeError> {
        let file = BufWriter::new(File::create(path)?);
        let sink = match format {
            FileFormat::Zip => {
                let mut zip = zip::ZipWriter::new(file);
                zip.start_file(
                    ZIP_ENTRY,
                    zip::write::SimpleFileOptions::default()
                        .compression_method(zip::CompressionMethod::Deflated),
                )
                .map_err(io)?;
                Sink::Zip(Box::new(zip))
            }
            FileFormat::Json | FileFormat::Yaml => Sink::Plain(file),
        };
        let mut writer = Self {
            sink,
            format,
            written: 0,
        };
        let out = writer.sink.out();
        match format {
            FileFormat::Yaml => {
                writeln!(out, "$schema: {SCHEMA_URL}")?;
                if dependencies.is_empty() {
                    writeln!(out, "dependencies: []")?;
                } else {
                    out.write_all(
                        serde_yaml_ng::to_string(&serde_json::json!({
                            "dependencies": dependencies
                        }))
                        .map_err(io)?
                        .as_bytes(),
                    )?;
                }
                writeln!(out, "entities:")?;
            }
            FileFormat::Json | FileFormat::Zip => {
                write!(
                    out,
                    "{{\"$schema\":{},\"dependencies\":{},\"entities\":[",
                    serde_json::to_string(SCHEMA_URL).map_err(io)?,
                    serde_json::to_string(dependencies).map_err(io)?
                )?;
            }
        }
        Ok(writer)
    }

    /// Appends one entity.
    ///
    /// # Errors
    /// I/O errors.
    pub fn entity(&mut self, entity: &RtEntityDoc) -> Result<(), ExchangeError> {
        let first = self.written == 0;
        let format = self.format;
        let out = self.sink.out();
        match format {
            FileFormat::Yaml => {
                out.write_all(
                    serde_yaml_ng::to_string(std::slice::from_ref(entity))
                        .map_err(io)?
                        .as_bytes(),
                )?;
            }
            FileFormat::Json | FileFormat::Zip => {
                if !first {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, entity).map_err(io)?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Closes the document and flushes the file; returns how many entities it holds.
    ///
    /// # Errors
    /// I/O errors.
    pub fn finish(mut self) -> Result<u64, ExchangeError> {
        match self.format {
            FileFormat::Yaml => {
                if self.written == 0 {
                    // `entities:` with nothing after it would read as null.
                    self.sink.out().write_all(b"  []\n")?;
                }
            }
            FileFormat::Json | FileFormat::Zip => self.sink.out().write_all(b"]}")?,
        }
        match self.sink {
            Sink::Plain(mut file) => {
                file.flush()?;
                file.get_ref().sync_all()?;
            }
            Sink::Zip(zip) => {
                let mut file = zip.finish().map_err(io)?;
                file.flush()?;
                file.get_ref().sync_all()?;
            }
        }
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "dependencies:\n  - Basic-[2.0,3.0)\nentities:\n  - rtId: 65f1c0ffee0123456789abc1\n    ckTypeId: Basic/Tree\n    rtWellKnownName: root\n    attributes:\n      - id: System/Name\n        value: Root\n    associations:\n      - roleId: System/ParentChild\n        targetRtId: 65f1c0ffee0123456789abc2\n        targetCkTypeId: Basic/Tree\n";

    fn sample() -> RuntimeModel {
        read_bytes(YAML.as_bytes()).expect("yaml reads")
    }

    #[test]
    fn yaml_json_and_zip_read_alike() {
        let model = sample();
        assert_eq!(model.dependencies, ["Basic-[2.0,3.0)"]);
        assert_eq!(
            model.entities[0].rt_well_known_name.as_deref(),
            Some("root")
        );
        assert_eq!(model.entities[0].attributes[0].value, Value::from("Root"));
        assert_eq!(
            model.entities[0].associations[0].role_id,
            "System/ParentChild"
        );
        let json = serde_json::to_vec(&model).expect("json");
        assert_eq!(read_bytes(&json).expect("json reads"), model);

        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("a/part.yaml", zip::write::SimpleFileOptions::default())
            .expect("entry");
        zip.write_all(YAML.as_bytes()).expect("write");
        let bytes = zip.finish().expect("zip").into_inner();
        assert_eq!(read_bytes(&bytes).expect("zip reads"), model);
    }

    #[test]
    fn unknown_fields_and_missing_lists_are_refused_with_the_position() {
        let unknown = YAML.replace("rtWellKnownName", "rtWellKnownNam");
        let error = read_bytes(unknown.as_bytes())
            .expect_err("unknown field")
            .to_string();
        assert!(error.contains("unknown field `rtWellKnownNam`"), "{error}");
        assert!(error.contains("line"), "{error}");
        let error = read_bytes(b"{\"entities\": []}")
            .expect_err("no dependencies")
            .to_string();
        assert!(error.contains("missing field `dependencies`"), "{error}");
        let error = read_bytes(b"PK\x03\x04broken")
            .expect_err("broken zip")
            .to_string();
        assert!(
            error.starts_with("The runtime-model file cannot be read: the zip"),
            "{error}"
        );
    }

    #[test]
    fn every_format_writes_what_it_reads() {
        let model = sample();
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, empty) in [
            ("out.json", false),
            ("out.yaml", false),
            ("out.zip", false),
            ("empty.yaml", true),
            ("empty.json", true),
        ] {
            let path = dir.path().join(name);
            let format = FileFormat::from_file_name(name);
            let mut writer =
                RuntimeModelWriter::create(&path, format, &model.dependencies).expect("create");
            let entities = if empty { &[][..] } else { &model.entities[..] };
            for entity in entities {
                writer.entity(entity).expect("entity");
                writer
                    .entity(entity)
                    .expect("entity twice, to cover separators");
            }
            assert_eq!(writer.finish().expect("finish"), 2 * entities.len() as u64);
            let read = read_file(&path).expect("reads back");
            assert_eq!(read.schema.as_deref(), Some(SCHEMA_URL), "{name}");
            assert_eq!(read.dependencies, model.dependencies, "{name}");
            let expected: Vec<RtEntityDoc> = entities
                .iter()
                .flat_map(|e| [e.clone(), e.clone()])
                .collect();
            assert_eq!(read.entities, expected, "{name}");
        }
    }

    fn streamed(
        what: &str,
        text: &str,
        size: u64,
    ) -> Result<(Vec<String>, Vec<RtEntityDoc>), ExchangeError> {
        let mut seen = Vec::new();
        let dependencies = stream_document(what, text.as_bytes(), size, &mut |doc| {
            seen.push(doc);
            Ok(())
        })?;
        Ok((dependencies, seen))
    }

    #[test]
    fn streaming_reads_json_in_any_key_order_and_yaml_whole() {
        let model = sample();
        let mut json = serde_json::to_value(&model).expect("json");
        // Entities before dependencies, with a BOM and white space in front.
        let text = format!(
            "\u{feff}  {{\"entities\": {}, \"$schema\": \"x\", \"dependencies\": {}}}",
            json["entities"].take(),
            json["dependencies"].take()
        );
        let (dependencies, entities) = streamed("the file", &text, 10).expect("streams");
        assert_eq!(dependencies, model.dependencies);
        assert_eq!(entities, model.entities);
        let (dependencies, entities) = streamed("the file", YAML, 10).expect("yaml reads");
        assert_eq!(dependencies, model.dependencies);
        assert_eq!(entities, model.entities);
    }

    #[test]
    fn streaming_names_the_bad_entity_and_refuses_big_yaml() {
        let text =
            r#"{"dependencies": [], "entities": [{"rtId": "a", "ckTypeId": "B/C"}, {"rtId": 7}]}"#;
        let error = streamed("the file", text, 10)
            .expect_err("refused")
            .to_string();
        assert!(
            error.starts_with("The runtime-model file cannot be read: the file is not a runtime model (JSON expected"),
            "{error}"
        );
        assert!(
            error.contains("entities[1]: invalid type: integer `7`"),
            "{error}"
        );
        let missing = streamed("the file", r#"{"entities": []}"#, 10).expect_err("refused");
        assert!(
            missing.to_string().contains("missing field `dependencies`"),
            "{missing}"
        );
        let big = streamed("the file", YAML, MAX_YAML_BYTES + 1).expect_err("refused");
        assert_eq!(
            big.to_string(),
            "The runtime-model file cannot be read: the file is YAML of 64 MiB; YAML is read whole \
             in memory, so imports take YAML of up to 64 MiB. Convert it to JSON (streamed, no \
             size limit) or split it."
        );
    }
}
