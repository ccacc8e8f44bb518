//! What the setup program does, in order, written against a [`Host`] (the real one is
//! `win::WinHost`; tests use a fake) so the decisions and exit codes are tested on any machine:
//!
//! 1. find the payload in its own file; a damaged or altered one is refused ([`EXIT_DAMAGED`])
//!    before anything is extracted or run;
//! 2. `/layout`: write the MSI and the packages out, verified, and stop;
//! 3. extract everything into a per-run folder only administrators can write, checking each
//!    file's SHA-256 on the way;
//! 4. detect the prerequisites with the MSI's own rules and code (`bundle_core::detect`), show
//!    them (full UI) and install the missing ones on confirmation (always under `/quiet` and
//!    `/passive`), each package's SHA-256 checked again just before it runs;
//! 5. run the MSI with the command line's properties; map the exit codes; remove the folder.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use bundle_core::detect::{self, Exit, Installer, Module, State, System};
use bundle_core::payload::{self, FileEntry, Payload, PayloadError};

use crate::cli::{quote_value, Display, Options};
use crate::log::Log;

/// Success.
pub const EXIT_SUCCESS: u32 = 0;
/// `ERROR_SUCCESS_REBOOT_REQUIRED`.
pub const EXIT_REBOOT_REQUIRED: u32 = detect::EXIT_REBOOT_REQUIRED;
/// `ERROR_SUCCESS_REBOOT_INITIATED`: a prerequisite's installer started a restart.
pub const EXIT_REBOOT_INITIATED: u32 = detect::EXIT_REBOOT_INITIATED;
/// `ERROR_INSTALL_USEREXIT`: the administrator cancelled.
pub const EXIT_USER_EXIT: u32 = 1602;
/// `ERROR_INSTALL_FAILURE`.
pub const EXIT_FAILURE: u32 = 1603;
/// `ERROR_INSTALL_ALREADY_RUNNING`.
pub const EXIT_ALREADY_RUNNING: u32 = detect::EXIT_ALREADY_RUNNING;
/// `ERROR_INSTALL_PACKAGE_INVALID` ("This installation package could not be opened. Contact the
/// application vendor to verify that this is a valid Windows Installer package."): the payload
/// is damaged or was altered; nothing ran.
pub const EXIT_DAMAGED: u32 = 1620;
/// `ERROR_INVALID_COMMAND_LINE`.
pub const EXIT_BAD_COMMAND_LINE: u32 = 1639;

/// The machine and the screen, as the flow needs them.
pub trait Host {
    /// The machine prerequisite detection and installers run against.
    type Sys: System;
    /// The machine, for detection.
    fn system(&self) -> &Self::Sys;
    /// The machine, for running installers.
    fn system_mut(&mut self) -> &mut Self::Sys;
    /// The value of a Windows Installer folder property (`System64Folder`, ...) for
    /// `[Property]` references in file detections, with a trailing `\`.
    fn folder(&self, property: &str) -> Option<String>;
    /// Creates a new, empty folder only administrators and SYSTEM can write.
    fn private_dir(&mut self) -> io::Result<PathBuf>;
    /// Shows the prerequisites with their state and asks whether to go on (installing the
    /// missing ones). Only called with the full user interface.
    fn confirm(&mut self, product: &str, states: &[(Module, State)]) -> bool;
    /// The product is known (from the manifest): a host with a window names it after it.
    fn product(&mut self, _name: &str) {}
    /// Runs an installer and waits for its exit code. The default runs it through the
    /// machine; a host with a window keeps the window responsive meanwhile.
    fn run_installer(&mut self, program: &str, args: &str) -> Result<u32, detect::SystemError> {
        self.system_mut().run(program, args)
    }
    /// Shows what is happening (`done` of `total` steps); nothing under `/quiet`.
    fn progress(&mut self, text: &str, done: usize, total: usize);
    /// Tells the administrator the outcome or an error (nothing under `/quiet`).
    fn tell(&mut self, text: &str, error: bool);
    /// Runs the MSI with `command_line` (properties), at the display level, with a verbose log
    /// at `log`; returns its result code.
    fn install_msi(&mut self, msi: &Path, command_line: &str, display: Display, log: Option<&Path>) -> u32;
}

/// One setup run.
pub struct Setup<'a, H: Host> {
    /// The command line.
    pub options: &'a Options,
    /// The setup program's own file (the payload's container).
    pub exe: &'a Path,
    /// The machine and screen.
    pub host: &'a mut H,
    /// The bundle log.
    pub log: &'a mut Log,
    /// Where the MSI's verbose log goes.
    pub msi_log: Option<PathBuf>,
}

impl<H: Host> std::fmt::Debug for Setup<'_, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup").field("exe", &self.exe).finish_non_exhaustive()
    }
}

/// Where entry `name` (`/`-separated) goes below `dir`.
fn entry_path(dir: &Path, name: &str) -> PathBuf {
    name.split('/').fold(dir.to_path_buf(), |p, c| p.join(c))
}

impl<H: Host> Setup<'_, H> {
    fn fail(&mut self, code: u32, text: &str) -> u32 {
        self.log.line(&format!("error: {text}"));
        let shown = self.log.mask(text);
        self.host.tell(&shown, true);
        code
    }

    /// Runs everything; returns the exit code (also the log's last line).
    pub fn run(&mut self) -> u32 {
        let code = self.run_inner();
        self.log.line(&format!("exit code {code}"));
        code
    }

    fn run_inner(&mut self) -> u32 {
        self.log.line(&format!("setup program {} (setup {})", self.exe.display(), env!("CARGO_PKG_VERSION")));
        let mut file = match File::open(self.exe) {
            Ok(f) => f,
            Err(e) => return self.fail(EXIT_FAILURE, &format!("cannot open {}: {e}", self.exe.display())),
        };
        let payload = match payload::locate(&mut file) {
            Ok(p) => p,
            Err(PayloadError::Io(e)) => {
                return self.fail(EXIT_FAILURE, &format!("cannot read {}: {e}", self.exe.display()))
            }
            Err(e) => {
                return self
                    .fail(EXIT_DAMAGED, &format!("{e}. Nothing was installed; download the setup program again."))
            }
        };
        let m = &payload.manifest;
        self.host.product(&m.product);
        self.log.hide(&m.hidden_properties, &self.options.properties);
        self.log.line(&format!("{} {}: MSI {}, {} file(s) in the payload", m.product, m.version, m.msi, m.files.len()));
        self.log.line(&format!("properties for the MSI: {}", self.log.properties(&self.options.properties)));
        if let Some(dir) = self.options.layout.clone() {
            return self.layout(&mut file, &payload, &dir);
        }
        let modules = match detect::parse_rows(&m.prerequisites) {
            Ok(modules) => modules,
            Err(e) => return self.fail(EXIT_DAMAGED, &format!("the payload's prerequisite list is unusable: {e}")),
        };
        let dir = match self.host.private_dir() {
            Ok(d) => d,
            Err(e) => return self.fail(EXIT_FAILURE, &format!("cannot create the working folder: {e}")),
        };
        self.log.line(&format!("working folder {} (administrators and SYSTEM only)", dir.display()));
        let code = self.install(&mut file, &payload, &dir, &modules);
        drop(file);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => self.log.line(&format!("removed the working folder {}", dir.display())),
            Err(e) => self.log.line(&format!("warning: cannot remove the working folder {}: {e}", dir.display())),
        }
        code
    }

    /// Extracts every entry below `dir`, verified. On any mismatch, the error.
    fn extract_all(&mut self, file: &mut File, payload: &Payload, dir: &Path) -> Result<(), PayloadError> {
        for entry in &payload.manifest.files {
            let path = entry_path(dir, &entry.name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let mut out = BufWriter::new(File::create(&path)?);
            if let Err(e) = payload::extract(file, payload, entry, &mut out) {
                drop(out);
                let _ = std::fs::remove_file(&path);
                return Err(e);
            }
            self.log
                .line(&format!("extracted {} ({} bytes, SHA-256 {} verified)", entry.name, entry.size, entry.sha256));
        }
        Ok(())
    }

    fn layout(&mut self, file: &mut File, payload: &Payload, dir: &Path) -> u32 {
        self.log.line(&format!("layout into {}", dir.display()));
        if let Err(e) = std::fs::create_dir_all(dir) {
            return self.fail(EXIT_FAILURE, &format!("cannot create {}: {e}", dir.display()));
        }
        match self.extract_all(file, payload, dir) {
            Ok(()) => {
                let text =
                    format!("{} and its prerequisite packages were written to {}", payload.manifest.msi, dir.display());
                self.log.line(&text);
                self.host.tell(&text, false);
                EXIT_SUCCESS
            }
            Err(PayloadError::Io(e)) => {
                self.fail(EXIT_FAILURE, &format!("writing the layout into {}: {e}", dir.display()))
            }
            Err(e) => {
                self.fail(EXIT_DAMAGED, &format!("{e}. The layout is incomplete; download the setup program again."))
            }
        }
    }

    fn detect_all(&mut self, modules: &[Module]) -> Vec<(Module, State)> {
        let host = &*self.host;
        let lookup = |p: &str| host.folder(p);
        let states: Vec<(Module, State)> =
            modules.iter().map(|m| (m.clone(), detect::detect(&lookup, host.system(), m))).collect();
        for (m, s) in &states {
            self.log.line(&format!("prerequisite {} ({}): {} ({})", m.name, m.id, s.word(), s.detail()));
        }
        states
    }

    fn install(&mut self, file: &mut File, payload: &Payload, dir: &Path, modules: &[Module]) -> u32 {
        match self.extract_all(file, payload, dir) {
            Ok(()) => {}
            Err(PayloadError::Io(e)) => {
                return self.fail(EXIT_FAILURE, &format!("extracting into {}: {e}", dir.display()))
            }
            Err(e) => {
                return self
                    .fail(EXIT_DAMAGED, &format!("{e}. Nothing was installed; download the setup program again."))
            }
        }
        let manifest = &payload.manifest;
        let states = self.detect_all(modules);
        let missing: Vec<&(Module, State)> = states.iter().filter(|(_, s)| !s.is_present()).collect();
        // Nothing is installed unless everything missing can be: a module without an installer
        // (the Windows version), or whose package was not present when the release was built.
        let carried = |m: &Module| match &m.install {
            None => false,
            Some(Installer::Package { file, .. }) => {
                manifest.file(&format!("{}/{file}", detect::PACKAGE_DIR)).is_some()
            }
            Some(Installer::WindowsFeature(_)) => true,
        };
        let blocked: Vec<&str> = missing.iter().filter(|(m, _)| !carried(m)).map(|(m, _)| m.name.as_str()).collect();
        if !blocked.is_empty() {
            return self.fail(
                EXIT_FAILURE,
                &format!("missing prerequisites that this setup program cannot install (no installer, or its package was not present when the release was built): {}; install them first, then run setup again", blocked.join(", ")),
            );
        }
        if self.options.display == Display::Full && !self.host.confirm(&manifest.product, &states) {
            self.log.line("the administrator cancelled at the prerequisites screen");
            return EXIT_USER_EXIT;
        }
        let total = missing.len() + 1;
        let mut reboot = false;
        let mut pending = Vec::new();
        for (i, (module, _)) in missing.iter().enumerate() {
            let installer = module.install.as_ref().expect("checked above");
            self.host.progress(&format!("Installing {}", module.name), i, total);
            let needs_reboot = match self.install_one(manifest, dir, module, installer) {
                Ok(needs_reboot) => needs_reboot,
                Err(code) => return code,
            };
            reboot |= needs_reboot;
            // Detected again: the module must now be there, unless its installer asked for a
            // restart first (some only register after it).
            let host = &*self.host;
            let state = detect::detect(&|p: &str| host.folder(p), host.system(), module);
            self.log.line(&format!(
                "prerequisite {} after its installer: {} ({})",
                module.name,
                state.word(),
                state.detail()
            ));
            if !state.is_present() {
                if !needs_reboot {
                    return self.fail(
                        EXIT_FAILURE,
                        &format!("the installer for {} reported success but {} is still not detected ({}); the product was not installed", module.name, module.name, state.detail()),
                    );
                }
                pending.push(module.name.clone());
            }
        }
        if !pending.is_empty() {
            let text = format!("{} will be available after a restart; restart the machine, then run setup again to install the product", pending.join(", "));
            self.log.line(&text);
            self.host.tell(&text, false);
            return EXIT_REBOOT_REQUIRED;
        }
        self.host.progress(&format!("Installing {}", manifest.product), total - 1, total);
        let code = self.run_msi(manifest, dir);
        let code = if code == EXIT_SUCCESS && reboot { EXIT_REBOOT_REQUIRED } else { code };
        self.host.progress("Done", total, total);
        match code {
            EXIT_SUCCESS => self.host.tell(&format!("{} is installed.", manifest.product), false),
            EXIT_REBOOT_REQUIRED => {
                self.host.tell(&format!("{} is installed. Restart the machine to finish.", manifest.product), false)
            }
            _ => {}
        }
        code
    }

    /// Installs one module; `Ok(true)` when it needs a restart, `Err(exit code)` to stop.
    fn install_one(
        &mut self,
        manifest: &payload::Manifest,
        dir: &Path,
        module: &Module,
        installer: &Installer,
    ) -> Result<bool, u32> {
        let package_dir = dir.join(detect::PACKAGE_DIR);
        if let Installer::Package { file, .. } = installer {
            let name = format!("{}/{file}", detect::PACKAGE_DIR);
            let Some(entry) = manifest.file(&name) else {
                return Err(self.fail(
                    EXIT_FAILURE,
                    &format!("the installer package for {} ({file}) is not in this setup program: it was not present when the release was built", module.name),
                ));
            };
            if let Err(e) = payload::verify_file(&package_dir.join(file), entry) {
                return Err(self.fail(EXIT_DAMAGED, &format!("{e}; {} was not run", module.name)));
            }
            self.log.line(&format!("{} verified (SHA-256 {})", name, entry.sha256));
        }
        let system_dir = self.host.folder("System64Folder").unwrap_or_else(|| r"C:\Windows\System32\".into());
        let cmd = detect::plan(&package_dir.to_string_lossy(), &system_dir, installer);
        self.log.line(&format!("installing prerequisite {}: \"{}\" {}", module.name, cmd.program, cmd.args));
        let code = match self.host.run_installer(&cmd.program, &cmd.args) {
            Ok(code) => code,
            Err(e) => {
                return Err(self.fail(
                    EXIT_FAILURE,
                    &format!("the installer for {} could not be started ({}): {e}", module.name, cmd.program),
                ))
            }
        };
        let name = &module.name;
        match Exit::of(code) {
            Exit::Success => {
                self.log.line(&format!("{name}: installed (exit code 0)"));
                Ok(false)
            }
            Exit::RebootRequired => {
                self.log.line(&format!("{name}: installed, a restart is needed (exit code 3010); not restarting"));
                Ok(true)
            }
            Exit::NewerPresent => {
                self.log.line(&format!("{name}: a newer version is already installed (exit code 1638)"));
                Ok(false)
            }
            Exit::RebootInitiated => {
                let text = format!("the installer for {name} started a restart of the machine (exit code 1641); run setup again after the restart to install the product");
                self.log.line(&text);
                self.host.tell(&text, false);
                Err(EXIT_REBOOT_INITIATED)
            }
            Exit::AlreadyRunning => Err(self.fail(
                EXIT_ALREADY_RUNNING,
                &format!("the installer for {name} reports that another installation is in progress (exit code 1618); wait for it to finish, then run setup again"),
            )),
            Exit::Failed(code) => Err(self.fail(
                EXIT_FAILURE,
                &format!("the installer for {name} failed with exit code {code}; the product was not installed"),
            )),
        }
    }

    /// The MSI's command line: the properties given to setup, plus `REBOOT=ReallySuppress`
    /// without dialogs or with `/norestart` (what `msiexec /norestart` sets), unless the
    /// administrator set `REBOOT` himself.
    pub fn msi_command_line(&self) -> String {
        let mut parts: Vec<String> =
            self.options.properties.iter().map(|(n, v)| format!("{n}={}", quote_value(v))).collect();
        let suppress = self.options.norestart || self.options.display != Display::Full;
        if suppress && !self.options.properties.iter().any(|(n, _)| n == "REBOOT") {
            parts.push("REBOOT=ReallySuppress".into());
        }
        parts.join(" ")
    }

    fn run_msi(&mut self, manifest: &payload::Manifest, dir: &Path) -> u32 {
        let entry: &FileEntry = manifest.file(&manifest.msi).expect("locate checked it");
        let msi = entry_path(dir, &manifest.msi);
        if let Err(e) = payload::verify_file(&msi, entry) {
            return self.fail(EXIT_DAMAGED, &format!("{e}; the MSI was not run"));
        }
        let command_line = self.msi_command_line();
        let suppress = if command_line.contains("REBOOT=ReallySuppress") { " REBOOT=ReallySuppress" } else { "" };
        self.log.line(&format!(
            "running {} ({:?} display) with {}{suppress}; its verbose log: {}",
            msi.display(),
            self.options.display,
            self.log.properties(&self.options.properties),
            self.msi_log.as_ref().map_or("none".into(), |p| p.display().to_string())
        ));
        let code = self.host.install_msi(&msi, &command_line, self.options.display, self.msi_log.as_deref());
        self.log.line(&format!("the MSI returned {code}"));
        code
    }
}
