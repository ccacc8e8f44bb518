//! `dialog-probe <X window id>`: a test tool of the dialog walk (`cargo xtask screenshots`). It
//! runs inside the Wine prefix the walk drives, finds the top-level window that Wine's X11 driver
//! shows in the given X window, and prints what the window says about itself:
//!
//! ```text
//! title<TAB><window text>
//! control<TAB><class><TAB><visible 0|1><TAB><enabled 0|1><TAB><text>
//! ...
//! ```
//!
//! one `control` line per descendant window, in `EnumChildWindows` order; tabs, line breaks and
//! backslashes in a text are written `\t`, `\n`, `\r`, `\\`. Exit code 0, 3 when no window
//! matches, 2 on bad arguments or when not built for Windows.
//!
//! Why a Windows program: under Wine's X11 driver a Windows Installer dialog's controls are child
//! windows of the Win32 window but not X windows, so `xdotool`/`xprop` cannot read their text, and
//! every dialog of a package has the same title. Win32 can: `EnumChildWindows` and `WM_GETTEXT`.
//! `GetWindowText` is not used for the controls because, for a window of another process, it
//! returns only a caption ("GetWindowTextW function": "To retrieve the text of a control in
//! another process, send a WM_GETTEXT message directly"); `WM_GETTEXT` is sent with
//! `SendMessageTimeoutW(SMTO_ABORTIFHUNG)` so a busy installer cannot hang the probe. The X
//! window of a Win32 window is Wine's window property `__wine_x11_whole_window` (set by
//! winex11.drv on every top-level window it maps; readable from any process of the prefix).

#[cfg(windows)]
mod probe {
    use windows_sys::Win32::Foundation::{BOOL, HWND, LPARAM};
    use windows_sys::Win32::UI::Input::KeyboardAndMouse::IsWindowEnabled;
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        EnumChildWindows, EnumWindows, GetClassNameW, GetPropW, IsWindowVisible, SendMessageTimeoutW, SMTO_ABORTIFHUNG,
        WM_GETTEXT, WM_GETTEXTLENGTH,
    };

    /// How long one `WM_GETTEXT` may take (milliseconds).
    const TIMEOUT_MS: u32 = 5000;

    fn wide(s: &str) -> Vec<u16> {
        s.encode_utf16().chain(std::iter::once(0)).collect()
    }

    /// A window's text through `WM_GETTEXTLENGTH` / `WM_GETTEXT` (marshalled across processes).
    fn text(hwnd: HWND) -> String {
        let mut len: usize = 0;
        // SAFETY: a valid window handle from EnumWindows/EnumChildWindows (a stale one only makes
        // the call fail); `len` outlives the call.
        let ok = unsafe { SendMessageTimeoutW(hwnd, WM_GETTEXTLENGTH, 0, 0, SMTO_ABORTIFHUNG, TIMEOUT_MS, &mut len) };
        if ok == 0 || len == 0 {
            return String::new();
        }
        let mut buf = vec![0u16; len + 1];
        let mut copied: usize = 0;
        // SAFETY: `buf` holds `len + 1` UTF-16 units, the size passed as wParam.
        let ok = unsafe {
            SendMessageTimeoutW(
                hwnd,
                WM_GETTEXT,
                buf.len(),
                buf.as_mut_ptr() as LPARAM,
                SMTO_ABORTIFHUNG,
                TIMEOUT_MS,
                &mut copied,
            )
        };
        if ok == 0 {
            return String::new();
        }
        String::from_utf16_lossy(&buf[..copied.min(len)])
    }

    fn class(hwnd: HWND) -> String {
        let mut buf = [0u16; 256];
        // SAFETY: the buffer and its length match.
        let n = unsafe { GetClassNameW(hwnd, buf.as_mut_ptr(), buf.len() as i32) };
        String::from_utf16_lossy(&buf[..n.max(0) as usize])
    }

    /// Tabs, line breaks and backslashes escaped, so one record is one line.
    fn escape(s: &str) -> String {
        s.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n").replace('\r', "\\r")
    }

    struct Find {
        xid: usize,
        prop: Vec<u16>,
        found: Option<HWND>,
    }

    unsafe extern "system" fn each_top(hwnd: HWND, data: LPARAM) -> BOOL {
        // SAFETY: `data` is the `&mut Find` passed to EnumWindows below, alive for the call.
        let find = unsafe { &mut *(data as *mut Find) };
        // SAFETY: a NUL-terminated property name.
        let x = unsafe { GetPropW(hwnd, find.prop.as_ptr()) } as usize;
        if x != 0 && x == find.xid {
            find.found = Some(hwnd);
            return 0;
        }
        1
    }

    unsafe extern "system" fn each_child(hwnd: HWND, data: LPARAM) -> BOOL {
        // SAFETY: `data` is the `&mut Vec<HWND>` passed to EnumChildWindows below.
        let all = unsafe { &mut *(data as *mut Vec<HWND>) };
        all.push(hwnd);
        1
    }

    /// Prints the window shown in X window `xid`; exit code as the module says.
    pub fn run(xid: usize) -> i32 {
        let mut find = Find { xid, prop: wide("__wine_x11_whole_window"), found: None };
        // SAFETY: the callback casts `data` back to the `Find` that lives across the call.
        unsafe { EnumWindows(Some(each_top), &mut find as *mut Find as LPARAM) };
        let Some(top) = find.found else {
            eprintln!("dialog-probe: no top-level window shows in X window {xid:#x}");
            return 3;
        };
        println!("title\t{}", escape(&text(top)));
        let mut children: Vec<HWND> = Vec::new();
        // SAFETY: as above, with the vector.
        unsafe { EnumChildWindows(top, Some(each_child), &mut children as *mut Vec<HWND> as LPARAM) };
        for c in children {
            // SAFETY: handles from EnumChildWindows.
            let (visible, enabled) = unsafe { (IsWindowVisible(c) != 0, IsWindowEnabled(c) != 0) };
            println!(
                "control\t{}\t{}\t{}\t{}",
                escape(&class(c)),
                u8::from(visible),
                u8::from(enabled),
                escape(&text(c))
            );
        }
        0
    }
}

/// The X window id: decimal (as `xdotool` prints it) or `0x` hexadecimal.
fn parse_xid(arg: &str) -> Option<usize> {
    match arg.strip_prefix("0x") {
        Some(hex) => usize::from_str_radix(hex, 16).ok(),
        None => arg.parse().ok(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(xid) = args.first().and_then(|a| parse_xid(a)).filter(|_| args.len() == 1) else {
        eprintln!("usage: dialog-probe <X window id>  (prints the dialog's title and controls; see the source's doc)");
        std::process::exit(2);
    };
    #[cfg(windows)]
    std::process::exit(probe::run(xid));
    #[cfg(not(windows))]
    {
        eprintln!("dialog-probe runs inside Wine (built for Windows); X window {xid} not probed");
        std::process::exit(2);
    }
}

#[cfg(test)]
mod tests {
    use super::parse_xid;

    #[test]
    fn window_ids_parse_in_decimal_and_hex() {
        assert_eq!(parse_xid("2097161"), Some(2097161));
        assert_eq!(parse_xid("0x200009"), Some(0x200009));
        assert_eq!(parse_xid("window"), None);
    }
}
