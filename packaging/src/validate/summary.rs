//! The summary information stream: a 64-bit package needs Windows Installer 2.0 or later.
//!
//! MSI SDK "Page Count Summary property"
//! (https://learn.microsoft.com/en-us/windows/win32/msi/page-count-summary): for 64-bit packages
//! the property must be 200 or greater, 500 or greater on Arm64; the platform is the first part
//! of the "Template Summary property". Windows refuses such a package; ICE80 checks a lower bound
//! (150) only, so this is the project's own rule. The backend refuses to build one
//! (`Package/@InstallerVersion`); this catches an MSI built by another tool.

use super::db::Db;
use super::Finding;

/// The table name findings about the summary stream carry.
const TABLE: &str = "_SummaryInformation";

pub(super) fn check(db: &Db, out: &mut Vec<Finding>) {
    let Some(platform) = db.summary.platform.as_deref() else { return };
    let minimum = match platform.trim() {
        "x64" | "Intel64" | "AMD64" => 200,
        "Arm64" => 500,
        _ => return,
    };
    match db.summary.page_count {
        Some(n) if n >= minimum => {}
        found => out.push(Finding::error(
            "x64-installer-version",
            TABLE,
            "PageCount",
            None,
            format!(
                "a {platform} package needs a Page Count (minimum installer version) of at least {minimum}, found {}: \
                 Windows Installer refuses it (set Package/@InstallerVersion=\"{minimum}\" or higher)",
                found.map_or_else(|| "none".to_string(), |n| n.to_string())
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::db::Summary;
    use super::*;

    fn findings(platform: Option<&str>, page_count: Option<i32>) -> Vec<Finding> {
        let db = Db { summary: Summary { platform: platform.map(Into::into), page_count }, ..Db::default() };
        let mut out = Vec::new();
        check(&db, &mut out);
        out
    }

    #[test]
    fn a_64_bit_package_needs_page_count_200() {
        let f = findings(Some("x64"), Some(100));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, "x64-installer-version");
        assert!(f[0].message.contains("at least 200") && f[0].message.contains("found 100"), "{}", f[0].message);
        assert_eq!(findings(Some("Intel64"), Some(199)).len(), 1);
        assert_eq!(findings(Some("x64"), None).len(), 1);
        assert!(findings(Some("x64"), Some(200)).is_empty());
        assert!(findings(Some("x64"), Some(500)).is_empty());
        // Arm64 needs 500; 32-bit packages have no such rule.
        assert_eq!(findings(Some("Arm64"), Some(200)).len(), 1);
        assert!(findings(Some("Arm64"), Some(500)).is_empty());
        assert!(findings(Some("Intel"), Some(100)).is_empty());
        assert!(findings(None, Some(100)).is_empty());
    }
}
