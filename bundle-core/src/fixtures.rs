//! Test fixtures shared by every crate that tests prerequisite logic (this crate's detection, the
//! custom actions' `prereq`, the setup program's flow): the `IdmPrerequisite` rows of the default
//! list in `wix/product.toml` and of the e2e test module, and a fake [`System`].
//!
//! Compiled for this crate's own tests and, through the `fixtures` feature, for the tests of the
//! crates that enable it in their `[dev-dependencies]`; never part of a release build. The rows
//! here are test inputs only: what the release MSI must carry is written out independently, from
//! `wix/product.toml`, in `tests/tests/target_machine.rs`.

use std::collections::BTreeMap;

use crate::detect::{FileProbe, RegValue, Root, System, SystemError, Version, COLUMNS};

/// One row of the table, cells in [`COLUMNS`] order; `None` is a null cell.
pub type Row = Vec<Option<String>>;

/// The .NET Framework 4.x release key (Microsoft: "How to: Determine which .NET Framework versions are installed").
pub const NETFX_KEY: &str = r"SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full";
/// The Visual C++ 2015-2022 x64 runtime key (Microsoft: "Latest supported Visual C++ Redistributable downloads").
pub const VC_KEY: &str = r"SOFTWARE\Microsoft\VisualStudio\14.0\VC\Runtimes\x64";
/// The key the e2e test module's package (`idm-test-prereq.cmd`) writes.
pub const TEST_KEY: &str = r"SOFTWARE\VMware, Inc.\IdmTestPrerequisite";
/// The e2e test module's package file.
pub const TEST_PACKAGE: &str = "idm-test-prereq.cmd";

/// A row from its cells in [`COLUMNS`] order; an empty cell is null.
pub fn row(cells: [&str; COLUMNS.len()]) -> Row {
    cells.iter().map(|c| if c.is_empty() { None } else { Some(c.to_string()) }).collect()
}

/// `WindowsServer2016`: Windows 10.0.14393 or later, sequence 1, nothing to install.
pub fn windows_server_2016() -> Row {
    row([
        "WindowsServer2016",
        "1",
        "Windows Server 2016 or later",
        "windows",
        "",
        "",
        "",
        "",
        "10.0.14393",
        "",
        "",
        "",
        "",
    ])
}

/// `NetFx48`: .NET Framework 4.8 (`Release` >= 528040), sequence 2, installed by `ndp48.exe`.
pub fn netfx48() -> Row {
    row([
        "NetFx48",
        "2",
        ".NET Framework 4.8",
        "registry",
        "HKLM",
        NETFX_KEY,
        "Release",
        "",
        "528040",
        "package",
        "ndp48.exe",
        "/q /norestart",
        "",
    ])
}

/// `VCRedist2022x64`: the Visual C++ runtime (`Version` >= 14.30), sequence 3, installed by
/// `vc_redist.x64.exe`.
pub fn vc_redist_2022_x64() -> Row {
    row([
        "VCRedist2022x64",
        "3",
        "Visual C++ 2015-2022 Redistributable (x64)",
        "registry",
        "HKLM",
        VC_KEY,
        "Version",
        "",
        "14.30",
        "package",
        "vc_redist.x64.exe",
        "/install /quiet /norestart",
        "",
    ])
}

/// `IdmTestModule`: the e2e test module (`TEST_KEY\Version` >= 1.0), sequence 2, installed by
/// [`TEST_PACKAGE`] `/quiet`.
pub fn test_module() -> Row {
    row([
        "IdmTestModule",
        "2",
        "IDM test module",
        "registry",
        "HKLM",
        TEST_KEY,
        "Version",
        "",
        "1.0",
        "package",
        TEST_PACKAGE,
        "/quiet",
        "",
    ])
}

/// The default list, deliberately out of sequence order (VC++ 3, Windows 1, .NET 2), so a reader
/// that does not sort by `Sequence` is caught.
pub fn default_rows() -> Vec<Row> {
    vec![vc_redist_2022_x64(), windows_server_2016(), netfx48()]
}

/// The e2e test product's list: Windows and the test module.
pub fn test_rows() -> Vec<Row> {
    vec![windows_server_2016(), test_module()]
}

/// The column names and rows, as a fake session's table holds them.
pub fn table(rows: Vec<Row>) -> (Vec<String>, Vec<Row>) {
    (COLUMNS.iter().map(|c| c.to_string()).collect(), rows)
}

/// A fake machine for detection: registry values and files in maps, the OS version. Detection
/// never installs anything, so [`System::run`] panics; a key whose path contains `Denied`
/// answers access denied (5), as `RegGetValueW` does for a key the caller may not read.
#[derive(Debug, Default)]
pub struct FakeSystem {
    /// `(key under HKLM, value name)` -> value.
    pub registry: BTreeMap<(String, String), RegValue>,
    /// Path -> what a version probe finds.
    pub files: BTreeMap<String, FileProbe>,
    /// The OS version; `None` makes `RtlGetVersion` fail.
    pub os: Option<Version>,
}

impl FakeSystem {
    /// Windows Server 2019 with .NET 4.8 and the VC++ 14.38 runtime: every default row present.
    pub fn healthy() -> FakeSystem {
        let mut sys = FakeSystem { os: Some(Version(vec![10, 0, 17763])), ..Default::default() };
        sys.registry.insert((NETFX_KEY.into(), "Release".into()), RegValue::Number(528449));
        sys.registry.insert((VC_KEY.into(), "Version".into()), RegValue::Text("v14.38.33130.00".into()));
        sys
    }
}

impl System for FakeSystem {
    fn registry_value(&self, root: Root, key: &str, name: &str) -> Result<Option<RegValue>, SystemError> {
        assert_eq!(root, Root::LocalMachine, "every fixture row reads HKLM");
        if key.contains("Denied") {
            return Err(SystemError { call: "RegGetValueW", code: 5 });
        }
        Ok(self.registry.get(&(key.to_string(), name.to_string())).cloned())
    }
    fn file_version(&self, path: &str) -> Result<FileProbe, SystemError> {
        Ok(self.files.get(path).cloned().unwrap_or(FileProbe::Missing))
    }
    fn os_version(&self) -> Result<Version, SystemError> {
        self.os.clone().ok_or(SystemError { call: "RtlGetVersion", code: 0xC000_0001 })
    }
    fn run(&mut self, program: &str, _: &str) -> Result<u32, SystemError> {
        panic!("detection must not run installers ({program})")
    }
}
