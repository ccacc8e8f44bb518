//! Driving one `msiexec` run through its dialogs: wait for each dialog's window, click its
//! controls where the `Control` table puts them, type into edits, and take screenshots.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::display::{Geometry, Screen};
use super::layout::Layout;

/// How long a dialog may take to appear after the click that leads to it.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(90);

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
    /// The modal dialog and any dialogs spawned over it (last = on top).
    stack: Vec<Shown>,
    /// Every window seen so far (a new dialog is a window not in here).
    seen: BTreeSet<u64>,
    /// Screenshots written.
    pub shots: Vec<PathBuf>,
}

impl<'a> Walker<'a> {
    /// A walker for dialogs whose title matches `title` (a regular expression for xdotool),
    /// writing screenshots to `out` and reading Windows Installer's verbose `log`.
    pub fn new(
        screen: &'a Screen<'a>,
        layout: &'a Layout,
        title: &str,
        out: &Path,
        log: &Path,
        msiexec: &'a mut Child,
    ) -> Walker<'a> {
        Walker {
            screen,
            layout,
            title: title.to_string(),
            out: out.to_path_buf(),
            log: log.to_path_buf(),
            msiexec,
            stack: Vec::new(),
            seen: BTreeSet::new(),
            shots: Vec::new(),
        }
    }

    /// Waits for a window that was not there before; errors if `msiexec` ends first.
    fn new_window(&mut self, dialog: &str, timeout: Duration) -> Result<(u64, Geometry)> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.msiexec.try_wait()? {
                bail!("msiexec ended ({status}) while waiting for {dialog}; verbose log: {}", self.log.display());
            }
            let fresh: Vec<u64> =
                self.screen.windows(&self.title)?.into_iter().filter(|w| !self.seen.contains(w)).collect();
            if let Some(&w) = fresh.last() {
                // Let Wine finish painting the dialog before anything looks at it.
                std::thread::sleep(Duration::from_millis(1200));
                let g = self.screen.geometry(w)?;
                self.seen.insert(w);
                if !self.layout.fits(dialog, g) {
                    let (dw, dh) = self.layout.dialog(dialog)?;
                    bail!(
                        "expected {dialog} ({dw} x {dh} units), but the new window is {} x {} pixels",
                        g.width,
                        g.height
                    );
                }
                return Ok((w, g));
            }
            if start.elapsed() > timeout {
                bail!("{dialog} did not appear within {} s; verbose log: {}", timeout.as_secs(), self.log.display());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The dialog that replaces the current one (the first dialog, or after `NewDialog`).
    pub fn show(&mut self, dialog: &str, timeout: Duration) -> Result<()> {
        let (window, geometry) = self.new_window(dialog, timeout)?;
        self.stack.pop();
        self.stack.push(Shown { dialog: dialog.to_string(), window, geometry });
        eprintln!("screenshots:   {dialog}");
        Ok(())
    }

    /// Like [`Walker::show`], but `Ok(false)` when no new window appears within `timeout`
    /// (for the progress dialog, which a quick install may show only briefly).
    pub fn maybe_show(&mut self, dialog: &str, timeout: Duration) -> Result<bool> {
        match self.new_window(dialog, timeout) {
            Ok((window, geometry)) => {
                self.stack.pop();
                self.stack.push(Shown { dialog: dialog.to_string(), window, geometry });
                eprintln!("screenshots:   {dialog}");
                Ok(true)
            }
            Err(e) if e.to_string().contains("did not appear") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Renames the dialog on top (when the log shows the window is another dialog of the same
    /// size than the walk expected).
    pub fn relabel(&mut self, dialog: &str) {
        if let Some(top) = self.stack.last_mut() {
            top.dialog = dialog.to_string();
        }
    }

    /// A dialog spawned over the current one (`SpawnDialog`, or the cancel question).
    pub fn spawned(&mut self, dialog: &str) -> Result<()> {
        let (window, geometry) = self.new_window(dialog, STEP_TIMEOUT)?;
        self.stack.push(Shown { dialog: dialog.to_string(), window, geometry });
        eprintln!("screenshots:   {dialog} (over {})", self.stack[self.stack.len() - 2].dialog);
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

    /// Clicks a control of the dialog on top.
    pub fn click(&mut self, control: &str) -> Result<()> {
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

    /// Screenshots the dialog on top as `<out>/<name>.png`.
    pub fn shot(&mut self, name: &str) -> Result<()> {
        // Give Wine time to paint what the last click changed (a dialog that replaces a
        // modeless one can take a moment).
        std::thread::sleep(Duration::from_millis(800));
        let top = self.top()?;
        // The window may have been re-laid out since it appeared.
        let g = self.screen.geometry(top.window).unwrap_or(top.geometry);
        let path = self.out.join(format!("{name}.png"));
        self.screen.screenshot(g, &path).with_context(|| format!("screenshot of {}", top.dialog))?;
        self.shots.push(path);
        Ok(())
    }

    /// Whether the verbose log mentions `text` yet (Windows Installer logs each dialog of the
    /// UI sequence as an action).
    pub fn log_mentions(&self, text: &str) -> bool {
        let bytes = std::fs::read(&self.log).unwrap_or_default();
        String::from_utf8_lossy(&bytes).contains(text)
    }
}
