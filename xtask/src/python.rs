//! Python virtualenvs under `target/xtask/` for the Python tools the checks use: the official
//! MCP Python SDK client (`py-venv`, pins in `xtask/python/requirements.txt`) and the deploy
//! linters (`deploy-venv`, pins in `xtask/python/requirements-deploy.txt`). A stamp file in
//! each venv makes a repeated run skip `pip install` while the pins are unchanged.

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
    /// The venv of the MCP Python SDK client.
    pub fn ensure(ws: &Workspace) -> Result<Self> {
        Self::ensure_for(
            ws,
            "python/requirements.txt",
            "py-venv",
            "the MCP Python SDK client",
        )
    }

    /// Creates the venv `target/xtask/<folder>` (with the machine's `python3`) and installs the
    /// pins of `xtask/<requirements>` unless done already; `purpose` names it in messages.
    pub fn ensure_for(
        ws: &Workspace,
        requirements: &str,
        folder: &str,
        purpose: &str,
    ) -> Result<Self> {
        let requirements_path = ws.xtask_dir().join(requirements);
        let requirements = std::fs::read_to_string(&requirements_path)
            .with_context(|| format!("reading {}", requirements_path.display()))?;
        let dir = ws.scratch_dir()?.join(folder);
        let venv = Self {
            python: dir.join("bin/python"),
        };
        let stamp_path = dir.join(STAMP);

        let python_runs = command::capture(Command::new(&venv.python).arg("--version"))
            .is_ok_and(|output| output.status.success());
        if python_runs && std::fs::read_to_string(&stamp_path).is_ok_and(|old| old == requirements)
        {
            println!(
                "python venv for {purpose} already set up in {}",
                dir.display()
            );
            return Ok(venv);
        }

        if !python_runs {
            if !command::is_available("python3") {
                bail!("`python3` was not found on PATH: it is needed for {purpose}");
            }
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("removing broken venv {}", dir.display()))?;
            }
            command::run(Command::new("python3").args(["-m", "venv"]).arg(&dir))
                .with_context(|| format!("creating the python venv for {purpose} failed"))?;
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
        .with_context(|| format!("installing the pins for {purpose} into the venv failed"))?;
        std::fs::write(&stamp_path, requirements)
            .with_context(|| format!("writing {}", stamp_path.display()))?;
        Ok(venv)
    }
}
