//! External commands: echo them, run them with their output on the terminal, and turn a
//! failure (missing program, non-zero exit) into an error that names the command.

use std::process::{Command, Output, Stdio};

use anyhow::{Context, Result, bail};

/// Runs `cmd` with stdout and stderr going straight to the terminal; fails unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = describe(cmd);
    println!("$ {shown}");
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Runs `cmd` and captures its output; the caller judges the exit status.
pub fn capture(cmd: &mut Command) -> Result<Output> {
    let shown = describe(cmd);
    cmd.stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{shown}`"))
}

/// Whether `program --version` runs at all: used to tell "not installed" apart from "failed".
pub fn is_available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The command line as a shell would show it (program and arguments, no environment).
pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|part| {
            let part = part.to_string_lossy();
            if part.is_empty() || part.contains(char::is_whitespace) {
                format!("'{part}'")
            } else {
                part.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Like [`run`], but kills the command if it has not finished within `limit`, so that a hung
/// client cannot eat CI's time budget.
pub fn run_with_timeout(cmd: &mut Command, limit: std::time::Duration) -> Result<()> {
    let shown = describe(cmd);
    println!("$ {shown}");
    let mut child = cmd
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("could not start `{shown}`"))?;
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child
            .try_wait()
            .with_context(|| format!("waiting for `{shown}`"))?
        {
            if !status.success() {
                bail!("`{shown}` failed ({status})");
            }
            return Ok(());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "`{shown}` did not finish within {}s; killed it",
                limit.as_secs()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
