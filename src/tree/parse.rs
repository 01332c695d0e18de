//! TOML and YAML text into a [`Node`] tree with byte spans.
//!
//! YAML is parsed with `saphyr`: serde_yaml is archived, and saphyr is the maintained
//! successor of yaml-rust that keeps a source position on every node, which is what lets a
//! YAML error point at the right line.

use std::ops::Range;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use super::node::{Entry, Node, Value};
use crate::content::moment::{impossible, impossible_date};

/// A problem with the text's syntax, located in the file.
#[derive(Debug, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Range<usize>,
    pub hint: Option<String>,
}

pub fn parse_toml(text: &str, offset: usize) -> Result<Node, Vec<SyntaxError>> {
    let (table, errors) = toml::de::DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        return Err(errors
            .iter()
            .map(|e| {
                let span = e.span().unwrap_or_else(|| deepest_line(text));
                let shifted = shift(span.clone(), offset);
                // toml says "expected day between 01 and 30"; a person needs the why.
                if let Some(why) = text.get(span.clone()).and_then(impossible) {
                    let key = key_of_line(&text[..span.start]);
                    let (message, hint) = impossible_date(key, &text[span], &why);
                    return SyntaxError {
                        message,
                        span: shifted,
                        hint: Some(hint.into()),
                    };
                }
                SyntaxError {
                    message: format!("invalid TOML: {}", e.message().trim_end()),
                    span: shifted,
                    hint: Some(
                        "check quoting and brackets; strings need double quotes, \
                         lists look like [\"a\", \"b\"]"
                            .into(),
                    ),
                }
            })
            .collect());
    }
    let span = shift(table.span(), offset);
    Ok(Node {
        value: toml_table(table.get_ref(), offset),
        span,
    })
}

/// The line that nests deepest (most `.`, `[` and `{`): where an error without a place,
/// toml's "recursion limit", comes from.
fn deepest_line(text: &str) -> Range<usize> {
    let mut start = 0;
    let mut deepest = (0, 0..0);
    for line in text.split_inclusive('\n') {
        let depth = line.matches(['.', '[', '{']).count();
        if depth > deepest.0 {
            deepest = (depth, start..start + line.trim_end().len());
        }
        start += line.len();
    }
    deepest.1
}

/// The key before a value (`started_at` in `started_at = `, `at` in `{ at = `), if any.
fn key_of_line(before_value: &str) -> Option<&str> {
    let line = before_value.rsplit('\n').next().unwrap_or_default();
    let key = line.trim_end().strip_suffix('=')?.trim_end();
    let start = key
        .rfind(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .map_or(0, |i| i + 1);
    Some(&key[start..]).filter(|k| !k.is_empty())
}

fn shift(span: Range<usize>, offset: usize) -> Range<usize> {
    span.start + offset..span.end + offset
}

fn toml_table(table: &toml::de::DeTable<'_>, offset: usize) -> Value {
    let mut entries: Vec<Entry> = table
        .iter()
        .map(|(key, value)| Entry {
            key: key.get_ref().to_string(),
            key_span: shift(key.span(), offset),
            node: toml_node(value, offset),
        })
        .collect();
    // The map is ordered by key; authors think in file order.
    entries.sort_by_key(|e| e.key_span.start);
    Value::Table(entries)
}

fn toml_node(value: &toml::Spanned<toml::de::DeValue<'_>>, offset: usize) -> Node {
    use toml::de::DeValue;
    let span = shift(value.span(), offset);
    let value = match value.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(i) => Value::Integer(i),
            Err(_) => Value::Float(f64::INFINITY),
        },
        DeValue::Float(f) => Value::Float(f.as_str().replace('_', "").parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(items) => Value::Array(items.iter().map(|v| toml_node(v, offset)).collect()),
        DeValue::Table(t) => toml_table(t, offset),
    };
    Node { value, span }
}

pub fn parse_yaml(text: &str, offset: usize) -> Result<Node, Vec<SyntaxError>> {
    if let Some(at) = too_deep_yaml(text) {
        let at = offset + at;
        return Err(vec![SyntaxError {
            message: format!("the YAML is indented or nested too deeply (past column {MAX_YAML_COLUMN})"),
            span: at..at,
            hint: Some("front matter needs only a few levels: `key: value`, lists and small tables".into()),
        }]);
    }
    let to_bytes = CharToByte::new(text, offset);
    let documents = match MarkedYaml::load_from_str(text) {
        Ok(documents) => documents,
        Err(e) => {
            let at = to_bytes.byte(e.marker().index());
            return Err(vec![SyntaxError {
                message: format!("invalid YAML: {}", e.info()),
                span: at..at,
                hint: Some("check indentation and quoting; keys look like `title: text`".into()),
            }]);
        }
    };
    let whole = offset..offset + text.len();
    match documents.into_iter().next() {
        None => Ok(Node {
            value: Value::Table(Vec::new()),
            span: whole,
        }),
        Some(root) => {
            let node = yaml_node(&root, &to_bytes);
            match node.value {
                Value::Table(_) => Ok(node),
                Value::Null => Ok(Node {
                    value: Value::Table(Vec::new()),
                    span: whole,
                }),
                other => Err(vec![SyntaxError {
                    message: format!("the front matter is {}, not a set of keys", other.type_name()),
                    span: node.span,
                    hint: Some("write one `key: value` per line".into()),
                }]),
            }
        }
    }
}

fn yaml_node(node: &MarkedYaml<'_>, to_bytes: &CharToByte<'_>) -> Node {
    let start = to_bytes.byte(node.span.start.index());
    let end = to_bytes.byte(node.span.end.index()).max(start);
    let value = match &node.data {
        YamlData::Value(scalar) => yaml_scalar(scalar),
        YamlData::Representation(text, _, _) => Value::String(text.to_string()),
        YamlData::Sequence(items) => Value::Array(items.iter().map(|n| yaml_node(n, to_bytes)).collect()),
        YamlData::Mapping(map) => Value::Table(
            map.iter()
                .map(|(k, v)| {
                    let key = yaml_node(k, to_bytes);
                    let name = match &key.value {
                        Value::String(s) => s.clone(),
                        Value::Integer(i) => i.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Float(f) => f.to_string(),
                        other => other.type_name().to_string(),
                    };
                    Entry {
                        key: name,
                        key_span: key.span,
                        node: yaml_node(v, to_bytes),
                    }
                })
                .collect(),
        ),
        YamlData::Tagged(_, inner) => return yaml_node(inner, to_bytes),
        // saphyr knows the core schema's `!!timestamp` but leaves its values unparsed.
        YamlData::BadValue => to_bytes
            .slice(start..end)
            .trim_start()
            .strip_prefix("!!timestamp")
            .map_or(Value::Null, |date| Value::Datetime(date.trim().to_string())),
        YamlData::Alias(_) => Value::Null,
    };
    Node {
        value,
        span: start..end,
    }
}

fn yaml_scalar(scalar: &Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Integer(*i),
        Scalar::FloatingPoint(f) => Value::Float(f.into_inner()),
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

/// saphyr stops flow nesting (`[[[`) at 255 levels, but loads block nesting (`- - - x`, or
/// ever deeper indentation) recursively without a limit: a few thousand levels, a 20 kB file,
/// overflow the stack and abort the whole build. Block collections nest at strictly
/// increasing columns (a sequence may share its mapping's column), so capping the column at
/// which one can start caps the depth at 2 * (column + 1) + 1 block levels, plus 255 flow
/// levels: well within a 2 MiB thread stack even in a debug build.
const MAX_YAML_COLUMN: usize = 100;

/// Byte offset of the first place where a block collection could start past
/// [`MAX_YAML_COLUMN`]: after a line's indentation and its chain of `- `, `? `, `: ` (and
/// `--- `) indicators, the only places a block collection can start. Columns are counted in
/// characters like saphyr's; lines inside scalars are counted too, which can only
/// over-estimate.
fn too_deep_yaml(text: &str) -> Option<usize> {
    let mut line_start = 0;
    for line in text.split(['\n', '\r']) {
        let mut column = 0;
        let mut chars = line.char_indices().peekable();
        loop {
            while chars
                .next_if(|(_, c)| matches!(c, ' ' | '\t' | '\u{feff}'))
                .is_some()
            {
                column += 1;
            }
            let Some(&(i, c)) = chars.peek() else { break };
            if c == '#' {
                break;
            }
            if column > MAX_YAML_COLUMN {
                return Some(line_start + i);
            }
            let rest = &line[i..];
            let width = if column == 0 && (rest.starts_with("---") || rest.starts_with("...")) {
                3
            } else if matches!(c, '-' | '?' | ':') {
                1
            } else {
                break;
            };
            if !matches!(rest[width..].chars().next(), None | Some(' ' | '\t')) {
                break;
            }
            for _ in 0..width {
                chars.next();
            }
            column += width;
        }
        line_start += line.len() + 1;
    }
    None
}

/// saphyr reports positions in characters; diagnostics work in bytes.
struct CharToByte<'a> {
    text: &'a str,
    offset: usize,
}

impl<'a> CharToByte<'a> {
    fn new(text: &'a str, offset: usize) -> Self {
        CharToByte { text, offset }
    }

    /// The text at a span of file offsets, as [`CharToByte::byte`] gives them.
    fn slice(&self, span: std::ops::Range<usize>) -> &'a str {
        self.text
            .get(span.start - self.offset..span.end - self.offset)
            .unwrap_or_default()
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.text.is_ascii() {
            return self.offset + char_index.min(self.text.len());
        }
        self.offset
            + self
                .text
                .char_indices()
                .nth(char_index)
                .map_or(self.text.len(), |(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_keys(node: &Node) -> Vec<&str> {
        match &node.value {
            Value::Table(entries) => entries.iter().map(|e| e.key.as_str()).collect(),
            _ => panic!("not a table"),
        }
    }

    #[test]
    fn toml_keys_keep_file_order_and_file_offsets() {
        let text = "+++\nzeta = 1\nalpha = \"a\"\n";
        let node = parse_toml(&text[4..], 4).unwrap();
        assert_eq!(table_keys(&node), ["zeta", "alpha"]);
        let Value::Table(entries) = &node.value else {
            unreachable!()
        };
        assert_eq!(&text[entries[1].key_span.clone()], "alpha");
        assert_eq!(&text[entries[1].node.span.clone()], "\"a\"");
    }

    #[test]
    fn toml_datetimes_keep_their_text() {
        let node = parse_toml("at = 1969-07-20T20:17:00Z\nd = 2019-06-14\n", 0).unwrap();
        let Value::Table(entries) = node.value else {
            unreachable!()
        };
        assert_eq!(
            entries[0].node.value,
            Value::Datetime("1969-07-20T20:17:00Z".into())
        );
        assert_eq!(entries[1].node.value, Value::Datetime("2019-06-14".into()));
    }

    #[test]
    fn an_impossible_toml_date_says_what_does_not_exist() {
        let errors = parse_toml("title = \"x\"\n[[timeline]]\nat = 2026-11-31T10:00:00Z\n", 4).unwrap_err();
        assert_eq!(
            errors[0].message,
            "`at` is not a date that exists: `2026-11-31T10:00:00Z`: November has 30 days"
        );
        assert_eq!(errors[0].span.start, 4 + 30);
        assert_eq!(key_of_line("x = [{ at = "), Some("at"));
        assert_eq!(key_of_line("dates = [2024-01-01, "), None);
    }

    #[test]
    fn toml_syntax_errors_are_all_reported_with_spans() {
        let errors = parse_toml("title = \"x\nseverity = \n", 10).unwrap_err();
        assert!(!errors.is_empty());
        assert!(errors.iter().all(|e| e.span.start >= 10));
    }

    #[test]
    fn yaml_maps_to_the_same_tree_with_byte_offsets() {
        let text = "---\ntitle: Café outage\ntags: [a, b]\nimpact:\n  users_affected: 3\n";
        let node = parse_yaml(&text[4..], 4).unwrap();
        assert_eq!(table_keys(&node), ["title", "tags", "impact"]);
        let Value::Table(entries) = &node.value else {
            unreachable!()
        };
        assert_eq!(&text[entries[1].key_span.clone()], "tags");
        let Value::Table(impact) = &entries[2].node.value else {
            panic!()
        };
        assert_eq!(impact[0].node.value, Value::Integer(3));
        assert_eq!(&text[impact[0].key_span.clone()], "users_affected");
    }

    #[test]
    fn yaml_dates_stay_strings() {
        let node = parse_yaml("started_at: 2019-06-14T10:00:00Z\n", 0).unwrap();
        let Value::Table(entries) = node.value else {
            unreachable!()
        };
        assert_eq!(
            entries[0].node.value,
            Value::String("2019-06-14T10:00:00Z".into())
        );
    }

    #[test]
    fn yaml_syntax_error_is_located() {
        let errors = parse_yaml("title: [unclosed\n", 4).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.starts_with("invalid YAML"));
    }

    #[test]
    fn yaml_that_is_not_a_mapping_is_an_error() {
        let errors = parse_yaml("- a\n- b\n", 0).unwrap_err();
        assert!(errors[0].message.contains("a list"));
    }

    #[test]
    fn yaml_nested_too_deeply_is_an_error_not_a_stack_overflow() {
        // 1,000 levels of `- ` (a 2 kB file) overflowed a 2 MiB stack in a debug build, 5,000
        // in a release build, and aborted the process.
        for text in [
            format!("extra:\n{}x\n", "- ".repeat(20_000)),
            format!("extra:\n{}x\n", "? ".repeat(20_000)),
            (0..200).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect(),
        ] {
            let errors = parse_yaml(&text, 4).unwrap_err();
            assert!(errors[0].message.contains("too deeply"), "{errors:?}");
            assert!(errors[0].span.start > 4 && errors[0].span.start <= 4 + text.len());
        }
    }

    #[test]
    fn yaml_depth_limit_leaves_real_front_matter_alone() {
        let long = "word: ".repeat(100);
        let blank = " ".repeat(300);
        let text = format!(
            "title: \"{long}\"\nsummary: |\n  {long}\n  - - - -\n{blank}# comment\n{blank}\n\
             timeline:\n- at: 2024-01-01\n  text: x\n"
        );
        assert!(parse_yaml(&text, 0).is_ok());
        // 20 levels of compact lists are deep, but not too deep.
        assert!(parse_yaml(&format!("extra: \n{}x\n", "- ".repeat(20)), 0).is_ok());
    }

    #[test]
    fn empty_yaml_is_an_empty_table() {
        assert_eq!(parse_yaml("", 0).unwrap().value, Value::Table(vec![]));
    }
}
