//! MSZIP cabinets for the MSI's embedded media.
//!
//! Written by hand (MS-CAB format) rather than with the `cab` crate's `CabinetBuilder`,
//! because that builder hard-codes the slowest deflate level and compresses on one thread:
//! 180 MB of mixed payload took about 7x as long as `wixl`. Here each 32 KiB data block is an
//! independent MSZIP block ("CK" + a complete deflate stream, as gcab writes them) compressed at
//! the default level, and batches of blocks are compressed on all cores while a reader thread
//! reads (and hashes) the next ones and this thread writes the finished ones in order. The `cab` crate is
//! still the independent reader in the tests (and msitools' `msiextract` in the MSI tests).
//!
//! Files are streamed from disk into the output, so memory does not grow with the payload
//! (a bounded number of 512 KiB batches in flight). Every file is stamped with the same fixed time (the
//! build's `SOURCE_DATE_EPOCH`), so the same payload gives byte-identical cabinets. One cabinet
//! holds one folder of at most 65,535 data blocks (2 GiB uncompressed) and 65,535 files; the
//! linker splits the payload before it gets there.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{mpsc, Mutex};

/// Largest number of files the linker puts in one cabinet (the CAB format's limit is 65,535).
pub const MAX_FILES_PER_CABINET: usize = 65_000;

/// Uncompressed size of a CFDATA block (MS-CAB: at most 32 KiB).
const BLOCK: usize = 32 * 1024;

/// Blocks read, compressed and handed back together (512 KiB of payload).
const BLOCKS_PER_BATCH: usize = 16;

/// A batch of blocks for a compression worker, and where its result goes.
struct Job {
    blocks: Vec<Vec<u8>>,
    done: mpsc::SyncSender<Compressed>,
}

/// A batch's blocks as (CFDATA header, MSZIP data).
type Compressed = io::Result<Vec<([u8; 8], Vec<u8>)>>;

/// One file to put in a cabinet.
#[derive(Debug, Clone)]
pub struct CabEntry {
    /// Name inside the cabinet (the `File` table key).
    pub name: String,
    /// Where the bytes come from.
    pub source: PathBuf,
    /// Expected size (checked while copying: a file that changed during the build is an error).
    pub size: u64,
}

/// Writes a cabinet holding `entries` (in order) to `out`, MSZIP-compressed unless `compress`
/// is false, every file dated `epoch` (seconds since 1970, UTC). Returns the SHA-256 of the
/// names and contents, which the package code is derived from.
pub fn write_cabinet<W: Write + Seek>(
    entries: &[CabEntry],
    mut out: W,
    compress: bool,
    epoch: u64,
) -> io::Result<(W, [u8; 32])> {
    if entries.len() > 65_535 {
        return Err(io::Error::other(format!("{} files in one cabinet (at most 65,535)", entries.len())));
    }
    let total: u64 = entries.iter().map(|e| e.size).sum();
    let nblocks = total.div_ceil(BLOCK as u64);
    if nblocks > 65_535 || total > u32::MAX as u64 {
        return Err(io::Error::other(format!("{total} bytes in one cabinet folder (at most 65,535 blocks of 32 KiB)")));
    }
    let (date, time) = dos_datetime(epoch);
    // CFHEADER (36 bytes), one CFFOLDER (8 bytes), the CFFILEs, then the CFDATA blocks.
    let files_offset = 36 + 8;
    let files_len: usize = entries.iter().map(|e| 16 + e.name.len() + 1).sum();
    let data_offset = files_offset + files_len;
    let start = out.stream_position()?;
    let mut head = Vec::with_capacity(data_offset);
    head.extend_from_slice(b"MSCF");
    head.extend_from_slice(&0u32.to_le_bytes()); // reserved1
    head.extend_from_slice(&0u32.to_le_bytes()); // cbCabinet, patched at the end
    head.extend_from_slice(&0u32.to_le_bytes()); // reserved2
    head.extend_from_slice(&(files_offset as u32).to_le_bytes()); // coffFiles
    head.extend_from_slice(&0u32.to_le_bytes()); // reserved3
    head.extend_from_slice(&[3, 1]); // versionMinor, versionMajor
    head.extend_from_slice(&1u16.to_le_bytes()); // cFolders
    head.extend_from_slice(&(entries.len() as u16).to_le_bytes()); // cFiles
    head.extend_from_slice(&0u16.to_le_bytes()); // flags
    head.extend_from_slice(&0u16.to_le_bytes()); // setID
    head.extend_from_slice(&0u16.to_le_bytes()); // iCabinet
    head.extend_from_slice(&(data_offset as u32).to_le_bytes()); // CFFOLDER.coffCabStart
    head.extend_from_slice(&(nblocks as u16).to_le_bytes()); // cCFData
    head.extend_from_slice(&(if compress { 1u16 } else { 0 }).to_le_bytes()); // typeCompress: MSZIP / none
    let mut offset = 0u32;
    for e in entries {
        let is_ascii = e.name.is_ascii();
        head.extend_from_slice(&(e.size as u32).to_le_bytes()); // cbFile
        head.extend_from_slice(&offset.to_le_bytes()); // uoffFolderStart
        head.extend_from_slice(&0u16.to_le_bytes()); // iFolder
        head.extend_from_slice(&date.to_le_bytes());
        head.extend_from_slice(&time.to_le_bytes());
        // _A_ARCH (0x20), plus _A_NAME_IS_UTF (0x80) for non-ASCII names.
        head.extend_from_slice(&(0x20u16 | if is_ascii { 0 } else { 0x80 }).to_le_bytes());
        head.extend_from_slice(e.name.as_bytes());
        head.push(0);
        offset += e.size as u32;
    }
    debug_assert_eq!(head.len(), data_offset);
    out.write_all(&head)?;

    // A pipeline, so that reading (and hashing), compressing and writing overlap: a reader
    // thread cuts the payload into batches of blocks and hands each to the compression
    // workers, and the writer (this thread) takes the results back in reading order. Both
    // queues are bounded, so memory stays flat whatever the payload size, and the bytes depend
    // only on the input, never on the thread count or timing (each block is compressed alone).
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let in_flight = threads * 2 + 2;
    let (work_tx, work_rx) = mpsc::sync_channel::<Job>(in_flight);
    let (order_tx, order_rx) = mpsc::sync_channel::<mpsc::Receiver<Compressed>>(in_flight);
    let work_rx = Mutex::new(work_rx);
    let mut written_blocks = 0u64;
    let hasher = std::thread::scope(|s| -> io::Result<Sha256> {
        let reader = s.spawn(move || -> io::Result<Sha256> {
            let mut reader = Concat { entries, index: 0, file: None, read: 0, hasher: Sha256::new() };
            loop {
                let mut batch: Vec<Vec<u8>> = Vec::with_capacity(BLOCKS_PER_BATCH);
                while batch.len() < BLOCKS_PER_BATCH {
                    let mut b = vec![0u8; BLOCK];
                    let n = reader.fill(&mut b)?;
                    if n == 0 {
                        break;
                    }
                    b.truncate(n);
                    batch.push(b);
                }
                if batch.is_empty() {
                    break;
                }
                let (done_tx, done_rx) = mpsc::sync_channel(1);
                // A closed queue means the writer stopped (its error is the one reported).
                if order_tx.send(done_rx).is_err() {
                    return Ok(reader.hasher);
                }
                if compress {
                    if work_tx.send(Job { blocks: batch, done: done_tx }).is_err() {
                        return Ok(reader.hasher);
                    }
                } else {
                    let _ = done_tx.send(Ok(batch.into_iter().map(|b| (cfdata_header(b.len(), &b), b)).collect()));
                }
            }
            reader.finish()?;
            Ok(reader.hasher)
        });
        if compress {
            for _ in 0..threads {
                let work_rx = &work_rx;
                s.spawn(move || {
                    let mut c = flate2::Compress::new(flate2::Compression::default(), false);
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match work_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let out = job
                            .blocks
                            .iter()
                            .map(|b| mszip_block(&mut c, b).map(|d| (cfdata_header(b.len(), &d), d)))
                            .collect::<io::Result<Vec<_>>>();
                        let _ = job.done.send(out);
                    }
                });
            }
        }
        let written = (|| -> io::Result<()> {
            for done in &order_rx {
                let blocks = done.recv().map_err(|_| io::Error::other("compression thread stopped"))??;
                for (cfdata, data) in &blocks {
                    out.write_all(cfdata)?;
                    out.write_all(data)?;
                    written_blocks += 1;
                }
            }
            Ok(())
        })();
        // Stops the reader (and through it the workers) if the writer failed early.
        drop(order_rx);
        let read = reader.join().unwrap_or_else(|_| Err(io::Error::other("cabinet reader thread panicked")));
        written?;
        read
    })?;
    debug_assert_eq!(written_blocks, nblocks);
    let end = out.stream_position()?;
    let size = end - start;
    if size > u32::MAX as u64 {
        return Err(io::Error::other(format!("cabinet is {size} bytes (at most 4 GiB)")));
    }
    out.seek(SeekFrom::Start(start + 8))?;
    out.write_all(&(size as u32).to_le_bytes())?;
    out.seek(SeekFrom::Start(end))?;
    Ok((out, hasher.finalize().into()))
}

/// The files of a cabinet read as one stream (a CAB folder is the concatenation of its files),
/// hashed (name, content, size) on the way and checked against the expected sizes.
struct Concat<'a> {
    entries: &'a [CabEntry],
    index: usize,
    file: Option<File>,
    read: u64,
    hasher: Sha256,
}

impl Concat<'_> {
    /// Fills `buf` as far as possible; returns the bytes read (0 at the end).
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            if self.file.is_none() {
                let Some(e) = self.entries.get(self.index) else { break };
                self.hasher.update((e.name.len() as u64).to_le_bytes());
                self.hasher.update(e.name.as_bytes());
                self.file = Some(File::open(&e.source).map_err(|err| annotate(e, err))?);
                self.read = 0;
            }
            let e = &self.entries[self.index];
            let k = self.file.as_mut().expect("opened above").read(&mut buf[n..]).map_err(|err| annotate(e, err))?;
            if k == 0 || self.read + k as u64 > e.size {
                let got = self.read + k as u64;
                if got != e.size {
                    return Err(changed(e, got));
                }
                self.hasher.update(got.to_le_bytes());
                self.file = None;
                self.index += 1;
                continue;
            }
            self.hasher.update(&buf[n..n + k]);
            self.read += k as u64;
            n += k;
        }
        Ok(n)
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut probe = [0u8; 1];
        if self.fill(&mut probe)? != 0 || self.index != self.entries.len() {
            let e = &self.entries[self.index.min(self.entries.len() - 1)];
            return Err(changed(e, e.size + 1));
        }
        Ok(())
    }
}

fn changed(e: &CabEntry, got: u64) -> io::Error {
    io::Error::other(format!(
        "{} changed during the build ({} bytes expected, {}{got} read)",
        e.source.display(),
        e.size,
        if got > e.size { "at least " } else { "" }
    ))
}

fn annotate(e: &CabEntry, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", e.source.display()))
}

/// One MSZIP block: "CK" + a complete raw deflate stream of `data` (default level), or a
/// single stored deflate block when compression does not help.
fn mszip_block(c: &mut flate2::Compress, data: &[u8]) -> io::Result<Vec<u8>> {
    c.reset();
    let mut out = Vec::with_capacity(data.len() + 64);
    out.extend_from_slice(b"CK");
    loop {
        let before = c.total_in() as usize;
        let st = c
            .compress_vec(&data[before..], &mut out, flate2::FlushCompress::Finish)
            .map_err(|e| io::Error::other(format!("MSZIP compression failed: {e}")))?;
        if st == flate2::Status::StreamEnd {
            break;
        }
        out.reserve(4096);
    }
    // MS-CAB allows at most 32 KiB + 6144 bytes of compressed data per block; a stored block
    // (BFINAL=1, BTYPE=00, LEN, NLEN, data) is never larger than the input + 7.
    if out.len() > data.len() + 7 {
        out.clear();
        out.extend_from_slice(b"CK");
        out.push(1);
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(&(!(data.len() as u16)).to_le_bytes());
        out.extend_from_slice(data);
    }
    Ok(out)
}

/// The 8-byte CFDATA header (checksum, compressed and uncompressed sizes) of one block.
fn cfdata_header(raw_len: usize, data: &[u8]) -> [u8; 8] {
    let sum = checksum(data) ^ (data.len() as u32 | ((raw_len as u32) << 16));
    let mut h = [0u8; 8];
    h[..4].copy_from_slice(&sum.to_le_bytes());
    h[4..6].copy_from_slice(&(data.len() as u16).to_le_bytes());
    h[6..].copy_from_slice(&(raw_len as u16).to_le_bytes());
    h
}

/// The CFDATA checksum (MS-CAB 2.1.4: XOR of the little-endian 32-bit words, the last 1-3
/// bytes folded most-significant first).
fn checksum(data: &[u8]) -> u32 {
    let mut sum = 0u32;
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        sum ^= u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
    }
    let mut tail = 0u32;
    for &b in words.remainder() {
        tail = (tail << 8) | b as u32;
    }
    sum ^ tail
}

/// MS-DOS date and time for `epoch` (UTC), clamped to 1980..2107, seconds rounded down to even.
fn dos_datetime(epoch: u64) -> (u16, u16) {
    let t = time::OffsetDateTime::from_unix_timestamp(epoch.min(4_354_819_199) as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .max(time::macros::datetime!(1980-01-01 0:00 UTC));
    let date = ((t.year() as u16 - 1980) << 9) | ((u8::from(t.month()) as u16) << 5) | t.day() as u16;
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    (date, time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn round_trip_with_fixed_times() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let b = dir.path().join("b.bin");
        std::fs::write(&a, b"hello cabinet\n".repeat(1000)).unwrap();
        std::fs::write(&b, (0..100_000u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<_>>()).unwrap();
        let entries = vec![
            CabEntry { name: "fileA".into(), source: a.clone(), size: 14_000 },
            CabEntry { name: "fileB".into(), source: b.clone(), size: 100_000 },
        ];
        let (c1, h1) = write_cabinet(&entries, Cursor::new(Vec::new()), true, 1_700_000_000).unwrap();
        let (c2, h2) = write_cabinet(&entries, Cursor::new(Vec::new()), true, 1_700_000_000).unwrap();
        assert_eq!(c1.get_ref(), c2.get_ref(), "same input, same bytes");
        assert_eq!(h1, h2);
        let mut cabinet = cab::Cabinet::new(Cursor::new(c1.into_inner())).unwrap();
        let names: Vec<String> =
            cabinet.folder_entries().flat_map(|f| f.file_entries().map(|e| e.name().to_string())).collect();
        assert_eq!(names, ["fileA", "fileB"]);
        let dt = cabinet.get_file_entry("fileA").unwrap().datetime().unwrap();
        assert_eq!(dt.year(), 2023);
        let mut out = Vec::new();
        cabinet.read_file("fileB").unwrap().read_to_end(&mut out).unwrap();
        assert_eq!(out, std::fs::read(&b).unwrap());
    }

    #[test]
    fn empty_and_incompressible_files() {
        let dir = tempfile::tempdir().unwrap();
        let e = dir.path().join("empty");
        let r = dir.path().join("random");
        std::fs::write(&e, b"").unwrap();
        // Incompressible bytes (xorshift), over several blocks and a partial last one.
        let mut x = 0x1234_5678_9abc_def0u64;
        let random: Vec<u8> = (0..200_001)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        std::fs::write(&r, &random).unwrap();
        let entries = vec![
            CabEntry { name: "empty".into(), source: e, size: 0 },
            CabEntry { name: "random".into(), source: r, size: 200_001 },
        ];
        let (c, _) = write_cabinet(&entries, Cursor::new(Vec::new()), true, 0).unwrap();
        let bytes = c.into_inner();
        assert!(bytes.len() < 200_001 + 7 * 8 + 200, "stored blocks bound the size: {}", bytes.len());
        let mut cabinet = cab::Cabinet::new(Cursor::new(bytes)).unwrap();
        let mut out = Vec::new();
        cabinet.read_file("random").unwrap().read_to_end(&mut out).unwrap();
        assert!(out == random);
        out.clear();
        cabinet.read_file("empty").unwrap().read_to_end(&mut out).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn checksum_matches_the_spec_example() {
        // The cab crate's own test vector for the MS-CAB checksum.
        assert_eq!(checksum(b"\x0e\0\x0e\0Hello, world!\n"), 0x7f2e1a4c);
    }

    #[test]
    fn size_change_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        std::fs::write(&a, b"12345").unwrap();
        let entries = vec![CabEntry { name: "a".into(), source: a, size: 4 }];
        let err = write_cabinet(&entries, Cursor::new(Vec::new()), true, 0).unwrap_err();
        assert!(err.to_string().contains("changed during the build"), "{err}");
    }
}
