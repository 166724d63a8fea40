//! `cargo xtask docs`: regenerates `docs/tools.md` from the tool registry and checks
//! `docs/configuration.md` against the server's flags.
//!
//! The generator is the `tools_doc` test of `octo-tools`: it rewrites a stale file and fails, so
//! the same code both checks (in `cargo xtask test`) and regenerates (here, by running it again
//! after a rewrite). The configuration page is written by hand; its test names what is missing.

use std::process::Command;

use anyhow::{Result, bail};

use crate::command;
use crate::workspace::{self, Workspace};

pub fn run() -> Result<bool> {
    let ws = Workspace::locate()?;
    let tools_doc = || {
        command::run(
            Command::new(workspace::cargo())
                .args(["test", "--package", "octo-tools", "--test", "tools_doc"])
                .current_dir(&ws.root),
        )
    };
    if tools_doc().is_err() {
        println!("docs/tools.md was regenerated; checking it once more");
        tools_doc()?;
    }
    println!("docs/tools.md is up to date");
    let config = command::run(
        Command::new(workspace::cargo())
            .args([
                "test",
                "--package",
                "mcp-http",
                "--lib",
                "example_file_and_configuration_doc_cover_every_setting",
            ])
            .current_dir(&ws.root),
    );
    if config.is_err() {
        bail!(
            "docs/configuration.md or deploy/mcp-http.example.toml misses a setting (the test output above names it)"
        );
    }
    println!("docs/configuration.md and deploy/mcp-http.example.toml cover every setting");
    Ok(true)
}
