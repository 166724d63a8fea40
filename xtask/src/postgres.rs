//! PostgreSQL for the store tests: make sure the local server answers before the tests run.
//!
//! The machine image ships PostgreSQL and usually starts it before a session, but a CI run must
//! not depend on that: if nothing answers, try to start the installed cluster, and if that
//! fails, stop with a message that says how to start it (the store tests never skip).

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::command;

/// The server the store's PostgreSQL tests use unless `OCTO_TEST_POSTGRES_URL` says otherwise.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The admin URL the tests will use.
pub fn test_url() -> String {
    std::env::var("OCTO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// Ensures something accepts connections at the test URL's host and port.
pub fn ensure_running(url: &str) -> Result<()> {
    let Some(address) = address_of(url) else {
        bail!("cannot read host and port from OCTO_TEST_POSTGRES_URL '{url}'");
    };
    if accepts(address) {
        return Ok(());
    }
    println!("PostgreSQL does not answer at {address}; trying to start the local cluster");
    for version in installed_versions() {
        let mut start = Command::new("pg_ctlcluster");
        start.args(["--skip-systemctl-redirect", &version, "main", "start"]);
        if let Err(error) = command::run(&mut start) {
            println!("  {error:#}");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if accepts(address) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    bail!(
        "PostgreSQL is not reachable at {address}, and starting it failed. The store tests need \
         it: start it (e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`) or point \
         OCTO_TEST_POSTGRES_URL at a reachable server."
    )
}

fn accepts(address: SocketAddr) -> bool {
    TcpStream::connect_timeout(&address, Duration::from_millis(500)).is_ok()
}

/// `host:port` of a `postgres://user@host:port/db` URL (port 5432 when absent).
fn address_of(url: &str) -> Option<SocketAddr> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let with_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    with_port.to_socket_addrs().ok()?.next()
}

/// Cluster versions installed the Debian way (`/etc/postgresql/<version>/main`).
fn installed_versions() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/etc/postgresql") else {
        return Vec::new();
    };
    let mut versions: Vec<String> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("main").is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    versions.sort();
    versions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_host_and_port() {
        let address = address_of("postgres://postgres@127.0.0.1:5433/postgres");
        assert_eq!(address, Some(SocketAddr::from(([127, 0, 0, 1], 5433))));
        let default_port = address_of("postgresql://u:p@127.0.0.1/db");
        assert_eq!(default_port.map(|a| a.port()), Some(5432));
        assert_eq!(address_of("mysql://x"), None);
    }
}
