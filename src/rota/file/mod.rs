//! Rota files (TOML) → `Rota` — PURE: the caller hands in the text and a
//! function that reads files the rota refers to (a holiday ICS), so this
//! module never touches the disk. Every mistake is reported, not just the
//! first, each with the file, line, column and field it is about.

mod build;
pub mod defs;
pub mod limits;
mod overrides;
mod rotations;
mod schema;
mod values;

use super::Rota;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct FileError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub field: String,
    pub message: String,
}

impl FileError {
    /// `file:line:column: field: message`, or `name: field: message` for
    /// a stored rota (no file, no line).
    fn describe(&self) -> String {
        if self.line == 0 {
            format!("{}: {}: {}", self.file, self.field, self.message)
        } else {
            format!(
                "{}:{}:{}: {}: {}",
                self.file, self.line, self.column, self.field, self.message
            )
        }
    }
}

/// All the mistakes found in one file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct FileErrors(pub Vec<FileError>);

/// Reads a file named in the rota (relative to the rota file), or says why not.
pub type Include<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// Parses and validates one rota file. `file` is only used in messages.
pub fn parse_rota(file: &str, text: &str, include: Include<'_>) -> Result<Rota, FileErrors> {
    let def = read_file(file, text)?;
    let spans = toml::de::DeTable::parse(text).ok();
    let locate = |field: &str| spans.as_ref().and_then(|t| locate(t.get_ref(), field));
    let mut cx = Cx::new(file, text, &locate);
    let (team, people, doc, _) = def.split();
    let rota = build::build(&mut cx, &team, &people, &doc, include);
    cx.finish(rota)
}

/// A rota file as written: checked for unknown keys (all of them at once;
/// serde would name only the first) and read, but not yet built.
pub fn read_file(file: &str, text: &str) -> Result<defs::RotaFile, FileErrors> {
    let none = |_: &str| None;
    let mut cx = Cx::new(file, text, &none);
    if !schema::check_keys(&mut cx, text) {
        cx.close();
        return Err(FileErrors(cx.errors));
    }
    match toml::from_str(text) {
        Ok(d) => Ok(d),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let field = field_from_toml_message(e.message());
            cx.err_at(span, &field, e.message().trim().to_string());
            Err(FileErrors(cx.errors))
        }
    }
}

/// Builds a stored rota from its parts (no file: errors name the field,
/// with no line). `name` labels the rota (`TEAM/ROTA` on the server).
pub fn build_doc(
    name: &str,
    team: &defs::TeamDef,
    people: &[defs::PersonDef],
    doc: &defs::RotaDoc,
) -> Result<Rota, FileErrors> {
    let none = |_: &str| None;
    let no_files = |f: &str| Err(format!("{f}: files cannot be included in a stored rota"));
    let mut cx = Cx::new(name, "", &none);
    let rota = build::build(&mut cx, team, people, doc, &no_files);
    cx.finish(rota).map(|mut r| {
        r.name = name.to_string();
        r
    })
}

/// Where `field` (`layers[0].rotations[1].every`) is written in a file: the
/// deepest part of the path that exists there (a missing key points at its
/// table).
fn locate(root: &toml::de::DeTable<'_>, field: &str) -> Option<Range<usize>> {
    use toml::de::DeValue;
    let mut best = None;
    let mut table = Some(root);
    let mut current: Option<&toml::Spanned<DeValue<'_>>> = None;
    for part in field.split('.') {
        let (key, indexes) = match part.split_once('[') {
            Some((k, rest)) => (k, Some(rest)),
            None => (part, None),
        };
        if !key.is_empty() {
            let found = table.and_then(|t| t.iter().find(|(k, _)| k.get_ref() == key));
            let Some((_, v)) = found else { break };
            best = Some(v.span());
            current = Some(v);
        }
        for ix in indexes.into_iter().flat_map(|r| r.split('[')) {
            let Ok(i) = ix.trim_end_matches(']').parse::<usize>() else {
                return best;
            };
            let item = match current.map(|c| c.get_ref()) {
                Some(DeValue::Array(a)) => a.get(i),
                _ => None,
            };
            let Some(item) = item else { return best };
            best = Some(item.span());
            current = Some(item);
        }
        table = match current.map(|c| c.get_ref()) {
            Some(DeValue::Table(t)) => Some(t),
            _ => None,
        };
    }
    best
}

/// Error collector: the file and its text for line numbers, and where each
/// field is written.
pub(crate) struct Cx<'a> {
    file: &'a str,
    text: &'a str,
    locate: &'a dyn Fn(&str) -> Option<Range<usize>>,
    pub(crate) errors: Vec<FileError>,
    /// Where each line starts, made at the first error: a file with
    /// thousands of mistakes is placed in n log n, not n².
    lines: std::cell::OnceCell<Vec<usize>>,
    /// Mistakes past `MAX_ERRORS`, counted but not listed.
    unlisted: usize,
}

/// The most mistakes listed for one file (a file of 5,000 overlapping
/// overrides has millions of pairs); the rest are counted.
const MAX_ERRORS: usize = 200;

impl<'a> Cx<'a> {
    fn new(file: &'a str, text: &'a str, locate: &'a dyn Fn(&str) -> Option<Range<usize>>) -> Self {
        Cx {
            file,
            text,
            locate,
            errors: Vec::new(),
            lines: std::cell::OnceCell::new(),
            unlisted: 0,
        }
    }

    /// The 1-based line and column of byte `at` in the text.
    fn place(&self, at: usize) -> (usize, usize) {
        let at = at.min(self.text.len());
        let starts = self.lines.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let line = starts.partition_point(|s| *s <= at).max(1);
        let from = starts[line - 1].min(at);
        let column = self.text.get(from..at).map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    /// A mistake in `field`, placed where the field is written.
    pub(crate) fn err(&mut self, field: &str, message: impl Into<String>) {
        if self.errors.len() >= MAX_ERRORS {
            self.unlisted += 1;
            return;
        }
        let span = (self.locate)(field);
        self.push(span, field, message.into());
    }

    /// A mistake in `field`, placed where `at` (another field) is written.
    pub(crate) fn err_near(&mut self, field: &str, at: &str, message: impl Into<String>) {
        let span = (self.locate)(at).or_else(|| (self.locate)(field));
        self.push(span, field, message.into());
    }

    /// The line `field` is written on, in a file.
    pub(crate) fn line_of(&self, field: &str) -> Option<usize> {
        let span = (self.locate)(field)?;
        (!self.text.is_empty()).then(|| self.place(span.start).0)
    }

    /// A mistake at a known place in the text.
    pub(crate) fn err_at(&mut self, span: Range<usize>, field: &str, message: impl Into<String>) {
        self.push(Some(span), field, message.into());
    }

    fn push(&mut self, span: Option<Range<usize>>, field: &str, message: String) {
        if self.errors.len() >= MAX_ERRORS {
            self.unlisted += 1;
            return;
        }
        let (line, column) = match span {
            Some(span) if !self.text.is_empty() => self.place(span.start),
            _ => (0, 0),
        };
        self.errors.push(FileError {
            file: self.file.to_string(),
            line,
            column,
            field: field.to_string(),
            message,
        });
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    fn finish(mut self, rota: Option<Rota>) -> Result<Rota, FileErrors> {
        self.close();
        match rota {
            Some(r) if self.errors.is_empty() => Ok(r),
            _ => Err(FileErrors(self.errors)),
        }
    }

    /// Says how many mistakes were not listed, if any.
    fn close(&mut self) {
        if self.unlisted > 0 {
            self.errors.push(FileError {
                file: self.file.to_string(),
                line: 0,
                column: 0,
                field: "(file)".into(),
                message: format!(
                    "and {} more mistakes not listed (the first {MAX_ERRORS} are)",
                    self.unlisted
                ),
            });
            self.unlisted = 0;
        }
    }
}

/// toml's messages name an unknown or missing field in backticks.
fn field_from_toml_message(m: &str) -> String {
    m.split('`').nth(1).unwrap_or("toml").to_string()
}
