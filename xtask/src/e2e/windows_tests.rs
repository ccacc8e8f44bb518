//! The `windows-unit-tests` row: the custom-actions unit tests that only compile for Windows
//! (`cfg(windows)`: the FFI shell's `WinSystem`/`WinLogon`, which call the real Win32 APIs),
//! cross-compiled with `cargo test --target x86_64-pc-windows-gnu --no-run` and run under Wine
//! in a copy of the template prefix. `cargo test` on Linux never compiles them, so without this
//! row they would never run in the test command.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use super::toolkit::{Env, Outcome};
use crate::harness::wine::Prefix;

/// How long the tests may run (they take about a second).
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// The test filter: the Windows-only modules of custom-actions.
const FILTER: &str = "ffi::";

/// Builds the custom-actions unit tests for Windows and runs the Windows-only ones under Wine.
pub fn run(sh: &Shell, env: &Env) -> Outcome {
    let started = Instant::now();
    let mut outcome = Outcome::failed("windows-unit-tests", vec![]);
    match build_and_run(sh, env) {
        Ok((passed, output)) => {
            outcome
                .notes
                .push(format!("{passed} Windows-only unit test(s) of custom-actions ({FILTER}*) passed under Wine"));
            outcome.failures.extend(failed_tests(&output));
        }
        Err(e) => outcome.failures.push(format!("{e:#}")),
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    outcome
}

fn build_and_run(sh: &Shell, env: &Env) -> Result<(usize, String)> {
    let exe = test_executable(sh)?;
    let prefix_path = env.root.join("prefixes").join("windows-unit-tests");
    let prefix = Prefix::clone_from(sh, &env.template, &prefix_path)?;
    let dir = prefix.c(r"C:\e2e").join("unit-tests");
    std::fs::create_dir_all(&dir)?;
    std::fs::copy(&exe, dir.join("custom_actions_tests.exe")).context("copying the test executable into the prefix")?;
    // A failing test exits 101: keep the output either way, the summary line says what happened.
    let stdout = dir.join("stdout.txt");
    let mut child = prefix
        .command(&[r"C:\e2e\unit-tests\custom_actions_tests.exe", FILTER, "--test-threads=1"])
        .stdout(std::fs::File::create(&stdout)?)
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("running the Windows unit tests under Wine")?;
    let started = Instant::now();
    while child.try_wait()?.is_none() {
        if started.elapsed() > TIMEOUT {
            prefix.kill(sh);
            let _ = child.wait();
            bail!("the Windows unit tests did not finish within {} s (killed)", TIMEOUT.as_secs());
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    prefix.settle(sh)?;
    let out = std::fs::read_to_string(&stdout).unwrap_or_default();
    if !env.keep {
        prefix.kill(sh);
        let _ = std::fs::remove_dir_all(&prefix_path);
    }
    let summary = out.lines().find(|l| l.starts_with("test result:")).map(str::to_string);
    let Some(summary) = summary else {
        bail!("the Windows test executable printed no `test result:` line:\n{}", out.trim());
    };
    // `test result: ok. 5 passed; 0 failed; ...`: the first number is the passed count.
    let passed: usize = summary.split_whitespace().find_map(|w| w.parse().ok()).unwrap_or(0);
    if !summary.starts_with("test result: ok.") {
        bail!("{summary}\n{}", out.trim());
    }
    if passed == 0 {
        bail!("no Windows-only test ran (filter {FILTER}): {summary}");
    }
    Ok((passed, out))
}

/// `cargo test -p custom-actions --lib --target x86_64-pc-windows-gnu --no-run`, and the path
/// of the test executable it reports.
fn test_executable(sh: &Shell) -> Result<PathBuf> {
    let json = cmd!(
        sh,
        "cargo test --quiet -p custom-actions --lib --target x86_64-pc-windows-gnu --no-run --message-format=json"
    )
    .read()
    .context("cross-compiling the custom-actions unit tests for Windows")?;
    json.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["profile"]["test"] == true)
        .find_map(|v| v["executable"].as_str().map(PathBuf::from))
        .context("cargo reported no Windows test executable for custom-actions")
}

/// The per-test lines of libtest's output that did not pass (`test <name> ... FAILED`).
fn failed_tests(output: &str) -> Vec<String> {
    output
        .lines()
        .map(str::trim_end)
        .filter(|l| l.starts_with("test ") && !l.starts_with("test result:") && !l.ends_with(" ok"))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failed_test_lines_are_failures() {
        let out = "running 3 tests\r\ntest ffi::a ... ok\r\ntest ffi::b ... FAILED\r\ntest ffi::c ... ok\r\n\r\n\
                   test result: FAILED. 2 passed; 1 failed; 0 ignored\r\n";
        assert_eq!(failed_tests(out), ["test ffi::b ... FAILED"]);
        assert!(failed_tests("test ffi::a ... ok\ntest result: ok. 1 passed; 0 failed\n").is_empty());
    }
}
