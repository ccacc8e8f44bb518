//! The WiX v3 preprocessor (what candle does before compiling): `<?define?>`, `<?undef?>`,
//! `<?if?>`/`<?elseif?>`/`<?else?>`/`<?endif?>`, `<?ifdef?>`, `<?ifndef?>`, `<?include?>`,
//! `<?foreach?>`/`<?endforeach?>`, `<?warning?>`, `<?error?>`, and the variables `$(var.X)` (or
//! `$(X)`), `$(env.X)` and `$(sys.X)`, as WiX v3's documentation ("Preprocessor") describes them.
//!
//! It works on the text, before XML parsing, as candle's does: a conditional section or a loop
//! body is a stretch of text between two instructions, and a substituted value is XML-escaped
//! so that it stays one attribute value or one text. Every output byte is recorded in a
//! [`SourceMap`], so errors of the later stages still point into the files the user wrote
//! (inside an include, inside a loop body). Comments and CDATA sections are copied untouched.
//!
//! Conditions (`<?if?>`, `<?elseif?>`): `$(var.X)` alone is true when X is defined; `a = b`,
//! `a != b`, `a ~= b` (case-insensitive) compare strings, `<`, `<=`, `>`, `>=` compare integers;
//! `NOT`, `AND`, `OR` (in this order of precedence) and parentheses combine them. Operands are
//! variables, `"quoted"` or bare literals. Comparing an undefined variable is an error, as in
//! candle.

use super::error::Error;
use super::model::Loc;
use super::source_map::SourceMap;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// How deep `<?include?>` may nest (an include of itself is an error long before this).
const MAX_INCLUDE_DEPTH: usize = 32;

/// What the preprocessor needs from the build.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// `-d` variables (`$(var.Name)`).
    pub variables: &'a BTreeMap<String, String>,
    /// `$(sys.BUILDARCH)`: `x86` or `x64`.
    pub arch: &'a str,
    /// Folders searched for `<?include?>` after the including file's folder (`candle -I`).
    pub include_paths: &'a [PathBuf],
}

/// The output of one source file.
#[derive(Debug)]
pub struct Preprocessed {
    /// The XML to parse.
    pub text: String,
    /// Output offsets -> source positions.
    pub map: SourceMap,
    /// The variables defined at the end (for `$(var.X)` the lowering still meets, e.g. in a
    /// CDATA section).
    pub variables: BTreeMap<String, String>,
    /// `<?warning?>` messages, with their position.
    pub warnings: Vec<String>,
}

/// Preprocesses the source `path` whose text is `text`.
pub fn preprocess(path: &Path, text: &str, opts: &Options<'_>) -> Result<Preprocessed, Error> {
    let mut p = Pre {
        out: String::with_capacity(text.len()),
        map: SourceMap::default(),
        vars: opts.variables.clone(),
        opts,
        warnings: Vec::new(),
        depth: 0,
    };
    let f = p.map.add_file(path.to_path_buf(), Rc::from(text));
    p.run(f, 0, text.len())?;
    Ok(Preprocessed { text: p.out, map: p.map, variables: p.vars, warnings: p.warnings })
}

struct Pre<'o> {
    out: String,
    map: SourceMap,
    vars: BTreeMap<String, String>,
    opts: &'o Options<'o>,
    warnings: Vec<String>,
    depth: usize,
}

/// One open `<?if?>` (or `ifdef`/`ifndef`).
struct Cond {
    /// The enclosing region is being output.
    outer: bool,
    /// A branch of this `if` was already taken.
    taken: bool,
    /// The current branch is being output.
    active: bool,
    /// `<?else?>` was seen.
    in_else: bool,
    /// Where the `if` is (for an unclosed one).
    loc: Loc,
}

/// A processing instruction found in the text.
struct Pi<'t> {
    target: &'t str,
    body: &'t str,
    start: usize,
    end: usize,
}

fn find_pi(text: &str, at: usize) -> Option<Pi<'_>> {
    let close = text[at..].find("?>")? + at;
    let inner = &text[at + 2..close];
    let (target, body) = inner.split_once(|c: char| c.is_whitespace()).unwrap_or((inner, ""));
    Some(Pi { target, body: body.trim(), start: at, end: close + 2 })
}

impl Pre<'_> {
    fn loc(&self, f: usize, at: usize) -> Loc {
        let file = self.map.file(f);
        let (line, column) = file.line_col(at);
        Loc { file: file.path.clone(), line, column }
    }

    fn emit(&mut self, f: usize, a: usize, b: usize) {
        if a < b {
            let text = self.map.file(f).text.clone();
            self.map.verbatim(self.out.len(), f, a);
            self.out.push_str(&text[a..b]);
        }
    }

    /// Processes `[start, end)` of file `f`.
    fn run(&mut self, f: usize, start: usize, end: usize) -> Result<(), Error> {
        let text = self.map.file(f).text.clone();
        let mut conds: Vec<Cond> = Vec::new();
        let mut pos = start;
        let mut copied = start; // output is up to date until here (when active)
        let active = |c: &[Cond]| c.last().is_none_or(|c| c.active);
        while pos < end {
            let Some(rel) = text[pos..end].find(['<', '$']) else { break };
            let at = pos + rel;
            let rest = &text[at..end];
            if rest.starts_with("<!--") || rest.starts_with("<![CDATA[") {
                let close = if rest.starts_with("<!--") { "-->" } else { "]]>" };
                pos = text[at..end].find(close).map_or(end, |i| at + i + close.len());
                continue;
            }
            if rest.starts_with("$(") && active(&conds) {
                let close = rest.find(')').ok_or_else(|| {
                    self.loc(f, at).error("unterminated $( (a variable reference needs a closing parenthesis)")
                })?;
                let name = &rest[2..close];
                let value = self.variable(f, at, name)?.ok_or_else(|| {
                    self.loc(f, at).error(format!(
                        "undefined preprocessor variable $({name}) (define it with <?define?> or -d {}=...)",
                        name.strip_prefix("var.").unwrap_or(name)
                    ))
                })?;
                self.emit(f, copied, at);
                self.map.substituted(self.out.len(), f, at);
                self.out.push_str(&xml_escape(&value));
                pos = at + close + 1;
                copied = pos;
                continue;
            }
            if !rest.starts_with("<?") {
                pos = at + 1;
                continue;
            }
            let pi = find_pi(&text[..end], at).ok_or_else(|| self.loc(f, at).error("unterminated <? (no ?>)"))?;
            let was_active = active(&conds);
            if was_active {
                self.emit(f, copied, pi.start);
            }
            let loc = self.loc(f, pi.start);
            pos = pi.end;
            match pi.target {
                "xml" if pi.start == 0 => {
                    // The XML declaration: kept in the main file, dropped from an include.
                    if self.depth == 0 {
                        self.emit(f, pi.start, pi.end);
                    }
                }
                "if" | "ifdef" | "ifndef" => {
                    let value = if !was_active {
                        false
                    } else if pi.target == "if" {
                        self.condition(f, &loc, pi.body)?
                    } else {
                        let name = pi.body.trim();
                        if name.is_empty() {
                            return Err(loc.error(format!("<?{}?> needs a variable name", pi.target)));
                        }
                        self.variable(f, pi.start, name)?.is_some() == (pi.target == "ifdef")
                    };
                    conds.push(Cond {
                        outer: was_active,
                        taken: value,
                        active: value,
                        in_else: false,
                        loc: loc.clone(),
                    });
                }
                "elseif" | "else" => {
                    let Some(mut c) = conds.pop() else {
                        return Err(loc.error(format!("<?{}?> without <?if?>", pi.target)));
                    };
                    if c.in_else {
                        return Err(loc.error(format!("<?{}?> after <?else?> (the <?if?> is at {})", pi.target, c.loc)));
                    }
                    let value = if pi.target == "else" {
                        c.in_else = true;
                        true
                    } else {
                        c.outer && !c.taken && self.condition(f, &loc, pi.body)?
                    };
                    c.active = c.outer && !c.taken && value;
                    c.taken |= c.active;
                    conds.push(c);
                }
                "endif" => {
                    if conds.pop().is_none() {
                        return Err(loc.error("<?endif?> without <?if?>"));
                    }
                }
                _ if !was_active => {}
                "define" => {
                    let body = self.expand(f, pi.start, pi.body)?;
                    let (name, value) = match body.split_once('=') {
                        Some((n, v)) => (n.trim().to_string(), unquote(v.trim()).to_string()),
                        None => (body.trim().to_string(), String::new()),
                    };
                    let name = name.strip_prefix("var.").unwrap_or(&name).to_string();
                    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
                        return Err(loc.error(format!("<?define {body}?>: expected Name = \"value\"")));
                    }
                    if self.vars.contains_key(&name) {
                        return Err(loc.error(format!(
                            "preprocessor variable {name} is already defined (use <?undef {name}?> first)"
                        )));
                    }
                    self.vars.insert(name, value);
                }
                "undef" => {
                    let name = pi.body.trim();
                    let name = name.strip_prefix("var.").unwrap_or(name);
                    if self.vars.remove(name).is_none() {
                        return Err(loc.error(format!("<?undef {name}?>: the variable is not defined")));
                    }
                }
                "warning" => {
                    let msg = self.expand(f, pi.start, pi.body)?;
                    self.warnings.push(format!("{loc}: warning: {msg}"));
                }
                "error" => return Err(loc.error(self.expand(f, pi.start, pi.body)?)),
                "include" => {
                    let name = self.expand(f, pi.start, pi.body)?;
                    self.include(f, &loc, unquote(name.trim()))?;
                }
                "foreach" => {
                    let (body_end, after) = matching_endforeach(&text[..end], pi.end)
                        .ok_or_else(|| loc.error("<?foreach?> without <?endforeach?>"))?;
                    let spec = self.expand(f, pi.start, pi.body)?;
                    let (var, list) = spec
                        .split_once(" in ")
                        .ok_or_else(|| loc.error(format!("<?foreach {spec}?>: expected Name in a;b;c")))?;
                    let var = var.trim().strip_prefix("var.").unwrap_or(var.trim()).to_string();
                    let saved = self.vars.remove(&var);
                    for item in unquote(list.trim()).split(';').filter(|s| !s.is_empty()) {
                        self.vars.insert(var.clone(), item.trim().to_string());
                        self.run(f, pi.end, body_end)?;
                    }
                    self.vars.remove(&var);
                    if let Some(v) = saved {
                        self.vars.insert(var, v);
                    }
                    pos = after;
                }
                "endforeach" => return Err(loc.error("<?endforeach?> without <?foreach?>")),
                other => {
                    return Err(loc.error(format!(
                        "preprocessor instruction <?{other}?> is not supported (supported: define, undef, if, ifdef, \
                         ifndef, elseif, else, endif, include, foreach, endforeach, warning, error)"
                    )))
                }
            }
            copied = pos;
        }
        if let Some(c) = conds.last() {
            return Err(c.loc.error("<?if?> without <?endif?>"));
        }
        if active(&conds) {
            self.emit(f, copied, end);
        }
        Ok(())
    }

    /// `$(prefix.name)` -> its value (`None`: not defined).
    fn variable(&self, f: usize, at: usize, name: &str) -> Result<Option<String>, Error> {
        let name = name.trim().strip_prefix("$(").and_then(|n| n.strip_suffix(')')).unwrap_or(name.trim());
        let (prefix, var) = name.split_once('.').unwrap_or(("var", name));
        Ok(match prefix {
            "var" => self.vars.get(var).cloned(),
            "env" => std::env::var(var).ok(),
            "sys" => {
                let file = &self.map.file(f).path;
                let dir = |p: &Path| format!("{}/", p.display());
                match var {
                    "CURRENTDIR" => std::env::current_dir().ok().map(|d| dir(&d)),
                    "SOURCEFILEDIR" => Some(dir(file.parent().unwrap_or(Path::new(".")))),
                    "SOURCEFILEPATH" => Some(file.display().to_string()),
                    "BUILDARCH" | "PLATFORM" => Some(self.opts.arch.to_string()),
                    _ => None,
                }
            }
            _ => {
                return Err(self.loc(f, at).error(format!(
                    "$({name}): only the var., env. and sys. variables are supported (preprocessor functions and \
                     extensions are not)"
                )))
            }
        })
    }

    /// Substitutes the variables in an instruction's body.
    fn expand(&self, f: usize, at: usize, s: &str) -> Result<String, Error> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("$(") {
            out.push_str(&rest[..i]);
            let close =
                rest[i..].find(')').ok_or_else(|| self.loc(f, at).error(format!("unterminated $( in {s:?}")))?;
            let name = &rest[i + 2..i + close];
            let v = self
                .variable(f, at, name)?
                .ok_or_else(|| self.loc(f, at).error(format!("undefined preprocessor variable $({name})")))?;
            out.push_str(&v);
            rest = &rest[i + close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `<?include name?>`: the children of the file's `<Include>` element, preprocessed here.
    fn include(&mut self, f: usize, loc: &Loc, name: &str) -> Result<(), Error> {
        let rel = name.replace('\\', "/");
        let here = self.map.file(f).path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let path = if Path::new(&rel).is_absolute() {
            PathBuf::from(&rel)
        } else {
            std::iter::once(&here)
                .chain(self.opts.include_paths)
                .map(|d| d.join(&rel))
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    loc.error(format!("include file {name} not found (searched {} and the -I folders)", here.display()))
                })?
        };
        if self.depth >= MAX_INCLUDE_DEPTH {
            return Err(
                loc.error(format!("includes nested deeper than {MAX_INCLUDE_DEPTH} (does {name} include itself?)"))
            );
        }
        let text = read_source(&path)?;
        let g = self.map.add_file(path.clone(), Rc::from(text.as_str()));
        let (start, end) = include_body(&text).ok_or_else(|| {
            Loc { file: path.clone(), line: 1, column: 1 }.error("an include file's root element must be <Include>")
        })?;
        self.depth += 1;
        let r = self.run(g, start, end);
        self.depth -= 1;
        r
    }

    fn condition(&self, f: usize, loc: &Loc, expr: &str) -> Result<bool, Error> {
        let tokens = tokenize(expr).map_err(|m| loc.error(format!("<?if {expr}?>: {m}")))?;
        let mut p = Cond2 { pre: self, f, loc, expr, tokens, i: 0 };
        let v = p.or()?;
        if p.i != p.tokens.len() {
            return Err(loc.error(format!("<?if {expr}?>: unexpected {:?}", p.tokens[p.i].text())));
        }
        Ok(v)
    }
}

/// Reads a source file: UTF-8, or Windows-1252 when its XML declaration says so (candle reads
/// what the declaration names; these two are what WiX sources in the wild use).
pub fn read_source(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_ascii_lowercase();
    let declared = head
        .split("?>")
        .next()
        .and_then(|d| d.split_once("encoding="))
        .map(|(_, e)| e.trim_start_matches(['"', '\'']).split(['"', '\'']).next().unwrap_or("").to_string());
    match declared.as_deref() {
        Some("windows-1252" | "cp1252" | "iso-8859-1" | "latin1") => Ok(crate::codepage::decode_cp1252(&bytes)),
        Some(enc) if !matches!(enc, "utf-8" | "utf8") => Err(Loc { file: path.to_path_buf(), line: 1, column: 1 }
            .error(format!("encoding {enc:?} is not supported (supported: utf-8, windows-1252)"))),
        _ => String::from_utf8(bytes).map(|s| s.trim_start_matches('\u{feff}').to_string()).map_err(|e| {
            Loc { file: path.to_path_buf(), line: 1, column: 1 }
                .error(format!("not valid UTF-8 ({e}); declare encoding=\"windows-1252\" if it is"))
        }),
    }
}

/// `[start, end)` of the content of the `<Include>` root element of an include file.
fn include_body(text: &str) -> Option<(usize, usize)> {
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let i = rest.find('<')?;
        let r = &rest[i..];
        if r.starts_with("<?") || r.starts_with("<!--") {
            let close = if r.starts_with("<?") { "?>" } else { "-->" };
            at += i + r.find(close)? + close.len();
            continue;
        }
        if !r.starts_with("<Include") || !r[8..].starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/') {
            return None;
        }
        let open_end = at + i + r.find('>')? + 1;
        if text[..open_end].ends_with("/>") {
            return Some((open_end, open_end));
        }
        let close = text.rfind("</Include")?;
        return (close >= open_end).then_some((open_end, close));
    }
}

/// The end of a `<?foreach?>` body starting at `from`: (start of the matching `<?endforeach?>`,
/// the offset after it).
fn matching_endforeach(text: &str, from: usize) -> Option<(usize, usize)> {
    let mut depth = 0;
    let mut at = from;
    while let Some(i) = text[at..].find("<?") {
        let pi = find_pi(text, at + i)?;
        match pi.target {
            "foreach" => depth += 1,
            "endforeach" if depth == 0 => return Some((pi.start, pi.end)),
            "endforeach" => depth -= 1,
            _ => {}
        }
        at = pi.end;
    }
    None
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(s)
}

/// Escapes a substituted value so it stays one attribute value or text node.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Op(&'static str),
    Word(String),
    Quoted(String),
    Var(String),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Open => "(".into(),
            Tok::Close => ")".into(),
            Tok::Op(o) => (*o).into(),
            Tok::Word(w) | Tok::Quoted(w) => w.clone(),
            Tok::Var(v) => format!("$({v})"),
        }
    }
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let (tok, len) = if let Some(r) = rest.strip_prefix("$(") {
            let close = r.find(')').ok_or("unterminated $(")?;
            (Tok::Var(r[..close].to_string()), close + 3)
        } else if let Some(r) = rest.strip_prefix('"') {
            let close = r.find('"').ok_or("unterminated string")?;
            (Tok::Quoted(r[..close].to_string()), close + 2)
        } else if rest.starts_with('(') {
            (Tok::Open, 1)
        } else if rest.starts_with(')') {
            (Tok::Close, 1)
        } else if let Some(op) = ["!=", "~=", "<=", ">=", "=", "<", ">"].into_iter().find(|o| rest.starts_with(o)) {
            (Tok::Op(op), op.len())
        } else {
            let len = rest.find(|c: char| c.is_whitespace() || "()=!~<>\"".contains(c)).unwrap_or(rest.len());
            if len == 0 {
                return Err(format!("unexpected {:?}", &rest[..1]));
            }
            (Tok::Word(rest[..len].to_string()), len)
        };
        out.push(tok);
        rest = rest[len..].trim_start();
    }
    Ok(out)
}

/// Recursive descent over the condition tokens: or := and (OR and)*; and := not (AND not)*;
/// not := NOT not | atom; atom := ( or ) | operand [op operand].
struct Cond2<'a, 'o> {
    pre: &'a Pre<'o>,
    f: usize,
    loc: &'a Loc,
    expr: &'a str,
    tokens: Vec<Tok>,
    i: usize,
}

impl Cond2<'_, '_> {
    fn keyword(&self, k: &str) -> bool {
        matches!(self.tokens.get(self.i), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn err(&self, m: impl std::fmt::Display) -> Error {
        self.loc.error(format!("<?if {}?>: {m}", self.expr))
    }

    fn or(&mut self) -> Result<bool, Error> {
        let mut v = self.and()?;
        while self.keyword("or") {
            self.i += 1;
            let r = self.and()?;
            v = v || r;
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<bool, Error> {
        let mut v = self.not()?;
        while self.keyword("and") {
            self.i += 1;
            let r = self.not()?;
            v = v && r;
        }
        Ok(v)
    }

    fn not(&mut self) -> Result<bool, Error> {
        if self.keyword("not") {
            self.i += 1;
            return Ok(!self.not()?);
        }
        self.atom()
    }

    fn operand(&mut self) -> Result<(Option<String>, bool), Error> {
        let t = self.tokens.get(self.i).cloned().ok_or_else(|| self.err("expected a value"))?;
        self.i += 1;
        match t {
            Tok::Var(v) => Ok((self.pre.variable(self.f, 0, &v).map_err(|e| self.err(e))?, true)),
            Tok::Word(w) | Tok::Quoted(w) => Ok((Some(w), false)),
            other => Err(self.err(format!("unexpected {:?}", other.text()))),
        }
    }

    fn atom(&mut self) -> Result<bool, Error> {
        if self.tokens.get(self.i) == Some(&Tok::Open) {
            self.i += 1;
            let v = self.or()?;
            if self.tokens.get(self.i) != Some(&Tok::Close) {
                return Err(self.err("unbalanced parentheses"));
            }
            self.i += 1;
            return Ok(v);
        }
        let (left, is_var) = self.operand()?;
        let Some(Tok::Op(op)) = self.tokens.get(self.i).cloned() else {
            if !is_var {
                return Err(self.err("a literal alone is not a condition (compare it, or test a $(var.X))"));
            }
            return Ok(left.is_some());
        };
        self.i += 1;
        let (right, _) = self.operand()?;
        let (Some(l), Some(r)) = (left, right) else {
            return Err(self.err("a compared variable is not defined"));
        };
        let (l, r) = (l.trim(), r.trim());
        Ok(match op {
            "=" => l == r,
            "!=" => l != r,
            "~=" => l.eq_ignore_ascii_case(r),
            _ => {
                let (Ok(a), Ok(b)) = (l.parse::<i64>(), r.parse::<i64>()) else {
                    return Err(self.err(format!("{op} compares integers; {l:?} or {r:?} is not one")));
                };
                match op {
                    "<" => a < b,
                    "<=" => a <= b,
                    ">" => a > b,
                    _ => a >= b,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_in(dir: &Path, text: &str, vars: &[(&str, &str)], arch: &str) -> Result<Preprocessed, Error> {
        let vars: BTreeMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        preprocess(&dir.join("main.wxs"), text, &Options { variables: &vars, arch, include_paths: &[] })
    }

    fn run(text: &str, vars: &[(&str, &str)]) -> Result<String, Error> {
        run_in(Path::new("/src"), text, vars, "x86").map(|p| p.text)
    }

    fn squash(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn message(e: Error) -> String {
        e.to_string()
    }

    #[test]
    fn if_elseif_else_pick_one_branch() {
        let src = r#"<?if $(var.A) = "1" ?>one<?elseif $(var.A) ~= "TWO" ?>two<?else?>other<?endif?>"#;
        assert_eq!(run(src, &[("A", "1")]).unwrap(), "one");
        assert_eq!(run(src, &[("A", "two")]).unwrap(), "two");
        assert_eq!(run(src, &[("A", "3")]).unwrap(), "other");
        let nested = "<?ifdef B?>b<?if $(var.N) >= 10 AND NOT $(var.N) = 12?>big<?endif?><?else?>nob<?endif?>";
        assert_eq!(run(nested, &[("B", ""), ("N", "11")]).unwrap(), "bbig");
        assert_eq!(run(nested, &[("B", ""), ("N", "12")]).unwrap(), "b");
        assert_eq!(run(nested, &[("N", "12")]).unwrap(), "nob");
        assert_eq!(run("<?ifndef X?>x<?endif?>", &[]).unwrap(), "x");
        assert_eq!(
            run(r#"<?if ($(var.A) = a OR $(var.A) = b) AND $(var.A) != c?>y<?endif?>"#, &[("A", "b")]).unwrap(),
            "y"
        );
        // A false branch may reference undefined variables: it is not evaluated.
        assert_eq!(run("<?if $(var.A) = 1?><?if $(var.Nope) = 2?>n<?endif?><?endif?>z", &[("A", "0")]).unwrap(), "z");
    }

    #[test]
    fn condition_errors_name_the_problem() {
        assert!(message(run("<?if $(var.U) = 1?>x<?endif?>", &[]).unwrap_err()).contains("not defined"));
        assert!(message(run("<?if $(var.A) < x?>x<?endif?>", &[("A", "1")]).unwrap_err()).contains("integers"));
        let e = message(run("a\n  <?if $(var.A) = 1?>x", &[("A", "1")]).unwrap_err());
        assert!(e.starts_with("/src/main.wxs:2:3: ") && e.contains("without <?endif?>"), "{e}");
        assert!(message(run("<?endif?>", &[]).unwrap_err()).contains("without <?if?>"));
        assert!(message(run("<?else?><?endif?>", &[]).unwrap_err()).contains("without <?if?>"));
    }

    #[test]
    fn define_undef_and_variable_kinds() {
        let out = run(
            r#"<?define Dir = "$(var.Base)\bin" ?><X a="$(var.Dir)\app.exe" b="$(Dir)" c="$(sys.BUILDARCH)" d="$(sys.SOURCEFILEDIR)"/><?undef Dir?><?define Dir = 2?>$(var.Dir)"#,
            &[("Base", "C:\\t")],
        )
        .unwrap();
        assert_eq!(out, r#"<X a="C:\t\bin\app.exe" b="C:\t\bin" c="x86" d="/src/"/>2"#);
        std::env::set_var("W16_PREPROCESS_TEST", "from env");
        assert_eq!(run("$(env.W16_PREPROCESS_TEST)", &[]).unwrap(), "from env");
        assert_eq!(run_in(Path::new("/s"), "$(sys.BUILDARCH)", &[], "x64").unwrap().text, "x64");
        // Values are escaped so they stay one attribute value.
        assert_eq!(run(r#"<X a="$(var.V)"/>"#, &[("V", r#"a"<&b"#)]).unwrap(), r#"<X a="a&quot;&lt;&amp;b"/>"#);
        let e = message(run("<X\n a='$(var.Missing)'/>", &[]).unwrap_err());
        assert!(e.starts_with("/src/main.wxs:2:5: undefined preprocessor variable $(var.Missing)"), "{e}");
        assert!(message(run("<?define A=1?><?define A=2?>", &[]).unwrap_err()).contains("already defined"));
        assert!(message(run("$(fun.AutoVersion(1.0))", &[]).unwrap_err()).contains("preprocessor functions"));
        // Comments and CDATA are left alone.
        assert_eq!(
            run("<!-- $(var.X) <?if?> --><![CDATA[$(var.X)]]>", &[]).unwrap(),
            "<!-- $(var.X) <?if?> --><![CDATA[$(var.X)]]>"
        );
    }

    #[test]
    fn foreach_repeats_its_body() {
        let out = run(r#"<?foreach L in en;de;fr?><F Id="$(var.L)"/><?endforeach?>"#, &[]).unwrap();
        assert_eq!(out, r#"<F Id="en"/><F Id="de"/><F Id="fr"/>"#);
        let nested = "<?foreach A in 1;2?><?foreach B in x;y?>$(var.A)$(var.B) <?endforeach?><?endforeach?>";
        assert_eq!(squash(&run(nested, &[]).unwrap()), "1x 1y 2x 2y");
        assert!(message(run("<?foreach A in 1?>", &[]).unwrap_err()).contains("without <?endforeach?>"));
    }

    #[test]
    fn include_inlines_the_include_elements_children_with_their_positions() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("common.wxi"),
            "<?xml version=\"1.0\"?>\n<Include>\n  <?define Inc = \"yes\"?>\n  <P Id=\"$(var.X)\"/>\n</Include>\n",
        )
        .unwrap();
        let src = "<?xml version=\"1.0\"?>\n<W>\n<?include common.wxi ?>\n<Q v=\"$(var.Inc)\"/></W>";
        let p = run_in(dir.path(), src, &[("X", "1")], "x86").unwrap();
        assert_eq!(squash(&p.text), squash("<?xml version=\"1.0\"?>\n<W>\n <P Id=\"1\"/>\n\n<Q v=\"yes\"/></W>"));
        let at = p.text.find("<P").unwrap();
        let loc = p.map.loc(at);
        assert_eq!((loc.file.file_name().unwrap().to_str().unwrap(), loc.line, loc.column), ("common.wxi", 4, 3));
        let e = message(run_in(dir.path(), "<?include nope.wxi?>", &[], "x86").unwrap_err());
        assert!(e.contains("nope.wxi not found"), "{e}");
        std::fs::write(dir.path().join("self.wxi"), "<Include><?include self.wxi?></Include>").unwrap();
        assert!(message(run_in(dir.path(), "<?include self.wxi?>", &[], "x86").unwrap_err()).contains("nested deeper"));
    }

    #[test]
    fn warning_and_error() {
        let p = run_in(Path::new("/src"), "\n<?warning Careful $(var.A)?>", &[("A", "now")], "x86").unwrap();
        assert_eq!(p.warnings, ["/src/main.wxs:2:1: warning: Careful now"]);
        let e = message(run("<?error Stop here?>", &[]).unwrap_err());
        assert_eq!(e, "/src/main.wxs:1:1: Stop here");
    }
}
