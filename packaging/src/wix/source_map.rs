//! Positions through the preprocessor: the XML the lowering parses is the preprocessor's output
//! (conditional sections dropped, includes and `<?foreach?>` bodies inlined, variables
//! substituted), and every byte of it maps back to a `file:line:column` of the sources the user
//! wrote. A position costs a binary search over the segments and one over the file's line starts.

use super::model::Loc;
use std::path::PathBuf;
use std::rc::Rc;

/// One source file the output was made from.
#[derive(Debug)]
pub struct SourceFile {
    /// Its path as given.
    pub path: PathBuf,
    /// Its text (decoded).
    pub text: Rc<str>,
    /// Byte offsets of line starts.
    starts: Vec<usize>,
}

impl SourceFile {
    /// A file and its line index.
    pub fn new(path: PathBuf, text: Rc<str>) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile { path, text, starts }
    }

    /// Line and column (1-based; columns count characters) of a byte offset.
    pub fn line_col(&self, pos: usize) -> (u32, u32) {
        let pos = pos.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= pos);
        let start = self.starts[line - 1];
        let column = self.text.get(start..pos).map_or(pos - start, |t| t.chars().count()) + 1;
        (line as u32, column as u32)
    }
}

/// A run of output that starts at `out` and comes from `file` at `src`: copied byte for byte
/// (`verbatim`), or a substituted value (every byte maps to the `$(` that produced it).
#[derive(Debug, Clone, Copy)]
struct Segment {
    out: usize,
    file: usize,
    src: usize,
    verbatim: bool,
}

/// Output offsets -> source positions.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    segments: Vec<Segment>,
}

impl SourceMap {
    /// The identity map of one file (no preprocessing).
    #[cfg(test)]
    pub fn single(path: &std::path::Path, text: &str) -> Self {
        let mut m = SourceMap::default();
        let f = m.add_file(path.to_path_buf(), Rc::from(text));
        m.verbatim(0, f, 0);
        m
    }

    /// Registers a file; returns its index.
    pub fn add_file(&mut self, path: PathBuf, text: Rc<str>) -> usize {
        self.files.push(SourceFile::new(path, text));
        self.files.len() - 1
    }

    /// A file by index.
    pub fn file(&self, i: usize) -> &SourceFile {
        &self.files[i]
    }

    /// Output from `out` on is `file` from `src` on, byte for byte.
    pub fn verbatim(&mut self, out: usize, file: usize, src: usize) {
        if let Some(last) = self.segments.last() {
            if last.verbatim && last.file == file && out - last.out == src.wrapping_sub(last.src) {
                return; // continues the previous run
            }
        }
        self.push(Segment { out, file, src, verbatim: true });
    }

    /// Output from `out` on is a value substituted for the reference at `file`/`src`.
    pub fn substituted(&mut self, out: usize, file: usize, src: usize) {
        self.push(Segment { out, file, src, verbatim: false });
    }

    fn push(&mut self, s: Segment) {
        if self.segments.last().is_some_and(|l| l.out == s.out) {
            self.segments.pop();
        }
        self.segments.push(s);
    }

    /// The source position of output offset `out`.
    pub fn loc(&self, out: usize) -> Loc {
        let i = self.segments.partition_point(|s| s.out <= out);
        let Some(seg) = i.checked_sub(1).map(|i| self.segments[i]) else {
            let f = &self.files[0];
            return Loc { file: f.path.clone(), line: 1, column: 1 };
        };
        let src = if seg.verbatim { seg.src + (out - seg.out) } else { seg.src };
        let f = &self.files[seg.file];
        let (line, column) = f.line_col(src);
        Loc { file: f.path.clone(), line, column }
    }

    /// The source position of a 1-based line/column of the output `text` (for XML parse errors,
    /// which report only a line and column).
    pub fn loc_of_line_col(&self, text: &str, line: u32, column: u32) -> Loc {
        let start = text.split_inclusive('\n').take(line.saturating_sub(1) as usize).map(str::len).sum::<usize>();
        let off = text[start.min(text.len())..]
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(text.len(), |(i, _)| start + i);
        self.loc(off)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_and_substituted_runs_map_back() {
        let mut m = SourceMap::default();
        let a = m.add_file("a.wxs".into(), Rc::from("line1\n  $(var.X)z\n"));
        let b = m.add_file("b.wxi".into(), Rc::from("<X/>\n<Y/>"));
        // output: "line1\n  " (a 0..8) + "VALUE" (for $( at a:8) + "z\n" (a 16..) + "<Y/>" (b 5..)
        m.verbatim(0, a, 0);
        m.substituted(8, a, 8);
        m.verbatim(13, a, 16);
        m.verbatim(15, b, 5);
        let at = |o| {
            let l = m.loc(o);
            (l.file.display().to_string(), l.line, l.column)
        };
        assert_eq!(at(0), ("a.wxs".into(), 1, 1));
        assert_eq!(at(7), ("a.wxs".into(), 2, 2));
        assert_eq!(at(10), ("a.wxs".into(), 2, 3), "inside a value: the reference");
        assert_eq!(at(13), ("a.wxs".into(), 2, 11));
        assert_eq!(at(16), ("b.wxi".into(), 2, 2));
    }
}
