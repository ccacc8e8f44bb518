//! `cargo xtask wix build`: any WiX v3 sources -> MSI with the project's backend
//! (`packaging::wix`), shaped after `candle` + `light` so an existing build script translates
//! flag for flag (see [`crate::cli::WixBuildArgs`]). Reports what `dist` reports (files,
//! cabinets, sizes, time) and validates the result.

pub mod walk;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use packaging::wix::{Arch, BindPath, BuildOptions, BuildSpec};

use crate::cli::{ValidateArgs, WixArch, WixArgs, WixBuildArgs, WixCommand};

/// Runs `cargo xtask wix <command>`; returns the exit status.
pub fn run(args: &WixArgs) -> ExitCode {
    match &args.command {
        WixCommand::Build(b) => match build(b) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        WixCommand::Walk => {
            let sh = match xshell::Shell::new() {
                Ok(sh) => sh,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match walk::run(&sh) {
                Ok(checks) => {
                    println!("PASS WixUI walks");
                    for c in checks {
                        println!("     - {c}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    println!("FAIL WixUI walks: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn build(args: &WixBuildArgs) -> Result<ExitCode, String> {
    let started = Instant::now();
    let localizations = match &args.culture {
        None => args.loc.clone(),
        Some(culture) => {
            let mut picked = Vec::new();
            for wxl in &args.loc {
                if packaging::wix::localization_culture(wxl).map_err(|e| e.to_string())? == *culture {
                    picked.push(wxl.clone());
                }
            }
            if picked.is_empty() && !args.loc.is_empty() {
                return Err(format!("no --loc file has Culture=\"{culture}\""));
            }
            picked
        }
    };
    let spec = BuildSpec {
        sources: args.sources.clone(),
        localizations,
        variables: args.define.iter().cloned().collect::<BTreeMap<_, _>>(),
        output: args.out.clone(),
        source_date_epoch: None,
    };
    let options = BuildOptions {
        arch: match args.arch {
            WixArch::X86 => Arch::X86,
            WixArch::X64 => Arch::X64,
        },
        include_paths: args.include.clone(),
        bind_paths: Some(args.bind.iter().map(|b| bind_path(b)).collect()),
        // As light: a source none of whose fragments is referenced is left out.
        required_sources: Vec::new(),
    };
    for s in &spec.sources {
        detail!("      source {}", s.display());
    }
    let report = packaging::wix::build_with(&spec, &options).map_err(|e| e.to_string())?;
    for w in &report.warnings {
        eprintln!("{w}");
    }
    println!(
        "{}: {} files in {} cabinet(s), {} payload bytes -> {} bytes; product code {}, package code {} ({:.1}s)",
        report.output.display(),
        report.files,
        report.cabinets,
        report.payload_bytes,
        report.msi_bytes,
        report.product_code,
        report.package_code,
        started.elapsed().as_secs_f64()
    );
    if args.no_validate {
        return Ok(ExitCode::SUCCESS);
    }
    // Validation prints its findings; an error finding (or an unreadable result) fails the build.
    let validated = crate::validate::run(&ValidateArgs { files: vec![report.output.clone()], json: false });
    Ok(if validated == ExitCode::SUCCESS { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `-b DIR` or `-b NAME=DIR` (a `NAME` is an identifier; a Windows drive letter `C:` is not one).
fn bind_path(arg: &str) -> BindPath {
    match arg.split_once('=') {
        Some((name, dir)) if name.len() > 1 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            BindPath { name: Some(name.to_string()), dir: dir.into() }
        }
        _ => BindPath { name: None, dir: arg.into() },
    }
}
