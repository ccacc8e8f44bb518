//! A growable in-memory buffer for plaintext whose every allocation is wiped when it is left: the zip is built in it.
//!
//! `Vec` growth copies the contents to a new allocation and frees the old one as it is, which
//! left unwiped copies of the configuration in freed memory whenever the up-front estimate was
//! short (long paths, many files: issue 14 finding 9). Here growth is explicit: a new
//! zeroizing allocation, a copy, and the old one wiped on drop. Hand-written because
//! `zeroize` offers no growable container and `std::io::Cursor<Vec<u8>>` grows the plain way.

use std::io::{self, Seek, SeekFrom, Write};

use zeroize::Zeroizing;

/// A `Write + Seek` buffer (like `Cursor<Vec<u8>>`) that never leaves an unwiped copy.
pub(crate) struct WipingBuf {
    buf: Zeroizing<Vec<u8>>,
    pos: usize,
}

impl WipingBuf {
    /// An empty buffer with room for `capacity` bytes (reserved fallibly).
    pub(crate) fn with_capacity(capacity: usize) -> io::Result<WipingBuf> {
        let mut buf = Zeroizing::new(Vec::new());
        buf.try_reserve_exact(capacity).map_err(|_| io::ErrorKind::OutOfMemory)?;
        Ok(WipingBuf { buf, pos: 0 })
    }

    /// The contents.
    pub(crate) fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.buf
    }

    /// Makes room for `need` bytes in total without a `Vec` reallocation.
    fn ensure(&mut self, need: usize) -> io::Result<()> {
        if need <= self.buf.capacity() {
            return Ok(());
        }
        let capacity = need.max(self.buf.capacity().saturating_mul(2));
        let mut bigger = Zeroizing::new(Vec::new());
        bigger.try_reserve_exact(capacity).map_err(|_| io::ErrorKind::OutOfMemory)?;
        bigger.extend_from_slice(&self.buf);
        // The old allocation is wiped here, as it is dropped.
        self.buf = bigger;
        Ok(())
    }
}

impl Write for WipingBuf {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let end = self.pos.checked_add(data.len()).ok_or(io::ErrorKind::OutOfMemory)?;
        self.ensure(end)?;
        if self.pos > self.buf.len() {
            self.buf.resize(self.pos, 0);
        }
        let overlap = (self.buf.len() - self.pos).min(data.len());
        self.buf[self.pos..self.pos + overlap].copy_from_slice(&data[..overlap]);
        self.buf.extend_from_slice(&data[overlap..]);
        self.pos = end;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for WipingBuf {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let base = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => (self.buf.len() as u64).checked_add_signed(d),
            SeekFrom::Current(d) => (self.pos as u64).checked_add_signed(d),
        };
        let pos = base.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.pos = usize::try_from(pos).map_err(|_| io::ErrorKind::InvalidInput)?;
        Ok(pos)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    /// Behaves like `Cursor<Vec<u8>>` for the writes and seeks a zip writer makes.
    #[test]
    fn same_bytes_as_a_cursor() {
        let mut a = WipingBuf::with_capacity(4).unwrap();
        let mut b = Cursor::new(Vec::new());
        for w in [&mut a as &mut dyn WriteSeek, &mut b] {
            w.write_all(b"hello world").unwrap();
            w.seek(SeekFrom::Start(2)).unwrap();
            w.write_all(b"XY").unwrap();
            w.seek(SeekFrom::End(3)).unwrap();
            w.write_all(b"!").unwrap();
            w.seek(SeekFrom::Current(-1)).unwrap();
            w.write_all(b"?tail").unwrap();
        }
        assert_eq!(&a.into_inner()[..], &b.into_inner()[..]);
    }

    trait WriteSeek: Write + Seek {}
    impl<T: Write + Seek> WriteSeek for T {}
}
