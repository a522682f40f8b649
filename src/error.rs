//! Errors, each one line that names the document and the field.

use std::fmt;

/// Which object a message is about: `document 3 (ConfigMap istio-system/istio)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRef {
    pub number: usize,
    /// True for items of a List or ResourceList (numbered among the items).
    pub in_list: bool,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for DocRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = if self.in_list { "item" } else { "document" };
        write!(f, "{place} {} ({}", self.number, self.kind)?;
        match &self.namespace {
            Some(ns) => write!(f, " {ns}/{})", self.name),
            None => write!(f, " {})", self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Wrong command-line use (exit code 2).
    Usage(String),
    /// The input stream as a whole is unusable.
    Input(String),
    /// A document is not valid YAML.
    Syntax { document: usize, line_col: (usize, usize), message: String, what: Option<String> },
    /// The MeshNetwork config is invalid; `field` is its path inside the config.
    Config { field: String, message: String },
    /// An object of the input cannot be changed as the config asks.
    Object { doc: Box<DocRef>, field: String, message: String },
    /// Reading or writing failed.
    Io(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }

    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config { field: field.into(), message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::Input(m) | Error::Io(m) => f.write_str(m),
            Error::Syntax { document, line_col: (line, col), message, what } => {
                write!(f, "document {document}")?;
                if let Some(what) = what {
                    write!(f, " ({what})")?;
                }
                write!(f, ": invalid YAML at line {line} column {col}: {message}")
            }
            Error::Config { field, message } if field.is_empty() => write!(f, "config: {message}"),
            Error::Config { field, message } => write!(f, "config: field {field}: {message}"),
            Error::Object { doc, field, message } => write!(f, "{doc}: field {field}: {message}"),
        }
    }
}

impl std::error::Error for Error {}
