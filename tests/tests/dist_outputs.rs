//! What `cargo xtask dist` does to its output folder (README, "What `dist` produces"): each
//! build under its own names (version, culture, variant), other builds' files never deleted, a
//! failed build leaving the folder exactly as it was, and bad inputs refused before the
//! cross-compile. Runs the already-built xtask binary, into temporary output folders.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use installer_tests::{open_msi_at, product_config, project_root, skip_or_fail, table_maps, xtask_binary};

/// Runs `xtask dist --out <out> <args>` with extra environment; (success, stderr), or `None`
/// when the binary is not built.
fn dist(out: &Path, args: &[&str], env: &[(&str, &str)]) -> Option<(bool, String)> {
    let Some(xtask) = xtask_binary() else {
        skip_or_fail("the xtask binary is not built: run `cargo xtask test` (or `cargo xtask dist` once)");
        return None;
    };
    let output = Command::new(xtask)
        .arg("dist")
        .arg("--out")
        .arg(out)
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_BACKTRACE", "0")
        .current_dir(project_root())
        .output()
        .unwrap();
    Some((output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned()))
}

/// The files directly in a folder with their bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn builds_keep_each_other_and_failures_change_nothing() {
    let c = product_config();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dist");
    std::fs::create_dir_all(&out).unwrap();
    let this = format!("{}-{}-x64-en-us", c.slug, c.version);
    // Another version's release, and stand-ins under this build's own names.
    std::fs::write(out.join(format!("{}-1.0.0-x64-en-us.msi", c.slug)), "an older release").unwrap();
    std::fs::write(out.join(format!("{}-1.0.0-x64-en-us.zip", c.slug)), "its bundle").unwrap();
    std::fs::write(out.join(format!("{this}.msi")), "this version, built before").unwrap();
    std::fs::write(out.join(format!("{this}.zip")), "its bundle, built before").unwrap();
    let before = snapshot(&out);

    // Bad inputs: each refused before the cross-compile (step 3), the folder untouched.
    let missing = dir.path().join("missing.wxs");
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case<'_>; 4] = [
        (&["--culture", "xx-yy"], &[], "xx-yy"),
        (&["--extra-wxs", missing.to_str().unwrap()], &[], "missing.wxs"),
        (&[], &[("SOURCE_DATE_EPOCH", "100")], "SOURCE_DATE_EPOCH"),
        (&["--backend", "wix"], &[("WIX", "/nonexistent"), ("PATH", "/usr/bin:/bin")], "WiX Toolset v3"),
    ];
    for (args, env, names) in cases {
        let Some((ok, stderr)) = dist(&out, args, env) else { return };
        assert!(!ok, "{args:?} {env:?} succeeded");
        assert!(stderr.contains(names), "{args:?}: the error does not name {names}: {stderr}");
        assert!(!stderr.contains("[3/"), "{args:?}: got past the input checks: {stderr}");
        assert_eq!(snapshot(&out), before, "{args:?} changed the output folder");
    }

    // A failure late in the build (an extra source that is well-formed but does not link):
    // the earlier files of this build's names are still there, unchanged.
    let unlinkable = dir.path().join("dangling.wxs");
    std::fs::write(
        &unlinkable,
        "<Wix xmlns=\"http://schemas.microsoft.com/wix/2006/wi\"><Fragment><ComponentGroup Id=\"G\"><ComponentRef Id=\"NoSuchComponent\" /></ComponentGroup></Fragment></Wix>",
    )
    .unwrap();
    let Some((ok, stderr)) = dist(&out, &["--extra-wxs", unlinkable.to_str().unwrap()], &[]) else { return };
    assert!(!ok && stderr.contains("build the MSI"), "a source that cannot link was accepted: {stderr}");
    // Nothing references its fragment, so it is not linked (WiX's rule), and a source asked for
    // by name that is not linked is an error naming it.
    assert!(
        stderr.contains("dangling.wxs: nothing the <Product> links references this source"),
        "the error does not say the extra source is not referenced: {stderr}"
    );
    assert_eq!(snapshot(&out), before, "a failed build changed the output folder: {stderr}");

    // Success: this build's files replaced, the other version's kept; a second version added.
    let Some((ok, stderr)) = dist(&out, &[], &[]) else { return };
    assert!(ok, "{stderr}");
    let Some((ok, stderr)) = dist(&out, &["--product-version", "3.9.9"], &[]) else { return };
    assert!(ok, "{stderr}");
    let after = snapshot(&out);
    let names: Vec<&str> = after.keys().map(String::as_str).collect();
    let slug = &c.slug;
    assert_eq!(
        names,
        [
            format!("{slug}-1.0.0-x64-en-us.msi"),
            format!("{slug}-1.0.0-x64-en-us.zip"),
            format!("{this}.msi"),
            format!("{this}.zip"),
            format!("{this}-setup.exe"),
            format!("{slug}-3.9.9-x64-en-us.msi"),
            format!("{slug}-3.9.9-x64-en-us.zip"),
            format!("{slug}-3.9.9-x64-en-us-setup.exe"),
        ]
        .iter()
        .map(String::as_str)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    assert_eq!(after[&format!("{slug}-1.0.0-x64-en-us.msi")], b"an older release");
    assert_ne!(after[&format!("{this}.msi")], b"this version, built before");
}

#[test]
fn the_test_variant_is_named_as_such() {
    let c = product_config();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("test-dist");
    let Some((ok, stderr)) = dist(&out, &["--variant", "test"], &[]) else { return };
    assert!(ok, "{stderr}");
    let msi = out.join(format!("{}-{}-x64-en-us-test.msi", c.slug, c.version));
    assert!(msi.is_file(), "{:?}", snapshot(&out).keys().collect::<Vec<_>>());
    assert!(out.join(format!("{}-{}-x64-en-us-test.zip", c.slug, c.version)).is_file());
    let mut package = open_msi_at(&msi);
    let properties = table_maps(&mut package, "Property");
    let name = properties.iter().find(|r| r["Property"] == "ProductName").map(|r| r["Value"].clone());
    assert_eq!(name, Some(format!("{} (test build)", c.name)));
}
