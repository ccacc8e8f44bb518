//! The command line, in the conventions of WiX Burn bundles and `msiexec`: switches start with
//! `/` or `-` and are case-insensitive; `NAME=value` is a property for the MSI.
//! Burn: <https://docs.firegiant.com/wix3/bundle/> (standard bundle switches: `-quiet`,
//! `-passive`, `-norestart`, `-log`, `-layout`, `-help`); msiexec:
//! <https://learn.microsoft.com/en-us/windows/win32/msi/command-line-options>.

use std::path::PathBuf;

/// How much of a user interface the run shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// The setup window, then the MSI with its own dialogs (the seed procedure).
    Full,
    /// `/passive`: progress only, no questions; missing prerequisites are installed.
    Passive,
    /// `/quiet`: nothing on screen; missing prerequisites are installed.
    Quiet,
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The display level.
    pub display: Display,
    /// `/norestart`: never restart, not even when the MSI's dialogs would offer it.
    pub norestart: bool,
    /// `/log <file>`: the bundle's log (the MSI's verbose log goes beside it).
    pub log: Option<PathBuf>,
    /// `/layout <dir>`: write the MSI and the packages there and stop.
    pub layout: Option<PathBuf>,
    /// `/help`, `/?`.
    pub help: bool,
    /// `NAME=value` pairs for the MSI, in order.
    pub properties: Vec<(String, String)>,
}

/// A command line that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    /// A switch this program does not know.
    #[error("unknown option `{0}` (see /help)")]
    Unknown(String),
    /// A switch without its value.
    #[error("`{0}` needs a value (see /help)")]
    MissingValue(String),
    /// `/quiet` with `/passive`, or `/layout` with properties.
    #[error("{0}")]
    Conflict(String),
}

/// The text of `/help` (also the exit codes, documented once here and in docs/setup.md).
pub const HELP: &str = "\
Usage: <product>-setup.exe [/quiet | /passive] [/norestart] [/log <file>] [PROPERTY=value ...]
       <product>-setup.exe /layout <folder>
       <product>-setup.exe /help

Installs the prerequisite modules that are missing (each package checked against its SHA-256
before it runs), then runs the product's MSI, which it carries.

  /quiet, /q        no user interface; missing prerequisites are installed without asking
  /passive          progress only; missing prerequisites are installed without asking
  /norestart        never restart the machine (a needed restart is reported with exit code 3010)
  /log <file>       write the setup log to <file> and the MSI's verbose log beside it
                    (<file stem>_msi.log); default: %TEMP%\\<product>-setup_<time>.log
  /layout <folder>  write the MSI and the prerequisite packages to <folder> (for SCCM, Intune or an
                    offline share), verified, and install nothing
  /help, /?         this text
  PROPERTY=value    passed to the MSI (see silent-install.md), e.g. EMBEDDED_CONNECTOR_ACTION=discard

The setup program never restarts the machine by itself; with its dialogs the MSI may offer to.

Exit codes (the MSI's contract):
  0     success
  3010  success; a restart is needed to finish
  1641  a prerequisite's installer started a restart; run setup again afterwards
  1602  cancelled by the administrator (or the MSI stopped on purpose, e.g. EMBEDDED_CONNECTOR_ACTION=export)
  1603  failure: a prerequisite could not be installed (the log names it and its exit code) or the
        MSI failed
  1618  another installation is in progress
  1620  this setup program is damaged or was altered: nothing was run
  1639  invalid command line
";

fn flag(arg: &str) -> Option<String> {
    let rest = arg.strip_prefix('/').or_else(|| arg.strip_prefix('-'))?;
    Some(rest.trim_start_matches('-').to_ascii_lowercase())
}

/// Whether `name` is a property name msiexec accepts on a command line (letters, digits, `_`
/// and `.`, not starting with a digit or `.`).
fn property_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Parses the arguments (without the program name).
pub fn parse(args: &[String]) -> Result<Options, CliError> {
    let mut o = Options {
        display: Display::Full,
        norestart: false,
        log: None,
        layout: None,
        help: false,
        properties: Vec::new(),
    };
    let mut quiet_or_passive: Option<&str> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if let Some(f) = flag(arg) {
            let mut value = |name: &str| it.next().cloned().ok_or_else(|| CliError::MissingValue(name.to_string()));
            match f.as_str() {
                "quiet" | "q" | "silent" | "s" | "qn" => {
                    if quiet_or_passive.is_some_and(|p| p != "quiet") {
                        return Err(CliError::Conflict("/quiet and /passive exclude each other".into()));
                    }
                    quiet_or_passive = Some("quiet");
                    o.display = Display::Quiet;
                }
                "passive" => {
                    if quiet_or_passive.is_some_and(|p| p != "passive") {
                        return Err(CliError::Conflict("/quiet and /passive exclude each other".into()));
                    }
                    quiet_or_passive = Some("passive");
                    o.display = Display::Passive;
                }
                "norestart" => o.norestart = true,
                "log" | "l" => o.log = Some(PathBuf::from(value(arg)?)),
                "layout" => o.layout = Some(PathBuf::from(value(arg)?)),
                "help" | "?" | "h" => o.help = true,
                _ => return Err(CliError::Unknown(arg.clone())),
            }
        } else if let Some((name, value)) = arg.split_once('=').filter(|(n, _)| property_name(n)) {
            // Names keep their case: msiexec property names are case-sensitive.
            o.properties.push((name.to_string(), value.to_string()));
        } else {
            return Err(CliError::Unknown(arg.clone()));
        }
    }
    if o.layout.is_some() && !o.properties.is_empty() {
        return Err(CliError::Conflict("/layout installs nothing: properties have no meaning with it".into()));
    }
    Ok(o)
}

/// Quotes a property value for an MSI command line: in double quotes, an embedded `"` doubled
/// (<https://learn.microsoft.com/en-us/windows/win32/msi/command-line-options>, "To include a
/// double quotation mark in a property value...").
pub fn quote_value(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Options, CliError> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn burn_and_msiexec_switches() {
        let o = p(&["/quiet", "/norestart", "/log", r"C:\logs\setup.log", "EMBEDDED_CONNECTOR_ACTION=export-continue"])
            .unwrap();
        assert_eq!(o.display, Display::Quiet);
        assert!(o.norestart);
        assert_eq!(o.log, Some(PathBuf::from(r"C:\logs\setup.log")));
        assert_eq!(o.properties, [("EMBEDDED_CONNECTOR_ACTION".to_string(), "export-continue".to_string())]);
        assert_eq!(p(&["-Passive", "--NoRestart"]).unwrap().display, Display::Passive);
        assert_eq!(p(&["/q"]).unwrap().display, Display::Quiet);
        assert!(p(&["/?"]).unwrap().help);
        assert_eq!(p(&[]).unwrap().display, Display::Full);
        assert_eq!(p(&["/layout", "D:\\offline"]).unwrap().layout, Some(PathBuf::from("D:\\offline")));
        // A value with spaces and an `=` arrives as one argument (the C runtime's quoting).
        let o = p(&["EXPORT_FOLDER=C:\\Program Files\\x=y"]).unwrap();
        assert_eq!(o.properties[0], ("EXPORT_FOLDER".into(), "C:\\Program Files\\x=y".into()));
    }

    #[test]
    fn bad_command_lines_are_refused() {
        assert_eq!(p(&["/bogus"]), Err(CliError::Unknown("/bogus".into())));
        assert_eq!(p(&["/log"]), Err(CliError::MissingValue("/log".into())));
        assert!(matches!(p(&["/quiet", "/passive"]), Err(CliError::Conflict(_))));
        assert!(matches!(p(&["/layout", "x", "A=1"]), Err(CliError::Conflict(_))));
        assert_eq!(p(&["1A=2"]), Err(CliError::Unknown("1A=2".into())));
        assert_eq!(p(&["stray"]), Err(CliError::Unknown("stray".into())));
    }

    #[test]
    fn values_are_quoted_as_msiexec_reads_them() {
        assert_eq!(quote_value(r#"a "b" c"#), r#""a ""b"" c""#);
        assert_eq!(quote_value(""), r#""""#);
    }

    #[test]
    fn help_lists_every_switch_and_exit_code() {
        for s in ["/quiet", "/passive", "/norestart", "/log", "/layout", "/help", "PROPERTY=value"] {
            assert!(HELP.contains(s), "{s}");
        }
        for code in ["0 ", "3010", "1641", "1602", "1603", "1618", "1620", "1639"] {
            assert!(HELP.contains(&format!("  {code}")), "{code}");
        }
    }
}
