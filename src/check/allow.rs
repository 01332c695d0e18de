//! `<!-- pmsite-allow: PM101 quoting the customer's ticket -->`: an author's way to silence
//! one check on one line, with a reason a reviewer can judge.
//!
//! A comment alone on its line applies to the next non-blank line; a comment after other
//! text applies to its own line. In front matter, a `# pmsite-allow: ...` TOML/YAML comment
//! works the same way. Only policy checks (PM1xx..PM5xx) can be silenced: schema and link
//! errors make the site wrong.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::content::Source;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};

static ALLOW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"pmsite-allow:[ \t]*(?P<rest>.*?)[ \t]*(?:-->|$)").expect("valid regex"));
static CODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?:PM|pm)\d+$").expect("valid regex"));

#[derive(Default)]
pub struct Allows {
    /// (line, code) pairs that are silenced.
    silenced: BTreeSet<(usize, Code)>,
    /// Comments without a reason or naming no known check.
    pub problems: Vec<Diagnostic>,
}

impl Allows {
    pub fn parse(source: &Source, body: &str) -> Allows {
        let mut allows = Allows {
            silenced: BTreeSet::new(),
            problems: Vec::new(),
        };
        // Most files have no comment: spare them a regex search per line.
        if !source.head().contains("pmsite-allow") && !body.contains("pmsite-allow") {
            return allows;
        }
        let mut lines: Vec<(usize, &str)> = line_starts(source.head(), 0);
        lines.extend(line_starts(body, source.body_offset));
        for (index, &(start, line)) in lines.iter().enumerate() {
            let Some(found) = ALLOW.captures(line) else {
                continue;
            };
            let whole = found.get(0).expect("group 0");
            let rest = found.name("rest").map_or("", |m| m.as_str());
            let at = source.location(start + whole.start()..start + whole.end());
            let before = line[..whole.start()].trim().trim_end_matches("<!--").trim();
            let alone = before.is_empty() || before == "#";
            let target = if alone {
                lines[index + 1..]
                    .iter()
                    .position(|(_, l)| !l.trim().is_empty())
                    .map_or(index + 1, |i| index + 1 + i)
            } else {
                index
            };
            let mut words = rest.split([' ', '\t', ',']).filter(|w| !w.is_empty()).peekable();
            let mut codes = Vec::new();
            while let Some(word) = words.next_if(|w| CODE.is_match(w)) {
                match Code::policy(&word.to_uppercase()) {
                    Some(code) if code != Code::AllowComment => codes.push(code),
                    _ => {
                        let names = Code::POLICY.iter().map(|c| c.as_str());
                        let hint = match did_you_mean(word, names) {
                            Some(near) => format!("did you mean `{near}`? Only policy checks (PM1xx to PM5xx) can be allowed"),
                            None => "only policy checks (PM1xx to PM5xx) can be allowed; schema and link errors must be fixed".into(),
                        };
                        allows.problems.push(
                            Diagnostic::policy(
                                Code::AllowComment,
                                &source.path,
                                format!("`pmsite-allow` names `{word}`, which cannot be allowed"),
                            )
                            .at(at.clone())
                            .hint(hint),
                        );
                    }
                }
            }
            let reason = words.collect::<Vec<_>>().join(" ");
            if codes.is_empty()
                && allows
                    .problems
                    .last()
                    .is_none_or(|d| d.location.as_ref() != Some(&at))
            {
                allows.problems.push(
                    Diagnostic::policy(Code::AllowComment, &source.path, "`pmsite-allow` names no check")
                        .at(at.clone())
                        .hint("write the code and why: <!-- pmsite-allow: PM101 quoting the vendor's report -->"),
                );
            } else if !codes.is_empty() && reason.is_empty() {
                allows.problems.push(
                    Diagnostic::policy(
                        Code::AllowComment,
                        &source.path,
                        "`pmsite-allow` gives no reason",
                    )
                    .at(at.clone())
                    .hint("say why the finding does not apply, after the code: <!-- pmsite-allow: PM101 quoting the vendor's report -->"),
                );
            }
            for code in codes {
                allows.silenced.insert((target + 1, code));
            }
        }
        allows
    }

    pub fn silences(&self, code: Code, line: usize) -> bool {
        self.silenced.contains(&(line, code))
    }
}

/// Every line with the file offset it starts at (line endings dropped).
fn line_starts(text: &str, offset: usize) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut start = offset;
    for line in text.split_inclusive('\n') {
        lines.push((start, line.trim_end_matches(['\n', '\r'])));
        start += line.len();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::content::parse_file;
    use std::path::Path;

    fn allows(body: &str) -> Allows {
        let text = format!(
            "+++\ntitle = \"t\"\nseverity = \"SEV3\"\nstarted_at = 2024-01-01\nsummary = \"s\"\n+++\n{body}"
        );
        let pm = parse_file(
            Path::new("postmortems/a.md"),
            "a.md".into(),
            &text,
            &Config::default(),
        )
        .postmortem
        .unwrap();
        Allows::parse(&pm.source, &pm.source.body.text())
    }

    #[test]
    fn a_comment_alone_covers_the_next_line_and_one_after_text_its_own() {
        let a = allows(
            "<!-- pmsite-allow: PM101, PM102 quoting the ticket -->\n\nhuman error\nx <!-- pmsite-allow: PM207 a test fixture -->\n",
        );
        assert!(a.problems.is_empty(), "{:?}", a.problems);
        assert!(a.silences(Code::BlamingLanguage, 9));
        assert!(a.silences(Code::PersonAsCause, 9));
        assert!(a.silences(Code::HighEntropy, 10));
        assert!(!a.silences(Code::BlamingLanguage, 10));
    }

    #[test]
    fn missing_reasons_and_unknown_codes_are_reported() {
        let a = allows(
            "<!-- pmsite-allow: PM101 -->\nx\n<!-- pmsite-allow: PM002 fine -->\n<!-- pmsite-allow: -->\n",
        );
        let messages: Vec<_> = a.problems.iter().map(|d| (d.line(), &*d.message)).collect();
        assert_eq!(
            messages,
            [
                (7, "`pmsite-allow` gives no reason"),
                (9, "`pmsite-allow` names `PM002`, which cannot be allowed"),
                (10, "`pmsite-allow` names no check"),
            ]
        );
        assert!(
            a.silences(Code::BlamingLanguage, 8),
            "still silences, with a warning"
        );
    }
}
