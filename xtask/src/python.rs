//! The Python virtualenv for the official MCP Python SDK client, in `target/xtask/py-venv/`.
//!
//! The SDK and all its dependencies are pinned in `xtask/python/requirements.txt`. A stamp
//! file in the venv makes a repeated run skip `pip install` while the pins are unchanged.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::command;
use crate::workspace::Workspace;

const STAMP: &str = ".xtask-installed";

/// A virtualenv with the pinned requirements installed.
#[derive(Debug)]
pub struct Venv {
    /// The venv's `python`.
    pub python: PathBuf,
}

impl Venv {
    /// Creates the venv (with the machine's `python3`) and installs the pins unless done already.
    pub fn ensure(ws: &Workspace) -> Result<Self> {
        let requirements_path = ws.xtask_dir().join("python/requirements.txt");
        let requirements = std::fs::read_to_string(&requirements_path)
            .with_context(|| format!("reading {}", requirements_path.display()))?;
        let dir = ws.scratch_dir()?.join("py-venv");
        let venv = Self {
            python: dir.join("bin/python"),
        };
        let stamp_path = dir.join(STAMP);

        let python_runs = command::capture(Command::new(&venv.python).arg("--version"))
            .is_ok_and(|output| output.status.success());
        if python_runs && std::fs::read_to_string(&stamp_path).is_ok_and(|old| old == requirements)
        {
            println!("python venv already set up in {}", dir.display());
            return Ok(venv);
        }

        if !python_runs {
            if !command::is_available("python3") {
                bail!(
                    "`python3` was not found on PATH: it is needed for the MCP Python SDK client"
                );
            }
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("removing broken venv {}", dir.display()))?;
            }
            command::run(Command::new("python3").args(["-m", "venv"]).arg(&dir))
                .context("creating the python venv failed")?;
        }
        let _ = std::fs::remove_file(&stamp_path);
        command::run(
            Command::new(&venv.python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--no-input",
                    "--disable-pip-version-check",
                    "--progress-bar=off",
                    "-r",
                ])
                .arg(&requirements_path),
        )
        .context("installing the MCP Python SDK into the venv failed")?;
        std::fs::write(&stamp_path, requirements)
            .with_context(|| format!("writing {}", stamp_path.display()))?;
        Ok(venv)
    }
}
