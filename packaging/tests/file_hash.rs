//! `MsiFileHash` (MSI SDK "MsiFileHash Table") on a minimal source: every unversioned file has a
//! row whose HashPart1..4 are its MD5 as four little-endian 32-bit integers, `Options` 0; a
//! versioned file (a PE with a version resource) has none. Read back with msitools (`msiinfo
//! export`, not the `msi` crate the writer uses) and compared with `md5sum` (coreutils), so
//! neither the reader nor the hash comes from the code under test.

mod wix_support;

use packaging::wix::build;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use test_support::{have_tool, skip_or_fail};

const WXS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Hash Test" Language="1033" Version="1.0.0" Manufacturer="Example" UpgradeCode="{0B6E7E4A-9F60-4A51-8E46-2A7C1D3C0F11}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Platform="x64" />
    <MediaTemplate EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLFOLDER" Name="Hash Test" />
      </Directory>
    </Directory>
    <DirectoryRef Id="INSTALLFOLDER">
      <Component Id="Text" Guid="*"><File Id="readme.txt" Source="payload/readme.txt" KeyPath="yes" /></Component>
      <Component Id="Data" Guid="*"><File Id="data.bin" Source="payload/data.bin" KeyPath="yes" /></Component>
      <Component Id="Empty" Guid="*"><File Id="empty.cfg" Source="payload/empty.cfg" KeyPath="yes" /></Component>
      <Component Id="Lib" Guid="*"><File Id="lib.dll" Source="payload/lib.dll" KeyPath="yes" /></Component>
    </DirectoryRef>
    <Feature Id="Main" Level="1">
      <ComponentRef Id="Text" /><ComponentRef Id="Data" /><ComponentRef Id="Empty" /><ComponentRef Id="Lib" />
    </Feature>
  </Product>
</Wix>
"#;

/// `msiinfo export <msi> <table>`: the rows (after the three IDT header lines), by first column.
fn export(msi: &Path, table: &str) -> BTreeMap<String, Vec<String>> {
    let out = Command::new("msiinfo").arg("export").arg(msi).arg(table).output().expect("run msiinfo");
    assert!(out.status.success(), "msiinfo export {table}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(3)
        .map(|l| {
            let f: Vec<String> = l.trim_end_matches('\r').split('\t').map(str::to_string).collect();
            (f[0].clone(), f)
        })
        .collect()
}

/// `md5sum <file>` as HashPart1..4: the 16 digest bytes read as little-endian signed 32-bit
/// integers (MSIFILEHASHINFO.dwData, the DoubleInteger columns).
fn md5_parts(file: &Path) -> Vec<String> {
    let out = Command::new("md5sum").arg(file).output().expect("run md5sum");
    assert!(out.status.success());
    let hex = String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string();
    let bytes: Vec<u8> = (0..16).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect();
    bytes.chunks(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]).to_string()).collect()
}

#[test]
fn unversioned_files_have_their_md5_and_versioned_files_none() {
    for tool in ["msiinfo", "md5sum"] {
        if !have_tool(tool) {
            skip_or_fail(&format!("`{tool}` is not installed (Debian: msitools, coreutils)"));
            return;
        }
    }
    // A real versioned PE: Wine's msi.dll (wine64 is a CI requirement).
    let dll = Path::new("/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/msi.dll");
    if !dll.is_file() {
        skip_or_fail(&format!("{} missing (install wine64)", dll.display()));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let payload = dir.path().join("payload");
    std::fs::create_dir_all(&payload).unwrap();
    std::fs::write(payload.join("readme.txt"), b"Read me.\n").unwrap();
    std::fs::write(payload.join("data.bin"), (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect::<Vec<_>>()).unwrap();
    std::fs::write(payload.join("empty.cfg"), b"").unwrap();
    std::fs::copy(dll, payload.join("lib.dll")).unwrap();
    let spec = wix_support::spec_for(dir.path(), "hash", WXS);
    build(&spec).unwrap();

    let files = export(&spec.output, "File");
    assert!(!files["lib.dll"][4].is_empty(), "lib.dll must be versioned: {:?}", files["lib.dll"]);
    let hashes = export(&spec.output, "MsiFileHash");
    let mut expected = BTreeMap::new();
    for (key, name) in [("readme.txt", "readme.txt"), ("data.bin", "data.bin"), ("empty.cfg", "empty.cfg")] {
        assert!(files[key][4].is_empty(), "{key} is unversioned");
        let mut row = vec![key.to_string(), "0".to_string()];
        row.extend(md5_parts(&payload.join(name)));
        expected.insert(key.to_string(), row);
    }
    // Exactly the unversioned files, each with Options 0 and the MD5 parts; none for lib.dll.
    assert_eq!(hashes, expected);
}
