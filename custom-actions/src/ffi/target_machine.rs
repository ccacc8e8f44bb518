//! Exports of the target-machine actions (prerequisites, service account, CEIP): one-line shims over the logic modules.
//!
//! Also the real Windows implementations of the machine traits those modules are written
//! against: [`WinLogon`] (`LogonUserW`) and [`LsaRights`] (LSA account rights). They report what Windows says; none of
//! them invents a result. Under Wine, `LogonUserW` and the LSA rights calls are stubs (see
//! docs/target-machine.md), so what they report there is Wine's, not the logic's. The machine of
//! the prerequisite detection, `WinSystem`, lives in `bundle_core::win` (shared with the setup
//! program).
//!
//! Each export name equals the `DllEntry` of its `CustomAction` in `wix/target-machine.wxs.tera`.

use std::ptr::{null, null_mut};

use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, ERROR_FILE_NOT_FOUND, ERROR_INSUFFICIENT_BUFFER, ERROR_SUCCESS, HANDLE, NTSTATUS,
};
use windows_sys::Win32::Security::Authentication::Identity::{
    LsaAddAccountRights, LsaClose, LsaEnumerateAccountRights, LsaFreeMemory, LsaOpenPolicy, LsaRemoveAccountRights,
    LSA_HANDLE, LSA_OBJECT_ATTRIBUTES, LSA_UNICODE_STRING, POLICY_CREATE_ACCOUNT, POLICY_LOOKUP_NAMES,
};
use windows_sys::Win32::Security::{
    LogonUserW, LookupAccountNameW, LookupAccountSidW, LOGON32_LOGON_NETWORK, LOGON32_PROVIDER_DEFAULT, SID_NAME_USE,
};

use windows_sys::Win32::System::LibraryLoader::{GetProcAddress, LoadLibraryW};
use windows_sys::Win32::System::Registry::{
    RegDeleteKeyValueW, RegGetValueW, RegSetKeyValueW, HKEY_LOCAL_MACHINE, REG_SZ, RRF_RT_REG_SZ, RRF_SUBKEY_WOW6464KEY,
};

use bundle_core::win::WinSystem;

use super::{wide, MsiScript, MsiSession};
use crate::account::{
    self, AccountRights, GrantLedger, Logon, LogonFailure, Password, RightsError, SERVICE_LOGON_RIGHT,
};
use crate::prereq;
use crate::session::{ActionResult, Commit, Deferred, Rollback};

// --- exports -----------------------------------------------------------------------------

export_immediate!(EvaluatePrerequisites => evaluate_prerequisites);
export_immediate!(InstallPrerequisites => install_prerequisites);
export_immediate!(CheckPrerequisites => check_prerequisites);
export_immediate!(ValidateServiceAccount => validate_service_account);
export_immediate!(CheckServiceAccount => check_service_account);
export_immediate!(GrantLogonAsServiceData => account::grant_logon_data);
export_deferred!(GrantLogonAsService => grant_logon);
export_rollback!(GrantLogonAsServiceRollback => revoke_logon_rollback);
export_commit!(GrantLogonAsServiceCommit => grant_logon_commit);
export_immediate!(PrepareCeip => crate::ceip::prepare_ceip);
export_immediate!(ApplyCeipCheckbox => crate::ceip::apply_ceip_checkbox);

// The logic takes the machine as a parameter; these bind the real one.
fn evaluate_prerequisites(s: &mut MsiSession) -> ActionResult {
    prereq::evaluate_prerequisites(s, &WinSystem)
}
fn install_prerequisites(s: &mut MsiSession) -> ActionResult {
    prereq::install_prerequisites(s, &WinSystem)
}
fn check_prerequisites(s: &mut MsiSession) -> ActionResult {
    prereq::check_prerequisites(s, &WinSystem)
}
fn validate_service_account(s: &mut MsiSession) -> ActionResult {
    account::validate_service_account(s, &WinLogon)
}
fn check_service_account(s: &mut MsiSession) -> ActionResult {
    account::check_service_account(s, &WinLogon)
}
fn grant_logon(s: &mut MsiScript<Deferred>) -> ActionResult {
    account::grant_logon(s, &mut LsaRights)
}
fn revoke_logon_rollback(s: &mut MsiScript<Rollback>) -> ActionResult {
    account::revoke_logon_rollback(s, &mut LsaRights)
}
fn grant_logon_commit(s: &mut MsiScript<Commit>) -> ActionResult {
    account::grant_logon_commit(s, &mut LsaRights)
}

// --- the machine -------------------------------------------------------------------------

/// `LogonUserW` with a network logon: checks the credentials without loading a profile.
pub(crate) struct WinLogon;

impl Logon for WinLogon {
    fn network_logon(&self, user: &str, domain: Option<&str>, password: &Password) -> Result<(), LogonFailure> {
        let user = wide(user);
        let domain = domain.map(wide);
        // Zeroized after the call, like the Password it comes from.
        let secret = zeroize::Zeroizing::new(wide(password.expose()));
        let mut token: HANDLE = null_mut();
        // SAFETY: all strings are NUL-terminated and alive for the call (a NULL domain is
        // allowed with a UPN user name); token is a valid out pointer.
        let ok = unsafe {
            LogonUserW(
                user.as_ptr(),
                domain.as_ref().map_or(null(), |d| d.as_ptr()),
                secret.as_ptr(),
                LOGON32_LOGON_NETWORK,
                LOGON32_PROVIDER_DEFAULT,
                &mut token,
            )
        };
        if ok == 0 {
            // SAFETY: plain call, right after the failing one.
            return Err(LogonFailure(unsafe { GetLastError() }));
        }
        if !token.is_null() {
            // SAFETY: LogonUserW succeeded and gave us this token; closed once.
            unsafe { CloseHandle(token) };
        }
        Ok(())
    }

    fn down_level_name(&self, upn: &str) -> Result<String, LogonFailure> {
        let mut sid = lookup_sid(upn).map_err(|e| LogonFailure(e.code))?;
        let (mut name, mut domain) = (vec![0u16; 257], vec![0u16; 257]);
        let (mut name_len, mut domain_len, mut kind): (u32, u32, SID_NAME_USE) =
            (name.len() as u32, domain.len() as u32, 0);
        // SAFETY: sid is a SID from LookupAccountNameW; both buffers have the lengths passed
        // (in characters, 256 + NUL: the limits of an account and a domain name).
        let ok = unsafe {
            LookupAccountSidW(
                null(),
                sid.as_mut_ptr().cast(),
                name.as_mut_ptr(),
                &mut name_len,
                domain.as_mut_ptr(),
                &mut domain_len,
                &mut kind,
            )
        };
        if ok == 0 {
            // SAFETY: plain call, right after the failing one.
            return Err(LogonFailure(unsafe { GetLastError() }));
        }
        let name = String::from_utf16_lossy(&name[..name_len as usize]);
        let domain = String::from_utf16_lossy(&domain[..domain_len as usize]);
        Ok(format!("{domain}\\{name}"))
    }

    fn is_service_account(&self, account: &str) -> Result<bool, LogonFailure> {
        // Loaded at run time: NetIsServiceAccount lives in logoncli.dll (Windows 7 / Server
        // 2008 R2 and later); a static import would stop the whole DLL from loading where it is
        // missing (Wine), and only gMSA accounts need it.
        type NetIsServiceAccountFn = unsafe extern "system" fn(*const u16, *const u16, *mut i32) -> NTSTATUS;
        let module_name = wide("logoncli.dll");
        // SAFETY: NUL-terminated name; a null module is checked.
        let module = unsafe { LoadLibraryW(module_name.as_ptr()) };
        if module.is_null() {
            // SAFETY: plain call, right after the failing one.
            return Err(LogonFailure(unsafe { GetLastError() }));
        }
        // SAFETY: module is loaded; the name is a NUL-terminated ASCII string.
        let Some(proc) = (unsafe { GetProcAddress(module, c"NetIsServiceAccount".as_ptr().cast()) }) else {
            // ERROR_PROC_NOT_FOUND.
            return Err(LogonFailure(127));
        };
        // SAFETY: the export has this signature (lmaccess.h: NTSTATUS NetIsServiceAccount(LPWSTR
        // ServerName, LPWSTR AccountName, BOOL *IsService)).
        let call: NetIsServiceAccountFn = unsafe { std::mem::transmute(proc) };
        let name = wide(account);
        let mut is_service = 0i32;
        // SAFETY: null server = this computer; name NUL-terminated; is_service a valid out pointer.
        let status = unsafe { call(null(), name.as_ptr(), &mut is_service) };
        if status != 0 {
            return Err(LogonFailure(status as u32));
        }
        Ok(is_service != 0)
    }
}

/// Account rights through the local LSA policy.
pub(crate) struct LsaRights;

/// An open LSA policy handle, closed on drop.
struct Policy(LSA_HANDLE);

impl Drop for Policy {
    fn drop(&mut self) {
        // SAFETY: opened by LsaOpenPolicy, closed once.
        unsafe { LsaClose(self.0) };
    }
}

fn open_policy() -> Result<Policy, RightsError> {
    // SAFETY: an all-zero LSA_OBJECT_ATTRIBUTES is what LsaOpenPolicy expects (all fields
    // reserved); a null system name means the local machine.
    let attributes: LSA_OBJECT_ATTRIBUTES = unsafe { std::mem::zeroed() };
    let mut handle: LSA_HANDLE = 0;
    // SAFETY: attributes and handle are valid pointers for the call.
    let status = unsafe {
        LsaOpenPolicy(null(), &attributes, (POLICY_LOOKUP_NAMES | POLICY_CREATE_ACCOUNT) as u32, &mut handle)
    };
    if status != 0 {
        return Err(RightsError { call: "LsaOpenPolicy", code: status as u32 });
    }
    Ok(Policy(handle))
}

/// The SID of `account` (bytes), through `LookupAccountNameW`.
fn lookup_sid(account: &str) -> Result<Vec<u8>, RightsError> {
    let name = wide(account);
    let (mut sid_len, mut domain_len, mut kind): (u32, u32, SID_NAME_USE) = (0, 0, 0);
    // SAFETY: size query: null buffers with zero sizes; the size pointers are valid.
    unsafe {
        LookupAccountNameW(null(), name.as_ptr(), null_mut(), &mut sid_len, null_mut(), &mut domain_len, &mut kind)
    };
    // SAFETY: plain call, right after the sizing call.
    let code = unsafe { GetLastError() };
    if code != ERROR_INSUFFICIENT_BUFFER || sid_len == 0 {
        return Err(RightsError { call: "LookupAccountNameW", code });
    }
    let mut sid = vec![0u8; sid_len as usize];
    let mut domain = vec![0u16; domain_len as usize + 1];
    domain_len = domain.len() as u32;
    // SAFETY: both buffers have the sizes passed alongside them.
    let ok = unsafe {
        LookupAccountNameW(
            null(),
            name.as_ptr(),
            sid.as_mut_ptr().cast(),
            &mut sid_len,
            domain.as_mut_ptr(),
            &mut domain_len,
            &mut kind,
        )
    };
    if ok == 0 {
        // SAFETY: plain call.
        return Err(RightsError { call: "LookupAccountNameW", code: unsafe { GetLastError() } });
    }
    Ok(sid)
}

/// `SeServiceLogonRight` as an `LSA_UNICODE_STRING` over `buf` (which must outlive it).
fn right_string(buf: &mut [u16]) -> LSA_UNICODE_STRING {
    let bytes = ((buf.len() - 1) * 2) as u16; // without the NUL
    LSA_UNICODE_STRING { Length: bytes, MaximumLength: bytes + 2, Buffer: buf.as_mut_ptr() }
}

/// `STATUS_OBJECT_NAME_NOT_FOUND`: LsaEnumerateAccountRights' answer for "no rights at all".
const STATUS_OBJECT_NAME_NOT_FOUND: u32 = 0xC000_0034;

impl AccountRights for LsaRights {
    fn has_service_logon(&self, account: &str) -> Result<bool, RightsError> {
        let policy = open_policy()?;
        let mut sid = lookup_sid(account)?;
        let (mut rights, mut count): (*mut LSA_UNICODE_STRING, u32) = (null_mut(), 0);
        // SAFETY: policy is open; sid is a SID from LookupAccountNameW; out pointers are valid.
        let status = unsafe { LsaEnumerateAccountRights(policy.0, sid.as_mut_ptr().cast(), &mut rights, &mut count) };
        if status as u32 == STATUS_OBJECT_NAME_NOT_FOUND {
            return Ok(false);
        }
        if status != 0 {
            return Err(RightsError { call: "LsaEnumerateAccountRights", code: status as u32 });
        }
        let mut found = false;
        for i in 0..count as usize {
            // SAFETY: LSA returned `count` strings at `rights`; each Buffer holds Length bytes.
            let text = unsafe {
                let s = &*rights.add(i);
                String::from_utf16_lossy(std::slice::from_raw_parts(s.Buffer, s.Length as usize / 2))
            };
            found |= text == SERVICE_LOGON_RIGHT;
        }
        if !rights.is_null() {
            // SAFETY: memory allocated by LSA for this call, freed once.
            unsafe { LsaFreeMemory(rights.cast()) };
        }
        Ok(found)
    }

    fn add_service_logon(&mut self, account: &str) -> Result<(), RightsError> {
        let policy = open_policy()?;
        let mut sid = lookup_sid(account)?;
        let mut buf = wide(SERVICE_LOGON_RIGHT);
        let right = right_string(&mut buf);
        // SAFETY: policy open; sid valid; one right string whose buffer `buf` is alive.
        let status = unsafe { LsaAddAccountRights(policy.0, sid.as_mut_ptr().cast(), &right, 1) };
        if status != 0 {
            return Err(RightsError { call: "LsaAddAccountRights", code: status as u32 });
        }
        Ok(())
    }

    fn remove_service_logon(&mut self, account: &str) -> Result<(), RightsError> {
        let policy = open_policy()?;
        let mut sid = lookup_sid(account)?;
        let mut buf = wide(SERVICE_LOGON_RIGHT);
        let right = right_string(&mut buf);
        // SAFETY: as above; AllRights = FALSE removes only this right.
        let status = unsafe { LsaRemoveAccountRights(policy.0, sid.as_mut_ptr().cast(), 0, &right, 1) };
        if status != 0 {
            return Err(RightsError { call: "LsaRemoveAccountRights", code: status as u32 });
        }
        Ok(())
    }
}

/// Where [`LsaRights`] keeps its [`GrantLedger`] (64-bit view of HKLM; one `REG_SZ` value per
/// run: name = run id, data = account). LocalSystem (the script's token) may write there.
const LEDGER_KEY: &str = r"SOFTWARE\VMware, Inc.\VMware Identity Manager\Installer\LogonRightGrants";

impl GrantLedger for LsaRights {
    fn record(&mut self, run: &str, account: &str) -> Result<(), RightsError> {
        let (key, name, data) = (wide(LEDGER_KEY), wide(run), wide(account));
        // SAFETY: all strings NUL-terminated and alive; cbData counts the bytes with the NUL.
        // RegSetKeyValueW creates the key when missing.
        let rc = unsafe {
            RegSetKeyValueW(
                HKEY_LOCAL_MACHINE,
                key.as_ptr(),
                name.as_ptr(),
                REG_SZ,
                data.as_ptr().cast(),
                (data.len() * 2) as u32,
            )
        };
        if rc != ERROR_SUCCESS {
            return Err(RightsError { call: "RegSetKeyValueW", code: rc });
        }
        Ok(())
    }

    fn recorded(&self, run: &str) -> Result<Option<String>, RightsError> {
        let (key, name) = (wide(LEDGER_KEY), wide(run));
        let mut buf = vec![0u16; 512];
        let mut len = (buf.len() * 2) as u32;
        // SAFETY: strings NUL-terminated; buf has `len` writable bytes.
        let rc = unsafe {
            RegGetValueW(
                HKEY_LOCAL_MACHINE,
                key.as_ptr(),
                name.as_ptr(),
                RRF_RT_REG_SZ | RRF_SUBKEY_WOW6464KEY,
                null_mut(),
                buf.as_mut_ptr().cast(),
                &mut len,
            )
        };
        match rc {
            ERROR_SUCCESS => {
                let units = &buf[..(len as usize / 2)];
                let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
                Ok(Some(String::from_utf16_lossy(&units[..end])))
            }
            ERROR_FILE_NOT_FOUND => Ok(None),
            code => Err(RightsError { call: "RegGetValueW", code }),
        }
    }

    fn forget(&mut self, run: &str) -> Result<(), RightsError> {
        let (key, name) = (wide(LEDGER_KEY), wide(run));
        // SAFETY: strings NUL-terminated and alive.
        match unsafe { RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, key.as_ptr(), name.as_ptr()) } {
            ERROR_SUCCESS | ERROR_FILE_NOT_FOUND => Ok(()),
            code => Err(RightsError { call: "RegDeleteKeyValueW", code }),
        }
    }
}

/// The real implementations against the running Windows (or Wine:
/// `CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine cargo test -p custom-actions --lib
/// --target x86_64-pc-windows-gnu target_machine`, with a `bcryptprimitives.dll` in the prefix,
/// see tests/wine/bcryptprimitives.c). Only facts every Windows has are asserted.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_logon_and_lsa_behaviour() {
        let user = std::env::var("USERNAME").unwrap_or_default();
        let machine = std::env::var("COMPUTERNAME").unwrap_or_default();
        let logon = WinLogon.network_logon(&user, Some(&machine), &Password::new("certainly-wrong-password".into()));
        println!("LogonUserW({machine}\\{user}, wrong password): {logon:?}");
        let account = format!("{machine}\\{user}");
        println!("LookupAccountNameW({account}): {:?}", lookup_sid(&account).map(|s| s.len()));
        println!("LookupAccountNameW(NOSUCHDOMAIN\\nobody): {:?}", lookup_sid(r"NOSUCHDOMAIN\nobody").map(|s| s.len()));
        println!("has_service_logon({account}): {:?}", LsaRights.has_service_logon(&account));
        let upn = format!("{user}@example.com");
        println!("down_level_name({upn}): {:?}", WinLogon.down_level_name(&upn));
    }
}
