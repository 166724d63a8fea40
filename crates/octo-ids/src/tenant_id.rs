//! Tenant ids, e.g. `octosystem` or `meshtest`.
//!
//! OctoMesh uses a tenant id as the name of the tenant's database, so the
//! rules are those of a portable database and DNS-label name:
//!
//! - 1 to 63 characters (MongoDB allows 64 bytes for database names);
//! - the first character is a lower-case ASCII letter `a`-`z`;
//! - the rest are lower-case ASCII letters, digits `0`-`9`, `-` or `_`.
//!
//! Upper case is rejected rather than silently folded, because the server
//! treats ids case-sensitively in some places; the error says which
//! lower-case id was probably meant. [`TenantId::parse_normalized`] folds
//! case first, for inputs the reference server lowercases itself (such as
//! `childTenantId`).

use std::fmt;
use std::str::FromStr;

use crate::ck_name::whitespace_reason;
use crate::error::IdError;
use crate::string_form::impl_string_form;

/// The tenant that holds the system data of an OctoMesh installation.
pub const SYSTEM_TENANT: &str = "octosystem";

/// Longest accepted tenant id.
pub const MAX_TENANT_ID_LEN: usize = 63;

const EXAMPLE: &str = "meshtest";

/// A tenant id; see the [module documentation](self) for the rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(String);

impl TenantId {
    /// The system tenant, `octosystem`.
    #[must_use]
    pub fn system() -> Self {
        Self(SYSTEM_TENANT.to_owned())
    }

    /// Whether this is the system tenant.
    #[must_use]
    pub fn is_system(&self) -> bool {
        self.0 == SYSTEM_TENANT
    }

    /// The id as a string slice.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses `s` after lower-casing its ASCII letters, so `MeshTest` gives
    /// `meshtest`.
    ///
    /// # Errors
    /// [`IdError::TenantId`] if the lower-cased input breaks the rules; the
    /// message shows the input as given.
    pub fn parse_normalized(s: &str) -> Result<Self, IdError> {
        let lower = s.to_ascii_lowercase();
        check(&lower)
            .map(|()| Self(lower))
            .map_err(|reason| IdError::TenantId {
                input: s.to_owned(),
                reason,
            })
    }
}

fn is_tail_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

fn check(s: &str) -> Result<(), String> {
    let allowed = "lower-case letters a-z, digits 0-9, '-' and '_'";
    let Some(first) = s.chars().next() else {
        return Err(format!(
            "it is empty; expected 1 to {MAX_TENANT_ID_LEN} {allowed}, such as '{EXAMPLE}'"
        ));
    };
    if let Some(reason) = whitespace_reason(s) {
        return Err(reason);
    }
    let len = s.chars().count();
    if len > MAX_TENANT_ID_LEN {
        return Err(format!(
            "it is {len} characters long; tenant ids have at most {MAX_TENANT_ID_LEN}"
        ));
    }
    if s.chars().any(|c| c.is_ascii_uppercase()) {
        let lower = s.to_ascii_lowercase();
        return Err(if check(&lower).is_ok() {
            format!("tenant ids are lower-case; use '{lower}'")
        } else {
            format!("tenant ids are lower-case and may only use {allowed}, such as '{EXAMPLE}'")
        });
    }
    if !first.is_ascii_lowercase() {
        return Err(format!(
            "it must start with a lower-case letter a-z, such as '{EXAMPLE}'"
        ));
    }
    if let Some(c) = s.chars().find(|c| !is_tail_char(*c)) {
        return Err(format!(
            "it contains {c:?}; tenant ids may only use {allowed}, such as '{EXAMPLE}'"
        ));
    }
    Ok(())
}

impl FromStr for TenantId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check(s)
            .map(|()| Self(s.to_owned()))
            .map_err(|reason| IdError::TenantId {
                input: s.to_owned(),
                reason,
            })
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TenantId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl_string_form!(TenantId);

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        s.parse::<TenantId>().expect_err(s).to_string()
    }

    #[test]
    fn accepts_valid_ids() {
        for s in ["octosystem", "meshtest", "a", "tenant-1", "my_tenant", "t0"] {
            assert_eq!(s.parse::<TenantId>().expect(s).as_str(), s);
        }
        assert_eq!(
            "x".repeat(MAX_TENANT_ID_LEN)
                .parse::<TenantId>()
                .map(|t| t.to_string()),
            Ok("x".repeat(MAX_TENANT_ID_LEN))
        );
    }

    #[test]
    fn system_tenant() {
        assert_eq!(TenantId::system().to_string(), "octosystem");
        assert!(TenantId::system().is_system());
        assert!(!"meshtest".parse::<TenantId>().expect("valid").is_system());
    }

    #[test]
    fn rejects_upper_case_with_a_hint() {
        assert_eq!(
            err("MeshTest"),
            "Invalid TenantId 'MeshTest': tenant ids are lower-case; use 'meshtest'"
        );
    }

    #[test]
    fn parse_normalized_lowercases() {
        assert_eq!(
            TenantId::parse_normalized("MeshTest").map(|t| t.to_string()),
            Ok("meshtest".to_owned())
        );
        let msg = TenantId::parse_normalized("Mesh Test")
            .expect_err("space")
            .to_string();
        assert!(msg.starts_with("Invalid TenantId 'Mesh Test'"), "{msg}");
    }

    #[test]
    fn rejects_bad_ids() {
        let long = "x".repeat(MAX_TENANT_ID_LEN + 1);
        for s in [
            "",
            "1abc",
            "-abc",
            "_abc",
            "mesh.test",
            "mesh test",
            " meshtest",
            "méshtest",
            long.as_str(),
        ] {
            assert!(err(s).starts_with("Invalid TenantId"), "{s}");
        }
    }
}
