//! Where things are: the workspace root, cargo's target directory and xtask's own scratch space.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::command;

/// Paths every stage needs. The scratch directory `target/xtask/` holds installed client
/// tools, the server's data and logs; deleting it only costs a slower next run.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
}

impl Workspace {
    /// Finds the workspace from xtask's own manifest and asks cargo for the target directory
    /// (which honours `CARGO_TARGET_DIR`).
    pub fn locate() -> Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask's manifest directory has no parent")?
            .to_path_buf();
        let mut metadata = Command::new(cargo());
        metadata
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(&root);
        let output = command::capture(&mut metadata)?;
        if !output.status.success() {
            anyhow::bail!(
                "`cargo metadata` failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let json: serde_json::Value = serde_json::from_slice(&output.stdout)
            .context("`cargo metadata` printed something that is not JSON")?;
        let target_dir = json
            .get("target_directory")
            .and_then(serde_json::Value::as_str)
            .map(PathBuf::from)
            .context("`cargo metadata` gave no target_directory")?;
        Ok(Self { root, target_dir })
    }

    /// `target/xtask/`, created on demand.
    pub fn scratch_dir(&self) -> Result<PathBuf> {
        let dir = self.target_dir.join("xtask");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }

    /// The xtask crate's own directory (`xtask/`), where the pinned client tool lists live.
    pub fn xtask_dir(&self) -> PathBuf {
        self.root.join("xtask")
    }
}

/// The cargo that runs us (so a rustup proxy picks the same toolchain), else `cargo`.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}
