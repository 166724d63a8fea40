//! `cargo xtask`: the project's automation, run through the alias in `.cargo/config.toml`.
//!
//! `cargo xtask test` is what CI runs (`.ci/run`): formatting, lints, the workspace tests,
//! then the real server binary checked by external MCP clients. See `test.rs` for the stages.
//! `cargo xtask docs` regenerates docs/tools.md (`docs.rs`); `cargo xtask dist` builds the release archive (`dist.rs`); `cargo xtask bench` runs the performance benchmarks in release mode (`bench.rs`).

mod bench;
mod command;
mod deploy_checks;
mod dist;
mod docs;
mod exchange_bench;
mod node;
mod postgres;
mod python;
mod server;
mod test;
#[cfg(test)]
mod tidy;
mod transfer_bench;
mod workspace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "xtask",
    bin_name = "cargo xtask",
    about = "Project automation for OctoMesh MCP Services"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every check CI runs: fmt, clippy, tests, then the server against external clients.
    Test(test::TestArgs),
    /// Build the release archive target/dist/mcp-http-<version>-<target>.tar.gz (+ .sha256).
    Dist(dist::DistArgs),
    /// Regenerate docs/tools.md from the tool registry; check docs/configuration.md.
    Docs,
    /// Run the benchmarks in release mode (entity queries and aggregations on PostgreSQL).
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Test(args) => test::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Dist(args) => dist::run(&args),
        Command::Docs => docs::run(),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
