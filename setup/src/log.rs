//! The bundle's log. Every line goes through [`Log::line`], which masks the values of the MSI's
//! hidden properties (`MsiHiddenProperties`, carried in the payload manifest): a hidden value
//! never reaches the file or a message, whatever line it is part of.

use std::io::Write;

/// What a hidden value is replaced with (the same text Windows Installer writes in its log).
pub const MASK: &str = "**********";

/// The log: a writer, a clock and the secrets to mask.
pub struct Log {
    out: Option<Box<dyn Write>>,
    clock: fn() -> String,
    hidden_names: Vec<String>,
    secrets: Vec<String>,
    mask_all_values: bool,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").field("hidden_names", &self.hidden_names).finish_non_exhaustive()
    }
}

impl Log {
    /// A log writing to `out` (none: lines are dropped), stamping lines with `clock()`. Until
    /// [`Log::hide`] is called, every property value is masked (the hidden names are not known
    /// before the manifest is read).
    pub fn new(out: Option<Box<dyn Write>>, clock: fn() -> String) -> Log {
        Log { out, clock, hidden_names: Vec::new(), secrets: Vec::new(), mask_all_values: true }
    }

    /// Learns the hidden property names and the command line's properties: the values of the
    /// hidden ones are masked from now on, in any line.
    pub fn hide(&mut self, hidden_names: &[String], properties: &[(String, String)]) {
        self.hidden_names = hidden_names.to_vec();
        self.mask_all_values = false;
        for (name, value) in properties {
            if self.is_hidden(name) && !value.is_empty() && !self.secrets.contains(value) {
                self.secrets.push(value.clone());
            }
        }
        // Longest first, so a secret containing another is masked whole.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Whether `name` is hidden. Names are compared exactly, as Windows Installer does.
    pub fn is_hidden(&self, name: &str) -> bool {
        self.mask_all_values || self.hidden_names.iter().any(|h| h == name)
    }

    /// `text` with every secret masked.
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            out = out.replace(s.as_str(), MASK);
        }
        out
    }

    /// `NAME=value, ...` for the log, hidden values masked.
    pub fn properties(&self, properties: &[(String, String)]) -> String {
        let shown: Vec<String> = properties
            .iter()
            .map(|(n, v)| if self.is_hidden(n) { format!("{n}={MASK}") } else { format!("{n}={v}") })
            .collect();
        if shown.is_empty() {
            "(none)".into()
        } else {
            self.mask(&shown.join(" "))
        }
    }

    /// Writes one line (masked), flushed at once so a crash leaves the log complete.
    pub fn line(&mut self, text: &str) {
        let text = self.mask(text);
        let stamp = (self.clock)();
        if let Some(out) = self.out.as_mut() {
            let _ = writeln!(out, "[{stamp}] {text}");
            let _ = out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn hidden_values_never_reach_the_log() {
        let buf = Shared::default();
        let mut log = Log::new(Some(Box::new(buf.clone())), || "t".into());
        let props = vec![
            ("EXPORT_PASSWORD".to_string(), "s3cr3t-Pa55".to_string()),
            ("EMBEDDED_CONNECTOR_ACTION".to_string(), "discard".to_string()),
        ];
        // Before the manifest is read, every value is masked.
        log.line(&format!("command line properties: {}", log.properties(&props)));
        log.hide(&["EXPORT_PASSWORD".into(), "SERVICE_PASSWORD".into()], &props);
        log.line(&format!("properties: {}", log.properties(&props)));
        log.line("the installer said: bad password s3cr3t-Pa55 for export");
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(!text.contains("s3cr3t-Pa55"), "{text}");
        assert!(text
            .contains("[t] command line properties: EXPORT_PASSWORD=********** EMBEDDED_CONNECTOR_ACTION=**********"));
        assert!(text.contains("properties: EXPORT_PASSWORD=********** EMBEDDED_CONNECTOR_ACTION=discard"), "{text}");
        assert!(text.contains("bad password ********** for export"), "{text}");
        assert!(!log.is_hidden("export_password"), "names are case-sensitive, as in Windows Installer");
    }
}
