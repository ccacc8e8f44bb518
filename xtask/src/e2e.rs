//! `cargo xtask e2e`: the silent-install upgrade matrix under Wine's `msiexec`, with the real
//! MSI and the real Rust custom-action DLL.
//!
//! Flow: find Wine (loud message when missing; an error under `CI`), build every MSI the
//! selected scenarios need from the same sources as a release (`cargo xtask dist` with other
//! versions and payloads, plus a test variant with `wix/test/fault-injection.wxs`), create one
//! template prefix (`wineboot -i` + the `ProcessPrng` shim), then per scenario copy the template,
//! run `msiexec /qn` through the exit-code batch file and assert the effects: exit code, files,
//! installed products, the service's registry configuration, and the verbose log. Finally every
//! log and every MSI table is scanned for every secret used, and a summary table is printed
//! (`--record` also writes it into `docs/e2e.md`). See `docs/e2e.md`.

mod build;
mod scenarios;
pub(crate) mod secrets;
mod snapshot;
mod toolkit;
mod windows_tests;

/// The product config with the e2e test prerequisite (also used by the setup program's screenshots).
pub(crate) use build::prereq_config;

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use crate::cli::E2eArgs;
use crate::harness::product::Product;
use crate::harness::{self, wine::Wine, WineException};
use crate::{project_root, target_dir};
use build::{Build, Builds};
use scenarios::SCENARIOS;
use toolkit::{Env, Outcome, Scenario};

/// Runs `cargo xtask e2e`.
pub fn run(sh: &Shell, opts: &E2eArgs) -> Result<()> {
    let selected = select(&opts.only)?;
    if opts.list {
        for s in SCENARIOS {
            println!("{:<28} {}", s.name, s.about);
        }
        return Ok(());
    }
    let wine = match Wine::detect(sh)? {
        Ok(w) => w,
        Err(why) => {
            let msg = format!(
                "\n==================== E2E NOT RUN ====================\n\
                 cargo xtask e2e needs Wine: {why}.\n\
                 The upgrade matrix was NOT run; nothing about msiexec behaviour is proven.\n\
                 =====================================================\n"
            );
            eprintln!("{msg}");
            if test_support::under_ci() {
                bail!("Wine is missing under CI: {why}");
            }
            test_support::record_skip("cargo xtask e2e", &format!("the Wine matrix was not run: {why}"));
            return Ok(());
        }
    };
    eprintln!("e2e: {} ({}), {} scenario(s)", wine.version, wine.wine.display(), selected.len());
    let started = Instant::now();
    let root = target_dir().join("e2e");
    std::fs::create_dir_all(&root)?;
    let product = Product::load(&project_root().join("wix/product.toml"))?;

    let mut needed: Vec<Build> = selected.iter().flat_map(|s| s.needs.iter().copied()).collect();
    needed.sort();
    needed.dedup();
    let builds = Builds::prepare(sh, &product, &root, &needed, opts.prebuilt.as_deref())?;

    let template = harness::template_prefix(sh, &wine, &root)?;
    let env = Env { product, builds, root: root.clone(), template, keep: opts.keep, migrate_tool: Default::default() };

    let mut outcomes = Vec::new();
    for s in &selected {
        eprintln!("e2e: --- {} ---", s.name);
        let o = toolkit::run_one(sh, &env, s);
        for f in &o.failures {
            eprintln!("e2e: {}: FAIL: {f}", s.name);
        }
        eprintln!(
            "e2e: {} {} in {:.1} s (exit codes {:?})",
            s.name,
            if o.failures.is_empty() { "passed" } else { "FAILED" },
            o.seconds,
            o.codes
        );
        outcomes.push(o);
    }
    if opts.only.is_empty() {
        eprintln!("e2e: --- windows-unit-tests ---");
        let o = windows_tests::run(sh, &env);
        for f in &o.failures {
            eprintln!("e2e: windows-unit-tests: FAIL: {f}");
        }
        outcomes.push(o);
    }
    outcomes.push(secret_scan(sh, &env, &outcomes, opts.only.is_empty()));
    // Every weakened check must be a documented Wine difference.
    match harness::documented_wine_exceptions() {
        Ok(documented) => {
            for o in &mut outcomes {
                let bad = harness::undocumented(&o.exceptions, &documented);
                o.failures.extend(bad);
            }
        }
        Err(e) => {
            if outcomes.iter().any(|o| !o.exceptions.is_empty()) {
                if let Some(o) = outcomes.iter_mut().find(|o| !o.exceptions.is_empty()) {
                    o.failures.push(format!("{e:#}: so no weakened check can be accepted"));
                }
            }
        }
    }

    let table = summary_table(&outcomes, started.elapsed().as_secs_f64(), &wine.version);
    println!("\n{table}");
    if opts.record {
        record(&project_root().join("docs/e2e.md"), &table)?;
        eprintln!("e2e: summary written to docs/e2e.md");
    }
    if !opts.keep {
        let _ = std::fs::remove_dir_all(&env.template.path);
    }
    let failed: Vec<&str> = outcomes.iter().filter(|o| !o.failures.is_empty()).map(|o| o.name.as_str()).collect();
    if !failed.is_empty() {
        bail!(
            "{} e2e scenario(s) failed: {}; logs under {}",
            failed.len(),
            failed.join(", "),
            root.join("logs").display()
        );
    }
    Ok(())
}

fn select(only: &[String]) -> Result<Vec<&'static Scenario>> {
    if only.is_empty() {
        return Ok(SCENARIOS.iter().collect());
    }
    only.iter()
        .map(|n| {
            SCENARIOS.iter().find(|s| s.name == n.as_str()).with_context(|| {
                format!("no scenario `{n}`; known: {}", SCENARIOS.iter().map(|s| s.name).collect::<Vec<_>>().join(", "))
            })
        })
        .collect()
}

/// The last row: every log of every scenario and every table of every MSI, scanned for every
/// secret any scenario used.
fn secret_scan(sh: &Shell, env: &Env, outcomes: &[Outcome], full_matrix: bool) -> Outcome {
    let t = Instant::now();
    let mut secrets: Vec<(String, String)> = outcomes.iter().flat_map(|o| o.secrets.iter().cloned()).collect();
    secrets.sort();
    secrets.dedup();
    let mut failures = Vec::new();
    let mut exceptions = Vec::new();
    let mut scanned = 0;
    let hidden = hidden_properties(sh, env);
    let mut wine_dump_lines = 0;
    for log in outcomes.iter().flat_map(|o| o.logs.iter()) {
        match std::fs::read(log) {
            Ok(bytes) => {
                scanned += 1;
                for (name, value) in &secrets {
                    let one = [(name.clone(), value.clone())];
                    let (dump, other) = split_wine_property_dump(&bytes, &one, &hidden);
                    wine_dump_lines += dump;
                    for hit in secrets::scan(&other, &one) {
                        failures.push(format!(
                            "{} found as {} in {} (byte {})",
                            hit.secret_name,
                            hit.form,
                            log.display(),
                            hit.offset
                        ));
                    }
                }
            }
            Err(e) => failures.push(format!("cannot read log {}: {e}", log.display())),
        }
    }
    if wine_dump_lines > 0 {
        exceptions.push(WineException {
            id: "wine-hidden-property-dump",
            what: format!(
                "{wine_dump_lines} line(s) `Property(S): <NAME> = <value>` of a property listed in MsiHiddenProperties set aside: Wine 8's closing property dump ignores MsiHiddenProperties (Windows writes ********** there); no other line held a secret"
            ),
        });
    }
    for (build, msi) in env.builds.msis() {
        match build::table_dumps(sh, msi, &env.root.join("tables").join(build.name())) {
            Ok(dumps) => {
                for (table, text) in &dumps {
                    for hit in secrets::scan(text.as_bytes(), &secrets) {
                        failures.push(format!(
                            "{} found as {} in table {table} of {}",
                            hit.secret_name,
                            hit.form,
                            msi.display()
                        ));
                    }
                }
                if let Some(property) = dumps.iter().find(|(t, _)| t == "Property") {
                    for line in property.1.lines().skip(3) {
                        let mut cols = line.splitn(2, '\t');
                        let (name, value) = (cols.next().unwrap_or(""), cols.next().unwrap_or(""));
                        if ["EXPORT_PASSWORD", "SERVICE_PASSWORD"].contains(&name) && !value.is_empty() {
                            failures.push(format!(
                                "{} has a default value in the Property table of {}",
                                name,
                                msi.display()
                            ));
                        }
                    }
                } else {
                    failures.push(format!("{}: msiinfo exported no Property table", msi.display()));
                }
                scanned += dumps.len();
            }
            Err(e) => failures.push(format!("{}: {e:#}", msi.display())),
        }
    }
    if secrets.is_empty() {
        if full_matrix {
            failures.push(
                "no scenario used a secret (did the connector scenarios run?), so the log scan proved nothing".into(),
            );
        } else {
            eprintln!("e2e: secret scan: the selected scenarios used no secret; only the MSI tables were checked");
        }
    }
    eprintln!(
        "e2e: secret scan: {} secret(s) over {scanned} log(s)/table(s), {} hit(s)",
        secrets.len(),
        failures.len()
    );
    Outcome {
        name: "secret-scan".into(),
        codes: vec![],
        seconds: t.elapsed().as_secs_f64(),
        failures,
        logs: vec![],
        secrets: vec![],
        notes: vec![],
        exceptions,
    }
}

/// The union of `MsiHiddenProperties` over the built MSIs (the properties Windows masks in logs).
fn hidden_properties(sh: &Shell, env: &Env) -> Vec<String> {
    let mut out = Vec::new();
    for (_, msi) in env.builds.msis() {
        let text = cmd!(sh, "msiinfo export {msi} Property").quiet().ignore_status().read().unwrap_or_default();
        for line in text.lines() {
            if let Some(list) = line.strip_prefix("MsiHiddenProperties\t") {
                out.extend(list.split(';').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Splits a log into the lines of Wine's closing property dump that show a hidden property's
/// value being exactly the secret (`Property(S): NAME = <secret>` or `Property(C): ...`, NAME in
/// `hidden`), which Windows would mask, and everything else. Returns how many such lines there
/// were and the rest of the log (which must hold no secret at all).
pub(crate) fn split_wine_property_dump(
    log: &[u8],
    secrets: &[(String, String)],
    hidden: &[String],
) -> (usize, Vec<u8>) {
    let mut dump = 0;
    let mut rest = Vec::with_capacity(log.len());
    for line in log.split_inclusive(|b| *b == b'\n') {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\r', '\n']);
        let is_dump = ["Property(S): ", "Property(C): "].iter().any(|p| {
            text.strip_prefix(p).and_then(|r| r.split_once(" = ")).is_some_and(|(name, value)| {
                hidden.iter().any(|h| h == name) && secrets.iter().any(|(_, s)| s == value)
            })
        });
        if is_dump {
            dump += 1;
        } else {
            rest.extend_from_slice(line);
        }
    }
    (dump, rest)
}

/// The summary as a Markdown table.
fn summary_table(outcomes: &[Outcome], total: f64, wine_version: &str) -> String {
    let mut s = String::from("| scenario | exit codes | seconds | result |\n| --- | --- | ---: | --- |\n");
    for o in outcomes {
        let codes = if o.codes.is_empty() {
            "-".to_string()
        } else {
            o.codes.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        };
        let result = if o.failures.is_empty() {
            match o.exceptions.len() {
                0 => "pass".to_string(),
                n => format!("pass, {n} check(s) weakened for Wine (below)"),
            }
        } else {
            let first = o.failures[0].replace('|', "\\|");
            let more = if o.failures.len() > 1 { format!(" (+{} more)", o.failures.len() - 1) } else { String::new() };
            format!("FAIL: {first}{more}")
        };
        s.push_str(&format!("| {} | {} | {:.1} | {} |\n", o.name, codes, o.seconds, result));
    }
    let weakened: Vec<String> = outcomes
        .iter()
        .flat_map(|o| o.exceptions.iter().map(move |e| format!("- {}: `{}`: {}\n", o.name, e.id, e.what)))
        .collect();
    if !weakened.is_empty() {
        s.push_str(&format!(
            "\nChecks weakened for a Wine difference listed in {} ({}):\n\n",
            harness::WINDOWS_BEHAVIOUR_DOC,
            weakened.len()
        ));
        s.extend(weakened);
    }
    let notes: Vec<String> =
        outcomes.iter().flat_map(|o| o.notes.iter().map(move |n| format!("- {}: {n}\n", o.name))).collect();
    if !notes.is_empty() {
        s.push_str("\nNotes:\n\n");
        s.extend(notes);
    }
    let passed = outcomes.iter().filter(|o| o.failures.is_empty()).count();
    s.push_str(&format!("\n{passed}/{} passed in {total:.0} s ({wine_version}).\n", outcomes.len()));
    s
}

const RECORD_START: &str = "<!-- e2e-summary:start -->";
const RECORD_END: &str = "<!-- e2e-summary:end -->";

/// Replaces the text between the summary markers in `docs/e2e.md`.
fn record(doc: &Path, table: &str) -> Result<()> {
    let text = std::fs::read_to_string(doc).with_context(|| format!("reading {}", doc.display()))?;
    let (Some(a), Some(b)) = (text.find(RECORD_START), text.find(RECORD_END)) else {
        bail!("{} lacks the markers {RECORD_START} / {RECORD_END}", doc.display());
    };
    let new = format!("{}{RECORD_START}\n{table}{}", &text[..a], &text[b..]);
    std::fs::write(doc, new).with_context(|| format!("writing {}", doc.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_scenario_names_the_known_ones() {
        let e = select(&["nope".into()]).err().expect("unknown name is an error").to_string();
        assert!(e.contains("fresh-install"), "{e}");
    }

    #[test]
    fn summary_marks_failures() {
        let o = |name: &str, failures: Vec<String>| Outcome {
            name: name.into(),
            codes: vec![0, 1603],
            seconds: 1.25,
            failures,
            logs: vec![],
            secrets: vec![],
            notes: vec![],
            exceptions: vec![],
        };
        let mut c = o("c", vec![]);
        c.exceptions = vec![
            WineException { id: "wine-exit-1627", what: "step one".into() },
            WineException { id: "wine-type19-not-logged", what: "step two".into() },
        ];
        c.notes = vec!["first note".into(), "second note".into()];
        let t = summary_table(&[o("a", vec![]), o("b", vec!["x|y".into(), "z".into()]), c], 3.0, "wine-8.0");
        assert!(t.contains("| a | 0, 1603 | 1.2 | pass |") || t.contains("| a | 0, 1603 | 1.3 | pass |"), "{t}");
        assert!(t.contains("FAIL: x\\|y (+1 more)"), "{t}");
        assert!(t.contains("| c | 0, 1603 | 1.2 | pass, 2 check(s) weakened for Wine (below) |"), "{t}");
        // Every weakened check and every note is listed, not only the first.
        for line in [
            "- c: `wine-exit-1627`: step one",
            "- c: `wine-type19-not-logged`: step two",
            "- c: first note",
            "- c: second note",
        ] {
            assert!(t.contains(line), "{line} missing in\n{t}");
        }
        assert!(t.contains("2/3 passed"), "{t}");
    }

    #[test]
    fn only_hidden_property_dump_lines_are_set_aside() {
        let secrets = vec![("EXPORT_PASSWORD".to_string(), "Pa55word!".to_string())];
        let hidden = vec!["EXPORT_PASSWORD".to_string()];
        let log = b"Action start: X.\r\nProperty(S): EXPORT_PASSWORD = Pa55word!\r\nProperty(S): OTHER = Pa55word!\r\nMoveEmbeddedConnector: data Pa55word!\r\n";
        let (dump, rest) = split_wine_property_dump(log, &secrets, &hidden);
        assert_eq!(dump, 1);
        let rest = String::from_utf8(rest).unwrap();
        // A non-hidden property and a custom action's line stay in, so the scan still fails them.
        assert!(rest.contains("OTHER = Pa55word!") && rest.contains("data Pa55word!"), "{rest}");
        assert!(!rest.contains("EXPORT_PASSWORD = "));
        assert_eq!(secrets::scan(rest.as_bytes(), &secrets).len(), 1);
    }

    /// Every form docs/e2e.md says the scan looks for, written out by hand (computed with
    /// Python: `base64.b64encode('Pa55w0rd!'.encode('utf-16-le'))` etc.), each alone in a log:
    /// the scan must find each one, so dropping a form from `secrets::forms` fails here.
    #[test]
    fn secret_scan_finds_every_documented_form() {
        let secrets = vec![("EXPORT_PASSWORD".to_string(), "Pa55w0rd!".to_string())];
        let utf16 = b"P\0a\x005\x005\0w\x000\0r\0d\0!\0".to_vec();
        let base64_utf8 = b"UGE1NXcwcmQh".to_vec();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("utf-8", b"Pa55w0rd!".to_vec()),
            ("utf-16le", utf16),
            ("base64(utf-8)", base64_utf8.clone()),
            ("base64(utf-16le)", b"UABhADUANQB3ADAAcgBkACEA".to_vec()),
            ("utf-16le(base64(utf-8))", base64_utf8.iter().flat_map(|b| [*b, 0]).collect()),
        ];
        for (form, bytes) in cases {
            let mut log = b"Action start: MoveEmbeddedConnector.\r\n".to_vec();
            log.extend_from_slice(&bytes);
            log.extend_from_slice(b"\r\nAction ended.\r\n");
            let hits = secrets::scan(&log, &secrets);
            // Base64 forms are searched at each alignment (`+0`: the secret starts a 3-byte group).
            assert!(
                hits.iter().any(|h| h.form.replace("+0", "") == form && h.offset == 38),
                "{form} not found: {hits:?}"
            );
        }
        assert!(secrets::scan(b"Action start: nothing secret here.", &secrets).is_empty());
    }

    #[test]
    fn record_replaces_between_markers() {
        let dir = tempfile::tempdir().unwrap();
        let doc = dir.path().join("e2e.md");
        std::fs::write(&doc, format!("intro\n{RECORD_START}\nold\n{RECORD_END}\nafter\n")).unwrap();
        record(&doc, "| new |\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&doc).unwrap(),
            format!("intro\n{RECORD_START}\n| new |\n{RECORD_END}\nafter\n")
        );
    }
}
