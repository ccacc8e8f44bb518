//! The setup program's decisions and exit codes against a fake machine: a real payload (written
//! by `bundle_core::payload::write`, as `dist` does), real extraction into a real folder, fake
//! registry, installers and MSI. Expected exit codes are Windows Installer's
//! (<https://learn.microsoft.com/en-us/windows/win32/msi/error-codes>), not this code's.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bundle_core::detect::{FileProbe, Module, RegValue, Root, State, System, SystemError, Version};
use bundle_core::fixtures::{self, TEST_KEY};
use bundle_core::payload::{self, Manifest};
use idm_setup::cli::{self, Display};
use idm_setup::flow::{Host, Setup};
use idm_setup::log::Log;

const PACKAGE: &str = "@echo off\r\nreg add ... /reboot\r\n";
const MSI: &[u8] = b"not really an MSI, but the bytes the setup must hand over intact";
const SECRET: &str = "Tr0ub4dor&3-bundle-secret";

#[derive(Default)]
struct Machine {
    registry: BTreeMap<String, RegValue>,
    /// The test package's exit code, and whether it writes the registry value.
    package: (u32, bool),
    runs: Vec<(String, String)>,
}

impl System for Machine {
    fn registry_value(&self, _: Root, key: &str, name: &str) -> Result<Option<RegValue>, SystemError> {
        Ok(self.registry.get(&format!("{key}\\{name}")).cloned())
    }
    fn file_version(&self, _: &str) -> Result<FileProbe, SystemError> {
        Ok(FileProbe::Missing)
    }
    fn os_version(&self) -> Result<Version, SystemError> {
        Ok(Version(vec![10, 0, 20348]))
    }
    fn run(&mut self, program: &str, args: &str) -> Result<u32, SystemError> {
        self.runs.push((program.to_string(), args.to_string()));
        if self.package.1 {
            self.registry.insert(format!("{TEST_KEY}\\Version"), RegValue::Text("1.0.0".into()));
        }
        Ok(self.package.0)
    }
}

struct FakeHost {
    machine: Machine,
    work: PathBuf,
    made: Vec<PathBuf>,
    confirm: bool,
    confirmed: Vec<Vec<(String, bool)>>,
    msi_code: u32,
    msi_runs: Vec<(Vec<u8>, String, Display, Option<PathBuf>)>,
    told: Vec<(String, bool)>,
}

impl FakeHost {
    fn new(machine: Machine, work: PathBuf, confirm: bool, msi_code: u32) -> FakeHost {
        FakeHost { machine, work, made: vec![], confirm, confirmed: vec![], msi_code, msi_runs: vec![], told: vec![] }
    }
}

impl Host for FakeHost {
    type Sys = Machine;
    fn system(&self) -> &Machine {
        &self.machine
    }
    fn system_mut(&mut self) -> &mut Machine {
        &mut self.machine
    }
    fn folder(&self, property: &str) -> Option<String> {
        (property == "System64Folder").then(|| r"C:\Windows\System32\".to_string())
    }
    fn private_dir(&mut self) -> std::io::Result<PathBuf> {
        let d = self.work.join(format!("run-{}", self.made.len()));
        std::fs::create_dir(&d)?;
        self.made.push(d.clone());
        Ok(d)
    }
    fn confirm(&mut self, _: &str, states: &[(Module, State)]) -> bool {
        self.confirmed.push(states.iter().map(|(m, s)| (m.name.clone(), s.is_present())).collect());
        self.confirm
    }
    fn progress(&mut self, _: &str, _: usize, _: usize) {}
    fn tell(&mut self, text: &str, error: bool) {
        self.told.push((text.to_string(), error));
    }
    fn install_msi(&mut self, msi: &Path, command_line: &str, display: Display, log: Option<&Path>) -> u32 {
        let bytes = std::fs::read(msi).expect("the MSI is extracted when it runs");
        self.msi_runs.push((bytes, command_line.to_string(), display, log.map(Path::to_path_buf)));
        self.msi_code
    }
}

/// Writes a setup program with the MSI and the test package; returns its path.
fn build(dir: &Path) -> PathBuf {
    build_with(dir, vec![])
}

/// [`build`] with more prerequisite rows.
fn build_with(dir: &Path, more: Vec<Vec<Option<String>>>) -> PathBuf {
    std::fs::write(dir.join("p.msi"), MSI).unwrap();
    std::fs::write(dir.join("idm-test-prereq.cmd"), PACKAGE).unwrap();
    let head = Manifest {
        format: 0,
        product: "VMware Identity Manager".into(),
        version: "3.3.2".into(),
        msi: "p-3.3.2-x64.msi".into(),
        hidden_properties: vec!["EXPORT_PASSWORD".into(), "SERVICE_PASSWORD".into()],
        prerequisites: fixtures::test_rows().into_iter().chain(more).collect(),
        files: vec![],
    };
    let exe = dir.join("p-3.3.2-x64-setup.exe");
    let mut out = std::fs::File::create(&exe).unwrap();
    let (msi, pkg) = (dir.join("p.msi"), dir.join("idm-test-prereq.cmd"));
    let files = [
        ("p-3.3.2-x64.msi".to_string(), msi.as_path()),
        ("prerequisites/idm-test-prereq.cmd".to_string(), pkg.as_path()),
    ];
    payload::write(&mut &b"MZ stub"[..], &files, head, &mut out).unwrap();
    out.flush().unwrap();
    exe
}

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

struct Outcome {
    code: u32,
    host: FakeHost,
    log: String,
    _dir: tempfile::TempDir,
}

fn run_with(args: &[&str], package: (u32, bool), present: bool, tamper: Option<usize>, confirm: bool) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let exe = build(dir.path());
    if let Some(back) = tamper {
        let mut bytes = std::fs::read(&exe).unwrap();
        let at = bytes.len() - back;
        bytes[at] ^= 0x01;
        std::fs::write(&exe, bytes).unwrap();
    }
    let mut machine = Machine { package, ..Default::default() };
    if present {
        machine.registry.insert(format!("{TEST_KEY}\\Version"), RegValue::Text("1.0.0".into()));
    }
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let mut host = FakeHost {
        machine,
        work,
        made: vec![],
        confirm,
        confirmed: vec![],
        msi_code: 0,
        msi_runs: vec![],
        told: vec![],
    };
    let options = cli::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let buf = Shared::default();
    let mut log = Log::new(Some(Box::new(buf.clone())), || "t".into());
    let msi_log = Some(dir.path().join("setup_msi.log"));
    let code = Setup { options: &options, exe: &exe, host: &mut host, log: &mut log, msi_log }.run();
    for made in &host.made {
        assert!(!made.exists(), "the working folder {} is removed", made.display());
    }
    let log = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    Outcome { code, host, log, _dir: dir }
}

#[test]
fn quiet_with_the_prerequisite_missing_installs_it_then_the_product() {
    let o =
        run_with(&["/quiet", "/norestart", "EMBEDDED_CONNECTOR_ACTION=export-continue"], (0, true), false, None, true);
    assert_eq!(o.code, 0, "{}", o.log);
    assert_eq!(o.host.machine.runs.len(), 1);
    let (program, args) = &o.host.machine.runs[0];
    assert_eq!(program, r"C:\Windows\System32\cmd.exe");
    assert!(args.starts_with("/d /s /c \"\"") && args.ends_with("idm-test-prereq.cmd\" /quiet\""), "{args}");
    let (bytes, command_line, display, log) = &o.host.msi_runs[0];
    assert_eq!(bytes, MSI, "the MSI arrives intact");
    assert_eq!(command_line, "EMBEDDED_CONNECTOR_ACTION=\"export-continue\" REBOOT=ReallySuppress");
    assert_eq!(*display, Display::Quiet);
    assert!(log.as_ref().unwrap().ends_with("setup_msi.log"));
    assert!(o.host.confirmed.is_empty(), "no questions under /quiet");
    assert!(o.log.contains("prerequisite IDM test module (IdmTestModule): missing"), "{}", o.log);
    assert!(o.log.contains("prerequisites/idm-test-prereq.cmd verified"), "{}", o.log);
}

#[test]
fn a_prerequisite_exiting_3010_ends_in_3010_with_the_product_installed() {
    let o = run_with(&["/quiet"], (3010, true), false, None, true);
    assert_eq!(o.code, 3010, "{}", o.log);
    assert_eq!(o.host.msi_runs.len(), 1, "the product is still installed");
    assert!(o.host.msi_runs[0].1.contains("REBOOT=ReallySuppress"), "never restarts under /quiet");
}

#[test]
fn a_3010_prerequisite_that_needs_the_restart_first_stops_before_the_msi() {
    let o = run_with(&["/quiet"], (3010, false), false, None, true);
    assert_eq!(o.code, 3010);
    assert!(o.host.msi_runs.is_empty());
    assert!(o.log.contains("restart the machine, then run setup again"), "{}", o.log);
}

#[test]
fn installer_exit_codes_are_mapped() {
    for (code, writes, want, msi_runs) in
        [(1603, false, 1603, 0), (1, false, 1603, 0), (1638, true, 0, 1), (1641, true, 1641, 0), (1618, false, 1618, 0)]
    {
        let o = run_with(&["/quiet"], (code, writes), false, None, true);
        assert_eq!(o.code, want, "installer exit {code}: {}", o.log);
        assert_eq!(o.host.msi_runs.len(), msi_runs, "installer exit {code}");
        if want == 1603 {
            assert!(
                o.log.contains(&format!("the installer for IDM test module failed with exit code {code}")),
                "{}",
                o.log
            );
        }
    }
    // Success without the module appearing is a failure, not a silent pass.
    let o = run_with(&["/quiet"], (0, false), false, None, true);
    assert_eq!(o.code, 1603);
    assert!(o.log.contains("reported success but IDM test module is still not detected"), "{}", o.log);
}

#[test]
fn msi_exit_codes_pass_through() {
    for msi in [1602, 1603, 1618, 3010] {
        let dir = tempfile::tempdir().unwrap();
        let exe = build(dir.path());
        let work = dir.path().join("w");
        std::fs::create_dir(&work).unwrap();
        let mut host = FakeHost::new(Machine::default(), work, true, msi);
        host.machine.registry.insert(format!("{TEST_KEY}\\Version"), RegValue::Text("1.0.0".into()));
        let options = cli::parse(&["/quiet".to_string()]).unwrap();
        let mut log = Log::new(None, String::new);
        let code = Setup { options: &options, exe: &exe, host: &mut host, log: &mut log, msi_log: None }.run();
        assert_eq!(code, msi);
    }
}

#[test]
fn a_tampered_payload_is_refused_before_anything_runs() {
    // Bytes near the end of the file: the manifest, its hash, the trailer; further back: the
    // package, then the MSI.
    let dir = tempfile::tempdir().unwrap();
    let len = std::fs::metadata(build(dir.path())).unwrap().len() as usize;
    let manifest_len = len - 72 - 7 - PACKAGE.len() - MSI.len(); // upper bound with padding
    let mut positions = vec![80, 100];
    positions.push(len - 8 - MSI.len() / 2); // inside the MSI
    positions.push(72 + manifest_len.min(200) + PACKAGE.len() / 2); // somewhere in the package or manifest
    for back in positions {
        let o = run_with(&["/quiet"], (0, true), false, Some(back), true);
        assert_eq!(o.code, 1620, "byte {back} from the end: {}", o.log);
        assert!(o.host.machine.runs.is_empty(), "nothing ran");
        assert!(o.host.msi_runs.is_empty(), "the MSI did not run");
        assert!(o.log.contains("damaged or was altered"), "{}", o.log);
    }
}

#[test]
fn the_full_ui_asks_first_and_cancelling_is_1602() {
    let o = run_with(&[], (0, true), false, None, false);
    assert_eq!(o.code, 1602);
    assert_eq!(
        o.host.confirmed,
        [vec![("Windows Server 2016 or later".to_string(), true), ("IDM test module".to_string(), false)]]
    );
    assert!(o.host.machine.runs.is_empty() && o.host.msi_runs.is_empty());
    let o = run_with(&[], (0, true), false, None, true);
    assert_eq!(o.code, 0);
    assert_eq!(o.host.msi_runs[0].1, "", "with dialogs the MSI may ask for its restart itself");
    assert_eq!(o.host.msi_runs[0].2, Display::Full);
    let o = run_with(&["/norestart", "REBOOT=Force"], (0, true), true, None, true);
    assert_eq!(o.host.msi_runs[0].1, "REBOOT=\"Force\"", "the administrator's REBOOT wins");
    assert!(o.host.machine.runs.is_empty(), "nothing to install when present");
}

#[test]
fn hidden_properties_never_reach_the_bundle_log() {
    let pw = format!("EXPORT_PASSWORD={SECRET}");
    let o = run_with(&["/quiet", "EMBEDDED_CONNECTOR_ACTION=export-continue", &pw], (1603, false), false, None, true);
    assert!(!o.log.contains(SECRET), "{}", o.log);
    assert!(o.host.told.iter().all(|(t, _)| !t.contains(SECRET)));
    assert!(o.log.contains("EXPORT_PASSWORD=**********"), "{}", o.log);
    let o = run_with(&["/quiet", &pw], (0, true), true, None, true);
    assert!(o.host.msi_runs[0].1.contains(&format!("EXPORT_PASSWORD=\"{SECRET}\"")), "the MSI gets it");
    assert!(!o.log.contains(SECRET), "{}", o.log);
}

#[test]
fn layout_writes_the_msi_and_packages_verified() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build(dir.path());
    let out = dir.path().join("offline");
    let work = dir.path().join("w");
    std::fs::create_dir(&work).unwrap();
    let mut host = FakeHost::new(Machine::default(), work, true, 0);
    let options = cli::parse(&["/layout".to_string(), out.to_string_lossy().into_owned()]).unwrap();
    let mut log = Log::new(None, String::new);
    let code = Setup { options: &options, exe: &exe, host: &mut host, log: &mut log, msi_log: None }.run();
    assert_eq!(code, 0);
    assert_eq!(std::fs::read(out.join("p-3.3.2-x64.msi")).unwrap(), MSI);
    assert_eq!(std::fs::read_to_string(out.join("prerequisites/idm-test-prereq.cmd")).unwrap(), PACKAGE);
    assert!(host.machine.runs.is_empty() && host.msi_runs.is_empty() && host.made.is_empty());
}

#[test]
fn a_program_without_payload_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("setup.exe");
    std::fs::write(&exe, b"MZ the bare program").unwrap();
    let mut host = FakeHost::new(Machine::default(), dir.path().to_path_buf(), true, 0);
    let options = cli::parse(&["/quiet".to_string()]).unwrap();
    let mut log = Log::new(None, String::new);
    assert_eq!(Setup { options: &options, exe: &exe, host: &mut host, log: &mut log, msi_log: None }.run(), 1620);
}

#[test]
fn a_missing_module_whose_package_is_not_carried_blocks_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let vc = fixtures::vc_redist_2022_x64();
    let exe = build_with(dir.path(), vec![vc]);
    let work = dir.path().join("w");
    std::fs::create_dir(&work).unwrap();
    let mut host = FakeHost::new(Machine { package: (0, true), ..Default::default() }, work, true, 0);
    let options = cli::parse(&["/quiet".to_string()]).unwrap();
    let buf = Shared::default();
    let mut log = Log::new(Some(Box::new(buf.clone())), String::new);
    let code = Setup { options: &options, exe: &exe, host: &mut host, log: &mut log, msi_log: None }.run();
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert_eq!(code, 1603, "{text}");
    assert!(host.machine.runs.is_empty(), "the test module's package must not run either");
    assert!(host.msi_runs.is_empty());
    assert!(
        text.contains(
            "cannot install (no installer, or its package was not present when the release was built): Visual C++"
        ),
        "{text}"
    );
}
