//! The release MSI's compound file read by a second implementation: `olefile` (Python, Debian
//! python3-olefile) through `tests/tools/msi_structure.py`, which shares no code with the
//! writer (`cfb`). It checks what MS-CFB and Windows Installer expect of the file: version 3
//! with 512-byte sectors (what msi.dll, WiX and wixl write), every stream readable to its
//! declared size, the MSI database CLSID on the root, a size under the 2 GB limit, and every
//! CFDATA checksum of every embedded cabinet, verified by the script's own checksum code and by
//! `cabextract -t` (libmspack), a third implementation.

use std::path::{Path, PathBuf};
use std::process::Command;

use installer_tests::{have_tool, open_msi, project_root, release_msi, skip_or_fail, table_maps};
use serde_json::Value;

/// A Python interpreter that can import `olefile` (the system one first: a user's pyenv
/// shadowing `python3` may not have Debian's packages).
fn python_with_olefile() -> Option<PathBuf> {
    ["/usr/bin/python3", "python3"]
        .into_iter()
        .map(PathBuf::from)
        .find(|py| Command::new(py).args(["-c", "import olefile"]).output().is_ok_and(|o| o.status.success()))
}

/// Runs the structure script on `file` (an MSI, or a lone cabinet), writing the MSI's
/// cabinets into `cab_dir`; `None` (after a loud skip, or a failure under CI) without Python.
fn structure(file: &Path, cab_dir: Option<&Path>) -> Option<Value> {
    let Some(py) = python_with_olefile() else {
        skip_or_fail("no python3 with olefile (Debian: apt-get install python3-olefile)");
        return None;
    };
    let script = project_root().join("tests/tools/msi_structure.py");
    let mut cmd = Command::new(py);
    cmd.arg(&script).arg(file);
    if let Some(dir) = cab_dir {
        cmd.arg(dir);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(out.status.success(), "{} failed: {}", script.display(), String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).expect("the script prints JSON"))
}

/// `cabextract -t` on a cabinet: Ok(listing) when every file tests OK, Err(listing) otherwise.
fn cabextract_test(cab: &Path) -> Option<Result<String, String>> {
    if !have_tool("cabextract") {
        skip_or_fail("`cabextract` is not installed (Debian: apt-get install cabextract)");
        return None;
    }
    let out = Command::new("cabextract").arg("-t").arg(cab).output().expect("cabextract runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Some(if out.status.success() && text.contains("All done, no errors") { Ok(text) } else { Err(text) })
}

#[test]
fn a_second_reader_finds_a_version_3_compound_file_with_every_stream_readable() {
    let msi = release_msi();
    let Some(s) = structure(&msi, None) else { return };
    // MS-CFB 2.2: major version 3 goes with sector shift 9 (512 bytes); mini sectors are 64
    // bytes; byte order 0xFFFE.
    assert_eq!(s["header"]["major_version"], 3, "{}", s["header"]);
    assert_eq!(s["header"]["sector_shift"], 9);
    assert_eq!(s["header"]["mini_sector_shift"], 6);
    assert_eq!(s["header"]["byte_order"], 0xFFFE);
    assert_eq!(s["olefile_sector_size"], 512);
    // The CLSID of an installer database (MSI SDK; the same as msi.dll writes).
    assert_eq!(s["root_clsid"], "000C1084-0000-0000-C000-000000000046");
    let size = s["file_size"].as_u64().unwrap();
    assert_eq!(size % 512, 0, "not a whole number of sectors");
    assert!(size < 2 * 1024 * 1024 * 1024, "over the 2 GB of MS-CFB 2.9");
    // No chain links back to sector 0 or mini sector 0: MS-CFB allows it, but osslsigncode (the
    // signing tool dist runs) takes it for corruption and cannot sign the MSI.
    assert_eq!(s["links_to_sector_zero"], serde_json::json!({"fat": 0, "minifat": 0}));
    let streams = s["streams"].as_array().unwrap();
    for st in streams {
        assert_eq!(st["read"], st["size"], "stream {} reads short", st["name"]);
    }
    // The tables and the summary information are among them: every table with rows has a
    // stream, plus the string pool, and the summary information stream.
    let names: Vec<&str> = streams.iter().map(|st| st["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"\u{5}SummaryInformation"), "{names:?}");
    let package = open_msi();
    let tables = package.tables().filter(|t| !t.name().starts_with('_')).count();
    assert!(streams.len() > tables, "{} streams for {tables} tables", streams.len());
}

#[test]
fn every_cabinet_checksum_verifies_with_two_other_implementations() {
    let msi = release_msi();
    let dir = tempfile::tempdir().unwrap();
    let Some(s) = structure(&msi, Some(dir.path())) else { return };
    let cabinets = s["cabinets"].as_array().unwrap();
    let mut package = open_msi();
    let media: Vec<_> =
        table_maps(&mut package, "Media").into_iter().filter(|m| m["Cabinet"].starts_with('#')).collect();
    assert_eq!(cabinets.len(), media.len(), "embedded cabinets vs Media rows with #cabinet");
    let mut files = 0;
    for cab in cabinets {
        let name = &cab["stream"];
        assert!(cab.get("error").is_none(), "cabinet {name}: {}", cab["error"]);
        assert!(cab["blocks"].as_u64().unwrap() > 0, "cabinet {name} has no data blocks");
        assert_eq!(cab["bad_checksums"].as_array().unwrap().len(), 0, "cabinet {name}: bad CFDATA checksums");
        assert_eq!(cab["zero_checksums"], 0, "cabinet {name}: blocks without a checksum");
        assert_eq!(cab["end"], cab["size"], "cabinet {name}: the last block does not end the stream");
        assert_eq!(cab["cbCabinet"], cab["size"], "cabinet {name}: cbCabinet is not the stream size");
        files += cab["files"].as_array().unwrap().len();
        let path = PathBuf::from(cab["path"].as_str().unwrap());
        let Some(tested) = cabextract_test(&path) else { return };
        if let Err(text) = tested {
            panic!("cabextract -t fails on cabinet {name}:\n{text}");
        }
    }
    assert_eq!(files, table_maps(&mut package, "File").len(), "files in the cabinets vs File rows");
}

/// The two checkers can fail: one flipped bit in a block's checksum is reported by both.
#[test]
fn a_corrupted_checksum_is_caught_by_both_checkers() {
    let msi = release_msi();
    let dir = tempfile::tempdir().unwrap();
    let Some(s) = structure(&msi, Some(dir.path())) else { return };
    let cab = PathBuf::from(s["cabinets"][0]["path"].as_str().expect("a cabinet"));
    let mut bytes = std::fs::read(&cab).unwrap();
    // CFFOLDER.coffCabStart (offset 36 in a cabinet without reserved fields) is the first
    // CFDATA block, whose first field is its checksum.
    let first_block = u32::from_le_bytes(bytes[36..40].try_into().unwrap()) as usize;
    bytes[first_block] ^= 0x01;
    let bad = dir.path().join("bad.cab");
    std::fs::write(&bad, &bytes).unwrap();
    let Some(checked) = structure(&bad, None) else { return };
    assert_eq!(checked["bad_checksums"], serde_json::json!([0]), "{checked}");
    let Some(tested) = cabextract_test(&bad) else { return };
    assert!(tested.is_err(), "cabextract -t accepted a corrupted checksum");
}
