//! The value tree shared by pmsite.toml and front matter: parsed with spans, read with
//! diagnostics.

mod node;
mod parse;
mod reader;

pub use node::{Entry, Node, Value};
pub use parse::{SyntaxError, parse_toml, parse_yaml};
pub use reader::{Codes, Reader, Table};
