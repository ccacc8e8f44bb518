//! Facts about the machine the custom actions read directly from Windows, not from the session or
//! the environment of whoever started msiexec.
//!
//! The `.enc` package name carries the domain of the node. `%USERDNSDOMAIN%`/`%USERDOMAIN%` are the
//! *user's* (an admin's UI run gives `CORP.EXAMPLE.COM`, a SYSTEM run under SCCM gives the computer
//! account's NetBIOS domain or `WORKGROUP`), so the domain comes from the computer:
//! `GetComputerNameExW(ComputerNameDnsDomain)` ("GetComputerNameExW",
//! <https://learn.microsoft.com/en-us/windows/win32/api/sysinfoapi/nf-sysinfoapi-getcomputernameexw>:
//! "The name of the DNS domain assigned to the local computer"), which is the same for every
//! caller. A computer in no domain has an empty DNS domain; the package name then says
//! [`NO_DOMAIN`].

/// The domain part of the package name for a computer that is in no domain.
pub const NO_DOMAIN: &str = "workgroup";

/// The machine's DNS domain, or [`NO_DOMAIN`]; an error names the failing call.
#[cfg(windows)]
pub fn dns_domain() -> Result<String, String> {
    use windows_sys::Win32::Foundation::{GetLastError, ERROR_MORE_DATA};
    use windows_sys::Win32::System::SystemInformation::{ComputerNameDnsDomain, GetComputerNameExW};
    let mut buf = vec![0u16; 256];
    loop {
        let mut len = buf.len() as u32;
        // SAFETY: `buf` has `len` writable u16s; `len` is a valid in/out pointer.
        if unsafe { GetComputerNameExW(ComputerNameDnsDomain, buf.as_mut_ptr(), &mut len) } != 0 {
            let name = String::from_utf16_lossy(&buf[..len as usize]);
            return Ok(if name.trim().is_empty() { NO_DOMAIN.to_string() } else { name });
        }
        // SAFETY: plain call, right after the failing one.
        match unsafe { GetLastError() } {
            // `len` now holds the size needed, including the NUL.
            ERROR_MORE_DATA if (len as usize) > buf.len() => buf = vec![0u16; len as usize],
            code => return Err(format!("GetComputerNameExW(ComputerNameDnsDomain) failed with Windows error {code}")),
        }
    }
}

/// Off Windows there is no machine domain to read (the logic's tests pass their own source).
#[cfg(not(windows))]
pub fn dns_domain() -> Result<String, String> {
    Err("GetComputerNameExW is only available on Windows".to_string())
}
