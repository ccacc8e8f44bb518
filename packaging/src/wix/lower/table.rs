//! `<Binary>`, `<Icon>` (rows whose data is a file's bytes), `<CustomTable>` and `<EnsureTable>`.

use crate::tables::{ColumnDef, ColumnKind, TableDef};
use crate::wix::context::Ctx;
use crate::wix::error::Error;
use crate::wix::model::Cell;
use roxmltree::Node;

/// `<Binary>` / `<Icon>`: a row whose data is the file's bytes.
pub(super) fn binary(ctx: &mut Ctx<'_>, c: Node<'_, '_>, table: &str) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id", "SourceFile", "SuppressModularization"])?;
    let id = a.required_id("Id")?;
    let src = a.required("SourceFile")?;
    let path = ctx.source_path(&src);
    if !path.is_file() {
        return Err(a.error("SourceFile", format!("{} does not exist or is not a file", path.display())));
    }
    if let Some(child) = ctx.elements(c)?.first() {
        return Err(ctx.unsupported(*child, &[]));
    }
    ctx.add_row(c, table, vec![id.into(), Cell::Stream(path)])
}

/// `<CustomTable>`: defines a table (columns) and/or adds rows.
pub(super) fn custom_table(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id"])?;
    let id = a.required_id("Id")?;
    let children = ctx.elements(c)?;
    let mut columns = Vec::new();
    for ch in children.iter().filter(|n| n.has_tag_name("Column")) {
        let k = ctx.attrs(
            *ch,
            &[
                "Id",
                "Type",
                "Width",
                "PrimaryKey",
                "Nullable",
                "Localizable",
                "Category",
                "Description",
                "KeyTable",
                "KeyColumn",
                "MinValue",
                "MaxValue",
                "Set",
                "Modularize",
            ],
        )?;
        let name = k.required_id("Id")?;
        let width = k.int("Width")?.unwrap_or(0);
        let kind = match k.one_of("Type", &["int", "string", "binary"])?.as_deref() {
            Some("int") => match width {
                2 => ColumnKind::Int16,
                4 => ColumnKind::Int32,
                _ => return Err(k.error("Width", "an int column is 2 or 4 wide")),
            },
            Some("string") if k.is_yes("Localizable")? => ColumnKind::Localized(width.max(0) as usize),
            Some("string") => ColumnKind::Str(width.max(0) as usize),
            Some(_) => ColumnKind::Binary,
            None => return Err(k.error("Type", "is required (int, string or binary)")),
        };
        let category = match k.string("Category") {
            None => None,
            Some(cat) => Some(
                cat.parse::<msi::Category>()
                    .map_err(|_| k.error("Category", format!("{cat:?} is not an MSI column category")))?,
            ),
        };
        let range = match (k.int("MinValue")?, k.int("MaxValue")?) {
            (Some(lo), Some(hi)) => Some((lo, hi)),
            (None, None) => None,
            _ => return Err(k.error("MinValue", "MinValue and MaxValue go together")),
        };
        let foreign_key = match (k.string("KeyTable"), k.int("KeyColumn")?) {
            (Some(t), Some(n)) => Some((t, n)),
            (None, None) => None,
            _ => return Err(k.error("KeyTable", "KeyTable and KeyColumn go together")),
        };
        let set = k.string("Set").map(|s| s.split(';').map(str::to_string).collect()).unwrap_or_default();
        columns.push(ColumnDef {
            name,
            kind,
            key: k.is_yes("PrimaryKey")?,
            nullable: k.is_yes("Nullable")?,
            category,
            range,
            foreign_key,
            set,
        });
        if let Some(x) = ctx.elements(*ch)?.first() {
            return Err(ctx.unsupported(*x, &[]));
        }
    }
    if !columns.is_empty() {
        if !columns.iter().any(|c| c.key) {
            return Err(a.error("Id", "a custom table needs at least one PrimaryKey column"));
        }
        ctx.model.define_table(TableDef { name: id.clone(), columns }, &a.loc)?;
    }
    for ch in children {
        match ch.tag_name().name() {
            "Column" => {}
            "Row" => {
                ctx.attrs(ch, &[])?;
                let def = ctx.model.tables.get(&id).map(|t| t.def.clone()).ok_or_else(|| {
                    ctx.error(ch, format!("no <CustomTable Id=\"{id}\"> with <Column>s defines this table"))
                })?;
                let mut cells = vec![Cell::Null; def.columns.len()];
                for d in ctx.elements(ch)? {
                    if !d.has_tag_name("Data") {
                        return Err(ctx.unsupported(d, &["Data"]));
                    }
                    let da = ctx.attrs(d, &["Column"])?;
                    let col = da.required("Column")?;
                    let i = def
                        .column_index(&col)
                        .ok_or_else(|| da.error("Column", format!("table {id} has no column {col}")))?;
                    let text = ctx.text(d)?;
                    cells[i] = match (def.columns[i].kind, text) {
                        (_, None) => Cell::Null,
                        (ColumnKind::Int16 | ColumnKind::Int32, Some(t)) => {
                            Cell::Int(t.trim().parse().map_err(|_| ctx.error(d, format!("{t:?} is not an integer")))?)
                        }
                        (ColumnKind::Binary, Some(t)) => Cell::Stream(ctx.source_path(&t)),
                        (_, Some(t)) => Cell::Str(t),
                    };
                }
                ctx.add_row(ch, &id, cells)?;
            }
            _ => return Err(ctx.unsupported(ch, &["Column", "Row"])),
        }
    }
    Ok(())
}

/// `<EnsureTable>`: a standard table that exists even when it has no rows.
pub(super) fn ensure_table(ctx: &mut Ctx<'_>, c: Node<'_, '_>) -> Result<(), Error> {
    let a = ctx.attrs(c, &["Id"])?;
    let id = a.required("Id")?;
    if crate::tables::standard(&id).is_none() {
        return Err(a.error("Id", format!("{id} is not a standard table known to this backend")));
    }
    ctx.model.ensured.insert(id);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::harness::{fragment, message, row, rows};
    use crate::wix::model::Cell;

    #[test]
    fn binary_rows_carry_the_file_and_missing_files_are_errors() {
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let m = fragment(&format!(r#"<Binary Id="B" SourceFile="{src}" /><Icon Id="I.ico" SourceFile="{src}" />"#))
            .unwrap();
        assert!(matches!(&m.rows("Binary")[0].cells[1], Cell::Stream(p) if p.ends_with("Cargo.toml")));
        assert_eq!(row(&m, "Icon", "I.ico")[0], "I.ico");
        let e = fragment(r#"<Binary Id="B" SourceFile="/nonexistent/x.dll" />"#).unwrap_err();
        assert!(message(e).contains("does not exist"));
    }

    #[test]
    fn custom_table_definition_and_rows() {
        let m = fragment(
            r#"<CustomTable Id="Settings">
                 <Column Id="Key" Type="string" Width="72" PrimaryKey="yes" Category="Identifier" />
                 <Column Id="Value" Type="int" Width="4" Nullable="yes" />
                 <Row><Data Column="Key">A</Data><Data Column="Value">7</Data></Row>
               </CustomTable>
               <EnsureTable Id="ListView" />"#,
        )
        .unwrap();
        assert_eq!(rows(&m, "Settings"), [["A", "7"]]);
        assert!(m.ensured.contains("Settings") && m.ensured.contains("ListView"));
        let e = fragment(r#"<EnsureTable Id="NoSuchTable" />"#).unwrap_err();
        assert!(message(e).contains("not a standard table"));
    }
}
