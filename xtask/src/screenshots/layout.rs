//! Where each dialog's controls are: the `Dialog` and `Control` tables of the MSI (read with
//! msitools' `msiinfo export`, an independent reader), turned into pixel points inside a dialog
//! window from the window's size (Windows Installer dialog units are scaled from the dialog
//! font, so the scale is the window's width over the dialog's `Width`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

use super::display::Geometry;

/// A rectangle in installer units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left.
    pub x: i32,
    /// Top.
    pub y: i32,
    /// Width.
    pub width: i32,
    /// Height.
    pub height: i32,
}

/// The dialogs and controls of one MSI.
#[derive(Debug, Default)]
pub struct Layout {
    /// Dialog name -> (Width, Height) in installer units.
    pub dialogs: BTreeMap<String, (i32, i32)>,
    /// (dialog, control) -> (type, rectangle).
    pub controls: BTreeMap<(String, String), (String, Rect)>,
    /// (dialog, control) -> (Attributes, Text): what identifies a dialog by its content.
    pub texts: BTreeMap<(String, String), (i64, String)>,
    /// The Property table.
    pub properties: BTreeMap<String, String>,
    /// The File table: file key -> (component, long file name).
    pub files: BTreeMap<String, (String, String)>,
}

/// The data rows of an `msiinfo export` (IDT: three header lines, then tab-separated rows).
/// msiinfo writes line breaks inside a value as they are, so a row ends only once it has as many
/// fields as the header names (enough for the Control table, whose multi-line Text is not last).
fn idt_rows(text: &str) -> Vec<Vec<String>> {
    let mut lines = text.lines();
    let columns = lines.next().map_or(0, |h| h.split('\t').count());
    let mut rows = Vec::new();
    let mut current: Option<String> = None;
    for line in lines.skip(2) {
        let row = match current.take() {
            Some(mut r) => {
                r.push('\n');
                r.push_str(line);
                r
            }
            None if line.is_empty() => continue,
            None => line.to_string(),
        };
        if row.split('\t').count() >= columns {
            rows.push(row.split('\t').map(str::to_string).collect());
        } else {
            current = Some(row);
        }
    }
    rows
}

impl Layout {
    /// Reads the `Dialog`, `Control` and `Property` tables of `msi`.
    pub fn read(sh: &Shell, msi: &Path) -> Result<Layout> {
        let export = |table: &str| -> Result<String> {
            cmd!(sh, "msiinfo export {msi} {table}")
                .quiet()
                .read()
                .with_context(|| format!("msiinfo export {} {table} (Debian: apt-get install msitools)", msi.display()))
        };
        let mut layout = Layout::default();
        let int =
            |s: &str, what: &str| -> Result<i32> { s.parse().with_context(|| format!("{what} {s:?} is not a number")) };
        for row in idt_rows(&export("Dialog")?) {
            if row.len() < 5 {
                bail!("short Dialog row: {row:?}");
            }
            layout.dialogs.insert(row[0].clone(), (int(&row[3], "Dialog.Width")?, int(&row[4], "Dialog.Height")?));
        }
        for row in idt_rows(&export("Control")?) {
            if row.len() < 7 {
                bail!("short Control row: {row:?}");
            }
            let rect = Rect {
                x: int(&row[3], "Control.X")?,
                y: int(&row[4], "Control.Y")?,
                width: int(&row[5], "Control.Width")?,
                height: int(&row[6], "Control.Height")?,
            };
            layout.controls.insert((row[0].clone(), row[1].clone()), (row[2].clone(), rect));
            // Dialog_, Control, Type, X, Y, Width, Height, Attributes, Property, Text, ...
            // (MSI SDK "Control Table").
            let attributes = row.get(7).and_then(|a| a.parse().ok()).unwrap_or(0);
            let text = row.get(9).cloned().unwrap_or_default();
            layout.texts.insert((row[0].clone(), row[1].clone()), (attributes, text));
        }
        for row in idt_rows(&export("Property")?) {
            if row.len() >= 2 {
                layout.properties.insert(row[0].clone(), row[1].clone());
            }
        }
        for row in idt_rows(&export("File")?) {
            if row.len() >= 3 {
                let long = row[2].rsplit('|').next().unwrap_or(&row[2]).to_string();
                layout.files.insert(row[0].clone(), (row[1].clone(), long));
            }
        }
        if layout.dialogs.is_empty() {
            bail!("{} has no dialogs (Dialog table empty): was it built with the UI?", msi.display());
        }
        Ok(layout)
    }

    /// The size of a dialog in installer units.
    pub fn dialog(&self, dialog: &str) -> Result<(i32, i32)> {
        self.dialogs.get(dialog).copied().with_context(|| format!("the MSI has no dialog {dialog}"))
    }

    /// The screen point to click for a control of a dialog shown in `window`: the centre of
    /// the control, or for a check box the middle of its box (at the left edge).
    pub fn point(&self, dialog: &str, control: &str, window: Geometry) -> Result<(i32, i32)> {
        let (dw, dh) = self.dialog(dialog)?;
        let (ty, r) = self
            .controls
            .get(&(dialog.to_string(), control.to_string()))
            .with_context(|| format!("dialog {dialog} has no control {control}"))?;
        let sx = f64::from(window.width) / f64::from(dw);
        let sy = f64::from(window.height) / f64::from(dh);
        let ux = if ty == "CheckBox" { f64::from(r.x) + 5.0 } else { f64::from(r.x) + f64::from(r.width) / 2.0 };
        let uy = f64::from(r.y) + f64::from(r.height) / 2.0;
        Ok((window.x + (ux * sx).round() as i32, window.y + (uy * sy).round() as i32))
    }

    /// Whether a window's shape fits a dialog (aspect ratio within 10 %). Not how a dialog is
    /// recognised (that is its texts, `identify`; most wizard pages share one size): a check that
    /// the click points, scaled from the window's size, land where the Control table puts them.
    pub fn fits(&self, dialog: &str, window: Geometry) -> bool {
        let Ok((dw, dh)) = self.dialog(dialog) else { return false };
        let want = f64::from(dw) / f64::from(dh);
        let got = f64::from(window.width) / f64::from(window.height.max(1));
        (got / want - 1.0).abs() < 0.10
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idt_rows_skip_the_three_header_lines() {
        let text = "Control\tText\tNext\ns72\tL0\ts50\nControl\tControl\nA\tone\tB\n\nB\ttwo\nlines\tA\n";
        let rows = idt_rows(text);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], ["A", "one", "B"]);
        assert_eq!(rows[1], ["B", "two\nlines", "A"]);
    }

    #[test]
    fn points_scale_installer_units_to_the_window() {
        let mut l = Layout::default();
        l.dialogs.insert("D".into(), (370, 270));
        l.controls
            .insert(("D".into(), "Next".into()), ("PushButton".into(), Rect { x: 236, y: 243, width: 56, height: 17 }));
        l.controls
            .insert(("D".into(), "Box".into()), ("CheckBox".into(), Rect { x: 20, y: 100, width: 300, height: 18 }));
        // 1.5 pixels per unit, window at (100, 50).
        let w = Geometry { x: 100, y: 50, width: 555, height: 405 };
        assert_eq!(l.point("D", "Next", w).unwrap(), (100 + 396, 50 + 377));
        assert_eq!(l.point("D", "Box", w).unwrap(), (100 + 38, 50 + 164));
        assert!(l.point("D", "Missing", w).is_err());
        assert!(l.fits("D", w));
        assert!(!l.fits("D", Geometry { x: 0, y: 0, width: 390, height: 128 }));
    }
}
