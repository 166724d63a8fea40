//! Records the git commit the binary is built from, for `mcp-http --version`.
//!
//! `cargo xtask dist` passes the commit in `OCTO_BUILD_COMMIT`; a plain `cargo build` asks git.
//! Outside a git checkout (a source tarball) the commit is `unknown`, never a build failure.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=OCTO_BUILD_COMMIT");
    let commit = std::env::var("OCTO_BUILD_COMMIT")
        .ok()
        .filter(|commit| !commit.trim().is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    // Rebuild when HEAD moves (a commit, a checkout), not on every file change.
    for path in ["HEAD", "logs/HEAD"] {
        if let Some(file) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={file}");
        }
    }
    println!("cargo:rustc-env=OCTO_BUILD_COMMIT={}", commit.trim());
}

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|text| !text.is_empty())
}
