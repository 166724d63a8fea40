//! `cargo xtask bench`: the performance benchmarks, built and run in release mode.
//!
//! - `entities`: `crates/octo-tools/benches/entity_queries.rs`: entity grouping + avg and an
//!   indexed `query_entities` lookup on PostgreSQL, each through the tool path and as
//!   hand-written SQL, printed as a table with the ratio and whether the target (≤ 1.3×) was met.
//! - `transfers` (`transfer_bench.rs`): a 1 GiB upload and download through the release server
//!   with curl against a plain static file copy on loopback, with the server's peak RSS.
//! - `exchange` (`exchange_bench.rs`): `import-rt`, `dump` and `restore` of a 200,000-entity
//!   tenant through the release binary's operator commands, with each one's peak RSS.
//! - `stream`: `crates/octo-tools/benches/stream_data.rs`: 10 M samples ingested through the
//!   release server's `POST /{tenantId}/stream-data/{archiveRtId}` (NDJSON, concurrent
//!   clients) vs. `psql \copy` of the same rows (target ≥ 50 %), and a one-day downsampling
//!   through the tool path vs. hand-written SQL (target ≤ 1.3×), on a raw archive.
//!
//! Missing a target does not fail the run; a bench itself failing (an error, a wrong result)
//! does. `--only entities|transfers|exchange|stream` runs one of them.
//!
//! PostgreSQL must answer first (started if installed but down, as for the tests); the bench
//! creates its own `octo_test_*` database there and drops it afterwards.

use std::process::Command;
use std::time::Instant;

use anyhow::Result;
use clap::Args;

use crate::command;
use crate::postgres;
use crate::workspace::{self, Workspace};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Entities to load (the bench's default: 1,000,000; also `OCTO_BENCH_ENTITIES`).
    #[arg(long)]
    entities: Option<u64>,
    /// Timed iterations of the aggregation, per path (the bench's default: 10).
    #[arg(long)]
    iterations: Option<u32>,
    /// Timed indexed lookups, per path (the bench's default: 200).
    #[arg(long)]
    lookups: Option<u32>,
    /// Run only this bench: `entities`, `transfers`, `exchange` or `stream`.
    #[arg(long)]
    only: Option<String>,
    /// Samples of the stream bench (the bench's default: 10,000,000).
    #[arg(long)]
    stream_samples: Option<u64>,
    /// Entities of the exchange bench's tenant (default 200,000).
    #[arg(long, default_value_t = 200_000)]
    exchange_entities: u64,
    /// Size of the transfer bench's file in MiB (default 1024).
    #[arg(long, default_value_t = 1024)]
    transfer_mib: u64,
    /// Arguments after `--`, passed to the bench unchanged (e.g. `-- --entities 100000`).
    #[arg(last = true)]
    passthrough: Vec<String>,
}

/// Builds and runs the benches; `Ok(true)` when they ran to the end.
pub fn run(args: &BenchArgs) -> Result<bool> {
    let ws = Workspace::locate()?;
    let (entities, transfers, exchange, stream) = match args.only.as_deref() {
        None => (true, true, true, true),
        Some("entities") => (true, false, false, false),
        Some("transfers") => (false, true, false, false),
        Some("exchange") => (false, false, true, false),
        Some("stream") => (false, false, false, true),
        Some(other) => {
            anyhow::bail!("--only takes entities, transfers, exchange or stream, not '{other}'")
        }
    };
    let started = Instant::now();
    if entities {
        run_entities(&ws, args)?;
    }
    if transfers || exchange || stream {
        let mut build = Command::new(workspace::cargo());
        build
            .args(["build", "--release", "-p", "mcp-http"])
            .current_dir(&ws.root);
        command::run(&mut build)?;
    }
    if stream {
        run_stream(&ws, args)?;
    }
    if exchange {
        crate::exchange_bench::run(
            &ws.target_dir.join("release").join("mcp-http"),
            &ws.target_dir.join("bench-exchange"),
            args.exchange_entities,
        )?;
    }
    if transfers {
        crate::transfer_bench::run(
            &ws.target_dir.join("release").join("mcp-http"),
            &ws.target_dir.join("bench-transfers"),
            args.transfer_mib,
        )?;
    }
    println!(
        "==> xtask: bench finished in {:.1}s (build included)",
        started.elapsed().as_secs_f64()
    );
    Ok(true)
}

fn run_entities(ws: &Workspace, args: &BenchArgs) -> Result<()> {
    let url = postgres::test_url();
    postgres::ensure_running(&url)?;
    let mut bench = Command::new(workspace::cargo());
    bench
        .args([
            "bench",
            "-p",
            "octo-tools",
            "--bench",
            "entity_queries",
            "--",
        ])
        .args(forwarded(args))
        .env("OCTO_TEST_POSTGRES_URL", &url)
        .current_dir(&ws.root);
    command::run(&mut bench)
}

fn run_stream(ws: &Workspace, args: &BenchArgs) -> Result<()> {
    let url = postgres::test_url();
    postgres::ensure_running(&url)?;
    let server = ws.target_dir.join("release").join("mcp-http");
    let mut bench = Command::new(workspace::cargo());
    bench
        .args(["bench", "-p", "octo-tools", "--bench", "stream_data", "--"])
        .arg("--server")
        .arg(&server);
    if let Some(samples) = args.stream_samples {
        bench.args(["--samples", &samples.to_string()]);
    }
    bench
        .env("OCTO_TEST_POSTGRES_URL", &url)
        .current_dir(&ws.root);
    command::run(&mut bench)
}

/// The bench's command line: the options given to xtask, then the pass-through arguments.
fn forwarded(args: &BenchArgs) -> Vec<String> {
    let mut out = Vec::new();
    let options = [
        ("--entities", args.entities),
        ("--iterations", args.iterations.map(u64::from)),
        ("--lookups", args.lookups.map(u64::from)),
    ];
    for (name, value) in options {
        if let Some(value) = value {
            out.push(name.to_owned());
            out.push(value.to_string());
        }
    }
    out.extend(args.passthrough.iter().cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    #[test]
    fn options_and_passthrough_reach_the_bench() {
        let cli = Cli::parse_from(["bench", "--entities", "1000", "--", "--lookups", "5"]);
        assert_eq!(
            forwarded(&cli.bench),
            ["--entities", "1000", "--lookups", "5"]
        );
        let cli = Cli::parse_from(["bench"]);
        assert!(forwarded(&cli.bench).is_empty());
    }
}
