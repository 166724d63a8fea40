//! OctoMesh identifiers.
