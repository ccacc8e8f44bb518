//! The setup program's window (Win32 through windows-sys): the prerequisites screen (each
//! module and its detected state; Install / Cancel) and the progress screen (what is being
//! installed, a progress bar). Errors and the outcome are message boxes owned by the window.
//! With `/passive` only the progress screen is shown; with `/quiet`, nothing (the host does
//! not call in). Hand-written Win32: a dialog this small does not justify a GUI toolkit.

use std::cell::Cell;
use std::ptr::{null, null_mut};

use windows_sys::Win32::Foundation::{HWND, LPARAM, LRESULT, WPARAM};
use windows_sys::Win32::Graphics::Gdi::{
    GetStockObject, RedrawWindow, COLOR_BTNFACE, DEFAULT_GUI_FONT, HBRUSH, RDW_ALLCHILDREN, RDW_ERASE, RDW_INVALIDATE,
    RDW_UPDATENOW,
};
use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
use windows_sys::Win32::UI::Controls::{
    InitCommonControlsEx, ICC_PROGRESS_CLASS, INITCOMMONCONTROLSEX, PBM_SETPOS, PBM_SETRANGE32, PROGRESS_CLASSW,
};
use windows_sys::Win32::UI::Input::KeyboardAndMouse::EnableWindow;
use windows_sys::Win32::UI::WindowsAndMessaging::{
    CreateWindowExW, DefWindowProcW, DispatchMessageW, GetMessageW, IsDialogMessageW, LoadCursorW, MessageBoxW,
    PeekMessageW, RegisterClassExW, SendMessageW, SetForegroundWindow, SetWindowTextW, ShowWindow, TranslateMessage,
    BS_DEFPUSHBUTTON, BS_PUSHBUTTON, CW_USEDEFAULT, IDC_ARROW, MB_ICONERROR, MB_ICONINFORMATION, MB_OK,
    MB_SETFOREGROUND, MSG, PM_REMOVE, SW_HIDE, SW_SHOW, WM_CLOSE, WM_COMMAND, WM_SETFONT, WNDCLASSEXW, WS_CAPTION,
    WS_CHILD, WS_MINIMIZEBOX, WS_OVERLAPPED, WS_SYSMENU, WS_TABSTOP, WS_VISIBLE,
};

use bundle_core::detect::{Module, State};
use bundle_core::win::wide;

use crate::cli::Display;

/// The window class.
const CLASS: &str = "IdmSetupWindow";
/// Control ids: the buttons use the dialog ids, so Enter and Esc work through IsDialogMessageW.
const ID_INSTALL: i32 = 1; // IDOK
const ID_CANCEL: i32 = 2; // IDCANCEL
/// `SS_LEFT` (winuser.h): left-aligned, word-wrapped static text.
const SS_LEFT: u32 = 0;

thread_local! {
    /// The administrator's answer on the prerequisites screen (`None` while waiting).
    static ANSWER: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Shows a message box (owned by `owner`, if any).
pub fn message_owned(owner: HWND, title: &str, text: &str, error: bool) {
    let (t, c) = (wide(text), wide(title));
    let icon = if error { MB_ICONERROR } else { MB_ICONINFORMATION };
    // SAFETY: both strings are NUL-terminated and alive for the call; owner is a window or null.
    unsafe { MessageBoxW(owner, t.as_ptr(), c.as_ptr(), MB_OK | icon | MB_SETFOREGROUND) };
}

/// Shows a message box without an owner.
pub fn message(title: &str, text: &str, error: bool) {
    message_owned(null_mut(), title, text, error);
}

unsafe extern "system" fn window_proc(hwnd: HWND, msg: u32, wparam: WPARAM, lparam: LPARAM) -> LRESULT {
    match msg {
        WM_COMMAND => {
            match (wparam & 0xFFFF) as i32 {
                ID_INSTALL => ANSWER.with(|a| a.set(Some(true))),
                ID_CANCEL => ANSWER.with(|a| a.set(Some(false))),
                _ => {}
            }
            0
        }
        // Closing the window is Cancel; the flow decides what that means.
        WM_CLOSE => {
            ANSWER.with(|a| a.set(Some(false)));
            0
        }
        // SAFETY: the default procedure with the arguments Windows gave us.
        _ => unsafe { DefWindowProcW(hwnd, msg, wparam, lparam) },
    }
}

/// The window and its controls.
#[derive(Debug)]
struct Window {
    hwnd: HWND,
    heading: HWND,
    body: HWND,
    progress: HWND,
    install: HWND,
    cancel: HWND,
}

fn child(parent: HWND, class: *const u16, text: &str, style: u32, (x, y, w, h): (i32, i32, i32, i32), id: i32) -> HWND {
    let text = wide(text);
    // SAFETY: class and text are NUL-terminated; parent is our window; a child's "menu" is its id.
    let hwnd = unsafe {
        CreateWindowExW(
            0,
            class,
            text.as_ptr(),
            WS_CHILD | WS_VISIBLE | style,
            x,
            y,
            w,
            h,
            parent,
            id as isize as _,
            GetModuleHandleW(null()),
            null(),
        )
    };
    // SAFETY: a stock object needs no release; WM_SETFONT takes the font handle as WPARAM.
    unsafe { SendMessageW(hwnd, WM_SETFONT, GetStockObject(DEFAULT_GUI_FONT) as usize, 1) };
    hwnd
}

impl Window {
    fn create(title: &str) -> Option<Window> {
        let class = wide(CLASS);
        let controls = INITCOMMONCONTROLSEX {
            dwSize: std::mem::size_of::<INITCOMMONCONTROLSEX>() as u32,
            dwICC: ICC_PROGRESS_CLASS,
        };
        // SAFETY: a properly sized INITCOMMONCONTROLSEX.
        unsafe { InitCommonControlsEx(&controls) };
        let wc = WNDCLASSEXW {
            cbSize: std::mem::size_of::<WNDCLASSEXW>() as u32,
            style: 0,
            lpfnWndProc: Some(window_proc),
            cbClsExtra: 0,
            cbWndExtra: 0,
            // SAFETY: the module handle of this executable.
            hInstance: unsafe { GetModuleHandleW(null()) },
            hIcon: null_mut(),
            // SAFETY: a system cursor.
            hCursor: unsafe { LoadCursorW(null_mut(), IDC_ARROW) },
            // The system colour index + 1 is how a class names a system brush.
            hbrBackground: (COLOR_BTNFACE + 1) as isize as HBRUSH,
            lpszMenuName: null(),
            lpszClassName: class.as_ptr(),
            hIconSm: null_mut(),
        };
        // SAFETY: wc is fully initialised; registering twice fails harmlessly.
        unsafe { RegisterClassExW(&wc) };
        let title = wide(title);
        // SAFETY: the class is registered; strings are NUL-terminated.
        let hwnd = unsafe {
            CreateWindowExW(
                0,
                class.as_ptr(),
                title.as_ptr(),
                WS_OVERLAPPED | WS_CAPTION | WS_SYSMENU | WS_MINIMIZEBOX,
                CW_USEDEFAULT,
                CW_USEDEFAULT,
                560,
                380,
                null_mut(),
                null_mut(),
                GetModuleHandleW(null()),
                null(),
            )
        };
        if hwnd.is_null() {
            return None;
        }
        let stat = wide("STATIC");
        let button = wide("BUTTON");
        let heading = child(hwnd, stat.as_ptr(), "", SS_LEFT, (20, 16, 510, 40), 10);
        let body = child(hwnd, stat.as_ptr(), "", SS_LEFT, (20, 64, 510, 200), 11);
        let progress = child(hwnd, PROGRESS_CLASSW, "", 0, (20, 270, 510, 18), 12);
        let install = child(
            hwnd,
            button.as_ptr(),
            "&Install",
            BS_DEFPUSHBUTTON as u32 | WS_TABSTOP,
            (340, 300, 90, 26),
            ID_INSTALL,
        );
        let cancel =
            child(hwnd, button.as_ptr(), "Cancel", BS_PUSHBUTTON as u32 | WS_TABSTOP, (440, 300, 90, 26), ID_CANCEL);
        // SAFETY: our own controls.
        unsafe { ShowWindow(progress, SW_HIDE) };
        Some(Window { hwnd, heading, body, progress, install, cancel })
    }

    fn set(&self, control: HWND, text: &str) {
        let t = wide(text);
        // SAFETY: our control; t is NUL-terminated.
        unsafe { SetWindowTextW(control, t.as_ptr()) };
    }

    /// Handles whatever messages are waiting (repaints while the flow works).
    fn pump(&self) {
        // SAFETY: an all-zero MSG is valid; the calls take our window and valid pointers.
        unsafe {
            let mut msg: MSG = std::mem::zeroed();
            while PeekMessageW(&mut msg, null_mut(), 0, 0, PM_REMOVE) != 0 {
                if IsDialogMessageW(self.hwnd, &msg) == 0 {
                    TranslateMessage(&msg);
                    DispatchMessageW(&msg);
                }
            }
        }
    }
}

/// The screens of one run.
#[derive(Debug)]
pub struct Ui {
    display: Display,
    title: String,
    window: Option<Window>,
}

impl Ui {
    /// Screens for the display level (none are created until needed).
    pub fn new(display: Display) -> Ui {
        Ui { display, title: "Setup".into(), window: None }
    }

    /// Titles the window (and message boxes) `<product> Setup`, as the MSI's dialogs are titled.
    pub fn set_product(&mut self, product: &str) {
        self.title = format!("{product} Setup");
    }

    fn window(&mut self) -> Option<&Window> {
        if self.window.is_none() {
            self.window = Window::create(&self.title);
        }
        self.window.as_ref()
    }

    /// The prerequisites screen: each module and its state; Install goes on (installing what
    /// is missing), Cancel or closing the window stops.
    pub fn confirm(&mut self, product: &str, states: &[(Module, State)]) -> bool {
        self.set_product(product);
        let missing = states.iter().filter(|(_, s)| !s.is_present()).count();
        let Some(w) = self.window() else {
            return false;
        };
        w.set(w.hwnd, &format!("{product} Setup"));
        w.set(
            w.heading,
            &if missing == 0 {
                "Every prerequisite is installed. Continue starts the installation.".to_string()
            } else {
                format!("{missing} prerequisite(s) missing. Install installs them, then starts the installation.")
            },
        );
        let mut text = String::new();
        for (m, s) in states {
            let state = if s.is_present() { "installed" } else { "MISSING, will be installed" };
            text.push_str(&format!("{}: {state}\r\n        {}\r\n\r\n", m.name, s.detail()));
        }
        w.set(w.body, &text);
        w.set(w.install, if missing == 0 { "&Continue" } else { "&Install" });
        // SAFETY: our window and controls.
        unsafe {
            ShowWindow(w.progress, SW_HIDE);
            ShowWindow(w.install, SW_SHOW);
            ShowWindow(w.cancel, SW_SHOW);
            EnableWindow(w.install, 1);
            EnableWindow(w.cancel, 1);
            ShowWindow(w.hwnd, SW_SHOW);
            SetForegroundWindow(w.hwnd);
        }
        ANSWER.with(|a| a.set(None));
        // SAFETY: a standard message loop over valid MSG storage.
        unsafe {
            let mut msg: MSG = std::mem::zeroed();
            while ANSWER.with(Cell::get).is_none() && GetMessageW(&mut msg, null_mut(), 0, 0) > 0 {
                if IsDialogMessageW(w.hwnd, &msg) == 0 {
                    TranslateMessage(&msg);
                    DispatchMessageW(&msg);
                }
            }
        }
        ANSWER.with(Cell::get).unwrap_or(false)
    }

    /// The progress screen: `text`, `done` of `total` steps.
    pub fn progress(&mut self, text: &str, done: usize, total: usize) {
        let Some(w) = self.window() else { return };
        w.set(w.heading, text);
        w.set(w.body, &if done < total { format!("Step {} of {total}", done + 1) } else { String::new() });
        // SAFETY: our window and controls; the progress messages take plain integers.
        unsafe {
            ShowWindow(w.install, SW_HIDE);
            EnableWindow(w.cancel, 0);
            ShowWindow(w.progress, SW_SHOW);
            SendMessageW(w.progress, PBM_SETRANGE32, 0, total.max(1) as isize);
            SendMessageW(w.progress, PBM_SETPOS, done, 0);
            ShowWindow(w.hwnd, SW_SHOW);
            // Paint now: the flow goes on at once (RedrawWindow with RDW_UPDATENOW paints the
            // window and its children before returning).
            RedrawWindow(w.hwnd, null(), null_mut(), RDW_INVALIDATE | RDW_ERASE | RDW_ALLCHILDREN | RDW_UPDATENOW);
        }
        w.pump();
    }

    /// The outcome or an error, as a message box owned by the window (full UI only).
    pub fn tell(&mut self, text: &str, error: bool) {
        if self.display == Display::Full {
            let owner = self.window.as_ref().map_or(null_mut(), |w| w.hwnd);
            message_owned(owner, &self.title, text, error);
        }
    }

    /// Handles waiting window messages (while an installer runs).
    pub fn pump(&mut self) {
        if let Some(w) = &self.window {
            w.pump();
        }
    }

    /// Steps aside for the MSI's dialogs.
    pub fn hide(&mut self) {
        if let Some(w) = &self.window {
            if self.display == Display::Full {
                // SAFETY: our window.
                unsafe { ShowWindow(w.hwnd, SW_HIDE) };
            }
            w.pump();
        }
    }

    /// Comes back after them.
    pub fn show(&mut self) {
        if let Some(w) = &self.window {
            // SAFETY: our window.
            unsafe { ShowWindow(w.hwnd, SW_SHOW) };
            w.pump();
        }
    }
}
