//! A test that keeps `packaging/src/wix/` free of import cycles between files (issue 16): it
//! reads every file, collects the modules each one names through `super::`, `self::` and
//! `crate::wix::` paths (outside its `#[cfg(test)] mod tests`), and fails on any cycle, naming
//! it. A parent module declaring its children (`mod x;`) is not an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`wix::lower::file`) -> source text without its test module.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).expect("src/wix is readable").flatten() {
            let p = e.path();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                walk(&p, &format!("{prefix}::{name}"), out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let module = if name == "mod" { prefix.to_string() } else { format!("{prefix}::{name}") };
                let text = std::fs::read_to_string(&p).unwrap();
                let code = text.split("#[cfg(test)]\nmod tests").next().unwrap().to_string();
                out.insert(module, code);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/wix"), "wix", &mut out);
    out
}

/// The modules `code` (of module `me`) refers to.
fn imports(me: &str, code: &str, all: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // `use super::{a, b};` -> `super::a`, `super::b`
    let mut paths: Vec<String> = Vec::new();
    for (i, _) in code.match_indices("::{") {
        let start = code[..i].rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).map_or(0, |s| s + 1);
        let end = code[i..].find('}').map_or(code.len(), |e| i + e);
        for item in code[i + 3..end].split(',') {
            let item = item.trim().split([' ', ':']).next().unwrap_or("");
            paths.push(format!("{}::{item}", &code[start..i]));
        }
    }
    let mut word = String::new();
    for c in code.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            if word.starts_with("super::") || word.starts_with("self::") || word.starts_with("crate::wix::") {
                paths.push(std::mem::take(&mut word));
            }
            word.clear();
        }
    }
    // A file module's `super` is its parent; a `mod.rs` module's `super` is its own parent too.
    for p in paths {
        let parts: Vec<&str> = p.split("::").filter(|s| !s.is_empty()).collect();
        let (mut base, rest): (Vec<&str>, &[&str]) = match parts.first() {
            Some(&"crate") => (vec!["wix"], &parts[2..]),
            Some(&"self") => (me.split("::").collect(), &parts[1..]),
            _ => {
                let supers = parts.iter().take_while(|s| **s == "super").count();
                let mut b: Vec<&str> = me.split("::").collect();
                b.truncate(b.len().saturating_sub(supers));
                (b, &parts[supers..])
            }
        };
        let mut target = None;
        for r in rest {
            base.push(r);
            if all.contains_key(&base.join("::")) {
                target = Some(base.join("::"));
            }
        }
        if let Some(t) = target.filter(|t| t != me) {
            out.insert(t);
        }
    }
    out
}

#[test]
fn no_two_files_of_wix_import_each_other_in_a_cycle() {
    let all = modules();
    assert!(all.len() > 20, "found the modules: {:?}", all.keys());
    let graph: BTreeMap<String, BTreeSet<String>> = all.iter().map(|(m, c)| (m.clone(), imports(m, c, &all))).collect();
    // The layering the module docs promise, checked on known edges so the parser is tested too.
    assert!(graph["wix::context"].contains("wix::model"));
    assert!(graph["wix::lower::ui"].contains("wix::lower::control"));
    assert!(!graph["wix::model"].contains("wix::context"));
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(i) = stack.iter().position(|s| *s == m) {
            panic!("import cycle: {} -> {m}", stack[i..].join(" -> "));
        }
        if !done.insert(m) {
            return;
        }
        stack.push(m);
        for n in graph.get(m).into_iter().flatten() {
            visit(n, graph, stack, done);
        }
        stack.pop();
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}
