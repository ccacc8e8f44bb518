//! Signing hook: sign the custom-action DLL before it goes into the MSI and the MSI after.
//!
//! The project does not ship a signing tool or key; the release engineer configures a command
//! template (an `osslsigncode` call with a PKCS#12 file, `signtool`, a cloud-HSM client, ...) in
//! `IDM_SIGN_COMMAND` or in the `[signing]` table of `wix/product.toml`. `{input}` in the template
//! is replaced with the file to sign and `{output}` with a temporary path the signed copy is written
//! to (it then replaces the input); a template without `{output}` signs in place. With no template,
//! nothing is signed.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use xshell::{cmd, Shell};

/// The environment variable holding a signing command template; it overrides `product.toml`.
pub const SIGN_COMMAND_ENV: &str = "IDM_SIGN_COMMAND";

/// How to sign a file: a program and its arguments, with `{input}` and `{output}` placeholders.
/// The default (an empty command) means "do not sign".
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignConfig {
    /// The program followed by its arguments, e.g. `["osslsigncode", "sign", "-pkcs12",
    /// "release.p12", "-readpass", "pass.txt", "-in", "{input}", "-out", "{output}"]`.
    #[serde(default)]
    pub command: Vec<String>,
}

#[allow(dead_code)] // called by `dist`
impl SignConfig {
    /// True when a command is configured.
    pub fn is_enabled(&self) -> bool {
        !self.command.is_empty()
    }

    /// The configuration to use: `IDM_SIGN_COMMAND` when set and non-empty, else `fallback` (the
    /// `[signing]` table of `product.toml`, or the default: no signing).
    pub fn from_env_or(fallback: SignConfig) -> Result<SignConfig> {
        match std::env::var(SIGN_COMMAND_ENV) {
            Ok(text) if !text.trim().is_empty() => {
                Ok(SignConfig { command: parse_command(&text).with_context(|| format!("in {SIGN_COMMAND_ENV}"))? })
            }
            _ => Ok(fallback),
        }
    }
}

/// Parses a command template given as text: a TOML array of strings (`["prog", "arg with space",
/// "{input}"]`) or, for simple cases, words separated by whitespace.
pub fn parse_command(text: &str) -> Result<Vec<String>> {
    let text = text.trim();
    if text.starts_with('[') {
        #[derive(Deserialize)]
        struct Wrapper {
            command: Vec<String>,
        }
        const PREFIX: &str = "command = ";
        // The TOML error is not passed on: its text quotes the offending source line and values,
        // which hold the signing key's password (issue 14 finding 6). Only the position is.
        let wrapper: Wrapper = toml::from_str(&format!("{PREFIX}{text}")).map_err(|e| {
            let at = e.span().map(|s| s.start.saturating_sub(PREFIX.len()) + 1);
            anyhow::anyhow!(
                "the signing command looks like an array but is not a TOML array of strings (first problem near character {}; the text is not shown because it may hold a password)",
                at.map_or_else(|| "?".to_owned(), |n| n.to_string())
            )
        })?;
        Ok(wrapper.command)
    } else {
        Ok(text.split_whitespace().map(str::to_owned).collect())
    }
}

/// The command line for one file: placeholders substituted. Fails when the template does not
/// mention `{input}` (the tool would not know what to sign).
fn expand(cfg: &SignConfig, input: &Path, output: &Path) -> Result<Vec<String>> {
    if !cfg.command.iter().any(|a| a.contains("{input}")) {
        bail!("the signing command has no {{input}} placeholder: {:?}", cfg.command.first());
    }
    Ok(cfg
        .command
        .iter()
        .map(|arg| arg.replace("{input}", &input.to_string_lossy()).replace("{output}", &output.to_string_lossy()))
        .collect())
}

/// Signs `file` with the configured command; a no-op when no command is configured. With an
/// `{output}` placeholder the signed copy replaces `file` only after the command succeeded and
/// wrote it. The command line is not echoed (it may hold a key password); its stderr is shown on
/// failure.
#[allow(dead_code)] // called by `dist`
pub fn sign_file(sh: &Shell, file: &Path, cfg: &SignConfig) -> Result<()> {
    if !cfg.is_enabled() {
        return Ok(());
    }
    if !file.is_file() {
        bail!("cannot sign {}: no such file", file.display());
    }
    let output = signed_path(file);
    let _ = std::fs::remove_file(&output);
    let args = expand(cfg, file, &output)?;
    let in_place = !cfg.command.iter().any(|a| a.contains("{output}"));
    let (program, rest) = args.split_first().expect("an enabled command has a program");
    eprintln!("signing {} with {program}", file.display());
    let result = cmd!(sh, "{program} {rest...}").quiet().output();
    let out = result.with_context(|| format!("signing {} with {program} failed", file.display()));
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            let _ = std::fs::remove_file(&output);
            return Err(e);
        }
    };
    if !out.status.success() {
        let _ = std::fs::remove_file(&output);
        bail!(
            "signing {} with {program} failed ({}):\n{}",
            file.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if !in_place {
        if !output.is_file() {
            bail!("{program} reported success but wrote no signed file at {}", output.display());
        }
        std::fs::rename(&output, file)
            .with_context(|| format!("replacing {} with its signed copy {}", file.display(), output.display()))?;
    }
    Ok(())
}

/// Where the signed copy of `file` is written before it replaces `file`: `<file>.signed` beside it.
fn signed_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".signed");
    file.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_expand() {
        assert_eq!(
            parse_command(" osslsigncode sign -in {input} ").unwrap(),
            ["osslsigncode", "sign", "-in", "{input}"]
        );
        assert_eq!(
            parse_command(r#"["signer", "my key.p12", "{input}"]"#).unwrap(),
            ["signer", "my key.p12", "{input}"]
        );
        assert!(parse_command("[not toml").is_err());
    }

    /// Issue 14 finding 6: a malformed IDM_SIGN_COMMAND must not echo its text (the key's
    /// password) in the error, whatever the TOML parser's complaint.
    #[test]
    fn malformed_command_errors_do_not_show_the_text() {
        for (text, secret) in [
            (r#"["osslsigncode", "-pass", "s3cret-Pa55" "-in", "{input}"]"#, "s3cret-Pa55"),
            (r#"["osslsigncode", "-pass", 98765432, "{input}"]"#, "98765432"),
            (r#"["osslsigncode", "-pass", 's3cret-Pa55]"#, "s3cret-Pa55"),
        ] {
            let err = format!("{:#}", parse_command(text).unwrap_err());
            assert!(!err.contains(secret), "the error shows the password: {err}");
            assert!(err.contains("near character"), "{err}");
        }
        let cfg = SignConfig { command: vec!["s".into(), "-in".into(), "{input}".into(), "--out={output}".into()] };
        assert_eq!(
            expand(&cfg, Path::new("/t/a.dll"), Path::new("/t/a.dll.signed")).unwrap(),
            ["s", "-in", "/t/a.dll", "--out=/t/a.dll.signed"]
        );
        let no_input = SignConfig { command: vec!["s".into()] };
        assert!(expand(&no_input, Path::new("a"), Path::new("b")).is_err());
    }

    #[test]
    fn product_toml_signing_table() {
        let cfg: SignConfig =
            toml::from_str(r#"command = ["osslsigncode", "sign", "-in", "{input}", "-out", "{output}"]"#).unwrap();
        assert!(cfg.is_enabled());
        let none: SignConfig = toml::from_str("").unwrap();
        assert!(!none.is_enabled());
        assert!(toml::from_str::<SignConfig>("cmd = []").is_err(), "unknown keys are rejected");
    }

    #[test]
    fn no_command_means_no_signing() {
        let sh = Shell::new().unwrap();
        // Not even the file's existence is checked: signing is off.
        sign_file(&sh, Path::new("/nonexistent/file.dll"), &SignConfig::default()).unwrap();
    }

    #[test]
    fn failing_command_leaves_the_file_alone() {
        let dir = scratch_dir("fail");
        let file = dir.join("a.dll");
        std::fs::write(&file, b"unsigned").unwrap();
        let sh = Shell::new().unwrap();
        let cfg = SignConfig { command: vec!["false".into(), "{input}".into(), "{output}".into()] };
        let err = sign_file(&sh, &file, &cfg).unwrap_err();
        assert!(format!("{err:#}").contains("failed"), "{err:#}");
        assert_eq!(std::fs::read(&file).unwrap(), b"unsigned");
        assert!(!signed_path(&file).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Signs a DLL and an MSI with a throwaway self-signed certificate (generated here with
    /// openssl) through osslsigncode, then verifies both signatures.
    #[test]
    fn osslsigncode_signs_dll_and_msi() {
        for tool in ["openssl", "osslsigncode", "x86_64-w64-mingw32-gcc", "wixl"] {
            if !test_support::have_tool(tool) {
                test_support::skip_or_fail(&format!("{tool} is not installed"));
                return;
            }
        }
        let dir = scratch_dir("osslsigncode");
        let sh = Shell::new().unwrap();
        sh.change_dir(&dir);
        // Throwaway key and certificate; the PKCS#12 password is not a secret.
        cmd!(sh, "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=IDM-test-signing -keyout key.pem -out cert.pem")
            .quiet()
            .ignore_stderr()
            .run()
            .unwrap();
        cmd!(sh, "openssl pkcs12 -export -inkey key.pem -in cert.pem -out test.p12 -passout pass:throwaway")
            .quiet()
            .run()
            .unwrap();
        sh.write_file("ca.c", "__declspec(dllexport) unsigned __stdcall DoThing(void *h) { (void)h; return 0; }\n")
            .unwrap();
        cmd!(sh, "x86_64-w64-mingw32-gcc -shared -o ca.dll ca.c").run().unwrap();
        sh.write_file("t.wxs", WIXL_SOURCE).unwrap();
        cmd!(sh, "wixl -o t.msi t.wxs").quiet().ignore_stderr().run().unwrap();

        let verify = |file: &str| -> bool {
            cmd!(sh, "osslsigncode verify -CAfile cert.pem -in {file}")
                .quiet()
                .ignore_stdout()
                .ignore_stderr()
                .run()
                .is_ok()
        };
        assert!(!verify("ca.dll"), "an unsigned DLL must not verify");
        assert!(!verify("t.msi"), "an unsigned MSI must not verify");
        let p12 = dir.join("test.p12");
        let cfg = SignConfig {
            command: [
                "osslsigncode",
                "sign",
                "-pkcs12",
                &p12.to_string_lossy(),
                "-pass",
                "throwaway",
                "-n",
                "IDM test",
                "-in",
                "{input}",
                "-out",
                "{output}",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        };
        let dll = dir.join("ca.dll");
        let unsigned_len = std::fs::metadata(&dll).unwrap().len();
        sign_file(&sh, &dll, &cfg).unwrap();
        assert!(std::fs::metadata(&dll).unwrap().len() > unsigned_len, "the signature is appended");
        assert!(verify("ca.dll"), "the signed DLL verifies");
        assert!(pe_has_certificate_table(&std::fs::read(&dll).unwrap()));
        sign_file(&sh, &dir.join("t.msi"), &cfg).unwrap();
        assert!(verify("t.msi"), "the signed MSI verifies");
        assert!(!signed_path(&dll).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Whether a PE image has a certificate table (data directory 4, "Attribute Certificate
    /// Table" in the PE/COFF specification). Hand-written: xtask keeps its dependencies few.
    fn pe_has_certificate_table(image: &[u8]) -> bool {
        let u16_at = |at: usize| u16::from_le_bytes([image[at], image[at + 1]]) as usize;
        let u32_at = |at: usize| u32::from_le_bytes(image[at..at + 4].try_into().unwrap()) as usize;
        let pe = u32_at(0x3C);
        let optional = pe + 24;
        let directories = optional + if u16_at(optional) == 0x20B { 112 } else { 96 };
        let (offset, size) = (u32_at(directories + 4 * 8), u32_at(directories + 4 * 8 + 4));
        offset != 0 && size != 0 && offset + size <= image.len()
    }

    const WIXL_SOURCE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="SignProbe" Language="1033" Version="1.0.0" Manufacturer="IDM tests"
           UpgradeCode="{5B0A6E1C-9D3F-4A27-8E61-3C2D1B0A9F87}">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="p.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLFOLDER" Name="SignProbe">
          <Component Id="C1" Guid="{0C7E2A51-3B9D-4F16-A8E0-6D5C4B3A2F19}">
            <File Id="F1" Source="ca.c" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="C1"/></Feature>
  </Product>
</Wix>
"#;

    /// A fresh directory under the target dir for one test (tests run in parallel).
    fn scratch_dir(name: &str) -> PathBuf {
        let dir = crate::target_dir().join("xtask-tests").join(format!("sign-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
