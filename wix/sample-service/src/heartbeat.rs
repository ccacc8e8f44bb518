//! The heartbeat file: where it lives and what a beat writes (platform-independent).
// Off Windows only the tests use this module.
#![cfg_attr(not(windows), allow(dead_code))]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Time between beats.
pub const INTERVAL: Duration = Duration::from_secs(5);

/// What the service is doing when it writes a beat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Running; a beat every [`INTERVAL`].
    Running,
    /// Stopped cleanly (the last write).
    Stopped,
}

/// `%ProgramData%\VMware\IdentityManager\heartbeat.txt` (ProgramData from the environment,
/// `C:\ProgramData` when unset).
pub fn default_path() -> PathBuf {
    let base = std::env::var_os("ProgramData").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"));
    base.join("VMware").join("IdentityManager").join("heartbeat.txt")
}

/// The line a beat writes: `<state> <beat> <unix seconds>`.
pub fn line(state: State, beat: u64, unix_seconds: u64) -> String {
    let state = match state {
        State::Running => "running",
        State::Stopped => "stopped",
    };
    format!("{state} {beat} {unix_seconds}\n")
}

/// Writes one beat: to a temporary file beside `path`, then renamed over it, so a reader never
/// sees a half-written line. Creates the folder when needed.
pub fn write(path: &Path, state: State, beat: u64) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(line(state, beat, now).as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format() {
        assert_eq!(line(State::Running, 3, 1_700_000_000), "running 3 1700000000\n");
        assert_eq!(line(State::Stopped, 4, 1), "stopped 4 1\n");
    }

    #[test]
    fn write_replaces_the_file() {
        let dir = std::env::temp_dir().join(format!("idm-heartbeat-test-{}", std::process::id()));
        let path = dir.join("sub").join("heartbeat.txt");
        write(&path, State::Running, 1).unwrap();
        write(&path, State::Stopped, 2).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("stopped 2 "), "{text}");
        assert!(!path.with_extension("tmp").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
