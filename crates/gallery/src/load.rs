//! Reading entry files: the embedded built-ins and an optional directory of extra entries.
//! Every error names the file it comes from; TOML errors carry the line and column.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::model::Entry;
use crate::validate::{validate, Problem, Problems};

// `BUILTIN_ENTRIES: &[(&str, &str)]`, written by build.rs from `entries/*.toml`.
include!(concat!(env!("OUT_DIR"), "/builtin_entries.rs"));

/// Why the gallery could not be loaded. `Display` starts with a stable code (`GAL-L…`) and
/// names the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The extra-entries directory or one of its files could not be read.
    #[error("[GAL-L01] cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file is not valid TOML, or does not have the shape of an entry (unknown or missing
    /// key, wrong type, a mapping without the key its type needs).
    #[error("[GAL-L02] {file}{}: {message}", Location(*line, *column))]
    Toml {
        file: String,
        /// 1-based line of the problem, when the parser knows it.
        line: Option<usize>,
        /// 1-based column (in characters) of the problem, when the parser knows it.
        column: Option<usize>,
        message: String,
    },
    /// The entry parsed but failed validation.
    #[error("[GAL-L03] {file}: entry {id:?} is invalid:\n{}", Problems(problems))]
    Invalid {
        file: String,
        id: String,
        problems: Vec<Problem>,
    },
    /// Two files of the same source (the built-ins, or the extra directory) define one id.
    #[error("[GAL-L04] entry id {id:?} is defined twice: in {first} and in {second}")]
    DuplicateId {
        id: String,
        first: String,
        second: String,
    },
}

impl Error {
    /// The stable code, e.g. `GAL-L02`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Io { .. } => "GAL-L01",
            Error::Toml { .. } => "GAL-L02",
            Error::Invalid { .. } => "GAL-L03",
            Error::DuplicateId { .. } => "GAL-L04",
        }
    }
}

struct Location(Option<usize>, Option<usize>);

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (Some(line), Some(column)) => write!(f, ":{line}:{column}"),
            (Some(line), None) => write!(f, ":{line}"),
            _ => Ok(()),
        }
    }
}

/// Parses and validates one entry file. `file` is only used in errors.
pub fn parse_entry(file: &str, text: &str) -> Result<Entry, Error> {
    let entry: Entry = toml::from_str(text).map_err(|e| {
        let (line, column) = match e.span() {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        Error::Toml {
            file: file.to_owned(),
            line,
            column,
            message: e.message().trim_end().to_owned(),
        }
    })?;
    let problems = validate(&entry);
    if problems.is_empty() {
        Ok(entry)
    } else {
        Err(Error::Invalid {
            file: file.to_owned(),
            id: entry.id,
            problems,
        })
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Entries of one source keyed by id, remembering which file each came from.
pub(crate) struct Loaded {
    pub(crate) entries: Vec<(Entry, String)>,
}

impl Loaded {
    fn from_files<'a>(files: impl IntoIterator<Item = (String, &'a str)>) -> Result<Self, Error> {
        let mut entries: Vec<(Entry, String)> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for (file, text) in files {
            let entry = parse_entry(&file, text)?;
            if let Some(&i) = by_id.get(&entry.id) {
                return Err(Error::DuplicateId {
                    id: entry.id,
                    first: entries[i].1.clone(),
                    second: file,
                });
            }
            by_id.insert(entry.id.clone(), entries.len());
            entries.push((entry, file));
        }
        Ok(Loaded { entries })
    }
}

/// The built-in entries, embedded at build time.
pub(crate) fn builtin() -> Result<Loaded, Error> {
    Loaded::from_files(
        BUILTIN_ENTRIES
            .iter()
            .map(|&(file, text)| (file.to_owned(), text)),
    )
}

/// Every `*.toml` file directly inside `dir`, in file-name order. Other files and
/// subdirectories are ignored.
pub(crate) fn directory(dir: &Path) -> Result<Loaded, Error> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let mut paths = Vec::new();
    for item in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let path = item.map_err(io_error(dir))?.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut texts = Vec::with_capacity(paths.len());
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        texts.push((path.display().to_string(), text));
    }
    Loaded::from_files(
        texts
            .iter()
            .map(|(file, text)| (file.clone(), text.as_str())),
    )
}

#[cfg(test)]
mod tests {
    use super::line_column;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // After "bé" (3 bytes): column 3.
        assert_eq!(line_column(text, 9), (2, 3));
    }
}
