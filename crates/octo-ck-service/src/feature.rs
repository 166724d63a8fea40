//! Service-managed features: each owns a `System.*` model that its `enable_*` tool installs.
//!
//! `import_ck_from_catalog` does not install these models (the spec: the model belongs to its
//! service); enabling the feature does, idempotently.

use std::fmt;

/// A platform feature backed by a service-managed CK model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    Communication,
    StreamData,
    Reporting,
    Ui,
}

impl Feature {
    pub const ALL: [Feature; 4] = [
        Feature::Communication,
        Feature::StreamData,
        Feature::Reporting,
        Feature::Ui,
    ];

    /// The service-managed model the feature installs.
    pub fn model_name(self) -> &'static str {
        match self {
            Feature::Communication => "System.Communication",
            Feature::StreamData => "System.StreamData",
            Feature::Reporting => "System.Reporting",
            Feature::Ui => "System.UI",
        }
    }

    /// The tool that enables it.
    pub fn enable_tool(self) -> &'static str {
        match self {
            Feature::Communication => "enable_communication",
            Feature::StreamData => "enable_stream_data",
            Feature::Reporting => "enable_reporting",
            Feature::Ui => "enable_ui",
        }
    }

    /// The feature whose model is `model_name`, if it is service-managed by one.
    pub fn for_model(model_name: &str) -> Option<Feature> {
        Feature::ALL
            .into_iter()
            .find(|feature| feature.model_name() == model_name)
    }

    /// Human name used in messages (`Stream Data enabled for tenant …`).
    pub fn display_name(self) -> &'static str {
        match self {
            Feature::Communication => "Communication",
            Feature::StreamData => "Stream Data",
            Feature::Reporting => "Reporting",
            Feature::Ui => "UI",
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}
