//! The virtual display the dialogs are driven on: an Xvfb server, `xdotool` to find windows,
//! click and type, and ImageMagick's `import` to take screenshots.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use xshell::{cmd, Shell};

/// Screen size of the virtual display (the dialogs are about 560 x 410 pixels under Wine).
const SCREEN: &str = "1024x768x24";

/// An Xvfb server started by this run; it is stopped (by its own process id) when dropped.
pub struct Xvfb {
    child: Child,
    /// The display name, e.g. `:99`.
    pub display: String,
}

impl Xvfb {
    /// Starts Xvfb on the first free display from `:99` upwards and waits for its socket.
    pub fn start() -> Result<Xvfb> {
        let n = (99..140)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .context("no free X display number between :99 and :139")?;
        let display = format!(":{n}");
        // A background server: xshell's `cmd!` only runs processes to completion, so this one
        // is started with std::process and stopped by its own id in `Drop`.
        let child = Command::new("Xvfb")
            .args([display.as_str(), "-screen", "0", SCREEN, "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting Xvfb (Debian: apt-get install xvfb)")?;
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        let start = Instant::now();
        while !socket.exists() {
            if start.elapsed() > Duration::from_secs(20) {
                bail!("Xvfb {display} did not create {} within 20 s", socket.display());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(Xvfb { child, display })
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A window's position and size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: i32,
    /// Height.
    pub height: i32,
}

/// `xdotool`/`import` on one display.
pub struct Screen<'a> {
    sh: &'a Shell,
    display: String,
}

impl<'a> Screen<'a> {
    /// Drives `display`.
    pub fn new(sh: &'a Shell, display: &str) -> Screen<'a> {
        Screen { sh, display: display.to_string() }
    }

    /// The display name (e.g. `:99`).
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The visible windows whose title matches the regular expression `title`.
    pub fn windows(&self, title: &str) -> Result<Vec<u64>> {
        let sh = self.sh;
        let out = cmd!(sh, "xdotool search --onlyvisible --name {title}")
            .env("DISPLAY", &self.display)
            .quiet()
            .ignore_status()
            .ignore_stderr()
            .read()
            .context("running xdotool (Debian: apt-get install xdotool)")?;
        Ok(out.lines().filter_map(|l| l.trim().parse().ok()).collect())
    }

    /// The geometry of a window.
    pub fn geometry(&self, window: u64) -> Result<Geometry> {
        let sh = self.sh;
        let id = window.to_string();
        let out = cmd!(sh, "xdotool getwindowgeometry --shell {id}")
            .env("DISPLAY", &self.display)
            .quiet()
            .ignore_stderr()
            .read()
            .with_context(|| format!("reading the geometry of window {window}"))?;
        let field = |name: &str| -> Result<i32> {
            out.lines()
                .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
                .and_then(|v| v.trim().parse().ok())
                .with_context(|| format!("xdotool gave no {name} for window {window}: {out}"))
        };
        Ok(Geometry { x: field("X")?, y: field("Y")?, width: field("WIDTH")?, height: field("HEIGHT")? })
    }

    /// Moves the pointer to a point and clicks the left button.
    pub fn click(&self, x: i32, y: i32) -> Result<()> {
        let sh = self.sh;
        let (x, y) = (x.to_string(), y.to_string());
        cmd!(sh, "xdotool mousemove --sync {x} {y} click 1").env("DISPLAY", &self.display).quiet().run()?;
        Ok(())
    }

    /// Types text into whatever has the keyboard focus (the window under the pointer, since
    /// there is no window manager).
    pub fn type_text(&self, text: &str) -> Result<()> {
        let sh = self.sh;
        cmd!(sh, "xdotool type --delay 40 {text}").env("DISPLAY", &self.display).quiet().secret().run()?;
        Ok(())
    }

    /// Presses one key (xdotool key name, e.g. `Tab`).
    pub fn key(&self, key: &str) -> Result<()> {
        let sh = self.sh;
        cmd!(sh, "xdotool key {key}").env("DISPLAY", &self.display).quiet().run()?;
        Ok(())
    }

    /// Saves the screen area `g` as a PNG, without time stamps (so an unchanged dialog gives
    /// an unchanged file).
    pub fn screenshot(&self, g: Geometry, out: &Path) -> Result<()> {
        let sh = self.sh;
        let crop = format!("{}x{}+{}+{}", g.width, g.height, g.x, g.y);
        let tmp = out.with_extension("tmp.png");
        cmd!(sh, "import -window root -crop {crop} +repage {tmp}")
            .env("DISPLAY", &self.display)
            .quiet()
            .run()
            .context("taking a screenshot with ImageMagick's import (Debian: apt-get install imagemagick)")?;
        cmd!(sh, "convert {tmp} -strip -define png:exclude-chunks=date,time {out}").quiet().run()?;
        std::fs::remove_file(&tmp)?;
        Ok(())
    }
}
