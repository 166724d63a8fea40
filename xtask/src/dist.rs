//! `cargo xtask dist`: the release archive.
//!
//! Builds `mcp-http` with `[profile.dist]` (fat LTO, one codegen unit, stripped) and packs
//! `target/dist/mcp-http-<version>-<target>.tar.gz` with the binary, README, LICENSE, an example
//! configuration and the docs, plus `<archive>.sha256` in the format `sha256sum -c` reads.
//!
//! `cargo xtask test` packs the debug build through the same code (`--profile dev`), unpacks it
//! into an empty folder and runs it from there (see [`check_unpacked`]): what the check proves is
//! that the archive carries everything the binary needs, which does not depend on the optimiser,
//! and a fat-LTO build on CI's two cores would cost more minutes than the rest of the suite.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use crate::command;
use crate::server::Server;
use crate::workspace::{self, Workspace};

/// Files and folders (relative to the workspace root) that go into the archive beside the
/// binary. The example configuration is what an operator starts from.
const PAYLOAD: [&str; 4] = [
    "README.md",
    "LICENSE",
    "deploy/mcp-http.example.toml",
    "docs",
];

#[derive(Args, Debug)]
pub struct DistArgs {
    /// Cargo profile to build with (`dist` for releases; `dev` packs the debug build quickly).
    #[arg(long, default_value = "dist")]
    profile: String,
    /// Cargo features of `mcp-http` to build in, e.g. `otel` (OpenTelemetry span export).
    #[arg(long)]
    features: Option<String>,
}

/// What `dist` produced.
#[derive(Debug)]
pub struct DistArchive {
    pub archive: PathBuf,
    /// The folder name inside the archive (`mcp-http-<version>-<target>`).
    pub top_dir: String,
}

/// `cargo xtask dist`.
pub fn run(args: &DistArgs) -> Result<bool> {
    let ws = Workspace::locate()?;
    let made = build(&ws, &args.profile, args.features.as_deref())?;
    println!("{}", made.archive.display());
    println!("{}", sha256_path(&made.archive).display());
    Ok(true)
}

/// Builds the binary with `profile` and packs it; returns the archive's path.
pub fn build(ws: &Workspace, profile: &str, features: Option<&str>) -> Result<DistArchive> {
    let commit = git_commit(&ws.root);
    let mut cargo = Command::new(workspace::cargo());
    cargo
        .args([
            "build",
            "--locked",
            "--package",
            "mcp-http",
            "--profile",
            profile,
        ])
        .env("OCTO_BUILD_COMMIT", &commit)
        .current_dir(&ws.root);
    if let Some(features) = features {
        cargo.args(["--features", features]);
    }
    command::run(&mut cargo)?;
    // Cargo names the output folder of the `dev` profile `debug`.
    let profile_dir = if profile == "dev" { "debug" } else { profile };
    let binary = ws.target_dir.join(profile_dir).join("mcp-http");
    package(ws, &binary, &format!("commit {commit}, profile {profile}"))
}

/// Packs `binary` (built already; `built` says how, for the log) with the payload into
/// `target/dist/`, with its `.sha256` file.
pub fn package(ws: &Workspace, binary: &Path, built: &str) -> Result<DistArchive> {
    if !binary.is_file() {
        bail!("cargo built no binary at {}", binary.display());
    }
    let version = package_version(ws)?;
    let target = host_target()?;
    let top_dir = format!("mcp-http-{version}-{target}");
    let dist_dir = ws.target_dir.join("dist");
    std::fs::create_dir_all(&dist_dir)
        .with_context(|| format!("creating {}", dist_dir.display()))?;
    let archive = dist_dir.join(format!("{top_dir}.tar.gz"));
    pack(ws, binary, &archive, &top_dir)?;
    let digest = sha256_file(&archive)?;
    let file_name = archive
        .file_name()
        .and_then(|name| name.to_str())
        .context("archive path has no file name")?;
    std::fs::write(sha256_path(&archive), format!("{digest}  {file_name}\n"))
        .context("writing the .sha256 file")?;
    println!("packed {} ({built}, sha256 {digest})", archive.display());
    Ok(DistArchive { archive, top_dir })
}

fn sha256_path(archive: &Path) -> PathBuf {
    let mut name = archive.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

fn pack(ws: &Workspace, binary: &Path, archive: &Path, top_dir: &str) -> Result<()> {
    let file = File::create(archive).with_context(|| format!("creating {}", archive.display()))?;
    let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::default()));
    tar.follow_symlinks(false);
    tar.append_path_with_name(binary, format!("{top_dir}/bin/mcp-http"))
        .context("adding the binary")?;
    for entry in PAYLOAD {
        let source = ws.root.join(entry);
        let name = format!("{top_dir}/{entry}");
        if source.is_dir() {
            tar.append_dir_all(&name, &source)
        } else {
            tar.append_path_with_name(&source, &name)
        }
        .with_context(|| format!("adding {}", source.display()))?;
    }
    let encoder = tar.into_inner().context("finishing the tar stream")?;
    encoder
        .finish()
        .context("finishing the gzip stream")?
        .flush()
        .context("flushing the archive")?;
    Ok(())
}

/// Unpacks `made` into an empty folder and starts the binary from there, with the folder as
/// its working directory and nothing else around it; checks readiness and one MCP round trip.
pub fn check_unpacked(ws: &Workspace, made: &DistArchive) -> Result<()> {
    let scratch = ws.scratch_dir()?.join("dist-check");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .with_context(|| format!("removing {}", scratch.display()))?;
    }
    std::fs::create_dir_all(&scratch)?;
    let expected = std::fs::read_to_string(sha256_path(&made.archive))?;
    let digest = sha256_file(&made.archive)?;
    if !expected.starts_with(&digest) {
        bail!("the .sha256 file does not match the archive");
    }
    let file = File::open(&made.archive)?;
    tar::Archive::new(flate2::read::GzDecoder::new(file))
        .unpack(&scratch)
        .context("unpacking the archive")?;
    let home = scratch.join(&made.top_dir);
    for entry in PAYLOAD {
        if !home.join(entry).exists() {
            bail!("the archive lacks {entry}");
        }
    }
    let binary = home.join("bin/mcp-http");
    let version = command::capture(Command::new(&binary).arg("--version"))?;
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    println!("{version}");
    if !version.contains("(commit ") || version.contains("commit unknown") {
        bail!("`mcp-http --version` does not name the commit: {version:?}");
    }
    // The example configuration is what an operator starts from: it must start the server.
    let server = Server::start_plain(
        &binary,
        &home,
        &["--config", "deploy/mcp-http.example.toml"],
        &scratch.join("mcp-http.log"),
    )?;
    let reply = mcp_initialize(server.addr())?;
    if !reply.contains("\"serverInfo\"") {
        bail!("initialize did not return serverInfo; the reply was:\n{reply}");
    }
    println!("the unpacked server answered initialize");
    Ok(())
}

/// One MCP `initialize` over raw HTTP/1.1 (xtask keeps no HTTP client); returns the body text.
fn mcp_initialize(addr: SocketAddr) -> Result<String> {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"xtask-dist-check","version":"1"}}}"#;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reply = String::new();
    // An SSE reply stays open after the result; read until the result has arrived.
    let mut reader = BufReader::new(stream);
    let mut buffer = [0u8; 4096];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => {
                reply.push_str(&String::from_utf8_lossy(&buffer[..read]));
                if reply.contains("\"serverInfo\"") {
                    break;
                }
            }
            Err(error) if reply.is_empty() => return Err(error).context("reading the reply"),
            Err(_) => break,
        }
    }
    Ok(reply)
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

pub(crate) fn git_commit(root: &Path) -> String {
    Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|commit| !commit.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn package_version(ws: &Workspace) -> Result<String> {
    let manifest = std::fs::read_to_string(ws.root.join("Cargo.toml"))?;
    // The workspace sets the version once, in [workspace.package].
    manifest
        .lines()
        .skip_while(|line| line.trim() != "[workspace.package]")
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "version").then(|| value.trim().trim_matches('"').to_owned())
        })
        .context("no version in [workspace.package] of Cargo.toml")
}

fn host_target() -> Result<String> {
    let output = command::capture(Command::new("rustc").arg("-vV"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .context("`rustc -vV` printed no host line")
}
