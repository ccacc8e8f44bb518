//! `cargo xtask mutants`: mutation testing with cargo-mutants over the modules where a
//! regression would hurt most (issue 17): the WiX lowering of product, components, features,
//! custom actions and sequences; the `.enc` header and reader; the embedded-connector property
//! contract; the prerequisite rows; the e2e secret scan. A mutant that the tests do not catch
//! ("missed") is a place where the code can change without a test noticing: each one is killed
//! by a new test or explained in docs/mutation-testing.md.
//!
//! cargo-mutants builds and tests the crate once per mutant, so this is slow (see
//! docs/mutation-testing.md for measured times); it is not part of `cargo xtask test`.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use crate::cli::MutantsArgs;
use crate::target_dir;

/// (crate, file globs): the modules issue 17 names.
const DEFAULT: &[(&str, &[&str])] = &[
    (
        "packaging",
        &[
            // WiX lowering (product, components, features, custom actions) and sequencing;
            // `lower/**` once the lowering is one file per element family.
            "packaging/src/wix/lower.rs",
            "packaging/src/wix/lower/**",
            "packaging/src/wix/sequence.rs",
            "packaging/src/prerequisites.rs",
        ],
    ),
    (
        "custom-actions",
        &[
            "custom-actions/src/enc/header.rs",
            "custom-actions/src/enc/read.rs",
            // The embedded-connector property contract (names and parsing of the properties).
            "custom-actions/src/connector/mod.rs",
        ],
    ),
    ("xtask", &["xtask/src/e2e/secrets.rs"]),
];

/// The crate a workspace file belongs to (its first path component names the crate folder).
fn crate_of(file: &str) -> Option<&'static str> {
    let folder = file.trim_start_matches("./").split('/').next()?;
    DEFAULT.iter().map(|(k, _)| *k).find(|k| *k == folder)
}

/// The runs to make: crate -> globs.
fn plan(files: &[String]) -> Result<Vec<(String, Vec<String>)>> {
    if files.is_empty() {
        return Ok(DEFAULT.iter().map(|(k, f)| (k.to_string(), f.iter().map(|s| s.to_string()).collect())).collect());
    }
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for f in files {
        let krate = crate_of(f).with_context(|| {
            format!("--file {f}: not under a crate folder this command knows (packaging/, custom-actions/, xtask/)")
        })?;
        match out.iter_mut().find(|(k, _)| k == krate) {
            Some((_, v)) => v.push(f.clone()),
            None => out.push((krate.to_string(), vec![f.clone()])),
        }
    }
    Ok(out)
}

/// Runs `cargo xtask mutants`.
pub fn run(sh: &Shell, opts: &MutantsArgs) -> Result<()> {
    if cmd!(sh, "cargo mutants --version").quiet().ignore_stderr().read().is_err() {
        bail!("cargo-mutants is not installed: `cargo install cargo-mutants` (crates.io), then run this again");
    }
    let mut totals = Counts::default();
    for (krate, globs) in plan(&opts.file)? {
        let out = target_dir().join("mutants").join(&krate);
        std::fs::create_dir_all(&out)?;
        let mut args: Vec<String> = vec!["mutants".into(), "--package".into(), krate.clone(), "--no-shuffle".into()];
        for g in &globs {
            args.extend(["--file".into(), g.clone()]);
        }
        if opts.list {
            args.push("--list".into());
            cmd!(sh, "cargo {args...}").run()?;
            continue;
        }
        args.extend(["--jobs".into(), opts.jobs.to_string(), "--output".into(), out.display().to_string()]);
        if let Some(t) = opts.timeout {
            args.extend(["--timeout".into(), t.to_string()]);
        }
        eprintln!("mutants: {krate}: {}", globs.join(" "));
        let started = Instant::now();
        // cargo-mutants exits non-zero when a mutant is missed or times out; the counts say why.
        let status = cmd!(sh, "cargo {args...}").ignore_status().output()?;
        let counts = Counts::read(&out.join("mutants.out"))?;
        eprintln!(
            "mutants: {krate}: {} in {:.0} s (exit {:?})",
            counts.line(),
            started.elapsed().as_secs_f64(),
            status.status.code()
        );
        for m in counts.missed.iter().chain(&counts.timeouts) {
            eprintln!("   {m}");
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
    fn files_are_grouped_by_crate() {
        let p = plan(&[
            "packaging/src/wix/lower.rs".into(),
            "custom-actions/src/enc/read.rs".into(),
            "packaging/src/prerequisites.rs".into(),
        ])
        .unwrap();
        assert_eq!(
            p,
            vec![
                (
                    "packaging".to_string(),
                    vec!["packaging/src/wix/lower.rs".to_string(), "packaging/src/prerequisites.rs".to_string()]
                ),
                ("custom-actions".to_string(), vec!["custom-actions/src/enc/read.rs".to_string()]),
            ]
        );
        assert!(plan(&["README.md".into()]).is_err());
        assert_eq!(plan(&[]).unwrap().len(), DEFAULT.len());
    }

    #[test]
    fn score_counts_timeouts_as_not_caught() {
        let c = Counts { caught: 3, missed: vec!["m".into()], timeouts: vec![], unviable: 5 };
        assert_eq!(c.line(), "caught 3, missed 1, timeout 0, unviable 5; score 75%");
    }
}
