//! Fixture MSIs for the validation tests, written in memory with the `msi` crate.
//!
//! `Fixture::clean()` is a small, complete per-machine product that passes every check; each test
//! breaks one thing and asserts that exactly the expected rule fires. Tables are created from the
//! standard definitions (`packaging::tables`) with categories removed and every non-key column
//! nullable, so a test can store values the standard forbids (the `msi` crate validates values
//! against the declared columns when rows are inserted).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Cursor, Write};

use msi::{Package, PackageType, Value};
use packaging::tables::ColumnKind;
use packaging::validate::{validate, Finding, Report};

/// A string value.
pub fn s(text: &str) -> Value {
    Value::Str(text.to_owned())
}

/// An integer value.
pub fn i(n: i32) -> Value {
    Value::Int(n)
}

/// Null.
pub const N: Value = Value::Null;

pub const PRODUCT_CODE: &str = "{6A0C3A3E-5F0B-4F55-9B7A-0C6E8F1D2A10}";
pub const UPGRADE_CODE: &str = "{0E8F3B9A-6C1D-4E2F-8A7B-5D4C3B2A1F00}";

/// A package under construction: rows per table plus `Binary` streams.
#[derive(Clone, Debug, Default)]
pub struct Fixture {
    pub tables: BTreeMap<String, Vec<Vec<Value>>>,
    pub binaries: BTreeMap<String, Vec<u8>>,
}

impl Fixture {
    /// A clean per-machine product: two components in one feature, a major-upgrade Upgrade table,
    /// standard sequences, and a deferred DLL action that receives SERVICE_PASSWORD through
    /// CustomActionData with HideTarget set everywhere it has to be.
    pub fn clean() -> Fixture {
        let mut f = Fixture::default();
        f.rows(
            "Property",
            vec![
                vec![s("ProductCode"), s(PRODUCT_CODE)],
                vec![s("ProductVersion"), s("1.2.3")],
                vec![s("ProductLanguage"), s("1033")],
                vec![s("ProductName"), s("Fixture")],
                vec![s("Manufacturer"), s("Fixture Inc")],
                vec![s("UpgradeCode"), s(UPGRADE_CODE)],
                vec![s("ALLUSERS"), s("1")],
                vec![s("SecureCustomProperties"), s("WIX_UPGRADE_DETECTED;WIX_DOWNGRADE_DETECTED;SERVICE_PASSWORD")],
                vec![s("MsiHiddenProperties"), s("SERVICE_PASSWORD")],
            ],
        );
        f.rows(
            "Directory",
            vec![
                vec![s("TARGETDIR"), N, s("SourceDir")],
                vec![s("ProgramFiles64Folder"), s("TARGETDIR"), s("PFiles")],
                vec![s("INSTALLFOLDER"), s("ProgramFiles64Folder"), s("VMware")],
            ],
        );
        f.rows(
            "Component",
            vec![
                vec![s("C1"), s("{11111111-2222-3333-4444-555555555551}"), s("INSTALLFOLDER"), i(256), N, s("F1")],
                vec![s("C2"), s("{11111111-2222-3333-4444-555555555552}"), s("INSTALLFOLDER"), i(256), N, s("F2")],
            ],
        );
        f.rows(
            "File",
            vec![
                vec![s("F1"), s("C1"), s("a.txt"), i(10), N, N, i(512), i(1)],
                vec![s("F2"), s("C2"), s("bfile~1.txt|b file.txt"), i(10), N, N, i(512), i(2)],
            ],
        );
        f.rows("Feature", vec![vec![s("Main"), N, s("Main"), N, i(2), i(1), s("INSTALLFOLDER"), i(0)]]);
        f.rows("FeatureComponents", vec![vec![s("Main"), s("C1")], vec![s("Main"), s("C2")]]);
        f.rows("Media", vec![vec![i(1), i(2), N, s("#p.cab"), N, N]]);
        f.rows(
            "Upgrade",
            vec![
                vec![s(UPGRADE_CODE), N, s("1.2.3"), N, i(1), N, s("WIX_UPGRADE_DETECTED")],
                vec![s(UPGRADE_CODE), s("1.2.3"), N, N, i(2), N, s("WIX_DOWNGRADE_DETECTED")],
            ],
        );
        f.rows(
            "CustomAction",
            vec![
                // type 51 + HideTarget: sets SvcAction's CustomActionData.
                vec![s("SetSvcAction"), i(51 | 0x2000), s("SvcAction"), s("[SERVICE_ACCOUNT];[SERVICE_PASSWORD]"), N],
                // type 1 + InScript + NoImpersonate + HideTarget.
                vec![s("SvcAction"), i(1 | 0x400 | 0x800 | 0x2000), s("CaDll"), s("ConfigureService"), N],
                // type 1 + rollback + NoImpersonate.
                vec![s("SvcRollback"), i(1 | 0x500 | 0x800), s("CaDll"), s("RollbackService"), N],
                vec![s("DetectThing"), i(1), s("CaDll"), s("DetectThing"), N],
            ],
        );
        f.binaries.insert("CaDll".into(), pe_dll(&["ConfigureService", "RollbackService", "DetectThing"]));
        f.rows("Binary", vec![vec![s("CaDll"), Value::Binary]]);
        f.rows(
            "InstallExecuteSequence",
            [
                ("FindRelatedProducts", 25),
                ("LaunchConditions", 100),
                ("DetectThing", 200),
                ("CostInitialize", 800),
                ("FileCost", 900),
                ("CostFinalize", 1000),
                ("InstallValidate", 1400),
                ("RemoveExistingProducts", 1401),
                ("InstallInitialize", 1500),
                ("ProcessComponents", 1600),
                ("RemoveFiles", 3500),
                ("InstallFiles", 4000),
                ("SetSvcAction", 4001),
                ("SvcRollback", 4002),
                ("SvcAction", 4003),
                ("RegisterUser", 6000),
                ("RegisterProduct", 6100),
                ("PublishFeatures", 6300),
                ("PublishProduct", 6400),
                ("InstallFinalize", 6600),
            ]
            .iter()
            .map(|(a, n)| vec![s(a), N, i(*n)])
            .collect(),
        );
        f.rows(
            "InstallUISequence",
            [
                ("FindRelatedProducts", 25),
                ("CostInitialize", 800),
                ("FileCost", 900),
                ("CostFinalize", 1000),
                ("ExecuteAction", 1300),
            ]
            .iter()
            .map(|(a, n)| vec![s(a), N, i(*n)])
            .collect(),
        );
        f
    }

    /// Appends rows to a table (creating it).
    pub fn rows(&mut self, table: &str, rows: Vec<Vec<Value>>) -> &mut Self {
        self.tables.entry(table.to_owned()).or_default().extend(rows);
        self
    }

    /// Sets one column of the row whose first column is `key`.
    pub fn set(&mut self, table: &str, key: &str, column: &str, value: Value) -> &mut Self {
        let def = packaging::tables::standard(table).expect("a standard table");
        let index = def.column_index(column).unwrap_or_else(|| panic!("{table} has no column {column}"));
        let row = self
            .tables
            .get_mut(table)
            .and_then(|rows| rows.iter_mut().find(|r| r[0] == s(key)))
            .unwrap_or_else(|| panic!("{table} has no row {key}"));
        row[index] = value;
        self
    }

    /// Removes the rows whose first column is `key`.
    pub fn remove(&mut self, table: &str, key: &str) -> &mut Self {
        if let Some(rows) = self.tables.get_mut(table) {
            rows.retain(|r| r[0] != s(key));
        }
        self
    }

    /// Writes the package into memory.
    pub fn build(&self) -> Package<Cursor<Vec<u8>>> {
        let mut package = Package::create(PackageType::Installer, Cursor::new(Vec::new())).unwrap();
        package.set_database_codepage(msi::CodePage::Windows1252);
        for (name, rows) in &self.tables {
            let def = packaging::tables::standard(name).unwrap_or_else(|| panic!("{name} is not a standard table"));
            let columns = def
                .columns
                .iter()
                .map(|c| {
                    let mut loose = c.clone();
                    loose.category = None;
                    loose.nullable = c.nullable || !c.key;
                    loose.kind = match c.kind {
                        ColumnKind::Str(_) => ColumnKind::Str(0),
                        ColumnKind::Localized(_) => ColumnKind::Localized(0),
                        other => other,
                    };
                    loose.to_msi()
                })
                .collect();
            package.create_table(name.as_str(), columns).unwrap();
            package
                .insert_rows(msi::Insert::into(name.as_str()).rows(rows.clone()))
                .unwrap_or_else(|e| panic!("fixture table {name}: {e}"));
        }
        for (name, data) in &self.binaries {
            let mut stream = package.write_stream(&format!("Binary.{name}")).unwrap();
            stream.write_all(data).unwrap();
        }
        let bytes = package.into_inner().unwrap().into_inner();
        Package::open(Cursor::new(bytes)).unwrap()
    }

    /// Builds the package and validates it.
    pub fn report(&self) -> Report {
        validate(&mut self.build()).expect("the fixture opens")
    }
}

/// Asserts that the report has findings of `rule` and no findings of any other rule, and returns
/// them.
pub fn only(report: &Report, rule: &str) -> Vec<Finding> {
    let (ours, others): (Vec<_>, Vec<_>) = report.findings.iter().cloned().partition(|f| f.rule == rule);
    assert!(!ours.is_empty(), "expected a {rule} finding; got:\n{}", show(report));
    assert!(others.is_empty(), "expected only {rule} findings; got:\n{}", show(report));
    ours
}

/// The report as lines, for assertion messages.
pub fn show(report: &Report) -> String {
    report.findings.iter().map(|f| format!("  {f}\n")).collect()
}

/// A minimal PE32+ DLL (x86-64) whose export table names `exports`, built byte by byte after the
/// PE/COFF specification (DOS stub header, COFF header, optional header with 16 data directories,
/// one `.edata` section). It contains no code: it only has to be parsed, never loaded.
pub fn pe_dll(exports: &[&str]) -> Vec<u8> {
    const SECTION_RVA: u32 = 0x1000;
    const SECTION_FILE: usize = 0x200;
    let mut names: Vec<&str> = exports.to_vec();
    names.sort_unstable();
    let n = names.len() as u32;

    // .edata: directory (40 bytes), functions, name pointers, ordinals, strings.
    let mut edata = vec![0u8; 40];
    let functions_at = 40u32;
    let names_at = functions_at + 4 * n;
    let ordinals_at = names_at + 4 * n;
    let strings_start = ordinals_at + 2 * n;
    let dll_name_rva = SECTION_RVA + strings_start;
    let mut strings = b"fixture.dll\0".to_vec();
    let mut name_rvas = Vec::new();
    for name in &names {
        name_rvas.push(SECTION_RVA + strings_start + strings.len() as u32);
        strings.extend_from_slice(name.as_bytes());
        strings.push(0);
    }
    let put = |buf: &mut Vec<u8>, at: usize, v: u32| buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put(&mut edata, 12, dll_name_rva);
    put(&mut edata, 16, 1); // ordinal base
    put(&mut edata, 20, n);
    put(&mut edata, 24, n);
    put(&mut edata, 28, SECTION_RVA + functions_at);
    put(&mut edata, 32, SECTION_RVA + names_at);
    put(&mut edata, 36, SECTION_RVA + ordinals_at);
    for k in 0..n {
        // Each "function" points past the export data (inside the section), so it is not a forwarder.
        edata.extend_from_slice(&(SECTION_RVA + 0x800 + k).to_le_bytes());
    }
    for rva in &name_rvas {
        edata.extend_from_slice(&rva.to_le_bytes());
    }
    for k in 0..n as u16 {
        edata.extend_from_slice(&k.to_le_bytes());
    }
    edata.extend_from_slice(&strings);
    let export_size = edata.len() as u32;
    assert!(export_size < 0x800, "too many exports for the fixture DLL");
    edata.resize(0x1000, 0);

    let mut image = vec![0u8; SECTION_FILE];
    image[0..2].copy_from_slice(b"MZ");
    put(&mut image, 0x3C, 0x40); // e_lfanew
    image[0x40..0x44].copy_from_slice(b"PE\0\0");
    let coff = 0x44;
    image[coff..coff + 2].copy_from_slice(&0x8664u16.to_le_bytes()); // AMD64
    image[coff + 2..coff + 4].copy_from_slice(&1u16.to_le_bytes()); // one section
    image[coff + 16..coff + 18].copy_from_slice(&240u16.to_le_bytes()); // optional header size
    image[coff + 18..coff + 20].copy_from_slice(&0x2022u16.to_le_bytes()); // DLL | executable | large address aware
    let opt = coff + 20;
    image[opt..opt + 2].copy_from_slice(&0x20Bu16.to_le_bytes()); // PE32+
    image[opt + 24..opt + 32].copy_from_slice(&0x1_8000_0000u64.to_le_bytes()); // image base
    put(&mut image, opt + 32, 0x1000); // section alignment
    put(&mut image, opt + 36, 0x200); // file alignment
    image[opt + 48..opt + 50].copy_from_slice(&6u16.to_le_bytes()); // subsystem version 6.0
    put(&mut image, opt + 56, 0x2000); // size of image
    put(&mut image, opt + 60, SECTION_FILE as u32); // size of headers
    image[opt + 68..opt + 70].copy_from_slice(&2u16.to_le_bytes()); // GUI subsystem
    put(&mut image, opt + 108, 16); // data directories
    put(&mut image, opt + 112, SECTION_RVA); // export directory RVA
    put(&mut image, opt + 116, export_size);
    let section = opt + 240;
    image[section..section + 6].copy_from_slice(b".edata");
    put(&mut image, section + 8, 0x1000); // virtual size
    put(&mut image, section + 12, SECTION_RVA);
    put(&mut image, section + 16, 0x1000); // raw size
    put(&mut image, section + 20, SECTION_FILE as u32);
    put(&mut image, section + 36, 0x4000_0040); // initialised data, readable
    image.extend_from_slice(&edata);
    image
}
