//! `<File>` (with PE version resources), 8.3 short names, `<Media>` and `<MediaTemplate>`.
//!
//! Bit values: MSI SDK "File Table".

use super::common::{check_long_name, msi_name};
use super::shortcut::{shortcut, Parent};
use crate::wix::context::Ctx;
use crate::wix::error::Error;
use crate::wix::model::{Cell, MediaTemplate, PayloadFile};
use roxmltree::Node;

/// `<Media>`: an explicit disk with (only) an embedded cabinet.
pub(super) fn media(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Cabinet", "EmbedCab", "DiskPrompt", "VolumeLabel", "CompressionLevel", "Source"])?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let id = a.int("Id")?.ok_or_else(|| a.error("Id", "is required"))?;
    let cab = a.required("Cabinet")?;
    if !a.is_yes("EmbedCab")? {
        return Err(a.error("EmbedCab", "only embedded cabinets are supported (EmbedCab=\"yes\")"));
    }
    // Every level but "none" is MSZIP (WiX's high/medium/low mean LZX, which no Rust cabinet
    // writer provides; MSZIP is what wixl writes too).
    let level = a.one_of("CompressionLevel", &["high", "medium", "low", "mszip", "none"])?;
    ctx.model.embedded_media.insert(id, (cab.clone(), level.as_deref() != Some("none")));
    // LastSequence is filled in by the linker once files are sequenced.
    ctx.add_row(
        c,
        "Media",
        vec![
            id.into(),
            0.into(),
            a.string("DiskPrompt").into(),
            format!("#{cab}").into(),
            a.string("VolumeLabel").into(),
            a.string("Source").into(),
        ],
    )
}

/// `<MediaTemplate>`: cabinets named from a template, split by size.
pub(super) fn media_template(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(
        c,
        &[
            "CabinetTemplate",
            "CompressionLevel",
            "DiskPrompt",
            "EmbedCab",
            "MaximumUncompressedMediaSize",
            "MaximumCabinetSizeForLargeFileSplitting",
            "VolumeLabel",
        ],
    )?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    if !a.is_yes("EmbedCab")? {
        return Err(a.error("EmbedCab", "only embedded cabinets are supported (EmbedCab=\"yes\")"));
    }
    if a.has("MaximumCabinetSizeForLargeFileSplitting") {
        return Err(a.error(
            "MaximumCabinetSizeForLargeFileSplitting",
            "large-file splitting is not supported (cab has no spanning)",
        ));
    }
    let level = a.one_of("CompressionLevel", &["high", "medium", "low", "mszip", "none"])?;
    let template = a.string("CabinetTemplate").unwrap_or_else(|| "cab{0}.cab".into());
    if !template.contains("{0}") {
        return Err(a.error("CabinetTemplate", "must contain {0}"));
    }
    // WiX's default MaximumUncompressedMediaSize is 200 (MB).
    let mb = a.int("MaximumUncompressedMediaSize")?.unwrap_or(200);
    if !(1..=2000).contains(&mb) {
        return Err(
            a.error("MaximumUncompressedMediaSize", "must be 1..2000 (MB; a cabinet folder holds at most 2 GiB)")
        );
    }
    if let Some(t) = &ctx.model.media_template {
        return Err(ctx.error(c, format!("a second <MediaTemplate> (first at {})", t.loc)));
    }
    ctx.model.media_template = Some(MediaTemplate {
        cabinet_template: template,
        max_uncompressed: mb as u64 * 1024 * 1024,
        disk_prompt: a.string("DiskPrompt"),
        volume_label: a.string("VolumeLabel"),
        compress: level.as_deref() != Some("none"),
        loc: ctx.loc(c),
    });
    Ok(())
}

/// File attribute bits (MSI SDK "File Table").
mod file_bits {
    pub const READ_ONLY: i32 = 0x1;
    pub const HIDDEN: i32 = 0x2;
    pub const SYSTEM: i32 = 0x4;
    pub const VITAL: i32 = 0x200;
    pub const CHECKSUM: i32 = 0x400;
}

/// `<File>`: a `File` row and a payload entry; returns (id, KeyPath="yes").
pub(super) fn file(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str) -> Result<(String, bool), Error> {
    let a = ctx.attrs(
        c,
        &[
            "Id",
            "Name",
            "ShortName",
            "Source",
            "KeyPath",
            "Vital",
            "ReadOnly",
            "Hidden",
            "System",
            "Checksum",
            "DiskId",
        ],
    )?;
    let src = a.required("Source")?;
    let path = ctx.source_path(&src);
    let meta = std::fs::metadata(&path).map_err(|e| a.error("Source", format!("{}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(a.error("Source", format!("{} is not a file", path.display())));
    }
    let name = match a.string("Name") {
        Some(n) => n,
        None => path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string(),
    };
    check_long_name(&a, "Name", &name)?;
    let id = match a.identifier("Id")? {
        Some(id) => id,
        None => {
            let mut id: String =
                name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '_' { c } else { '_' }).collect();
            if !id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                id.insert(0, '_');
            }
            id.truncate(72);
            id
        }
    };
    let size = i32::try_from(meta.len()).map_err(|_| {
        a.error(
            "Source",
            format!("{} is {} bytes; the File table holds at most 2 GiB per file", path.display(), meta.len()),
        )
    })?;
    use file_bits::*;
    let mut bits = 0;
    if a.yes_no("Vital")?.unwrap_or(true) {
        bits |= VITAL
    }
    if a.is_yes("ReadOnly")? {
        bits |= READ_ONLY
    }
    if a.is_yes("Hidden")? {
        bits |= HIDDEN
    }
    if a.is_yes("System")? {
        bits |= SYSTEM
    }
    if a.is_yes("Checksum")? {
        bits |= CHECKSUM
    }
    let disk_id = a.int("DiskId")?;
    // Sequence is assigned by the linker (cabinet order).
    // Versioned files (PE images with a version resource) get Version and Language, as WiX
    // fills them, so Windows Installer's file-versioning rules apply to them.
    let (version, language) = match pe_version(&path, meta.len()) {
        Some((v, l)) => (Cell::Str(v), Cell::Str(l.to_string())),
        None => (Cell::Null, Cell::Null),
    };
    ctx.add_row(
        c,
        "File",
        vec![
            id.clone().into(),
            component.into(),
            msi_name(&name, a.get("ShortName")).into(),
            size.into(),
            version,
            language,
            bits.into(),
            1.into(),
        ],
    )?;
    ctx.model.files.push(PayloadFile { id: id.clone(), source: path, disk_id, size: meta.len(), loc: ctx.loc(c) });
    for ch in ctx.elements(c)? {
        if !ch.has_tag_name("Shortcut") {
            return Err(ctx.unsupported(ch, &["Shortcut"]));
        }
        shortcut(ctx, ch, component, Parent::File(&id))?;
    }
    Ok((id, a.is_yes("KeyPath")?))
}

/// File version and language from a PE image's `VS_FIXEDFILEINFO` (MS "VS_VERSIONINFO"
/// resource), for `.exe`/`.dll`-like files of at most 256 MiB; `None` for anything else.
pub(super) fn pe_version(path: &std::path::Path, size: u64) -> Option<(String, u16)> {
    use object::read::pe::{ImageNtHeaders, ResourceNameOrId};
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if !["exe", "dll", "sys", "ocx", "cpl", "drv", "scr", "efi", "msm"].contains(&ext.as_str()) || size > 256 << 20 {
        return None;
    }
    let data = std::fs::read(path).ok()?;
    fn find<Pe: ImageNtHeaders>(data: &[u8]) -> Option<(&[u8], u16)> {
        let pe = object::read::pe::PeFile::<Pe, &[u8]>::parse(data).ok()?;
        let sections = pe.section_table();
        let rsrc = pe.data_directories().resource_directory(data, &sections).ok()??;
        let root = rsrc.root().ok()?;
        let by_type = root
            .entries
            .iter()
            .find(|e| matches!(e.name_or_id(), ResourceNameOrId::Id(id) if id == object::pe::RT_VERSION))?;
        let names = by_type.data(rsrc).ok()?.table()?;
        let langs = names.entries.first()?.data(rsrc).ok()?.table()?;
        let entry = langs.entries.first()?;
        let lang = match entry.name_or_id() {
            ResourceNameOrId::Id(l) => l,
            ResourceNameOrId::Name(_) => 0,
        };
        let d = entry.data(rsrc).ok()?.data()?;
        let bytes = sections.pe_data_at(data, d.offset_to_data.get(object::LittleEndian))?;
        let len = (d.size.get(object::LittleEndian) as usize).min(bytes.len());
        Some((&bytes[..len], lang))
    }
    let (res, lang) = match object::FileKind::parse(&*data).ok()? {
        object::FileKind::Pe64 => find::<object::pe::ImageNtHeaders64>(&data)?,
        object::FileKind::Pe32 => find::<object::pe::ImageNtHeaders32>(&data)?,
        _ => return None,
    };
    // VS_FIXEDFILEINFO starts with the signature 0xFEEF04BD, then the structure version, then
    // the file version (most and least significant 32 bits).
    let at = res.windows(4).position(|w| w == 0xFEEF_04BDu32.to_le_bytes())?;
    let word = |i: usize| res.get(at + i..at + i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let (ms, ls) = (word(8)?, word(12)?);
    Some((format!("{}.{}.{}.{}", ms >> 16, ms & 0xffff, ls >> 16, ls & 0xffff), lang))
}

#[cfg(test)]
mod tests {
    use super::super::harness::{fragment, message, row};
    use super::*;

    #[test]
    fn file_row_and_payload() {
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let size = std::fs::metadata(src).unwrap().len().to_string();
        let m = fragment(&format!(
            r#"<DirectoryRef Id="D"><Component Id="C" Guid="*"><File Id="F" Name="Read Me.toml" Source="{src}" ReadOnly="yes" /></Component></DirectoryRef>
               <Media Id="1" Cabinet="a.cab" EmbedCab="yes" />"#
        ))
        .unwrap();
        // File: File, Component_, FileName (short|long), FileSize, Version, Language, Attributes
        // (0x1 read-only), Sequence (set by the linker).
        let f = row(&m, "File", "F");
        assert_eq!((f[1].as_str(), f[3].as_str(), f[4].as_str()), ("C", size.as_str(), ""));
        assert!(f[2].ends_with("|Read Me.toml"), "{f:?}");
        assert_eq!(f[6].parse::<i32>().unwrap() & 1, 1);
        // The first file is the component's key path.
        assert_eq!(row(&m, "Component", "C")[5], "F");
        assert_eq!(m.files.len(), 1);
        // Media: DiskId, LastSequence (linker), DiskPrompt, Cabinet "#" + stream name.
        assert_eq!(row(&m, "Media", "1")[3], "#a.cab");
        let e = fragment(r#"<Media Id="1" Cabinet="a.cab" />"#).unwrap_err();
        assert!(message(e).contains("embedded"));
    }

    #[test]
    fn pe_version_of_a_wine_dll() {
        // Wine's builtin PE files carry version resources; Wine is a CI requirement.
        let p = std::path::Path::new("/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/msi.dll");
        if !p.is_file() {
            test_support::skip_or_fail(&format!("{} not present (install wine64)", p.display()));
            return;
        }
        let size = std::fs::metadata(p).unwrap().len();
        let (v, _lang) = pe_version(p, size).expect("msi.dll has a version resource");
        let parts: Vec<u32> = v.split('.').map(|x| x.parse().unwrap()).collect();
        assert_eq!(parts.len(), 4, "{v}");
        assert!(parts[0] >= 3, "Windows Installer 3+ ({v})");
        // Not a PE: no version.
        assert_eq!(pe_version(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml").as_path(), 10), None);
    }
}
