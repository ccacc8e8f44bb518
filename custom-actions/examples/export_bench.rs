//! Benchmark: export a 50 MiB configuration tree with the default KDF parameters and print the wall time (target: under 3 s on 2 cores).
//!
//! Run: `cargo run --release -p custom-actions --example export_bench`. The tree mixes
//! compressible XML/properties text (about 60 %) with random data standing in for keystores and
//! archives (about 40 %), in 1 KiB to 8 MiB files over nested folders.

use std::fs;
use std::path::Path;
use std::time::Instant;

use custom_actions::enc::{self, ExportMeta, KdfParams};

const TOTAL: usize = 50 * 1024 * 1024;

/// xorshift64*: fast, reproducible filler; not for anything secret.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// Configuration-like text: repeated structure with varying names and values.
fn text(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 128);
    let mut i = 0u64;
    while out.len() < len {
        let v = rng.next();
        out.extend_from_slice(
            format!(
                "  <property name=\"connector.directory.sync.attribute{}\" value=\"{:016x}\" enabled=\"{}\"/>\n",
                i % 97,
                v & 0xffff_ffff,
                v % 2 == 0
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.truncate(len);
    out
}

fn build_tree(root: &Path) -> (usize, usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut total, mut files) = (0usize, 0usize);
    // Sizes cycle through small, medium and large files.
    let sizes = [1 << 10, 6 << 10, 40 << 10, 300 << 10, 2 << 20, 8 << 20];
    while total < TOTAL {
        let size = sizes[files % sizes.len()].min(TOTAL - total);
        let random = files % 5 < 2; // two in five files are incompressible
        let dir = root.join(format!("conf/module{}/sub{}", files % 7, files % 3));
        fs::create_dir_all(&dir).unwrap();
        let data = if random {
            let mut b = vec![0u8; size];
            rng.fill(&mut b);
            b
        } else {
            text(&mut rng, size)
        };
        let ext = if random { "bin" } else { "xml" };
        fs::write(dir.join(format!("file{files}.{ext}")), data).unwrap();
        total += size;
        files += 1;
    }
    (total, files)
}

fn main() {
    let src = tempfile::tempdir().expect("temp dir");
    let out = tempfile::tempdir().expect("temp dir");
    let (bytes, files) = build_tree(src.path());
    println!("tree: {files} files, {:.1} MiB", bytes as f64 / (1024.0 * 1024.0));

    let meta = ExportMeta {
        cluster: "bench".into(),
        host: "node1".into(),
        domain: "corp.example.com".into(),
        source_version: "3.3.7.0".into(),
        created: time::OffsetDateTime::now_utc(),
    };
    let password = "benchmark password";
    let params = KdfParams::DEFAULT;

    let start = Instant::now();
    let pkg = enc::export(src.path(), &[], &meta, password, out.path(), params).expect("export");
    let export_s = start.elapsed().as_secs_f64();
    let size = fs::metadata(&pkg).unwrap().len();

    let start = Instant::now();
    enc::verify(&pkg, password, &enc::ReadLimits::DEFAULT).expect("verify");
    let verify_s = start.elapsed().as_secs_f64();

    println!(
        "export (collect, zip, encrypt, write, fsync, decrypt again and compare, rename) with Argon2id m = {} KiB, t = {}, p = {}: {export_s:.2} s",
        params.m_kib, params.t, params.p
    );
    println!("package: {:.1} MiB", size as f64 / (1024.0 * 1024.0));
    println!("verify alone (one KDF, decrypt, every SHA-256): {verify_s:.2} s");
    // The fixed cost: a one-file export runs the KDF twice (encrypt, then verify).
    let tiny_src = tempfile::tempdir().expect("temp dir");
    fs::write(tiny_src.path().join("a.xml"), b"<a/>").unwrap();
    let tiny_out = tempfile::tempdir().expect("temp dir");
    let start = Instant::now();
    enc::export(tiny_src.path(), &[], &meta, password, tiny_out.path(), params).expect("export");
    println!("export of a 4-byte file (two Argon2id runs): {:.2} s", start.elapsed().as_secs_f64());
    println!("target: export under 3 s -> {}", if export_s < 3.0 { "met" } else { "NOT met" });
}
