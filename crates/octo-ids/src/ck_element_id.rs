//! The generic Construction Kit element ids, written once for every
//! [`CkElementKind`]:
//!
//! - [`CkLocalId`]: a versioned name within a model, `EnergyMeter-1`.
//! - [`CkFullId`]: model id and versioned name, `Industry.Energy-1.0.0/EnergyMeter-1`.
//!   This is how the Construction Kit itself names an element.
//! - [`RtCkId`]: model name and name, `Industry.Energy/EnergyMeter`. This is
//!   the semantic runtime id that tools accept as `ckTypeId` and that stays
//!   stable when a model gets a new version.
//! - [`CkRef`]: either of the last two, for tool parameters that accept both.
//!
//! Names follow the shared rules in [`crate::ck_name`]. A versioned name is
//! split on its last `-`; the version is an unsigned integer, not SemVer.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use crate::IdError;
use crate::ck_element_kind::{CkElementKind, error};
use crate::ck_model_id::{CkModelId, parse_model_id};
use crate::ck_name::{check_name, is_valid_name, whitespace_reason};
use crate::string_form::impl_string_form;
use crate::version_number::{NumberProblem, parse_number};

/// A versioned element name within its model, `Name-<version>`, e.g.
/// `EnergyMeter-1` (a [`crate::CkTypeId`]).
///
/// Ordered by name, then version.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CkLocalId<K: CkElementKind> {
    name: String,
    version: u32,
    kind: PhantomData<K>,
}

impl<K: CkElementKind> CkLocalId<K> {
    /// The id `name-version`, checking the name rules.
    ///
    /// # Errors
    /// The kind's [`IdError`] variant if `name` is not a valid CK name.
    pub fn new(name: &str, version: u32) -> Result<Self, IdError> {
        check_name(name, &format!("{} name", K::NOUN)).map_err(|reason| {
            error::<K>(
                &format!("{name}-{version}"),
                format!("{reason}; expected e.g. '{}'", K::LOCAL_EXAMPLE),
            )
        })?;
        Ok(Self::new_unchecked(name, version))
    }

    fn new_unchecked(name: &str, version: u32) -> Self {
        Self {
            name: name.to_owned(),
            version,
            kind: PhantomData,
        }
    }

    /// The element name without version, e.g. `EnergyMeter`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The element version, e.g. `1`.
    #[must_use]
    pub fn version(&self) -> u32 {
        self.version
    }
}

/// Parses `Name-<version>` and returns a reason without the `Invalid ...`
/// prefix, so full ids can embed it in their own message.
fn parse_local<K: CkElementKind>(s: &str) -> Result<CkLocalId<K>, String> {
    if s.is_empty() {
        return Err(format!(
            "it is empty; expected '<name>-<version>' such as '{}'",
            K::LOCAL_EXAMPLE
        ));
    }
    let example_for = |name: &str| {
        if is_valid_name(name) {
            format!("{name}-1")
        } else {
            K::LOCAL_EXAMPLE.to_owned()
        }
    };
    let Some((name, version)) = s.rsplit_once('-') else {
        return Err(format!(
            "it has no version; expected '<name>-<version>' such as '{}'",
            example_for(s)
        ));
    };
    let example = example_for(name);
    let version = match parse_number(version) {
        Ok(version) => version,
        Err(NumberProblem::Empty) => {
            return Err(format!(
                "the version after the last '-' is empty; expected an unsigned integer such as '{example}'"
            ));
        }
        Err(NumberProblem::NotDigits)
            if version.contains('.') && version.chars().all(|c| c.is_ascii_digit() || c == '.') =>
        {
            return Err(format!(
                "the version after the last '-' must be an unsigned integer such as '{example}', not SemVer"
            ));
        }
        Err(NumberProblem::NotDigits) => {
            return Err(format!(
                "the version after the last '-' must be an unsigned integer such as '{example}', but it is '{version}'"
            ));
        }
        Err(NumberProblem::LeadingZero) => {
            let trimmed = version.trim_start_matches('0');
            let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
            return Err(format!(
                "the version '{version}' has a leading zero; write '{name}-{trimmed}'"
            ));
        }
        Err(NumberProblem::TooLarge) => {
            return Err(format!(
                "the version '{version}' is larger than {}; expected e.g. '{example}'",
                u32::MAX
            ));
        }
    };
    if name.is_empty() {
        return Err(format!(
            "the name before the '-' is empty; expected e.g. '{}'",
            K::LOCAL_EXAMPLE
        ));
    }
    check_name(name, &format!("{} name", K::NOUN))
        .map_err(|reason| format!("{reason}; expected e.g. '{}'", K::LOCAL_EXAMPLE))?;
    Ok(CkLocalId::new_unchecked(name, version))
}

impl<K: CkElementKind> FromStr for CkLocalId<K> {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = if let Some(reason) = whitespace_reason(s) {
            Err(reason)
        } else if s.contains('/') {
            Err(format!(
                "it contains '/', so it looks like a full or runtime id; a {} is only the versioned {} name such as '{}'",
                K::ID_NAME,
                K::NOUN,
                K::LOCAL_EXAMPLE
            ))
        } else {
            parse_local(s)
        };
        parsed.map_err(|reason| error::<K>(s, reason))
    }
}

impl<K: CkElementKind> fmt::Display for CkLocalId<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.version)
    }
}

impl<K: CkElementKind> fmt::Debug for CkLocalId<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple(K::ID_NAME).field(&self.to_string()).finish()
    }
}

impl_string_form!([K: CkElementKind] CkLocalId<K>);

/// The full id of an element: the model id and the versioned element name,
/// `Model-<major>.<minor>.<patch>/Name-<version>`, e.g.
/// `Industry.Energy-1.0.0/EnergyMeter-1` (a [`crate::CkTypeFullId`]).
///
/// Ordered by model, then element.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CkFullId<K: CkElementKind> {
    model: CkModelId,
    local: CkLocalId<K>,
}

impl<K: CkElementKind> CkFullId<K> {
    /// The id of `local` within `model`.
    #[must_use]
    pub fn new(model: CkModelId, local: CkLocalId<K>) -> Self {
        Self { model, local }
    }

    /// The model id, e.g. `Industry.Energy-1.0.0`.
    #[must_use]
    pub fn model(&self) -> &CkModelId {
        &self.model
    }

    /// The versioned element name, e.g. `EnergyMeter-1`.
    #[must_use]
    pub fn local_id(&self) -> &CkLocalId<K> {
        &self.local
    }

    /// The model name, e.g. `Industry.Energy`.
    #[must_use]
    pub fn model_name(&self) -> &str {
        self.model.name()
    }

    /// The element name without version, e.g. `EnergyMeter`.
    #[must_use]
    pub fn name(&self) -> &str {
        self.local.name()
    }

    /// The element version, e.g. `1`.
    #[must_use]
    pub fn version(&self) -> u32 {
        self.local.version()
    }

    /// The semantic runtime id, dropping both versions:
    /// `Industry.Energy-1.0.0/EnergyMeter-1` becomes `Industry.Energy/EnergyMeter`.
    #[must_use]
    pub fn to_runtime(&self) -> RtCkId<K> {
        RtCkId::new_unchecked(self.model.name(), self.local.name())
    }

    /// Splits the id into model id and versioned element name.
    #[must_use]
    pub fn into_parts(self) -> (CkModelId, CkLocalId<K>) {
        (self.model, self.local)
    }
}

fn parse_full<K: CkElementKind>(s: &str) -> Result<CkFullId<K>, String> {
    let shape = format!(
        "'<model id>/<{} id>' such as '{}'",
        K::NOUN,
        K::FULL_EXAMPLE
    );
    if s.is_empty() {
        return Err(format!("it is empty; expected {shape}"));
    }
    let Some((left, right)) = s.split_once('/') else {
        return Err(if parse_local::<K>(s).is_ok() {
            format!("it has no model part; expected {shape}")
        } else {
            format!("it has no '/'; expected {shape}")
        });
    };
    if right.contains('/') {
        return Err(format!("it contains more than one '/'; expected {shape}"));
    }
    if !left.contains('-') && !right.contains('-') {
        return Err(format!(
            "it has no versions, which is the runtime form '<model name>/<{} name>'; the full form looks like '{}'",
            K::NOUN,
            K::FULL_EXAMPLE
        ));
    }
    let model = parse_model_id(left)
        .map_err(|reason| format!("the model part '{left}' is invalid: {reason}"))?;
    let local = parse_local::<K>(right)
        .map_err(|reason| format!("the {} part '{right}' is invalid: {reason}", K::NOUN))?;
    Ok(CkFullId { model, local })
}

impl<K: CkElementKind> FromStr for CkFullId<K> {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = match whitespace_reason(s) {
            Some(reason) => Err(reason),
            None => parse_full(s),
        };
        parsed.map_err(|reason| error::<K>(s, reason))
    }
}

impl<K: CkElementKind> fmt::Display for CkFullId<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.model, self.local)
    }
}

impl<K: CkElementKind> fmt::Debug for CkFullId<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple(K::FULL_NAME)
            .field(&self.to_string())
            .finish()
    }
}

impl_string_form!([K: CkElementKind] CkFullId<K>);

/// The semantic runtime id of an element: model name and element name
/// without versions, `Model/Name`, e.g. `Industry.Energy/EnergyMeter`
/// (a [`crate::RtCkTypeId`]). This is what tools accept as `ckTypeId`.
///
/// Ordered by model name, then element name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RtCkId<K: CkElementKind> {
    model_name: String,
    name: String,
    kind: PhantomData<K>,
}

impl<K: CkElementKind> RtCkId<K> {
    /// The id `model_name/name`, checking the name rules.
    ///
    /// # Errors
    /// The kind's [`IdError`] variant if either name is not a valid CK name.
    pub fn new(model_name: &str, name: &str) -> Result<Self, IdError> {
        check_runtime_names::<K>(model_name, name)
            .map_err(|reason| error::<K>(&format!("{model_name}/{name}"), reason))?;
        Ok(Self::new_unchecked(model_name, name))
    }

    fn new_unchecked(model_name: &str, name: &str) -> Self {
        Self {
            model_name: model_name.to_owned(),
            name: name.to_owned(),
            kind: PhantomData,
        }
    }

    /// The model name, e.g. `Industry.Energy`.
    #[must_use]
    pub fn model_name(&self) -> &str {
        &self.model_name
    }

    /// The element name, e.g. `EnergyMeter`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn check_runtime_names<K: CkElementKind>(model_name: &str, name: &str) -> Result<(), String> {
    check_name(model_name, "model name")
        .and_then(|()| check_name(name, &format!("{} name", K::NOUN)))
        .map_err(|reason| format!("{reason}; expected e.g. '{}'", K::RUNTIME_EXAMPLE))
}

fn parse_runtime<K: CkElementKind>(s: &str) -> Result<RtCkId<K>, String> {
    let shape = format!(
        "'<model name>/<{} name>' such as '{}'",
        K::NOUN,
        K::RUNTIME_EXAMPLE
    );
    if s.is_empty() {
        return Err(format!("it is empty; expected {shape}"));
    }
    let Some((model_name, name)) = s.split_once('/') else {
        return Err(if is_valid_name(s) {
            format!("it has no model name; expected {shape}")
        } else {
            format!("it has no '/'; expected {shape}")
        });
    };
    if name.contains('/') {
        return Err(format!("it contains more than one '/'; expected {shape}"));
    }
    if let Ok(full) = parse_full::<K>(s) {
        return Err(format!(
            "it contains versions, but the runtime form leaves them out; use '{}'",
            full.to_runtime()
        ));
    }
    check_runtime_names::<K>(model_name, name)?;
    Ok(RtCkId::new_unchecked(model_name, name))
}

impl<K: CkElementKind> FromStr for RtCkId<K> {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = match whitespace_reason(s) {
            Some(reason) => Err(reason),
            None => parse_runtime(s),
        };
        parsed.map_err(|reason| error::<K>(s, reason))
    }
}

impl<K: CkElementKind> fmt::Display for RtCkId<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.model_name, self.name)
    }
}

impl<K: CkElementKind> fmt::Debug for RtCkId<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple(K::RUNTIME_NAME)
            .field(&self.to_string())
            .finish()
    }
}

impl_string_form!([K: CkElementKind] RtCkId<K>);

/// An element id as a tool parameter may give it: either the full form
/// (`Industry.Energy-1.0.0/EnergyMeter-1`) or the runtime form
/// (`Industry.Energy/EnergyMeter`), e.g. a [`crate::CkTypeRef`].
///
/// Parsing picks the full form when the input contains a `-` (only versions
/// use it), so each form's error message applies.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum CkRef<K: CkElementKind> {
    /// The versioned full form.
    Full(CkFullId<K>),
    /// The semantic runtime form.
    Runtime(RtCkId<K>),
}

impl<K: CkElementKind> CkRef<K> {
    /// The model name, present in both forms.
    #[must_use]
    pub fn model_name(&self) -> &str {
        match self {
            Self::Full(full) => full.model_name(),
            Self::Runtime(rt) => rt.model_name(),
        }
    }

    /// The element name without version, present in both forms.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Full(full) => full.name(),
            Self::Runtime(rt) => rt.name(),
        }
    }

    /// The runtime form, dropping versions if there are any.
    #[must_use]
    pub fn to_runtime(&self) -> RtCkId<K> {
        match self {
            Self::Full(full) => full.to_runtime(),
            Self::Runtime(rt) => rt.clone(),
        }
    }

    /// The runtime form, consuming `self`.
    #[must_use]
    pub fn into_runtime(self) -> RtCkId<K> {
        match self {
            Self::Full(full) => full.to_runtime(),
            Self::Runtime(rt) => rt,
        }
    }

    /// The full form, if the versions were given.
    #[must_use]
    pub fn as_full(&self) -> Option<&CkFullId<K>> {
        match self {
            Self::Full(full) => Some(full),
            Self::Runtime(_) => None,
        }
    }

    /// Whether this refers to the same element as `full`, ignoring versions
    /// when this is the runtime form.
    #[must_use]
    pub fn matches(&self, full: &CkFullId<K>) -> bool {
        match self {
            Self::Full(own) => own == full,
            Self::Runtime(rt) => rt.model_name() == full.model_name() && rt.name() == full.name(),
        }
    }
}

impl<K: CkElementKind> From<CkFullId<K>> for CkRef<K> {
    fn from(full: CkFullId<K>) -> Self {
        Self::Full(full)
    }
}

impl<K: CkElementKind> From<RtCkId<K>> for CkRef<K> {
    fn from(rt: RtCkId<K>) -> Self {
        Self::Runtime(rt)
    }
}

impl<K: CkElementKind> FromStr for CkRef<K> {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = if let Some(reason) = whitespace_reason(s) {
            Err(reason)
        } else if s.contains('-') {
            parse_full(s).map(Self::Full)
        } else {
            parse_runtime(s).map(Self::Runtime)
        };
        parsed.map_err(|reason| {
            error::<K>(
                s,
                format!(
                    "{reason} (accepted forms: '{}' or '{}')",
                    K::FULL_EXAMPLE,
                    K::RUNTIME_EXAMPLE
                ),
            )
        })
    }
}

impl<K: CkElementKind> fmt::Display for CkRef<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(full) => full.fmt(f),
            Self::Runtime(rt) => rt.fmt(f),
        }
    }
}

impl<K: CkElementKind> fmt::Debug for CkRef<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (variant, text) = match self {
            Self::Full(full) => ("Full", full.to_string()),
            Self::Runtime(rt) => ("Runtime", rt.to_string()),
        };
        write!(f, "{}::{variant}({text:?})", K::REF_NAME)
    }
}

impl_string_form!([K: CkElementKind] CkRef<K>);

#[cfg(test)]
mod tests {
    use crate::{
        CkAssociationRoleFullId, CkAttributeRef, CkTypeFullId, CkTypeId, CkTypeRef, RtCkTypeId,
    };

    #[test]
    fn full_to_runtime() {
        let full: CkTypeFullId = "Industry.Energy-1.0.0/EnergyMeter-1"
            .parse()
            .expect("valid");
        assert_eq!(full.model_name(), "Industry.Energy");
        assert_eq!(full.name(), "EnergyMeter");
        assert_eq!(full.version(), 1);
        assert_eq!(full.to_runtime().to_string(), "Industry.Energy/EnergyMeter");
    }

    #[test]
    fn ref_picks_the_form() {
        let r: CkTypeRef = "Industry.Energy/EnergyMeter".parse().expect("valid");
        assert!(r.as_full().is_none());
        let r: CkTypeRef = "Industry.Energy-1.0.0/EnergyMeter-1"
            .parse()
            .expect("valid");
        assert!(r.as_full().is_some());
        assert_eq!(
            r.to_runtime(),
            "Industry.Energy/EnergyMeter"
                .parse::<RtCkTypeId>()
                .expect("valid")
        );
    }

    #[test]
    fn runtime_form_suggests_dropping_versions() {
        let msg = "System-2.0.2/ParentChild-1"
            .parse::<RtCkTypeId>()
            .expect_err("versions")
            .to_string();
        assert!(msg.contains("use 'System/ParentChild'"), "{msg}");
    }

    #[test]
    fn debug_shows_the_alias_and_text() {
        let id: CkTypeId = "EnergyMeter-1".parse().expect("valid");
        assert_eq!(format!("{id:?}"), "CkTypeId(\"EnergyMeter-1\")");
        let r: CkAttributeRef = "Basic/Name".parse().expect("valid");
        assert_eq!(format!("{r:?}"), "CkAttributeRef::Runtime(\"Basic/Name\")");
        let role: CkAssociationRoleFullId = "System-2.0.2/ParentChild-1".parse().expect("valid");
        assert_eq!(
            format!("{role:?}"),
            "CkAssociationRoleFullId(\"System-2.0.2/ParentChild-1\")"
        );
    }
}
