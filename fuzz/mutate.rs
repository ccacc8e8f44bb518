//! The mutation engine shared by the repository's fuzz tests (`.enc` reader, WiX sources, product config).
//!
//! Stable Rust has no `cargo fuzz` (it needs nightly), so the fuzzers are ordinary tests: a
//! fixed-seed xorshift generator mutates seed inputs for a time budget (`IDM_FUZZ_SECONDS`,
//! default 5 s per target; `IDM_FUZZ_SEED` picks another seed), every input must give a value
//! or an error and never a panic, an abort or unbounded memory. A panicking input is written to
//! `target/fuzz-crashes/<target>-<n>.bin` and fails the test. Results: docs/fuzzing.md.
//! Included with `#[path]` by each fuzz test (one copy of the engine, no extra crate).

#![allow(dead_code)]

use std::time::{Duration, Instant};

/// xorshift64*: small, deterministic, good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Interesting values for length and count fields.
pub const INTERESTING: &[u64] = &[
    0,
    1,
    7,
    8,
    127,
    128,
    255,
    256,
    0x7fff,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0xffff_ffff,
    1 << 32,
    1 << 36,
    1 << 40,
    u64::MAX,
];

/// One random mutation of `data`: bit flip, byte set, interesting little-endian value,
/// insert, delete, duplicate a chunk, splice a dictionary token, truncate or extend.
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, dictionary: &[&[u8]]) {
    let len = data.len();
    match rng.below(9) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = rng.next() as u8;
        }
        2 if len >= 8 => {
            let width = [1usize, 2, 4, 8][rng.below(4)];
            let i = rng.below(len - width + 1);
            let v = INTERESTING[rng.below(INTERESTING.len())].to_le_bytes();
            data[i..i + width].copy_from_slice(&v[..width]);
        }
        3 => {
            let i = rng.below(len + 1);
            let n = 1 + rng.below(16);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            data.splice(i..i, bytes);
        }
        4 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(64));
            data.drain(i..i + n);
        }
        5 if len > 0 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(256));
            let chunk = data[i..i + n].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, chunk);
        }
        6 if !dictionary.is_empty() => {
            let token = dictionary[rng.below(dictionary.len())];
            let i = rng.below(len + 1);
            data.splice(i..i, token.iter().copied());
        }
        7 if len > 0 => data.truncate(rng.below(len)),
        _ => {
            let n = 1 + rng.below(64);
            data.extend((0..n).map(|_| rng.next() as u8));
        }
    }
}

/// The budget and seed of a fuzz run, from the environment.
pub fn budget() -> (Duration, u64) {
    let secs = std::env::var("IDM_FUZZ_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5.0);
    let seed = std::env::var("IDM_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x1D4_5EED);
    (Duration::from_secs_f64(secs), seed)
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in KiB; 0 elsewhere.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs `target` on mutations of `seeds` until the budget is spent; each input gets 1-8
/// stacked mutations of a random seed. Panics (after saving the input) when `target` panics.
/// Returns the number of inputs tried.
pub fn run(name: &str, seeds: &[Vec<u8>], dictionary: &[&[u8]], mut target: impl FnMut(&[u8])) -> u64 {
    let (budget, seed) = budget();
    let mut rng = Rng::new(seed);
    let start = Instant::now();
    let mut tried = 0u64;
    // Quiet the default hook: a caught panic is reported once, with the input saved.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    while start.elapsed() < budget {
        let mut input = seeds[rng.below(seeds.len())].clone();
        for _ in 0..1 + rng.below(8) {
            mutate(&mut rng, &mut input, dictionary);
        }
        tried += 1;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target(&input)));
        if let Err(panic) = result {
            std::panic::set_hook(hook);
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-crashes");
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{name}-{tried}.bin"));
            let _ = std::fs::write(&file, &input);
            let what =
                panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            panic!("fuzz {name}: input {tried} (seed {seed}) panicked: {what:?}; saved to {}", file.display());
        }
    }
    std::panic::set_hook(hook);
    println!(
        "fuzz {name}: {tried} inputs in {:.1} s (seed {seed}), 0 crashes, peak RSS {} MiB",
        start.elapsed().as_secs_f64(),
        peak_rss_kib() / 1024
    );
    tried
}
