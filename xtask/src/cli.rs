//! The command line of `cargo xtask`: every command and every flag, declared once, with clap's
//! derive API.
//!
//! Each command's arguments are a typed struct here; the modules take these structs (so one
//! command calls another with a typed value, never by building argv). clap gives every command
//! the same conventions: `--flag value` and `--flag=value`, `-h`/`--help`, suggestions for a
//! mistyped flag, and exit status 2 for a usage error (failures of the work itself exit 1).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::project_root;

/// `cargo xtask`: the release pipeline of this repository.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "The release pipeline: build the MSI and the bundle, run every test, validate any MSI.",
    after_help = "Run `cargo xtask <command> --help` for the options of one command.\n\
                  Exit status: 0 success, 1 failure, 2 usage error (validate: 2 also for an unreadable file).",
    disable_version_flag = true,
    propagate_version = false
)]
pub struct Cli {
    /// How much to print (global: goes before or after the command).
    #[command(flatten)]
    pub verbosity: Verbosity,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// `-v` / `-q`, accepted by every command.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct Verbosity {
    /// Print more: every source, every finding, the compiler's full output
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet", display_order = 900)]
    pub verbose: u8,
    /// Print less: no step progress, only warnings, errors and the result
    #[arg(short, long, global = true, display_order = 901)]
    pub quiet: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the MSI and the release bundle into target/dist (wix/product.toml and its payload)
    Dist(DistArgs),
    /// Run every test: fmt, clippy, dist, cargo test, the Wine end-to-end matrix, the dialog walk
    Test(TestArgs),
    /// The silent-install upgrade matrix under Wine's msiexec
    E2e(E2eArgs),
    /// ICE-style validation of any MSI, on any host
    Validate(ValidateArgs),
    /// Build a large synthetic payload with our backend and with wixl, side by side
    Bench(BenchArgs),
    /// Walk the dialogs under Xvfb + xdotool and retake docs/dialogs/*.png
    Screenshots(ScreenshotsArgs),
    /// Build any WiX v3 sources with the project's backend (candle + light in one step)
    Wix(WixArgs),
    /// Mutation testing (cargo-mutants) of the modules where a regression hurts most
    Mutants(MutantsArgs),
}

/// The culture built when `--culture` is not given.
pub const DEFAULT_CULTURE: &str = "en-us";

/// `cargo xtask dist`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Builds target/dist/<slug>-<version>-x64-<culture>.msi, the setup program \
<slug>-<version>-x64-<culture>-setup.exe (the MSI and the prerequisite packages, docs/setup.md) and .zip \
(the MSI, the setup program, SHA256SUMS, the silent-install guide and the support files) from \
wix/product.toml and its payload. Every input is \
checked before the Windows binaries are cross-compiled. Earlier builds in the output folder are \
kept (each build has its own file names); a failed build leaves the output folder as it was. The \
rendered WiX sources, the staged payload and build-spec.json are kept in target/wix/.",
    after_help = "Environment: SOURCE_DATE_EPOCH fixes the timestamps in the MSI and the zip (default \
2020-01-01; 1980-01-01 to 2107-12-31, what a zip can hold). IDM_SIGN_COMMAND: see docs/product-config.md."
)]
pub struct DistArgs {
    /// The product config [default: wix/product.toml]
    #[arg(long, value_name = "FILE", value_parser = absolute_path)]
    pub config: Option<PathBuf>,
    /// Override the product version (major.minor.build)
    #[arg(long, value_name = "X.Y.Z")]
    pub product_version: Option<String>,
    /// The old name of --product-version: a usage error that says so (`--version` is not the
    /// product version in any other tool)
    #[arg(long = "version", value_name = "X.Y.Z", hide = true, value_parser = renamed_version)]
    pub renamed_version: Option<String>,
    /// Override the payload folder
    #[arg(long, value_name = "DIR", value_parser = absolute_path)]
    pub payload: Option<PathBuf>,
    /// The output folder [default: target/dist]; with another folder the working files go to DIR/wix
    #[arg(long, value_name = "DIR", value_parser = absolute_path)]
    pub out: Option<PathBuf>,
    /// release, or test: also links wix/test/*.wxs (fault injection for the end-to-end harness;
    /// named `-test`, never a release, so it needs --out)
    #[arg(long, value_enum, default_value_t = Variant::Release)]
    pub variant: Variant,
    /// More .wxs sources to link (repeatable; several after one flag); as with WiX's light, a
    /// fragment is linked only when the product references something in it, and a source none
    /// of whose fragments is referenced is an error
    #[arg(long, value_name = "FILE", num_args = 1.., value_parser = absolute_path)]
    pub extra_wxs: Vec<PathBuf>,
    /// The strings' language: the wix/strings/*.wxl files with this Culture
    #[arg(long, value_name = "CULTURE", default_value = DEFAULT_CULTURE, value_parser = lower_case)]
    pub culture: String,
    /// rust: the project's own WiX backend (any host, reproducible); wix: WiX Toolset v3 candle +
    /// light on the same rendered sources (Windows with WiX v3; not byte-reproducible)
    #[arg(long, value_enum, default_value_t = Backend::Rust)]
    pub backend: Backend,
    /// The previous release's MSI: the build fails, writing nothing to the output folder, when a
    /// file it installs at the same path has a lower version than there (or loses its version):
    /// the upgrade would keep the previous release's file (MSI SDK "File Versioning Rules")
    #[arg(long, value_name = "MSI", value_parser = absolute_path)]
    pub previous: Option<PathBuf>,
}

impl Default for DistArgs {
    /// The release build of `wix/product.toml` into `target/dist` (what `cargo xtask dist` does).
    fn default() -> Self {
        DistArgs {
            config: None,
            product_version: None,
            renamed_version: None,
            payload: None,
            out: None,
            variant: Variant::Release,
            extra_wxs: Vec::new(),
            culture: DEFAULT_CULTURE.to_string(),
            backend: Backend::Rust,
            previous: None,
        }
    }
}

impl DistArgs {
    /// The product config file: `--config`, else `wix/product.toml`.
    pub fn config_file(&self) -> PathBuf {
        self.config.clone().unwrap_or_else(|| project_root().join("wix/product.toml"))
    }
}

/// `release` or `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Variant {
    /// The shipped build.
    Release,
    /// The end-to-end harness's build: links `wix/test/*.wxs` too.
    Test,
}

impl Variant {
    /// The name, as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Release => "release",
            Variant::Test => "test",
        }
    }
}

/// The WiX backend: the project's own, or the WiX v3 toolset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// `packaging::wix` (any host).
    Rust,
    /// `candle` + `light` (Windows with WiX v3).
    Wix,
}

/// `cargo xtask test`.
#[derive(Debug, Clone, Default, Args)]
#[command(
    long_about = "Runs every test, in order: `cargo fmt --all --check`, `cargo clippy --workspace --all-targets \
-- -D warnings` (and, for x86_64-pc-windows-gnu, the crates with Windows-only code), the host tools (installed with apt-get when running as root on Debian/Ubuntu), \
`cargo xtask dist`, `cargo test --workspace` with IDM_DIST_DIR pointing at the build, the Wine \
end-to-end matrix (`cargo xtask e2e`), and the walk through every dialog path under Xvfb \
(`cargo xtask screenshots`, pictures written to target/screenshots/png so docs/dialogs stays as \
committed).",
    after_help = "Host tools: mingw-w64 (the Windows linker, required), msitools (msiinfo, msiextract), wine (end \
to end), xvfb and xdotool (dialogs), libxml2-utils (xmllint, schema tests)."
)]
pub struct TestArgs {
    /// Stop after cargo test (no Wine runs at all)
    #[arg(long)]
    pub no_e2e: bool,
    /// Skip the dialog walk
    #[arg(long)]
    pub no_ui: bool,
    /// Arguments passed on to `cargo test` (after `--`)
    #[arg(last = true, value_name = "CARGO TEST ARGS")]
    pub cargo_args: Vec<String>,
}

/// `cargo xtask e2e`.
#[derive(Debug, Clone, Default, Args)]
#[command(
    long_about = "Installs, upgrades and uninstalls the MSI under Wine's msiexec (/qn) and asserts the effects. \
Without Wine: a loud message and exit 0, but a failure when CI is set."
)]
pub struct E2eArgs {
    /// Run only these scenarios (repeatable, or comma-separated); see --list
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub only: Vec<String>,
    /// List the scenarios and exit
    #[arg(long)]
    pub list: bool,
    /// Keep the Wine prefixes (target/e2e/prefixes/<scenario>) for inspection
    #[arg(long)]
    pub keep: bool,
    /// Use DIR/<build>.msi (current, current-test, previous, previous-plain, next) instead of
    /// building them with dist
    #[arg(long, value_name = "DIR", value_parser = absolute_path)]
    pub prebuilt: Option<PathBuf>,
    /// Write the summary table into docs/e2e.md
    #[arg(long)]
    pub record: bool,
}

/// `cargo xtask validate`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Runs the project's ICE-style checks on MSI databases, without Windows: column types, lengths, \
nullability and foreign keys (ICE03/ICE06), duplicate component GUIDs (ICE08), components in no \
feature (ICE21), ProductCode/Version/Language (ICE24), standard action order (ICE27), files \
installed twice into one folder (ICE30), property names differing by case (ICE46), the Upgrade \
table (ICE61), RemoveExistingProducts placement (ICE63), custom action types (ICE68), deferred \
actions inside the script (ICE77), and the project's rules: password properties hidden and \
secure, HideTarget on every action carrying one, no secret default value, every DllEntry \
exported by its DLL. It works on any MSI, including ones built by wixl or WiX. Every file given \
is checked, even after one that cannot be read.\n\n\
Each finding prints as\n  ICE77 error: InstallExecuteSequence row 'Foo' column 'Sequence': <what is wrong>",
    after_help = "Exit status: 0 when no file has an error (warnings are allowed), 1 when a file has an error \
finding, 2 when a file cannot be read as an MSI (or a usage error). docs/validation.md explains each check."
)]
pub struct ValidateArgs {
    /// The MSI files to check
    #[arg(required = true, value_name = "FILE.msi")]
    pub files: Vec<PathBuf>,
    /// Print one JSON document on stdout: an array with one object per file,
    /// {"file", "error_count", "warning_count", "findings": [{"ice", "rule", "severity",
    /// "table", "row", "column", "message"}]}, or {"file", "unreadable": "<why>"}
    #[arg(long)]
    pub json: bool,
}

/// `cargo xtask wix`.
#[derive(Debug, Clone, Args)]
pub struct WixArgs {
    /// What to do
    #[command(subcommand)]
    pub command: WixCommand,
}

/// `cargo xtask wix <command>`.
#[derive(Debug, Clone, Subcommand)]
pub enum WixCommand {
    /// Compile and link WiX v3 sources into an MSI, as `candle` + `light` do
    #[command(
        long_about = "Builds an MSI from WiX v3 sources (.wxs) with the project's own backend, on any host: \
    what `candle -arch A -dN=V -I DIR *.wxs` followed by `light -loc L.wxl -cultures:C -b DIR -out OUT.msi *.wixobj` \
    do, for the subset of WiX v3 listed in docs/wix-subset.md (anything else is an error naming the file, line and \
    column). The MSI is written to a temporary file and renamed into place, then validated (ICE-style checks).",
        after_help = "Exit status: 0 success, 1 an error in a source or a validation error, 2 usage error.\n\
    Relative Source paths resolve against the current directory, then each -b folder (as light does).\n\
    Example (cargo-wix layout): cargo xtask wix build --arch x64 -d Version=1.2.0 \\\n  \
    -d CargoTargetBinDir=target/release -o target/wix/app.msi wix/main.wxs"
    )]
    Build(WixBuildArgs),
    /// Walk the WixUI_InstallDir and WixUI_Advanced wizards under Wine + Xvfb + xdotool (part of `cargo xtask test`)
    #[command(
        long_about = "Builds packaging/tests/wix_v3/main.wxs twice, with <UIRef Id=\"WixUI_InstallDir\"/> and with \
    <UIRef Id=\"WixUI_Advanced\"/>, runs each with its full UI under Wine on a virtual display and clicks through \
    it: InstallDir types another folder in InstallDirDlg; Advanced goes Advanced -> InstallScopeDlg -> InstallDirDlg \
    -> FeaturesDlg -> Install. Passes when msiexec ends with 0 and the program is in the folder the wizard chose. \
    Needs wine, Xvfb, xdotool, ImageMagick and msitools; work files and screenshots go to target/wixui-walk."
    )]
    Walk,
}

/// `cargo xtask wix build`: the flags of candle and light that shape the package.
#[derive(Debug, Clone, Args)]
pub struct WixBuildArgs {
    /// The .wxs sources (one has the <Product>; the others' fragments are linked)
    #[arg(required = true, value_name = "SOURCE.wxs", value_parser = absolute_path)]
    pub sources: Vec<PathBuf>,
    /// The MSI to write
    #[arg(short = 'o', long = "out", value_name = "OUT.msi", value_parser = absolute_path)]
    pub out: PathBuf,
    /// Architecture of a <Package> without Platform ($(sys.BUILDARCH)); WiX's default is x86
    #[arg(long, value_enum, default_value_t = WixArch::X86)]
    pub arch: WixArch,
    /// A preprocessor variable, $(var.NAME) (repeatable; candle -d)
    #[arg(short = 'd', value_name = "NAME=VALUE", value_parser = name_value)]
    pub define: Vec<(String, String)>,
    /// A folder searched for <?include?> files (repeatable; candle -I)
    #[arg(short = 'I', value_name = "DIR", value_parser = absolute_path)]
    pub include: Vec<PathBuf>,
    /// A localization file, !(loc.X) (repeatable; light -loc)
    #[arg(long, value_name = "FILE.wxl", value_parser = absolute_path)]
    pub loc: Vec<PathBuf>,
    /// Use only the --loc files of this culture (light -cultures:); default: all given
    #[arg(long, value_name = "CULTURE", value_parser = lower_case)]
    pub culture: Option<String>,
    /// A bind path for relative Source paths: DIR, or NAME=DIR for !(bindpath.NAME) (repeatable; light -b)
    #[arg(short = 'b', value_name = "BINDPATH")]
    pub bind: Vec<String>,
    /// Skip the validation of the written MSI
    #[arg(long)]
    pub no_validate: bool,
}

/// `--arch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WixArch {
    /// 32-bit (Intel template)
    X86,
    /// 64-bit
    X64,
}

/// `NAME=VALUE` (a value may be empty; `NAME` alone defines an empty variable, as candle does).
fn name_value(s: &str) -> Result<(String, String), String> {
    let (n, v) = s.split_once('=').unwrap_or((s, ""));
    if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
        return Err(format!("{n:?} is not a variable name (letters, digits, _ and .)"));
    }
    Ok((n.to_string(), v.to_string()))
}

/// `cargo xtask bench`.
#[derive(Debug, Clone, Args)]
#[command(long_about = "Synthesizes a payload of mixed compressibility under target/bench (deterministic: the same \
arguments give the same bytes), builds it with our backend (packaging::wix, an optimised build) and \
with wixl from the same payload-only .wxs, and reports wall time, peak RSS and MSI size with \
ratios. The figures are written into docs/benchmark.md between its bench markers.")]
pub struct BenchArgs {
    /// Payload size in MiB
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    pub size_mib: u64,
    /// Number of files
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub files: u64,
    /// Only our backend
    #[arg(long)]
    pub no_wixl: bool,
    /// Do not update docs/benchmark.md
    #[arg(long)]
    pub no_docs: bool,
    /// (internal) the measured child process: build this spec with our backend and nothing else
    #[arg(long, value_name = "SPEC", hide = true)]
    pub build_only: Option<PathBuf>,
}

/// `cargo xtask screenshots`.
#[derive(Debug, Clone, Args)]
#[command(long_about = "Runs the MSI with its full UI under Wine on an Xvfb display, walks each path of the dialogs \
with xdotool, checks the outcome (files on disk, exit code) and writes docs/dialogs/NN-name.png.")]
pub struct ScreenshotsArgs {
    /// The MSI to run [default: the last `cargo xtask dist` build in target/dist]
    #[arg(long, value_name = "FILE", value_parser = absolute_path)]
    pub msi: Option<PathBuf>,
    /// The test-variant MSI for the `rollback` path [default: built with dist --variant test into
    /// target/screenshots/test-dist]
    #[arg(long, value_name = "FILE", value_parser = absolute_path)]
    pub test_msi: Option<PathBuf>,
    /// Where the PNGs go [default: docs/dialogs]
    #[arg(long, value_name = "DIR", value_parser = absolute_path)]
    pub out: Option<PathBuf>,
    /// Run one path only
    #[arg(long, value_enum, value_name = "PATH")]
    pub only: Option<DialogPath>,
    /// Keep the Wine prefixes under target/screenshots for inspection
    #[arg(long)]
    pub keep: bool,
}

/// `cargo xtask mutants`.
#[derive(Debug, Clone, Default, Args)]
#[command(long_about = "Runs cargo-mutants (install it with `cargo install cargo-mutants`) over the modules \
where a regression would hurt most, each mutant with the test binaries that cover its module (no fuzzers, \
no Wine tests), and prints caught / missed / timeout / unviable counts. Results stay in \
target/mutants/<module>/mutants.out (missed.txt lists what to look at). Slow: see docs/mutation-testing.md \
for measured times.")]
pub struct MutantsArgs {
    /// Run only this module's file, e.g. packaging/src/prerequisites.rs (repeatable) [default: every module
    /// docs/mutation-testing.md lists]
    #[arg(long, value_name = "FILE")]
    pub file: Vec<String>,
    /// Parallel builds (the machine is shared)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: u32,
    /// Per-mutant test timeout in seconds [default: cargo-mutants' own, from the baseline test time]
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u32>,
    /// List the mutants without running them
    #[arg(long)]
    pub list: bool,
}

/// The dialog paths `screenshots` walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DialogPath {
    /// No configuration, every prerequisite present: install to Finish
    Fresh,
    /// Prerequisites missing: the prerequisites dialog, then Cancel
    Missing,
    /// A configuration, answer Yes: the upgrade continues
    Discard,
    /// A configuration, answer No: password, export, exit with 1602
    Export,
    /// The test variant's injected failure: the fatal-error dialog, 1603, the configuration back
    Rollback,
    /// The setup program: its prerequisites screen (Cancel: 1602), then /passive with its progress screen (0)
    Setup,
}

impl DialogPath {
    /// The name, as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            DialogPath::Fresh => "fresh",
            DialogPath::Missing => "missing",
            DialogPath::Discard => "discard",
            DialogPath::Export => "export",
            DialogPath::Rollback => "rollback",
            DialogPath::Setup => "setup",
        }
    }
}

/// A path from the command line, made absolute against the directory `cargo xtask` was run in
/// (the commands run child processes from the project root, where a relative path would mean
/// something else).
fn absolute_path(text: &str) -> Result<PathBuf, String> {
    if text.is_empty() {
        return Err("an empty path".into());
    }
    std::path::absolute(text).map_err(|e| format!("cannot make {text} absolute: {e}"))
}

/// Rejects `dist --version`, naming the flag that replaced it.
fn renamed_version(_: &str) -> Result<String, String> {
    Err("the product version is given with --product-version X.Y.Z".into())
}

/// A culture name, lower case (`de-DE` and `de-de` are the same culture).
fn lower_case(text: &str) -> Result<String, String> {
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!("`{text}` is not a culture name (like en-us or de-de)"));
    }
    Ok(text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("cargo xtask").chain(args.iter().copied()))
    }

    fn dist(args: &[&str]) -> DistArgs {
        let mut all = vec!["dist"];
        all.extend_from_slice(args);
        match parse(&all).unwrap().command {
            Command::Dist(d) => d,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_declaration_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dist_flags_with_space_and_equals() {
        let o =
            dist(&["--product-version", "3.4.0", "--variant=test", "--extra-wxs", "a.wxs", "b.wxs", "--out=/tmp/o"]);
        assert_eq!(o.product_version.as_deref(), Some("3.4.0"));
        assert_eq!(o.variant, Variant::Test);
        assert_eq!(o.extra_wxs.len(), 2);
        assert!(o.extra_wxs[1].ends_with("b.wxs") && o.extra_wxs[1].is_absolute());
        assert_eq!(o.out.as_deref(), Some(std::path::Path::new("/tmp/o")));
        assert_eq!(dist(&["--culture=DE-de"]).culture, "de-de");
        let previous = dist(&["--previous", "old.msi"]).previous.unwrap();
        assert!(previous.is_absolute() && previous.ends_with("old.msi"), "{}", previous.display());
        let d = dist(&[]);
        assert_eq!(d.previous, None);
        assert_eq!((d.variant, d.backend, d.culture.as_str()), (Variant::Release, Backend::Rust, "en-us"));
        assert_eq!(d.config_file(), project_root().join("wix/product.toml"));
        let default = DistArgs::default();
        assert_eq!((default.variant, default.backend, default.culture), (d.variant, d.backend, d.culture));
    }

    #[test]
    fn usage_errors_are_exit_code_2_with_suggestions() {
        for bad in [
            &["dist", "--variant", "debug"][..],
            &["dist", "--bogus"],
            &["dist", "--product-version"],
            &["dist", "--version", "3.4.0"],
            &["validate"],
            &["bench", "--files", "0"],
            &["screenshots", "--only", "nope"],
            &["nope"],
        ] {
            let e = parse(bad).expect_err(&format!("{bad:?}"));
            assert_eq!(e.exit_code(), 2, "{bad:?}: {e}");
        }
        let e = parse(&["dist", "--cultur", "de-de"]).unwrap_err().to_string();
        assert!(e.contains("--culture"), "{e}");
        let e = parse(&["dist", "--version", "3.4.0"]).unwrap_err().to_string();
        assert!(e.contains("--product-version"), "{e}");
        let e = parse(&["dits"]).unwrap_err().to_string();
        assert!(e.contains("dist"), "{e}");
        let help = parse(&["dist", "--help"]).unwrap_err();
        assert_eq!((help.kind(), help.exit_code()), (ErrorKind::DisplayHelp, 0));
    }

    #[test]
    fn verbosity_is_global() {
        let cli = parse(&["-q", "dist"]).unwrap();
        assert!(cli.verbosity.quiet);
        let cli = parse(&["validate", "x.msi", "-vv"]).unwrap();
        assert_eq!(cli.verbosity.verbose, 2);
        assert!(parse(&["-q", "-v", "dist"]).is_err());
    }

    #[test]
    fn e2e_only_takes_lists_and_repeats() {
        let Command::E2e(o) = parse(&["e2e", "--only", "a,b", "--keep", "--only=c"]).unwrap().command else { panic!() };
        assert_eq!(o.only, ["a", "b", "c"]);
        assert!(o.keep && !o.record);
    }

    #[test]
    fn test_passes_trailing_arguments_to_cargo_test() {
        let Command::Test(o) = parse(&["test", "--no-ui", "--", "-p", "packaging", "--nocapture"]).unwrap().command
        else {
            panic!()
        };
        assert!(o.no_ui && !o.no_e2e);
        assert_eq!(o.cargo_args, ["-p", "packaging", "--nocapture"]);
    }
}
