//! The file-transfer benchmark of `cargo xtask bench`: a large file (1 GiB by default) uploaded
//! (`PUT /file-transfer/upload/{id}`) and downloaded (`GET /file-transfer/download/{id}`)
//! through the release server with `curl`, against the same `curl` commands on a plain static
//! file copy on loopback (a minimal std HTTP server: `io::copy` between socket and file, no
//! hashing, no database). Prints the throughputs, their ratio against the target (≥ 70 % of the
//! plain copy) and the server's peak RSS (`VmHWM`, target under 100 MiB).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::server::Server;

/// How often each transfer is timed; the median is reported.
const RUNS: usize = 3;
/// The throughput target, as a share of the plain copy's.
const TARGET_RATIO: f64 = 0.70;
/// The peak-RSS target of the server, in MiB.
const TARGET_RSS_MIB: f64 = 100.0;

/// Runs the benchmark with the release binary `binary`, working in `work` (removed after).
pub fn run(binary: &Path, work: &Path, mib: u64) -> Result<()> {
    if !crate::command::is_available("curl") {
        bail!("curl is not installed; the transfer bench compares against it");
    }
    if work.exists() {
        std::fs::remove_dir_all(work)?;
    }
    std::fs::create_dir_all(work)?;
    let result = measure(binary, work, mib);
    let _ = std::fs::remove_dir_all(work);
    result
}

fn measure(binary: &Path, work: &Path, mib: u64) -> Result<()> {
    let payload = work.join("payload.bin");
    write_payload(&payload, mib)?;
    let bytes = mib * 1024 * 1024;

    // The plain copy.
    let sink = work.join("plain-copy.bin");
    let plain = PlainServer::start(payload.clone(), sink)?;
    let plain_url = format!("http://{}", plain.addr);
    let plain_up = median(RUNS, || curl_put(&payload, &format!("{plain_url}/upload")))?;
    let plain_down = median(RUNS, || curl_get(&format!("{plain_url}/file")))?;

    // The server.
    let mut server = Server::start(binary, &work.join("data"), &work.join("server.log"))?;
    let base = server.base_url();
    let pid = server.pid().context("the server has no process id")?;
    let mut up = Vec::new();
    let mut down = Vec::new();
    for _ in 0..RUNS {
        let id = reserve_upload(&base)?;
        up.push(curl_put(
            &payload,
            &format!("{base}/file-transfer/upload/{id}"),
        )?);
        down.push(curl_get(&format!("{base}/file-transfer/download/{id}"))?);
    }
    let rss_mib = peak_rss_kib(pid)? as f64 / 1024.0;
    server.stop();
    let server_up = median_of(up);
    let server_down = median_of(down);

    let rate = |seconds: f64| bytes as f64 / (1024.0 * 1024.0) / seconds;
    println!();
    println!("File transfers, {mib} MiB, median of {RUNS} (curl on loopback):");
    println!(
        "{:<10} {:>14} {:>14} {:>8}  target ≥ {:.0} %",
        "transfer",
        "server MiB/s",
        "plain MiB/s",
        "ratio",
        TARGET_RATIO * 100.0
    );
    for (name, ours, theirs) in [
        ("upload", server_up, plain_up),
        ("download", server_down, plain_down),
    ] {
        let ratio = rate(ours) / rate(theirs);
        println!(
            "{name:<10} {:>14.0} {:>14.0} {:>7.0}%  {}",
            rate(ours),
            rate(theirs),
            ratio * 100.0,
            if ratio >= TARGET_RATIO {
                "met"
            } else {
                "MISSED"
            }
        );
    }
    println!(
        "server peak RSS: {rss_mib:.1} MiB (target < {TARGET_RSS_MIB:.0} MiB: {})",
        if rss_mib < TARGET_RSS_MIB {
            "met"
        } else {
            "MISSED"
        }
    );
    Ok(())
}

/// A file of `mib` MiB of pseudo-random bytes (no compression anywhere would profit from a
/// pattern, but random bytes keep that honest).
fn write_payload(path: &Path, mib: u64) -> Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut block = vec![0u8; 1024 * 1024];
    for _ in 0..mib {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
        }
        file.write_all(&block)?;
    }
    file.flush()?;
    Ok(())
}

fn median(runs: usize, mut once: impl FnMut() -> Result<f64>) -> Result<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        times.push(once()?);
    }
    Ok(median_of(times))
}

fn median_of(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Seconds for `curl -T file url` (no `Expect: 100-continue` round trip, for both targets).
fn curl_put(file: &Path, url: &str) -> Result<f64> {
    timed(
        Command::new("curl")
            .args(["-sS", "-f", "-H", "Expect:", "-o", "/dev/null", "-T"])
            .arg(file)
            .arg(url),
    )
}

/// Seconds for `curl url -o /dev/null`.
fn curl_get(url: &str) -> Result<f64> {
    timed(Command::new("curl").args(["-sS", "-f", "-o", "/dev/null", url]))
}

fn timed(cmd: &mut Command) -> Result<f64> {
    let started = Instant::now();
    let status = cmd.stdin(Stdio::null()).status().context("running curl")?;
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("{} failed ({status})", crate::command::describe(cmd));
    }
    Ok(seconds)
}

/// `prepare_file_upload` over MCP (initialize, initialized, tools/call), with curl.
fn reserve_upload(base: &str) -> Result<String> {
    let url = format!("{base}/mcp");
    let post = |session: Option<&str>, body: &str| -> Result<(String, String)> {
        let mut cmd = Command::new("curl");
        cmd.args([
            "-sS",
            "-D",
            "-",
            "-H",
            "Content-Type: application/json",
            "-H",
            "Accept: application/json, text/event-stream",
            "-H",
            "MCP-Protocol-Version: 2025-06-18",
        ]);
        if let Some(session) = session {
            cmd.args(["-H", &format!("Mcp-Session-Id: {session}")]);
        }
        cmd.args(["-d", body, &url]);
        let out = crate::command::capture(&mut cmd)?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        Ok((head.to_owned(), body.to_owned()))
    };
    let (head, _) = post(
        None,
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"xtask-bench","version":"0"}}}"#,
    )?;
    let session = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("mcp-session-id")
                .then(|| value.trim().to_owned())
        })
        .context("initialize returned no Mcp-Session-Id")?;
    post(
        Some(&session),
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    )?;
    let (_, body) = post(
        Some(&session),
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"prepare_file_upload","arguments":{"fileName":"bench.bin"}}}"#,
    )?;
    let marker = "\"transferId\":\"";
    let start = body
        .find(marker)
        .map(|i| i + marker.len())
        .with_context(|| format!("prepare_file_upload returned no transferId: {body}"))?;
    let id: String = body[start..].chars().take(32).collect();
    if id.len() != 32 || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("unexpected transferId in {body}");
    }
    Ok(id)
}

/// The peak resident set of process `pid`, in KiB (`VmHWM` in `/proc/<pid>/status`).
fn peak_rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/<pid>/status")
}

/// The plain copy: one connection at a time, GET streams `file`, PUT writes the body to `sink`.
struct PlainServer {
    addr: std::net::SocketAddr,
}

impl PlainServer {
    fn start(file: PathBuf, sink: PathBuf) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Err(error) = serve(stream, &file, &sink) {
                    eprintln!("plain copy server: {error}");
                }
            }
        });
        Ok(Self { addr })
    }
}

fn serve(stream: TcpStream, file: &Path, sink: &Path) -> Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut length = 0u64;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut stream = stream;
    if request.starts_with("PUT") {
        let mut out = std::fs::File::create(sink)?;
        std::io::copy(&mut (&mut reader).take(length), &mut out)?;
        out.sync_all()?;
        stream
            .write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    } else {
        let mut source = std::fs::File::open(file)?;
        let size = source.metadata()?.len();
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: \
             {size}\r\nConnection: close\r\n\r\n"
        )?;
        std::io::copy(&mut source, &mut stream)?;
    }
    stream.flush()?;
    Ok(())
}
