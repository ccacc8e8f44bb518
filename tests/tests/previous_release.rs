//! `cargo xtask dist --previous <msi>`: two real builds whose payload holds the same versioned DLL
//! at `lib/native.dll`, version 2.0.0.0 in the first and 1.0.0.0 in the second. The second,
//! given the first as the previous release, must fail naming the file and both versions, and
//! write nothing to its output folder (MSI SDK "File Versioning Rules": the upgrade would keep
//! the previous release's file). The first build is itself checked against the release MSI of
//! `cargo xtask dist` when there is one (no file goes backwards: the check passes).

use installer_tests::{project_root, run_dist, skip_or_fail, try_release_msi};
use std::path::Path;

/// `dist --payload <payload> --out <out> <extra>`: (success, stderr).
fn dist(payload: &Path, out: &Path, extra: &[&std::ffi::OsStr]) -> Option<(bool, String)> {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["--payload".as_ref(), payload.as_os_str(), "--out".as_ref(), out.as_os_str()];
    args.extend_from_slice(extra);
    run_dist(&args)
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// `dll` with its VS_FIXEDFILEINFO file version (after the 0xFEEF04BD signature and the
/// structure version: dwFileVersionMS, dwFileVersionLS) set to `major.0.0.0`.
fn with_file_version(dll: &[u8], major: u16) -> Vec<u8> {
    let mut bytes = dll.to_vec();
    let at = bytes.windows(4).position(|w| w == 0xFEEF_04BDu32.to_le_bytes()).expect("a VS_FIXEDFILEINFO");
    bytes[at + 8..at + 12].copy_from_slice(&(u32::from(major) << 16).to_le_bytes());
    bytes[at + 12..at + 16].copy_from_slice(&0u32.to_le_bytes());
    bytes
}

fn msi_in(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "msi")).collect()
        })
        .unwrap_or_default()
}

#[test]
fn dist_refuses_a_versioned_file_whose_version_goes_backwards() {
    let dll = Path::new("/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/msi.dll");
    if !dll.is_file() {
        skip_or_fail(&format!("{} missing (wine64 is a CI requirement)", dll.display()));
        return;
    }
    let dll = std::fs::read(dll).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sample = project_root().join("wix/sample-payload");
    let (p1, p2) = (dir.path().join("payload-2"), dir.path().join("payload-1"));
    for (payload, major) in [(&p1, 2), (&p2, 1)] {
        copy_tree(&sample, payload);
        std::fs::create_dir_all(payload.join("lib")).unwrap();
        std::fs::write(payload.join("lib/native.dll"), with_file_version(&dll, major)).unwrap();
    }

    // The first build: against the release MSI when there is one (nothing goes backwards).
    let (o1, o2) = (dir.path().join("out-1"), dir.path().join("out-2"));
    let release = try_release_msi();
    let extra: Vec<&std::ffi::OsStr> = match &release {
        Some(m) => vec!["--previous".as_ref(), m.as_os_str()],
        None => vec![],
    };
    let Some((ok, stderr)) = dist(&p1, &o1, &extra) else { return };
    assert!(ok, "the first build failed:\n{stderr}");
    if release.is_some() {
        assert!(stderr.contains("no versioned file goes backwards"), "{stderr}");
    }
    let previous = msi_in(&o1);
    assert_eq!(previous.len(), 1, "{previous:?}");

    // The second: native.dll 1.0.0.0 where the previous release has 2.0.0.0.
    let Some((ok, stderr)) = dist(&p2, &o2, &["--previous".as_ref(), previous[0].as_os_str()]) else { return };
    assert!(!ok, "a version going backwards was accepted:\n{stderr}");
    let line =
        stderr.lines().find(|l| l.contains("native.dll")).unwrap_or_else(|| panic!("native.dll not named:\n{stderr}"));
    assert!(line.contains("/lib/native.dll") && line.contains("1.0.0.0") && line.contains("2.0.0.0"), "{line}");
    assert!(stderr.contains("File Versioning Rules"), "{stderr}");
    assert!(stderr.contains("1 versioned file(s) go backwards"), "only native.dll goes backwards:\n{stderr}");
    assert!(msi_in(&o2).is_empty(), "an MSI was written to the output folder");
    let left: Vec<_> = std::fs::read_dir(&o2)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name()).filter(|n| n != "wix").collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "files left in the output folder: {left:?}");
}
