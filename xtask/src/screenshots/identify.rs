//! Which dialog a window shows, from its content: the texts of its controls, read inside Wine by
//! `dialog-probe` (xtask/dialog-probe: `EnumChildWindows` + `WM_GETTEXT` on the window that
//! Wine's X11 driver maps to the X window), compared with the `Text` column of every dialog's
//! controls in the MSI's `Control` table.
//!
//! Why not xdotool/xprop: under Wine's X11 driver a dialog's controls are not X windows, and all
//! dialogs of a package share one title. Why not the window size: most wizard pages have the
//! same size.
//!
//! A control text is a pattern: its text style prefix (`{\Style}`, `{&Style}`) removed, each
//! `[Property]` reference a wildcard (its value is not known here), `[\x]` the character `x`;
//! white space is folded on both sides. Only the control types whose window text is the
//! `Text` column count (`Text`, `PushButton`, `CheckBox`, `GroupBox`; not a button showing a
//! bitmap or an icon, whose `Text` names the picture), and only patterns with a literal
//! character. For each dialog: recall = the share of its patterns that some text on screen
//! matches; precision = the share of the on-screen texts the package knows (that match any
//! dialog's pattern) that match one of this dialog's. The window is the dialog with the highest
//! recall x precision, and only when no other dialog scores as high and the window shows a text
//! of it that the runner-up does not have (the shared Back/Next/Cancel buttons alone identify
//! nothing).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use super::layout::Layout;
use crate::harness::wine::Prefix;

/// `msidbControlAttributesBitmap` and `msidbControlAttributesIcon` (MSI SDK "Control Table",
/// "Control Attributes"): the button shows a picture and its `Text` is the picture's name.
const PICTURE_BITS: i64 = 0x0004_0000 | 0x0008_0000;

/// Control types whose window text is the formatted `Text` column.
const TEXT_TYPES: [&str; 4] = ["Text", "PushButton", "CheckBox", "GroupBox"];

/// Builds `dialog-probe.exe` (cross-compiled like the DLL, into the project's target folder).
pub fn build_probe(sh: &Shell) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = crate::dist::toolchain::WINDOWS_TARGET;
    let dir = crate::target_dir();
    let _env = sh.push_env("CARGO_TARGET_DIR", &dir);
    cmd!(sh, "{cargo} build --quiet --release --target {target} -p idm-dialog-probe")
        .quiet()
        .run()
        .context("cross-compiling xtask/dialog-probe for the dialog walk")?;
    let exe = dir.join(target).join("release/dialog-probe.exe");
    if !exe.is_file() {
        bail!("cargo built the dialog probe but {} is missing", exe.display());
    }
    Ok(exe)
}

/// One child window of a dialog, as the probe read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlText {
    /// Win32 class name (`Static`, `Button`, ...).
    pub class: String,
    /// `IsWindowVisible`.
    pub visible: bool,
    /// `IsWindowEnabled`.
    pub enabled: bool,
    /// `WM_GETTEXT`.
    pub text: String,
}

/// What a dialog window shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Content {
    /// The window's title.
    pub title: String,
    /// Its descendant windows.
    pub controls: Vec<ControlText>,
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Parses the probe's output (the format is documented in xtask/dialog-probe/src/main.rs).
pub fn parse(out: &str) -> Result<Content> {
    let mut content = Content::default();
    let mut titled = false;
    for line in out.lines() {
        let fields: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
        match fields.as_slice() {
            ["title", text] => {
                content.title = unescape(text);
                titled = true;
            }
            ["control", class, visible, enabled, text] => content.controls.push(ControlText {
                class: unescape(class),
                visible: *visible == "1",
                enabled: *enabled == "1",
                text: unescape(text),
            }),
            _ => bail!("dialog-probe printed an unexpected line: {line:?}"),
        }
    }
    if !titled {
        bail!("dialog-probe printed no title line: {out:?}");
    }
    Ok(content)
}

/// Runs the probe in a prefix.
pub struct Probe<'a> {
    prefix: &'a Prefix,
    exe: &'a Path,
}

impl<'a> Probe<'a> {
    /// A probe running `exe` (from [`build_probe`]) in `prefix`.
    pub fn new(prefix: &'a Prefix, exe: &'a Path) -> Probe<'a> {
        Probe { prefix, exe }
    }

    /// The content of the dialog shown in X window `window`.
    pub fn read(&self, window: u64) -> Result<Content> {
        let exe = self.exe.to_string_lossy();
        let out = self
            .prefix
            .command(&[exe.as_ref(), &window.to_string()])
            .output()
            .context("running dialog-probe under Wine")?;
        if !out.status.success() {
            bail!(
                "dialog-probe {window} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default()
            );
        }
        parse(&String::from_utf8_lossy(&out.stdout))
    }
}

/// White space folded to single spaces, trimmed.
fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A control text as literal pieces between wildcards.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    /// Literal pieces; a wildcard stands between each two.
    pieces: Vec<String>,
    /// Whether a wildcard leads / trails.
    open_start: bool,
    open_end: bool,
}

impl Pattern {
    /// The pattern of a `Control.Text` value; `None` when nothing literal is left.
    fn of(text: &str) -> Option<Pattern> {
        let mut rest = text;
        // Text style prefixes (MSI SDK "Formatted" text in controls: `{\StyleName}`, `{&StyleName}`).
        while rest.starts_with("{\\") || rest.starts_with("{&") {
            match rest.find('}') {
                Some(end) => rest = &rest[end + 1..],
                None => break,
            }
        }
        let mut pieces = vec![String::new()];
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '[' {
                pieces.last_mut().expect("never empty").push(c);
                continue;
            }
            if chars.peek() == Some(&'\\') {
                // `[\x]`: the character x itself ("Formatted" data type), `[\]]` included.
                chars.next();
                if let Some(x) = chars.next() {
                    pieces.last_mut().expect("never empty").push(x);
                }
                chars.by_ref().find(|&c| c == ']');
            } else {
                // `[Property]` (or `[#file]`, `[%ENV]`, ...): a value not known here.
                chars.by_ref().find(|&c| c == ']');
                pieces.push(String::new());
            }
        }
        let pieces: Vec<String> = pieces.iter().map(|p| fold(p)).collect();
        let open_start = pieces.first().is_some_and(String::is_empty);
        let open_end = pieces.len() > 1 && pieces.last().is_some_and(String::is_empty);
        let pieces: Vec<String> = pieces.into_iter().filter(|p| !p.is_empty()).collect();
        if pieces.is_empty() {
            return None;
        }
        Some(Pattern { pieces, open_start, open_end })
    }

    /// Whether a (folded) screen text matches.
    fn matches(&self, text: &str) -> bool {
        let last = self.pieces.len() - 1;
        let mut rest = text;
        for (i, piece) in self.pieces.iter().enumerate() {
            if i == 0 && !self.open_start {
                let Some(after) = rest.strip_prefix(piece.as_str()) else { return false };
                rest = after;
                if i == last && !self.open_end {
                    return rest.is_empty();
                }
            } else if i == last && !self.open_end {
                // The earlier pieces took their leftmost places, which leaves the most room.
                return rest.ends_with(piece.as_str());
            } else {
                let Some(at) = rest.find(piece.as_str()) else { return false };
                rest = &rest[at + piece.len()..];
            }
        }
        true
    }
}

/// Every dialog's text patterns.
fn patterns(layout: &Layout) -> BTreeMap<&str, Vec<Pattern>> {
    let mut out: BTreeMap<&str, Vec<Pattern>> = layout.dialogs.keys().map(|d| (d.as_str(), Vec::new())).collect();
    for ((dialog, control), (attributes, text)) in &layout.texts {
        let Some((ty, _)) = layout.controls.get(&(dialog.clone(), control.clone())) else { continue };
        if !TEXT_TYPES.contains(&ty.as_str()) || attributes & PICTURE_BITS != 0 {
            continue;
        }
        if let (Some(list), Some(p)) = (out.get_mut(dialog.as_str()), Pattern::of(text)) {
            list.push(p);
        }
    }
    out
}

/// Each dialog's score for what is on screen, best first (ties in name order).
pub fn rank(layout: &Layout, content: &Content) -> Vec<(String, f64)> {
    let all = patterns(layout);
    let shown: Vec<String> = content.controls.iter().map(|c| fold(&c.text)).filter(|t| !t.is_empty()).collect();
    let known: Vec<&String> = shown.iter().filter(|t| all.values().flatten().any(|p| p.matches(t))).collect();
    let mut scores: Vec<(String, f64)> = all
        .iter()
        .filter(|(_, ps)| !ps.is_empty())
        .map(|(dialog, ps)| {
            let recall = ps.iter().filter(|p| shown.iter().any(|t| p.matches(t))).count() as f64 / ps.len() as f64;
            let precision = if known.is_empty() {
                0.0
            } else {
                known.iter().filter(|t| ps.iter().any(|p| p.matches(t))).count() as f64 / known.len() as f64
            };
            (dialog.to_string(), recall * precision)
        })
        .collect();
    scores.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scores
}

/// Which of `candidates` the content is: the best-ranked dialog of the whole package must be
/// one of them and score strictly higher than every other dialog. Returns it and the evidence.
pub fn which(layout: &Layout, content: &Content, candidates: &[&str]) -> Result<(String, String)> {
    let ranked = rank(layout, content);
    let texts: Vec<&str> = content.controls.iter().map(|c| c.text.as_str()).filter(|t| !t.is_empty()).collect();
    // For the messages: each text cut to its first 60 characters.
    let brief: Vec<String> = texts
        .iter()
        .map(|t| {
            let t = fold(t);
            match t.char_indices().nth(60) {
                Some((cut, _)) => format!("{}...", &t[..cut]),
                None => t,
            }
        })
        .collect();
    let Some((best, score)) = ranked.first() else {
        bail!("the MSI's dialogs have no control texts to recognise a dialog by");
    };
    let second = ranked.get(1);
    let evidence = match second {
        Some((name, s)) => format!("{best} {score:.2}, next {name} {s:.2}"),
        None => format!("{best} {score:.2}"),
    };
    // The winner must also show a text of its own: one the runner-up has no control for
    // (shared buttons alone say nothing).
    let all = patterns(layout);
    let explains = |dialog: &str, text: &str| all.get(dialog).is_some_and(|ps| ps.iter().any(|p| p.matches(text)));
    let own = second
        .is_none_or(|(other, _)| texts.iter().map(|t| fold(t)).any(|t| explains(best, &t) && !explains(other, &t)));
    if *score <= 0.0 || second.is_some_and(|(_, s)| s >= score) || !own {
        bail!("cannot tell which dialog is shown ({evidence}); its texts: {brief:?}");
    }
    if !candidates.contains(&best.as_str()) {
        bail!("expected {}, but the window shows {best} ({evidence}); its texts: {brief:?}", candidates.join(" or "));
    }
    Ok((best.clone(), evidence))
}

/// Whether the visible, enabled controls include one whose text matches `text` (a `Control.Text`).
pub fn can_press(content: &Content, text: &str) -> bool {
    let Some(p) = Pattern::of(text) else { return true };
    content.controls.iter().any(|c| c.visible && c.enabled && p.matches(&fold(&c.text)))
}

/// The dialogs (of `dialogs`) that their own texts do not tell apart from every other dialog of
/// the package: with each control showing its `Text` (properties empty), the ranking must put the
/// dialog first on its own. The walk refuses to start when one of its dialogs is in this list.
pub fn indistinct<'d>(layout: &Layout, dialogs: &[&'d str]) -> Vec<&'d str> {
    dialogs
        .iter()
        .copied()
        .filter(|dialog| {
            let controls = layout
                .texts
                .iter()
                .filter(|((d, _), _)| d == dialog)
                .map(|(_, (_, text))| ControlText {
                    class: String::new(),
                    visible: true,
                    enabled: true,
                    text: Pattern::of(text).map(|p| p.pieces.join("")).unwrap_or_default(),
                })
                .collect();
            which(layout, &Content { title: String::new(), controls }, &[dialog]).is_err()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screenshots::layout::Rect;

    /// (control, type, text) of one dialog.
    type Controls<'a> = &'a [(&'a str, &'a str, &'a str)];

    fn layout(dialogs: &[(&str, Controls<'_>)]) -> Layout {
        let mut l = Layout::default();
        let r = Rect { x: 0, y: 0, width: 10, height: 10 };
        for (dialog, controls) in dialogs {
            l.dialogs.insert(dialog.to_string(), (370, 270));
            for (name, ty, text) in *controls {
                l.controls.insert((dialog.to_string(), name.to_string()), (ty.to_string(), r));
                // A "Pictures" button shows a bitmap (msidbControlAttributesBitmap).
                let attributes = if *dialog == "Pictures" { 3 | 0x0004_0000 } else { 3 };
                l.texts.insert((dialog.to_string(), name.to_string()), (attributes, text.to_string()));
            }
        }
        l
    }

    fn shown(texts: &[&str]) -> Content {
        Content {
            title: "P Setup".into(),
            controls: texts
                .iter()
                .map(|t| ControlText { class: "Static".into(), visible: true, enabled: true, text: t.to_string() })
                .collect(),
        }
    }

    const NEXT: (&str, &str, &str) = ("Next", "PushButton", "&Next");
    const CANCEL: (&str, &str, &str) = ("Cancel", "PushButton", "Cancel");

    fn package() -> Layout {
        layout(&[
            ("WelcomeDlg", &[("Title", "Text", "{\\Title}Welcome to the [ProductName] installer"), NEXT, CANCEL]),
            (
                "LicenseDlg",
                &[("Title", "Text", "{&Bold}License agreement"), ("Accept", "CheckBox", "I &accept"), NEXT, CANCEL],
            ),
            ("ReadyDlg", &[("Title", "Text", "Ready to install"), ("Install", "PushButton", "&Install"), CANCEL]),
            ("ExitDlg", &[("Title", "Text", "[ProductName] is installed"), ("Finish", "PushButton", "&Finish")]),
            (
                "FatalErrorDlg",
                &[("Title", "Text", "[ProductName] ended prematurely"), ("Finish", "PushButton", "&Finish")],
            ),
            ("Pictures", &[("Logo", "PushButton", "LogoBitmap")]),
        ])
    }

    #[test]
    fn patterns_drop_styles_and_make_properties_wildcards() {
        let p = Pattern::of("{\\Title}Welcome to the [ProductName] installer").unwrap();
        assert_eq!(p.pieces, ["Welcome to the", "installer"]);
        assert!(p.matches("Welcome to the VMware Identity Manager installer"));
        assert!(p.matches("Welcome to the installer"));
        assert!(!p.matches("Welcome to the VMware installer, really"));
        assert!(!p.matches("Not Welcome to the x installer"));
        let p = Pattern::of("[ProductName] is  installed").unwrap();
        assert!(p.matches("P (test build) is installed") && !p.matches("P is installed now"));
        assert_eq!(Pattern::of("[\\[]beta[\\]]").unwrap().pieces, ["[beta]"]);
        assert_eq!(Pattern::of("{&Bold}[SERVICE_ACCOUNT]"), None);
        assert_eq!(Pattern::of(""), None);
        let p = Pattern::of("a [X] a").unwrap();
        assert!(p.matches("a b a") && p.matches("a a"));
    }

    #[test]
    fn each_dialog_is_recognised_by_its_texts_and_only_by_them() {
        let l = package();
        let welcome = shown(&["Welcome to the Product installer", "&Next", "Cancel", ""]);
        assert_eq!(which(&l, &welcome, &["WelcomeDlg"]).unwrap().0, "WelcomeDlg");
        let e = which(&l, &welcome, &["LicenseDlg"]).unwrap_err().to_string();
        assert!(e.starts_with("expected LicenseDlg, but the window shows WelcomeDlg"), "{e}");
        // Same size, same buttons, other title: the text decides.
        let fatal = shown(&["Product ended prematurely", "&Finish"]);
        assert_eq!(which(&l, &fatal, &["ExitDlg", "FatalErrorDlg"]).unwrap().0, "FatalErrorDlg");
        assert!(which(&l, &fatal, &["ExitDlg"]).is_err());
        // Only the shared buttons: no dialog wins.
        let e = which(&l, &shown(&["&Next", "Cancel"]), &["WelcomeDlg"]).unwrap_err().to_string();
        assert!(e.starts_with("cannot tell which dialog is shown"), "{e}");
        // Nothing the package knows (an empty window, a foreign one).
        assert!(which(&l, &shown(&["OK"]), &["WelcomeDlg"]).is_err());
        assert!(which(&l, &shown(&[]), &["WelcomeDlg"]).is_err());
    }

    #[test]
    fn a_picture_button_and_a_disabled_control_do_not_count() {
        let l = package();
        assert!(patterns(&l)["Pictures"].is_empty());
        let mut c = shown(&["Ready to install", "&Install", "Cancel"]);
        assert!(can_press(&c, "&Install"));
        c.controls[1].enabled = false;
        assert!(!can_press(&c, "&Install"));
        c.controls[1].enabled = true;
        c.controls[1].visible = false;
        assert!(!can_press(&c, "&Install"));
    }

    #[test]
    fn dialogs_sharing_all_their_texts_are_reported_before_the_walk() {
        let mut l = package();
        assert!(indistinct(&l, &["WelcomeDlg", "LicenseDlg", "ReadyDlg", "ExitDlg", "FatalErrorDlg"]).is_empty());
        l.texts.insert(("FatalErrorDlg".into(), "Title".into()), (3, "[ProductName] is installed".into()));
        assert_eq!(indistinct(&l, &["ExitDlg", "FatalErrorDlg", "ReadyDlg"]), ["ExitDlg", "FatalErrorDlg"]);
    }

    #[test]
    fn the_probe_output_parses() {
        let c =
            parse("title\tP Setup\ncontrol\tStatic\t1\t1\tTwo\\nlines\\\\x\ncontrol\tButton\t0\t1\t&Next\n").unwrap();
        assert_eq!(c.title, "P Setup");
        assert_eq!(
            c.controls[0],
            ControlText { class: "Static".into(), visible: true, enabled: true, text: "Two\nlines\\x".into() }
        );
        assert!(!c.controls[1].visible);
        assert!(parse("control\tStatic\t1\t1\tx\n").is_err());
        assert!(parse("title\tx\nsomething else\n").is_err());
    }
}
