//! `<product>-setup.exe`: see the library's docs and docs/setup.md.

// A GUI program: no console window when the administrator double-clicks it.
#![cfg_attr(windows, windows_subsystem = "windows")]

fn main() {
    #[cfg(windows)]
    std::process::exit(idm_setup::win::main() as i32);
    #[cfg(not(windows))]
    {
        eprintln!(
            "the setup program runs on Windows (it is cross-compiled for x86_64-pc-windows-gnu by `cargo xtask dist`)"
        );
        std::process::exit(1);
    }
}
