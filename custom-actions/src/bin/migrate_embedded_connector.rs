//! `migrateEmbeddedConnector`: export, inspect, verify and decrypt embedded-connector configuration packages.
//!
//! A thin command line over [`custom_actions::enc`]; the format is specified in
//! `docs/enc-format.md`. Passwords come from a no-echo prompt, standard input or a file, never
//! from an argument (arguments show in process lists).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use custom_actions::enc::{self, EncError, ExportMeta, KdfParams, Manifest, PublicInfo, ReadLimits};
use zeroize::Zeroizing;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  other error (I/O, verification after writing, ...)
  2  usage error (bad arguments, password too short or not confirmed)
  3  wrong password (the package is intact)
  4  damaged package (truncated, modified, not an .enc file)
  5  unsupported package format version
  6  the output already exists (nothing is ever overwritten)
  7  the package's key-derivation cost is outside this reader's limits
     (see --max-kdf-memory, --max-kdf-passes, --allow-weak-kdf)

The format is described in docs/enc-format.md of the installer's source.";

/// Export, inspect, verify and decrypt embedded-connector configuration packages (.enc).
#[derive(Parser, Debug)]
#[command(name = "migrateEmbeddedConnector", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Export configuration files into a new password-protected package in --out.
    ///
    /// The package is named <cluster>-<host>-<domain>-conn-<UTC timestamp>.enc. It is written to
    /// a temporary file, decrypted again and compared, then renamed; an existing file is never
    /// overwritten. Without --password-stdin/--password-file the password is asked twice.
    #[command(after_help = EXIT_CODES)]
    Export(ExportArgs),
    /// Show the package's public header (no password needed).
    #[command(after_help = EXIT_CODES)]
    Inspect {
        /// The package.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Decrypt in memory and check every file against the manifest; write nothing.
    #[command(after_help = EXIT_CODES)]
    Verify {
        /// The package.
        file: PathBuf,
        /// Print the manifest as JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        password: PasswordArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Decrypt into a new folder (it must not exist, or be empty); nothing is written on error.
    #[command(after_help = EXIT_CODES)]
    Decrypt {
        /// The package.
        file: PathBuf,
        /// The folder to create.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        password: PasswordArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
}

#[derive(Args, Debug)]
struct ExportArgs {
    /// The folder the configuration paths are relative to (the product folder).
    #[arg(long, value_name = "DIR")]
    source: PathBuf,
    /// A file or folder to export, relative to --source; repeatable. Default: all of --source.
    #[arg(long = "path", value_name = "REL")]
    paths: Vec<PathBuf>,
    /// Cluster name (recorded in the manifest and the file name).
    #[arg(long)]
    cluster: String,
    /// Host name.
    #[arg(long)]
    host: String,
    /// Domain name.
    #[arg(long)]
    domain: String,
    /// Product version the configuration comes from.
    #[arg(long)]
    source_version: String,
    /// Folder to write the package in (must exist).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    password: PasswordArgs,
}

/// Limits on what a package may make the reader spend (docs/enc-format.md, "Reader limits").
#[derive(Args, Debug)]
struct LimitArgs {
    /// Largest Argon2id memory a package may ask for, in MiB (at most 1024, the format's limit).
    /// Raise it only for a package you trust: a hostile header can make the reader spend this.
    #[arg(long, value_name = "MIB", default_value_t = ReadLimits::DEFAULT.max_m_kib / 1024,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(KdfParams::MAX_M_KIB / 1024)))]
    max_kdf_memory: u32,
    /// Largest number of Argon2id passes a package may ask for (at most 16).
    #[arg(long, value_name = "N", default_value_t = ReadLimits::DEFAULT.max_t,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(KdfParams::MAX_T)))]
    max_kdf_passes: u32,
    /// Open a package whose key derivation is below the minimum cost (cheap to guess), such as
    /// a test package.
    #[arg(long)]
    allow_weak_kdf: bool,
}

impl LimitArgs {
    fn limits(&self) -> ReadLimits {
        ReadLimits {
            max_m_kib: self.max_kdf_memory * 1024,
            max_t: self.max_kdf_passes,
            allow_weak: self.allow_weak_kdf,
        }
    }
}

#[derive(Args, Debug)]
struct PasswordArgs {
    /// Read the password from standard input (one trailing newline is removed).
    #[arg(long, conflicts_with = "password_file")]
    password_stdin: bool,
    /// Read the password from a file (one trailing newline is removed).
    #[arg(long, value_name = "PATH")]
    password_file: Option<PathBuf>,
}

/// A failure of the tool, with the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

impl From<EncError> for Failure {
    fn from(e: EncError) -> Self {
        let code = match &e {
            EncError::WrongPassword { .. } => 3,
            EncError::Damaged { .. } => 4,
            EncError::UnsupportedVersion { .. } => 5,
            EncError::Exists { .. } => 6,
            EncError::KdfRefused { .. } => 7,
            EncError::PasswordTooShort | EncError::InvalidPath { .. } | EncError::KdfParams { .. } => 2,
            _ => 1,
        };
        Failure { code, message: e.to_string() }
    }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure { code: 2, message: message.into() }
}

fn other(message: impl Into<String>) -> Failure {
    Failure { code: 1, message: message.into() }
}

fn main() -> ExitCode {
    // clap exits with 2 on a usage error and 0 for --help/--version.
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("migrateEmbeddedConnector: error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Export(a) => {
            // Always the production parameters: the tool offers no way to write a weak package
            // (issue 14 finding 12).
            let params = KdfParams::DEFAULT;
            let password = read_password(&a.password, true)?;
            enc::check_password(&password)?;
            let meta = ExportMeta {
                cluster: a.cluster,
                host: a.host,
                domain: a.domain,
                source_version: a.source_version,
                created: time::OffsetDateTime::now_utc(),
            };
            let path = enc::export(&a.source, &a.paths, &meta, &password, &a.out, params)?;
            println!("wrote and verified {}", path.display());
            Ok(())
        }
        Command::Inspect { file, json } => {
            let info = enc::inspect(&file)?;
            print_info(&file, &info, json);
            Ok(())
        }
        Command::Verify { file, json, password, limits } => {
            let password = read_password(&password, false)?;
            let manifest = enc::verify(&file, &password, &limits.limits())?;
            print_manifest(&file, &manifest, json);
            Ok(())
        }
        Command::Decrypt { file, out, password, limits } => {
            let password = read_password(&password, false)?;
            let manifest = enc::decrypt(&file, &password, &out, &limits.limits())?;
            println!(
                "decrypted {} files ({} bytes) into {}",
                manifest.files.len(),
                manifest.total_size(),
                out.display()
            );
            Ok(())
        }
    }
}

/// Reads the password from stdin, a file, or the terminal (asked twice when `confirm`).
fn read_password(args: &PasswordArgs, confirm: bool) -> Result<Zeroizing<String>, Failure> {
    if args.password_stdin {
        return enc::read_password(&mut std::io::stdin().lock())
            .map_err(|e| other(format!("cannot read the password from standard input: {e}")));
    }
    if let Some(path) = &args.password_file {
        let read = |path: &Path| enc::read_password(&mut std::fs::File::open(path)?);
        return read(path).map_err(|e| other(format!("{}: cannot read the password file: {e}", path.display())));
    }
    let prompt_err = |e: std::io::Error| {
        other(format!("cannot read the password from the terminal ({e}); use --password-stdin or --password-file"))
    };
    let first = Zeroizing::new(rpassword::prompt_password("Package password: ").map_err(prompt_err)?);
    if confirm {
        enc::check_password(&first)?;
        let second = Zeroizing::new(rpassword::prompt_password("Repeat the password: ").map_err(prompt_err)?);
        if *first != *second {
            return Err(usage("the two passwords differ"));
        }
    }
    Ok(first)
}

fn print_info(file: &Path, info: &PublicInfo, json: bool) {
    if json {
        let v = serde_json::json!({
            "file": file.display().to_string(),
            "version": info.version,
            "kdf": info.kdf,
            "kdf_params": { "m_kib": info.kdf_params.m_kib, "t": info.kdf_params.t, "p": info.kdf_params.p },
            "aead": info.aead,
            "salt": info.salt_hex,
            "payload_len": info.payload_len,
            "file_len": info.file_len,
        });
        println!("{v:#}");
    } else {
        println!("file:        {}", file.display());
        println!("format:      .enc version {}", info.version);
        println!(
            "kdf:         {} (m = {} KiB, t = {}, p = {})",
            info.kdf, info.kdf_params.m_kib, info.kdf_params.t, info.kdf_params.p
        );
        println!("aead:        {}", info.aead);
        println!("salt:        {}", info.salt_hex);
        println!("payload:     {} bytes (encrypted zip)", info.payload_len);
        println!("size:        {} bytes", info.file_len);
        println!("(the manifest is encrypted: use `verify` with the password to list the files)");
    }
}

fn print_manifest(file: &Path, m: &Manifest, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(m).expect("a manifest serializes"));
        return;
    }
    let created =
        m.created.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| m.created.to_string());
    println!("{}: OK, every file matches the manifest", file.display());
    println!("cluster:        {}", m.cluster);
    println!("host:           {}", m.host);
    println!("domain:         {}", m.domain);
    println!("source version: {}", m.source_version);
    println!("created (UTC):  {created}");
    println!("files:          {} ({} bytes)", m.files.len(), m.total_size());
    for f in &m.files {
        println!("  {}  {:>12}  {}", f.sha256, f.size, f.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
