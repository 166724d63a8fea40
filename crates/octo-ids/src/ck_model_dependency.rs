//! Model dependencies: a model name plus the versions it may resolve to, e.g.
//! `System-[2.0,3.0)` or the exact `System-2.0.2`.
//!
//! Ranges use interval notation: `[` and `]` include the bound, `(` and `)`
//! exclude it, and a missing bound is open (`[2.0,)` means "2.0 or later").
//! Bounds may be written `major.minor` (patch 0) or `major.minor.patch`.
//! `[2.0.2]` and a bare `2.0.2` both mean exactly that version; a bare
//! version must have all three parts because it is an exact model version.

use std::fmt;
use std::str::FromStr;

use crate::ck_model_id::{CkModelId, CkModelVersion, parse_version_parts};
use crate::ck_name::{check_name, is_valid_name, whitespace_reason};
use crate::error::IdError;
use crate::string_form::impl_string_form;

const RANGE_EXAMPLE: &str = "[2.0,3.0)";
const DEPENDENCY_EXAMPLE: &str = "System-[2.0,3.0)";

/// One end of a [`CkModelVersionRange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionBound {
    /// The version at the boundary.
    pub version: CkModelVersion,
    /// Whether `version` itself is inside the range.
    pub inclusive: bool,
}

impl VersionBound {
    /// A bound that includes `version` (`[` or `]`).
    #[must_use]
    pub const fn inclusive(version: CkModelVersion) -> Self {
        Self {
            version,
            inclusive: true,
        }
    }

    /// A bound that excludes `version` (`(` or `)`).
    #[must_use]
    pub const fn exclusive(version: CkModelVersion) -> Self {
        Self {
            version,
            inclusive: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Repr {
    Exact(CkModelVersion),
    Interval {
        lower: Option<VersionBound>,
        upper: Option<VersionBound>,
    },
}

/// A set of model versions: either one exact version or an interval.
///
/// Always non-empty: constructors reject `(,)`, reversed bounds and
/// `(2.0,2.0]`-style empty intervals. `[v,v]` is normalised to the exact
/// version `v`, so equal sets compare equal in that case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CkModelVersionRange {
    repr: Repr,
}

impl CkModelVersionRange {
    /// The range containing only `version`.
    #[must_use]
    pub const fn exact(version: CkModelVersion) -> Self {
        Self {
            repr: Repr::Exact(version),
        }
    }

    /// The interval between `lower` and `upper`; `None` leaves that end open.
    ///
    /// # Errors
    /// [`IdError::CkModelVersionRange`] if both ends are open or the interval
    /// would be empty.
    pub fn new(lower: Option<VersionBound>, upper: Option<VersionBound>) -> Result<Self, IdError> {
        Self::from_bounds(lower, upper).map_err(|reason| IdError::CkModelVersionRange {
            input: display_interval(lower, upper),
            reason,
        })
    }

    fn from_bounds(
        lower: Option<VersionBound>,
        upper: Option<VersionBound>,
    ) -> Result<Self, String> {
        match (lower, upper) {
            (None, None) => Err(format!(
                "both ends are open; give at least one version such as '{RANGE_EXAMPLE}' or '[2.0,)'"
            )),
            (Some(lo), Some(hi)) if lo.version > hi.version => Err(format!(
                "the lower bound {} is above the upper bound {}; write the lower bound first, such as '{RANGE_EXAMPLE}'",
                BoundVersion(lo.version),
                BoundVersion(hi.version)
            )),
            (Some(lo), Some(hi)) if lo.version == hi.version => {
                if lo.inclusive && hi.inclusive {
                    Ok(Self::exact(lo.version))
                } else {
                    Err(format!(
                        "it contains no version because both bounds are {} and one is exclusive; for exactly that version write '[{}]'",
                        BoundVersion(lo.version),
                        BoundVersion(lo.version)
                    ))
                }
            }
            _ => Ok(Self {
                repr: Repr::Interval { lower, upper },
            }),
        }
    }

    /// The lower end, or `None` if the range has no minimum.
    #[must_use]
    pub fn lower(&self) -> Option<VersionBound> {
        match self.repr {
            Repr::Exact(v) => Some(VersionBound::inclusive(v)),
            Repr::Interval { lower, .. } => lower,
        }
    }

    /// The upper end, or `None` if the range has no maximum.
    #[must_use]
    pub fn upper(&self) -> Option<VersionBound> {
        match self.repr {
            Repr::Exact(v) => Some(VersionBound::inclusive(v)),
            Repr::Interval { upper, .. } => upper,
        }
    }

    /// The single version this range allows, if it is an exact range.
    #[must_use]
    pub fn exact_version(&self) -> Option<CkModelVersion> {
        match self.repr {
            Repr::Exact(v) => Some(v),
            Repr::Interval { .. } => None,
        }
    }

    /// Whether `version` lies inside the range.
    #[must_use]
    pub fn contains(&self, version: &CkModelVersion) -> bool {
        let above_lower = self.lower().is_none_or(|lo| {
            if lo.inclusive {
                *version >= lo.version
            } else {
                *version > lo.version
            }
        });
        let below_upper = self.upper().is_none_or(|hi| {
            if hi.inclusive {
                *version <= hi.version
            } else {
                *version < hi.version
            }
        });
        above_lower && below_upper
    }
}

/// Shows a bound version in the short `major.minor` form when the patch is
/// 0, matching how ranges are usually written (`[2.0,3.0)`).
struct BoundVersion(CkModelVersion);

impl fmt::Display for BoundVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.patch == 0 {
            write!(f, "{}.{}", v.major, v.minor)
        } else {
            write!(f, "{v}")
        }
    }
}

fn display_interval(lower: Option<VersionBound>, upper: Option<VersionBound>) -> String {
    let open = if lower.is_some_and(|b| b.inclusive) {
        '['
    } else {
        '('
    };
    let close = if upper.is_some_and(|b| b.inclusive) {
        ']'
    } else {
        ')'
    };
    let lo = lower
        .map(|b| BoundVersion(b.version).to_string())
        .unwrap_or_default();
    let hi = upper
        .map(|b| BoundVersion(b.version).to_string())
        .unwrap_or_default();
    format!("{open}{lo},{hi}{close}")
}

/// Canonical form: a bare `major.minor.patch` for exact ranges, otherwise
/// interval notation with `major.minor` bounds when the patch is 0.
impl fmt::Display for CkModelVersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.repr {
            Repr::Exact(v) => write!(f, "{v}"),
            Repr::Interval { lower, upper } => f.write_str(&display_interval(lower, upper)),
        }
    }
}

fn parse_bound(s: &str, inclusive: bool, which: &str) -> Result<Option<VersionBound>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    parse_version_parts(s, 2)
        .map(|version| Some(VersionBound { version, inclusive }))
        .map_err(|reason| {
            format!(
                "the {which} bound must be major.minor or major.minor.patch such as '2.0', but {reason}"
            )
        })
}

/// Parses a range and returns a reason without the `Invalid ...` prefix, so
/// dependencies can embed it in their own message.
fn parse_range(s: &str) -> Result<CkModelVersionRange, String> {
    let mut chars = s.chars();
    let Some(open) = chars.next() else {
        return Err(format!(
            "the version range is empty; expected e.g. '{RANGE_EXAMPLE}' or an exact version such as '2.0.2'"
        ));
    };
    if open != '[' && open != '(' {
        return parse_version_parts(s, 3)
            .map(CkModelVersionRange::exact)
            .map_err(|reason| {
                format!(
                    "an exact version must be major.minor.patch such as '2.0.2' (or write an interval such as '{RANGE_EXAMPLE}'), but {reason}"
                )
            });
    }
    let close = chars.next_back();
    let (Some(close @ (']' | ')')), inner) = (close, chars.as_str()) else {
        return Err(format!(
            "it does not end with ']' or ')'; close the interval, such as '{RANGE_EXAMPLE}'"
        ));
    };
    let Some((lower, upper)) = inner.split_once(',') else {
        if open == '[' && close == ']' {
            return parse_version_parts(inner.trim(), 2)
                .map(CkModelVersionRange::exact)
                .map_err(|reason| {
                    format!(
                        "the exact version must be major.minor or major.minor.patch such as '[2.0.2]', but {reason}"
                    )
                });
        }
        return Err(format!(
            "it has no ',' between the bounds; write '{RANGE_EXAMPLE}', or '[2.0.2]' for exactly one version"
        ));
    };
    if upper.contains(',') {
        return Err(format!(
            "it has more than one ','; an interval has two bounds, such as '{RANGE_EXAMPLE}'"
        ));
    }
    let lower = parse_bound(lower, open == '[', "lower")?;
    let upper = parse_bound(upper, close == ']', "upper")?;
    CkModelVersionRange::from_bounds(lower, upper)
}

impl FromStr for CkModelVersionRange {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = match whitespace_reason(s) {
            Some(reason) => Err(reason),
            None => parse_range(s),
        };
        parsed.map_err(|reason| IdError::CkModelVersionRange {
            input: s.to_owned(),
            reason,
        })
    }
}

impl_string_form!(CkModelVersionRange);

/// A dependency on a model: `Name-<range>`, e.g. `System-[2.0,3.0)`, or
/// `Name-<major>.<minor>.<patch>` for exactly one version, e.g. `System-2.0.2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CkModelDependency {
    name: String,
    range: CkModelVersionRange,
}

impl CkModelDependency {
    /// A dependency on the model `name` within `range`.
    ///
    /// # Errors
    /// [`IdError::CkModelDependency`] if `name` is not a valid CK name.
    pub fn new(name: &str, range: CkModelVersionRange) -> Result<Self, IdError> {
        check_name(name, "model name").map_err(|reason| IdError::CkModelDependency {
            input: format!("{name}-{range}"),
            reason: format!("{reason}; expected e.g. '{DEPENDENCY_EXAMPLE}'"),
        })?;
        Ok(Self {
            name: name.to_owned(),
            range,
        })
    }

    /// The model name, e.g. `System`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The accepted versions.
    #[must_use]
    pub fn range(&self) -> &CkModelVersionRange {
        &self.range
    }

    /// Whether `model` has this dependency's name and a version in its range.
    #[must_use]
    pub fn is_satisfied_by(&self, model: &CkModelId) -> bool {
        model.name() == self.name && self.range.contains(&model.version())
    }
}

impl From<CkModelId> for CkModelDependency {
    fn from(model: CkModelId) -> Self {
        Self {
            name: model.name().to_owned(),
            range: CkModelVersionRange::exact(model.version()),
        }
    }
}

fn parse_dependency(s: &str) -> Result<CkModelDependency, String> {
    if s.is_empty() {
        return Err(format!(
            "it is empty; expected '<model name>-<range>' such as '{DEPENDENCY_EXAMPLE}' or 'System-2.0.2'"
        ));
    }
    if let Some(reason) = whitespace_reason(s) {
        return Err(reason);
    }
    // The range itself never contains '-', so when it is in interval
    // notation the separator is the '-' right before the bracket.
    let (name, range) = match s.find(['[', '(']) {
        Some(pos) => match s[..pos].strip_suffix('-') {
            Some(name) => (name, &s[pos..]),
            None => {
                return Err(format!(
                    "the model name and the range must be separated by '-', such as '{DEPENDENCY_EXAMPLE}'"
                ));
            }
        },
        None => match s.rsplit_once('-') {
            Some(split) => split,
            None => {
                let example = if is_valid_name(s) {
                    format!("{s}-[1.0,2.0)")
                } else {
                    DEPENDENCY_EXAMPLE.to_owned()
                };
                return Err(format!(
                    "it has no version; expected '<model name>-<range>' such as '{example}'"
                ));
            }
        },
    };
    let range = parse_range(range)?;
    check_name(name, "model name")
        .map_err(|reason| format!("{reason}; expected e.g. '{DEPENDENCY_EXAMPLE}'"))?;
    Ok(CkModelDependency {
        name: name.to_owned(),
        range,
    })
}

impl FromStr for CkModelDependency {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_dependency(s).map_err(|reason| IdError::CkModelDependency {
            input: s.to_owned(),
            reason,
        })
    }
}

impl fmt::Display for CkModelDependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.range)
    }
}

impl_string_form!(CkModelDependency);

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u32, minor: u32, patch: u32) -> CkModelVersion {
        CkModelVersion::new(major, minor, patch)
    }

    fn range(s: &str) -> CkModelVersionRange {
        s.parse().expect("valid range")
    }

    #[test]
    fn half_open_range_contains_lower_but_not_upper() {
        let r = range("[2.0,3.0)");
        assert!(r.contains(&v(2, 0, 0)));
        assert!(r.contains(&v(2, 9, 9)));
        assert!(!r.contains(&v(3, 0, 0)));
        assert!(!r.contains(&v(1, 9, 9)));
        assert_eq!(r.to_string(), "[2.0,3.0)");
    }

    #[test]
    fn exclusive_lower_and_inclusive_upper() {
        let r = range("(2.0.1,3.0.0]");
        assert!(!r.contains(&v(2, 0, 1)));
        assert!(r.contains(&v(2, 0, 2)));
        assert!(r.contains(&v(3, 0, 0)));
        assert_eq!(r.to_string(), "(2.0.1,3.0]");
    }

    #[test]
    fn open_ends() {
        let r = range("[2.0,)");
        assert!(r.contains(&v(99, 0, 0)));
        assert!(!r.contains(&v(1, 0, 0)));
        let r = range("(,3.0)");
        assert!(r.contains(&v(0, 0, 0)));
        assert!(!r.contains(&v(3, 0, 0)));
        assert_eq!(range("[,3.0)"), r);
    }

    #[test]
    fn exact_forms_are_equal() {
        assert_eq!(range("2.0.2"), range("[2.0.2]"));
        assert_eq!(range("2.0.2"), range("[2.0.2,2.0.2]"));
        assert_eq!(range("[2.0]").exact_version(), Some(v(2, 0, 0)));
        assert!(range("2.0.2").contains(&v(2, 0, 2)));
        assert!(!range("2.0.2").contains(&v(2, 0, 3)));
        assert_eq!(range("[2.0.2]").to_string(), "2.0.2");
    }

    #[test]
    fn spaces_inside_brackets_are_tolerated() {
        assert_eq!(range("[2.0, 3.0)"), range("[2.0,3.0)"));
    }

    #[test]
    fn rejects_bad_ranges() {
        for s in [
            "",
            "2.0",
            "[2.0,3.0",
            "[2.0;3.0)",
            "[3.0,2.0)",
            "(2.0,2.0]",
            "(,)",
            "[2.0,3.0,4.0)",
            "(2.0)",
            "[x,3.0)",
            "[2,3)",
            " [2.0,3.0)",
            "2.0.2.1",
        ] {
            let msg = s.parse::<CkModelVersionRange>().expect_err(s).to_string();
            assert!(msg.starts_with("Invalid CkModelVersionRange"), "{msg}");
        }
    }

    #[test]
    fn new_validates_bounds() {
        assert!(CkModelVersionRange::new(None, None).is_err());
        let r = CkModelVersionRange::new(
            Some(VersionBound::inclusive(v(1, 0, 0))),
            Some(VersionBound::inclusive(v(1, 0, 0))),
        )
        .expect("valid");
        assert_eq!(r, CkModelVersionRange::exact(v(1, 0, 0)));
    }

    #[test]
    fn parses_dependencies() {
        let dep: CkModelDependency = "System-[2.0,3.0)".parse().expect("valid");
        assert_eq!(dep.name(), "System");
        assert_eq!(dep.to_string(), "System-[2.0,3.0)");
        let system: CkModelId = "System-2.2.2".parse().expect("valid");
        assert!(dep.is_satisfied_by(&system));
        let other: CkModelId = "Basic-2.2.2".parse().expect("valid");
        assert!(!dep.is_satisfied_by(&other));

        let exact: CkModelDependency = "System-2.0.2".parse().expect("valid");
        assert_eq!(exact.range().exact_version(), Some(v(2, 0, 2)));
        assert_eq!(exact.to_string(), "System-2.0.2");

        let dotted: CkModelDependency = "Industry.Energy-[1.0,2.0)".parse().expect("valid");
        assert_eq!(dotted.name(), "Industry.Energy");

        let model: CkModelId = "Basic-2.0.2".parse().expect("valid");
        assert_eq!(CkModelDependency::from(model).to_string(), "Basic-2.0.2");
    }

    #[test]
    fn rejects_bad_dependencies() {
        for s in [
            "",
            "System",
            "System[2.0,3.0)",
            "System-[3.0,2.0)",
            "System-2.0",
            "-[2.0,3.0)",
            "Sys tem-[2.0,3.0)",
        ] {
            let msg = s.parse::<CkModelDependency>().expect_err(s).to_string();
            assert!(msg.starts_with("Invalid CkModelDependency"), "{msg}");
        }
    }
}
