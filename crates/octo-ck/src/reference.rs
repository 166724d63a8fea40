//! References between elements, as written in model files and as resolved.
//!
//! A model file refers to an element in one of four spellings:
//!
//! | written | meaning |
//! |---|---|
//! | `${this}/Pump` | `Pump` in the model being defined |
//! | `${System}/Entity` | `Entity` in the dependency named `System` |
//! | `System/Entity` | the same, without the alias braces |
//! | `System-2.2.2/Entity-1` | the full id, pinning model and element version |
//!
//! Any of them may carry an element version (`${this}/Pump-2`).
//! [`resolve_reference`] turns the text into a [`CkElementRef`]: the runtime
//! id `Model/Name` that the reference denotes, plus the versions if they were
//! written. The model version of a dependency is only known once a tenant's
//! models are put together (see [`crate::CkLibrary`]), so a reference
//! without one stays version-free; that is also what keeps references stable
//! when a dependency gets a new compatible version.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use octo_ids::{CkElementKind, CkFullId, CkLocalId, CkModelId, CkModelVersion, IdError, RtCkId};

/// A reference to a type.
pub type TypeReference = CkElementRef<octo_ids::CkTypeKind>;
/// A reference to an attribute definition.
pub type AttributeReference = CkElementRef<octo_ids::CkAttributeKind>;
/// A reference to an enum.
pub type EnumReference = CkElementRef<octo_ids::CkEnumKind>;
/// A reference to a record.
pub type RecordReference = CkElementRef<octo_ids::CkRecordKind>;
/// A reference to an association role.
pub type RoleReference = CkElementRef<octo_ids::CkAssociationRoleKind>;

/// The model alias meaning "the model being defined".
pub const THIS_ALIAS: &str = "this";

/// A resolved reference to an element of kind `K`: the model name and
/// element name, plus the model and element versions when the reference
/// pinned them.
///
/// Its string form (`Display`, `FromStr`, serde) is `Model/Name`,
/// `Model/Name-2` or `Model-1.0.0/Name-1`.
pub struct CkElementRef<K: CkElementKind> {
    target: RtCkId<K>,
    model_version: Option<CkModelVersion>,
    element_version: Option<u32>,
    kind: PhantomData<K>,
}

impl<K: CkElementKind> CkElementRef<K> {
    /// A reference to `target` with optional pinned versions.
    #[must_use]
    pub fn new(
        target: RtCkId<K>,
        model_version: Option<CkModelVersion>,
        element_version: Option<u32>,
    ) -> Self {
        Self {
            target,
            model_version,
            element_version,
            kind: PhantomData,
        }
    }

    /// The runtime id the reference denotes, e.g. `System/Entity`.
    #[must_use]
    pub fn runtime_id(&self) -> &RtCkId<K> {
        &self.target
    }

    /// The referenced model's name.
    #[must_use]
    pub fn model_name(&self) -> &str {
        self.target.model_name()
    }

    /// The referenced element's name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.target.name()
    }

    /// The model version, if the reference was written in the full form.
    #[must_use]
    pub fn model_version(&self) -> Option<CkModelVersion> {
        self.model_version
    }

    /// The element version, if the reference pinned one (`Pump-2`).
    #[must_use]
    pub fn element_version(&self) -> Option<u32> {
        self.element_version
    }

    /// Whether `full` is an element this reference accepts: same model and
    /// element name, and the same versions where the reference pins them.
    #[must_use]
    pub fn matches(&self, full: &CkFullId<K>) -> bool {
        full.model_name() == self.model_name()
            && full.name() == self.name()
            && self
                .model_version
                .is_none_or(|v| v == full.model().version())
            && self.element_version.is_none_or(|v| v == full.version())
    }

    /// How the reference is written inside the model named `this_model`:
    /// `${this}/X` for its own elements, `${Model}/X` for others, and the full
    /// form when the model version is pinned.
    #[must_use]
    pub fn to_source_text(&self, this_model: &str) -> String {
        let element = match self.element_version {
            Some(v) => format!("{}-{v}", self.name()),
            None => self.name().to_owned(),
        };
        match self.model_version {
            Some(v) => format!("{}-{v}/{element}", self.model_name()),
            None if self.model_name() == this_model => format!("${{{THIS_ALIAS}}}/{element}"),
            None => format!("${{{}}}/{element}", self.model_name()),
        }
    }
}

/// Parses a reference as written in a model file, resolving `${this}` to
/// `this_model`. The error is a reason to embed in a located message.
///
/// # Errors
/// A sentence saying what is wrong and showing a valid spelling.
pub fn resolve_reference<K: CkElementKind>(
    text: &str,
    this_model: &str,
) -> Result<CkElementRef<K>, String> {
    parse_reference(text, Some(this_model)).map_err(|problem| match problem {
        Problem::Shape(reason) => reason,
        Problem::Id(e) => e.reason().to_owned(),
    })
}

/// Why a reference does not parse: its overall shape, or one of its ids
/// (which octo-ids explains in the element kind's own words).
enum Problem {
    Shape(String),
    Id(IdError),
}

fn parse_reference<K: CkElementKind>(
    text: &str,
    this_model: Option<&str>,
) -> Result<CkElementRef<K>, Problem> {
    let Some((left, right)) = text.split_once('/') else {
        return Err(Problem::Shape(format!(
            "it has no '/'; write '${{{THIS_ALIAS}}}/{text}' for an element of this model or '${{Model}}/{text}' for one of a dependency"
        )));
    };
    if right.contains('/') {
        return Err(Problem::Shape("it contains more than one '/'".to_owned()));
    }
    let alias = left
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .filter(|_| this_model.is_some());
    let (model_name, model_version) = if let Some(alias) = alias {
        match this_model {
            Some(this) if alias == THIS_ALIAS => (this.to_owned(), None),
            _ => (alias.to_owned(), None),
        }
    } else if left.contains('$') || left.contains('{') || left.contains('}') {
        return Err(Problem::Shape(format!(
            "the model part '{left}' is not a model alias; write '${{{THIS_ALIAS}}}' or '${{ModelName}}'"
        )));
    } else if left.contains('-') {
        let model: CkModelId = left.parse().map_err(Problem::Id)?;
        (model.name().to_owned(), Some(model.version()))
    } else {
        (left.to_owned(), None)
    };
    let (name, element_version) = if right.contains('-') {
        let local: CkLocalId<K> = right.parse().map_err(Problem::Id)?;
        (local.name().to_owned(), Some(local.version()))
    } else {
        (right.to_owned(), None)
    };
    let target = RtCkId::<K>::new(&model_name, &name).map_err(Problem::Id)?;
    Ok(CkElementRef::new(target, model_version, element_version))
}

impl<K: CkElementKind> Clone for CkElementRef<K> {
    fn clone(&self) -> Self {
        Self::new(
            self.target.clone(),
            self.model_version,
            self.element_version,
        )
    }
}

impl<K: CkElementKind> PartialEq for CkElementRef<K> {
    fn eq(&self, other: &Self) -> bool {
        self.target == other.target
            && self.model_version == other.model_version
            && self.element_version == other.element_version
    }
}

impl<K: CkElementKind> Eq for CkElementRef<K> {}

impl<K: CkElementKind> std::hash::Hash for CkElementRef<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.target.hash(state);
        self.model_version.hash(state);
        self.element_version.hash(state);
    }
}

impl<K: CkElementKind> fmt::Display for CkElementRef<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.model_name())?;
        if let Some(v) = self.model_version {
            write!(f, "-{v}")?;
        }
        write!(f, "/{}", self.name())?;
        if let Some(v) = self.element_version {
            write!(f, "-{v}")?;
        }
        Ok(())
    }
}

impl<K: CkElementKind> fmt::Debug for CkElementRef<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CkElementRef<{}>({:?})", K::NOUN, self.to_string())
    }
}

impl<K: CkElementKind> FromStr for CkElementRef<K> {
    type Err = IdError;

    /// Parses the resolved string form; `${…}` aliases are not accepted here
    /// because there is no model to resolve `${this}` against.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match parse_reference(s, None) {
            Ok(r) => Ok(r),
            Err(Problem::Id(e)) => Err(e),
            // A shape octo-ids rejects too; let it explain in the kind's words.
            Err(Problem::Shape(_)) => s.parse::<RtCkId<K>>().map(|rt| Self::new(rt, None, None)),
        }
    }
}

impl<K: CkElementKind> serde::Serialize for CkElementRef<K> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de, K: CkElementKind> serde::Deserialize<'de> for CkElementRef<K> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use octo_ids::{CkAttributeKind, CkTypeFullId, CkTypeKind};
    use proptest::prelude::*;

    type TypeRef = CkElementRef<CkTypeKind>;

    fn resolve(text: &str) -> Result<TypeRef, String> {
        resolve_reference::<CkTypeKind>(text, "Demo.Plant")
    }

    #[test]
    fn every_spelling_resolves() {
        let r = resolve("${this}/Pump").expect("this");
        assert_eq!(r.to_string(), "Demo.Plant/Pump");
        assert_eq!(r.model_version(), None);
        let r = resolve("${System}/Entity").expect("alias");
        assert_eq!(r.to_string(), "System/Entity");
        assert_eq!(resolve("System/Entity").expect("plain"), r);
        let r = resolve("System-2.2.2/Entity-1").expect("full");
        assert_eq!(r.model_version(), Some(CkModelVersion::new(2, 2, 2)));
        assert_eq!(r.element_version(), Some(1));
        let r = resolve("${this}/Pump-2").expect("element version");
        assert_eq!(r.to_string(), "Demo.Plant/Pump-2");
        let r = resolve("${Octo.Assets}/Equipment").expect("dotted alias");
        assert_eq!(r.model_name(), "Octo.Assets");
    }

    #[test]
    fn bad_spellings_say_why() {
        assert!(resolve("Pump").unwrap_err().contains("no '/'"));
        assert!(resolve("${this/Pump").unwrap_err().contains("alias"));
        assert!(resolve("${this}/Pump-1.0").is_err());
        assert!(
            resolve("System-2.0/Entity")
                .unwrap_err()
                .contains("major.minor.patch")
        );
        assert!(resolve("${this}/Pu mp").is_err());
        assert!(resolve("a/b/c").unwrap_err().contains("more than one"));
    }

    #[test]
    fn matches_checks_pinned_versions_only() {
        let full: CkTypeFullId = "System-2.2.2/Entity-1".parse().expect("valid");
        assert!(resolve("${System}/Entity").expect("ok").matches(&full));
        assert!(resolve("System-2.2.2/Entity").expect("ok").matches(&full));
        assert!(!resolve("System-2.2.1/Entity").expect("ok").matches(&full));
        assert!(!resolve("${System}/Entity-2").expect("ok").matches(&full));
        assert!(!resolve("${System}/Other").expect("ok").matches(&full));
    }

    #[test]
    fn string_form_round_trips_through_serde() {
        let r = resolve("${System}/Name").expect("ok");
        let json = serde_json::to_string(&r).expect("serializes");
        assert_eq!(json, "\"System/Name\"");
        let back: TypeRef = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, r);
        assert!(serde_json::from_str::<CkElementRef<CkAttributeKind>>("\"${this}/X\"").is_err());
    }

    fn name() -> impl Strategy<Value = String> {
        "[A-Z][a-zA-Z0-9_]{0,8}(\\.[A-Z][a-zA-Z0-9_]{0,5}){0,2}"
    }

    proptest! {
        #[test]
        fn source_text_resolves_back(
            this in name(),
            model in name(),
            element in name(),
            own in any::<bool>(),
            model_version in proptest::option::of((0u32..50, 0u32..50, 0u32..50)),
            element_version in proptest::option::of(0u32..1000),
        ) {
            let model = if own { this.clone() } else { model };
            let target = RtCkId::<CkTypeKind>::new(&model, &element).expect("valid names");
            let r = TypeRef::new(
                target,
                model_version.map(|(a, b, c)| CkModelVersion::new(a, b, c)),
                element_version,
            );
            let text = r.to_source_text(&this);
            prop_assert_eq!(resolve_reference::<CkTypeKind>(&text, &this), Ok(r.clone()));
            let parsed: TypeRef = r.to_string().parse().expect("display parses");
            prop_assert_eq!(parsed, r);
        }
    }
}
