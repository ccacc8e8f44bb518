//! The WixUI dialog sets as a library of this project's own sources (`wixui/`): when a source
//! references `WixUI_Minimal`, `WixUI_InstallDir`, `WixUI_FeatureTree`, `WixUI_Mondo`,
//! `WixUI_Advanced` or `WixUI_Common` with `<UIRef>`, the build links `wixui/common.wxs` and the set's file, and takes
//! the strings of `wixui/en-us.wxl` that the sources' own `.wxl` files do not define (WiX's UI
//! extension does the same with its `.wixlib`).

use std::path::{Path, PathBuf};

/// The dialog sets this library provides.
pub const SETS: &[&str] =
    &["WixUI_Advanced", "WixUI_Common", "WixUI_FeatureTree", "WixUI_InstallDir", "WixUI_Minimal", "WixUI_Mondo"];

/// The library folder (its default bitmaps and licence are files there).
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/wix/wixui")
}

/// The sets referenced by `<UIRef Id="WixUI_...">` in a (preprocessed) source text.
pub fn referenced(text: &str, into: &mut Vec<&'static str>) {
    for (i, _) in text.match_indices("<UIRef") {
        let tag = &text[i..text[i..].find('>').map_or(text.len(), |e| i + e)];
        let id = ["Id=\"", "Id='"].iter().find_map(|q| {
            let s = tag.find(q)? + q.len();
            tag[s..].find(['"', '\'']).map(|e| &tag[s..s + e])
        });
        if let Some(set) = id.and_then(|id| SETS.iter().find(|s| **s == id)) {
            if !into.contains(set) {
                into.push(set);
            }
        }
    }
}

/// The library sources to link for `sets`.
pub fn sources(sets: &[&str]) -> Vec<PathBuf> {
    let mut out = vec![dir().join("common.wxs")];
    out.extend(sets.iter().filter(|s| **s != "WixUI_Common").map(|s| dir().join(format!("{s}.wxs"))));
    out
}

/// The library's strings (English; a build in another culture still gets these, unless its own
/// `.wxl` files translate them by Id).
pub fn strings() -> PathBuf {
    dir().join("en-us.wxl")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_referenced_sets_once() {
        let mut sets = Vec::new();
        referenced(
            r#"<UIRef Id="WixUI_InstallDir" /><UIRef Id='WixUI_Minimal'/><UIRef Id="MyUI"/><UIRef Id="WixUI_InstallDir"/>"#,
            &mut sets,
        );
        assert_eq!(sets, ["WixUI_InstallDir", "WixUI_Minimal"]);
        assert_eq!(sources(&sets).len(), 3);
        for s in sources(&["WixUI_Common", "WixUI_FeatureTree", "WixUI_Mondo"]).iter().chain([&strings()]) {
            assert!(s.is_file(), "{} is part of the library", s.display());
        }
    }
}
