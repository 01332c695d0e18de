//! Reading typed values out of a [`Node`] tree while collecting a diagnostic for every
//! problem: wrong types, empty strings, unknown keys with "did you mean", bad dates.
//!
//! Used for both pmsite.toml and postmortem front matter. A reader never stops at the first
//! problem; a value that cannot be read comes back as `None` and the caller carries on.

use std::ops::Range;
use std::path::Path;

use chrono::NaiveDate;

use super::node::{Entry, Node, Value};
use crate::content::moment::{Moment, MomentError, impossible_date};
use crate::diagnostic::{Code, Diagnostic, Location, did_you_mean};

/// The largest count or amount pmsite takes (10^15): every whole number up to it is exact
/// in an `f64`, which is how pages and charts compute with them, so it is shown as written.
pub const MAX_NUMBER: i64 = 1_000_000_000_000_000;

pub struct Reader<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    /// Code used for unknown keys, wrong types and invalid values: config problems are all
    /// reported under one code, front-matter problems under finer ones.
    pub codes: Codes,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Clone, Copy)]
pub struct Codes {
    pub unknown_key: Code,
    pub wrong_type: Code,
    pub missing_key: Code,
    pub invalid_value: Code,
}

impl Codes {
    pub const FRONT_MATTER: Codes = Codes {
        unknown_key: Code::UnknownKey,
        wrong_type: Code::WrongType,
        missing_key: Code::MissingKey,
        invalid_value: Code::InvalidValue,
    };
    pub const CONFIG: Codes = Codes {
        unknown_key: Code::Config,
        wrong_type: Code::Config,
        missing_key: Code::Config,
        invalid_value: Code::Config,
    };
}

/// The keys of one table, handed out one by one; whatever is left over at `finish` is an
/// unknown key.
pub struct Table<'n> {
    entries: &'n [Entry],
    taken: Vec<bool>,
    /// Dotted path of this table for messages: "" for the root, "impact", "action_items[1]".
    pub path: String,
    pub span: Range<usize>,
}

impl<'n> Table<'n> {
    pub fn get(&mut self, key: &str) -> Option<&'n Node> {
        let i = self.entries.iter().position(|e| e.key == key)?;
        self.taken[i] = true;
        Some(&self.entries[i].node)
    }

    pub fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Entries nobody asked for, in file order.
    pub fn leftovers(&self) -> impl Iterator<Item = &'n Entry> + '_ {
        self.entries
            .iter()
            .zip(&self.taken)
            .filter(|(_, taken)| !**taken)
            .map(|(e, _)| e)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a> Reader<'a> {
    pub fn new(file: &'a Path, text: &'a str, codes: Codes) -> Self {
        Reader {
            file,
            text,
            codes,
            diagnostics: Vec::new(),
        }
    }

    pub fn location(&self, span: Range<usize>) -> Location {
        Location::of(self.text, span)
    }

    pub fn report(
        &mut self,
        code: Code,
        span: Range<usize>,
        field: &str,
        message: impl Into<Box<str>>,
        hint: Option<String>,
    ) {
        let mut d = Diagnostic::error(code, self.file, message)
            .at(self.location(span))
            .maybe_hint(hint);
        if !field.is_empty() {
            d = d.field(field);
        }
        self.diagnostics.push(d);
    }

    pub fn invalid(
        &mut self,
        node: &Node,
        field: &str,
        message: impl Into<Box<str>>,
        hint: impl Into<String>,
    ) {
        let hint = hint.into();
        let hint = (!hint.is_empty()).then_some(hint);
        self.report(self.codes.invalid_value, node.span.clone(), field, message, hint);
    }

    fn wrong_type(&mut self, node: &Node, field: &str, expected: &str, hint: &str) {
        let message = format!("`{field}` must be {expected}, found {}", node.value.type_name());
        let hint = (!hint.is_empty()).then(|| hint.to_string());
        self.report(self.codes.wrong_type, node.span.clone(), field, message, hint);
    }

    pub fn table<'n>(&mut self, node: &'n Node, path: &str) -> Option<Table<'n>> {
        match &node.value {
            Value::Table(entries) => Some(Table {
                entries,
                taken: vec![false; entries.len()],
                path: path.to_string(),
                span: node.span.clone(),
            }),
            _ => {
                self.wrong_type(node, path, "a table", "");
                None
            }
        }
    }

    /// Reports every key of `table` that was not taken. `hints` gives a better hint than a
    /// spelling suggestion for keys that belong in another table or come from other tools.
    pub fn finish(&mut self, table: &Table<'_>, known: &[&str], hints: &[(&str, &str)]) {
        let leftovers: Vec<&Entry> = table.leftovers().collect();
        for entry in leftovers {
            let field = table.field(&entry.key);
            let hint = if let Some((_, hint)) = hints.iter().find(|(k, _)| *k == entry.key) {
                Some(hint.to_string())
            } else if let Some(near) = did_you_mean(&entry.key, known.iter().copied()) {
                Some(format!("did you mean `{near}`?"))
            } else {
                let where_ = if table.path.is_empty() {
                    "the front matter".to_string()
                } else {
                    format!("`{}`", table.path)
                };
                Some(format!(
                    "known keys in {where_}: {}; put your own data under `[extra]`",
                    known.join(", ")
                ))
            };
            self.report(
                self.codes.unknown_key,
                entry.key_span.clone(),
                &field,
                format!("unknown key `{field}`"),
                hint,
            );
        }
    }

    pub fn required<'n>(&mut self, table: &mut Table<'n>, key: &str, hint: &str) -> Option<&'n Node> {
        let node = table.get(key);
        if node.is_none() {
            let field = table.field(key);
            let where_ = if table.path.is_empty() {
                "the front matter".to_string()
            } else {
                format!("`{}`", table.path)
            };
            let span = table.span.start..table.span.start;
            self.report(
                self.codes.missing_key,
                span,
                &field,
                format!("{where_} has no `{key}`, which is required"),
                Some(hint.to_string()),
            );
        }
        node
    }

    /// A non-empty string. Leading and trailing whitespace is dropped.
    pub fn string(&mut self, node: &Node, field: &str) -> Option<String> {
        match &node.value {
            Value::String(s) if s.trim().is_empty() => {
                self.invalid(
                    node,
                    field,
                    format!("`{field}` is empty"),
                    "remove the key or give it a value",
                );
                None
            }
            Value::String(s) => Some(s.trim().to_string()),
            Value::Array(_) => {
                self.wrong_type(
                    node,
                    field,
                    "a string",
                    &format!("`{field}` takes one value, not a list: keep one, e.g. {field} = \"...\""),
                );
                None
            }
            _ => {
                self.wrong_type(node, field, "a string", "put the text in double quotes");
                None
            }
        }
    }

    /// A list of non-empty strings. A single string is accepted as a list of one, as many
    /// imported archives write `services: checkout-api`.
    pub fn string_list(&mut self, node: &Node, field: &str) -> Vec<String> {
        match &node.value {
            Value::String(_) => self.string(node, field).into_iter().collect(),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.string(item, &format!("{field}[{i}]")))
                .collect(),
            _ => {
                self.wrong_type(node, field, "a list of strings", "write it as [\"a\", \"b\"]");
                Vec::new()
            }
        }
    }

    pub fn list<'n>(&mut self, node: &'n Node, field: &str) -> &'n [Node] {
        match &node.value {
            Value::Array(items) => items,
            _ => {
                self.wrong_type(node, field, "a list", "");
                &[]
            }
        }
    }

    pub fn bool(&mut self, node: &Node, field: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong_type(
                    node,
                    field,
                    "true or false",
                    "write true or false, without quotes",
                );
                None
            }
        }
    }

    pub fn count(&mut self, node: &Node, field: &str) -> Option<u64> {
        match node.value {
            Value::Integer(i @ 0..=MAX_NUMBER) => Some(i as u64),
            Value::Integer(i) if i > MAX_NUMBER => {
                self.invalid(
                    node,
                    field,
                    format!("`{field}` is too large: {i}"),
                    format!("pmsite counts up to {MAX_NUMBER}"),
                );
                None
            }
            Value::Integer(_) => {
                self.invalid(node, field, format!("`{field}` cannot be negative"), "");
                None
            }
            _ => {
                self.wrong_type(
                    node,
                    field,
                    "a whole number",
                    "write the number without quotes, e.g. 1200",
                );
                None
            }
        }
    }

    /// A finite number within `min..=max` (and never above [`MAX_NUMBER`]).
    pub fn number(&mut self, node: &Node, field: &str, min: f64, max: f64) -> Option<f64> {
        let value = match node.value {
            Value::Integer(i) => i as f64,
            Value::Float(f) => f,
            _ => {
                self.wrong_type(
                    node,
                    field,
                    "a number",
                    "write the number without quotes, e.g. 12.5",
                );
                return None;
            }
        };
        let max = max.min(MAX_NUMBER as f64);
        if !value.is_finite() || value < min || value > max {
            let bounds = if max.is_finite() {
                format!("between {min} and {max}")
            } else {
                format!("at least {min}")
            };
            self.invalid(
                node,
                field,
                format!("`{field}` must be {bounds}, found {value}"),
                "",
            );
            return None;
        }
        Some(value)
    }

    /// A datetime with its offset, or a day.
    pub fn moment(&mut self, node: &Node, field: &str) -> Option<Moment> {
        self.moment_taking(node, field, Takes::Moment)
    }

    fn moment_taking(&mut self, node: &Node, field: &str, takes: Takes) -> Option<Moment> {
        let text = match &node.value {
            Value::String(s) | Value::Datetime(s) => s,
            _ => {
                self.wrong_type(node, field, takes.expected(), takes.example());
                return None;
            }
        };
        match Moment::parse(text) {
            Ok(m) => Some(m),
            Err(MomentError::MissingOffset) if takes == Takes::Day => {
                self.invalid(
                    node,
                    field,
                    format!("`{field}` must be a date, found a time: `{text}`"),
                    format!(
                        "write just the day: {}",
                        text.trim().get(..10).unwrap_or("2024-03-08")
                    ),
                );
                None
            }
            Err(MomentError::MissingOffset) => {
                self.invalid(
                    node,
                    field,
                    format!("`{field}` has a time but no offset: `{text}`"),
                    format!(
                        "add the offset, e.g. `{}Z` for UTC or `{}+01:00`",
                        text.trim(),
                        text.trim()
                    ),
                );
                None
            }
            Err(MomentError::OutOfRange(year)) => {
                self.invalid(
                    node,
                    field,
                    format!("`{field}` is in the year {year}: `{text}`"),
                    format!(
                        "pmsite takes years from {} to {}; check the year for a typo",
                        crate::content::moment::YEARS.start(),
                        crate::content::moment::YEARS.end()
                    ),
                );
                None
            }
            Err(MomentError::Impossible(why)) => {
                let (message, hint) = impossible_date(Some(field), text.trim(), &why);
                self.invalid(node, field, message, hint);
                None
            }
            Err(MomentError::Invalid) => {
                self.invalid(
                    node,
                    field,
                    format!("`{field}` is not a valid {}: `{text}`", takes.noun()),
                    takes.example(),
                );
                None
            }
        }
    }

    /// A day, without a time.
    pub fn date(&mut self, node: &Node, field: &str) -> Option<NaiveDate> {
        match self.moment_taking(node, field, Takes::Day)? {
            Moment::Day(day) => Some(day),
            Moment::At(at) => {
                self.invalid(
                    node,
                    field,
                    format!("`{field}` must be a date, found a datetime"),
                    format!("write just the day: {}", at.format("%Y-%m-%d")),
                );
                None
            }
        }
    }

    /// One of a fixed set of words, with a "did you mean" when it is a near miss.
    pub fn choice<T: Copy>(&mut self, node: &Node, field: &str, options: &[(&str, T)]) -> Option<T> {
        let text = self.string(node, field)?;
        if let Some((_, value)) = options.iter().find(|(name, _)| *name == text) {
            return Some(*value);
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let hint = match did_you_mean(&text, names.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("use one of: {}", names.join(", ")),
        };
        self.invalid(node, field, format!("`{field}` cannot be `{text}`"), hint);
        None
    }
}

/// What a date field takes, for what its messages ask for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Takes {
    /// A datetime, or a day when the time is unknown (`started_at`, timeline entries).
    Moment,
    /// A day only (`due`, `completed`).
    Day,
}

impl Takes {
    fn expected(self) -> &'static str {
        match self {
            Takes::Moment => "a datetime or a date",
            Takes::Day => "a date",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Takes::Moment => "datetime or date",
            Takes::Day => "date",
        }
    }

    fn example(self) -> &'static str {
        match self {
            Takes::Moment => "write e.g. 2024-03-08T15:42:00Z, or 2024-03-08 when the time is unknown",
            Takes::Day => "write the day, e.g. 2024-03-08",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::parse_toml;

    fn read(text: &str, f: impl FnOnce(&mut Reader<'_>, &mut Table<'_>)) -> Vec<Diagnostic> {
        let node = parse_toml(text, 0).unwrap();
        let mut reader = Reader::new(Path::new("x.md"), text, Codes::FRONT_MATTER);
        let mut table = reader.table(&node, "").unwrap();
        f(&mut reader, &mut table);
        reader.diagnostics
    }

    #[test]
    fn unknown_keys_get_a_did_you_mean_on_their_line() {
        let d = read("title = \"x\"\nservics = [\"a\"]\n", |r, t| {
            t.get("title");
            r.finish(t, &["title", "services"], &[]);
        });
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, Code::UnknownKey);
        assert_eq!(d[0].line(), 2);
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `services`?"));
    }

    #[test]
    fn every_bad_value_is_reported_not_only_the_first() {
        let d = read("a = 1\nb = \"\"\nc = \"2024-13-01\"\n", |r, t| {
            let a = t.get("a").unwrap();
            let b = t.get("b").unwrap();
            let c = t.get("c").unwrap();
            assert_eq!(r.string(a, "a"), None);
            assert_eq!(r.string(b, "b"), None);
            assert_eq!(r.moment(c, "c"), None);
        });
        assert_eq!(d.iter().map(|d| d.line()).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(d[0].code, Code::WrongType);
        assert!(d[1].message.contains("empty"));
    }

    #[test]
    fn choice_suggests_the_nearest_option() {
        let d = read("status = \"publishd\"\n", |r, t| {
            let n = t.get("status").unwrap();
            assert_eq!(r.choice(n, "status", &[("draft", 0), ("published", 1)]), None);
        });
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `published`?"));
    }

    #[test]
    fn numbers_are_range_checked() {
        let d = read("p = 120\nq = 55.5\n", |r, t| {
            assert_eq!(r.number(t.get("p").unwrap(), "p", 0.0, 100.0), None);
            assert_eq!(r.number(t.get("q").unwrap(), "q", 0.0, 100.0), Some(55.5));
        });
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("between 0 and 100"));
    }
}
