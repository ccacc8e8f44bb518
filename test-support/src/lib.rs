//! What the test crates (`packaging`'s tests, `installer-tests`) and the `xtask` share, so each
//! rule is written once:
//!
//! - where the workspace and Cargo's target folder are ([`project_root`], [`target_dir`]: an
//!   empty `CARGO_TARGET_DIR` counts as unset, a relative one is taken from the workspace root,
//!   as Cargo does);
//! - "skip loudly, fail under CI" ([`skip_or_fail`]): a test that cannot run here says so on
//!   stderr and, when the test command asked for it (`IDM_SKIP_LOG`), appends a line to a file
//!   that `cargo xtask test` prints in its summary (libtest hides the stderr of passing tests, so
//!   a skip would otherwise look like `ok`);
//! - an MSI table as strings ([`table_rows`]).

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The environment variable naming the file where skipped tests are recorded (one line each:
/// `<test>\t<reason>`); `cargo xtask test` sets it and prints the lines in its summary.
pub const SKIP_LOG_ENV: &str = "IDM_SKIP_LOG";

/// The workspace root (the parent of `test-support/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("test-support/ is inside the workspace").to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` when set and not empty (a relative path is
/// taken from the workspace root, as Cargo does), else `<root>/target`.
pub fn target_dir() -> PathBuf {
    target_dir_from(std::env::var_os("CARGO_TARGET_DIR").as_deref().map(Path::new))
}

fn target_dir_from(var: Option<&Path>) -> PathBuf {
    match var {
        Some(dir) if !dir.as_os_str().is_empty() => {
            if dir.is_absolute() {
                dir.to_path_buf()
            } else {
                project_root().join(dir)
            }
        }
        _ => project_root().join("target"),
    }
}

/// Whether we run under CI (the `CI` environment variable is set and not empty).
pub fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Reports a test (or a step) that cannot run here: under CI (`CI` set), which installs
/// everything, it panics; otherwise it prints a loud `SKIPPED: <reason>` on stderr and records
/// the skip in `$IDM_SKIP_LOG` (when set), then returns so the caller can `return`.
///
/// # Panics
/// Under CI, always.
pub fn skip_or_fail(reason: &str) {
    if under_ci() {
        panic!("cannot run under CI: {reason}");
    }
    eprintln!("\n========== SKIPPED: {reason} ==========\n");
    record_skip(&skipper(), reason);
}

/// The name of what is skipping: the test's name (libtest names each test's thread after it)
/// and the test binary, e.g. `wix_build: msitools_reads_it`.
fn skipper() -> String {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|s| match s.rsplit_once('-') {
            // Cargo names test binaries `<name>-<16 hex digits>`.
            Some((name, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => name.to_string(),
            _ => s,
        })
        .unwrap_or_default();
    match std::thread::current().name() {
        Some(test) if test != "main" => format!("{binary}: {test}"),
        _ => binary,
    }
}

/// Appends `<who>\t<reason>` to `$IDM_SKIP_LOG` when it is set (one `write` per line, so
/// tests running in parallel do not interleave).
pub fn record_skip(who: &str, reason: &str) {
    let Some(path) = std::env::var_os(SKIP_LOG_ENV).filter(|p| !p.is_empty()) else { return };
    let line = format!("{who}\t{}\n", reason.replace(['\n', '\t'], " "));
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!("cannot record the skip in {}: {e}", Path::new(&path).display());
    }
}

/// The skips recorded in a skip log: `(who, reason)` per line.
pub fn read_skips(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.split_once('\t') {
            Some((who, why)) => (who.to_string(), why.to_string()),
            None => (String::new(), l.to_string()),
        })
        .collect()
}

/// The skip report of a test command: [`SkipReport::start`] empties the log and points
/// `$IDM_SKIP_LOG` at it (for this process and every child it starts); when dropped (the command
/// ended, passed or failed) it prints how many tests were skipped and why, so a skip is never
/// only a line of stderr that libtest hides.
#[derive(Debug)]
pub struct SkipReport {
    log: PathBuf,
}

impl SkipReport {
    /// Starts recording skips into `log`.
    pub fn start(log: &Path) -> SkipReport {
        let _ = std::fs::remove_file(log);
        if let Some(dir) = log.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        std::env::set_var(SKIP_LOG_ENV, log);
        SkipReport { log: log.to_path_buf() }
    }

    /// The summary lines: `skipped: none`, or the count and one line per skip.
    pub fn summary(&self) -> String {
        let skips = read_skips(&self.log);
        if skips.is_empty() {
            return "skipped: none".to_string();
        }
        let mut s = format!("skipped: {} (these did not run; under CI they fail)", skips.len());
        for (who, why) in &skips {
            s.push_str(&format!("\n   - {who}: {why}"));
        }
        s
    }
}

impl Drop for SkipReport {
    fn drop(&mut self) {
        eprintln!("== {}", self.summary());
    }
}

/// Whether a program is on `PATH` (e.g. `msiinfo`, `wixl`, `wine`).
pub fn have_tool(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else { return false };
    std::env::split_paths(&path).any(|dir| dir.join(program).is_file())
}

/// One cell as text: `Null` as empty, integers in decimal, a stream cell as `[Binary]`.
pub fn value_text(v: &msi::Value) -> String {
    match v {
        msi::Value::Null => String::new(),
        msi::Value::Int(n) => n.to_string(),
        msi::Value::Str(s) => s.clone(),
        msi::Value::Binary => "[Binary]".to_owned(),
    }
}

/// Every row of a table as strings (see [`value_text`]), in the order of the table's columns;
/// an absent table gives no rows.
///
/// # Panics
/// When the table exists but cannot be read.
pub fn table_rows(package: &mut msi::Package<File>, table: &str) -> Vec<Vec<String>> {
    if !package.has_table(table) {
        return Vec::new();
    }
    let rows =
        package.select_rows(msi::Select::table(table)).unwrap_or_else(|e| panic!("cannot read table {table}: {e}"));
    rows.map(|row| (0..row.len()).map(|i| value_text(&row[i])).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_target_dir_counts_as_unset_and_relative_is_from_the_root() {
        let root = project_root();
        assert_eq!(target_dir_from(None), root.join("target"));
        assert_eq!(target_dir_from(Some(Path::new(""))), root.join("target"));
        assert_eq!(target_dir_from(Some(Path::new("t2"))), root.join("t2"));
        assert_eq!(target_dir_from(Some(Path::new("/abs/t"))), PathBuf::from("/abs/t"));
        assert!(root.join("Cargo.toml").is_file(), "{} is not the workspace root", root.display());
    }

    #[test]
    fn skips_are_recorded_one_line_each() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("skips.log");
        // Set for this process only; no other test of this crate reads it.
        std::env::set_var(SKIP_LOG_ENV, &log);
        record_skip("a: t1", "no wine\there");
        record_skip("b", "no wixl");
        std::env::remove_var(SKIP_LOG_ENV);
        assert_eq!(
            read_skips(&log),
            vec![("a: t1".to_string(), "no wine here".to_string()), ("b".to_string(), "no wixl".to_string())]
        );
    }

    #[test]
    fn the_skip_report_counts_and_names_the_skips() {
        let dir = tempfile::tempdir().unwrap();
        let report = SkipReport { log: dir.path().join("skips.log") };
        assert_eq!(report.summary(), "skipped: none");
        std::fs::write(&report.log, "wix_build: msitools_reads_it\tmsiinfo not installed\n").unwrap();
        assert_eq!(
            report.summary(),
            "skipped: 1 (these did not run; under CI they fail)\n   - wix_build: msitools_reads_it: msiinfo not installed"
        );
    }

    #[test]
    fn the_skipper_is_named_after_the_test() {
        let who = skipper();
        assert!(who.starts_with("test_support: ") && who.ends_with("the_skipper_is_named_after_the_test"), "{who}");
    }
}
