//! Leaked secrets (PM201..PM207). Postmortems quote logs and configs, and the archive is
//! read company-wide. The whole file is scanned (front matter and body, code included) for
//! known credential shapes; code blocks and code spans are also scanned for long random
//! strings. A finding names the kind and the place, never the secret: the human report does
//! not show the source line of these codes either.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use std::path::Path;

use crate::content::Source;
use crate::content::inputs::PublishedFile;
use crate::diagnostic::{Code, Diagnostic, Location};

struct Pattern {
    code: Code,
    kind: &'static str,
    regex: Regex,
    /// The capture group holding the secret, when the match also holds its context
    /// (`password=` before the value). Placeholders there are not secrets.
    value_group: Option<usize>,
}

// Word boundaries are ASCII (`(?-u:\b)`): the shapes are ASCII, and Unicode boundaries would
// keep the fast regex engines off any text with a non-ASCII character.
static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let p = |code, kind, regex: &str, value_group| Pattern {
        code,
        kind,
        regex: Regex::new(regex).expect("valid regex"),
        value_group,
    };
    vec![
        p(
            Code::AwsKey,
            "an AWS access key id",
            r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?-u:\b)",
            None,
        ),
        p(
            Code::PrivateKey,
            "a private key block",
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
            None,
        ),
        p(
            Code::ServiceToken,
            "a GitHub token",
            r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})(?-u:\b)",
            None,
        ),
        p(
            Code::ServiceToken,
            "a GitLab token",
            r"(?-u:\b)glpat-[A-Za-z0-9_-]{20,}",
            None,
        ),
        p(
            Code::ServiceToken,
            "a Slack token",
            r"(?-u:\b)xox[abposr]-[A-Za-z0-9-]{10,}",
            None,
        ),
        p(
            Code::ServiceToken,
            "a Slack webhook URL",
            r"https://hooks\.slack\.com/services/T[A-Za-z0-9]+/B[A-Za-z0-9]+/[A-Za-z0-9]{12,}",
            None,
        ),
        p(
            Code::Jwt,
            "a JSON Web Token",
            r"(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
            None,
        ),
        p(
            Code::ConnectionPassword,
            "a password in a connection string",
            r#"(?-u:\b)[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@"'<>]+:([^\s@/"'<>]+)@"#,
            Some(1),
        ),
        p(
            Code::SecretAssignment,
            "a secret assigned a literal value",
            r#"(?i)(?-u:\b)(?:[a-z0-9]+[_.-])*(?:password|passwd|pwd|secret|secret[_-]?key|secret[_-]access[_-]key|client[_-]secret|api[_-]?key|private[_-]?key|(?:access|auth|api|refresh|bearer)[_-]?token)(?-u:\b)["']?[ \t]*[:=][ \t]*("[^"\n]*"|'[^'\n]*'|[^\s"',;]+)"#,
            Some(1),
        ),
    ]
});

/// A value that stands for a secret without being one: `<redacted>`, `***`, `${DB_PASS}`.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'').trim();
    let lower = v.to_lowercase();
    v.is_empty()
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('[') && v.ends_with(']'))
        || v.starts_with("${")
        || v.starts_with("{{")
        || v.starts_with("%(")
        || v.starts_with('%')
        || (v.starts_with('$') && v[1..].chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        || v.chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '•' | '…' | '#' | '-' | '_'))
        || [
            "redacted",
            "removed",
            "hidden",
            "placeholder",
            "none",
            "null",
            "nil",
            "true",
            "false",
            "changeme",
            "secret",
            "password",
            "example",
        ]
        .contains(&lower.as_str())
        || lower.contains("redacted")
        || lower.starts_with("env(")
        || lower.starts_with("os.environ")
        || lower.starts_with("process.env")
}

pub fn scan(source: &Source, body: &str, found: &mut Vec<Diagnostic>) {
    // Front matter and body are scanned apart (no shape spans the `+++` line between them),
    // which spares a copy of every file.
    let parts = [(source.head(), 0), (body, source.body_offset)];
    let mut report = reporter(
        &source.path,
        "is in the postmortem",
        |range| source.location(range),
        found,
    );
    scan_patterns(&parts, &mut report);
    for range in source.outline.code.iter().cloned() {
        let code = &body[range.start - source.body_offset..range.end - source.body_offset];
        for token in random_tokens(code) {
            let token = token.start + range.start..token.end + range.start;
            report(
                Code::HighEntropy,
                "a long random-looking string (a key or token?)",
                token,
            );
        }
    }
}

/// The credential shapes over a file the build publishes as it is (an attachment, a file
/// of `static/`). Random-looking strings are not looked for: such files are often data.
pub fn scan_published(file: &PublishedFile, found: &mut Vec<Diagnostic>) {
    let mut report = reporter(
        &file.path,
        "is in this file, which the site publishes",
        |range| Location::of(&file.text, range),
        found,
    );
    scan_patterns(&[(&file.text, 0)], &mut report);
}

/// Reports a finding once (a span already flagged is skipped), naming the kind and the
/// place, never the secret.
fn reporter<'a>(
    path: &'a Path,
    where_: &'a str,
    locate: impl Fn(Range<usize>) -> Location + 'a,
    found: &'a mut Vec<Diagnostic>,
) -> impl FnMut(Code, &str, Range<usize>) + 'a {
    let mut flagged: Vec<Range<usize>> = Vec::new();
    move |code, kind, range| {
        if flagged.iter().any(|f| f.start < range.end && range.start < f.end) {
            return;
        }
        flagged.push(range.clone());
        found.push(
            Diagnostic::policy(code, path, format!("{kind} {where_}"))
                .at(locate(range))
                .hint("remove it, write <redacted> in its place, and rotate it: the archive is read company-wide and kept in version control"),
        );
    }
}

/// Every credential shape in `parts` (texts and their offsets in the file), placeholders
/// left out.
fn scan_patterns(parts: &[(&str, usize)], report: &mut dyn FnMut(Code, &str, Range<usize>)) {
    for pattern in PATTERNS.iter() {
        for &(text, offset) in parts {
            for captures in pattern.regex.captures_iter(text) {
                let range = match pattern.value_group.and_then(|g| captures.get(g)) {
                    Some(value) if is_placeholder(value.as_str()) => continue,
                    Some(value) => value.range(),
                    None => captures.get(0).expect("group 0").range(),
                };
                report(
                    pattern.code,
                    pattern.kind,
                    range.start + offset..range.end + offset,
                );
            }
        }
    }
}

/// Bits of Shannon entropy per character.
pub fn entropy(text: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut total = 0usize;
    for c in text.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// Tokens that look like keys: at least 24 characters of letters, digits and `+/=_-`,
/// mixing upper case, lower case and digits, with more than 4 bits of entropy per
/// character. Hex strings (commit hashes, digests) and UUIDs have at most 4 bits and are
/// skipped outright.
pub fn random_tokens(text: &str) -> Vec<Range<usize>> {
    static TOKEN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/=_-]{24,}").expect("valid regex"));
    TOKEN
        .find_iter(text)
        .filter(|m| {
            let t = m.as_str();
            let is_hex = t.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
            !is_hex
                && !t.contains("//")
                && t.chars().any(|c| c.is_ascii_uppercase())
                && t.chars().any(|c| c.is_ascii_lowercase())
                && t.chars().any(|c| c.is_ascii_digit())
                && entropy(t) > 4.0
        })
        .map(|m| m.range())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_not_secrets() {
        for p in [
            "<redacted>",
            "***",
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "\"\"",
            "xxxx",
            "[REDACTED]",
            "{{ vault }}",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for s in ["hunter2", "\"s3cr3t-Pa55\"", "prod-db-2024"] {
            assert!(!is_placeholder(s), "{s}");
        }
    }

    #[test]
    fn assignments_are_found_with_prefixed_names_and_never_as_prose() {
        let regex = &PATTERNS
            .iter()
            .find(|p| p.code == Code::SecretAssignment)
            .unwrap()
            .regex;
        let values =
            |text: &str| -> Vec<String> { regex.captures_iter(text).map(|c| c[1].to_string()).collect() };
        assert_eq!(values("aws_secret_access_key = wJalrXUtnFEMI"), ["wJalrXUtnFEMI"]);
        assert_eq!(
            values("DB_PASSWORD=hunter2 and api-key: 'k3y'"),
            ["hunter2", "'k3y'"]
        );
        assert_eq!(values("\"client_secret\": \"abc\""), ["\"abc\""]);
        assert!(values("the password was rotated; a secret santa").is_empty());
    }

    #[test]
    fn random_tokens_skip_hashes_uuids_and_words() {
        assert_eq!(random_tokens("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").len(), 1);
        assert!(random_tokens("3f2b9c1d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c").is_empty());
        assert!(random_tokens("123e4567-e89b-12d3-a456-426614174000").is_empty());
        assert!(random_tokens("checkout_session_timeout_seconds_total").is_empty());
        assert!(
            random_tokens("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
                .is_empty()
        );
    }
}
