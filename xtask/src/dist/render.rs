//! Rendering the `wix/*.wxs.tera` templates from one typed context, with XML escaping on.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use packaging::harvest::{Harvest, HarvestedFile};
use packaging::product::ProductConfig;
use serde::Serialize;

/// The context every template receives. The whole product config is `product` (so a template
/// maintained by another part, e.g. `wix/target-machine.wxs.tera`, reads what it needs, such as
/// `product.prerequisite`); the rest is derived by `dist`.
#[derive(Debug, Serialize)]
pub struct TemplateContext<'a> {
    /// The product configuration, after command-line overrides.
    pub product: &'a ProductConfig,
    /// The product version as text (`major.minor.build`).
    pub version: String,
    /// `ProductName`: the product's name, plus " (test build)" for the test variant, so a test
    /// build is never mistaken for the release in Add/Remove Programs or its dialogs.
    pub product_name: String,
    /// `release` or `test`.
    pub variant: &'a str,
    /// The value of the `EMBEDDED_CONNECTOR_PATHS` property.
    pub embedded_connector_paths: String,
    /// `MediaTemplate/@CompressionLevel`.
    pub compression_level: &'a str,
    /// The service executable, relative to the payload, `/`-separated.
    pub service_exe: &'a str,
    /// One `DirectoryRef` per folder that holds anything: `PRODUCTDIR` first, then the payload
    /// folders in path order.
    pub directories: Vec<DirectoryRef<'a>>,
    /// Every harvested file, sorted by relative path.
    pub files: &'a [HarvestedFile],
}

/// A folder with its child folders and the components installing into it.
#[derive(Debug, Serialize)]
pub struct DirectoryRef<'a> {
    /// The `Directory` id.
    pub id: String,
    /// Its child folders.
    pub children: Vec<ChildDirectory>,
    /// The files (components) in it.
    pub files: Vec<&'a HarvestedFile>,
}

/// A child folder (`Directory` element).
#[derive(Debug, Serialize)]
pub struct ChildDirectory {
    /// The id.
    pub id: String,
    /// The folder name.
    pub name: String,
}

impl<'a> TemplateContext<'a> {
    /// Builds the context from the config and the harvest of the payload into `root_dir`.
    pub fn new(product: &'a ProductConfig, harvest: &'a Harvest, root_dir: &str, variant: &'a str) -> Self {
        let mut ids: Vec<&str> = vec![root_dir];
        ids.extend(harvest.directories.iter().map(|d| d.id.as_str()));
        let directories = ids
            .into_iter()
            .map(|id| DirectoryRef {
                id: id.to_string(),
                children: harvest
                    .directories
                    .iter()
                    .filter(|d| d.parent == id)
                    .map(|d| ChildDirectory { id: d.id.clone(), name: d.name.clone() })
                    .collect(),
                files: harvest.files.iter().filter(|f| f.directory == id).collect(),
            })
            .filter(|d| !d.children.is_empty() || !d.files.is_empty())
            .collect();
        TemplateContext {
            product,
            version: product.version.to_string(),
            product_name: product_name(&product.name, variant),
            variant,
            embedded_connector_paths: product.embedded_connector.property_value(),
            compression_level: "high",
            service_exe: &product.service.exe,
            directories,
            files: &harvest.files,
        }
    }
}

/// `ProductName` of a build: the configured name, with " (test build)" for the test variant.
pub fn product_name(name: &str, variant: &str) -> String {
    if variant == "test" {
        format!("{name} (test build)")
    } else {
        name.to_string()
    }
}

/// XML escaping for attribute values and text: the five predefined entities. (Tera's default
/// escaper is HTML's, which also rewrites `/` as `&#x2F;`: valid XML, but unreadable paths.)
pub fn xml_escape(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The templates to render: every `*.wxs.tera` directly in `wix_dir`, sorted.
pub fn templates(wix_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(wix_dir)
        .with_context(|| format!("cannot list {}", wix_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(".wxs.tera"))
        .collect();
    found.sort();
    Ok(found)
}

/// Renders each template into `out_dir` as `<name>.wxs` (the `.tera` dropped); returns the
/// rendered files in template order.
pub fn render_all(templates: &[PathBuf], context: &TemplateContext<'_>, out_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".wxs.tera"]);
    tera.set_escape_fn(xml_escape);
    let mut names = Vec::new();
    for path in templates {
        let name = path.file_name().and_then(|n| n.to_str()).context("template file name is not UTF-8")?.to_string();
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        tera.add_raw_template(&name, &text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), chain(&e)))?;
        names.push((name, path));
    }
    let ctx = tera::Context::from_serialize(context).context("cannot build the template context")?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let mut rendered = Vec::new();
    for (name, path) in names {
        let text =
            tera.render(&name, &ctx).map_err(|e| anyhow::anyhow!("rendering {}: {}", path.display(), chain(&e)))?;
        let out = out_dir.join(name.trim_end_matches(".tera"));
        std::fs::write(&out, text).with_context(|| format!("cannot write {}", out.display()))?;
        rendered.push(out);
    }
    Ok(rendered)
}

/// A tera error with its causes (tera puts the useful part, e.g. the variable name, in them).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escape_escapes_the_five() {
        assert_eq!(xml_escape(r#"a&b<c>d"e'f/g"#), "a&amp;b&lt;c&gt;d&quot;e&apos;f/g");
    }

    #[test]
    fn directory_refs_group_children_and_files() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("a/b")).unwrap();
        std::fs::write(t.path().join("a/b/f.txt"), "x").unwrap();
        std::fs::write(t.path().join("top.txt"), "y").unwrap();
        let product = packaging::product::ProductConfig::load(&crate::project_root().join("wix/product.toml")).unwrap();
        let h = packaging::harvest::harvest(t.path(), "PRODUCTDIR", &product.upgrade_code.0, "P", &[]).unwrap();
        let ctx = TemplateContext::new(&product, &h, "PRODUCTDIR", "release");
        let summary: Vec<_> = ctx
            .directories
            .iter()
            .map(|d| (d.id.as_str(), d.children.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), d.files.len()))
            .collect();
        assert_eq!(summary, [("PRODUCTDIR", vec!["a"], 1), ("dir_a", vec!["b"], 0), ("dir_a.b", vec![], 1)]);
    }

    #[test]
    fn renders_with_escaping_and_reports_template_errors() {
        let t = tempfile::tempdir().unwrap();
        let good = t.path().join("x.wxs.tera");
        std::fs::write(&good, "<P Name=\"{{ product.name }}\" V=\"{{ version }}\"/>").unwrap();
        let mut product =
            packaging::product::ProductConfig::load(&crate::project_root().join("wix/product.toml")).unwrap();
        product.name = "A & <B>".into();
        let h = Harvest::default();
        let ctx = TemplateContext::new(&product, &h, "PRODUCTDIR", "release");
        let out = render_all(&[good], &ctx, &t.path().join("out")).unwrap();
        let text = std::fs::read_to_string(&out[0]).unwrap();
        assert_eq!(text, format!("<P Name=\"A &amp; &lt;B&gt;\" V=\"{}\"/>", product.version));
        assert!(out[0].ends_with("out/x.wxs"));
        let bad = t.path().join("y.wxs.tera");
        std::fs::write(&bad, "{{ product.no_such_key }}").unwrap();
        let err = render_all(&[bad], &ctx, &t.path().join("out")).unwrap_err().to_string();
        assert!(err.contains("y.wxs.tera") && err.contains("no_such_key"), "{err}");
    }

    #[test]
    fn shipped_templates_render_with_the_default_config() {
        // Every wix/*.wxs.tera (including the ones other parts maintain) renders from the
        // default config and the sample payload plus a stand-in service executable.
        let root = crate::project_root();
        let product = ProductConfig::load(&root.join("wix/product.toml")).unwrap();
        let t = tempfile::tempdir().unwrap();
        let payload = t.path().join("payload");
        for entry in walkdir::WalkDir::new(product.payload_dir()) {
            let entry = entry.unwrap();
            let dest = payload.join(entry.path().strip_prefix(product.payload_dir()).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
            } else {
                std::fs::copy(entry.path(), &dest).unwrap();
            }
        }
        let exe = payload.join(&product.service.exe);
        std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
        std::fs::write(&exe, b"MZ").unwrap();
        let h = packaging::harvest::harvest(
            &payload,
            "PRODUCTDIR",
            &product.upgrade_code.0,
            &product.install.product_dir,
            &[],
        )
        .unwrap();
        let ctx = TemplateContext::new(&product, &h, "PRODUCTDIR", "release");
        let templates = templates(&root.join("wix")).unwrap();
        let names: Vec<_> = templates.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert!(
            names.contains(&"main.wxs.tera".to_string()) && names.contains(&"payload.wxs.tera".to_string()),
            "{names:?}"
        );
        let out = render_all(&templates, &ctx, &t.path().join("out")).unwrap();
        let main = std::fs::read_to_string(t.path().join("out/main.wxs")).unwrap();
        assert!(main.contains("<UIRef Id=\"IdmUI\" />") && main.contains("<ComponentGroupRef Id=\"SupportTools\" />"));
        assert!(main.contains(&format!("Value=\"{}\"", product.embedded_connector.property_value())));
        let payload_wxs = std::fs::read_to_string(t.path().join("out/payload.wxs")).unwrap();
        assert_eq!(payload_wxs.matches("<ServiceInstall ").count(), 1);
        assert_eq!(payload_wxs.matches("<Component ").count(), h.files.len());
        assert!(payload_wxs.contains("Source=\"$(var.ServiceExe)\""));
        for file in &out {
            assert_well_formed(file);
        }
    }

    /// Well-formedness without an XML dependency in xtask: xmllint when present (the schema
    /// itself is checked by tests/tests/schema.rs on dist's renderings).
    fn assert_well_formed(file: &Path) {
        if crate::dist::toolchain::find_on_path("xmllint").is_none() {
            return;
        }
        let out = std::process::Command::new("xmllint").arg("--noout").arg(file).output().unwrap();
        assert!(out.status.success(), "{}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    }
}
