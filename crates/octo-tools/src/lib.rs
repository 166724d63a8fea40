//! octo-tools
