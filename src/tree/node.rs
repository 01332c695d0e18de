//! A front-matter value tree that remembers where each value came from.
//!
//! TOML and YAML front matter are both turned into this one tree, so the decoder that maps it
//! onto a [`crate::content::Postmortem`] is written once, reports every problem (not only the
//! first, as serde would), and points each at the line of the offending key or value.

use std::ops::Range;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Byte range in the whole source file (not only the front matter).
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(String),
    /// A TOML datetime literal, kept as its text: the decoder parses it exactly like a quoted
    /// string, so `2024-01-05T10:00:00Z` means the same with and without quotes.
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Range<usize>,
    pub node: Node,
}

impl Value {
    /// The type as an author would name it, for "expected a string, found an integer".
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "an empty value",
            Value::Bool(_) => "a boolean",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Datetime(_) => "a datetime",
            Value::Array(_) => "a list",
            Value::Table(_) => "a table",
        }
    }
}
