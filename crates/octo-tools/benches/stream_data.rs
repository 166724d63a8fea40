//! Stream-data benchmark on PostgreSQL: HTTP ingestion through the release server against
//! `psql \copy`, and one-day downsampling through the tool path against hand-written SQL.
//!
//! Run it with `cargo xtask bench --only stream` (which builds the release server, makes sure
//! PostgreSQL is up and passes the binary), or directly with
//! `cargo bench -p octo-tools --bench stream_data -- --server target/release/mcp-http
//! [--samples N] [--clients N] [--iterations N]`.
//!
//! What it does:
//! 1. A fresh database (`octo_test_<random>`, via `octo_test_support`, dropped at the end) on the
//!    server at `OCTO_TEST_POSTGRES_URL`, a platform on it, a bench CK model
//!    (`Bench.Stream/Meter`: `Power` Double, `Pulses` Int64, `Phase` String) and two raw
//!    archives of it (no rollups), enabled and activated through the tools, so both tables have
//!    the layout activation gives them (partitioned by day, indexed on (source, time)).
//! 2. `--samples` rows (default 10,000,000) of 1,000 meters over today (UTC), generated in
//!    memory before anything is timed: as NDJSON for the server and as COPY text for psql.
//! 3. Ingestion: the release server (`--auth-mode disabled` on loopback, as the end-to-end tests
//!    run it; the endpoint then takes requests without a token) is started on the same
//!    database; `--clients` concurrent clients (default 4) each POST their share of the rows
//!    as NDJSON bodies of at most 1,000,000 rows, streamed in 256 KiB chunks, as a pipeline
//!    replaying a day would. Then the same rows by `psql \copy` into the second archive's
//!    table. Both are timed from first byte to last answer; the row counts reported by the
//!    server and counted in both tables must equal `--samples` (a wrong count fails).
//! 4. Downsampling: `VACUUM ANALYZE`, then `query_stream_data_downsampling` over the day (96
//!    buckets of 15 minutes; count, avg, min and max of Power) through the registry in-process
//!    (as the MCP server runs it) against the same GROUP BY written by hand, warm-up then
//!    `--iterations` interleaved runs each (default 5). The buckets must be the same.
//! 5. Tables: samples/s of both loads and their ratio (target: HTTP ≥ 50 % of psql), median
//!    and p90 of both queries and their ratio (target ≤ 1.3×), with the machine's core count
//!    and load average. Missing a target does not fail the run; an error or a wrong result
//!    does (non-zero exit).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use octo_store::{PostgresStore, Store};
use octo_tools::{CallInfo, ToolRegistry};
use serde_json::{Value, json};

mod common;

/// The tenant the platform creates on start.
const TENANT: &str = "octosystem";
const TYPE: &str = "Bench.Stream/Meter";
/// Meters sending samples.
const SOURCES: u64 = 1_000;
/// Rows per request body; a client sends several bodies one after the other.
const ROWS_PER_BODY: u64 = 1_000_000;
/// Size of the chunks a body is streamed in.
const CHUNK: usize = 256 * 1024;
/// Buckets of the day's downsampling (15 minutes each).
const BUCKETS: i64 = 96;
const DAY_MICROS: i64 = 86_400_000_000;
/// The targets the issue sets.
const TARGET_INGEST_SHARE: f64 = 0.5;
const TARGET_RATIO: f64 = 1.3;

const DEFAULT_SAMPLES: u64 = 10_000_000;
const DEFAULT_CLIENTS: usize = 4;
const DEFAULT_ITERATIONS: usize = 5;

const MODEL: &str = "modelId: Bench.Stream-1.0.0
dependencies:
  - System-[2.0,3.0)
attributes:
  - id: Power
    valueType: Double
  - id: Pulses
    valueType: Int64
  - id: Phase
    valueType: String
types:
  - typeId: Meter
    derivedFromCkTypeId: ${System}/Entity
    attributes:
      - id: ${this}/Power
        name: Power
      - id: ${this}/Pulses
        name: Pulses
      - id: ${this}/Phase
        name: Phase
";

/// The hand-written downsampling: what one would write for "15-minute power statistics of a
/// day" on the archive table.
fn hand_sql(table: &str) -> String {
    format!(
        "SELECT $1::bigint + ((t - $1::bigint) / $2::bigint) * $2::bigint AS bucket, \
         COUNT(*), AVG(v_power), MIN(v_power), MAX(v_power) \
         FROM {table} WHERE t >= $1 AND t < $3 GROUP BY 1 ORDER BY 1"
    )
}

/// What to run, from the command line (after `--`).
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "stream_data",
    about = "Stream data: HTTP ingestion vs. psql \\copy, downsampling vs. hand-written SQL"
)]
struct Config {
    /// The release mcp-http binary to ingest through.
    #[arg(long, env = "OCTO_BENCH_SERVER")]
    server: PathBuf,
    /// Samples to generate and load.
    #[arg(long, default_value_t = DEFAULT_SAMPLES, value_parser = common::number::<u64>)]
    samples: u64,
    /// Concurrent ingesting clients.
    #[arg(long, default_value_t = DEFAULT_CLIENTS, value_parser = common::number::<usize>)]
    clients: usize,
    /// Timed runs of each downsampling path.
    #[arg(long, default_value_t = DEFAULT_ITERATIONS, value_parser = common::number::<usize>)]
    iterations: usize,
    /// Passed by `cargo bench` to every bench binary; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() {
    let config = <Config as clap::Parser>::parse();
    assert!(
        config.server.is_file(),
        "--server (or OCTO_BENCH_SERVER) must name the release mcp-http binary; got '{}'",
        config.server.display()
    );
    assert!(
        config.samples >= SOURCES,
        "--samples must be at least {SOURCES}"
    );
    assert!(
        config.clients > 0 && config.iterations > 0,
        "--clients and --iterations must be positive"
    );
    common::run_on_fresh_database(move |url| run(url, config));
}

/// The core count and load average, printed with the figures.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!("{cores} cores, load average {}", load.join(" "))
}

async fn run(url: String, config: Config) {
    println!("machine at start: {}", machine());
    let store = Arc::new(
        PostgresStore::connect(&url)
            .await
            .expect("open the bench store"),
    );
    let pool = store.pool().clone();
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&pool)
        .await
        .expect("server version");
    println!("PostgreSQL {version}");
    let dyn_store: Arc<dyn Store> = store.clone();
    let platform = octo_tools::test_platform_on(dyn_store).await;
    let tenant: octo_ids::TenantId = TENANT.parse().expect("tenant id");
    let model = octo_ck::source::load_document(MODEL, "bench.yaml").expect("bench model parses");
    platform
        .ck
        .enqueue(&tenant, model)
        .await
        .expect("bench model enqueued");
    while platform.ck.run_next_job("bench").await.expect("import job") {}
    let registry = Arc::new(octo_tools::standard_registry(&platform).expect("tool registry"));
    call(&registry, "enable_stream_data", json!({})).await;
    let http_archive = archive(&registry, "bench http").await;
    let copy_archive = archive(&registry, "bench copy").await;
    let schema = format!("streamdata_{TENANT}");
    let http_table = format!("\"{schema}\".\"a_{http_archive}\"");
    let copy_table = format!("\"{schema}\".\"a_{copy_archive}\"");

    // Today (UTC): activation created its partition in both tables.
    let now = Utc::now().timestamp_micros();
    let day = now - now.rem_euclid(DAY_MICROS);
    let generated = Instant::now();
    let data = Data::generate(config.samples, day);
    let bodies = data.bodies(config.clients);
    let copy_file = std::env::temp_dir().join(format!("octo-bench-stream-{}.copy", http_archive));
    let copy_bytes = data.write_copy_file(&copy_file);
    println!(
        "generated {} samples in {:.1}s: {:.0} MiB NDJSON, {:.0} MiB COPY text (not measured)",
        config.samples,
        generated.elapsed().as_secs_f64(),
        data.ndjson_bytes() as f64 / 1_048_576.0,
        copy_bytes as f64 / 1_048_576.0
    );
    drop(data);

    // 1. HTTP ingestion through the release server on the same database.
    let work = std::env::temp_dir().join(format!("octo-bench-stream-{http_archive}"));
    let mut server = ServerProcess::start(&config.server, &url, &work).await;
    let endpoint = format!("{}/{TENANT}/stream-data/{http_archive}", server.base_url);
    let http_started = Instant::now();
    let accepted = ingest(&endpoint, bodies).await;
    let http_time = http_started.elapsed();
    server.stop();
    assert_eq!(
        accepted, config.samples,
        "the server accepted {accepted} rows, not {}",
        config.samples
    );
    let http_count = count_rows(&pool, &http_table).await;
    assert_eq!(
        http_count, config.samples,
        "the HTTP archive holds {http_count} rows, not {}",
        config.samples
    );

    // The same rows by psql \copy into an identically laid out table.
    let psql_started = Instant::now();
    psql_copy(&url, &copy_table, &copy_file);
    let psql_time = psql_started.elapsed();
    let _ = std::fs::remove_file(&copy_file);
    let copy_count = count_rows(&pool, &copy_table).await;
    assert_eq!(
        copy_count, config.samples,
        "the psql archive holds {copy_count} rows, not {}",
        config.samples
    );
    println!("machine after ingestion: {}", machine());

    // 2. One-day downsampling, tool path vs. hand-written SQL.
    for table in [&http_table, &copy_table] {
        sqlx::raw_sql(&format!("VACUUM ANALYZE {table}"))
            .execute(&pool)
            .await
            .expect("vacuum analyze");
    }
    let from = Utc.timestamp_micros(day).single().expect("day start");
    let to = Utc
        .timestamp_micros(day + DAY_MICROS)
        .single()
        .expect("day end");
    let tool_args = json!({
        "archiveRtId": http_archive,
        "aggregations": [
            {"function": "count"},
            {"function": "avg", "attributePath": "Power"},
            {"function": "min", "attributePath": "Power"},
            {"function": "max", "attributePath": "Power"}
        ],
        "from": rfc3339(from), "to": rfc3339(to), "limit": BUCKETS
    });
    let sql = hand_sql(&http_table);
    let width = DAY_MICROS / BUCKETS;
    let by_tool = || async {
        let out = call(
            &registry,
            "query_stream_data_downsampling",
            tool_args.clone(),
        )
        .await;
        tool_buckets(&out)
    };
    let by_sql = || async {
        let rows: Vec<SqlBucket> = sqlx::query_as(&sql)
            .bind(day)
            .bind(width)
            .bind(day + DAY_MICROS)
            .fetch_all(&pool)
            .await
            .expect("hand-written downsampling");
        rows.into_iter()
            .map(|(bucket, count, avg, min, max)| Bucket {
                start: bucket,
                count,
                avg: avg.unwrap_or(f64::NAN),
                min: min.unwrap_or(f64::NAN),
                max: max.unwrap_or(f64::NAN),
            })
            .collect::<Vec<_>>()
    };
    // Warm-up, and the check that both paths give the same buckets.
    let tool_result = by_tool().await;
    let sql_result = by_sql().await;
    same_buckets(&tool_result, &sql_result, config.samples);
    let mut tool_times = Vec::new();
    let mut sql_times = Vec::new();
    for _ in 0..config.iterations {
        let started = Instant::now();
        let got = by_tool().await;
        tool_times.push(started.elapsed());
        same_buckets(&got, &sql_result, config.samples);
        let started = Instant::now();
        let got = by_sql().await;
        sql_times.push(started.elapsed());
        same_buckets(&tool_result, &got, config.samples);
    }

    // The figures.
    let rate = |time: Duration| config.samples as f64 / time.as_secs_f64();
    let share = rate(http_time) / rate(psql_time);
    println!();
    println!(
        "Stream ingestion, {} samples (3 columns, {SOURCES} sources, one day), PostgreSQL {version}:",
        config.samples
    );
    println!("{:<44} {:>10} {:>14}", "path", "seconds", "samples/s");
    println!(
        "{:<44} {:>10.1} {:>14.0}",
        format!("HTTP NDJSON, release server, {} clients", config.clients),
        http_time.as_secs_f64(),
        rate(http_time)
    );
    println!(
        "{:<44} {:>10.1} {:>14.0}",
        "psql \\copy (COPY text from a file)",
        psql_time.as_secs_f64(),
        rate(psql_time)
    );
    println!(
        "HTTP / psql: {:.0} % (target ≥ {:.0} %: {})",
        share * 100.0,
        TARGET_INGEST_SHARE * 100.0,
        if share >= TARGET_INGEST_SHARE {
            "met"
        } else {
            "MISSED"
        }
    );
    let (tool_median, tool_p90) = common::median_p90(&tool_times);
    let (sql_median, sql_p90) = common::median_p90(&sql_times);
    let ratio = tool_median.as_secs_f64() / sql_median.as_secs_f64();
    println!();
    println!(
        "One-day downsampling over {} samples ({BUCKETS} buckets; count, avg, min, max), {} \
         iterations:",
        config.samples, config.iterations
    );
    println!("{:<44} {:>12} {:>12}", "path", "median ms", "p90 ms");
    for (name, median, p90) in [
        (
            "query_stream_data_downsampling (registry)",
            tool_median,
            tool_p90,
        ),
        ("hand-written SQL", sql_median, sql_p90),
    ] {
        println!(
            "{name:<44} {:>12.1} {:>12.1}",
            median.as_secs_f64() * 1000.0,
            p90.as_secs_f64() * 1000.0
        );
    }
    println!(
        "tool / SQL: {ratio:.2}× (target ≤ {TARGET_RATIO}×: {})",
        if ratio <= TARGET_RATIO {
            "met"
        } else {
            "MISSED"
        }
    );
    println!("machine at the end: {}", machine());
    let _ = std::fs::remove_dir_all(&work);
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

async fn call(registry: &Arc<ToolRegistry>, name: &str, mut arguments: Value) -> Value {
    arguments["tenantId"] = json!(TENANT);
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    let out = registry
        .call(name, Some(arguments), CallInfo::default())
        .await
        .expect("the tool exists")
        .to_json();
    assert_eq!(out["isSuccess"], json!(true), "{name}: {out}");
    out
}

/// A raw archive of the bench type with the three columns, activated.
async fn archive(registry: &Arc<ToolRegistry>, name: &str) -> String {
    let out = call(
        registry,
        "create_entity",
        json!({
            "ckTypeId": "System.StreamData/RawArchive",
            "entityData": [
                {"attributePath": "Name", "value": name},
                {"attributePath": "TargetCkTypeId", "value": TYPE},
                {"attributePath": "Columns", "value": [
                    {"AttributePath": "Power"}, {"AttributePath": "Pulses"}, {"AttributePath": "Phase"}
                ]},
                {"attributePath": "State", "value": "Inactive"},
                {"attributePath": "Kind", "value": "TimeSeries"}
            ]
        }),
    )
    .await;
    let id = out["rtId"].as_str().expect("rtId").to_owned();
    call(registry, "activate_archive", json!({"archiveRtId": id})).await;
    id
}

/// The bench rows: row `k` is meter `k % SOURCES` at the `k / SOURCES`-th step of the day.
struct Data {
    /// NDJSON lines, one per row.
    ndjson: Vec<u8>,
    /// Where each row's line starts in `ndjson` (and one past the end).
    line_starts: Vec<usize>,
    /// The same rows in COPY text format, columns t, source, power, pulses, phase.
    copy: Vec<u8>,
}

impl Data {
    fn generate(samples: u64, day: i64) -> Self {
        let steps = samples.div_ceil(SOURCES);
        let step = DAY_MICROS / i64::try_from(steps).expect("steps");
        let mut ndjson = Vec::with_capacity(usize::try_from(samples * 130).unwrap_or(0));
        let mut copy = Vec::with_capacity(usize::try_from(samples * 60).unwrap_or(0));
        let mut line_starts = Vec::with_capacity(usize::try_from(samples + 1).unwrap_or(0));
        let sources: Vec<String> = (0..SOURCES)
            .map(|s| format!("66b0{:020x}", s + 1))
            .collect();
        for k in 0..samples {
            let source = &sources[usize::try_from(k % SOURCES).expect("source")];
            let time = day + i64::try_from(k / SOURCES).expect("step") * step;
            let stamp = rfc3339(Utc.timestamp_micros(time).single().expect("time"));
            let power = ((k * 7919) % 100_000) as f64 / 100.0;
            let pulses = k % 1000;
            let phase = ["L1", "L2", "L3"][usize::try_from(k % 3).expect("phase")];
            line_starts.push(ndjson.len());
            writeln!(
                ndjson,
                "{{\"timestamp\":\"{stamp}\",\"rtId\":\"{source}\",\"values\":{{\"Power\":{power:?},\"Pulses\":{pulses},\"Phase\":\"{phase}\"}}}}"
            )
            .expect("write to memory");
            writeln!(copy, "{time}\t{source}\t{power:?}\t{pulses}\t{phase}").expect("write");
        }
        line_starts.push(ndjson.len());
        Self {
            ndjson,
            line_starts,
            copy,
        }
    }

    fn ndjson_bytes(&self) -> usize {
        self.ndjson.len()
    }

    /// The clients' request bodies: each client a contiguous share of the rows (a time range
    /// of the day), cut into bodies of at most [`ROWS_PER_BODY`] rows, each in chunks.
    fn bodies(&self, clients: usize) -> Vec<Vec<Vec<Bytes>>> {
        let rows = self.line_starts.len() - 1;
        let all = Bytes::from(self.ndjson.clone());
        let per_client = rows.div_ceil(clients);
        let per_body = usize::try_from(ROWS_PER_BODY).expect("rows per body");
        (0..clients)
            .map(|c| {
                let first = (c * per_client).min(rows);
                let last = ((c + 1) * per_client).min(rows);
                let mut bodies = Vec::new();
                let mut start = first;
                while start < last {
                    let end = (start + per_body).min(last);
                    let (from, to) = (self.line_starts[start], self.line_starts[end]);
                    let mut chunks = Vec::new();
                    let mut at = from;
                    while at < to {
                        let next = (at + CHUNK).min(to);
                        chunks.push(all.slice(at..next));
                        at = next;
                    }
                    bodies.push(chunks);
                    start = end;
                }
                bodies
            })
            .collect()
    }

    fn write_copy_file(&self, path: &Path) -> usize {
        std::fs::write(path, &self.copy).expect("write the COPY file");
        self.copy.len()
    }
}

/// Sends every client's bodies concurrently; the rows the server accepted in all.
async fn ingest(endpoint: &str, bodies: Vec<Vec<Vec<Bytes>>>) -> u64 {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(bodies.len())
        .build()
        .expect("HTTP client");
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|bodies| {
            let client = client.clone();
            let endpoint = endpoint.to_owned();
            tokio::spawn(async move {
                let mut accepted = 0;
                for chunks in bodies {
                    let stream =
                        futures::stream::iter(chunks.into_iter().map(Ok::<Bytes, std::io::Error>));
                    let response = client
                        .post(&endpoint)
                        .header("Content-Type", "application/x-ndjson")
                        .body(reqwest::Body::wrap_stream(stream))
                        .send()
                        .await
                        .expect("ingestion request");
                    let status = response.status();
                    let report: Value = response.json().await.expect("ingestion report");
                    assert!(status.is_success(), "ingestion answered {status}: {report}");
                    accepted += report["rowsAccepted"].as_u64().expect("rowsAccepted");
                }
                accepted
            })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        accepted += task.await.expect("client task");
    }
    accepted
}

fn psql_copy(url: &str, table: &str, file: &Path) {
    let command = format!(
        "\\copy {table} (t, source, v_power, v_pulses, v_phase) FROM '{}'",
        file.display()
    );
    let output = Command::new("psql")
        .args([url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", &command])
        .output()
        .expect("run psql (is it installed?)");
    assert!(
        output.status.success(),
        "psql \\copy failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn count_rows(pool: &sqlx::PgPool, table: &str) -> u64 {
    let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .expect("count rows");
    u64::try_from(count).expect("a count is not negative")
}

/// A row of the hand-written downsampling: bucket start, count, avg, min, max.
type SqlBucket = (i64, i64, Option<f64>, Option<f64>, Option<f64>);

#[derive(Debug, Clone, PartialEq)]
struct Bucket {
    start: i64,
    count: i64,
    avg: f64,
    min: f64,
    max: f64,
}

fn tool_buckets(out: &Value) -> Vec<Bucket> {
    out["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| Bucket {
            start: DateTime::parse_from_rfc3339(row["bucketStart"].as_str().expect("bucketStart"))
                .expect("bucketStart is RFC 3339")
                .timestamp_micros(),
            count: row["count"].as_i64().expect("count"),
            avg: row["avg_Power"].as_f64().expect("avg"),
            min: row["min_Power"].as_f64().expect("min"),
            max: row["max_Power"].as_f64().expect("max"),
        })
        .collect()
}

/// Both paths' buckets agree (averages to rounding) and count every sample.
fn same_buckets(tool: &[Bucket], sql: &[Bucket], samples: u64) {
    assert_eq!(tool.len(), sql.len(), "bucket counts differ");
    for (a, b) in tool.iter().zip(sql) {
        let close = (a.avg - b.avg).abs() <= 1e-9 * a.avg.abs().max(1.0);
        assert!(
            a.start == b.start && a.count == b.count && close && a.min == b.min && a.max == b.max,
            "buckets differ: tool {a:?}, SQL {b:?}"
        );
    }
    let total: i64 = sql.iter().map(|b| b.count).sum();
    assert_eq!(
        u64::try_from(total).ok(),
        Some(samples),
        "the buckets count {total} samples"
    );
}

/// The release server as a child process on a free loopback port, stopped when dropped.
struct ServerProcess {
    child: Option<Child>,
    base_url: String,
}

impl ServerProcess {
    async fn start(binary: &Path, database_url: &str, work: &Path) -> Self {
        let _ = std::fs::remove_dir_all(work);
        std::fs::create_dir_all(work).expect("server work folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = std::fs::File::create(work.join("server.log")).expect("server log");
        let child = Command::new(binary)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(work.join("data"))
            .args(["--database-url", database_url])
            // The end-to-end tests' mode: no token needed, allowed on loopback only.
            .args(["--auth-mode", "disabled"])
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::from(log.try_clone().expect("log handle")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start the release server");
        let server = Self {
            child: Some(child),
            base_url: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = client
                .get(format!("{}/health/ready", server.base_url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not get ready in 60 s; see {}",
                work.join("server.log").display()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        server
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
