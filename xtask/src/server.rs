//! The server under test: start `mcp-http` on a free loopback port, wait until it reports
//! ready, and stop it again when the guard is dropped (also on an error or a panic).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::command;

/// How long the server may take to answer 200 on `/health/ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How often readiness is polled.
const READY_POLL: Duration = Duration::from_millis(200);
/// How long a SIGTERM'd server may take to exit before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Lines of the server log shown when something fails.
pub const LOG_TAIL_LINES: usize = 60;

/// A running `mcp-http`. Dropping it stops the process.
#[derive(Debug)]
pub struct Server {
    child: Option<Child>,
    addr: SocketAddr,
    log_path: PathBuf,
}

impl Server {
    /// Starts `binary --listen 127.0.0.1:<free port> --data-dir <data_dir> --conformance-fixtures
    /// --auth-mode disabled`
    /// with stdout and stderr written to `log_path`, and waits until it is ready.
    pub fn start(binary: &Path, data_dir: &Path, log_path: &Path) -> Result<Self> {
        // A fresh data directory each run, so no state leaks from an earlier run.
        if data_dir.exists() {
            std::fs::remove_dir_all(data_dir)
                .with_context(|| format!("removing old data dir {}", data_dir.display()))?;
        }
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating data dir {}", data_dir.display()))?;
        let data_dir = data_dir.display().to_string();
        let cwd = std::env::current_dir().context("reading the current directory")?;
        Self::start_plain(
            binary,
            &cwd,
            // The external clients test the protocol, not logins (allowed on loopback).
            &[
                "--data-dir",
                &data_dir,
                "--conformance-fixtures",
                "--auth-mode",
                "disabled",
            ],
            log_path,
        )
    }

    /// Starts `binary --listen 127.0.0.1:<free port> <args>` in the working directory `cwd`
    /// with stdout and stderr written to `log_path`, and waits until it is ready.
    pub fn start_plain(binary: &Path, cwd: &Path, args: &[&str], log_path: &Path) -> Result<Self> {
        if !binary.is_file() {
            bail!("server binary {} does not exist", binary.display());
        }
        let addr = free_loopback_addr()?;
        let log = File::create(log_path)
            .with_context(|| format!("creating server log {}", log_path.display()))?;
        let log_for_stderr = log
            .try_clone()
            .context("duplicating the server log handle")?;

        let mut cmd = Command::new(binary);
        cmd.arg("--listen")
            .arg(addr.to_string())
            .args(args)
            .current_dir(cwd)
            // The output goes to a file: no terminal colour codes in it.
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_for_stderr);
        println!("$ {}", command::describe(&cmd));
        println!("  (server output goes to {})", log_path.display());
        let child = cmd
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;

        let mut server = Self {
            child: Some(child),
            addr,
            log_path: log_path.to_path_buf(),
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// The loopback address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The last `lines` lines the server wrote to its log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.log_path, lines)
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Polls `GET /health/ready` until it answers 200; fails early if the process exits.
    fn wait_ready(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait().context("checking on the server process")?
            {
                bail!(
                    "the server exited ({status}) before it was ready; its output ({}):\n{}",
                    self.log_path.display(),
                    self.log_tail(LOG_TAIL_LINES)
                );
            }
            let last = match http_get_status(self.addr, "/health/ready") {
                Ok(200) => {
                    println!(
                        "server ready at {} after {:.1}s",
                        self.base_url(),
                        started.elapsed().as_secs_f64()
                    );
                    return Ok(());
                }
                Ok(code) => format!("HTTP {code}"),
                Err(error) => format!("{error:#}"),
            };
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "the server at {} was not ready within {}s (last answer from /health/ready: {last}); its output ({}):\n{}",
                    self.base_url(),
                    READY_TIMEOUT.as_secs(),
                    self.log_path.display(),
                    self.log_tail(LOG_TAIL_LINES)
                );
            }
            std::thread::sleep(READY_POLL);
        }
    }

    /// The server's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGTERM, a short grace period, then SIGKILL. Idempotent.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        // std has no SIGTERM; the `kill` utility is on every machine this runs on.
        let terminated = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stdin(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if terminated {
            let deadline = Instant::now() + STOP_GRACE;
            while Instant::now() < deadline {
                if let Ok(Some(status)) = child.try_wait() {
                    println!("server stopped ({status})");
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            println!(
                "server did not exit within {}s of SIGTERM; killing it",
                STOP_GRACE.as_secs()
            );
        }
        if let Err(error) = child.kill() {
            eprintln!("xtask: could not kill the server: {error}");
        }
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback address with a port the OS just handed out (bound, then released).
fn free_loopback_addr() -> Result<SocketAddr> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .context("binding 127.0.0.1:0 to find a free port")?;
    listener
        .local_addr()
        .context("reading the port of 127.0.0.1:0")
}

/// A minimal HTTP/1.1 GET that returns the status code (no dependency for one request).
fn http_get_status(addr: SocketAddr, path: &str) -> Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )?;
    let mut status_line = String::new();
    BufReader::new(stream.take(4096))
        .read_line(&mut status_line)
        .context("reading the status line")?;
    let code = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .with_context(|| format!("not an HTTP status line: {status_line:?}"))?;
    Ok(code)
}

/// The last `lines` lines of a text file, or a note saying why there are none.
pub fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            let start = all.len().saturating_sub(lines);
            if all.is_empty() {
                "(empty)".to_owned()
            } else {
                all[start..].join("\n")
            }
        }
        Err(error) => format!("(could not read {}: {error})", path.display()),
    }
}
