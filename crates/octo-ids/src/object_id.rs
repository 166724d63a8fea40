//! Entity ids (`rtId`): MongoDB ObjectIds written as 24 hexadecimal
//! characters, e.g. `507f1f77bcf86cd799439011`.

use std::fmt;
use std::str::FromStr;

use bson::oid::ObjectId;

use crate::error::IdError;
use crate::string_form::impl_string_form;

const HEX_LEN: usize = 24;
const EXAMPLE: &str = "507f1f77bcf86cd799439011";

/// The id of a runtime entity, a 12-byte MongoDB ObjectId.
///
/// Parsing accepts exactly 24 hexadecimal characters in either case;
/// `Display` always writes lower case, which is how OctoMesh stores them.
/// Ordering is by bytes, which for generated ids is roughly creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OctoObjectId([u8; 12]);

impl OctoObjectId {
    /// A freshly generated id (timestamp, process id and counter, as MongoDB
    /// generates them).
    #[must_use]
    #[allow(clippy::new_without_default)] // a random default would surprise
    pub fn new() -> Self {
        Self(ObjectId::new().bytes())
    }

    /// The id with these raw bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 12]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }

    /// The same id as a `bson` ObjectId, for database queries.
    #[must_use]
    pub const fn to_object_id(self) -> ObjectId {
        ObjectId::from_bytes(self.0)
    }

    /// The creation time encoded in the first four bytes.
    #[must_use]
    pub fn timestamp(&self) -> bson::DateTime {
        self.to_object_id().timestamp()
    }
}

impl From<ObjectId> for OctoObjectId {
    fn from(oid: ObjectId) -> Self {
        Self(oid.bytes())
    }
}

impl From<OctoObjectId> for ObjectId {
    fn from(id: OctoObjectId) -> Self {
        id.to_object_id()
    }
}

fn reject(s: &str) -> IdError {
    let expected = format!("expected {HEX_LEN} hexadecimal characters [0-9a-fA-F], e.g. {EXAMPLE}");
    let len = s.chars().count();
    let detail = if let Some(c) = s.chars().find(|c| !c.is_ascii_hexdigit()) {
        if len == HEX_LEN {
            format!(" ({c:?} is not hexadecimal)")
        } else {
            format!(" (got {len} characters, including {c:?} which is not hexadecimal)")
        }
    } else {
        format!(" (got {len} characters)")
    };
    IdError::OctoObjectId {
        input: s.to_owned(),
        reason: format!("{expected}{detail}"),
    }
}

impl FromStr for OctoObjectId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != HEX_LEN || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(reject(s));
        }
        ObjectId::parse_str(s)
            .map(Self::from)
            .map_err(|_| reject(s))
    }
}

impl fmt::Display for OctoObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_object_id().to_hex())
    }
}

impl_string_form!(OctoObjectId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_either_case_and_displays_lower_case() {
        let lower: OctoObjectId = EXAMPLE.parse().expect("valid");
        let upper: OctoObjectId = EXAMPLE.to_uppercase().parse().expect("valid");
        assert_eq!(lower, upper);
        assert_eq!(upper.to_string(), EXAMPLE);
    }

    #[test]
    fn rejects_wrong_shapes_with_the_expected_shape() {
        for s in [
            "",
            "abc",
            "507f1f77bcf86cd79943901",
            "507f1f77bcf86cd7994390111",
            "507f1f77bcf86cd79943901g",
            " 507f1f77bcf86cd799439011",
            "ObjectId(\"507f1f77bcf86cd799439011\")",
        ] {
            let msg = s.parse::<OctoObjectId>().expect_err(s).to_string();
            assert!(
                msg.starts_with(&format!(
                    "Invalid OctoObjectId '{s}': expected 24 hexadecimal characters [0-9a-fA-F], e.g. 507f1f77bcf86cd799439011"
                )),
                "{msg}"
            );
        }
    }

    #[test]
    fn bytes_and_bson_round_trip() {
        let id = OctoObjectId::new();
        assert_eq!(OctoObjectId::from_bytes(*id.as_bytes()), id);
        assert_eq!(OctoObjectId::from(ObjectId::from(id)), id);
        assert_ne!(OctoObjectId::new(), id);
        assert!(id.timestamp().timestamp_millis() > 0);
    }
}
