//! `cargo xtask mutants`: mutation testing with cargo-mutants over the modules where a
//! regression would hurt most (issue 17): the WiX lowering of product, components, features,
//! custom actions and sequences; the `.enc` header and reader; the embedded-connector property
//! contract; the prerequisite rows; the e2e secret scan. A mutant that the tests do not catch
//! ("missed") is a place where the code can change without a test noticing: each one is killed
//! by a new test or explained in docs/mutation-testing.md.
//!
//! cargo-mutants builds and tests the crate once per mutant, so this is slow (see
//! docs/mutation-testing.md for measured times); it is not part of `cargo xtask test`. Each
//! mutant runs only the test binaries that exercise its module ([`MODULES`]), without the
//! time-budgeted fuzzers and the Wine tests (covered by `cargo xtask test`, and far too slow to
//! run once per mutant).

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use crate::cli::MutantsArgs;
use crate::target_dir;

/// One module of the run: a source file and the tests that cover it.
#[derive(Debug, PartialEq, Eq)]
struct Module {
    /// The crate (package) the file belongs to.
    krate: &'static str,
    /// The file, from the workspace root.
    file: &'static str,
    /// The `cargo test` target selection: the test binaries of the crate that exercise the file.
    targets: &'static [&'static str],
}

/// The modules issue 17 names, in the order they are run (most value per minute first).
const MODULES: &[Module] = &[
    Module { krate: "custom-actions", file: "custom-actions/src/enc/header.rs", targets: ENC_TESTS },
    Module { krate: "custom-actions", file: "custom-actions/src/enc/read.rs", targets: ENC_TESTS },
    Module { krate: "xtask", file: "xtask/src/e2e/secrets.rs", targets: &["--bin", "xtask"] },
    // The embedded-connector property contract (names and parsing of the properties, the actions
    // that read and publish them).
    Module {
        krate: "custom-actions",
        file: "custom-actions/src/connector/mod.rs",
        targets: &[
            "--lib",
            "--test",
            "connector_detect_ui",
            "--test",
            "connector_silent",
            "--test",
            "connector_backup",
            "--test",
            "target_actions",
        ],
    },
    Module { krate: "packaging", file: "packaging/src/prerequisites.rs", targets: PACKAGING_TESTS },
    Module { krate: "packaging", file: "packaging/src/wix/lower/feature.rs", targets: PACKAGING_TESTS },
    Module { krate: "packaging", file: "packaging/src/wix/lower/custom_action.rs", targets: PACKAGING_TESTS },
    Module { krate: "packaging", file: "packaging/src/wix/sequence.rs", targets: PACKAGING_TESTS },
    Module { krate: "packaging", file: "packaging/src/wix/lower/product.rs", targets: PACKAGING_TESTS },
    Module { krate: "packaging", file: "packaging/src/wix/lower/directory.rs", targets: PACKAGING_TESTS },
];

/// The `.enc` tests that need no subprocess: the library's unit tests, tampering, round trips,
/// the committed v1 sample, the output-path contract of `decrypt`.
const ENC_TESTS: &[&str] =
    &["--lib", "--test", "enc_tamper", "--test", "enc_roundtrip", "--test", "enc_fixture", "--test", "enc_read_paths"];

/// The packaging tests that build from WiX sources in memory (no built MSI needed).
const PACKAGING_TESTS: &[&str] = &["--lib", "--tests"];

/// Tests skipped by name in every mutant run: the fuzzers run for a time budget and find crashes,
/// not wrong answers; the Wine tests take minutes. Both run in `cargo xtask test`.
const SKIP: &[&str] = &["fuzz", "under_wine"];

/// Where cargo-mutants builds: one target folder kept across runs, so the dependencies are
/// built once and not for every run in its fresh copy of the tree.
fn build_dir() -> std::path::PathBuf {
    target_dir().join("mutants").join("build")
}

/// The output folder of one module: `target/mutants/<file stem>` (`secrets`, `header`...).
fn out_dir(m: &Module) -> std::path::PathBuf {
    let stem = Path::new(m.file).file_stem().and_then(|s| s.to_str()).unwrap_or("module");
    target_dir().join("mutants").join(stem)
}

/// The modules to run: all of them, or those whose file is given (an unknown file is an error
/// naming the known ones).
fn plan(files: &[String]) -> Result<Vec<&'static Module>> {
    if files.is_empty() {
        return Ok(MODULES.iter().collect());
    }
    let mut out = Vec::new();
    for f in files {
        let f = f.trim_start_matches("./");
        let m = MODULES.iter().find(|m| m.file == f).with_context(|| {
            let known: Vec<&str> = MODULES.iter().map(|m| m.file).collect();
            format!("--file {f}: not one of the modules this command knows: {}", known.join(", "))
        })?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// The cargo-mutants arguments for one module (after `cargo`).
fn mutants_args(m: &Module, opts: &MutantsArgs) -> Vec<String> {
    let mut args: Vec<String> =
        ["mutants", "--package", m.krate, "--file", m.file, "--no-shuffle"].map(String::from).to_vec();
    if opts.list {
        args.push("--list".into());
        return args;
    }
    args.extend(["--jobs".into(), opts.jobs.to_string(), "--output".into(), out_dir(m).display().to_string()]);
    if let Some(t) = opts.timeout {
        args.extend(["--timeout".into(), t.to_string()]);
    }
    // Everything after `--` goes to `cargo test`; after its own `--`, to the test binaries.
    args.push("--".into());
    args.extend(m.targets.iter().map(|s| s.to_string()));
    args.push("--".into());
    for s in SKIP {
        args.extend(["--skip".into(), s.to_string()]);
    }
    args
}

/// Runs `cargo xtask mutants`.
pub fn run(sh: &Shell, opts: &MutantsArgs) -> Result<()> {
    if cmd!(sh, "cargo mutants --version").quiet().ignore_stderr().read().is_err() {
        bail!("cargo-mutants is not installed: `cargo install cargo-mutants` (crates.io), then run this again");
    }
    let mut totals = Counts::default();
    let build = build_dir();
    for m in plan(&opts.file)? {
        let args = mutants_args(m, opts);
        if opts.list {
            cmd!(sh, "cargo {args...}").run()?;
            continue;
        }
        let out = out_dir(m);
        std::fs::create_dir_all(&out)?;
        eprintln!("mutants: {} (tests: {} -- --skip {})", m.file, m.targets.join(" "), SKIP.join(" --skip "));
        let started = Instant::now();
        // Incremental builds: a mutant changes one function, so most of the crate is reused.
        // The incremental cache is removed after each module (it grows with every mutant).
        // Not through xshell: its output is the run's progress, shown as it comes.
        let status = std::process::Command::new("cargo")
            .args(&args)
            .current_dir(sh.current_dir())
            .env("CARGO_TARGET_DIR", &build)
            .env("CARGO_INCREMENTAL", "1")
            .status()
            .context("running cargo mutants")?;
        let _ = std::fs::remove_dir_all(build.join("debug").join("incremental"));
        // cargo-mutants exits non-zero when a mutant is missed or times out; the counts say why.
        let counts = Counts::read(&out.join("mutants.out"))?;
        eprintln!(
            "mutants: {}: {} in {:.0} s (exit {:?})",
            m.file,
            counts.line(),
            started.elapsed().as_secs_f64(),
            status.code()
        );
        for missed in counts.missed.iter().chain(&counts.timeouts) {
            eprintln!("   {missed}");
        }
        totals.add(counts);
    }
    if !opts.list {
        println!("mutants: {}", totals.line());
        if !totals.missed.is_empty() {
            println!("missed mutants: kill each with a test, or explain it in docs/mutation-testing.md");
        }
    }
    Ok(())
}

/// The outcome files cargo-mutants writes in `mutants.out/`.
#[derive(Debug, Default)]
struct Counts {
    caught: usize,
    missed: Vec<String>,
    timeouts: Vec<String>,
    unviable: usize,
}

impl Counts {
    fn read(dir: &std::path::Path) -> Result<Counts> {
        let lines = |name: &str| -> Vec<String> {
            std::fs::read_to_string(dir.join(name))
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect()
        };
        if !dir.is_dir() {
            bail!("cargo-mutants wrote no {} (did it run?)", dir.display());
        }
        Ok(Counts {
            caught: lines("caught.txt").len(),
            missed: lines("missed.txt"),
            timeouts: lines("timeout.txt"),
            unviable: lines("unviable.txt").len(),
        })
    }

    fn add(&mut self, o: Counts) {
        self.caught += o.caught;
        self.missed.extend(o.missed);
        self.timeouts.extend(o.timeouts);
        self.unviable += o.unviable;
    }

    /// `caught N, missed N, timeout N, unviable N; score P%` (caught over caught + missed + timeout).
    fn line(&self) -> String {
        let tested = self.caught + self.missed.len() + self.timeouts.len();
        let score = if tested == 0 { 0.0 } else { 100.0 * self.caught as f64 / tested as f64 };
        format!(
            "caught {}, missed {}, timeout {}, unviable {}; score {score:.0}%",
            self.caught,
            self.missed.len(),
            self.timeouts.len(),
            self.unviable
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_select_their_modules() {
        let p = plan(&["custom-actions/src/enc/read.rs".into(), "./xtask/src/e2e/secrets.rs".into()]).unwrap();
        assert_eq!(
            p.iter().map(|m| m.file).collect::<Vec<_>>(),
            ["custom-actions/src/enc/read.rs", "xtask/src/e2e/secrets.rs"]
        );
        assert!(plan(&["README.md".into()]).unwrap_err().to_string().contains("packaging/src/prerequisites.rs"));
        assert_eq!(plan(&[]).unwrap().len(), MODULES.len());
    }

    /// Each module's files exist, and its crate is the folder the file is in.
    #[test]
    fn modules_name_real_files_of_their_crate() {
        for m in MODULES {
            assert!(crate::project_root().join(m.file).is_file(), "{}", m.file);
            assert!(m.file.starts_with(&format!("{}/", m.krate)), "{}", m.file);
        }
    }

    /// The test selection reaches cargo test, and the skips the test binaries.
    #[test]
    fn arguments_pass_the_tests_and_the_skips() {
        let opts = MutantsArgs { jobs: 1, ..Default::default() };
        let args = mutants_args(&MODULES[0], &opts).join(" ");
        assert!(
            args.contains("--package custom-actions --file custom-actions/src/enc/header.rs")
                && args.contains(" -- --lib --test enc_tamper")
                && args.ends_with("-- --skip fuzz --skip under_wine"),
            "{args}"
        );
    }

    #[test]
    fn score_counts_timeouts_as_not_caught() {
        let c = Counts { caught: 3, missed: vec!["m".into()], timeouts: vec![], unviable: 5 };
        assert_eq!(c.line(), "caught 3, missed 1, timeout 0, unviable 5; score 75%");
    }
}
