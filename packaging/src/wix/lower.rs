//! Lowering of the WiX v3 elements (everything but the UI elements, see `ui.rs`) to rows: one
//! function per element family, each taking the lowering context and the element.
//!
//! Bit values come from the MSI SDK table pages ("Component Table", "File Table", "Feature
//! Table", "Upgrade Table", "ServiceInstall Table", "ServiceControl Table", "RegLocator Table",
//! "Custom Action Types", "Custom Action In-Script Execution Options", "Custom Action Return
//! Processing Options").

use super::context::{Attrs, Cell, Ctx, Loc, MediaTemplate, Member, PayloadFile, Placement, ScheduledAction};
use super::Error;
use crate::tables::{ColumnDef, ColumnKind, TableDef};
use roxmltree::Node;
use sha2::{Digest, Sha256};

/// What the `<Product>` and `<Package>` elements say.
#[derive(Debug, Clone)]
pub struct ProductInfo {
    /// Position of `<Product>`.
    pub loc: Loc,
    /// `ProductCode` (`*` resolved to a GUID derived from the upgrade code and version).
    pub product_code: String,
    /// `UpgradeCode`, if any.
    pub upgrade_code: Option<String>,
    /// `ProductName`.
    pub name: String,
    /// `ProductVersion`.
    pub version: String,
    /// `Manufacturer`.
    pub manufacturer: String,
    /// `ProductLanguage`.
    pub language: i32,
    /// Database codepage.
    pub codepage: i32,
    /// Package description (summary information subject).
    pub description: Option<String>,
    /// Package comments.
    pub comments: Option<String>,
    /// Package keywords.
    pub keywords: String,
    /// Summary information author (`Package/@Manufacturer`, else the product's).
    pub author: String,
    /// Minimum installer version (summary information page count).
    pub installer_version: i32,
    /// Package platform is x64.
    pub win64: bool,
    /// Files are compressed (word count bit 2).
    pub compressed: bool,
    /// Per-user package that needs no elevation (word count bit 8).
    pub limited_privileges: bool,
    /// Languages of the summary information template (`Package/@Languages`, else the
    /// product language).
    pub languages: String,
    /// Summary information security: 0 none, 2 read-only recommended (default), 4 enforced.
    pub security: i32,
}

/// Elements accepted both under `<Product>` and `<Fragment>`.
const COMMON_CHILDREN: &[&str] = &[
    "AdminExecuteSequence",
    "AdminUISequence",
    "AdvertiseExecuteSequence",
    "Binary",
    "Component",
    "ComponentGroup",
    "Condition",
    "CustomAction",
    "CustomActionRef",
    "CustomTable",
    "Directory",
    "DirectoryRef",
    "EnsureTable",
    "Feature",
    "FeatureRef",
    "Icon",
    "InstallExecuteSequence",
    "InstallUISequence",
    "Media",
    "MediaTemplate",
    "Property",
    "PropertyRef",
    "SetDirectory",
    "SetProperty",
    "UI",
    "UIRef",
    "Upgrade",
];

/// Lowers `<Product>` (and its `<Package>`).
pub fn product(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<ProductInfo, Error> {
    let a = ctx.attrs(node, &["Id", "Name", "Language", "Version", "Manufacturer", "UpgradeCode", "Codepage"])?;
    let name = a.required("Name")?;
    let version = a.required("Version")?;
    check_product_version(&a, &version)?;
    let manufacturer = a.required("Manufacturer")?;
    let language = a.int("Language")?.ok_or_else(|| a.error("Language", "is required"))?;
    let codepage = a.int("Codepage")?.unwrap_or(1252);
    if codepage != 1252 {
        return Err(a.error("Codepage", "only 1252 is supported"));
    }
    let upgrade_code = a.guid("UpgradeCode")?;
    if upgrade_code.as_deref() == Some("*") {
        return Err(a.error("UpgradeCode", "must be a fixed GUID, not *"));
    }
    let product_code = match a.guid("Id")?.as_deref() {
        None | Some("*") => derived_guid(&["ProductCode", upgrade_code.as_deref().unwrap_or(&name), &version]),
        Some(g) => g.to_string(),
    };
    let children = ctx.elements(node)?;
    let pkg = children
        .iter()
        .find(|c| c.has_tag_name("Package"))
        .ok_or_else(|| ctx.error(node, "<Product> needs a <Package> child"))?;
    let p = ctx.attrs(
        *pkg,
        &[
            "Id",
            "Description",
            "Comments",
            "Manufacturer",
            "Keywords",
            "InstallerVersion",
            "Compressed",
            "InstallScope",
            "InstallPrivileges",
            "Platform",
            "Languages",
            "SummaryCodepage",
            "ReadOnly",
            "AdminImage",
            "ShortNames",
        ],
    )?;
    ctx.elements(*pkg)?.first().map_or(Ok(()), |c| Err(ctx.unsupported(*c, &[])))?;
    if let Some(id) = p.get("Id") {
        if id != "*" {
            return Err(p.error("Id", "the package code is derived from the content; use \"*\" or omit it"));
        }
    }
    let platform = p.one_of("Platform", &["x86", "x64", "intel", "intel64"])?;
    let win64 = matches!(platform.as_deref(), Some("x64"));
    if !win64 {
        return Err(p.error("Platform", "only x64 packages are supported (Platform=\"x64\")"));
    }
    let scope = p.one_of("InstallScope", &["perMachine", "perUser"])?;
    let privileges = p.one_of("InstallPrivileges", &["elevated", "limited"])?;
    if let Some(cp) = p.int("SummaryCodepage")? {
        if cp != 1252 {
            return Err(p.error("SummaryCodepage", "only 1252 is supported"));
        }
    }
    if p.is_yes("AdminImage")? || p.is_yes("ShortNames")? {
        return Err(p.error(if p.has("AdminImage") { "AdminImage" } else { "ShortNames" }, "only \"no\" is supported"));
    }
    let info = ProductInfo {
        loc: ctx.loc(node),
        product_code: product_code.clone(),
        upgrade_code: upgrade_code.clone(),
        name: name.clone(),
        version: version.clone(),
        manufacturer: manufacturer.clone(),
        language,
        codepage,
        description: p.string("Description"),
        comments: p.string("Comments"),
        keywords: p.string("Keywords").unwrap_or_else(|| "Installer".to_string()),
        author: p.string("Manufacturer").unwrap_or_else(|| manufacturer.clone()),
        installer_version: p.int("InstallerVersion")?.unwrap_or(500),
        win64,
        compressed: p.yes_no("Compressed")?.unwrap_or(true),
        limited_privileges: privileges.as_deref() == Some("limited"),
        languages: match p.string("Languages") {
            Some(l) if l.split(',').all(|x| x.trim().parse::<u16>().is_ok()) => l,
            Some(l) => return Err(p.error("Languages", format!("{l:?} is not a comma-separated list of language ids"))),
            None => language.to_string(),
        },
        security: match p.one_of("ReadOnly", &["no", "yes", "default"])?.as_deref() {
            Some("no") => 0,
            Some("yes") => 4,
            _ => 2,
        },
    };
    ctx.win64 = win64;
    for (k, v) in [
        ("ProductCode", product_code),
        ("ProductName", name),
        ("ProductVersion", version),
        ("Manufacturer", manufacturer),
        ("ProductLanguage", language.to_string()),
    ] {
        ctx.add_row(node, "Property", vec![k.into(), v.into()])?;
    }
    if let Some(u) = &upgrade_code {
        ctx.add_row(node, "Property", vec!["UpgradeCode".into(), u.into()])?;
    }
    if scope.as_deref() == Some("perMachine") {
        ctx.add_row(*pkg, "Property", vec!["ALLUSERS".into(), "1".into()])?;
    }
    let mut product_only = vec!["Package", "MajorUpgrade"];
    product_only.extend_from_slice(COMMON_CHILDREN);
    for c in children {
        match c.tag_name().name() {
            "Package" => {}
            "MajorUpgrade" => major_upgrade(ctx, c, &info)?,
            _ => {
                if !common_child(ctx, c)? {
                    return Err(ctx.unsupported(c, &product_only));
                }
            }
        }
    }
    Ok(info)
}

/// Lowers a `<Fragment>`.
pub fn fragment(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<(), Error> {
    ctx.attrs(node, &["Id"])?;
    for c in ctx.elements(node)? {
        if !common_child(ctx, c)? {
            return Err(ctx.unsupported(c, COMMON_CHILDREN));
        }
    }
    Ok(())
}

/// Lowers a child that may appear under `<Product>` or `<Fragment>`; `Ok(false)` if `c` is not
/// one of [`COMMON_CHILDREN`].
fn common_child(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<bool, Error> {
    match c.tag_name().name() {
        "Binary" => binary(ctx, c, "Binary")?,
        "Icon" => binary(ctx, c, "Icon")?,
        "Component" => {
            component(ctx, c, None)?;
        }
        "ComponentGroup" => component_group(ctx, c)?,
        "Condition" => launch_condition(ctx, c)?,
        "CustomAction" => custom_action(ctx, c)?,
        "CustomActionRef" => simple_ref(ctx, c, "CustomAction")?,
        "CustomTable" => custom_table(ctx, c)?,
        "Directory" => directory(ctx, c, None)?,
        "DirectoryRef" => directory_ref(ctx, c)?,
        "EnsureTable" => {
            let a = ctx.attrs(c, &["Id"])?;
            let id = a.required("Id")?;
            if crate::tables::standard(&id).is_none() {
                return Err(a.error("Id", format!("{id} is not a standard table known to this backend")));
            }
            ctx.model.ensured.insert(id);
        }
        "Feature" => feature(ctx, c, None)?,
        "FeatureRef" => feature_ref(ctx, c)?,
        "InstallExecuteSequence"
        | "InstallUISequence"
        | "AdminExecuteSequence"
        | "AdminUISequence"
        | "AdvertiseExecuteSequence" => sequence(ctx, c)?,
        "Media" => media(ctx, c)?,
        "MediaTemplate" => media_template(ctx, c)?,
        "Property" => property(ctx, c)?,
        "PropertyRef" => simple_ref(ctx, c, "Property")?,
        "SetDirectory" => set_directory(ctx, c)?,
        "SetProperty" => set_property(ctx, c)?,
        "UI" => {
            if let Some(id) = c.attribute("Id") {
                ctx.define(c, "UI", id)?;
            }
            super::ui::lower_ui(ctx, c)?;
        }
        "UIRef" => simple_ref(ctx, c, "UI")?,
        "Upgrade" => upgrade(ctx, c)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// `<XRef Id="..."/>`: a reference checked after linking.
fn simple_ref(ctx: &mut Ctx<'_>, c: Node<'_, '_>, kind: &str) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id"])?;
    let id = a.required("Id")?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    ctx.reference(c, kind, &id);
    Ok(())
}

/// A GUID derived (UUID v5 over SHA-1, in a fixed namespace) from `parts`.
pub fn derived_guid(parts: &[&str]) -> String {
    // Namespace for GUIDs this backend derives; any fixed UUID works, this one is random.
    const NS: uuid::Uuid = uuid::uuid!("5b0c1b8e-3f0e-4f55-9a87-6a4f1d0c2e71");
    let name = parts.join("\u{1f}");
    let u = uuid::Uuid::new_v5(&NS, name.as_bytes());
    format!("{{{}}}", u.hyphenated()).to_ascii_uppercase()
}

/// `ProductVersion` rules (MSI SDK "ProductVersion property"): `major.minor.build[.x]`,
/// major and minor at most 255, build at most 65535.
fn check_product_version(a: &Attrs, v: &str) -> Result<(), Error> {
    let parts: Vec<&str> = v.split('.').collect();
    let limits = [255u32, 255, 65535, 65535];
    let ok = (2..=4).contains(&parts.len())
        && parts.iter().zip(limits).all(|(p, max)| {
            !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && p.parse::<u32>().is_ok_and(|n| n <= max)
        });
    if ok {
        Ok(())
    } else {
        Err(a.error("Version", format!("{v:?} is not a valid product version (major.minor.build[.revision], major/minor <= 255, build <= 65535)")))
    }
}

/// `<Binary>` / `<Icon>`: a row whose data is the file's bytes.
fn binary(ctx: &mut Ctx<'_>, c: Node<'_, '_>, table: &str) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "SourceFile", "SuppressModularization"])?;
    let id = a.required_id("Id")?;
    let src = a.required("SourceFile")?;
    let path = ctx.source_path(&src);
    if !path.is_file() {
        return Err(a.error("SourceFile", format!("{} does not exist or is not a file", path.display())));
    }
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    ctx.add_row(c, table, vec![id.into(), Cell::Stream(path)])
}

/// Product-level `<Condition Message="...">` -> `LaunchCondition`.
fn launch_condition(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Message"])?;
    let msg = a.required("Message")?;
    let cond = ctx.text(c)?.ok_or_else(|| ctx.error(c, "<Condition> needs the condition as its text"))?;
    ctx.add_row(c, "LaunchCondition", vec![cond.into(), msg.into()])
}

/// `<MajorUpgrade>` -> `Upgrade` rows, `RemoveExistingProducts` scheduling, downgrade error.
fn major_upgrade(ctx: &mut Ctx<'_>, c: Node<'_, '_>, info: &ProductInfo) -> Result<(), Error> {
    let a = ctx.attrs(
        c,
        &[
            "AllowDowngrades",
            "AllowSameVersionUpgrades",
            "Disallow",
            "DisallowUpgradeErrorMessage",
            "DowngradeErrorMessage",
            "IgnoreRemoveFailure",
            "MigrateFeatures",
            "RemoveFeatures",
            "Schedule",
        ],
    )?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let code = info.upgrade_code.clone().ok_or_else(|| ctx.error(c, "<MajorUpgrade> needs Product/@UpgradeCode"))?;
    let allow_down = a.is_yes("AllowDowngrades")?;
    let same = a.is_yes("AllowSameVersionUpgrades")?;
    let migrate = a.yes_no("MigrateFeatures")?.unwrap_or(true);
    let ignore_fail = a.is_yes("IgnoreRemoveFailure")?;
    let disallow = a.is_yes("Disallow")?;
    let down_msg = a.string("DowngradeErrorMessage");
    if allow_down && down_msg.is_some() {
        return Err(a.error("DowngradeErrorMessage", "cannot be combined with AllowDowngrades=\"yes\""));
    }
    if !allow_down && down_msg.is_none() {
        return Err(a.error("DowngradeErrorMessage", "is required unless AllowDowngrades=\"yes\""));
    }
    let language = Cell::Str(info.language.to_string());
    // Upgrade table attribute bits (MSI SDK "Upgrade Table").
    const MIGRATE: i32 = 0x1;
    const ONLY_DETECT: i32 = 0x2;
    const IGNORE_REMOVE_FAILURE: i32 = 0x4;
    const MIN_INCLUSIVE: i32 = 0x100;
    const MAX_INCLUSIVE: i32 = 0x200;
    let mut bits = if migrate { MIGRATE } else { 0 } | if ignore_fail { IGNORE_REMOVE_FAILURE } else { 0 };
    let remove: Cell = a.string("RemoveFeatures").into();
    if allow_down {
        bits |= MIN_INCLUSIVE;
        ctx.add_row(
            c,
            "Upgrade",
            vec![
                code.clone().into(),
                "0".into(),
                Cell::Null,
                language.clone(),
                bits.into(),
                remove,
                "WIX_UPGRADE_DETECTED".into(),
            ],
        )?;
    } else {
        if same {
            bits |= MAX_INCLUSIVE;
        }
        ctx.add_row(
            c,
            "Upgrade",
            vec![
                code.clone().into(),
                Cell::Null,
                info.version.clone().into(),
                language.clone(),
                bits.into(),
                remove,
                "WIX_UPGRADE_DETECTED".into(),
            ],
        )?;
        let dbits = ONLY_DETECT | if same { 0 } else { MIN_INCLUSIVE };
        ctx.add_row(
            c,
            "Upgrade",
            vec![
                code.into(),
                info.version.clone().into(),
                Cell::Null,
                language,
                dbits.into(),
                Cell::Null,
                "WIX_DOWNGRADE_DETECTED".into(),
            ],
        )?;
        ctx.model.secure.insert("WIX_DOWNGRADE_DETECTED".to_string());
        // A type-19 (error) action stops the install when a newer version is present.
        let msg = down_msg.expect("checked above");
        ctx.add_row(
            c,
            "CustomAction",
            vec!["WixPreventDowngrade".into(), 19.into(), Cell::Null, msg.into(), Cell::Null],
        )?;
        for table in ["InstallExecuteSequence", "InstallUISequence"] {
            schedule(
                ctx,
                c,
                table,
                "WixPreventDowngrade",
                Some("WIX_DOWNGRADE_DETECTED".into()),
                Placement::After("FindRelatedProducts".into()),
            );
        }
    }
    ctx.model.secure.insert("WIX_UPGRADE_DETECTED".to_string());
    if disallow {
        let msg = a.required("DisallowUpgradeErrorMessage")?;
        ctx.add_row(
            c,
            "CustomAction",
            vec!["WixDisallowUpgrade".into(), 19.into(), Cell::Null, msg.into(), Cell::Null],
        )?;
        for table in ["InstallExecuteSequence", "InstallUISequence"] {
            schedule(
                ctx,
                c,
                table,
                "WixDisallowUpgrade",
                Some("WIX_UPGRADE_DETECTED".into()),
                Placement::After("FindRelatedProducts".into()),
            );
        }
    } else {
        let anchor = match a
            .one_of(
                "Schedule",
                &[
                    "afterInstallValidate",
                    "afterInstallInitialize",
                    "afterInstallExecute",
                    "afterInstallExecuteAgain",
                    "afterInstallFinalize",
                ],
            )?
            .as_deref()
        {
            None | Some("afterInstallValidate") => "InstallValidate",
            Some("afterInstallInitialize") => "InstallInitialize",
            Some("afterInstallExecute") => "InstallExecute",
            Some("afterInstallExecuteAgain") => "InstallExecuteAgain",
            Some(_) => "InstallFinalize",
        };
        schedule(ctx, c, "InstallExecuteSequence", "RemoveExistingProducts", None, Placement::After(anchor.into()));
        if matches!(anchor, "InstallExecute" | "InstallExecuteAgain") {
            schedule(ctx, c, "InstallExecuteSequence", anchor, None, Placement::Default);
        }
    }
    Ok(())
}

/// `<Upgrade Id="..."><UpgradeVersion .../></Upgrade>`.
fn upgrade(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id"])?;
    let code = a.guid("Id")?.ok_or_else(|| a.error("Id", "is required"))?;
    for v in ctx.elements(c)? {
        if !v.has_tag_name("UpgradeVersion") {
            return Err(ctx.unsupported(v, &["UpgradeVersion"]));
        }
        let u = ctx.attrs(
            v,
            &[
                "Minimum",
                "Maximum",
                "IncludeMinimum",
                "IncludeMaximum",
                "Language",
                "OnlyDetect",
                "IgnoreRemoveFailure",
                "MigrateFeatures",
                "ExcludeLanguages",
                "Property",
                "RemoveFeatures",
            ],
        )?;
        let mut bits = 0;
        if u.is_yes("MigrateFeatures")? {
            bits |= 0x1
        }
        if u.is_yes("OnlyDetect")? {
            bits |= 0x2
        }
        if u.is_yes("IgnoreRemoveFailure")? {
            bits |= 0x4
        }
        if u.yes_no("IncludeMinimum")?.unwrap_or(true) && u.has("Minimum") {
            bits |= 0x100
        }
        if u.is_yes("IncludeMaximum")? {
            bits |= 0x200
        }
        if u.is_yes("ExcludeLanguages")? {
            bits |= 0x400
        }
        let prop = u.required_id("Property")?;
        ctx.model.secure.insert(prop.clone());
        ctx.add_row(
            v,
            "Upgrade",
            vec![
                code.clone().into(),
                u.string("Minimum").into(),
                u.string("Maximum").into(),
                u.string("Language").into(),
                bits.into(),
                u.string("RemoveFeatures").into(),
                prop.into(),
            ],
        )?;
    }
    schedule(ctx, c, "InstallExecuteSequence", "FindRelatedProducts", None, Placement::Default);
    Ok(())
}

/// Adds a scheduled action.
pub fn schedule(
    ctx: &mut Ctx<'_>,
    node: Node<'_, '_>,
    table: &str,
    action: &str,
    condition: Option<String>,
    placement: Placement,
) {
    let loc = ctx.loc(node);
    ctx.model.actions.push(ScheduledAction { table: table.into(), action: action.into(), condition, placement, loc });
}

/// `<Media>`: an explicit disk with (only) an embedded cabinet.
fn media(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
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
fn media_template(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
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

/// Whether `name` is a valid 8.3 short file name.
fn is_short_name(name: &str) -> bool {
    const OK: &str = "!#$%&'()-@^_`{}~";
    let valid = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || OK.contains(c));
    match name.split_once('.') {
        None => (1..=8).contains(&name.len()) && valid(name),
        Some((b, e)) => (1..=8).contains(&b.len()) && e.len() <= 3 && !e.contains('.') && valid(b) && valid(e),
    }
}

/// The `short|long` form of a file or directory name (MSI "Filename" data type): a generated
/// short name (8 hash characters + the first 3 of the extension) when `long` is not 8.3.
pub fn msi_name(long: &str, short: Option<&str>) -> String {
    if is_short_name(long) && short.is_none() {
        return long.to_string();
    }
    let short = match short {
        Some(s) => s.to_string(),
        None => {
            let h = Sha256::digest(long.to_ascii_lowercase().as_bytes());
            let base: String = h.iter().take(8).map(|b| (b'a' + b % 26) as char).collect();
            let ext: String = long
                .rsplit_once('.')
                .map(|(_, e)| e.chars().filter(|c| c.is_ascii_alphanumeric()).take(3).collect())
                .unwrap_or_default();
            if ext.is_empty() {
                base
            } else {
                format!("{base}.{ext}")
            }
        }
    };
    format!("{short}|{long}")
}

fn check_long_name(a: &Attrs, attr: &str, name: &str) -> Result<(), Error> {
    const BAD: &str = "\\?|><:/*\"";
    if name.is_empty() || name.chars().any(|c| BAD.contains(c) || c.is_control()) || name.len() > 255 {
        return Err(a.error(attr, format!("{name:?} is not a valid file name")));
    }
    Ok(())
}

/// `<Directory>`.
fn directory(ctx: &mut Ctx<'_>, c: Node<'_, '_>, parent: Option<&str>) -> Result<(), Error> {
    let a = ctx.attrs(
        c,
        &[
            "Id",
            "Name",
            "ShortName",
            "SourceName",
            "ShortSourceName",
            "ComponentGuidGenerationSeed",
            "DiskId",
            "FileSource",
        ],
    )?;
    for unsupported in ["FileSource", "DiskId", "ComponentGuidGenerationSeed"] {
        if a.has(unsupported) {
            return Err(a.error(unsupported, "is not supported"));
        }
    }
    let id = a.required_id("Id")?;
    let default_dir = match a.get("Name") {
        None => {
            if parent.is_none() && id != "TARGETDIR" {
                return Err(a.error("Name", "a root directory other than TARGETDIR needs a Name"));
            }
            if id == "TARGETDIR" {
                "SourceDir".to_string()
            } else {
                ".".to_string()
            }
        }
        Some(".") => ".".to_string(),
        Some(n) => {
            check_long_name(&a, "Name", n)?;
            let mut d = msi_name(n, a.get("ShortName"));
            if let Some(s) = a.get("SourceName") {
                d = format!("{d}:{}", msi_name(s, a.get("ShortSourceName")));
            }
            d
        }
    };
    ctx.add_row(c, "Directory", vec![id.clone().into(), parent.into(), default_dir.into()])?;
    directory_children(ctx, c, &id)
}

fn directory_children(ctx: &mut Ctx<'_>, c: Node<'_, '_>, id: &str) -> Result<(), Error> {
    for ch in ctx.elements(c)? {
        match ch.tag_name().name() {
            "Directory" => directory(ctx, ch, Some(id))?,
            "Component" => {
                component(ctx, ch, Some(id))?;
            }
            _ => return Err(ctx.unsupported(ch, &["Directory", "Component"])),
        }
    }
    Ok(())
}

/// `<DirectoryRef>`.
fn directory_ref(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id"])?;
    let id = a.required_id("Id")?;
    ctx.reference(c, "Directory", &id);
    directory_children(ctx, c, &id)
}

/// `<ComponentGroup>`.
fn component_group(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Directory", "Source"])?;
    let id = a.required_id("Id")?;
    if a.has("Source") {
        return Err(a.error("Source", "is not supported; give each File a Source"));
    }
    let dir = a.identifier("Directory")?;
    if let Some(d) = &dir {
        ctx.reference(c, "Directory", d);
    }
    ctx.define(c, "ComponentGroup", &id)?;
    let mut members = Vec::new();
    for ch in ctx.elements(c)? {
        let loc = ctx.loc(ch);
        match ch.tag_name().name() {
            "Component" => members.push((Member::Component(component(ctx, ch, dir.as_deref())?), loc)),
            "ComponentRef" => members.push((Member::Component(ref_id(ctx, ch, "Component")?), loc)),
            "ComponentGroupRef" => members.push((Member::Group(ref_id(ctx, ch, "ComponentGroup")?), loc)),
            _ => return Err(ctx.unsupported(ch, &["Component", "ComponentRef", "ComponentGroupRef"])),
        }
    }
    ctx.model.groups.insert(id, members);
    Ok(())
}

fn ref_id(ctx: &mut Ctx<'_>, c: Node<'_, '_>, kind: &str) -> Result<String, Error> {
    let a = ctx.attrs(c, &["Id", "Primary"])?;
    let id = a.required_id("Id")?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    ctx.reference(c, kind, &id);
    Ok(id)
}

/// Component attribute bits (MSI SDK "Component Table").
mod comp_bits {
    pub const SOURCE_ONLY: i32 = 0x1;
    pub const OPTIONAL: i32 = 0x2;
    pub const REGISTRY_KEY_PATH: i32 = 0x4;
    pub const SHARED_DLL_REF_COUNT: i32 = 0x8;
    pub const PERMANENT: i32 = 0x10;
    pub const TRANSITIVE: i32 = 0x40;
    pub const NEVER_OVERWRITE: i32 = 0x80;
    pub const WIN64: i32 = 0x100;
    pub const DISABLE_REGISTRY_REFLECTION: i32 = 0x200;
    pub const UNINSTALL_ON_SUPERSEDENCE: i32 = 0x400;
    pub const SHARED: i32 = 0x800;
}

/// `<Component>`; returns its id.
fn component(ctx: &mut Ctx<'_>, c: Node<'_, '_>, dir: Option<&str>) -> Result<String, Error> {
    let a = ctx.attrs(
        c,
        &[
            "Id",
            "Guid",
            "Directory",
            "Win64",
            "KeyPath",
            "Permanent",
            "NeverOverwrite",
            "SharedDllRefCount",
            "Transitive",
            "Location",
            "Shared",
            "UninstallWhenSuperseded",
            "DisableRegistryReflection",
            "Feature",
            "MultiInstance",
            "DiskId",
        ],
    )?;
    if a.has("DiskId") || a.has("MultiInstance") {
        return Err(a.error(if a.has("DiskId") { "DiskId" } else { "MultiInstance" }, "is not supported"));
    }
    let id = a.required_id("Id")?;
    let dir = match a.identifier("Directory")? {
        Some(d) => {
            ctx.reference(c, "Directory", &d);
            d
        }
        None => dir
            .ok_or_else(|| {
                a.error("Directory", "is required when the component is not inside a <Directory>/<DirectoryRef>")
            })?
            .to_string(),
    };
    let mut bits = 0;
    use comp_bits::*;
    if a.yes_no("Win64")?.unwrap_or(ctx.win64) {
        bits |= WIN64
    }
    if a.is_yes("Permanent")? {
        bits |= PERMANENT
    }
    if a.is_yes("NeverOverwrite")? {
        bits |= NEVER_OVERWRITE
    }
    if a.is_yes("SharedDllRefCount")? {
        bits |= SHARED_DLL_REF_COUNT
    }
    if a.is_yes("Transitive")? {
        bits |= TRANSITIVE
    }
    if a.is_yes("Shared")? {
        bits |= SHARED
    }
    if a.is_yes("UninstallWhenSuperseded")? {
        bits |= UNINSTALL_ON_SUPERSEDENCE
    }
    if a.is_yes("DisableRegistryReflection")? {
        bits |= DISABLE_REGISTRY_REFLECTION
    }
    match a.one_of("Location", &["local", "source", "either"])?.as_deref() {
        Some("source") => bits |= SOURCE_ONLY,
        Some("either") => bits |= OPTIONAL,
        _ => {}
    }
    if let Some(f) = a.identifier("Feature")? {
        ctx.reference(c, "Feature", &f);
        ctx.model.feature_members.push((f, Member::Component(id.clone()), ctx.loc(c)));
    }
    ctx.model.component_dirs.insert(id.clone(), dir.clone());
    let component_keypath = a.is_yes("KeyPath")?;
    let mut keypath: Option<(String, bool)> = None; // (key, is registry)
    let mut first_file: Option<String> = None;
    let mut condition = None;
    let mut guid_seed = String::new();
    for ch in ctx.elements(c)? {
        match ch.tag_name().name() {
            "File" => {
                let (fid, kp) = file(ctx, ch, &id)?;
                guid_seed.push_str(&fid);
                if kp {
                    set_keypath(ctx, ch, &mut keypath, (fid.clone(), false))?;
                }
                first_file.get_or_insert(fid);
            }
            "CreateFolder" => create_folder(ctx, ch, &id, &dir)?,
            "RemoveFile" => remove_file(ctx, ch, &id, &dir, true)?,
            "RemoveFolder" => remove_file(ctx, ch, &id, &dir, false)?,
            "RegistryKey" => {
                for (rid, kp) in registry_key(ctx, ch, &id, None, None)? {
                    if kp {
                        set_keypath(ctx, ch, &mut keypath, (rid, true))?;
                    }
                }
            }
            "RegistryValue" => {
                let (rid, kp) = registry_value(ctx, ch, &id, None, None)?;
                if kp {
                    set_keypath(ctx, ch, &mut keypath, (rid, true))?;
                }
            }
            "RemoveRegistryKey" | "RemoveRegistryValue" => remove_registry(ctx, ch, &id)?,
            "ServiceInstall" => service_install(ctx, ch, &id)?,
            "ServiceControl" => service_control(ctx, ch, &id)?,
            "Condition" => {
                ctx.attrs(ch, &[])?;
                condition =
                    Some(ctx.text(ch)?.ok_or_else(|| ctx.error(ch, "<Condition> needs the condition as its text"))?);
            }
            _ => {
                return Err(ctx.unsupported(
                    ch,
                    &[
                        "File",
                        "CreateFolder",
                        "RemoveFile",
                        "RemoveFolder",
                        "RegistryKey",
                        "RegistryValue",
                        "RemoveRegistryKey",
                        "RemoveRegistryValue",
                        "ServiceInstall",
                        "ServiceControl",
                        "Condition",
                    ],
                ))
            }
        }
    }
    if component_keypath && keypath.is_some() {
        return Err(ctx.error(c, "KeyPath=\"yes\" on the component and on a child: choose one"));
    }
    // WiX v3: without an explicit key path, the first file is the key path.
    let keypath = if component_keypath { None } else { keypath.or_else(|| first_file.map(|f| (f, false))) };
    if keypath.as_ref().is_some_and(|k| k.1) {
        bits |= REGISTRY_KEY_PATH;
    }
    let guid = match a.guid("Guid")?.as_deref() {
        Some("*") | None => {
            if a.get("Guid").is_none() {
                return Err(a.error("Guid", "is required (a GUID, or \"*\" to derive one from the key path)"));
            }
            let kp = keypath.as_ref().map(|k| k.0.as_str()).unwrap_or("");
            derived_guid(&["Component", &dir, &id, kp, &guid_seed])
        }
        Some("") => return Err(a.error("Guid", "an empty GUID (unmanaged component) is not supported")),
        Some(g) => g.to_string(),
    };
    ctx.add_row(
        c,
        "Component",
        vec![id.clone().into(), guid.into(), dir.into(), bits.into(), condition.into(), keypath.map(|k| k.0).into()],
    )?;
    Ok(id)
}

fn set_keypath(
    ctx: &Ctx<'_>,
    n: Node<'_, '_>,
    slot: &mut Option<(String, bool)>,
    v: (String, bool),
) -> Result<(), Error> {
    if let Some((k, _)) = slot {
        return Err(ctx.error(n, format!("a second KeyPath=\"yes\" in this component (first: {k})")));
    }
    *slot = Some(v);
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
fn file(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str) -> Result<(String, bool), Error> {
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
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
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
    Ok((id, a.is_yes("KeyPath")?))
}

/// File version and language from a PE image's `VS_FIXEDFILEINFO` (MS "VS_VERSIONINFO"
/// resource), for `.exe`/`.dll`-like files of at most 256 MiB; `None` for anything else.
pub fn pe_version(path: &std::path::Path, size: u64) -> Option<(String, u16)> {
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

fn create_folder(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str, dir: &str) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Directory"])?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let d = a.identifier("Directory")?.unwrap_or_else(|| dir.to_string());
    ctx.reference(c, "Directory", &d);
    ctx.add_row(c, "CreateFolder", vec![d.into(), component.into()])
}

/// Short stable id for generated keys: `prefix` + hash of `parts`.
fn gen_id(prefix: &str, parts: &[&str]) -> String {
    let h = Sha256::digest(parts.join("\u{1f}").as_bytes());
    let hex: String = h.iter().take(12).map(|b| format!("{b:02X}")).collect();
    format!("{prefix}{hex}")
}

/// `<RemoveFile>` (files) / `<RemoveFolder>` (FileName null).
fn remove_file(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str, dir: &str, is_file: bool) -> Result<(), Error> {
    let attrs: &[&str] = if is_file {
        &["Id", "Name", "ShortName", "On", "Directory", "Property"]
    } else {
        &["Id", "On", "Directory", "Property"]
    };
    let a = ctx.attrs(c, attrs)?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let on = match a.one_of("On", &["install", "uninstall", "both"])?.as_deref() {
        Some("install") => 1,
        Some("uninstall") => 2,
        Some(_) => 3,
        None => return Err(a.error("On", "is required (install, uninstall or both)")),
    };
    let dirprop = match (a.identifier("Directory")?, a.identifier("Property")?) {
        (Some(_), Some(_)) => return Err(a.error("Property", "cannot be combined with Directory")),
        (Some(d), None) => {
            ctx.reference(c, "Directory", &d);
            d
        }
        (None, Some(p)) => p,
        (None, None) => dir.to_string(),
    };
    let name: Cell = if is_file {
        let n = a.required("Name")?;
        if n.contains(['*', '?']) {
            n.into()
        } else {
            msi_name(&n, a.get("ShortName")).into()
        }
    } else {
        Cell::Null
    };
    let id = match a.identifier("Id")? {
        Some(id) => id,
        None => gen_id("rm", &[component, &dirprop, &name.key_text()]),
    };
    ctx.add_row(c, "RemoveFile", vec![id.into(), component.into(), name, dirprop.into(), on.into()])
}

fn reg_root(a: &Attrs, inherited: Option<i32>) -> Result<i32, Error> {
    match a.one_of("Root", &["HKMU", "HKCR", "HKCU", "HKLM", "HKU"])?.as_deref() {
        Some("HKMU") => Ok(-1),
        Some("HKCR") => Ok(0),
        Some("HKCU") => Ok(1),
        Some("HKLM") => Ok(2),
        Some("HKU") => Ok(3),
        _ => inherited.ok_or_else(|| a.error("Root", "is required (HKMU, HKCR, HKCU, HKLM or HKU)")),
    }
}

fn reg_key(a: &Attrs, parent: Option<&str>) -> Result<String, Error> {
    match (parent, a.get("Key")) {
        (Some(p), Some(k)) => Ok(format!("{p}\\{k}")),
        (Some(p), None) => Ok(p.to_string()),
        (None, Some(k)) => Ok(k.to_string()),
        (None, None) => Err(a.error("Key", "is required")),
    }
}

/// `<RegistryKey>`: returns (Registry id, KeyPath) of every value row it produced.
fn registry_key(
    ctx: &mut Ctx<'_>,
    c: Node<'_, '_>,
    component: &str,
    root: Option<i32>,
    parent: Option<&str>,
) -> Result<Vec<(String, bool)>, Error> {
    let a = ctx.attrs(c, &["Id", "Root", "Key", "Action", "ForceCreateOnInstall", "ForceDeleteOnUninstall"])?;
    let root = reg_root(&a, root)?;
    let key = reg_key(&a, parent)?;
    let mut marker = None;
    match a.one_of("Action", &["create", "createAndRemoveOnUninstall", "none"])?.as_deref() {
        Some("create") => marker = Some("+"),
        Some("createAndRemoveOnUninstall") => marker = Some("*"),
        _ => {}
    }
    match (a.is_yes("ForceCreateOnInstall")?, a.is_yes("ForceDeleteOnUninstall")?) {
        (true, true) => marker = Some("*"),
        (true, false) => marker = Some("+"),
        (false, true) => marker = Some("-"),
        _ => {}
    }
    if let Some(m) = marker {
        let id = match a.identifier("Id")? {
            Some(id) => id,
            None => gen_id("reg", &[component, &root.to_string(), &key, m]),
        };
        ctx.add_row(
            c,
            "Registry",
            vec![id.into(), root.into(), key.clone().into(), m.into(), Cell::Null, component.into()],
        )?;
    }
    let mut out = Vec::new();
    for ch in ctx.elements(c)? {
        match ch.tag_name().name() {
            "RegistryKey" => out.extend(registry_key(ctx, ch, component, Some(root), Some(&key))?),
            "RegistryValue" => out.push(registry_value(ctx, ch, component, Some(root), Some(&key))?),
            _ => return Err(ctx.unsupported(ch, &["RegistryKey", "RegistryValue"])),
        }
    }
    Ok(out)
}

/// `<RegistryValue>`: returns (id, KeyPath).
fn registry_value(
    ctx: &mut Ctx<'_>,
    c: Node<'_, '_>,
    component: &str,
    root: Option<i32>,
    parent: Option<&str>,
) -> Result<(String, bool), Error> {
    let a = ctx.attrs(c, &["Id", "Root", "Key", "Name", "Value", "Type", "Action", "KeyPath"])?;
    let root = reg_root(&a, root)?;
    let key = reg_key(&a, parent)?;
    let ty = a
        .one_of("Type", &["string", "integer", "expandable", "binary", "multiString"])?
        .unwrap_or_else(|| "string".into());
    let mut multi = Vec::new();
    for ch in ctx.elements(c)? {
        if !ch.has_tag_name("MultiStringValue") || ty != "multiString" {
            return Err(ctx.unsupported(ch, if ty == "multiString" { &["MultiStringValue"] } else { &[] }));
        }
        ctx.attrs(ch, &[])?;
        multi.push(ctx.text(ch)?.unwrap_or_default());
    }
    let raw = a.string("Value");
    let value = match ty.as_str() {
        "string" => raw.map(|v| if v.starts_with('#') { format!("#{v}") } else { v }),
        "integer" => Some(format!("#{}", raw.ok_or_else(|| a.error("Value", "is required for an integer"))?)),
        "expandable" => Some(format!("#%{}", raw.unwrap_or_default())),
        "binary" => Some(format!("#x{}", raw.ok_or_else(|| a.error("Value", "is required for binary"))?)),
        _ => {
            let mut items: Vec<String> = raw.into_iter().collect();
            items.extend(multi);
            let joined = items.join("[~]");
            Some(match a.one_of("Action", &["write", "append", "prepend"])?.as_deref() {
                Some("append") => format!("[~]{joined}"),
                Some("prepend") => format!("{joined}[~]"),
                _ => format!("[~]{joined}[~]"),
            })
        }
    };
    if ty != "multiString" {
        a.one_of("Action", &["write"])?;
    }
    let name = a.string("Name");
    let id = match a.identifier("Id")? {
        Some(id) => id,
        None => gen_id("reg", &[component, &root.to_string(), &key, name.as_deref().unwrap_or("")]),
    };
    ctx.add_row(
        c,
        "Registry",
        vec![id.clone().into(), root.into(), key.into(), name.into(), value.into(), component.into()],
    )?;
    Ok((id, a.is_yes("KeyPath")?))
}

fn remove_registry(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str) -> Result<(), Error> {
    let is_key = c.has_tag_name("RemoveRegistryKey");
    let a = ctx.attrs(c, if is_key { &["Id", "Root", "Key", "Action"] } else { &["Id", "Root", "Key", "Name"] })?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let root = reg_root(&a, None)?;
    let key = reg_key(&a, None)?;
    let name: Option<String> = if is_key {
        if a.one_of("Action", &["removeOnInstall", "removeOnUninstall"])?.as_deref() == Some("removeOnUninstall") {
            // Removal on uninstall is a Registry row named "-".
            let id = a.identifier("Id")?.unwrap_or_else(|| gen_id("reg", &[component, &key, "-"]));
            return ctx.add_row(
                c,
                "Registry",
                vec![id.into(), root.into(), key.into(), "-".into(), Cell::Null, component.into()],
            );
        }
        Some("-".into())
    } else {
        a.string("Name")
    };
    let id = a.identifier("Id")?.unwrap_or_else(|| gen_id("rreg", &[component, &key, name.as_deref().unwrap_or("")]));
    ctx.add_row(c, "RemoveRegistry", vec![id.into(), root.into(), key.into(), name.into(), component.into()])
}

/// `<ServiceInstall>`.
fn service_install(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str) -> Result<(), Error> {
    let a = ctx.attrs(
        c,
        &[
            "Id",
            "Name",
            "DisplayName",
            "Description",
            "Type",
            "Start",
            "ErrorControl",
            "Vital",
            "Account",
            "Password",
            "Arguments",
            "LoadOrderGroup",
            "Interactive",
            "EraseDescription",
        ],
    )?;
    let name = a.required("Name")?;
    let id = a.identifier("Id")?.unwrap_or_else(|| gen_id("svc", &[component, &name]));
    // ServiceInstall table values (MSI SDK "ServiceInstall Table").
    let mut ty = match a.one_of("Type", &["ownProcess", "shareProcess", "kernelDriver", "systemDriver"])?.as_deref() {
        Some("shareProcess") => 0x20,
        Some("kernelDriver") => 0x1,
        Some("systemDriver") => 0x2,
        Some(_) => 0x10,
        None => return Err(a.error("Type", "is required (ownProcess, shareProcess, ...)")),
    };
    if a.is_yes("Interactive")? {
        ty |= 0x100;
    }
    let start = match a.one_of("Start", &["auto", "demand", "disabled", "boot", "system"])?.as_deref() {
        Some("auto") => 2,
        Some("demand") => 3,
        Some("disabled") => 4,
        Some("boot") => 0,
        Some(_) => 1,
        None => return Err(a.error("Start", "is required (auto, demand or disabled)")),
    };
    let mut err = match a.one_of("ErrorControl", &["ignore", "normal", "critical"])?.as_deref() {
        Some("ignore") => 0,
        Some("critical") => 3,
        Some(_) => 1,
        None => return Err(a.error("ErrorControl", "is required (ignore, normal or critical)")),
    };
    if a.is_yes("Vital")? {
        err |= 0x8000; // msidbServiceInstallErrorControlVital
    }
    let mut deps = Vec::new();
    for ch in ctx.elements(c)? {
        if !ch.has_tag_name("ServiceDependency") {
            return Err(ctx.unsupported(ch, &["ServiceDependency"]));
        }
        let d = ctx.attrs(ch, &["Id", "Group"])?;
        let dep = d.required("Id")?;
        deps.push(if d.is_yes("Group")? { format!("+{dep}") } else { dep });
    }
    let deps = if deps.is_empty() { None } else { Some(format!("{}[~][~]", deps.join("[~]"))) };
    let desc = if a.is_yes("EraseDescription")? { Some("[~]".to_string()) } else { a.string("Description") };
    ctx.add_row(
        c,
        "ServiceInstall",
        vec![
            id.into(),
            name.into(),
            a.string("DisplayName").into(),
            ty.into(),
            start.into(),
            err.into(),
            a.string("LoadOrderGroup").into(),
            deps.into(),
            a.string("Account").into(),
            a.string("Password").into(),
            a.string("Arguments").into(),
            component.into(),
            desc.into(),
        ],
    )
}

/// `<ServiceControl>`.
fn service_control(ctx: &mut Ctx<'_>, c: Node<'_, '_>, component: &str) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Name", "Start", "Stop", "Remove", "Wait"])?;
    let name = a.required("Name")?;
    let id = a.identifier("Id")?.unwrap_or_else(|| gen_id("svcctl", &[component, &name]));
    // ServiceControl event bits (MSI SDK "ServiceControl Table"): on install Start 0x1, Stop 0x2,
    // Delete 0x8; the uninstall bits are the same shifted by 4 (0x10, 0x20, 0x80).
    let pick = |attr: &str, install: i32| -> Result<i32, Error> {
        Ok(match a.one_of(attr, &["install", "uninstall", "both"])?.as_deref() {
            Some("install") => install,
            Some("uninstall") => install << 4,
            Some(_) => install | (install << 4),
            None => 0,
        })
    };
    let event = pick("Start", 0x1)? | pick("Stop", 0x2)? | pick("Remove", 0x8)?;
    let mut args = Vec::new();
    for ch in ctx.elements(c)? {
        if !ch.has_tag_name("ServiceArgument") {
            return Err(ctx.unsupported(ch, &["ServiceArgument"]));
        }
        ctx.attrs(ch, &[])?;
        args.push(ctx.text(ch)?.unwrap_or_default());
    }
    let args = if args.is_empty() { None } else { Some(args.join("[~]")) };
    let wait: Cell = a.yes_no("Wait")?.map(|w| if w { 1 } else { 0 }).into();
    ctx.add_row(c, "ServiceControl", vec![id.into(), name.into(), event.into(), args.into(), wait, component.into()])
}

/// The children of `<Feature>`/`<FeatureRef>`: membership, sub-features, level conditions.
fn feature_common(ctx: &mut Ctx<'_>, c: Node<'_, '_>, id: &str) -> Result<(), Error> {
    for ch in ctx.elements(c)? {
        let loc = ctx.loc(ch);
        match ch.tag_name().name() {
            "Feature" => feature(ctx, ch, Some(id))?,
            "ComponentRef" => {
                let cid = ref_id(ctx, ch, "Component")?;
                ctx.model.feature_members.push((id.to_string(), Member::Component(cid), loc));
            }
            "ComponentGroupRef" => {
                let gid = ref_id(ctx, ch, "ComponentGroup")?;
                ctx.model.feature_members.push((id.to_string(), Member::Group(gid), loc));
            }
            "Component" => {
                let cid = component(ctx, ch, None)?;
                ctx.model.feature_members.push((id.to_string(), Member::Component(cid), loc));
            }
            "Condition" => {
                let a = ctx.attrs(ch, &["Level"])?;
                let level = a.int("Level")?.ok_or_else(|| a.error("Level", "is required"))?;
                let cond = ctx.text(ch)?.ok_or_else(|| ctx.error(ch, "<Condition> needs the condition as its text"))?;
                ctx.add_row(ch, "Condition", vec![id.into(), level.into(), cond.into()])?;
            }
            _ => {
                return Err(
                    ctx.unsupported(ch, &["Feature", "ComponentRef", "ComponentGroupRef", "Component", "Condition"])
                )
            }
        }
    }
    Ok(())
}

/// `<Feature>`; attribute bits per the MSI SDK "Feature Table".
fn feature(ctx: &mut Ctx<'_>, c: Node<'_, '_>, parent: Option<&str>) -> Result<(), Error> {
    let a = ctx.attrs(
        c,
        &[
            "Id",
            "Title",
            "Description",
            "Level",
            "Display",
            "ConfigurableDirectory",
            "AllowAdvertise",
            "Absent",
            "InstallDefault",
            "TypicalDefault",
        ],
    )?;
    let id = a.required_id("Id")?;
    if id.len() > 38 {
        return Err(a.error("Id", "a feature id has at most 38 characters"));
    }
    let level = a.int("Level")?.unwrap_or(1);
    let mut bits = 0;
    match a.one_of("InstallDefault", &["local", "source", "followParent"])?.as_deref() {
        Some("source") => bits |= 0x1,
        Some("followParent") => bits |= 0x2,
        _ => {}
    }
    if a.one_of("TypicalDefault", &["install", "advertise"])?.as_deref() == Some("advertise") {
        bits |= 0x4;
    }
    match a.one_of("AllowAdvertise", &["no", "system", "yes"])?.as_deref() {
        Some("no") => bits |= 0x8,
        Some("system") => bits |= 0x20,
        _ => {}
    }
    if a.one_of("Absent", &["allow", "disallow"])?.as_deref() == Some("disallow") {
        bits |= 0x10;
    }
    // Display: hidden = 0; otherwise a placeholder sign the linker turns into the order number
    // (odd = collapsed, even = expanded), as WiX does.
    let display = match a.one_of("Display", &["collapse", "expand", "hidden"])?.as_deref() {
        Some("hidden") => 0,
        Some("expand") => -2,
        _ => -1,
    };
    let dir = a.identifier("ConfigurableDirectory")?;
    if let Some(d) = &dir {
        if d.chars().any(|ch| ch.is_ascii_lowercase()) {
            return Err(a.error("ConfigurableDirectory", "must be a public property (upper case)"));
        }
        ctx.reference(c, "Directory", d);
    }
    ctx.add_row(
        c,
        "Feature",
        vec![
            id.clone().into(),
            parent.into(),
            a.string("Title").into(),
            a.string("Description").into(),
            display.into(),
            level.into(),
            dir.into(),
            bits.into(),
        ],
    )?;
    feature_common(ctx, c, &id)
}

/// `<FeatureRef>`.
fn feature_ref(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "IgnoreParent"])?;
    let id = a.required_id("Id")?;
    ctx.reference(c, "Feature", &id);
    feature_common(ctx, c, &id)
}

/// `<Property>` (also called for `<Property>` inside `<UI>`).
pub fn property(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Value", "Secure", "Hidden", "Admin", "SuppressModularization", "ComplianceCheck"])?;
    let id = a.required_id("Id")?;
    if a.is_yes("ComplianceCheck")? {
        return Err(a.error("ComplianceCheck", "is not supported"));
    }
    if a.is_yes("Secure")? {
        if id.chars().any(|ch| ch.is_ascii_lowercase()) {
            return Err(a.error("Secure", format!("{id} must be a public property (upper case) to be secure")));
        }
        ctx.model.secure.insert(id.clone());
    }
    if a.is_yes("Hidden")? {
        ctx.model.hidden.insert(id.clone());
    }
    if a.is_yes("Admin")? {
        ctx.model.admin.insert(id.clone());
    }
    let mut searched = false;
    for ch in ctx.elements(c)? {
        match ch.tag_name().name() {
            "RegistrySearch" => registry_search(ctx, ch, &id)?,
            "DirectorySearch" => {
                directory_search(ctx, ch, &id, None)?;
            }
            _ => return Err(ctx.unsupported(ch, &["RegistrySearch", "DirectorySearch"])),
        }
        searched = true;
    }
    if searched && id.chars().any(|ch| ch.is_ascii_lowercase()) {
        return Err(a.error("Id", "a property set by a search must be public (upper case)"));
    }
    match a.string("Value") {
        Some(v) if v.is_empty() => {
            return Err(a.error("Value", "an empty value means the property is unset; omit Value"))
        }
        Some(v) => ctx.add_row(c, "Property", vec![id.into(), v.into()])?,
        None => {
            if !ctx.model.is_defined("Property", &id) {
                ctx.model.symbols.entry(("Property".into(), id)).or_insert_with(|| a.loc.clone());
            }
        }
    }
    Ok(())
}

/// `<RegistrySearch>` -> `RegLocator` + `AppSearch`.
fn registry_search(ctx: &mut Ctx<'_>, c: Node<'_, '_>, property: &str) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Root", "Key", "Name", "Type", "Win64"])?;
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    let id = a.required_id("Id")?;
    let root = match reg_root(&a, None)? {
        -1 => return Err(a.error("Root", "HKMU cannot be searched")),
        r => r,
    };
    // RegLocator types (MSI SDK "RegLocator Table"): directory 0, file 1, raw 2; 64-bit 0x10.
    let mut ty = match a.one_of("Type", &["directory", "file", "raw"])?.as_deref() {
        Some("directory") => 0,
        Some("file") => 1,
        Some(_) => 2,
        None => return Err(a.error("Type", "is required (directory, file or raw)")),
    };
    if a.yes_no("Win64")?.unwrap_or(ctx.win64) {
        ty |= 0x10;
    }
    ctx.add_row(
        c,
        "RegLocator",
        vec![id.clone().into(), root.into(), a.required("Key")?.into(), a.string("Name").into(), ty.into()],
    )?;
    ctx.add_row(c, "AppSearch", vec![property.into(), id.into()])
}

/// `<DirectorySearch>` -> `DrLocator` + `AppSearch` (nested searches chain through `Parent`).
fn directory_search(ctx: &mut Ctx<'_>, c: Node<'_, '_>, property: &str, parent: Option<&str>) -> Result<String, Error> {
    let a = ctx.attrs(c, &["Id", "Path", "Depth", "AssignToProperty"])?;
    let id = a.required_id("Id")?;
    ctx.add_row(
        c,
        "DrLocator",
        vec![id.clone().into(), parent.into(), a.string("Path").into(), a.int("Depth")?.into()],
    )?;
    let mut last = id.clone();
    for ch in ctx.elements(c)? {
        match ch.tag_name().name() {
            "DirectorySearch" => last = directory_search(ctx, ch, property, Some(&id))?,
            "FileSearch" => {
                let f =
                    ctx.attrs(ch, &["Id", "Name", "MinVersion", "MaxVersion", "MinSize", "MaxSize", "Languages"])?;
                let fid = f.required_id("Id")?;
                ctx.add_row(
                    ch,
                    "Signature",
                    vec![
                        fid.clone().into(),
                        f.required("Name")?.into(),
                        f.string("MinVersion").into(),
                        f.string("MaxVersion").into(),
                        f.int("MinSize")?.into(),
                        f.int("MaxSize")?.into(),
                        Cell::Null,
                        Cell::Null,
                        f.string("Languages").into(),
                    ],
                )?;
                ctx.add_row(ch, "DrLocator", vec![fid.clone().into(), id.clone().into(), Cell::Null, Cell::Null])?;
                last = fid;
            }
            _ => return Err(ctx.unsupported(ch, &["DirectorySearch", "FileSearch"])),
        }
    }
    if parent.is_none() || a.is_yes("AssignToProperty")? {
        ctx.add_row(c, "AppSearch", vec![property.into(), last.clone().into()])?;
    }
    Ok(last)
}

/// `<CustomAction>`.
fn custom_action(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(
        c,
        &[
            "Id",
            "BinaryKey",
            "DllEntry",
            "ExeCommand",
            "FileKey",
            "Directory",
            "Property",
            "Value",
            "Error",
            "Script",
            "JScriptCall",
            "VBScriptCall",
            "Execute",
            "Impersonate",
            "Return",
            "HideTarget",
            "TerminalServerAware",
            "Win64",
            "PatchUninstall",
            "SuppressModularization",
        ],
    )?;
    use crate::tables::ca_bits::*;
    let id = a.required_id("Id")?;
    let present: Vec<&str> =
        ["BinaryKey", "FileKey", "Directory", "Property", "Error", "Script"].into_iter().filter(|n| a.has(n)).collect();
    let targets: Vec<&str> =
        ["DllEntry", "ExeCommand", "Value", "JScriptCall", "VBScriptCall"].into_iter().filter(|n| a.has(n)).collect();
    let ca_loc = ctx.loc(c);
    let combo_err = || {
        ca_loc.error(format!(
            "unsupported CustomAction combination (source: {}; target: {}); supported: BinaryKey or FileKey with DllEntry/ExeCommand/JScriptCall/VBScriptCall, Directory with Value/ExeCommand, Property with Value/ExeCommand/JScriptCall/VBScriptCall, Error, Script",
            if present.is_empty() { "none".into() } else { present.join("+") },
            if targets.is_empty() { "none".into() } else { targets.join("+") }
        ))
    };
    if present.len() != 1 || targets.len() > 1 {
        return Err(combo_err());
    }
    let target_name = targets.first().copied();
    let script_text = if a.has("Script") {
        ctx.text(c)?
    } else {
        if ctx.text(c)?.is_some() {
            return Err(ctx.error(c, "inner text is only allowed with Script"));
        }
        None
    };
    let (mut ty, source, target): (i32, Option<String>, Option<String>) = match (present[0], target_name) {
        ("BinaryKey", Some(t)) => {
            let b = a.required_id("BinaryKey")?;
            ctx.reference(c, "Binary", &b);
            let kind = match t {
                "DllEntry" => DLL,
                "ExeCommand" => EXE,
                "JScriptCall" => JSCRIPT,
                "VBScriptCall" => VBSCRIPT,
                _ => return Err(combo_err()),
            };
            (kind, Some(b), a.string(t))
        }
        ("FileKey", Some(t)) => {
            let f = a.required_id("FileKey")?;
            ctx.reference(c, "File", &f);
            let kind = match t {
                "DllEntry" => DLL,
                "ExeCommand" => EXE,
                "JScriptCall" => JSCRIPT,
                "VBScriptCall" => VBSCRIPT,
                _ => return Err(combo_err()),
            };
            (kind | SOURCE_FILE, Some(f), a.string(t))
        }
        ("Directory", Some(t @ ("Value" | "ExeCommand"))) => {
            let d = a.required_id("Directory")?;
            ctx.reference(c, "Directory", &d);
            (if t == "Value" { TEXT } else { EXE } | DIRECTORY, Some(d), a.string(t))
        }
        ("Property", Some(t)) => {
            let p = a.required_id("Property")?;
            let kind = match t {
                "Value" => TEXT,
                "ExeCommand" => EXE,
                "JScriptCall" => JSCRIPT,
                "VBScriptCall" => VBSCRIPT,
                _ => return Err(combo_err()),
            };
            (kind | PROPERTY, Some(p), a.string(t))
        }
        ("Error", None) => (TEXT | SOURCE_FILE, None, a.string("Error")),
        ("Script", None) => {
            let kind = match a.one_of("Script", &["jscript", "vbscript"])?.as_deref() {
                Some("jscript") => JSCRIPT,
                _ => VBSCRIPT,
            };
            let text = script_text.ok_or_else(|| ctx.error(c, "Script needs the script as inner text"))?;
            (kind | DIRECTORY, None, Some(text))
        }
        _ => return Err(combo_err()),
    };
    let is_script = matches!(ty & 0x7, JSCRIPT | VBSCRIPT);
    let in_script = match a
        .one_of(
            "Execute",
            &["immediate", "deferred", "rollback", "commit", "oncePerProcess", "firstSequence", "secondSequence"],
        )?
        .as_deref()
    {
        Some("deferred") => {
            ty |= IN_SCRIPT;
            true
        }
        Some("rollback") => {
            ty |= IN_SCRIPT | ROLLBACK;
            true
        }
        Some("commit") => {
            ty |= IN_SCRIPT | COMMIT;
            true
        }
        Some("oncePerProcess") => {
            ty |= ONCE_PER_PROCESS;
            false
        }
        Some("firstSequence") => {
            ty |= FIRST_SEQUENCE;
            false
        }
        Some("secondSequence") => {
            ty |= CLIENT_REPEAT;
            false
        }
        _ => false,
    };
    if a.yes_no("Impersonate")? == Some(false) {
        if !in_script {
            return Err(a.error("Impersonate", "\"no\" applies only to deferred, rollback or commit actions"));
        }
        ty |= NO_IMPERSONATE;
    }
    match a.one_of("Return", &["check", "ignore", "asyncWait", "asyncNoWait"])?.as_deref() {
        Some("ignore") => ty |= CONTINUE,
        Some("asyncWait") => ty |= ASYNC,
        Some("asyncNoWait") => ty |= ASYNC | CONTINUE,
        _ => {}
    }
    if a.is_yes("HideTarget")? {
        ty |= HIDE_TARGET;
    }
    if a.is_yes("TerminalServerAware")? {
        if !in_script {
            return Err(a.error("TerminalServerAware", "applies only to deferred actions"));
        }
        ty |= TS_AWARE;
    }
    if a.yes_no("Win64")?.unwrap_or(ctx.win64 && is_script) && is_script {
        ty |= SCRIPT_64;
    }
    let ext: Cell = if a.is_yes("PatchUninstall")? { Cell::Int(PATCH_UNINSTALL) } else { Cell::Null };
    ctx.add_row(c, "CustomAction", vec![id.into(), ty.into(), source.into(), target.into(), ext])
}

/// `<SetProperty Id="PROPERTY">`: a type-51 action scheduled in the UI and/or execute sequence.
fn set_property(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Value", "Action", "After", "Before", "Sequence"])?;
    let prop = a.required_id("Id")?;
    let action = a.identifier("Action")?.unwrap_or_else(|| format!("Set{prop}"));
    let value = a.required("Value")?;
    ctx.add_row(
        c,
        "CustomAction",
        vec![
            action.clone().into(),
            (crate::tables::ca_bits::TEXT | crate::tables::ca_bits::PROPERTY).into(),
            prop.into(),
            value.into(),
            Cell::Null,
        ],
    )?;
    set_schedule(ctx, c, &a, &action, None)
}

/// `<SetDirectory>`: a type-35 action.
fn set_directory(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "Value", "Action", "Sequence"])?;
    let dir = a.required_id("Id")?;
    ctx.reference(c, "Directory", &dir);
    let action = a.identifier("Action")?.unwrap_or_else(|| format!("Set{dir}"));
    ctx.add_row(
        c,
        "CustomAction",
        vec![
            action.clone().into(),
            (crate::tables::ca_bits::TEXT | crate::tables::ca_bits::DIRECTORY).into(),
            dir.into(),
            a.required("Value")?.into(),
            Cell::Null,
        ],
    )?;
    // WiX schedules SetDirectory after CostInitialize.
    set_schedule(ctx, c, &a, &action, Some(Placement::After("CostInitialize".into())))
}

fn set_schedule(
    ctx: &mut Ctx<'_>,
    c: Node<'_, '_>,
    a: &Attrs,
    action: &str,
    default: Option<Placement>,
) -> Result<(), Error> {
    let placement = match (a.string("After"), a.string("Before")) {
        (Some(x), None) => Placement::After(x),
        (None, Some(x)) => Placement::Before(x),
        (None, None) => default.ok_or_else(|| a.error("After", "After or Before is required"))?,
        _ => return Err(a.error("Before", "cannot be combined with After")),
    };
    let cond = ctx.text(c)?;
    let seqs: &[&str] = match a.one_of("Sequence", &["both", "execute", "ui", "first"])?.as_deref() {
        Some("execute") => &["InstallExecuteSequence"],
        Some("ui") => &["InstallUISequence"],
        Some("first") => return Err(a.error("Sequence", "\"first\" is not supported")),
        _ => &["InstallUISequence", "InstallExecuteSequence"],
    };
    for t in seqs {
        schedule(ctx, c, t, action, cond.clone(), placement.clone());
    }
    Ok(())
}

/// `<InstallExecuteSequence>` and the other sequence elements (also inside `<UI>`).
pub fn sequence(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    ctx.attrs(c, &[])?;
    let table = match c.tag_name().name() {
        "AdvertiseExecuteSequence" => "AdvtExecuteSequence".to_string(),
        t => t.to_string(),
    };
    for ch in ctx.elements(c)? {
        let name = ch.tag_name().name();
        let (action, a) = match name {
            "Custom" => {
                let a = ctx.attrs(ch, &["Action", "After", "Before", "Sequence", "OnExit", "Overridable"])?;
                let act = a.required_id("Action")?;
                ctx.reference(ch, "CustomAction", &act);
                (act, a)
            }
            "Show" => {
                if !table.ends_with("UISequence") {
                    return Err(ctx.error(ch, "<Show> belongs in InstallUISequence or AdminUISequence"));
                }
                let a = ctx.attrs(ch, &["Dialog", "After", "Before", "Sequence", "OnExit", "Overridable"])?;
                let d = a.required_id("Dialog")?;
                ctx.reference(ch, "Dialog", &d);
                (d, a)
            }
            n if super::sequence::is_standard_action(n) => {
                let a = ctx.attrs(ch, &["After", "Before", "Sequence", "Suppress", "Overridable"])?;
                (n.to_string(), a)
            }
            _ => {
                let mut supported = vec!["Custom", "Show"];
                supported.push("<any standard action>");
                return Err(ctx.unsupported(ch, &supported));
            }
        };
        let cond = ctx.text(ch)?;
        let set: Vec<&str> = ["After", "Before", "Sequence", "OnExit"].into_iter().filter(|x| a.has(x)).collect();
        if set.len() > 1 {
            return Err(a.error(set[1], format!("cannot be combined with {}", set[0])));
        }
        let placement = if a.is_yes("Suppress")? {
            Placement::Suppress
        } else if let Some(x) = a.string("After") {
            Placement::After(x)
        } else if let Some(x) = a.string("Before") {
            Placement::Before(x)
        } else if let Some(n) = a.int("Sequence")? {
            Placement::Sequence(n)
        } else if let Some(e) = a.one_of("OnExit", &["success", "cancel", "error", "suspend"])? {
            Placement::Sequence(match e.as_str() {
                "success" => -1,
                "cancel" => -2,
                "error" => -3,
                _ => -4,
            })
        } else if super::sequence::is_standard_action(&action) {
            Placement::Default
        } else {
            return Err(ctx.error(ch, "needs After, Before, Sequence or OnExit"));
        };
        let loc = ctx.loc(ch);
        ctx.model.actions.push(ScheduledAction { table: table.clone(), action, condition: cond, placement, loc });
    }
    Ok(())
}

/// `<CustomTable>`: defines a table (columns) and/or adds rows.
fn custom_table(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id"])?;
    let id = a.required_id("Id")?;
    let children = ctx.elements(c)?;
    let mut columns = Vec::new();
    for ch in children.iter().filter(|n| n.has_tag_name("Column")) {
        let k = ctx.attrs(
            *ch,
            &[
                "Id",
                "Type",
                "Width",
                "PrimaryKey",
                "Nullable",
                "Localizable",
                "Category",
                "Description",
                "KeyTable",
                "KeyColumn",
                "MinValue",
                "MaxValue",
                "Set",
                "Modularize",
            ],
        )?;
        let name = k.required_id("Id")?;
        let width = k.int("Width")?.unwrap_or(0);
        let kind = match k.one_of("Type", &["int", "string", "binary"])?.as_deref() {
            Some("int") => match width {
                2 => ColumnKind::Int16,
                4 => ColumnKind::Int32,
                _ => return Err(k.error("Width", "an int column is 2 or 4 wide")),
            },
            Some("string") if k.is_yes("Localizable")? => ColumnKind::Localized(width.max(0) as usize),
            Some("string") => ColumnKind::Str(width.max(0) as usize),
            Some(_) => ColumnKind::Binary,
            None => return Err(k.error("Type", "is required (int, string or binary)")),
        };
        let category = match k.string("Category") {
            None => None,
            Some(cat) => Some(
                cat.parse::<msi::Category>()
                    .map_err(|_| k.error("Category", format!("{cat:?} is not an MSI column category")))?,
            ),
        };
        let range = match (k.int("MinValue")?, k.int("MaxValue")?) {
            (Some(lo), Some(hi)) => Some((lo, hi)),
            (None, None) => None,
            _ => return Err(k.error("MinValue", "MinValue and MaxValue go together")),
        };
        let foreign_key = match (k.string("KeyTable"), k.int("KeyColumn")?) {
            (Some(t), Some(n)) => Some((t, n)),
            (None, None) => None,
            _ => return Err(k.error("KeyTable", "KeyTable and KeyColumn go together")),
        };
        let set = k.string("Set").map(|s| s.split(';').map(str::to_string).collect()).unwrap_or_default();
        columns.push(ColumnDef {
            name,
            kind,
            key: k.is_yes("PrimaryKey")?,
            nullable: k.is_yes("Nullable")?,
            category,
            range,
            foreign_key,
            set,
        });
        if let Some(x) = ctx.elements(*ch)?.first() {
            return Err(ctx.unsupported(*x, &[]));
        }
    }
    if !columns.is_empty() {
        if !columns.iter().any(|c| c.key) {
            return Err(a.error("Id", "a custom table needs at least one PrimaryKey column"));
        }
        ctx.model.define_table(TableDef { name: id.clone(), columns }, &a.loc)?;
    }
    for ch in children {
        match ch.tag_name().name() {
            "Column" => {}
            "Row" => {
                ctx.attrs(ch, &[])?;
                let def = ctx.model.tables.get(&id).map(|t| t.def.clone()).ok_or_else(|| {
                    ctx.error(ch, format!("no <CustomTable Id=\"{id}\"> with <Column>s defines this table"))
                })?;
                let mut cells = vec![Cell::Null; def.columns.len()];
                for d in ctx.elements(ch)? {
                    if !d.has_tag_name("Data") {
                        return Err(ctx.unsupported(d, &["Data"]));
                    }
                    let da = ctx.attrs(d, &["Column"])?;
                    let col = da.required("Column")?;
                    let i = def
                        .column_index(&col)
                        .ok_or_else(|| da.error("Column", format!("table {id} has no column {col}")))?;
                    let text = ctx.text(d)?;
                    cells[i] = match (def.columns[i].kind, text) {
                        (_, None) => Cell::Null,
                        (ColumnKind::Int16 | ColumnKind::Int32, Some(t)) => {
                            Cell::Int(t.trim().parse().map_err(|_| ctx.error(d, format!("{t:?} is not an integer")))?)
                        }
                        (ColumnKind::Binary, Some(t)) => Cell::Stream(ctx.source_path(&t)),
                        (_, Some(t)) => Cell::Str(t),
                    };
                }
                ctx.add_row(ch, &id, cells)?;
            }
            _ => return Err(ctx.unsupported(ch, &["Column", "Row"])),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        assert_eq!(msi_name("README.TXT", None), "README.TXT");
        assert_eq!(msi_name("a.b", None), "a.b");
        let n = msi_name("Release Notes.txt", None);
        let (short, long) = n.split_once('|').unwrap();
        assert_eq!(long, "Release Notes.txt");
        assert!(is_short_name(short) && short.ends_with(".txt"), "{short}");
        assert_eq!(msi_name("x.txt", Some("Y.TXT")), "Y.TXT|x.txt");
    }

    #[test]
    fn pe_version_of_a_wine_dll() {
        // Wine's builtin PE files carry version resources; Wine is a CI requirement.
        let p = std::path::Path::new("/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/msi.dll");
        if !p.is_file() {
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!("{} missing (wine64 is a CI requirement)", p.display());
            }
            eprintln!("SKIPPED: {} not present (install wine64)", p.display());
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
