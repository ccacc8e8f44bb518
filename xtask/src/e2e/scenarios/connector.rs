//! The embedded connector of the previous version (scenarios 3-8b): no answer, discard,
//! export, export-continue, bad passwords and folders, and the rollback of a failed upgrade.

use anyhow::{Context, Result};
use xshell::cmd;

use crate::e2e::build::{self, Build};
use crate::e2e::snapshot::{self, Snapshot};
use crate::e2e::toolkit::{summarise, Ctx};
use crate::harness::wine::WORK_DIR_WIN;

/// The export password the export scenarios use (no `%`, `^`, `"` or spaces: it travels through
/// `cmd /c` and msiexec's command line).
pub(super) const EXPORT_PASSWORD: &str = "E2e-Export-Pa55word!";
/// A password too short for the export (the policy asks for at least 8 characters).
const SHORT_PASSWORD: &str = "Sh0rt";
/// The fault-injection action of `wix/test/fault-injection.wxs`.
const FAULT_ACTION: &str = "IdmTestFailAfterConnectorMove";

/// Installs the previous version with its configuration; returns the snapshot of `PRODUCTDIR`.
pub(super) fn install_previous_with_connector(ctx: &mut Ctx<'_>) -> Result<Snapshot> {
    let prev = ctx.env.product.previous_version();
    let run = ctx.install(Build::Previous, &[], "install-previous")?;
    ctx.expect_code(&run, 0, "install previous");
    ctx.expect_payload(Build::Previous, "install previous")?;
    ctx.expect_installed(&[prev], "install previous")?;
    ctx.expect_connector_present()?;
    snapshot::take(&ctx.product_dir())
}

/// Installs the previous version without a configuration in its MSI, then writes the fixture
/// configuration into `PRODUCTDIR` as the previous version's service does at run time (files no
/// MSI component owns, so the old product's uninstall leaves them). Returns the snapshot.
fn install_previous_with_runtime_connector(ctx: &mut Ctx<'_>) -> Result<Snapshot> {
    let prev = ctx.env.product.previous_version();
    let run = ctx.install(Build::PreviousPlain, &[], "install-previous")?;
    ctx.expect_code(&run, 0, "install previous");
    ctx.expect_installed(&[prev], "install previous")?;
    let fixture = build::fixture_dir();
    for p in ctx.env.product.connector_paths.clone() {
        let from = fixture.join(&p);
        let to = ctx.product_dir().join(&p);
        if from.is_dir() {
            build::copy_tree(&from, &to)?;
        } else {
            std::fs::create_dir_all(to.parent().context("connector path has no parent")?)?;
            std::fs::copy(&from, &to).with_context(|| format!("writing the runtime configuration {}", to.display()))?;
        }
    }
    ctx.expect_connector_present()?;
    snapshot::take(&ctx.product_dir())
}

/// `PRODUCTDIR` and the installed products are as before (the "nothing lost" checks).
fn expect_untouched(ctx: &mut Ctx<'_>, before: &Snapshot, step: &str) -> Result<()> {
    let after = snapshot::filter(&snapshot::take(&ctx.product_dir())?, |p| !p.to_lowercase().ends_with(".enc"));
    let d = snapshot::diff(before, &after);
    ctx.check(d.is_empty(), || format!("{step}: the previous install changed: {}", summarise(&d)));
    ctx.expect_installed(&[ctx.env.product.previous_version()], step)?;
    Ok(())
}

pub fn connector_no_action(ctx: &mut Ctx<'_>) -> Result<()> {
    let before = install_previous_with_connector(ctx)?;
    let run = ctx.install(Build::Current, &[], "upgrade-no-action")?;
    ctx.expect_code(&run, 1603, "upgrade without EMBEDDED_CONNECTOR_ACTION");
    ctx.expect_log(&run, "EMBEDDED_CONNECTOR_ACTION", "the log must say which property to set");
    expect_untouched(ctx, &before, "upgrade without EMBEDDED_CONNECTOR_ACTION")?;
    let encs = ctx.enc_files();
    ctx.check(encs.is_empty(), || format!("no export was asked for, yet {encs:?} exist"));
    Ok(())
}

pub fn connector_discard(ctx: &mut Ctx<'_>) -> Result<()> {
    install_previous_with_connector(ctx)?;
    expect_discard_upgrades(ctx)
}

pub fn connector_discard_runtime(ctx: &mut Ctx<'_>) -> Result<()> {
    install_previous_with_runtime_connector(ctx)?;
    expect_discard_upgrades(ctx)
}

/// Upgrades with `discard`: exit 0, the current version in place, the configuration and its
/// backup gone (the commit action deletes the backup), no export.
fn expect_discard_upgrades(ctx: &mut Ctx<'_>) -> Result<()> {
    let cur = ctx.env.product.version_text();
    let run = ctx.install(Build::Current, &[("EMBEDDED_CONNECTOR_ACTION", "discard")], "upgrade-discard")?;
    ctx.expect_code(&run, 0, "upgrade with discard");
    ctx.expect_payload(Build::Current, "upgrade with discard")?;
    ctx.expect_installed(&[cur], "upgrade with discard")?;
    let left = ctx.connector_snapshot()?;
    ctx.check(left.is_empty(), || {
        format!("discard: the configuration is still there: {:?}", left.keys().collect::<Vec<_>>())
    });
    let backups: Vec<String> = snapshot::take(&ctx.product_dir())?
        .into_keys()
        .filter(|p| p.starts_with("embedded-connector-backup"))
        .collect();
    ctx.check(backups.is_empty(), || {
        format!("discard: the backup was not deleted after the upgrade: {}", summarise(&backups))
    });
    let encs = ctx.enc_files();
    ctx.check(encs.is_empty(), || format!("discard wrote an export: {encs:?}"));
    ctx.expect_service("LocalSystem", "upgrade with discard")?;
    Ok(())
}

pub fn connector_export(ctx: &mut Ctx<'_>) -> Result<()> {
    let before = install_previous_with_connector(ctx)?;
    let run = ctx.install(
        Build::Current,
        &[("EMBEDDED_CONNECTOR_ACTION", "export"), ("EXPORT_PASSWORD", EXPORT_PASSWORD)],
        "export",
    )?;
    ctx.expect_code(&run, 1602, "export");
    expect_untouched(ctx, &before, "export")?;
    let encs = ctx.enc_files();
    ctx.check(encs.len() == 1, || format!("export: expected one .enc under PRODUCTDIR, found {encs:?}"));
    if let Some(enc) = encs.first() {
        let name = enc.file_name().unwrap_or_default().to_string_lossy().into_owned();
        ctx.check(name.contains("-conn-"), || {
            format!("export: `{name}` is not named <cluster>-<host>-<domain>-conn-<timestamp>.enc")
        });
        ctx.expect_enc_decrypts(enc, EXPORT_PASSWORD, "export")?;
        ctx.expect_log(&run, &name, "the log must say where the export is");
    }
    Ok(())
}

/// 5c: the password from `EXPORT_PASSWORD_FILE` instead of the command line: the export works,
/// the file is gone afterwards, and the password is in no log, hive or temporary file.
pub fn connector_export_password_file(ctx: &mut Ctx<'_>) -> Result<()> {
    let before = install_previous_with_connector(ctx)?;
    let file_win = format!(r"{}\export-password.txt", crate::harness::wine::WORK_DIR_WIN);
    let file = ctx.prefix.c(&file_win);
    std::fs::write(&file, format!("{EXPORT_PASSWORD}\r\n"))?;
    ctx.secret("EXPORT_PASSWORD", EXPORT_PASSWORD);
    let run = ctx.install(
        Build::Current,
        &[("EMBEDDED_CONNECTOR_ACTION", "export"), ("EXPORT_PASSWORD_FILE", &file_win)],
        "export-password-file",
    )?;
    ctx.expect_code(&run, 1602, "export with EXPORT_PASSWORD_FILE");
    expect_untouched(ctx, &before, "export with EXPORT_PASSWORD_FILE")?;
    ctx.check(!file.exists(), || format!("the password file {file_win} must be deleted after it was read"));
    // Not on the command line, so it must not be in msiexec's standard output or error either.
    let hits =
        crate::e2e::secrets::scan(&ctx.prefix.last_output, &[("EXPORT_PASSWORD".into(), EXPORT_PASSWORD.into())]);
    ctx.check(hits.is_empty(), || format!("the password appears in msiexec's output: {hits:?}"));
    ctx.expect_log(
        &run,
        "EXPORT_PASSWORD read from EXPORT_PASSWORD_FILE",
        "the log must say where the password came from",
    );
    let encs = ctx.enc_files();
    ctx.check(encs.len() == 1, || {
        format!("export (password file): expected one .enc under PRODUCTDIR, found {encs:?}")
    });
    if let Some(enc) = encs.first() {
        ctx.expect_enc_decrypts(enc, EXPORT_PASSWORD, "export (password file)")?;
    }
    Ok(())
}

pub fn connector_export_continue(ctx: &mut Ctx<'_>) -> Result<()> {
    install_previous_with_connector(ctx)?;
    let cur = ctx.env.product.version_text();
    let run = ctx.install(
        Build::Current,
        &[("EMBEDDED_CONNECTOR_ACTION", "export-continue"), ("EXPORT_PASSWORD", EXPORT_PASSWORD)],
        "export-continue",
    )?;
    ctx.expect_code(&run, 0, "export-continue");
    let encs = ctx.enc_files();
    ctx.check(encs.len() == 1, || format!("export-continue: expected one .enc under PRODUCTDIR, found {encs:?}"));
    if let Some(enc) = encs.first() {
        ctx.expect_enc_decrypts(enc, EXPORT_PASSWORD, "export-continue")?;
    }
    ctx.expect_payload(Build::Current, "export-continue")?;
    ctx.expect_installed(&[cur], "export-continue")?;
    let left = ctx.connector_snapshot()?;
    ctx.check(left.is_empty(), || {
        format!(
            "export-continue: the configuration is still there after the upgrade: {:?}",
            left.keys().collect::<Vec<_>>()
        )
    });
    Ok(())
}

pub fn connector_short_password(ctx: &mut Ctx<'_>) -> Result<()> {
    let before = install_previous_with_connector(ctx)?;
    let run = ctx.install(
        Build::Current,
        &[("EMBEDDED_CONNECTOR_ACTION", "export-continue"), ("EXPORT_PASSWORD", SHORT_PASSWORD)],
        "short-password",
    )?;
    ctx.expect_code(&run, 1603, "export-continue with a short password");
    ctx.expect_log(&run, "EXPORT_PASSWORD", "the log must name the property that is wrong");
    expect_untouched(ctx, &before, "export-continue with a short password")?;
    let encs = ctx.enc_files();
    ctx.check(encs.is_empty(), || format!("a rejected password still produced {encs:?}"));
    Ok(())
}

pub fn connector_unwritable(ctx: &mut Ctx<'_>) -> Result<()> {
    let before = install_previous_with_connector(ctx)?;
    // EXPORT_FOLDER (custom-actions connector::EXPORT_FOLDER) names where the package goes. The
    // harness runs as root, for whom permission bits mean nothing; the immutable attribute stops
    // root too (no file can be created in the folder). It needs CAP_LINUX_IMMUTABLE, which some
    // CI containers lack: then the folder is made unwritable another way, by a regular file
    // standing where the folder should be (every create below it fails).
    let folder_win = format!(r"{WORK_DIR_WIN}\readonly");
    let folder = ctx.prefix.c(&folder_win);
    std::fs::create_dir_all(&folder)?;
    let sh = ctx.sh;
    let immutable = cmd!(sh, "chattr +i {folder}").quiet().ignore_stderr().run().is_ok();
    if !immutable {
        eprintln!("   note: `chattr +i` failed (no CAP_LINUX_IMMUTABLE); the export folder is a regular file instead");
        std::fs::remove_dir(&folder)?;
        std::fs::write(&folder, b"not a folder\n")?;
    }
    let export_folder = format!(r"{folder_win}\");
    let run = ctx.install(
        Build::Current,
        &[
            ("EMBEDDED_CONNECTOR_ACTION", "export-continue"),
            ("EXPORT_PASSWORD", EXPORT_PASSWORD),
            ("EXPORT_FOLDER", &export_folder),
        ],
        "unwritable",
    );
    let undo = if immutable { cmd!(sh, "chattr -i {folder}").quiet().run() } else { Ok(()) };
    let run = run?;
    undo.context("`chattr -i` on the export folder")?;
    ctx.expect_code(&run, 1603, "export into an unwritable folder");
    ctx.expect_log(&run, &folder_win, "the log must name the folder that cannot be written");
    expect_untouched(ctx, &before, "export into an unwritable folder")?;
    let encs = ctx.enc_files();
    ctx.check(encs.is_empty(), || format!("an export into an unwritable folder left {encs:?}"));
    if immutable {
        let in_folder = std::fs::read_dir(&folder).map(|rd| rd.count()).unwrap_or(0);
        ctx.check(in_folder == 0, || format!("{in_folder} file(s) appeared in the immutable export folder"));
    } else {
        let still_file = std::fs::metadata(&folder).map(|m| m.is_file()).unwrap_or(false);
        ctx.check(still_file, || "the file standing in for the export folder was replaced".to_string());
    }
    Ok(())
}

pub fn connector_rollback(ctx: &mut Ctx<'_>) -> Result<()> {
    install_previous_with_connector(ctx)?;
    expect_rollback_restores(ctx, Build::Previous)
}

pub fn connector_rollback_runtime(ctx: &mut Ctx<'_>) -> Result<()> {
    install_previous_with_runtime_connector(ctx)?;
    expect_rollback_restores(ctx, Build::PreviousPlain)
}

/// Upgrades to the test variant with `discard` and the fault injected after the move: 1603 (1627
/// under Wine), the fault action ran, and the node is as it was: the previous version installed
/// (and only it), its service running, its configuration byte-identical. Nothing installed at all
/// is a failure (MajorUpgrade afterInstallExecute keeps the removal inside the transaction,
/// docs/windows-behaviour.md).
fn expect_rollback_restores(ctx: &mut Ctx<'_>, previous: Build) -> Result<()> {
    let prev = ctx.env.product.previous_version();
    ctx.expect_service_running("before the upgrade")?;
    let conn_before = ctx.connector_snapshot()?;
    let run = ctx.install(
        Build::CurrentTest,
        &[("EMBEDDED_CONNECTOR_ACTION", "discard"), ("IDM_FAIL_AFTER_CONNECTOR_MOVE", "1")],
        "fault-after-move",
    )?;
    // Windows ends any fatal error with 1603. Wine 8 hands back the failing action's own code
    // instead: ERROR_FUNCTION_FAILED (1627) for a failed deferred action (measured; also for a
    // failed StartServices): a documented Wine difference (docs/windows-behaviour.md).
    ctx.expect_code_or_wine(&run, 1603, (1627, "wine-exit-1627"), "injected failure after the move");
    ctx.expect_action_failed(&run, FAULT_ACTION, "the fault-injection action must have run and failed");
    // Each action's own line: its name alone is also in `Action start`, in the name of the
    // action that sets its data (`...Data`) and in the property dump, whether it ran or not.
    ctx.expect_action_logged(&run, "MoveEmbeddedConnector", " moved to ", "the move must have run before the fault");
    ctx.expect_action_logged(&run, "RestoreEmbeddedConnector", "restored ", "the rollback action must have run");
    // 1. The configuration, byte for byte.
    let conn_after = ctx.connector_snapshot()?;
    let d = snapshot::diff(&conn_before, &conn_after);
    ctx.check(d.is_empty(), || {
        format!("rollback: the configuration was not restored byte-identical: {}", summarise(&d))
    });
    // 2. The previous version, and only it, registered as installed.
    ctx.expect_installed(std::slice::from_ref(&prev), "after the failed upgrade")?;
    let installed = ctx.installed()?;
    ctx.note(format!("after the failed upgrade, installed versions: {installed:?} (expected [{prev:?}])"));
    // 3. Its files and its service, running. On Windows the rollback restores the machine as it
    // was before the installation ("Rollback Installation"), so both are there. Wine 8's rollback
    // re-runs the standard actions with each component's state *for this product*, skipping the
    // shared-client check (dlls/msi/action.c, msi_get_component_action: `need_rollback` returns
    // `comp->Installed` first), so it removes the files and the service of every component the
    // previous version shares with this one (the same GUIDs, as the component rules require).
    // That, and only that, is accepted as the documented difference
    // `wine-rollback-removes-shared-components` (docs/windows-behaviour.md): recognised by the
    // log showing Wine's rollback script running RemoveFiles after the failed action.
    let (running, what) = ctx.service_beats()?;
    if !running {
        let log = run.log_text();
        let after_fault = log.rfind(FAULT_ACTION).map(|i| &log[i..]).unwrap_or_default();
        let wine_rollback = after_fault.contains("Action start") && after_fault.contains(": RemoveFiles.");
        if wine_rollback {
            ctx.wine_exception(
                "wine-rollback-removes-shared-components",
                format!("after the failed upgrade {what}; Wine's rollback removed the previous version's shared files and service, which Windows' rollback keeps"),
            );
        } else {
            ctx.fail(format!("after the failed upgrade: {what}"));
        }
    } else {
        ctx.expect_payload(previous, "after the failed upgrade")?;
    }
    Ok(())
}
