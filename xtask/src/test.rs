//! `cargo xtask test`: the stages CI runs, in order, stopping at the first failure.
//!
//! 1. `fmt`: `cargo fmt --all -- --check`
//! 2. `clippy`: `cargo clippy --workspace --all-targets -- -D warnings`
//! 3. `tests`: `cargo nextest run --workspace` (or `cargo test --workspace` without nextest),
//!    with PostgreSQL (`OCTO_TEST_POSTGRES_URL`) and Node.js 22 + `oidc-provider` for the auth
//!    tests (`OCTO_TEST_NODE`, `OCTO_TEST_NODE_MODULES`; installed by `node.rs`)
//! 4. `otel`: clippy and the telemetry test with `mcp-http/otel`, for the whole workspace
//! 5. `examples`: run the embedding examples in `examples/` (each checks its own result)
//! 6. `dist`: pack the release archive (from the test build's binary, see `dist.rs`), unpack it
//!    into an empty folder and run the binary from there: `--version` names the commit, the
//!    example configuration starts it, `/health/ready` and one MCP `initialize` answer
//! 7. `server`: start the test build's `mcp-http` with the conformance fixtures on a free port
//! 8. `conformance`: the official MCP conformance suite, all server scenarios
//! 9. `python-client`: the official MCP Python SDK (`crates/mcp-http/tests/clients/python_client.py`),
//!    on `/mcp` and on the tenant route `/octosystem/mcp`
//! 10. `inspector`: the MCP Inspector CLI lists the tools
//!
//! After `fmt`, stage `deploy` lints `deploy/` (hadolint, kubernetes-validate, the systemd
//! unit; see `deploy_checks.rs`).
//!
//! Stages 5 to 7 use the binaries of stage 3's build (`cargo build --workspace --bins
//! --examples` resolves features as the tests do, so it compiles nothing new).
//!
//! The server started in stage 7 serves stages 8 to 10 and is stopped when the run ends.
//! The last line printed is `xtask: N passed, N failed` (plus `, N skipped` when stages did
//! not run), which CI reads.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use crate::command;
use crate::node::NodeTools;
use crate::python::Venv;
use crate::server::{self, Server};
use crate::workspace::{self, Workspace};

/// Where the conformance suite's list of known failures lives (relative to the root).
const EXPECTED_FAILURES: &str = "crates/mcp-http/tests/conformance/expected-failures.yaml";
/// The Python SDK client script (relative to the root).
const PYTHON_CLIENT: &str = "crates/mcp-http/tests/clients/python_client.py";
/// The Python SDK logging in (device flow in a session, and a bearer token without one).
const PYTHON_AUTH_CLIENT: &str = "crates/mcp-http/tests/clients/python_auth_client.py";
/// The embedding examples in `examples/`, run by stage `examples`.
const EXAMPLES: [&str; 2] = ["domain_without_mcp", "embed_mcp_in_hyper"];
/// Tools that every external client must see listed.
const REQUIRED_TOOLS: [&str; 2] = ["list_available_tools", "get_tool_details"];

/// Upper bounds for the external clients, so that a hang fails the run instead of CI's clock.
const CONFORMANCE_LIMIT: Duration = Duration::from_secs(10 * 60);
const CLIENT_LIMIT: Duration = Duration::from_secs(3 * 60);

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Run only these stages (repeatable; for local iteration). Stages that need the server
    /// start it. CI runs all stages.
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Stage>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Stage {
    Fmt,
    Deploy,
    Clippy,
    Tests,
    Otel,
    Examples,
    Dist,
    Server,
    Conformance,
    PythonClient,
    Inspector,
}

impl Stage {
    const ALL: [Stage; 11] = [
        Stage::Fmt,
        Stage::Deploy,
        Stage::Clippy,
        Stage::Tests,
        Stage::Otel,
        Stage::Examples,
        Stage::Dist,
        Stage::Server,
        Stage::Conformance,
        Stage::PythonClient,
        Stage::Inspector,
    ];

    fn name(self) -> &'static str {
        match self {
            Stage::Fmt => "fmt",
            Stage::Deploy => "deploy",
            Stage::Clippy => "clippy",
            Stage::Tests => "tests",
            Stage::Otel => "otel",
            Stage::Examples => "examples",
            Stage::Dist => "dist",
            Stage::Server => "server",
            Stage::Conformance => "conformance",
            Stage::PythonClient => "python-client",
            Stage::Inspector => "inspector",
        }
    }

    fn needs_server(self) -> bool {
        matches!(
            self,
            Stage::Conformance | Stage::PythonClient | Stage::Inspector
        )
    }
}

/// What one stage came to.
enum Outcome {
    Passed(Duration),
    Failed(Duration),
    NotRun,
}

/// State shared by the stages of one run.
struct Run {
    ws: Workspace,
    server: Option<Server>,
}

/// Runs the selected stages; `Ok(true)` when every one passed.
pub fn run(args: &TestArgs) -> Result<bool> {
    let ws = Workspace::locate()?;
    let selected: Vec<Stage> = Stage::ALL
        .into_iter()
        .filter(|stage| {
            args.only.is_empty()
                || args.only.contains(stage)
                || (*stage == Stage::Server && args.only.iter().any(|s| s.needs_server()))
        })
        .collect();

    let mut run = Run { ws, server: None };
    let mut outcomes: Vec<(Stage, Outcome)> = Vec::new();
    let mut failed = false;
    for stage in selected {
        if failed {
            outcomes.push((stage, Outcome::NotRun));
            continue;
        }
        println!("\n==> xtask: stage {}", stage.name());
        let started = Instant::now();
        let result = run.stage(stage);
        let elapsed = started.elapsed();
        match result {
            Ok(()) => {
                println!(
                    "==> xtask: stage {} passed in {}",
                    stage.name(),
                    seconds(elapsed)
                );
                outcomes.push((stage, Outcome::Passed(elapsed)));
            }
            Err(error) => {
                println!(
                    "==> xtask: stage {} FAILED after {}: {error:#}",
                    stage.name(),
                    seconds(elapsed)
                );
                if let Some(server) = &run.server {
                    println!(
                        "--- last {} lines of the server log ({}) ---\n{}\n--- end of server log ---",
                        server::LOG_TAIL_LINES,
                        server.log_path().display(),
                        server.log_tail(server::LOG_TAIL_LINES)
                    );
                }
                outcomes.push((stage, Outcome::Failed(elapsed)));
                failed = true;
            }
        }
    }
    // Stop the server before the summary, so its shutdown lines do not follow the last line.
    if let Some(mut server) = run.server.take() {
        server.stop();
    }
    Ok(summarize(&outcomes))
}

/// Prints one line per stage and the closing count; true when nothing failed or was skipped.
fn summarize(outcomes: &[(Stage, Outcome)]) -> bool {
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    println!("\n==> xtask: summary");
    for (stage, outcome) in outcomes {
        let line = match outcome {
            Outcome::Passed(took) => {
                passed += 1;
                format!("PASS  {}", seconds(*took))
            }
            Outcome::Failed(took) => {
                failed += 1;
                format!("FAIL  {}", seconds(*took))
            }
            Outcome::NotRun => {
                skipped += 1;
                "SKIP  (not run: an earlier stage failed)".to_owned()
            }
        };
        println!("  {:<14} {line}", stage.name());
    }
    let total: f64 = outcomes
        .iter()
        .map(|(_, outcome)| match outcome {
            Outcome::Passed(took) | Outcome::Failed(took) => took.as_secs_f64(),
            Outcome::NotRun => 0.0,
        })
        .sum();
    println!("  total          {total:.1}s");
    if skipped > 0 {
        println!("xtask: {passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("xtask: {passed} passed, {failed} failed");
    }
    failed == 0 && skipped == 0
}

fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

impl Run {
    fn stage(&mut self, stage: Stage) -> Result<()> {
        match stage {
            Stage::Fmt => self.cargo(&["fmt", "--all", "--", "--check"]),
            Stage::Deploy => crate::deploy_checks::run(&self.ws),
            Stage::Clippy => self.cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
            Stage::Tests => self.tests(),
            Stage::Otel => self.otel(),
            Stage::Examples => self.examples(),
            Stage::Dist => {
                // The test build's binary: `cargo xtask dist` builds only mcp-http, whose
                // dependencies then have other features than in the workspace's test build
                // (dev-dependencies add some) and would all be compiled a third time here.
                let binary = self.test_build_binaries()?.join("mcp-http");
                let made = crate::dist::package(&self.ws, &binary, "the test build")?;
                crate::dist::check_unpacked(&self.ws, &made)
            }
            Stage::Server => self.start_server(),
            Stage::Conformance => self.conformance(),
            Stage::PythonClient => self.python_client(),
            Stage::Inspector => self.inspector(),
        }
    }

    /// A cargo command with the environment every stage shares. The same
    /// `OCTO_BUILD_COMMIT` as `dist` passes keeps mcp-http's build script
    /// (which watches that variable) from rebuilding and relinking the
    /// binary between stages.
    fn cargo_command(&self) -> Command {
        let mut cmd = Command::new(workspace::cargo());
        cmd.current_dir(&self.ws.root)
            .env("OCTO_BUILD_COMMIT", crate::dist::git_commit(&self.ws.root));
        cmd
    }

    fn cargo(&self, args: &[&str]) -> Result<()> {
        command::run(self.cargo_command().args(args))
    }

    /// The binaries and examples of the `tests` stage's build, built if missing; returns the
    /// folder that holds them. Asking for the examples makes cargo resolve features as for the
    /// tests (with dev-dependencies), so after that stage nothing is compiled again.
    fn test_build_binaries(&self) -> Result<PathBuf> {
        self.cargo(&["build", "--workspace", "--bins", "--examples"])?;
        Ok(self.ws.target_dir.join("debug"))
    }

    fn tests(&self) -> Result<()> {
        let mut cmd = self.cargo_command();
        if command::is_available("cargo-nextest") {
            cmd.args(["nextest", "run", "--workspace"]);
        } else {
            println!("cargo-nextest is not installed; using cargo test");
            cmd.args(["test", "--workspace"]);
        }
        // The store's conformance suite runs against PostgreSQL as well as SQLite.
        let postgres = crate::postgres::test_url();
        crate::postgres::ensure_running(&postgres)?;
        cmd.env("OCTO_TEST_POSTGRES_URL", postgres);
        // The auth tests run a certified OpenID provider (npm `oidc-provider`) with Node.js 22.
        let node = NodeTools::ensure(&self.ws)?;
        cmd.env("OCTO_TEST_NODE", &node.node)
            .env("OCTO_TEST_NODE_MODULES", node.modules());
        // Where the published reference models are at hand (../shared beside the checkout, as
        // on CI), the CK tests also check that real OctoMesh models load unchanged.
        let reference = self
            .ws
            .root
            .join("../shared/reference/construction-kit/models");
        if std::env::var_os("OCTO_CK_REFERENCE_DIR").is_none() && reference.is_dir() {
            println!("CK reference models: {}", reference.display());
            cmd.env("OCTO_CK_REFERENCE_DIR", reference);
        }
        command::run(&mut cmd)
    }

    /// The optional `otel` feature: linted, and its export test run against a collector.
    /// Built for the whole workspace, as the stages before it, so that only the crates otel
    /// adds and mcp-http are compiled again (`--package mcp-http` would resolve features
    /// without the other crates' dev-dependencies and compile most of the tree anew).
    fn otel(&self) -> Result<()> {
        self.cargo(&[
            "clippy",
            "--workspace",
            "--features",
            "mcp-http/otel",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])?;
        // The test binaries as for the whole workspace (only what otel adds is compiled), then
        // mcp-http's unit tests with the `telemetry::` filter. (Through nextest, a filter
        // would report every other test of the workspace as skipped.)
        let mut build = self.cargo_command();
        build
            .args([
                "test",
                "--workspace",
                "--features",
                "mcp-http/otel",
                "--no-run",
                "--message-format=json-render-diagnostics",
            ])
            .stderr(std::process::Stdio::inherit());
        println!("$ {}", command::describe(&build));
        let built = command::capture(&mut build)?;
        if !built.status.success() {
            bail!("`{}` failed ({})", command::describe(&build), built.status);
        }
        let unit_tests = String::from_utf8_lossy(&built.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|message| {
                message["reason"] == "compiler-artifact"
                    && message["target"]["name"] == "mcp_http"
                    && message["profile"]["test"] == true
                    && message["target"]["kind"]
                        .as_array()
                        .is_some_and(|kinds| kinds.iter().any(|kind| kind == "lib"))
            })
            .and_then(|message| message["executable"].as_str().map(PathBuf::from))
            .context("cargo reported no unit-test binary of mcp-http")?;
        command::run(
            Command::new(unit_tests)
                .arg("telemetry::")
                .current_dir(self.ws.root.join("crates/mcp-http")),
        )
    }

    /// Runs each embedding example (`examples/`); each checks its own outcome and exits.
    fn examples(&self) -> Result<()> {
        let examples = self.test_build_binaries()?.join("examples");
        for example in EXAMPLES {
            command::run(Command::new(examples.join(example)).current_dir(&self.ws.root))?;
        }
        Ok(())
    }

    fn start_server(&mut self) -> Result<()> {
        let scratch = self.ws.scratch_dir()?;
        let binary = self.test_build_binaries()?.join("mcp-http");
        self.server = Some(Server::start(
            &binary,
            &scratch.join("run-data-dir"),
            &scratch.join("mcp-http.log"),
        )?);
        Ok(())
    }

    fn server(&self) -> Result<&Server> {
        self.server
            .as_ref()
            .context("the server is not running (its stage did not run)")
    }

    fn conformance(&self) -> Result<()> {
        let tools = NodeTools::ensure(&self.ws)?;
        let url = format!("{}/mcp", self.server()?.base_url());
        let results = self.ws.scratch_dir()?.join("conformance-results");
        if results.exists() {
            std::fs::remove_dir_all(&results)
                .with_context(|| format!("removing {}", results.display()))?;
        }
        let expected = self.ws.root.join(EXPECTED_FAILURES);
        let mut cmd = tools.command(&tools.conformance_js())?;
        cmd.args([
            "server",
            "--url",
            &url,
            "--suite",
            "all",
            "--expected-failures",
        ])
        .arg(&expected)
        .arg("--output-dir")
        .arg(&results)
        .current_dir(&self.ws.root);
        let outcome = command::run_with_timeout(&mut cmd, CONFORMANCE_LIMIT);
        // The suite's own summary names failing scenarios; list the failing checks with their
        // messages too, which is what one needs to fix the server.
        match failing_checks(&results) {
            Ok(lines) if lines.is_empty() => {}
            Ok(lines) => {
                println!("conformance checks that did not pass (scenario / check: message):");
                for line in lines {
                    println!("  {line}");
                }
            }
            Err(error) => println!("(could not read the conformance results: {error:#})"),
        }
        outcome.context("the conformance suite reported unexpected results")
    }

    fn python_client(&self) -> Result<()> {
        let venv = Venv::ensure(&self.ws)?;
        let url = format!("{}/mcp", self.server()?.base_url());
        command::run_with_timeout(
            Command::new(&venv.python)
                .arg(self.ws.root.join(PYTHON_CLIENT))
                .arg(&url)
                .current_dir(&self.ws.root),
            CLIENT_LIMIT,
        )
        .context("the MCP Python SDK client failed")?;
        self.python_auth_client(&venv)
    }

    /// A second server with logins on (the default device-flow mode and the built-in
    /// provider), which the Python SDK logs in to as a user would.
    fn python_auth_client(&self, venv: &Venv) -> Result<()> {
        let scratch = self.ws.scratch_dir()?;
        let data_dir = scratch.join("auth-data-dir");
        if data_dir.exists() {
            std::fs::remove_dir_all(&data_dir)
                .with_context(|| format!("removing {}", data_dir.display()))?;
        }
        std::fs::create_dir_all(&data_dir)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_nanos())
            .unwrap_or_default();
        let password = format!("xtask-{}-{nanos}", std::process::id());
        let binary = self.ws.target_dir.join("debug").join("mcp-http");
        let data_dir = data_dir.display().to_string();
        let server = Server::start_plain(
            &binary,
            &self.ws.root,
            &["--data-dir", &data_dir, "--dev-idp-password", &password],
            &scratch.join("mcp-http-auth.log"),
        )?;
        let outcome = command::run_with_timeout(
            Command::new(&venv.python)
                .arg(self.ws.root.join(PYTHON_AUTH_CLIENT))
                .arg(server.base_url())
                .arg(&password)
                .current_dir(&self.ws.root),
            CLIENT_LIMIT,
        );
        if outcome.is_err() {
            println!("{}", server.log_tail(crate::server::LOG_TAIL_LINES));
        }
        outcome.context("the MCP Python SDK login client failed")
    }

    fn inspector(&self) -> Result<()> {
        let tools = NodeTools::ensure(&self.ws)?;
        let url = format!("{}/mcp", self.server()?.base_url());
        let out_path = self.ws.scratch_dir()?.join("inspector-tools-list.json");
        let out = std::fs::File::create(&out_path)
            .with_context(|| format!("creating {}", out_path.display()))?;
        let script = tools.inspector_js();
        let mut cmd = tools.command(&script)?;
        cmd.args([
            "--cli",
            &url,
            "--transport",
            "http",
            "--method",
            "tools/list",
        ])
        .stdout(out);
        // inspector-cli 1.0.3 reads its own package.json through a path it checks relative to
        // the working directory but imports relative to its module: it only works when run
        // from its `build/` directory (or next to another package.json).
        if let Some(build_dir) = script.parent() {
            cmd.current_dir(build_dir);
        }
        let outcome = command::run_with_timeout(&mut cmd, CLIENT_LIMIT);
        let printed = std::fs::read_to_string(&out_path)
            .with_context(|| format!("reading {}", out_path.display()))?;
        println!("{printed}");
        outcome.context("the MCP Inspector CLI failed")?;
        let listing: serde_json::Value = serde_json::from_str(&printed)
            .context("the Inspector's tools/list output is not JSON")?;
        let names: Vec<&str> = listing
            .get("tools")
            .and_then(serde_json::Value::as_array)
            .context("the Inspector's tools/list output has no `tools` array")?
            .iter()
            .filter_map(|tool| tool.get("name").and_then(serde_json::Value::as_str))
            .collect();
        let missing: Vec<&str> = REQUIRED_TOOLS
            .into_iter()
            .filter(|tool| !names.contains(tool))
            .collect();
        if !missing.is_empty() {
            bail!(
                "the Inspector's tools/list does not list {} (it lists: {})",
                missing.join(", "),
                names.join(", ")
            );
        }
        println!(
            "inspector lists {} tools over Streamable HTTP, including {}",
            names.len(),
            REQUIRED_TOOLS.join(" and ")
        );
        Ok(())
    }
}

/// `scenario / check-id: message` for every check in the results directory that is a
/// FAILURE or WARNING (the suite counts both against a scenario).
fn failing_checks(results: &Path) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    if !results.exists() {
        return Ok(lines);
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(results)? {
        let path = entry?.path().join("checks.json");
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    for path in files {
        let scenario = path
            .parent()
            .and_then(Path::file_name)
            .map(|name| scenario_name(&name.to_string_lossy()))
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let checks: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        for check in checks.as_array().into_iter().flatten() {
            let status = check.get("status").and_then(serde_json::Value::as_str);
            if !matches!(status, Some("FAILURE" | "WARNING")) {
                continue;
            }
            let field = |name: &str| {
                check
                    .get(name)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            let message = match field("errorMessage") {
                m if m.is_empty() => field("description"),
                m => m,
            };
            lines.push(format!(
                "{scenario} / {} [{}]: {message}",
                field("id"),
                status.unwrap_or("")
            ));
        }
    }
    Ok(lines)
}

/// The scenario of a results directory named `server-<scenario>-<YYYY-MM-DDTHH-MM-SS-mmmZ>`.
fn scenario_name(dir_name: &str) -> String {
    let name = dir_name.strip_prefix("server-").unwrap_or(dir_name);
    let parts: Vec<&str> = name.split('-').collect();
    // The timestamp has six dash-separated parts.
    if parts.len() > 6 && parts.last().is_some_and(|last| last.ends_with('Z')) {
        parts[..parts.len() - 6].join("-")
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_drop_the_prefix_and_timestamp() {
        assert_eq!(
            scenario_name("server-tools-call-simple-text-2026-11-25T15-55-06-218Z"),
            "tools-call-simple-text"
        );
        assert_eq!(
            scenario_name("server-ping-2026-11-25T15-55-06-209Z"),
            "ping"
        );
        assert_eq!(scenario_name("odd"), "odd");
    }

    #[test]
    fn stage_names_are_the_ones_only_accepts() {
        for stage in Stage::ALL {
            let value = stage.to_possible_value().map(|v| v.get_name().to_owned());
            assert_eq!(value.as_deref(), Some(stage.name()));
        }
    }
}
