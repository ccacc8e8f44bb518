//! `<Product>`/`<Package>` (the `Property` rows and summary information they give), launch
//! conditions, `<MajorUpgrade>` and `<Upgrade>`.
//!
//! Bit values: MSI SDK "Upgrade Table".

use super::common::{derived_guid, schedule};
use crate::wix::context::{Attrs, Ctx};
use crate::wix::error::Error;
use crate::wix::model::{Cell, Placement, ProductInfo};
use roxmltree::Node;

/// Lowers the attributes of `<Product>` and its `<Package>`; the caller lowers the other children.
pub(super) fn product_and_package(ctx: &mut Ctx<'_>, node: Node<'_, '_>) -> Result<ProductInfo, Error> {
    let a = ctx.attrs(node, &["Id", "Name", "Language", "Version", "Manufacturer", "UpgradeCode", "Codepage"])?;
    let name = a.required("Name")?;
    let version = a.required("Version")?;
    check_product_version(&a, &version)?;
    let manufacturer = a.required("Manufacturer")?;
    let language = a.int("Language")?.ok_or_else(|| a.error("Language", "is required"))?;
    let codepage = a.int("Codepage")?.unwrap_or(crate::codepage::WINDOWS_1252);
    if !crate::codepage::is_supported(codepage) {
        return Err(
            a.error("Codepage", format!("code page {codepage} is not supported (932, 936, 949, 950, 1250-1258)"))
        );
    }
    // A .wxl's Codepage, set before the Product is lowered, overrides this one (as in WiX v3).
    let codepage = *ctx.model.codepage.get_or_insert(codepage);
    // Every row from here on is checked against it (the Product's rows come first).
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
    // Package/@Platform (deprecated in WiX v3 in favour of candle -arch) overrides the build's
    // architecture; "intel" is x86; Itanium ("ia64", "intel64") and ARM are not supported.
    let win64 = match p.one_of("Platform", &["x86", "x64", "intel", "intel64", "ia64", "arm"])?.as_deref() {
        None => ctx.win64,
        Some("x64") => true,
        Some("x86" | "intel") => false,
        Some(other) => return Err(p.error("Platform", format!("{other} packages are not supported (x86 or x64)"))),
    };
    let scope = p.one_of("InstallScope", &["perMachine", "perUser"])?;
    let privileges = p.one_of("InstallPrivileges", &["elevated", "limited"])?;
    let summary_codepage = p.int("SummaryCodepage")?.unwrap_or(crate::codepage::WINDOWS_1252);
    if !crate::codepage::is_supported(summary_codepage) {
        return Err(p.error(
            "SummaryCodepage",
            format!("code page {summary_codepage} is not supported (932, 936, 949, 950, 1250-1258)"),
        ));
    }
    if p.is_yes("AdminImage")? || p.is_yes("ShortNames")? {
        return Err(p.error(if p.has("AdminImage") { "AdminImage" } else { "ShortNames" }, "only \"no\" is supported"));
    }
    // 64-bit packages need Windows Installer 2.0 (MSI SDK "Using 64-Bit Windows Installer
    // Packages": the Page Count summary property must be 200 or greater); Windows refuses an x64
    // package that asks for less, and WiX rejects it too.
    let installer_version = p.int("InstallerVersion")?.unwrap_or(500);
    if win64 && installer_version < 200 {
        return Err(p.error(
            "InstallerVersion",
            format!("{installer_version} is too low for an x64 package: 64-bit packages need Windows Installer 2.0, so at least 200"),
        ));
    }
    let info = ProductInfo {
        loc: ctx.loc(node),
        product_code: product_code.clone(),
        upgrade_code: upgrade_code.clone(),
        name: name.clone(),
        version: version.clone(),
        language,
        description: p.string("Description"),
        comments: p.string("Comments"),
        keywords: p.string("Keywords").unwrap_or_else(|| "Installer".to_string()),
        author: p.string("Manufacturer").unwrap_or_else(|| manufacturer.clone()),
        installer_version,
        win64,
        codepage,
        summary_codepage,
        compressed: p.yes_no("Compressed")?.unwrap_or(true),
        // WiX: InstallScope="perUser" "also sets the InstallPrivileges attribute to limited"
        // (Word Count bit 3, "elevated privileges are not required").
        limited_privileges: privileges.as_deref() == Some("limited") || scope.as_deref() == Some("perUser"),
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
    Ok(info)
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

/// Product-level `<Condition Message="...">` -> `LaunchCondition`.
pub(super) fn launch_condition(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Message"])?;
    let msg = a.required("Message")?;
    let cond = ctx.text(c)?.ok_or_else(|| ctx.error(c, "<Condition> needs the condition as its text"))?;
    ctx.add_row(c, "LaunchCondition", vec![cond.into(), msg.into()])
}

/// `<MajorUpgrade>` -> `Upgrade` rows, `RemoveExistingProducts` scheduling, downgrade error.
pub(super) fn major_upgrade(ctx: &mut Ctx<'_>, c: Node<'_, '_>, info: &ProductInfo) -> Result<(), Error> {
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
pub(super) fn upgrade(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
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

#[cfg(test)]
mod tests {
    use super::super::harness::{lower_with, message, row, rows};
    use crate::wix::model::Model;
    use std::path::Path;

    const PRODUCT: &str = r#"Product Id="*" Name="App" Language="1033" Version="1.2.3" Manufacturer="Co" UpgradeCode="{11111111-2222-3333-4444-555555555555}""#;

    fn product(package: &str, body: &str) -> Result<Model, crate::wix::error::Error> {
        lower_with(Path::new("."), PRODUCT, &format!("{package}\n{body}"), |ctx, n| {
            super::super::dispatch::product(ctx, n).map(|_| ())
        })
    }

    const PACKAGE: &str =
        r#"<Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Platform="x64" />"#;

    #[test]
    fn product_properties() {
        let m = product(PACKAGE, "").unwrap();
        for (k, v) in [
            ("ProductName", "App"),
            ("ProductVersion", "1.2.3"),
            ("Manufacturer", "Co"),
            ("ProductLanguage", "1033"),
            ("ALLUSERS", "1"),
        ] {
            assert_eq!(row(&m, "Property", k), [k, v]);
        }
        let code = row(&m, "Property", "ProductCode")[1].clone();
        assert!(code.starts_with('{') && code.len() == 38);
        // Same upgrade code and version: the same product code (a rebuild is the same product).
        assert_eq!(row(&product(PACKAGE, "").unwrap(), "Property", "ProductCode")[1], code);
    }

    #[test]
    fn major_upgrade_rows() {
        let m = product(PACKAGE, r#"<MajorUpgrade DowngradeErrorMessage="Newer installed." />"#).unwrap();
        // Upgrade: UpgradeCode, VersionMin, VersionMax, Language, Attributes, Remove,
        // ActionProperty (MSI SDK "Upgrade Table"): older versions up to this one are removed;
        // newer ones only detected (0x2 OnlyDetect) so the downgrade can be refused.
        let up = rows(&m, "Upgrade");
        assert_eq!(up.len(), 2, "{up:?}");
        assert!(up.iter().any(|r| r[6] == "WIX_UPGRADE_DETECTED" && r[2] == "1.2.3" && r[1].is_empty()), "{up:?}");
        assert!(
            up.iter()
                .any(|r| r[6] == "WIX_DOWNGRADE_DETECTED" && r[1] == "1.2.3" && r[4].parse::<i32>().unwrap() & 2 != 0),
            "{up:?}"
        );
        assert!(m.actions.iter().any(|a| a.action == "RemoveExistingProducts"));
    }

    /// The `ProductInfo` of `<Product>` (attributes of [`PRODUCT`] unless `product` is given)
    /// with `package` as its `<Package>`.
    fn info_of(
        product: Option<&str>,
        package: &str,
    ) -> Result<crate::wix::model::ProductInfo, crate::wix::error::Error> {
        let mut info = None;
        lower_with(Path::new("."), product.unwrap_or(PRODUCT), package, |ctx, n| {
            info = Some(super::super::dispatch::product(ctx, n)?);
            Ok(())
        })?;
        Ok(info.expect("lowered"))
    }

    fn info(package: &str) -> Result<crate::wix::model::ProductInfo, crate::wix::error::Error> {
        info_of(None, package)
    }

    /// The Upgrade row whose ActionProperty (column 7) is `prop`, and its Attributes.
    fn upgrade_row(m: &Model, prop: &str) -> (Vec<String>, i32) {
        let r = rows(m, "Upgrade").into_iter().find(|r| r[6] == prop).unwrap_or_else(|| panic!("no {prop} row"));
        let bits = r[4].parse().unwrap();
        (r, bits)
    }

    // Upgrade table Attributes bits, from the MSI SDK "Upgrade Table" page.
    const MIGRATE_FEATURES: i32 = 0x1;
    const ONLY_DETECT: i32 = 0x2;
    const IGNORE_REMOVE_FAILURE: i32 = 0x4;
    const VERSION_MIN_INCLUSIVE: i32 = 0x100;
    const VERSION_MAX_INCLUSIVE: i32 = 0x200;
    const LANGUAGES_EXCLUSIVE: i32 = 0x400;
    const UPGRADE_CODE: &str = "{11111111-2222-3333-4444-555555555555}";

    /// WiX v3 `MajorUpgrade` (docs.firegiant.com/wix3/xsd/wix/majorupgrade): MigrateFeatures
    /// defaults to yes; the versions below this one are upgraded (VersionMax = this version,
    /// exclusive unless AllowSameVersionUpgrades, which "sets the
    /// msidbUpgradeAttributesVersionMaxInclusive attribute"); newer ones are only detected
    /// (from this version, inclusive unless same-version upgrades are allowed) so the downgrade
    /// can be refused; AllowDowngrades: "any version can be installed over any other version".
    #[test]
    fn major_upgrade_attributes_as_wix_documents_them() {
        let msg = r#"DowngradeErrorMessage="Newer.""#;
        let m = product(PACKAGE, &format!("<MajorUpgrade {msg} />")).unwrap();
        let (up, bits) = upgrade_row(&m, "WIX_UPGRADE_DETECTED");
        assert_eq!(up, [UPGRADE_CODE, "", "1.2.3", "1033", "1", "", "WIX_UPGRADE_DETECTED"]);
        assert_eq!(bits, MIGRATE_FEATURES);
        let (down, bits) = upgrade_row(&m, "WIX_DOWNGRADE_DETECTED");
        assert_eq!(down, [UPGRADE_CODE, "1.2.3", "", "1033", &bits.to_string(), "", "WIX_DOWNGRADE_DETECTED"]);
        assert_eq!(bits, ONLY_DETECT | VERSION_MIN_INCLUSIVE);

        let m = product(PACKAGE, &format!(r#"<MajorUpgrade AllowSameVersionUpgrades="yes" {msg} />"#)).unwrap();
        assert_eq!(upgrade_row(&m, "WIX_UPGRADE_DETECTED").1, MIGRATE_FEATURES | VERSION_MAX_INCLUSIVE);
        assert_eq!(upgrade_row(&m, "WIX_DOWNGRADE_DETECTED").1, ONLY_DETECT);

        let m = product(PACKAGE, &format!(r#"<MajorUpgrade IgnoreRemoveFailure="yes" {msg} />"#)).unwrap();
        assert_eq!(upgrade_row(&m, "WIX_UPGRADE_DETECTED").1, MIGRATE_FEATURES | IGNORE_REMOVE_FAILURE);
        let m = product(PACKAGE, &format!(r#"<MajorUpgrade MigrateFeatures="no" {msg} />"#)).unwrap();
        assert_eq!(upgrade_row(&m, "WIX_UPGRADE_DETECTED").1, 0);

        // AllowDowngrades: one row, every version from 0 (inclusive) up; no DowngradeErrorMessage
        // (WiX: it "must also be specified" only when downgrades are blocked).
        let m = product(PACKAGE, r#"<MajorUpgrade AllowDowngrades="yes" />"#).unwrap();
        let up = rows(&m, "Upgrade");
        assert_eq!(
            up,
            [[
                UPGRADE_CODE,
                "0",
                "",
                "1033",
                &(MIGRATE_FEATURES | VERSION_MIN_INCLUSIVE).to_string(),
                "",
                "WIX_UPGRADE_DETECTED"
            ]]
        );
        assert!(m.rows("CustomAction").is_empty(), "no downgrade error when downgrades are allowed");
        let e = product(PACKAGE, &format!(r#"<MajorUpgrade AllowDowngrades="yes" {msg} />"#)).unwrap_err();
        assert!(message(e).contains("cannot be combined"));
        let e = product(PACKAGE, "<MajorUpgrade />").unwrap_err();
        assert!(message(e).contains("is required unless AllowDowngrades"));
    }

    /// WiX v3 `UpgradeVersion`: each yes/no attribute is one bit of the MSI SDK "Upgrade Table"
    /// Attributes column; IncludeMinimum defaults to yes but means nothing without a Minimum.
    /// The row's other cells are the attributes as written; the property is made secure
    /// ("Upgrade Table": the ActionProperty must be in SecureCustomProperties).
    #[test]
    fn upgrade_version_bits_are_the_upgrade_table_attributes() {
        let one = |attrs: &str| {
            let m = product(
                PACKAGE,
                &format!(r#"<Upgrade Id="{{22222222-3333-4444-5555-666666666666}}"><UpgradeVersion Property="OLDER" {attrs} /></Upgrade>"#),
            )
            .unwrap();
            assert!(m.secure.contains("OLDER"));
            assert!(m.actions.iter().any(|a| a.action == "FindRelatedProducts"), "{attrs}");
            rows(&m, "Upgrade").remove(0)
        };
        for (attrs, bits) in [
            ("", 0),
            (r#"MigrateFeatures="yes""#, MIGRATE_FEATURES),
            (r#"OnlyDetect="yes""#, ONLY_DETECT),
            (r#"IgnoreRemoveFailure="yes""#, IGNORE_REMOVE_FAILURE),
            (r#"Minimum="1.0.0""#, VERSION_MIN_INCLUSIVE),
            (r#"Minimum="1.0.0" IncludeMinimum="no""#, 0),
            (r#"Maximum="2.0.0""#, 0),
            (r#"Maximum="2.0.0" IncludeMaximum="yes""#, VERSION_MAX_INCLUSIVE),
            (r#"Language="1033" ExcludeLanguages="yes""#, LANGUAGES_EXCLUSIVE),
        ] {
            assert_eq!(one(attrs)[4], bits.to_string(), "{attrs}");
        }
        assert_eq!(
            one(r#"Minimum="1.0.0" Maximum="2.0.0" Language="1033" RemoveFeatures="A,B""#),
            ["{22222222-3333-4444-5555-666666666666}", "1.0.0", "2.0.0", "1033", "256", "A,B", "OLDER"]
        );
    }

    /// `<Package>` attributes that reach the summary information (MSI SDK "Summary Information
    /// Stream Property Set"): Security 0 = no restriction, 2 = read-only recommended, 4 =
    /// read-only enforced (WiX ReadOnly no/default/yes); Word Count bit 3 = elevated privileges
    /// not required, which WiX v3's Package/@InstallScope="perUser" "also sets"; Template
    /// languages; Page Count (InstallerVersion): "Using 64-Bit Windows Installer Packages" needs
    /// 200 or greater for x64, nothing of the kind for x86.
    #[test]
    fn package_attributes_of_the_summary_information() {
        for (read_only, security) in
            [(r#"ReadOnly="no""#, 0), (r#"ReadOnly="yes""#, 4), (r#"ReadOnly="default""#, 2), ("", 2)]
        {
            assert_eq!(info(&format!("<Package {read_only} />")).unwrap().security, security, "{read_only}");
        }
        for (attrs, limited) in [
            (r#"InstallScope="perMachine""#, false),
            (r#"InstallScope="perUser""#, true),
            (r#"InstallPrivileges="limited""#, true),
            (r#"InstallPrivileges="elevated""#, false),
            ("", false),
        ] {
            assert_eq!(info(&format!("<Package {attrs} />")).unwrap().limited_privileges, limited, "{attrs}");
        }
        assert_eq!(info(r#"<Package Languages="1033,1031" />"#).unwrap().languages, "1033,1031");
        assert_eq!(info("<Package />").unwrap().languages, "1033");
        assert!(message(info(r#"<Package Languages="en-US" />"#).unwrap_err()).contains("language ids"));

        assert_eq!(info(r#"<Package Platform="x64" InstallerVersion="200" />"#).unwrap().installer_version, 200);
        let e = info(r#"<Package Platform="x64" InstallerVersion="199" />"#).unwrap_err();
        assert!(message(e).contains("at least 200"));
        let e = info(r#"<Package Platform="x64" InstallerVersion="100" />"#).unwrap_err();
        assert!(message(e).contains("at least 200"));
        let x86 = info(r#"<Package Platform="x86" InstallerVersion="100" />"#).unwrap();
        assert_eq!((x86.win64, x86.installer_version), (false, 100));
    }

    /// Administrative images and short names are not supported: either one set to yes is refused,
    /// naming it; "no" is accepted.
    #[test]
    fn admin_image_and_short_names_are_refused() {
        for attr in ["AdminImage", "ShortNames"] {
            let e = info(&format!(r#"<Package {attr}="yes" />"#)).unwrap_err();
            assert!(message(e).contains(&format!("attribute {attr}: only \"no\"")), "{attr}");
            info(&format!(r#"<Package {attr}="no" />"#)).unwrap();
        }
    }

    /// MSI SDK "ProductVersion property": major.minor.build, each field a number (major and
    /// minor at most 255, build at most 65535), an optional fourth field.
    #[test]
    fn product_versions_as_the_msi_sdk_defines_them() {
        let version = |v: &str| {
            let root = format!(r#"Product Name="A" Language="1033" Version="{v}" Manufacturer="C""#);
            info_of(Some(&root), "<Package />").map(|i| i.version)
        };
        for good in ["1.2", "1.2.3", "255.255.65535", "1.2.3.65535"] {
            assert_eq!(version(good).unwrap(), good);
        }
        for bad in ["1", "1.2.3.4.5", "1.256.0", "1.2.65536", "+1.2.3", "1.-2.3", "1..3", "1.2.x"] {
            assert!(message(version(bad).unwrap_err()).contains("not a valid product version"), "{bad}");
        }
    }

    /// `<Condition Message="...">condition</Condition>` under `<Product>` is a LaunchCondition
    /// row: Condition, Description (MSI SDK "LaunchCondition Table").
    #[test]
    fn a_product_condition_is_a_launch_condition() {
        let m = product(PACKAGE, r#"<Condition Message="Needs Windows 10.">VersionNT >= 603</Condition>"#).unwrap();
        assert_eq!(rows(&m, "LaunchCondition"), [["VersionNT >= 603", "Needs Windows 10."]]);
    }

    #[test]
    fn package_mistakes() {
        let e = product(r#"<Package Id="{11111111-2222-3333-4444-555555555555}" Platform="x64" />"#, "").unwrap_err();
        assert!(message(e).contains("derived from the content"));
        let e = lower_with(
            Path::new("."),
            r#"Product Name="A" Language="1033" Version="256.0.0" Manufacturer="C""#,
            PACKAGE,
            |ctx, n| super::super::dispatch::product(ctx, n).map(|_| ()),
        )
        .unwrap_err();
        assert!(message(e).contains("not a valid product version"));
    }
}
