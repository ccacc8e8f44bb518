//! The compound file (MS-CFB "structured storage") an MSI lives in: written as **version 3**
//! (512-byte sectors), the version msi.dll, WiX and wixl write, and kept under 2 GB.
//!
//! Why version 3: the `msi` crate creates its databases through `cfb::CompoundFile::create`,
//! which writes version 4 (4096-byte sectors). Version 4 is valid MS-CFB, but no Microsoft tool
//! writes MSIs that way, and the product must stay on the path Windows Installer is known to
//! take. `cfb` writes version 3 when asked ([`cfb::CompoundFile::create_with_version`]), and
//! so the database is made by the `msi` crate in memory and its streams are written once into a
//! new version-3 file ([`create_v3_with`]), the cabinets straight into their streams as the
//! copy reaches them. `cfb` 0.16 writes streams in linear time (0.10 re-walked a stream's whole
//! sector chain on every write).
//!
//! Size: MS-CFB 2.9 "Compound File Size Limits": "A 512-byte sector compound file MUST be no
//! greater than 2 GB in size for compatibility reasons." Past 2 GB a compound file also needs
//! the range-lock sector at file offset 0x7FFFFF00 (MS-CFB 2.2, "Range Lock Sector"), which
//! only version-4 files may have and `cfb` does not reserve. The project therefore refuses a
//! package that would reach that offset ([`MAX_V3_BYTES`]): [`SizeGuard`] stops a cabinet as
//! soon as the file would grow past it (before the whole payload is compressed), and
//! [`check_len`] checks the finished file.

use std::io::{self, Cursor, Read, Seek, Write};

/// The largest compound file this project writes: everything below the range-lock sector
/// (MS-CFB 2.2), so the file stays under the 2 GB that MS-CFB 2.9 allows a version-3 file.
pub const MAX_V3_BYTES: u64 = 0x7FFF_FF00;

/// Bytes of a 512-byte-sector compound file per byte of stream data, as a fraction: every
/// 512-byte sector costs a 4-byte FAT entry, and every 127 FAT sectors a DIFAT entry, so the
/// file grows by a little less than 129/128 of what is written.
const OVERHEAD_NUM: u64 = 129;
const OVERHEAD_DEN: u64 = 128;

/// What [`create_v3_with`] does with one stream of the image.
pub enum Copy {
    /// Copy its bytes.
    Bytes,
    /// Leave it out (the caller adds its own).
    Skip,
    /// Let the caller write the content.
    Fill,
}

/// Creates a version-3 compound file in `out` holding every storage and stream of the compound
/// file `image` (any version), with the same CLSIDs; `decide` says for each stream (path and
/// bytes) whether to copy it, leave it out, or have `fill` write it (given the stream, and
/// roughly how long the file is before it, for [`SizeGuard`]). Returns the compound file, not
/// yet flushed, so that the caller can add streams.
///
/// Every stream is written once, into a fresh file: no sector is freed and reused, so no chain
/// runs back into sector 0. Windows and MS-CFB allow that, but osslsigncode (the signing tool)
/// takes a link to sector or mini sector 0 for corruption ("Get corrupted sector location
/// 0x00000000"), and it is what a database rewritten in place by the `msi` crate had.
pub fn create_v3_with<F: Read + Write + Seek>(
    image: Vec<u8>,
    out: F,
    mut decide: impl FnMut(&std::path::Path, &[u8]) -> Copy,
    mut fill: impl FnMut(&[u8], &mut cfb::Stream<F>, u64) -> io::Result<()>,
) -> io::Result<cfb::CompoundFile<F>> {
    let mut base = image.len() as u64;
    let mut src = cfb::CompoundFile::open(Cursor::new(image))?;
    let mut dst = cfb::CompoundFile::create_with_version(cfb::Version::V3, out)?;
    let entries: Vec<_> =
        src.walk().map(|e| (e.path().to_path_buf(), e.is_stream(), *e.clsid(), e.created(), e.modified())).collect();
    for (path, is_stream, clsid, created, modified) in entries {
        if is_stream {
            let mut bytes = Vec::new();
            src.open_stream(&path)?.read_to_end(&mut bytes)?;
            match decide(&path, &bytes) {
                Copy::Skip => {}
                Copy::Bytes => dst.create_stream(&path)?.write_all(&bytes)?,
                Copy::Fill => {
                    let mut w = dst.create_stream(&path)?;
                    fill(&bytes, &mut w, base)?;
                    w.flush()?;
                    base += w.len();
                }
            }
        } else {
            if !dst.exists(&path) {
                dst.create_storage(&path)?;
            }
            dst.set_storage_clsid(&path, clsid)?;
            // `cfb` stamps new storages with the current time; keep the source's instead, so
            // the copy depends only on the source.
            dst.set_created_time(&path, created)?;
            dst.set_modified_time(&path, modified)?;
        }
    }
    Ok(dst)
}

/// The error for a package that would not fit in a version-3 compound file.
fn too_large(bytes: u64, limit: u64) -> io::Error {
    io::Error::other(format!(
        "the MSI would be larger than {limit} bytes (at least {bytes} bytes): a Windows Installer package is a \
         compound file with 512-byte sectors, which must stay under 2 GB (MS-CFB 2.9). Put less payload in this \
         package, or compress it better"
    ))
}

/// Checks the length of a finished compound file against `limit` (normally [`MAX_V3_BYTES`]).
pub fn check_len(len: u64, limit: u64) -> io::Result<()> {
    if len > limit {
        return Err(too_large(len, limit));
    }
    Ok(())
}

/// A writer into a compound-file stream that fails as soon as the file would grow past a
/// limit, so an oversized package is refused while its cabinet is being written, not after.
pub struct SizeGuard<W> {
    inner: W,
    base: u64,
    /// Position in the stream, and the stream's length so far.
    pos: u64,
    len: u64,
    limit: u64,
}

impl<W> SizeGuard<W> {
    /// Guards `inner`, a new stream of a compound file that is `base` bytes long before it.
    pub fn new(inner: W, base: u64, limit: u64) -> Self {
        SizeGuard { inner, base, pos: 0, len: 0, limit }
    }

    /// The guarded writer.
    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// The least the compound file will be once `more` bytes are written at the position.
    fn projected(&self, more: usize) -> u64 {
        let data = self.len.max(self.pos + more as u64);
        self.base + data.div_ceil(OVERHEAD_DEN) * OVERHEAD_NUM
    }
}

impl<W: Write> Write for SizeGuard<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let projected = self.projected(buf.len());
        if projected > self.limit {
            return Err(too_large(projected, self.limit));
        }
        let n = self.inner.write(buf)?;
        self.pos += n as u64;
        self.len = self.len.max(self.pos);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Seek> Seek for SizeGuard<W> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> Vec<u8> {
        let mut c = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        c.set_storage_clsid("/", uuid::Uuid::from_u128(0x000C_1084_0000_0000_C000_0000_0000_0046)).unwrap();
        c.create_stream("small").unwrap().write_all(b"small stream").unwrap();
        c.create_stream("large").unwrap().write_all(&vec![7u8; 70_000]).unwrap();
        c.create_storage("sub").unwrap();
        c.create_stream("sub/inner").unwrap().write_all(b"inner").unwrap();
        c.flush().unwrap();
        c.into_inner().into_inner()
    }

    /// Every stream copied as it is.
    fn create_v3(image: Vec<u8>, out: Cursor<Vec<u8>>) -> io::Result<Cursor<Vec<u8>>> {
        let mut c = create_v3_with(image, out, |_, _| Copy::Bytes, |_, _, _| unreachable!())?;
        c.flush()?;
        Ok(c.into_inner())
    }

    fn read(c: &mut cfb::CompoundFile<Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
        let mut v = Vec::new();
        c.open_stream(name).unwrap().read_to_end(&mut v).unwrap();
        v
    }

    #[test]
    fn create_v3_copies_everything_into_a_version_3_file() {
        let src = image();
        // The source is what `cfb::create` writes: version 4 (the header's major version at
        // offset 26, MS-CFB 2.2).
        assert_eq!(u16::from_le_bytes([src[26], src[27]]), 4);
        let out = create_v3(src, Cursor::new(Vec::new())).unwrap().into_inner();
        // MS-CFB 2.2: major version 3, sector shift 9 (512-byte sectors).
        assert_eq!(u16::from_le_bytes([out[26], out[27]]), 3);
        assert_eq!(u16::from_le_bytes([out[30], out[31]]), 9);
        let mut c = cfb::CompoundFile::open_strict(Cursor::new(out)).unwrap();
        assert_eq!(c.root_entry().clsid().as_u128(), 0x000C_1084_0000_0000_C000_0000_0000_0046);
        assert_eq!(read(&mut c, "small"), b"small stream");
        assert_eq!(read(&mut c, "large"), vec![7u8; 70_000]);
        assert_eq!(read(&mut c, "sub/inner"), b"inner");
    }

    #[test]
    fn create_v3_depends_only_on_its_source() {
        // Storage entries carry times (`cfb` stamps new ones with the clock); the copy takes
        // the source's, so copying the same image later gives the same bytes.
        let src = image();
        let a = create_v3(src.clone(), Cursor::new(Vec::new())).unwrap().into_inner();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let b = create_v3(src, Cursor::new(Vec::new())).unwrap().into_inner();
        assert!(a == b, "two copies of one image differ");
    }

    #[test]
    fn streams_can_be_left_out_or_filled_by_the_caller() {
        let mut c = create_v3_with(
            image(),
            Cursor::new(Vec::new()),
            |path, _| match path.to_str() {
                Some("/small") => Copy::Skip,
                Some("/large") => Copy::Fill,
                _ => Copy::Bytes,
            },
            |old, w, _| w.write_all(&[old.len() as u8; 3]),
        )
        .unwrap();
        c.flush().unwrap();
        let mut c = cfb::CompoundFile::open_strict(Cursor::new(c.into_inner().into_inner())).unwrap();
        assert!(!c.exists("small"));
        assert_eq!(read(&mut c, "large"), vec![(70_000 % 256) as u8; 3]);
        assert_eq!(read(&mut c, "sub/inner"), b"inner");
    }

    /// No FAT or mini FAT entry links to sector 0 (osslsigncode reads such a link as corrupt).
    #[test]
    fn no_chain_runs_into_sector_zero() {
        let mut src = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        // Rewriting streams frees and reuses sectors, as the `msi` crate does with its tables.
        for round in 0..3 {
            for k in 0..20 {
                src.create_stream(format!("s{k}"))
                    .unwrap()
                    .write_all(&vec![k as u8; 100 + round * 700 + k * 37])
                    .unwrap();
            }
        }
        src.flush().unwrap();
        let out = create_v3(src.into_inner().into_inner(), Cursor::new(Vec::new())).unwrap().into_inner();
        // MS-CFB 2.2: the header's FAT sector list (DIFAT, offset 76), the mini FAT start (60).
        let u32_at = |at: usize| u32::from_le_bytes(out[at..at + 4].try_into().unwrap());
        let sector = |id: u32| &out[(id as usize + 1) * 512..(id as usize + 2) * 512];
        let fat_sectors: Vec<u32> = (0..u32_at(44) as usize).map(|k| u32_at(76 + 4 * k)).collect();
        let entries = |s: &[u8]| s.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect::<Vec<_>>();
        let fat: Vec<u32> = fat_sectors.iter().flat_map(|&id| entries(sector(id))).collect();
        assert!(!fat.contains(&0), "a FAT entry links to sector 0");
        let mut minifat = Vec::new();
        let mut s = u32_at(60);
        while s < 0xFFFF_FFFA {
            minifat.extend(entries(sector(s)));
            s = fat[s as usize];
        }
        assert!(!minifat.is_empty());
        assert!(!minifat.contains(&0), "a mini FAT entry links to mini sector 0");
    }

    #[test]
    fn size_guard_refuses_before_the_limit_is_passed() {
        let mut g = SizeGuard::new(Cursor::new(Vec::new()), 10_000, 20_000);
        g.write_all(&[1u8; 9_000]).unwrap();
        // Rewriting what is there does not grow the file.
        g.seek(io::SeekFrom::Start(0)).unwrap();
        g.write_all(&[2u8; 9_000]).unwrap();
        let err = g.write_all(&[1u8; 2_000]).unwrap_err();
        assert!(err.to_string().contains("must stay under 2 GB (MS-CFB 2.9)"), "{err}");
        // Nothing of the refused write reached the stream.
        assert_eq!(g.into_inner().into_inner(), vec![2u8; 9_000]);
    }

    #[test]
    fn check_len_allows_the_limit_and_refuses_past_it() {
        check_len(MAX_V3_BYTES, MAX_V3_BYTES).unwrap();
        assert!(check_len(MAX_V3_BYTES + 1, MAX_V3_BYTES).is_err());
        // The limit is below 2 GB and below the range-lock sector's offset.
        const { assert!(MAX_V3_BYTES < 2 * 1024 * 1024 * 1024 && MAX_V3_BYTES <= 0x7FFF_FF00) };
    }
}
