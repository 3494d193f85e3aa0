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
#[error("{file}:{line}:{column}: {field}: {message}")]
pub struct FileError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub field: String,
    pub message: String,
}

/// All the mistakes found in one file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct FileErrors(pub Vec<FileError>);

/// Reads a file named in the rota (relative to the rota file), or says why not.
pub type Include<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// Parses and validates one rota file. `file` is only used in messages.
pub fn parse_rota(file: &str, text: &str, include: Include<'_>) -> Result<Rota, FileErrors> {
    let mut cx = Cx {
        file,
        text,
        errors: Vec::new(),
    };
    // Every unknown key at once (serde would name only the first).
    if !schema::check_keys(&mut cx, text) {
        return Err(FileErrors(cx.errors));
    }
    let def: defs::RotaFile = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let field = field_from_toml_message(e.message());
            cx.err(span, &field, e.message().trim().to_string());
            return Err(FileErrors(cx.errors));
        }
    };
    let rota = build::build(&mut cx, def, include);
    match rota {
        Some(r) if cx.errors.is_empty() => Ok(r),
        _ => Err(FileErrors(cx.errors)),
    }
}

/// Error collector with the source text for line numbers.
pub(crate) struct Cx<'a> {
    file: &'a str,
    text: &'a str,
    pub(crate) errors: Vec<FileError>,
}

impl Cx<'_> {
    pub(crate) fn err(&mut self, span: Range<usize>, field: &str, message: impl Into<String>) {
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.errors.push(FileError {
            file: self.file.to_string(),
            line,
            column,
            field: field.to_string(),
            message: message.into(),
        });
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// toml's messages name an unknown or missing field in backticks.
fn field_from_toml_message(m: &str) -> String {
    m.split('`').nth(1).unwrap_or("toml").to_string()
}
