//! Progress of a long step: while it runs, a line every few seconds with the time so far and
//! how many bytes the process has read and written since the step began (Linux's
//! `/proc/self/io`; for the MSI and bundle steps that is the payload compressed so far), so a
//! build of a large payload never sits silent. Nothing is printed for a step that ends within
//! the first interval, or with `-q`.

use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How often a line is printed.
const INTERVAL: Duration = Duration::from_secs(3);

/// Which counter measures the step's progress against the expected size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Bytes read: the MSI step reads the payload once to compress it.
    Read,
    /// Bytes written: the bundle step reads each entry twice (hash, then deflate) but writes it
    /// once, compressed to about its own size (the MSI's cabinet and the executables are
    /// already compressed).
    Written,
}

/// Runs `f`, reporting progress against `expected` bytes while it runs.
pub fn with_progress<T>(measure: Measure, expected: u64, f: impl FnOnce() -> T) -> T {
    if !crate::out::normal() {
        return f();
    }
    let (done, wait) = mpsc::channel::<()>();
    let start = Instant::now();
    let base = io_counters();
    let reporter = std::thread::spawn(move || {
        while let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(INTERVAL) {
            eprintln!("      ... {}", line(measure, start.elapsed(), base, io_counters(), expected));
        }
    });
    let result = f();
    let _ = done.send(());
    let _ = reporter.join();
    result
}

/// One progress line.
fn line(
    measure: Measure,
    elapsed: Duration,
    base: Option<(u64, u64)>,
    now: Option<(u64, u64)>,
    expected: u64,
) -> String {
    let secs = elapsed.as_secs();
    match (base, now) {
        (Some((r0, w0)), Some((r1, w1))) => {
            let (read, written) = (r1.saturating_sub(r0), w1.saturating_sub(w0));
            let (done, what) = match measure {
                Measure::Read => (read, "read"),
                Measure::Written => (written, "written"),
            };
            let pct = (done.min(expected) * 100).checked_div(expected).map(|p| format!(" ({p}%)")).unwrap_or_default();
            format!("{secs}s: {} of {} {what}{pct}", mib(done), mib(expected))
        }
        _ => format!("{secs}s"),
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1_048_576.0)
}

/// (bytes read, bytes written) by this process so far, from `/proc/self/io` (`rchar`,
/// `wchar`: every read and write call, page cache included); `None` where that file is absent.
fn io_counters() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/self/io").ok()?;
    let field = |name: &str| {
        text.lines().find_map(|l| l.strip_prefix(name)?.trim_start_matches(':').trim().parse::<u64>().ok())
    };
    Some((field("rchar")?, field("wchar")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_show_bytes_against_the_payload() {
        let (base, now) = (Some((100, 0)), Some((100 + 50 * 1_048_576, 20 * 1_048_576)));
        let l = line(Measure::Read, Duration::from_secs(6), base, now, 200 << 20);
        assert_eq!(l, "6s: 50.0 MiB of 200.0 MiB read (25%)");
        let l = line(Measure::Written, Duration::from_secs(6), base, now, 40 << 20);
        assert_eq!(l, "6s: 20.0 MiB of 40.0 MiB written (50%)");
        assert_eq!(line(Measure::Read, Duration::from_secs(3), None, None, 1), "3s");
    }

    #[test]
    fn the_counters_move_with_io() {
        let Some((r0, w0)) = io_counters() else {
            test_support::skip_or_fail("no /proc/self/io on this system (progress shows the time only)");
            return;
        };
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("f"), vec![7u8; 1 << 20]).unwrap();
        let _ = std::fs::read(t.path().join("f")).unwrap();
        let (r1, w1) = io_counters().unwrap();
        assert!(w1 - w0 >= 1 << 20 && r1 - r0 >= 1 << 20, "{r0} {r1} {w0} {w1}");
    }
}
