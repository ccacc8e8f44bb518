//! Fuzzing the build's inputs (issue 14): mutated WiX sources through the whole front end and backend, and mutated product configurations through parsing and validation; no input may panic, abort (stack overflow) or allocate without bound.
//!
//! The engine is `fuzz/mutate.rs` (fixed seed, time budget `IDM_FUZZ_SECONDS`); results are
//! recorded in docs/fuzzing.md.

#[path = "../../fuzz/mutate.rs"]
mod mutate;

use std::path::{Path, PathBuf};

use packaging::product::ProductConfig;
use packaging::wix::{build_with, Arch, BindPath, BuildOptions, BuildSpec};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn fuzz_wix_sources() {
    let seeds: Vec<Vec<u8>> = [
        "packaging/tests/wix_v3/main.wxs",
        "wix/fragments/custom-actions.wxs",
        "wix/ui/common-dialogs.wxs",
        "wix/test/fault-injection.wxs",
    ]
    .iter()
    .map(|p| std::fs::read(repo().join(p)).unwrap())
    .collect();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("wix")).unwrap();
    std::fs::create_dir_all(d.join("target/release")).unwrap();
    std::fs::write(d.join("wix/License.rtf"), "{\\rtf1\\ansi License text\\par}").unwrap();
    std::fs::write(d.join("target/release/hello-cli.exe"), b"MZ not a real program").unwrap();
    let src = d.join("wix/main.wxs");
    let out = d.join("fuzz.msi");
    let dictionary: &[&[u8]] = &[
        b"<Directory Id=\"D\" Name=\"d\">",
        b"</Directory>",
        b"<Component Id=\"C\" Guid=\"*\">",
        b"</Component>",
        b"<?include x.wxi ?>",
        b"<?define A = \"1\" ?>",
        b"<?if $(var.A) = 1 ?>",
        b"<?endif ?>",
        b"<?foreach X in a;b ?>",
        b"<?endforeach ?>",
        b"$(var.Version)",
        b"!(loc.X)",
        b"!(wix.ProductHelp)",
        b"[ProductName]",
        b"<![CDATA[",
        b"]]>",
        b"<!--",
        b"-->",
        b"&amp;",
        b"&#xFFFF;",
        b"Id=\"\"",
        b"Win64=\"yes\"",
        b"\"",
        b"<",
        b">",
        b"/>",
        b"<Property Id=\"P\" Value=\"v\" />",
        b"<CustomAction Id=\"CA\" Property=\"P\" Value=\"x\" />",
    ];
    // The first seed builds as it is (so mutations start from a source that reaches the backend).
    std::fs::write(&src, &seeds[0]).unwrap();
    let mut outcomes = [0u64; 2];
    let tried = mutate::run("wix-sources", &seeds, dictionary, |input| {
        std::fs::write(&src, input).unwrap();
        let spec = BuildSpec {
            sources: vec![src.clone()],
            output: out.clone(),
            source_date_epoch: Some(1),
            variables: [("CargoTargetBinDir".to_string(), "target\\release".to_string())].into(),
            ..Default::default()
        };
        let options = BuildOptions {
            arch: Arch::X64,
            bind_paths: Some(vec![BindPath { name: None, dir: d.to_path_buf() }]),
            ..Default::default()
        };
        outcomes[usize::from(build_with(&spec, &options).is_ok())] += 1;
        let _ = std::fs::remove_file(&out);
    });
    println!("fuzz wix-sources: {} errors, {} MSIs built", outcomes[0], outcomes[1]);
    assert!(tried > 50, "the budget allowed only {tried} inputs");
    assert!(mutate::peak_rss_kib() < 1024 * 1024, "peak RSS {} KiB", mutate::peak_rss_kib());
}

#[test]
fn fuzz_product_config() {
    let seed = std::fs::read(repo().join("wix/product.toml")).unwrap();
    let dictionary: &[&[u8]] = &[
        b"\n[install]\n",
        b"\n[embedded_connector]\npaths = [\"..\\\\x\"]\n",
        b"\n[[feature]]\n",
        b"\n[[prerequisite]]\n",
        b"version = \"65535.255.65535\"\n",
        b"\"CON\"",
        b"\"\"",
        b"[",
        b"]",
        b"{",
        b"}",
        b"=",
        b"\"\\u202E\"",
        b"'''",
        b"\"\"\"",
        b"1e400",
        b"-1",
        b"true",
        b"\n[signing]\ncommand = [\"x\"]\n",
        b"upgrade_code = \"{00000000-0000-0000-0000-000000000000}\"\n",
    ];
    let mut ok = 0u64;
    let tried = mutate::run("product-config", &[seed], dictionary, |input| {
        let text = String::from_utf8_lossy(input);
        if ProductConfig::parse(&text, Path::new("product.toml")).is_ok() {
            ok += 1;
        }
    });
    println!("fuzz product-config: {ok} of {tried} inputs valid");
    assert!(tried > 100);
}
