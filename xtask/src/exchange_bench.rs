//! The exchange benchmark of `cargo xtask bench`: memory of the operator commands on a large
//! tenant. It writes a runtime-model JSON file of many entities (200,000 by default, half of them
//! linked to the other half), then runs the release binary's `import-rt`, `dump` and `restore`
//! on a fresh SQLite data folder, each as its own process under `/usr/bin/time`, and prints the
//! wall time and peak RSS of each. The server's tools run the same `octo-exchange` code as
//! background jobs, so these figures are what an import or dump adds to a server.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

const MODEL: &str = "modelId: Bench.Plant-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: Name
    valueType: String
  - id: Reading
    valueType: Double
types:
  - typeId: Station
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Name
        name: Name
  - typeId: Pump
    derivedFromCkTypeId: ${System}/Entity
    associations:
      - id: ${System}/ParentChild
        targetCkTypeId: ${this}/Station
    attributes:
      - id: ${this}/Name
        name: Name
      - id: ${this}/Reading
        name: Reading
";

/// Runs the benchmark with the release binary `binary` on `entities` entities, working in
/// `work` (removed after).
pub fn run(binary: &Path, work: &Path, entities: u64) -> Result<()> {
    if !Path::new("/usr/bin/time").exists() {
        bail!("/usr/bin/time is not installed; the exchange bench reads peak RSS from it");
    }
    if work.exists() {
        std::fs::remove_dir_all(work)?;
    }
    std::fs::create_dir_all(work)?;
    let result = measure(binary, work, entities);
    let _ = std::fs::remove_dir_all(work);
    result
}

fn measure(binary: &Path, work: &Path, entities: u64) -> Result<()> {
    let model = work.join("bench-model.yaml");
    std::fs::write(&model, MODEL)?;
    let runtime = work.join("bench-data.json");
    let size = write_runtime_model(&runtime, entities)?;
    let dump = work.join("bench-dump.tar.gz");
    let data = work.join("data");
    let text = |path: &Path| path.to_string_lossy().into_owned();

    cli(binary, &data, &["tenants", "create", "bench"])?;
    cli(
        binary,
        &data,
        &["import-ck", "--tenant", "bench", "-f", &text(&model)],
    )?;
    let import = cli(
        binary,
        &data,
        &["import-rt", "--tenant", "bench", "-f", &text(&runtime)],
    )?;
    let dumped = cli(
        binary,
        &data,
        &["dump", "--tenant", "bench", "-f", &text(&dump)],
    )?;
    let restored = cli(
        binary,
        &data,
        &["restore", "--tenant", "benchcopy", "-f", &text(&dump)],
    )?;
    let dump_size = std::fs::metadata(&dump)?.len();

    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!();
    println!(
        "Tenant exchange, {entities} entities ({} associations), SQLite, operator commands:",
        entities / 2
    );
    println!("{:<34} {:>10} {:>14}", "command", "seconds", "peak RSS MiB");
    for (name, (seconds, rss_kib)) in [
        (format!("import-rt ({:.0} MiB JSON)", mib(size)), import),
        (format!("dump ({:.0} MiB archive)", mib(dump_size)), dumped),
        ("restore into a new tenant".to_owned(), restored),
    ] {
        println!(
            "{name:<34} {seconds:>10.1} {:>14.1}",
            rss_kib as f64 / 1024.0
        );
    }
    Ok(())
}

/// A runtime-model JSON file of `entities` entities: stations and pumps in pairs, each pump a
/// child of its station. Returns its size.
fn write_runtime_model(path: &Path, entities: u64) -> Result<u64> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    write!(
        out,
        "{{\"dependencies\": [\"Bench.Plant-[1.0,2.0)\"], \"entities\": ["
    )?;
    for pair in 0..entities / 2 {
        let station = format!("66a0{:020x}", 2 * pair + 1);
        let pump = format!("66a0{:020x}", 2 * pair);
        if pair > 0 {
            write!(out, ",")?;
        }
        write!(
            out,
            "{{\"rtId\": \"{station}\", \"ckTypeId\": \"Bench.Plant/Station\", \"attributes\": \
             [{{\"id\": \"Bench.Plant/Name\", \"value\": \"Station {pair}\"}}]}},\
             {{\"rtId\": \"{pump}\", \"ckTypeId\": \"Bench.Plant/Pump\", \"attributes\": \
             [{{\"id\": \"Bench.Plant/Name\", \"value\": \"Pump {pair}\"}}, \
             {{\"id\": \"Bench.Plant/Reading\", \"value\": {pair}.5}}], \"associations\": \
             [{{\"roleId\": \"System/ParentChild\", \"targetRtId\": \"{station}\", \
             \"targetCkTypeId\": \"Bench.Plant/Station\"}}]}}"
        )?;
    }
    write!(out, "]}}")?;
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Runs one operator command on the data folder; its wall time and peak RSS (KiB).
fn cli(binary: &Path, data: &Path, args: &[&str]) -> Result<(f64, u64)> {
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .args(["-f", "peak-rss-kib %M"])
        .arg(binary)
        .args(args)
        .env("OCTO_DATA_DIR", data)
        .output()
        .with_context(|| format!("running {} {}", binary.display(), args.join(" ")))?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!(
            "`mcp-http {}` failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            stderr
        );
    }
    let rss = stderr
        .lines()
        .filter_map(|line| line.strip_prefix("peak-rss-kib "))
        .next_back()
        .and_then(|kib| kib.trim().parse().ok())
        .context("no peak RSS in /usr/bin/time's output")?;
    Ok((seconds, rss))
}
