//! Issue 14 finding 9: no copy of plaintext or of the password is freed unwiped by export, verify or decrypt.
//!
//! A global allocator scans every block when it is freed for a marker that appears only in the
//! configuration files and the password; a hit is a copy that was never wiped. The files are
//! incompressible (stored, not deflated: the deflate window of the `zip` crate is a documented
//! limit, docs/enc-format.md "Secrets"), with long paths and many entries so that the zip buffer
//! outgrows its estimate. The password goes through the tool's stream reader.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use custom_actions::enc::{self, ExportMeta, KdfParams, ReadLimits};
use zeroize::Zeroizing;

const MARKER: &[u8; 16] = b"\x01w14-wipe-MARK~\x02";

static ARMED: AtomicBool = AtomicBool::new(false);
static HITS: AtomicUsize = AtomicUsize::new(0);
static SCANNED: AtomicUsize = AtomicUsize::new(0);

struct Scanning;

unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::Relaxed) && layout.size() >= MARKER.len() {
            // SAFETY: the block is still allocated and `layout.size()` bytes long; it may hold
            // uninitialised bytes, which are only compared.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            SCANNED.fetch_add(layout.size(), Ordering::Relaxed);
            let mut at = 0;
            while let Some(p) = block[at..].iter().position(|&b| b == MARKER[0]) {
                at += p;
                if block.len() - at < MARKER.len() {
                    break;
                }
                if &block[at..at + MARKER.len()] == MARKER {
                    HITS.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                at += 1;
            }
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Scanning = Scanning;

/// Runs `f` with the scan armed and returns how many freed blocks held the marker.
fn hits<T>(f: impl FnOnce() -> T) -> (T, usize) {
    HITS.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    let out = f();
    ARMED.store(false, Ordering::SeqCst);
    (out, HITS.load(Ordering::SeqCst))
}

#[test]
fn plaintext_and_password_copies_are_wiped() {
    let src = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    // 100 files of 65 KiB of random bytes with the marker every 4 KiB, under ~1000-byte paths.
    let deep = ["d".repeat(250), "e".repeat(250), "f".repeat(250)].join("/");
    for i in 0..100 {
        let mut data = Zeroizing::new(vec![0u8; 65 * 1024]);
        getrandom::getrandom(&mut data[..]).unwrap();
        for at in (0..data.len() - MARKER.len()).step_by(4096) {
            data[at..at + MARKER.len()].copy_from_slice(MARKER);
        }
        let path = src.path().join(&deep).join(format!("{i:03}-{}.bin", "g".repeat(230)));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, &data[..]).unwrap();
    }
    let meta = ExportMeta {
        cluster: "c".into(),
        host: "h".into(),
        domain: "d".into(),
        source_version: "1".into(),
        created: time::OffsetDateTime::now_utc(),
    };
    let mut typed = Zeroizing::new(b"password ".to_vec());
    typed.extend_from_slice(MARKER);
    // Long enough that a growing buffer would reallocate (and leave a copy) on the way.
    typed.extend_from_slice(&[b'p'; 200]);
    typed.extend_from_slice(b"\n");
    let params = KdfParams { m_kib: 64, t: 1, p: 1 };
    let limits = ReadLimits { allow_weak: true, ..ReadLimits::DEFAULT };

    let (password, n) = hits(|| {
        // One byte at a time, as a pipe may deliver it.
        struct Trickle<'a>(&'a [u8]);
        impl std::io::Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let Some((&b, rest)) = self.0.split_first() else { return Ok(0) };
                buf[0] = b;
                self.0 = rest;
                Ok(1)
            }
        }
        enc::read_password(&mut Trickle(&typed)).unwrap()
    });
    assert_eq!(n, 0, "reading the password left {n} unwiped copies");
    assert!(password.as_bytes().windows(MARKER.len()).any(|w| w == MARKER));

    let (pkg, n) = hits(|| enc::export(src.path(), &[], &meta, &password, out.path(), params).unwrap());
    assert_eq!(n, 0, "export left {n} unwiped blocks with plaintext or the password");
    let (_, n) = hits(|| enc::verify(&pkg, &password, &limits).unwrap());
    assert_eq!(n, 0, "verify left {n} unwiped blocks");
    let dec: PathBuf = out.path().join("dec");
    let (_, n) = hits(|| enc::decrypt(&pkg, &password, &dec, &limits).unwrap());
    assert_eq!(n, 0, "decrypt left {n} unwiped blocks");
    assert!(SCANNED.load(Ordering::SeqCst) > 2 << 20, "the scan saw the buffers");
}
