//! The standard actions of the five sequence tables as the built MSI shows them, against WiX
//! v3's own list of the standard actions (`reference/wix3/actions.xml`, read here, not the
//! Rust table of `packaging/src/wix/sequence.rs`): each action's default sequence number,
//! condition and the tables it belongs to, which are the MSI SDK's suggested sequences
//! ("Suggested InstallExecuteSequence", "Suggested InstallUISequence", "Suggested
//! AdminExecuteSequence", "Suggested AdminUISequence", "Suggested AdvtExecuteSequence").
//! Added for the missed mutants of `cargo xtask mutants --file packaging/src/wix/sequence.rs`
//! (docs/mutation-testing.md).

use std::collections::BTreeMap;

mod wix_support;

/// The sequence tables and the WiX v3 element that authors each.
const TABLES: &[(&str, &str)] = &[
    ("InstallExecuteSequence", "InstallExecuteSequence"),
    ("InstallUISequence", "InstallUISequence"),
    ("AdminExecuteSequence", "AdminExecuteSequence"),
    ("AdminUISequence", "AdminUISequence"),
    ("AdvtExecuteSequence", "AdvertiseExecuteSequence"),
];

/// One `<action>` of WiX v3's actions.xml.
struct Documented {
    name: String,
    sequence: i32,
    condition: String,
    tables: Vec<String>,
}

fn documented() -> Vec<Documented> {
    let path = test_support::project_root().join("reference/wix3/actions.xml");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let out: Vec<Documented> = doc
        .descendants()
        .filter(|n| n.has_tag_name("action"))
        .map(|n| Documented {
            name: n.attribute("name").unwrap().to_string(),
            sequence: n.attribute("sequence").unwrap().parse().unwrap(),
            condition: n.attribute("condition").unwrap_or("").to_string(),
            tables: TABLES.iter().filter(|t| n.attribute(t.0) == Some("yes")).map(|t| t.0.to_string()).collect(),
        })
        .collect();
    assert_eq!(out.len(), 70, "actions.xml of WiX v3.14.1 lists 70 standard actions");
    out
}

/// A product with `body` inside `<Product>` (no files, no registry: only the tables every
/// package has).
fn wxs(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Sequence Order" Language="1033" Version="1.0.0" Manufacturer="Example Corp" UpgradeCode="{{5D1E2F30-4A5B-4C6D-8E7F-90A1B2C3D4E5}}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Platform="x86" />
    <MediaTemplate EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="APPDIR" Name="Sequence Order">
          <Component Id="Marker" Guid="{{6E2F3041-5B6C-4D7E-8F90-A1B2C3D4E5F6}}">
            <CreateFolder />
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Title="Main" Level="1"><ComponentRef Id="Marker" /></Feature>
    {body}
  </Product>
</Wix>
"#
    )
}

/// Builds `source`: each sequence table as action -> (condition, sequence), or the build's error.
/// Each sequence table's rows: action -> (condition, sequence number).
type Sequences = BTreeMap<String, BTreeMap<String, (String, i32)>>;

fn build_sequences(source: &str) -> Result<Sequences, String> {
    let tables: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
    Ok(wix_support::build_tables(source, &tables)?
        .into_iter()
        .map(|(t, rows)| {
            (t, rows.into_iter().map(|r| (r[0].clone(), (r[1].clone(), r[2].parse::<i32>().unwrap()))).collect())
        })
        .collect())
}

/// Every standard action WiX v3 lists for a table, used as the anchor of a custom action
/// (`After`), is pulled into that table at its documented number with its documented condition
/// (WiX's linker does the same for a referenced standard action), and the custom action lands
/// right after it. One build per table, all of that table's actions in it.
#[test]
fn each_documented_standard_action_anchors_at_its_number_in_each_of_its_tables() {
    let docs = documented();
    for (table, element) in TABLES {
        let mine: Vec<&Documented> = docs.iter().filter(|d| d.tables.iter().any(|t| t == table)).collect();
        assert!(!mine.is_empty(), "{table}");
        let mut body = String::new();
        let mut scheduled = String::new();
        for d in &mine {
            body.push_str(&format!("<CustomAction Id=\"X_{0}\" Property=\"P_{0}\" Value=\"1\" />\n", d.name));
            scheduled.push_str(&format!("<Custom Action=\"X_{0}\" After=\"{0}\" />\n", d.name));
        }
        body.push_str(&format!("<{element}>\n{scheduled}</{element}>"));
        let seqs = build_sequences(&wxs(&body)).unwrap_or_else(|e| panic!("{table}: {e}"));
        let rows = &seqs[*table];
        for d in &mine {
            assert_eq!(
                rows.get(&d.name),
                Some(&(d.condition.clone(), d.sequence)),
                "{table}: standard action {} (documented at {})",
                d.name,
                d.sequence
            );
            assert_eq!(
                rows.get(&format!("X_{}", d.name)).map(|r| r.1),
                Some(d.sequence + 1),
                "{table}: after {}",
                d.name
            );
        }
        // And no standard action that WiX v3 does not list for this table.
        for d in docs.iter().filter(|d| rows.contains_key(&d.name)) {
            assert!(d.tables.iter().any(|t| t == table), "{table} has {}, which belongs to {:?}", d.name, d.tables);
        }
    }
}

/// Every sequence table stands alone (MSI SDK "AdminExecuteSequence Table": "it also contains
/// any necessary initialization actions such as LaunchConditions, CostInitialize, FileCost, and
/// CostFinalize"; likewise the other four): a package that authors no sequence at all still has
/// all five tables with the costing actions WiX v3 lists for them, and the AdminExecuteSequence
/// of the MSI SDK's "Importing the AdminExecuteSequence" page (InstallValidate 1400,
/// InstallInitialize 1500, InstallAdminPackage 3900, InstallFinalize 6600).
#[test]
fn every_sequence_table_is_there_without_authoring() {
    let seqs = build_sequences(&wxs("")).unwrap();
    for d in documented().iter().filter(|d| ["CostInitialize", "FileCost", "CostFinalize"].contains(&d.name.as_str())) {
        for t in &d.tables {
            assert_eq!(seqs[t].get(&d.name), Some(&(String::new(), d.sequence)), "{t}: {}", d.name);
        }
    }
    let admin = &seqs["AdminExecuteSequence"];
    for (a, n) in [
        ("InstallValidate", 1400),
        ("InstallInitialize", 1500),
        ("InstallAdminPackage", 3900),
        ("InstallFinalize", 6600),
    ] {
        assert_eq!(admin.get(a).map(|r| r.1), Some(n), "AdminExecuteSequence: {a}");
    }
}

/// Standard actions as elements (WiX v3 schema, InstallExecuteSequence children): one without a
/// default number (RemoveExistingProducts, "Not fixed sequence") placed by `After`, and one that
/// WiX emits only when authored (InstallExecute), at its documented 6500 and condition.
#[test]
fn standard_action_elements_with_and_without_a_number() {
    let seqs = build_sequences(&wxs(r#"<InstallExecuteSequence>
             <RemoveExistingProducts After="InstallValidate" />
             <InstallExecute />
           </InstallExecuteSequence>"#))
    .unwrap();
    let ie = &seqs["InstallExecuteSequence"];
    assert_eq!(ie.get("RemoveExistingProducts"), Some(&(String::new(), 1401)));
    assert_eq!(ie.get("InstallExecute"), Some(&("NOT Installed".to_string(), 6500)));
}

/// MSI SDK "InstallUISequence Table", Sequence column: "Each termination flag (negative value)
/// can be used with no more than one action." A custom action `After` the action of the suspend
/// flag (-4) would land on -3, the error flag another action already holds: refused.
#[test]
fn no_termination_flag_is_taken_twice_by_a_relative_action() {
    let e = build_sequences(&wxs(r#"<CustomAction Id="OnSuspend" Property="P1" Value="1" />
           <CustomAction Id="OnError" Property="P2" Value="1" />
           <CustomAction Id="Next" Property="P3" Value="1" />
           <InstallUISequence>
             <Custom Action="OnSuspend" OnExit="suspend" />
             <Custom Action="OnError" OnExit="error" />
             <Custom Action="Next" After="OnSuspend" />
           </InstallUISequence>"#))
    .unwrap_err();
    assert!(e.contains("Next"), "{e}");
}

/// Two actions authored with the same termination flag: the MSI SDK ("InstallUISequence Table",
/// "InstallExecuteSequence Table") allows each of -1 to -4 for at most one action, so two
/// `OnExit="error"` are refused, naming both; different flags are fine.
#[test]
fn a_termination_flag_belongs_to_one_action() {
    let e = build_sequences(&wxs(r#"<CustomAction Id="FailA" Property="P1" Value="1" />
           <CustomAction Id="FailB" Property="P2" Value="1" />
           <InstallUISequence>
             <Custom Action="FailA" OnExit="error" />
             <Custom Action="FailB" OnExit="error" />
           </InstallUISequence>"#))
    .unwrap_err();
    assert!(e.contains("FailA") && e.contains("FailB") && e.contains("-3"), "{e}");
    let seqs = build_sequences(&wxs(r#"<CustomAction Id="Done" Property="P1" Value="1" />
           <CustomAction Id="Failed" Property="P2" Value="1" />
           <InstallUISequence>
             <Custom Action="Done" OnExit="success" />
             <Custom Action="Failed" OnExit="error" />
           </InstallUISequence>"#))
    .unwrap();
    let ui = &seqs["InstallUISequence"];
    assert_eq!((ui.get("Done").map(|r| r.1), ui.get("Failed").map(|r| r.1)), (Some(-1), Some(-3)));
}

/// An action at a negative number (a termination flag, or "never run") has no place in the
/// sequence, so nothing can run right before or after it: WiX v3 refuses an action scheduled
/// relative to one (its error ActionScheduledRelativeToTerminationAction), and so does this
/// backend, naming both, instead of giving the action 0 (never run) or a negative number.
#[test]
fn nothing_is_placed_relative_to_an_action_at_a_negative_number() {
    // `First` at `first` (an attribute: OnExit or Sequence), `Then` placed `place` it: Then's
    // number in `table`, or the build's error.
    let then = |table: &str, first: &str, place: &str| {
        build_sequences(&wxs(&format!(
            r#"<CustomAction Id="First" Property="P1" Value="1" />
           <CustomAction Id="Then" Property="P2" Value="1" />
           <{table}>
             <Custom Action="First" {first} />
             <Custom Action="Then" {place}="First" />
           </{table}>"#
        )))
        .map(|s| s[table].get("Then").map(|r| r.1))
    };
    for (table, first, place) in [
        ("InstallUISequence", r#"OnExit="success""#, "After"),
        ("InstallUISequence", r#"OnExit="error""#, "Before"),
        ("InstallUISequence", r#"OnExit="cancel""#, "After"),
        ("InstallExecuteSequence", r#"Sequence="-10""#, "After"),
    ] {
        let e = then(table, first, place).map(|n| format!("placed at {n:?}")).unwrap_or_else(|e| e);
        assert!(e.contains("Then") && e.contains("First") && e.contains("negative"), "{first} {place}: {e}");
    }
    // Zero is not negative: WiX v3 places an action `After` one at 0 on 1 (its parent's number
    // plus one), and so does this backend.
    assert_eq!(then("InstallUISequence", r#"Sequence="0""#, "After"), Ok(Some(1)));
}

/// Positive sequence numbers run (MSI SDK sequence tables: "A positive value represents the
/// sequence position"; zero means never run): an action `Before` one at 1 has no position left
/// and is refused; `Before` one at 2 gets 1.
#[test]
fn before_the_first_position_is_refused() {
    let ui = |anchor_at: i32| {
        build_sequences(&wxs(&format!(
            r#"<CustomAction Id="Anchor" Property="P1" Value="1" />
               <CustomAction Id="Early" Property="P2" Value="1" />
               <InstallUISequence>
                 <Custom Action="Anchor" Sequence="{anchor_at}" />
                 <Custom Action="Early" Before="Anchor" />
               </InstallUISequence>"#
        )))
    };
    let e = ui(1).unwrap_err();
    assert!(e.contains("Early"), "{e}");
    assert_eq!(ui(2).unwrap()["InstallUISequence"].get("Early").map(|r| r.1), Some(1));
}

/// Two actions at the same positive number have no defined order (ICE82, "duplicate sequence
/// number"): refused, naming both. Zero ("never run") may be shared.
#[test]
fn a_positive_sequence_number_is_not_shared() {
    let e = build_sequences(&wxs(r#"<CustomAction Id="Clash" Property="P1" Value="1" />
           <InstallExecuteSequence><Custom Action="Clash" Sequence="1500" /></InstallExecuteSequence>"#))
    .unwrap_err();
    assert!(e.contains("Clash") && e.contains("InstallInitialize") && e.contains("1500"), "{e}");
    let seqs = build_sequences(&wxs(r#"<CustomAction Id="Never1" Property="P1" Value="1" />
           <CustomAction Id="Never2" Property="P2" Value="1" />
           <InstallExecuteSequence>
             <Custom Action="Never1" Sequence="0" />
             <Custom Action="Never2" Sequence="0" />
           </InstallExecuteSequence>"#))
    .unwrap();
    let ie = &seqs["InstallExecuteSequence"];
    assert_eq!((ie.get("Never1").map(|r| r.1), ie.get("Never2").map(|r| r.1)), (Some(0), Some(0)));
}

/// Builds a chain of `n` custom actions C0..C(n-1), each `After` the one before, the first after
/// `anchor`; `top`, when given, declares a custom action `Top` at that sequence number.
fn chain_after(anchor: &str, n: i32, top: Option<i32>) -> Result<Sequences, String> {
    let mut body = String::new();
    let mut seq = String::new();
    if let Some(t) = top {
        body.push_str("<CustomAction Id=\"Top\" Property=\"PT\" Value=\"1\" />\n");
        seq.push_str(&format!("<Custom Action=\"Top\" Sequence=\"{t}\" />\n"));
    }
    for i in 0..n {
        body.push_str(&format!("<CustomAction Id=\"C{i}\" Property=\"P{i}\" Value=\"1\" />\n"));
        let prev = if i == 0 { anchor.to_string() } else { format!("C{}", i - 1) };
        seq.push_str(&format!("<Custom Action=\"C{i}\" After=\"{prev}\" />\n"));
    }
    body.push_str(&format!("<InstallExecuteSequence>{seq}</InstallExecuteSequence>"));
    build_sequences(&wxs(&body))
}

/// A long `After` chain after InstallFinalize (6600, the last standard action of
/// InstallExecuteSequence, so the numbers after it are free) is placed on consecutive numbers in
/// authoring order, however long: 3000 links, past the 1001 at which the resolver used to stop
/// following a chain (and then reported its actions as unplaced).
#[test]
fn a_chain_of_3000_links_is_placed_in_order() {
    let n = 3000;
    let seqs = chain_after("InstallFinalize", n, None).unwrap();
    let ie = &seqs["InstallExecuteSequence"];
    for i in 0..n {
        assert_eq!(ie.get(&format!("C{i}")).map(|r| r.1), Some(6601 + i), "C{i}");
    }
}

/// The Sequence column of the sequence tables is an Integer column (MSI SDK
/// "InstallExecuteSequence Table"), a 16-bit integer ("Column Data Types") whose smallest value
/// is the null marker: numbers run from -32767 to 32767. A chain may run up to 32767 and no
/// further, and a number outside the range is refused; each error names the action.
#[test]
fn sequence_numbers_end_at_32767() {
    let seqs = chain_after("Top", 7, Some(32760)).unwrap();
    let ie = &seqs["InstallExecuteSequence"];
    assert_eq!((ie["Top"].1, ie["C0"].1, ie["C6"].1), (32760, 32761, 32767));
    let e = chain_after("Top", 8, Some(32760)).unwrap_err();
    assert!(e.contains("schedule C7 after") && e.contains("32768"), "{e}");
    for (n, ok) in [(32767, true), (32768, false), (-32767, true), (-32768, false)] {
        match chain_after("Top", 0, Some(n)) {
            Ok(s) => assert!(ok && s["InstallExecuteSequence"]["Top"].1 == n, "{n} accepted"),
            Err(e) => assert!(!ok && e.contains("Top has sequence") && e.contains(&n.to_string()), "{n}: {e}"),
        }
    }
}

/// Placements that go round in a circle (A after B, B before A) never reach a numbered action,
/// so neither action has a position: refused, naming the cycle's first action in authoring
/// order, as is an action hanging below the cycle.
#[test]
fn a_cycle_of_placements_is_refused() {
    let decl = r#"<CustomAction Id="A" Property="PA" Value="1" />
           <CustomAction Id="B" Property="PB" Value="1" />
           <CustomAction Id="Below" Property="PC" Value="1" />"#;
    let e = build_sequences(&wxs(&format!(
        r#"{decl}<InstallExecuteSequence>
             <Custom Action="A" After="B" />
             <Custom Action="B" Before="A" />
             <Custom Action="Below" After="B" />
           </InstallExecuteSequence>"#
    )))
    .unwrap_err();
    assert!(e.contains("A in InstallExecuteSequence") && e.contains("cycle"), "{e}");
    // Without the cycle, the same three actions are placed.
    let seqs = build_sequences(&wxs(&format!(
        r#"{decl}<InstallExecuteSequence>
             <Custom Action="A" After="InstallFinalize" />
             <Custom Action="B" Before="A" />
             <Custom Action="Below" After="B" />
           </InstallExecuteSequence>"#
    )))
    .unwrap();
    let ie = &seqs["InstallExecuteSequence"];
    assert!(ie["B"].1 < ie["Below"].1 && ie["Below"].1 < ie["A"].1, "{ie:?}");
}

/// The children of a sequence element are `Custom`, `Show` and the standard actions the WiX v3
/// schema lists (`reference/wix3/wix.xsd`); an element of another name is refused, even with a
/// placement that would fit.
#[test]
fn an_element_that_is_no_standard_action_is_refused() {
    let e = build_sequences(&wxs(
        r#"<InstallExecuteSequence><NotAnAction After="CostFinalize" /></InstallExecuteSequence>"#,
    ))
    .unwrap_err();
    assert!(e.contains("NotAnAction"), "{e}");
}

/// An action has one row per sequence table (the table's primary key is Action; WiX v3 reports
/// a second scheduling of the same action as a duplicate symbol): scheduling a custom action
/// twice in InstallExecuteSequence is refused, naming it.
#[test]
fn a_custom_action_is_scheduled_once_per_table() {
    let e = build_sequences(&wxs(r#"<CustomAction Id="Twice" Property="P1" Value="1" />
           <InstallExecuteSequence>
             <Custom Action="Twice" After="CostFinalize" />
             <Custom Action="Twice" After="InstallValidate" />
           </InstallExecuteSequence>"#))
    .unwrap_err();
    assert!(e.contains("Twice"), "{e}");
}
