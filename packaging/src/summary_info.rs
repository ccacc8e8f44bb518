//! The summary information stream of an MSI (`\u{5}SummaryInformation`): an OLE property set
//! (MS-OLEPS 2.21 "PropertySetStream", one section with FMTID_SummaryInformation) holding the
//! properties the MSI SDK lists under "Summary Information Stream Property Set".
//!
//! Why by hand: the `msi` crate's `SummaryInfo` writes its own selection and order of
//! properties, and this one must be byte-for-byte what the package code (a hash over the
//! package, see `wix::writer`) was computed from; the format is small and fixed.

use crate::codepage::encode;

/// Name of the summary information stream in the compound file.
pub const STREAM_NAME: &str = "\u{5}SummaryInformation";

/// Word Count bits (MSI SDK "Word Count Summary", PID_WORDCOUNT).
pub mod word_count {
    /// Bit 1 (value 2): the source files are compressed (in cabinets).
    pub const COMPRESSED: i32 = 2;
    /// Bit 3 (value 8): elevated privileges are not required (per-user, no UAC prompt).
    pub const NO_ELEVATION: i32 = 8;
}

/// The summary information of a package; every text is encoded in its `codepage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryInformation {
    /// PID_TITLE: "Installation Database" for an installer.
    pub title: String,
    /// PID_SUBJECT: the product name or the package description.
    pub subject: String,
    /// PID_AUTHOR: the manufacturer.
    pub author: String,
    /// PID_KEYWORDS.
    pub keywords: String,
    /// PID_COMMENTS.
    pub comments: String,
    /// PID_TEMPLATE: `platform;languages`, e.g. `x64;1033`.
    pub template: String,
    /// PID_REVNUMBER: the package code, a braced GUID.
    pub revision_number: String,
    /// PID_CREATE_DTM and PID_LASTSAVE_DTM, as a Unix time.
    pub time: u64,
    /// PID_PAGECOUNT: the minimum Windows Installer version times 100.
    pub page_count: i32,
    /// PID_WORDCOUNT: the [`word_count`] bits.
    pub word_count: i32,
    /// PID_APPNAME: the creating application.
    pub creating_application: String,
    /// PID_SECURITY: 0 none, 2 read-only recommended, 4 read-only enforced.
    pub security: i32,
    /// PID_CODEPAGE: the code page of the texts (1252 unless `Package/@SummaryCodepage`).
    pub codepage: i32,
}

/// A property value (MS-OLEPS 2.15 "TypedPropertyValue").
enum V {
    I2(i16),
    I4(i32),
    Str(Vec<u8>),
    Time(u64),
}

/// A FILETIME (100 ns since 1601-01-01) for a Unix time.
fn filetime(epoch: u64) -> u64 {
    (epoch + 11_644_473_600) * 10_000_000
}

impl SummaryInformation {
    /// The stream's bytes; the error names a field that has characters outside the code page.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let s = |field: &str, v: &str| {
            encode(self.codepage, v).map(V::Str).ok_or_else(|| {
                format!("{field} {v:?} has characters outside code page {} (Package/@SummaryCodepage)", self.codepage)
            })
        };
        let props: Vec<(u32, V)> = vec![
            (1, V::I2(self.codepage as i16)), // PID_CODEPAGE
            (2, s("title", &self.title)?),
            (3, s("subject", &self.subject)?),
            (4, s("author", &self.author)?),
            (5, s("keywords", &self.keywords)?),
            (6, s("comments", &self.comments)?),
            (7, s("template", &self.template)?),
            (9, s("package code", &self.revision_number)?),
            (12, V::Time(filetime(self.time))),
            (13, V::Time(filetime(self.time))),
            (14, V::I4(self.page_count)),
            (15, V::I4(self.word_count)),
            (18, s("creating application", &self.creating_application)?),
            (19, V::I4(self.security)),
        ];
        let mut body: Vec<u8> = Vec::new();
        let mut index: Vec<(u32, u32)> = Vec::new();
        let header_len = 8 + 8 * props.len() as u32;
        for (id, v) in &props {
            index.push((*id, header_len + body.len() as u32));
            match v {
                V::I2(x) => {
                    body.extend_from_slice(&2u32.to_le_bytes()); // VT_I2, padded to 4 bytes
                    body.extend_from_slice(&x.to_le_bytes());
                    body.extend_from_slice(&[0, 0]);
                }
                V::I4(x) => {
                    body.extend_from_slice(&3u32.to_le_bytes()); // VT_I4
                    body.extend_from_slice(&x.to_le_bytes());
                }
                V::Str(b) => {
                    body.extend_from_slice(&30u32.to_le_bytes()); // VT_LPSTR: length with the NUL
                    body.extend_from_slice(&(b.len() as u32 + 1).to_le_bytes());
                    body.extend_from_slice(b);
                    body.push(0);
                    while body.len() % 4 != 0 {
                        body.push(0);
                    }
                }
                V::Time(t) => {
                    body.extend_from_slice(&64u32.to_le_bytes()); // VT_FILETIME
                    body.extend_from_slice(&t.to_le_bytes());
                }
            }
        }
        let mut out = Vec::new();
        out.extend_from_slice(&0xFFFEu16.to_le_bytes()); // byte order
        out.extend_from_slice(&0u16.to_le_bytes()); // format version
        out.extend_from_slice(&0x0002_0006u32.to_le_bytes()); // OS: Win32, version 6
        out.extend_from_slice(&[0u8; 16]); // CLSID
        out.extend_from_slice(&1u32.to_le_bytes()); // one section
                                                    // FMTID_SummaryInformation {F29F85E0-4FF9-1068-AB91-08002B27B3D9}, little-endian fields.
        out.extend_from_slice(&[
            0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3, 0xD9,
        ]);
        out.extend_from_slice(&48u32.to_le_bytes()); // section offset
        out.extend_from_slice(&(header_len + body.len() as u32).to_le_bytes());
        out.extend_from_slice(&(props.len() as u32).to_le_bytes());
        for (id, off) in index {
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&off.to_le_bytes());
        }
        out.extend_from_slice(&body);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SummaryInformation {
        SummaryInformation {
            title: "Installation Database".into(),
            subject: "Café".into(),
            author: "VMware".into(),
            keywords: "Installer".into(),
            comments: "c".into(),
            template: "x64;1033".into(),
            revision_number: "{11111111-2222-4333-8444-555555555555}".into(),
            time: 1_577_836_800,
            page_count: 500,
            word_count: word_count::COMPRESSED,
            creating_application: "t".into(),
            security: 2,
            codepage: crate::codepage::WINDOWS_1252,
        }
    }

    /// The `msi` crate is a second reader of the property set (it parses the stream itself).
    #[test]
    fn the_msi_crate_reads_every_property_back() {
        let bytes = sample().to_bytes().unwrap();
        let mut pkg = msi::Package::create(msi::PackageType::Installer, std::io::Cursor::new(Vec::new())).unwrap();
        pkg.summary_info_mut().set_title("placeholder");
        let mut comp = cfb::CompoundFile::open(pkg.into_inner().unwrap()).unwrap();
        std::io::Write::write_all(&mut comp.create_stream(STREAM_NAME).unwrap(), &bytes).unwrap();
        let pkg = msi::Package::open(comp.into_inner()).unwrap();
        let si = pkg.summary_info();
        assert_eq!(si.codepage(), msi::CodePage::Windows1252);
        assert_eq!(si.title(), Some("Installation Database"));
        assert_eq!(si.subject(), Some("Café"));
        assert_eq!(si.author(), Some("VMware"));
        assert_eq!(si.arch(), Some("x64"));
        assert_eq!(si.uuid().map(|u| u.as_u128()), Some(0x11111111_2222_4333_8444_555555555555));
        assert_eq!(si.page_count(), Some(500));
        assert_eq!(si.word_count(), Some(2));
        assert_eq!(si.doc_security(), Some(2));
        // 2020-01-01T00:00:00Z
        let t = si.creation_time().unwrap().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(t, 1_577_836_800);
    }

    #[test]
    fn text_outside_windows_1252_is_named() {
        let mut s = sample();
        s.author = "株式会社".into();
        let err = s.to_bytes().unwrap_err();
        assert!(err.starts_with("author"), "{err}");
    }
}
