//! Driving one `msiexec` run through its dialogs: wait for each dialog's window, click its
//! controls where the `Control` table puts them, type into edits, and take screenshots.
//!
//! Every window is identified by its content ([`super::identify`]: the controls' texts, read
//! inside Wine) when it appears, and again before each click and each screenshot: a step that
//! finds another dialog than the walk expects fails, naming what it found.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::display::{Geometry, Screen};
use super::identify::{self, Probe};
use super::layout::Layout;

/// How long a dialog may take to appear after the click that leads to it.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(90);

/// How long a new window may take to show the texts of the dialog it is (Wine creates the
/// controls, then paints).
const IDENTIFY_TIMEOUT: Duration = Duration::from_secs(20);

/// A dialog on screen: its name (from the walk) and its window.
struct Shown {
    dialog: String,
    window: u64,
    geometry: Geometry,
}

/// One walk through the dialogs of a running `msiexec`.
pub struct Walker<'a> {
    screen: &'a Screen<'a>,
    layout: &'a Layout,
    title: String,
    out: PathBuf,
    log: PathBuf,
    msiexec: &'a mut Child,
    probe: Probe<'a>,
    /// The modal dialog and any dialogs spawned over it (last = on top).
    stack: Vec<Shown>,
    /// Every window seen so far (a new dialog is a window not in here).
    seen: BTreeSet<u64>,
    /// Screenshots written.
    pub shots: Vec<PathBuf>,
    /// How many times the window on screen was identified by its texts.
    pub identified: usize,
}

impl<'a> Walker<'a> {
    /// A walker for dialogs whose title matches `title` (a regular expression for xdotool),
    /// writing screenshots to `out`, reading Windows Installer's verbose `log` and each window's
    /// texts with `probe`.
    pub fn new(
        screen: &'a Screen<'a>,
        layout: &'a Layout,
        title: &str,
        out: &Path,
        log: &Path,
        msiexec: &'a mut Child,
        probe: Probe<'a>,
    ) -> Walker<'a> {
        Walker {
            screen,
            layout,
            title: title.to_string(),
            out: out.to_path_buf(),
            log: log.to_path_buf(),
            msiexec,
            probe,
            stack: Vec::new(),
            seen: BTreeSet::new(),
            shots: Vec::new(),
            identified: 0,
        }
    }

    /// Which of `candidates` window `window` shows, by its texts; waits up to
    /// [`IDENTIFY_TIMEOUT`] for them (a new window may not have all its controls yet). `None`
    /// when the window closed before it could be read (a progress dialog that came and went).
    fn identify(&mut self, window: u64, candidates: &[&str]) -> Result<Option<(String, String)>> {
        let start = Instant::now();
        loop {
            let attempt = self.probe.read(window).and_then(|c| identify::which(self.layout, &c, candidates));
            match attempt {
                Ok(found) => {
                    self.identified += 1;
                    return Ok(Some(found));
                }
                Err(_) if !self.screen.windows(&self.title)?.contains(&window) => return Ok(None),
                Err(e) if start.elapsed() > IDENTIFY_TIMEOUT => {
                    return Err(e.context(format!("identifying window {window} by its texts")))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(500)),
            }
        }
    }

    /// Waits for a window that was not there before and identifies it as one of `dialogs`;
    /// errors if `msiexec` ends first, if nothing appears, or if the window is another dialog.
    fn new_window(&mut self, dialogs: &[&str], timeout: Duration) -> Result<(u64, Geometry, String, String)> {
        let start = Instant::now();
        let wanted = dialogs.join(" or ");
        loop {
            if let Some(status) = self.msiexec.try_wait()? {
                bail!("msiexec ended ({status}) while waiting for {wanted}; verbose log: {}", self.log.display());
            }
            let fresh: Vec<u64> =
                self.screen.windows(&self.title)?.into_iter().filter(|w| !self.seen.contains(w)).collect();
            if let Some(&w) = fresh.last() {
                // Let Wine finish painting the dialog before anything looks at it.
                std::thread::sleep(Duration::from_millis(1200));
                self.seen.insert(w);
                let Some((dialog, evidence)) = self.identify(w, dialogs)? else {
                    // Nothing is pressed on a window that was never identified.
                    eprintln!("screenshots:   (a window came and went before its texts could be read)");
                    continue;
                };
                // A window that closes right after it was read (the progress dialog, when Wine
                // runs the script in a moment) has no geometry any more: it came and went.
                let g = match self.screen.geometry(w) {
                    Ok(g) => g,
                    Err(_) if !self.screen.windows(&self.title)?.contains(&w) => {
                        eprintln!("screenshots:   ({dialog} came and went before its size could be read)");
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                // The shape too: the click points are scaled from the window's size.
                if !self.layout.fits(&dialog, g) {
                    let (dw, dh) = self.layout.dialog(&dialog)?;
                    bail!("{dialog} ({dw} x {dh} units) shows in a window of {} x {} pixels", g.width, g.height);
                }
                return Ok((w, g, dialog, evidence));
            }
            if start.elapsed() > timeout {
                bail!("{wanted} did not appear within {} s; verbose log: {}", timeout.as_secs(), self.log.display());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The dialog that replaces the current one (the first dialog, or after `NewDialog`).
    pub fn show(&mut self, dialog: &str, timeout: Duration) -> Result<()> {
        self.show_one_of(&[dialog], timeout).map(|_| ())
    }

    /// The dialog that replaces the current one, when it may be any of `dialogs` (the progress
    /// dialog, or the end dialog when the install was too quick to show it): which one it is, by
    /// its texts.
    pub fn show_one_of(&mut self, dialogs: &[&str], timeout: Duration) -> Result<String> {
        let (window, geometry, dialog, evidence) = self.new_window(dialogs, timeout)?;
        self.stack.pop();
        self.stack.push(Shown { dialog: dialog.clone(), window, geometry });
        eprintln!("screenshots:   {dialog} (by its texts: {evidence})");
        Ok(dialog)
    }

    /// After Install: the progress dialog (photographed as `progress_shot`), then `end`
    /// (`ExitDlg`, `FatalErrorDlg`, WixUI's `ExitDialog`). The progress dialog may come and go
    /// too quickly to be seen: the first new window is either, told apart by its texts.
    pub fn install_ends_with(&mut self, end: &str, progress_shot: Option<&str>) -> Result<()> {
        if self.show_one_of(&["ProgressDlg", end], Duration::from_secs(600))? == end {
            eprintln!("screenshots:   (the progress dialog came and went too quickly to be seen)");
            return Ok(());
        }
        if let Some(name) = progress_shot {
            // Wine runs the whole script in a second or two and repaints the progress dialog
            // only now and then, so what the picture shows (the first action text, or a later
            // one) depends on timing.
            if !self.shot_if_shown(name)? {
                eprintln!("screenshots:   (the progress dialog closed before its picture; {name} not retaken)");
            }
        }
        self.show(end, Duration::from_secs(600))
    }

    /// A dialog spawned over the current one (`SpawnDialog`, or the cancel question).
    pub fn spawned(&mut self, dialog: &str) -> Result<()> {
        let (window, geometry, dialog, evidence) = self.new_window(&[dialog], STEP_TIMEOUT)?;
        let over = self.stack.last().map_or("nothing", |s| s.dialog.as_str());
        eprintln!("screenshots:   {dialog} over {over} (by its texts: {evidence})");
        self.stack.push(Shown { dialog, window, geometry });
        Ok(())
    }

    /// The spawned dialog on top has closed: waits until its window is gone.
    pub fn closed(&mut self) -> Result<()> {
        let top = self.stack.pop().context("no spawned dialog to close")?;
        let start = Instant::now();
        while self.screen.windows(&self.title)?.contains(&top.window) {
            if start.elapsed() > STEP_TIMEOUT {
                bail!("{} did not close", top.dialog);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(())
    }

    fn top(&self) -> Result<&Shown> {
        self.stack.last().context("no dialog is shown yet")
    }

    /// Asserts that the window on top still shows its dialog (by its texts) and, for a push
    /// button, that `control` is visible and enabled.
    fn check_top(&mut self, control: Option<&str>) -> Result<()> {
        let (dialog, window) = {
            let top = self.top()?;
            (top.dialog.clone(), top.window)
        };
        let content = self.probe.read(window).with_context(|| format!("reading {dialog}'s texts"))?;
        identify::which(self.layout, &content, &[&dialog])?;
        self.identified += 1;
        let Some(control) = control else { return Ok(()) };
        let key = (dialog.clone(), control.to_string());
        let is_button = self.layout.controls.get(&key).is_some_and(|(ty, _)| ty == "PushButton");
        let text = self.layout.texts.get(&key).map(|(_, t)| t.as_str()).unwrap_or_default();
        if is_button && !identify::can_press(&content, text) {
            bail!("{dialog}.{control} ({text:?}) is not a visible, enabled button on screen");
        }
        Ok(())
    }

    /// Clicks a control of the dialog on top, once the window is known to show that dialog.
    pub fn click(&mut self, control: &str) -> Result<()> {
        self.check_top(Some(control))?;
        let top = self.top()?;
        let (x, y) = self.layout.point(&top.dialog, control, top.geometry)?;
        self.screen.click(x, y).with_context(|| format!("clicking {}.{control}", top.dialog))?;
        std::thread::sleep(Duration::from_millis(400));
        Ok(())
    }

    /// Clicks an edit control, types `text` and leaves it with Tab (which stores the property).
    pub fn type_into(&mut self, control: &str, text: &str) -> Result<()> {
        self.click(control)?;
        self.screen.type_text(text)?;
        self.screen.key("Tab")?;
        std::thread::sleep(Duration::from_millis(300));
        Ok(())
    }

    /// Screenshots the dialog on top as `<out>/<name>.png`; its texts are checked before and
    /// after the picture is taken, and the picture replaces the old one only when both agree.
    pub fn shot(&mut self, name: &str) -> Result<()> {
        if self.take_shot(name, false)? {
            Ok(())
        } else {
            bail!("the dialog closed before its picture {name} was taken")
        }
    }

    /// Like [`Walker::shot`], for a dialog that may close on its own (the progress dialog):
    /// `Ok(false)`, and no picture, when its window is gone.
    pub fn shot_if_shown(&mut self, name: &str) -> Result<bool> {
        self.take_shot(name, true)
    }

    fn take_shot(&mut self, name: &str, may_close: bool) -> Result<bool> {
        // Give Wine time to paint what the last click changed (a dialog that replaces a
        // modeless one can take a moment).
        std::thread::sleep(Duration::from_millis(800));
        let (dialog, window, geometry) = {
            let top = self.top()?;
            (top.dialog.clone(), top.window, top.geometry)
        };
        let staged = self.out.join(format!("{name}.new.png"));
        let checked = self.check_top(None).and_then(|()| {
            // The window may have been re-laid out since it appeared.
            let g = self.screen.geometry(window).unwrap_or(geometry);
            self.screen.screenshot(g, &staged).with_context(|| format!("screenshot of {dialog}"))?;
            self.check_top(None)
        });
        if let Err(e) = checked {
            let _ = std::fs::remove_file(&staged);
            if may_close && !self.screen.windows(&self.title)?.contains(&window) {
                return Ok(false);
            }
            return Err(e.context(format!("picture {name} of {dialog}")));
        }
        let path = self.out.join(format!("{name}.png"));
        std::fs::rename(&staged, &path)?;
        self.shots.push(path);
        Ok(true)
    }
}
