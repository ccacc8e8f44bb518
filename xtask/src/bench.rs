//! `cargo xtask bench`: a large synthetic payload built by our WiX backend and by `wixl`, side by
//! side, reporting wall time, peak memory and MSI size, and writing the figures into
//! `docs/benchmark.md`.
//!
//! Both tools build the same payload-only `.wxs` (a product, one embedded cabinet, one component
//! per file, generated from `packaging::harvest`). Each build runs as its own process under
//! `/usr/bin/time -v`, which reports the peak resident set size; our backend runs as the
//! release build of this binary in its hidden `bench --build-only <spec>` mode, so its figures
//! are the optimised backend's alone.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use xshell::{cmd, Shell};

use crate::cli::BenchArgs;
use crate::dist::toolchain::find_on_path;
use crate::{project_root, target_dir};

/// The upgrade code of the benchmark product (any fixed GUID: only component GUIDs derive from it).
const BENCH_UPGRADE_CODE: &str = "3B0E2C4A-5D6F-4718-9A2B-3C4D5E6F7A8B";
/// Markers in docs/benchmark.md between which the figures are written.
const BEGIN: &str = "<!-- bench:begin (written by `cargo xtask bench`) -->";
const END: &str = "<!-- bench:end -->";

/// Runs `cargo xtask bench`.
pub fn run(sh: &Shell, args: &BenchArgs) -> Result<()> {
    if let Some(spec) = &args.build_only {
        return build_only(spec);
    }
    let (size_mib, files, with_wixl, docs) = (args.size_mib, args.files as usize, !args.no_wixl, !args.no_docs);
    let bench = target_dir().join("bench");
    let payload = bench.join(format!("payload-{size_mib}mib-{files}"));

    let t = Instant::now();
    let generated = generate(&payload, size_mib << 20, files)?;
    eprintln!(
        "payload: {} files, {:.1} MiB in {} ({:.1}s{})",
        files,
        generated.bytes as f64 / 1048576.0,
        payload.display(),
        t.elapsed().as_secs_f64(),
        if generated.reused { ", reused" } else { "" }
    );

    let upgrade = BENCH_UPGRADE_CODE.parse::<packaging::product::Guid>().map_err(anyhow::Error::msg)?.0;
    let harvest = packaging::harvest::harvest(&payload, "PRODUCTDIR", &upgrade, "Bench", &[])?;
    let wxs = bench.join("bench.wxs");
    std::fs::write(&wxs, payload_wxs(&harvest))?;

    let timer = find_on_path("time").filter(|p| p.starts_with("/usr/bin")).or_else(|| {
        let p = PathBuf::from("/usr/bin/time");
        p.is_file().then_some(p)
    });
    if timer.is_none() {
        eprintln!("note: /usr/bin/time is not installed (Debian: apt-get install time): peak memory is not measured");
    }

    let ours_msi = bench.join("ours.msi");
    let spec_file = bench.join("spec.json");
    // The same .wxs for both: file sources are `$(var.PayloadDir)/...`; ours gets the absolute
    // folder, wixl (which cannot open absolute Source paths) the folder relative to its working
    // directory, target/bench.
    let payload_name = payload.file_name().expect("named").to_string_lossy().into_owned();
    let mut variables = BTreeMap::new();
    variables.insert("PayloadDir".to_string(), payload.to_string_lossy().replace('\\', "/"));
    let spec = BenchSpec { sources: vec![wxs.clone()], output: ours_msi.clone(), variables };
    std::fs::write(&spec_file, serde_json::to_string(&spec)?)?;
    // Our backend is measured as shipped: an optimised build of this binary.
    eprintln!("building xtask in release mode for the measurement ...");
    {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let _env = sh.push_env("CARGO_TARGET_DIR", target_dir());
        cmd!(sh, "{cargo} build --quiet --release -p xtask").run().context("cargo build --release -p xtask failed")?;
    }
    let exe = target_dir().join("release").join(format!("xtask{}", std::env::consts::EXE_SUFFIX));
    let exe_s = exe.to_string_lossy().into_owned();
    let spec_s = spec_file.to_string_lossy().into_owned();
    eprintln!("building with our backend ...");
    let ours = measure(sh, timer.as_deref(), &[exe_s.as_str(), "bench", "--build-only", spec_s.as_str()], &ours_msi)?;
    eprintln!("  ours: {}", ours.line());

    let wixl = if with_wixl {
        if find_on_path("wixl").is_none() {
            bail!("wixl is not installed (Debian: apt-get install wixl); run with --no-wixl to skip it");
        }
        let wixl_msi = bench.join("wixl.msi");
        let wxs_s = wxs.to_string_lossy().into_owned();
        let out_s = wixl_msi.to_string_lossy().into_owned();
        eprintln!("building with wixl ...");
        let define = format!("PayloadDir={payload_name}");
        let _dir = sh.push_dir(&bench);
        let m = measure(
            sh,
            timer.as_deref(),
            &["wixl", "-a", "x64", "-D", define.as_str(), "-o", out_s.as_str(), wxs_s.as_str()],
            &wixl_msi,
        )?;
        eprintln!("  wixl: {}", m.line());
        Some(m)
    } else {
        None
    };

    let report = report(size_mib, files, generated.bytes, &ours, wixl.as_ref(), sh);
    println!("{report}");
    if docs {
        let doc = project_root().join("docs/benchmark.md");
        update_doc(&doc, &report)?;
        eprintln!("wrote the figures into {}", doc.display());
    }
    Ok(())
}

/// What the hidden build-only mode builds.
#[derive(serde::Serialize, serde::Deserialize)]
struct BenchSpec {
    sources: Vec<PathBuf>,
    output: PathBuf,
    variables: BTreeMap<String, String>,
}

/// The child process side: build the spec with our backend and nothing else.
fn build_only(spec: &Path) -> Result<()> {
    let spec: BenchSpec = serde_json::from_str(&std::fs::read_to_string(spec)?)?;
    let report = packaging::wix::build(&packaging::wix::BuildSpec {
        sources: spec.sources,
        output: spec.output,
        variables: spec.variables,
        source_date_epoch: Some(packaging::wix::DEFAULT_EPOCH),
        ..Default::default()
    })?;
    eprintln!("  ours: {} files, {} cabinet(s)", report.files, report.cabinets);
    Ok(())
}

/// One build's figures.
struct Measure {
    seconds: f64,
    peak_rss_kib: Option<u64>,
    msi_bytes: u64,
}

impl Measure {
    fn line(&self) -> String {
        format!(
            "{:.1}s, peak RSS {}, MSI {:.1} MiB",
            self.seconds,
            self.peak_rss_kib.map_or("n/a".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0)),
            self.msi_bytes as f64 / 1048576.0
        )
    }
}

/// Runs a command (under `/usr/bin/time -v` when available), timing it and reading its peak RSS.
fn measure(sh: &Shell, timer: Option<&Path>, command: &[&str], output: &Path) -> Result<Measure> {
    let _ = std::fs::remove_file(output);
    let start = Instant::now();
    let (program, args) = command.split_first().expect("a command");
    let result = match timer {
        Some(time) => cmd!(sh, "{time} -v {program} {args...}").quiet().ignore_status().output()?,
        None => cmd!(sh, "{program} {args...}").quiet().ignore_status().output()?,
    };
    let seconds = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&result.stderr);
    if !result.status.success() {
        bail!("{program} failed ({}):\n{stderr}", result.status);
    }
    let peak_rss_kib = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok());
    let msi_bytes =
        std::fs::metadata(output).with_context(|| format!("{program} wrote no {}", output.display()))?.len();
    Ok(Measure { seconds, peak_rss_kib, msi_bytes })
}

/// The generated payload.
struct Generated {
    bytes: u64,
    reused: bool,
}

/// SplitMix64: a tiny, well-known deterministic generator (hand-written: the bench needs
/// reproducible bytes, not a random-number crate).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Words for the compressible (text-like) files.
const WORDS: &[&str] = &[
    "identity",
    "manager",
    "connector",
    "tenant",
    "directory",
    "sync",
    "saml",
    "token",
    "user",
    "group",
    "policy",
    "access",
    "service",
    "horizon",
    "kerberos",
    "domain",
    "cluster",
    "node",
    "config",
    "value",
    "true",
    "false",
];

/// Writes the payload (unless the same one is already there): `files` files totalling `total`
/// bytes, in 100 folders of 10 subfolders, a third each incompressible (random bytes),
/// compressible (text), and half-compressible (random bytes from a 16-symbol alphabet).
fn generate(dir: &Path, total: u64, files: usize) -> Result<Generated> {
    // Beside the folder, not in it: everything in the folder is payload.
    let marker = dir.with_extension("complete");
    let stamp = format!("v1 {total} {files}\n");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(stamp.as_str()) {
        return Ok(Generated { bytes: total, reused: true });
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    // Sizes: a skewed spread (a few large files, many small), scaled to the total exactly.
    let mut rng = SplitMix64(0x1D4D_2026);
    let weights: Vec<u64> = (0..files)
        .map(|_| {
            let r = rng.next();
            match r % 100 {
                0..=1 => 400 + r % 400, // 2 % large
                2..=21 => 20 + r % 80,  // 20 % medium
                _ => 1 + r % 10,        // the rest small
            }
        })
        .collect();
    let sum: u64 = weights.iter().sum();
    let mut sizes: Vec<u64> = weights.iter().map(|w| total * w / sum).collect();
    let assigned: u64 = sizes.iter().sum();
    sizes[0] += total - assigned;

    let mut buf = Vec::with_capacity(1 << 20);
    for (i, size) in sizes.iter().enumerate() {
        let path =
            dir.join(format!("d{:02}", i % 100)).join(format!("s{}", (i / 100) % 10)).join(format!("f{i:05}.bin"));
        std::fs::create_dir_all(path.parent().expect("has a parent"))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
        let mut left = *size;
        let kind = i % 3;
        while left > 0 {
            buf.clear();
            let chunk = left.min(1 << 20) as usize;
            match kind {
                0 => {
                    while buf.len() < chunk {
                        buf.extend_from_slice(&rng.next().to_le_bytes());
                    }
                }
                1 => {
                    while buf.len() < chunk {
                        let r = rng.next();
                        let _ = write!(buf, "{}={} ", WORDS[(r % WORDS.len() as u64) as usize], r % 1000);
                        if r % 7 == 0 {
                            buf.push(b'\n');
                        }
                    }
                }
                _ => {
                    while buf.len() < chunk {
                        let r = rng.next();
                        buf.extend((0..16).map(|k| b"0123456789abcdef"[((r >> (k * 4)) & 15) as usize]));
                    }
                }
            }
            out.write_all(&buf[..chunk])?;
            left -= chunk as u64;
        }
        out.flush()?;
    }
    std::fs::write(&marker, stamp)?;
    Ok(Generated { bytes: total, reused: false })
}

/// XML-escapes an attribute value.
fn esc(s: &str) -> String {
    crate::dist::xml_escape(s)
}

/// The payload-only product: both tools build this file.
fn payload_wxs(h: &packaging::harvest::Harvest) -> String {
    let mut children: BTreeMap<&str, Vec<&packaging::harvest::HarvestedDir>> = BTreeMap::new();
    for d in &h.directories {
        children.entry(d.parent.as_str()).or_default().push(d);
    }
    fn dir_xml(
        id: &str,
        children: &BTreeMap<&str, Vec<&packaging::harvest::HarvestedDir>>,
        h: &packaging::harvest::Harvest,
        indent: usize,
        out: &mut String,
    ) {
        let pad = " ".repeat(indent);
        for f in h.files.iter().filter(|f| f.directory == id) {
            let _ = writeln!(
                out,
                "{pad}<Component Id=\"{}\" Guid=\"{}\" Win64=\"yes\"><File Id=\"{}\" Name=\"{}\" Source=\"{}\" KeyPath=\"yes\" /></Component>",
                f.component_id,
                f.guid,
                f.file_id,
                esc(&f.name),
                esc(&format!("$(var.PayloadDir)/{}", f.relative_path))
            );
        }
        for d in children.get(id).into_iter().flatten() {
            let _ = writeln!(out, "{pad}<Directory Id=\"{}\" Name=\"{}\">", d.id, esc(&d.name));
            dir_xml(&d.id, children, h, indent + 2, out);
            let _ = writeln!(out, "{pad}</Directory>");
        }
    }
    let mut tree = String::new();
    dir_xml("PRODUCTDIR", &children, h, 12, &mut tree);
    let mut refs = String::new();
    for f in &h.files {
        let _ = writeln!(refs, "      <ComponentRef Id=\"{}\" />", f.component_id);
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<!-- Payload-only product for `cargo xtask bench` (generated; built by our backend and by wixl). -->
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Bench" Language="1033" Version="1.0.0" Manufacturer="Bench" UpgradeCode="{{{BENCH_UPGRADE_CODE}}}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Platform="x64" />
    <Media Id="1" Cabinet="bench.cab" EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="PRODUCTDIR" Name="Bench">
{tree}        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Payload" Level="1">
{refs}    </Feature>
  </Product>
</Wix>
"#
    )
}

/// The Markdown figures.
fn report(size_mib: u64, files: usize, bytes: u64, ours: &Measure, wixl: Option<&Measure>, sh: &Shell) -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let date = cmd!(sh, "date -u +%Y-%m-%dT%H:%MZ").quiet().read().unwrap_or_default();
    let wixl_version = cmd!(sh, "wixl --version").quiet().ignore_status().read().unwrap_or_default();
    let rss = |m: &Measure| m.peak_rss_kib.map_or("n/a".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0));
    let mut s = String::new();
    let _ = writeln!(s, "Run: {date}, `cargo xtask bench --size-mib {size_mib} --files {files}`, {cpus} CPU(s) ({cpu}), shared machine.");
    let _ = writeln!(
        s,
        "Payload: {files} files, {:.0} MiB, a third each random, text-like and 16-symbol data.",
        bytes as f64 / 1048576.0
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "| builder | wall time | peak RSS | MSI size |");
    let _ = writeln!(s, "| --- | ---: | ---: | ---: |");
    let _ = writeln!(
        s,
        "| ours (`packaging::wix`) | {:.1} s | {} | {:.1} MiB |",
        ours.seconds,
        rss(ours),
        ours.msi_bytes as f64 / 1048576.0
    );
    if let Some(w) = wixl {
        let _ = writeln!(
            s,
            "| wixl {} | {:.1} s | {} | {:.1} MiB |",
            wixl_version.trim(),
            w.seconds,
            rss(w),
            w.msi_bytes as f64 / 1048576.0
        );
        let ratio = |a: f64, b: f64| if b > 0.0 { format!("{:.2}", a / b) } else { "n/a".into() };
        let rss_ratio = match (ours.peak_rss_kib, w.peak_rss_kib) {
            (Some(a), Some(b)) => ratio(a as f64, b as f64),
            _ => "n/a".into(),
        };
        let _ = writeln!(
            s,
            "| ratio ours / wixl | {} | {} | {} |",
            ratio(ours.seconds, w.seconds),
            rss_ratio,
            ratio(ours.msi_bytes as f64, w.msi_bytes as f64)
        );
    }
    s
}

/// Replaces the text between the bench markers (appending them when absent).
fn update_doc(doc: &Path, figures: &str) -> Result<()> {
    let text = std::fs::read_to_string(doc).unwrap_or_else(|_| "# Benchmark\n\n".into());
    let block = format!("{BEGIN}\n{figures}{END}");
    let new = match (text.find(BEGIN), text.find(END)) {
        (Some(a), Some(b)) if a < b => format!("{}{block}{}", &text[..a], &text[b + END.len()..]),
        _ => format!("{}\n{block}\n", text.trim_end()),
    };
    std::fs::write(doc, new).with_context(|| format!("cannot write {}", doc.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_is_deterministic_with_exact_total() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        generate(&a.path().join("p"), 300_000, 30).unwrap();
        generate(&b.path().join("p"), 300_000, 30).unwrap();
        let read = |d: &Path| -> BTreeMap<PathBuf, Vec<u8>> {
            walkdir::WalkDir::new(d)
                .into_iter()
                .map(|e| e.unwrap())
                .filter(|e| e.file_type().is_file())
                .map(|e| (e.path().strip_prefix(d).unwrap().to_path_buf(), std::fs::read(e.path()).unwrap()))
                .collect()
        };
        let (ta, tb) = (read(&a.path().join("p")), read(&b.path().join("p")));
        assert_eq!(ta.len(), 30);
        assert_eq!(ta, tb);
        assert_eq!(ta.values().map(|v| v.len() as u64).sum::<u64>(), 300_000);
        // Second call reuses.
        assert!(generate(&a.path().join("p"), 300_000, 30).unwrap().reused);
    }

    #[test]
    fn update_doc_replaces_between_markers() {
        let t = tempfile::tempdir().unwrap();
        let doc = t.path().join("b.md");
        std::fs::write(&doc, format!("# B\n\nprose\n\n{BEGIN}\nold\n{END}\n\nmore prose\n")).unwrap();
        update_doc(&doc, "new\n").unwrap();
        let text = std::fs::read_to_string(&doc).unwrap();
        assert!(
            text.contains(&format!("{BEGIN}\nnew\n{END}")) && !text.contains("old") && text.ends_with("more prose\n"),
            "{text}"
        );
    }
}
