//! The crate's single error type, [`IdError`].
//!
//! Every message has the shape `Invalid <Kind> '<input>': <reason>` where the
//! reason says what was wrong and shows a valid example. The messages are
//! meant to be shown verbatim to a person (or a model) in a chat, so they
//! avoid parser jargon and always point at a correct spelling.

use thiserror::Error;

/// Why a string is not a valid OctoMesh identifier.
///
/// There is one variant per identifier kind so that callers can tell which
/// parameter was wrong without parsing the message. Each variant carries the
/// rejected input and a human-readable reason; use [`IdError::input`] and
/// [`IdError::reason`] to get at them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum IdError {
    /// A versioned type id such as `EnergyMeter-1`, or a full or runtime
    /// type id such as `Industry.Energy-1.0.0/EnergyMeter-1` or
    /// `Industry.Energy/EnergyMeter`.
    #[error("Invalid CkTypeId '{input}': {reason}")]
    CkTypeId {
        /// The rejected input.
        input: String,
        /// What was wrong, with a valid example.
        reason: String,
    },
    /// An attribute id in any of its forms, e.g. `Basic/Name`.
    #[error("Invalid CkAttributeId '{input}': {reason}")]
    CkAttributeId {
        /// The rejected input.
        input: String,
        /// What was wrong, with a valid example.
        reason: String,
    },
    /// An enum id in any of its forms.
    #[error("Invalid CkEnumId '{input}': {reason}")]
    CkEnumId {
        /// The rejected input.
        input: String,
        /// What was wrong, with a valid example.
        reason: String,
    },
    /// A record id in any of its forms.
    #[error("Invalid CkRecordId '{input}': {reason}")]
    CkRecordId {
        /// The rejected input.
        input: String,
        /// What was wrong, with a valid example.
        reason: String,
    },
    /// An association role id in any of its forms, e.g. `System/ParentChild`.
    #[error("Invalid CkAssociationRoleId '{input}': {reason}")]
    CkAssociationRoleId {
        /// The rejected input.
        input: String,
        /// What was wrong, with a valid example.
        reason: String,
    },
    /// A model id such as `Basic-2.0.2`.
    #[error("Invalid CkModelId '{input}': {reason}")]
    CkModelId {
        /// The rejected input.
        input: String,
        /// What was wrong, with a valid example.
        reason: String,
    },
    /// A bare model version such as `2.0.2`.
    #[error("Invalid CkModelVersion '{input}': {reason}")]
    CkModelVersion {
        /// The rejected input.
        input: String,
        /// What was wrong, with a valid example.
        reason: String,
    },
    /// A bare model version range such as `[2.0,3.0)`.
    #[error("Invalid CkModelVersionRange '{input}': {reason}")]
    CkModelVersionRange {
        /// The rejected input.
        input: String,
        /// What was wrong, with a valid example.
        reason: String,
    },
    /// A model dependency such as `System-[2.0,3.0)` or `System-2.0.2`.
    #[error("Invalid CkModelDependency '{input}': {reason}")]
    CkModelDependency {
        /// The rejected input.
        input: String,
        /// What was wrong, with a valid example.
        reason: String,
    },
    /// An entity id (`rtId`) such as `507f1f77bcf86cd799439011`.
    #[error("Invalid OctoObjectId '{input}': {reason}")]
    OctoObjectId {
        /// The rejected input.
        input: String,
        /// What was wrong, with a valid example.
        reason: String,
    },
    /// A tenant id such as `octosystem`.
    #[error("Invalid TenantId '{input}': {reason}")]
    TenantId {
        /// The rejected input.
        input: String,
        /// What was wrong, with a valid example.
        reason: String,
    },
}

impl IdError {
    /// The string that was rejected, exactly as given.
    #[must_use]
    pub fn input(&self) -> &str {
        match self {
            Self::CkTypeId { input, .. }
            | Self::CkAttributeId { input, .. }
            | Self::CkEnumId { input, .. }
            | Self::CkRecordId { input, .. }
            | Self::CkAssociationRoleId { input, .. }
            | Self::CkModelId { input, .. }
            | Self::CkModelVersion { input, .. }
            | Self::CkModelVersionRange { input, .. }
            | Self::CkModelDependency { input, .. }
            | Self::OctoObjectId { input, .. }
            | Self::TenantId { input, .. } => input,
        }
    }

    /// Why the input was rejected, without the `Invalid <Kind> '<input>':` prefix.
    #[must_use]
    pub fn reason(&self) -> &str {
        match self {
            Self::CkTypeId { reason, .. }
            | Self::CkAttributeId { reason, .. }
            | Self::CkEnumId { reason, .. }
            | Self::CkRecordId { reason, .. }
            | Self::CkAssociationRoleId { reason, .. }
            | Self::CkModelId { reason, .. }
            | Self::CkModelVersion { reason, .. }
            | Self::CkModelVersionRange { reason, .. }
            | Self::CkModelDependency { reason, .. }
            | Self::OctoObjectId { reason, .. }
            | Self::TenantId { reason, .. } => reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_kind_prefix_input_and_reason() {
        let err = IdError::TenantId {
            input: "X".to_owned(),
            reason: "tenant ids are lower-case".to_owned(),
        };
        assert_eq!(
            err.to_string(),
            "Invalid TenantId 'X': tenant ids are lower-case"
        );
        assert_eq!(err.input(), "X");
        assert_eq!(err.reason(), "tenant ids are lower-case");
    }
}
