//! The crate's single error type, [`CkError`], and [`Location`], the
//! file/element/field triple every model problem points at.
//!
//! Messages are read by a person or an AI assistant in a chat, so each one
//! names where the problem is (file, element, field), what is wrong, and
//! what to do about it. Validation collects every problem it finds; several
//! problems travel together as [`CkError::Invalid`].

use std::fmt;

use octo_ids::IdError;
use thiserror::Error;

/// Where in a model a problem sits: the file, the element and its field.
///
/// Boxed so that [`CkError`] stays small on the happy path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Location(Box<LocationParts>);

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
struct LocationParts {
    file: String,
    element: String,
    field: String,
}

impl Location {
    /// A location in `file` at `element` (kind and name, e.g. `type 'Pump'`)
    /// and `field`.
    #[must_use]
    pub fn new(file: &str, element: impl Into<String>, field: impl Into<String>) -> Self {
        Self(Box::new(LocationParts {
            file: file.to_owned(),
            element: element.into(),
            field: field.into(),
        }))
    }

    /// The same element, another field.
    #[must_use]
    pub fn with_field(&self, field: impl Into<String>) -> Self {
        Self::new(&self.0.file, self.0.element.clone(), field)
    }

    /// The file the element came from, relative to the model folder, e.g.
    /// `types/pump.yaml`.
    #[must_use]
    pub fn file(&self) -> &str {
        &self.0.file
    }

    /// The element with its kind, e.g. `type 'Pump'`; empty for the file as
    /// a whole.
    #[must_use]
    pub fn element(&self) -> &str {
        &self.0.element
    }

    /// The field, e.g. `derivedFromCkTypeId`; empty for the whole element.
    #[must_use]
    pub fn field(&self) -> &str {
        &self.0.field
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file())?;
        if !self.element().is_empty() {
            write!(f, ", {}", self.element())?;
        }
        if !self.field().is_empty() {
            write!(f, ", field '{}'", self.field())?;
        }
        Ok(())
    }
}

/// Everything that can go wrong when loading, validating or resolving
/// Construction Kit models.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CkError {
    /// Several problems, e.g. everything validation found in one model.
    #[error("{subject} has {} problem(s):{}", problems.len(), numbered(problems))]
    Invalid {
        /// What was checked, e.g. `Model 'Demo.Plant-1.0.0'`.
        subject: String,
        /// The problems, in the order found.
        problems: Vec<CkError>,
    },

    /// A file or folder could not be read.
    #[error("Cannot read '{path}': {message}")]
    Io {
        /// The path that failed.
        path: String,
        /// The operating system's message.
        message: String,
    },

    /// A file is not valid YAML/JSON or does not match the schema, e.g. an
    /// unknown field or a wrong value type.
    #[error("{file}: {message}")]
    Parse {
        /// The file (or document name).
        file: String,
        /// The parser's message, with line and column where known.
        message: String,
    },

    /// An element file declares a `$schema` this loader does not know.
    #[error(
        "{file}: unknown $schema '{schema}'; element files use '{}'",
        crate::document::ELEMENTS_SCHEMA
    )]
    UnknownSchema {
        /// The file.
        file: String,
        /// The `$schema` value.
        schema: String,
    },

    /// A model folder or archive has no `ckModel.yaml`.
    #[error(
        "No ckModel.yaml found in {place}; a model folder needs a ckModel.yaml with its modelId at the top level"
    )]
    MissingModelFile {
        /// The folder or archive searched.
        place: String,
    },

    /// A zip archive could not be read or holds something unexpected.
    #[error("Cannot read the zip archive: {message}")]
    Zip {
        /// What went wrong.
        message: String,
    },

    /// A model is larger than the loader accepts.
    #[error(
        "{what} is larger than the limit of {limit} bytes; split the model or remove unrelated files"
    )]
    TooLarge {
        /// What was too large.
        what: String,
        /// The limit in bytes.
        limit: u64,
    },

    /// An id is not spelt correctly (model id, element id, dependency).
    #[error("{location}: {source}")]
    InvalidId {
        /// Where the id was written.
        location: Location,
        /// Why it is invalid, with a valid example.
        #[source]
        source: IdError,
    },

    /// A name does not follow the format's spelling rules, e.g. an attribute
    /// name that is not Pascal case.
    #[error("{location}: the name '{name}' is invalid: {reason}")]
    InvalidName {
        /// Where the name was written.
        location: Location,
        /// The name.
        name: String,
        /// Why it is invalid.
        reason: String,
    },

    /// A reference is not spelt as `${this}/X`, `${Model}/X`, `Model/X` or
    /// `Model-1.0.0/X-1`.
    #[error("{location}: the reference '{reference}' is invalid: {reason}")]
    InvalidReference {
        /// Where the reference was written.
        location: Location,
        /// The reference as written.
        reference: String,
        /// Why it is invalid.
        reason: String,
    },

    /// A field is not allowed in this form of the model.
    #[error("{location}: {reason}")]
    FieldNotAllowed {
        /// The field.
        location: Location,
        /// Why it is not allowed and where it belongs.
        reason: String,
    },

    /// Two elements of the same kind share an id.
    #[error(
        "Duplicate {kind} id '{id}': defined in {first} and again in {second}; rename or remove one of them"
    )]
    DuplicateId {
        /// The element kind, e.g. `type`.
        kind: &'static str,
        /// The duplicated id.
        id: String,
        /// The file of the first definition.
        first: String,
        /// The file of the second definition.
        second: String,
    },

    /// A reference names an element that does not exist.
    #[error("{location}: unknown {kind} '{reference}'{hint}")]
    UnknownReference {
        /// Where the reference was written.
        location: Location,
        /// The kind of element expected, e.g. `attribute`.
        kind: &'static str,
        /// The reference, resolved to `Model/Name`.
        reference: String,
        /// A suggestion or explanation, starting with `; ` or empty.
        hint: String,
    },

    /// A reference names a model that is neither this model nor one of its
    /// dependencies.
    #[error(
        "{location}: '{reference}' refers to model '{model}', which is not a dependency of this model; add it to the dependencies in ckModel.yaml, e.g. '{model}-[1.0,2.0)'"
    )]
    UndeclaredModelReference {
        /// Where the reference was written.
        location: Location,
        /// The reference.
        reference: String,
        /// The model it names.
        model: String,
    },

    /// Types (or records) derive from each other in a circle.
    #[error("{file}: {kind}s derive from each other in a cycle: {}; break the cycle by changing one base", cycle.join(" -> "))]
    InheritanceCycle {
        /// `type` or `record`.
        kind: &'static str,
        /// The elements on the cycle, the first repeated at the end.
        cycle: Vec<String>,
        /// The file of the first element on the cycle.
        file: String,
    },

    /// An element derives from a final one.
    #[error(
        "{location}: '{base}' is final (isFinal: true) and cannot be derived from; derive from its base instead, or make it non-final"
    )]
    DerivedFromFinal {
        /// The `derivedFrom…` field.
        location: Location,
        /// The final base.
        base: String,
    },

    /// An `Enum`, `Record` or `RecordArray` attribute lacks the id of its
    /// enum or record.
    #[error("{location}: value type {value_type} needs '{field}' naming the {kind} of its values")]
    MissingValueTypeTarget {
        /// The attribute.
        location: Location,
        /// Its value type.
        value_type: crate::document::CkValueType,
        /// The missing field, `valueCkEnumId` or `valueCkRecordId`.
        field: &'static str,
        /// `enum` or `record`.
        kind: &'static str,
    },

    /// An attribute names an enum or record its value type does not use.
    #[error(
        "{location}: value type {value_type} does not use an {kind}; remove the field or change valueType"
    )]
    UnexpectedValueTypeTarget {
        /// The superfluous field.
        location: Location,
        /// The attribute's value type.
        value_type: crate::document::CkValueType,
        /// `enum` or `record`.
        kind: &'static str,
    },

    /// Two attributes of one type or record (own or inherited) share a name.
    #[error(
        "{location}: attribute name '{name}' is already used {other}; attribute names must be unique within a type including inherited ones"
    )]
    DuplicateAttributeName {
        /// The attribute use.
        location: Location,
        /// The name.
        name: String,
        /// Where the name is already used, e.g. `by type 'System/Entity'`.
        other: String,
    },

    /// Two values of one enum share a key or a name.
    #[error("{location}: {what}; enum keys and names must be unique")]
    DuplicateEnumValue {
        /// The enum.
        location: Location,
        /// Which key or name repeats.
        what: String,
    },

    /// A default value does not fit the attribute's value type.
    #[error("{location}: default value {value} does not fit: {reason}")]
    InvalidDefaultValue {
        /// The attribute.
        location: Location,
        /// The value.
        value: String,
        /// Why it does not fit.
        reason: String,
    },

    /// A dependency is malformed, repeated or names the model itself.
    #[error("{location}: dependency '{dependency}' {reason}")]
    InvalidDependency {
        /// The dependency list.
        location: Location,
        /// The dependency.
        dependency: String,
        /// What is wrong.
        reason: String,
    },

    /// Two loaded models have the same name.
    #[error(
        "Model '{name}' is loaded twice ({first} and {second}); a tenant holds one version of each model"
    )]
    DuplicateModel {
        /// The model name.
        name: String,
        /// The first model id.
        first: String,
        /// The second model id.
        second: String,
    },

    /// A dependency is not loaded at all.
    #[error("Model '{model}' depends on '{dependency}', but no model named '{name}' is loaded; import a version of '{name}' in {range} first", name = dependency.name(), range = dependency.range())]
    MissingDependency {
        /// The depending model.
        model: String,
        /// The dependency.
        dependency: octo_ids::CkModelDependency,
    },

    /// A dependency is loaded in a version outside the required range.
    #[error("Model '{model}' depends on '{dependency}', but '{found}' is loaded (found {found_version}, required {range}); import a version of '{name}' in {range} or use a version of '{model}' that accepts {found_version}", name = dependency.name(), range = dependency.range(), found_version = found.version())]
    IncompatibleDependency {
        /// The depending model.
        model: String,
        /// The dependency.
        dependency: octo_ids::CkModelDependency,
        /// The loaded model.
        found: octo_ids::CkModelId,
    },

    /// Models depend on each other in a circle.
    #[error("Models depend on each other in a cycle: {}; remove one of these dependencies", cycle.join(" -> "))]
    DependencyCycle {
        /// The model ids on the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },

    /// A query names an element that does not exist.
    #[error("Unknown {kind} '{id}'{hint}")]
    UnknownElement {
        /// The element kind.
        kind: &'static str,
        /// The id asked for.
        id: String,
        /// A suggestion, starting with `; ` or empty.
        hint: String,
    },

    /// An id given to a query or a catalog is not spelt correctly.
    #[error(transparent)]
    Id(#[from] IdError),

    /// A catalog does not hold the requested model.
    #[error("Catalog '{catalog}' has no model '{model}'{hint}")]
    UnknownModel {
        /// The catalog (or catalogs) searched.
        catalog: String,
        /// The model id or name asked for.
        model: String,
        /// A suggestion, starting with `; ` or empty.
        hint: String,
    },

    /// Dependency resolution found conflicts.
    #[error("Cannot import '{model}': {}", conflicts.join("; "))]
    DependencyConflicts {
        /// The requested model.
        model: String,
        /// Each conflict, one sentence each.
        conflicts: Vec<String>,
    },

    /// An upgrade would break existing data or dependent models.
    #[error("Upgrading '{old}' to '{new}' is not compatible: {}; publish it as a new major version and migrate the data instead", changes.join("; "))]
    BreakingChanges {
        /// The loaded model.
        old: String,
        /// The proposed model.
        new: String,
        /// The breaking changes.
        changes: Vec<String>,
    },
}

fn numbered(problems: &[CkError]) -> String {
    problems
        .iter()
        .enumerate()
        .map(|(i, p)| format!("\n  {}. {p}", i + 1))
        .collect()
}

impl CkError {
    /// `None` for no problems, the problem itself for one, and
    /// [`CkError::Invalid`] naming `subject` for several.
    #[must_use]
    pub fn from_problems(subject: impl Into<String>, mut problems: Vec<CkError>) -> Option<Self> {
        match problems.len() {
            0 => None,
            1 => problems.pop(),
            _ => Some(Self::Invalid {
                subject: subject.into(),
                problems,
            }),
        }
    }

    /// The individual problems: those of [`CkError::Invalid`], or this error
    /// alone.
    #[must_use]
    pub fn problems(&self) -> &[CkError] {
        match self {
            Self::Invalid { problems, .. } => problems,
            other => std::slice::from_ref(other),
        }
    }
}

/// A hint such as `; did you mean 'Pump'?` from candidate names, or an
/// empty string when nothing is close.
pub(crate) fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    suggest(&closest(wanted, candidates))
}

/// `; did you mean 'A'?` or `; did you mean one of 'A', 'B'?`, or an empty
/// string for no candidates.
pub(crate) fn suggest<S: AsRef<str>>(close: &[S]) -> String {
    let quoted: Vec<String> = close.iter().map(|c| format!("'{}'", c.as_ref())).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        many => format!("; did you mean one of {}?", many.join(", ")),
    }
}

/// Up to three candidates close to `wanted`: equal ignoring case, within a
/// small edit distance (a swapped pair of letters counts once), or
/// containing it.
pub(crate) fn closest<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let lower = wanted.to_lowercase();
    let limit = (lower.chars().count() / 5).max(1);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let cl = c.to_lowercase();
            let distance = strsim::damerau_levenshtein(&lower, &cl);
            if distance <= limit {
                Some((distance, c))
            } else if lower.len() >= 3 && cl.contains(&lower) {
                Some((limit + 1, c))
            } else {
                None
            }
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_names_file_element_and_field() {
        let loc = Location::new("types/pump.yaml", "type 'Pump'", "derivedFromCkTypeId");
        assert_eq!(
            loc.to_string(),
            "types/pump.yaml, type 'Pump', field 'derivedFromCkTypeId'"
        );
        assert_eq!(
            Location::new("ckModel.yaml", "", "").to_string(),
            "ckModel.yaml"
        );
    }

    #[test]
    fn errors_stay_small() {
        assert!(
            std::mem::size_of::<CkError>() <= 128,
            "{}",
            std::mem::size_of::<CkError>()
        );
    }

    #[test]
    fn several_problems_are_numbered() {
        let a = CkError::Parse {
            file: "a.yaml".into(),
            message: "bad".into(),
        };
        let b = CkError::Parse {
            file: "b.yaml".into(),
            message: "worse".into(),
        };
        assert_eq!(CkError::from_problems("Model 'X-1.0.0'", vec![]), None);
        assert_eq!(
            CkError::from_problems("Model 'X-1.0.0'", vec![a.clone()]),
            Some(a.clone())
        );
        let both = CkError::from_problems("Model 'X-1.0.0'", vec![a, b]).expect("two");
        assert_eq!(
            both.to_string(),
            "Model 'X-1.0.0' has 2 problem(s):\n  1. a.yaml: bad\n  2. b.yaml: worse"
        );
        assert_eq!(both.problems().len(), 2);
    }

    #[test]
    fn suggestions_prefer_close_names() {
        assert_eq!(
            did_you_mean("Pmup", ["Pump", "Valve"]),
            "; did you mean 'Pump'?"
        );
        assert_eq!(
            did_you_mean("pump", ["Pump", "PumpHouse"]),
            "; did you mean one of 'Pump', 'PumpHouse'?"
        );
        assert_eq!(did_you_mean("Zzz", ["Pump"]), "");
    }
}
