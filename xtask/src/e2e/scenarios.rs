//! The scenarios of the silent-install matrix, in the order they run; each lives in the file of
//! its area (install/upgrade/uninstall, the embedded connector, the service account, the
//! prerequisites) and uses the checks of `toolkit`. A new scenario: a function in its area's
//! file and a row here.

mod account;
mod bundle;
mod connector;
mod install;
mod prerequisites;

use super::build::Build;
use super::toolkit::Scenario;

/// The matrix, in the order it runs.
pub static SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "fresh-install",
        about: "1: fresh /qn install as LocalSystem; uninstall leaves only logs and .enc exports",
        needs: &[Build::Current],
        prerequisites: true,
        run: install::fresh_install,
    },
    Scenario {
        name: "no-ui-install",
        about: "1b: a build with `[refs] ui = \"\"`: no dialog rows (msitools), /qn install as in 1, uninstall",
        needs: &[Build::CurrentNoUi],
        prerequisites: true,
        run: install::no_ui_install,
    },
    Scenario {
        name: "upgrade-plain",
        about: "2: previous -> current without a connector configuration: files upgraded, old version gone, settings kept",
        needs: &[Build::PreviousPlain, Build::Current],
        prerequisites: true,
        run: install::upgrade_plain,
    },
    Scenario {
        name: "connector-no-action",
        about: "3: configuration found, no EMBEDDED_CONNECTOR_ACTION: 1603 naming the property, nothing changed",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector::connector_no_action,
    },
    Scenario {
        name: "connector-discard",
        about: "4: EMBEDDED_CONNECTOR_ACTION=discard: upgrade done, configuration gone",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector::connector_discard,
    },
    Scenario {
        name: "connector-discard-runtime",
        about: "4b: as 4, with the configuration written at run time (owned by no MSI component); backup deleted on commit",
        needs: &[Build::PreviousPlain, Build::Current],
        prerequisites: true,
        run: connector::connector_discard_runtime,
    },
    Scenario {
        name: "connector-export",
        about: "5: export + EXPORT_PASSWORD: 1602, a .enc the Linux tool decrypts to the originals, old install untouched",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector::connector_export,
    },
    Scenario {
        name: "connector-export-password-file",
        about: "5c: export with EXPORT_PASSWORD_FILE (no password on the command line): 1602, the file deleted, the .enc decrypts",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector::connector_export_password_file,
    },
    Scenario {
        name: "connector-export-continue",
        about: "6: export-continue: .enc verified, then the upgrade is done",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector::connector_export_continue,
    },
    Scenario {
        name: "connector-short-password",
        about: "7a: export-continue with too short a password: 1603, nothing lost",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector::connector_short_password,
    },
    Scenario {
        name: "connector-unwritable",
        about: "7b: export-continue into a folder that cannot be written: 1603, nothing lost",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: connector::connector_unwritable,
    },
    Scenario {
        name: "connector-rollback",
        about: "8: failure injected after the configuration (installed by the previous MSI) was moved: 1603, restored byte-identical",
        needs: &[Build::Previous, Build::CurrentTest],
        prerequisites: true,
        run: connector::connector_rollback,
    },
    Scenario {
        name: "connector-rollback-runtime",
        about: "8b: as 8, with the configuration written at run time (owned by no MSI component), as the service does",
        needs: &[Build::PreviousPlain, Build::CurrentTest],
        prerequisites: true,
        run: connector::connector_rollback_runtime,
    },
    Scenario {
        name: "service-account-ceip",
        about: "9: SERVICE_ACCOUNT/SERVICE_PASSWORD and CEIP_OPTIN end in the service's configuration",
        needs: &[Build::Current],
        prerequisites: true,
        run: account::service_account_ceip,
    },
    Scenario {
        name: "downgrade",
        about: "10: installing the current version over the next one is refused with a clear message",
        needs: &[Build::Next, Build::Current],
        prerequisites: true,
        run: install::downgrade,
    },
    Scenario {
        name: "prereq-missing",
        about: "msiexec /qn with the test prerequisite missing: 1603 naming it and the setup program, nothing installed",
        needs: &[Build::CurrentPrereq],
        prerequisites: true,
        run: prerequisites::prereq_missing,
    },
    Scenario {
        name: "setup-prereq-install",
        about: "setup.exe /quiet /norestart /log, the test prerequisite missing: its package runs (verified), then the product installs: 0",
        needs: &[Build::CurrentPrereq],
        prerequisites: true,
        run: bundle::setup_prereq_install,
    },
    Scenario {
        name: "setup-prereq-reboot",
        about: "setup.exe /quiet, the test prerequisite's package exits 3010: the product installs, setup ends with 3010, no restart",
        needs: &[Build::CurrentPrereq],
        prerequisites: true,
        run: bundle::setup_prereq_reboot,
    },
    Scenario {
        name: "setup-tampered",
        about: "setup.exe with one byte of its MSI changed: 1620 before anything runs, nothing installed",
        needs: &[Build::CurrentPrereq],
        prerequisites: true,
        run: bundle::setup_tampered,
    },
    Scenario {
        name: "setup-upgrade-export-continue",
        about: "previous -> current through setup.exe /quiet EMBEDDED_CONNECTOR_ACTION=export-continue EXPORT_PASSWORD=...: upgraded, .enc verified",
        needs: &[Build::Previous, Build::Current],
        prerequisites: true,
        run: bundle::setup_upgrade_export_continue,
    },
];
