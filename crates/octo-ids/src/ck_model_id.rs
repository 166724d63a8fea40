//! Construction Kit model ids: `Name-<major>.<minor>.<patch>`, e.g.
//! `Basic-2.0.2`, `System-2.2.2` or `Industry.Energy-1.0.0`.
//!
//! The model name follows the shared CK name rules (see [`crate::ck_name`]),
//! so it may contain dots. The id is split on its last `-`.

use std::fmt;
use std::str::FromStr;

use crate::ck_name::{check_name, is_valid_name, whitespace_reason};
use crate::error::IdError;
use crate::string_form::impl_string_form;
use crate::version_number::{describe, parse_number};

/// A model version `major.minor.patch`, e.g. `2.0.2`.
///
/// Ordering is numeric part by part, so `2.10.0 > 2.9.0`. There are no
/// pre-release or build suffixes: OctoMesh model versions do not use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CkModelVersion {
    /// Incremented for breaking changes.
    pub major: u32,
    /// Incremented for compatible additions.
    pub minor: u32,
    /// Incremented for fixes.
    pub patch: u32,
}

impl CkModelVersion {
    /// The version `major.minor.patch`.
    #[must_use]
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for CkModelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Parses `major.minor[.patch]` with between `min_parts` and 3 parts; a
/// missing patch is 0. The reason is a clause that callers append to their
/// own expectation: "... must be major.minor.patch such as '2.0.2', but <reason>".
pub(crate) fn parse_version_parts(s: &str, min_parts: usize) -> Result<CkModelVersion, String> {
    if s.is_empty() {
        return Err("it is empty".to_owned());
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() < min_parts || parts.len() > 3 {
        let all_numbers = parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        return Err(match (all_numbers, parts.len()) {
            (true, 1) => format!("'{s}' is a single number"),
            (true, n) => format!("'{s}' has {n} numbers"),
            (false, _) => format!("'{s}' is not a version"),
        });
    }
    let mut numbers = [0_u32; 3];
    for ((number, part), label) in numbers
        .iter_mut()
        .zip(&parts)
        .zip(["major", "minor", "patch"])
    {
        *number = parse_number(part).map_err(|problem| {
            if part.is_empty() {
                format!("the {label} number of '{s}' is empty")
            } else {
                format!("its {label} number {}", describe(problem, part))
            }
        })?;
    }
    let [major, minor, patch] = numbers;
    Ok(CkModelVersion::new(major, minor, patch))
}

impl FromStr for CkModelVersion {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let reason = if s.is_empty() {
            "it is empty; expected major.minor.patch such as '2.0.2'".to_owned()
        } else if let Some(reason) = whitespace_reason(s) {
            reason
        } else {
            match parse_version_parts(s, 3) {
                Ok(version) => return Ok(version),
                Err(reason) => {
                    format!("expected major.minor.patch such as '2.0.2', but {reason}")
                }
            }
        };
        Err(IdError::CkModelVersion {
            input: s.to_owned(),
            reason,
        })
    }
}

impl_string_form!(CkModelVersion);

/// A model id `Name-<major>.<minor>.<patch>`, e.g. `Industry.Energy-1.0.0`.
///
/// Ordered by name, then by version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CkModelId {
    name: String,
    version: CkModelVersion,
}

const MODEL_EXAMPLE: &str = "Industry.Energy-1.0.0";

impl CkModelId {
    /// A model id from a model name and version, checking the name rules.
    ///
    /// # Errors
    /// [`IdError::CkModelId`] if `name` is not a valid CK name.
    pub fn new(name: &str, version: CkModelVersion) -> Result<Self, IdError> {
        check_name(name, "model name").map_err(|reason| IdError::CkModelId {
            input: format!("{name}-{version}"),
            reason: format!("{reason}; expected e.g. '{MODEL_EXAMPLE}'"),
        })?;
        Ok(Self {
            name: name.to_owned(),
            version,
        })
    }

    /// The model name, e.g. `Industry.Energy`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model version, e.g. `1.0.0`.
    #[must_use]
    pub fn version(&self) -> CkModelVersion {
        self.version
    }
}

/// Parses a model id and returns a reason without the `Invalid ...` prefix,
/// so full element ids can embed it in their own message.
pub(crate) fn parse_model_id(s: &str) -> Result<CkModelId, String> {
    if s.is_empty() {
        return Err(format!(
            "the model id is empty; expected e.g. '{MODEL_EXAMPLE}'"
        ));
    }
    let Some((name, version)) = s.rsplit_once('-') else {
        let example = if is_valid_name(s) {
            format!("{s}-1.0.0")
        } else {
            MODEL_EXAMPLE.to_owned()
        };
        return Err(format!(
            "the model id '{s}' has no version; expected '<name>-<major>.<minor>.<patch>' such as '{example}'"
        ));
    };
    let example = if is_valid_name(name) {
        format!("{name}-1.0.0")
    } else {
        MODEL_EXAMPLE.to_owned()
    };
    if version.is_empty() {
        return Err(format!(
            "the version after the last '-' is empty; expected major.minor.patch such as '{example}'"
        ));
    }
    let version = parse_version_parts(version, 3).map_err(|reason| {
        // `Basic-2.0.2-beta` splits into `Basic-2.0.2` and `beta`; say what
        // is really wrong instead of complaining about "beta".
        if let Some((base, release)) = name.rsplit_once('-')
            && parse_version_parts(release, 3).is_ok()
            && is_valid_name(base)
        {
            return format!(
                "pre-release suffixes such as '-{version}' are not supported; use '{name}'"
            );
        }
        format!(
            "the version after the last '-' must be major.minor.patch such as '{example}', but {reason}"
        )
    })?;
    check_name(name, "model name")
        .map_err(|reason| format!("{reason}; expected e.g. '{MODEL_EXAMPLE}'"))?;
    Ok(CkModelId {
        name: name.to_owned(),
        version,
    })
}

impl FromStr for CkModelId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let reason = if let Some(reason) = whitespace_reason(s) {
            reason
        } else if s.contains('/') {
            format!(
                "it contains '/', so it looks like an element id; a model id is only the part before the '/', such as '{MODEL_EXAMPLE}'"
            )
        } else {
            match parse_model_id(s) {
                Ok(id) => return Ok(id),
                Err(reason) => reason,
            }
        };
        Err(IdError::CkModelId {
            input: s.to_owned(),
            reason,
        })
    }
}

impl fmt::Display for CkModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.version)
    }
}

impl_string_form!(CkModelId);

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        s.parse::<CkModelId>()
            .expect_err("should be rejected")
            .to_string()
    }

    #[test]
    fn parses_real_model_ids() {
        for (s, name, version) in [
            ("Basic-2.0.2", "Basic", CkModelVersion::new(2, 0, 2)),
            ("System-2.2.2", "System", CkModelVersion::new(2, 2, 2)),
            (
                "Industry.Energy-1.0.0",
                "Industry.Energy",
                CkModelVersion::new(1, 0, 0),
            ),
        ] {
            let id: CkModelId = s.parse().expect("valid");
            assert_eq!(id.name(), name);
            assert_eq!(id.version(), version);
            assert_eq!(id.to_string(), s);
        }
    }

    #[test]
    fn rejects_bad_model_ids() {
        for s in [
            "",
            "Basic",
            "Basic-",
            "Basic-2",
            "Basic-2.0",
            "Basic-2.0.2.1",
            "Basic-2.0.x",
            "Basic-02.0.0",
            "-2.0.2",
            "Ba sic-2.0.2",
            " Basic-2.0.2",
            "Basic-2.0.2/Tree-1",
            "Basic-2.0.2-beta",
        ] {
            let msg = err(s);
            assert!(msg.starts_with("Invalid CkModelId"), "{msg}");
        }
    }

    #[test]
    fn messages_show_a_valid_example() {
        assert!(err("Basic").contains("'Basic-1.0.0'"));
        assert!(err("Basic-2.0").contains("major.minor.patch"));
        assert!(err("Basic-2.0").contains("'Basic-1.0.0'"));
    }

    #[test]
    fn pre_release_suffix_is_named() {
        assert_eq!(
            err("Basic-2.0.2-beta"),
            "Invalid CkModelId 'Basic-2.0.2-beta': pre-release suffixes such as '-beta' are not supported; use 'Basic-2.0.2'"
        );
    }

    #[test]
    fn version_parses_and_orders_numerically() {
        let a: CkModelVersion = "2.9.0".parse().expect("valid");
        let b: CkModelVersion = "2.10.0".parse().expect("valid");
        assert!(a < b);
        let msg = "2.0"
            .parse::<CkModelVersion>()
            .expect_err("invalid")
            .to_string();
        assert!(msg.starts_with("Invalid CkModelVersion '2.0'"), "{msg}");
    }

    #[test]
    fn new_checks_the_name() {
        assert!(CkModelId::new("Basic", CkModelVersion::new(1, 0, 0)).is_ok());
        let msg = CkModelId::new("Bad-Name", CkModelVersion::new(1, 0, 0))
            .expect_err("invalid")
            .to_string();
        assert!(msg.starts_with("Invalid CkModelId"), "{msg}");
    }
}
