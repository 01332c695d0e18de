//! Splitting a postmortem file into front matter (TOML between `+++`, or YAML between `---`)
//! and body.

use crate::tree::{self, Node, SyntaxError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

/// A file cut in two. Offsets are bytes into the whole file, so that spans found while
/// parsing either part can be reported against the file.
#[derive(Debug)]
pub struct Split<'a> {
    pub format: Format,
    pub front_matter: &'a str,
    pub front_matter_offset: usize,
    pub body: &'a str,
    pub body_offset: usize,
}

pub fn split(text: &str) -> Result<Split<'_>, SyntaxError> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let (first_line, mut pos) = line_at(text, start);
    let format = match first_line.trim_end() {
        "+++" => Format::Toml,
        "---" => Format::Yaml,
        _ => {
            return Err(SyntaxError {
                message: "the file does not start with front matter".into(),
                span: start..start + first_line.len(),
                hint: Some(
                    "start the file with a `+++` line, the TOML keys (title, severity, \
                     started_at, summary), and another `+++` line; see docs/FORMAT.md"
                        .into(),
                ),
            });
        }
    };
    let delimiter = first_line.trim_end();
    let front_matter_offset = pos;
    while pos < text.len() {
        let (line, next) = line_at(text, pos);
        if line.trim_end() == delimiter {
            return Ok(Split {
                format,
                front_matter: &text[front_matter_offset..pos],
                front_matter_offset,
                body: &text[next..],
                body_offset: next,
            });
        }
        pos = next;
    }
    Err(SyntaxError {
        message: format!("the front matter opened with `{delimiter}` is never closed"),
        span: start..start + first_line.len(),
        hint: Some(format!(
            "add a line with only `{delimiter}` after the last front-matter key"
        )),
    })
}

/// The line starting at `pos` (without its line ending) and the offset of the next line.
fn line_at(text: &str, pos: usize) -> (&str, usize) {
    match text[pos..].find('\n') {
        Some(i) => {
            let line = &text[pos..pos + i];
            (line.strip_suffix('\r').unwrap_or(line), pos + i + 1)
        }
        None => (&text[pos..], text.len()),
    }
}

pub fn parse(split: &Split<'_>) -> Result<Node, Vec<SyntaxError>> {
    match split.format {
        Format::Toml => tree::parse_toml(split.front_matter, split.front_matter_offset),
        Format::Yaml => tree::parse_yaml(split.front_matter, split.front_matter_offset),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_toml_front_matter_and_body_with_offsets() {
        let text = "+++\ntitle = \"x\"\n+++\n# Body\n";
        let s = split(text).unwrap();
        assert_eq!(s.format, Format::Toml);
        assert_eq!(s.front_matter, "title = \"x\"\n");
        assert_eq!(&text[s.front_matter_offset..][..5], "title");
        assert_eq!(s.body, "# Body\n");
        assert_eq!(s.body_offset, 20);
    }

    #[test]
    fn accepts_crlf_and_a_byte_order_mark() {
        let text = "\u{feff}---\r\ntitle: x\r\n---\r\nbody";
        let s = split(text).unwrap();
        assert_eq!(s.format, Format::Yaml);
        assert_eq!(s.body, "body");
    }

    #[test]
    fn a_file_without_front_matter_is_an_error_with_a_hint() {
        let e = split("# Just markdown\n").unwrap_err();
        assert!(e.message.contains("does not start with front matter"));
        assert!(e.hint.unwrap().contains("+++"));
    }

    #[test]
    fn unterminated_front_matter_is_an_error() {
        let e = split("+++\ntitle = \"x\"\n").unwrap_err();
        assert!(e.message.contains("never closed"));
    }

    #[test]
    fn yaml_front_matter_spans_point_into_the_whole_file() {
        let text = "---\ntitle: Café outage\ntags: [a, b]\n---\n";
        let node = parse(&split(text).unwrap()).unwrap();
        let tree::Value::Table(entries) = &node.value else {
            panic!()
        };
        assert_eq!(&text[entries[1].key_span.clone()], "tags");
    }
}
