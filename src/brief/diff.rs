//! The paths a unified diff changes: `git diff` output (with renames, copies, deletions,
//! binary files and quoted names) and plain `diff -u`. Only headers are read; hunks are
//! skipped by their line counts, so a removed line that reads `--- x` is never taken for
//! a header.
//!
//! A small parser rather than a crate: the unified-diff crates parse hunks into structures
//! we would throw away, and none of the ones looked at reads git's extended headers
//! (`rename from`, quoted names), which are what a pull request's diff is made of.

use std::collections::BTreeSet;

/// Why a diff could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum DiffError {
    /// Text with no diff header at all: not a diff (a log, a file given by mistake).
    NotADiff,
    /// A hunk header that does not parse, with its 1-based line.
    BadHunk(usize),
}

impl std::fmt::Display for DiffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiffError::NotADiff => write!(
                f,
                "this is not a unified diff: it has no `diff --git` or `---`/`+++` lines"
            ),
            DiffError::BadHunk(line) => {
                write!(f, "line {line}: a hunk header must read like `@@ -12,5 +12,7 @@`")
            }
        }
    }
}

/// Every path the diff changes, sorted: a file's new path, and its old path too when it was
/// renamed, copied from or deleted. An empty diff changes nothing.
pub fn changed_paths(diff: &str) -> Result<Vec<String>, DiffError> {
    let mut paths = BTreeSet::new();
    let mut saw_header = false;
    // In a `diff --git` block, names carry git's `a/` and `b/` prefixes.
    let mut git = false;
    let mut lines = diff.lines().enumerate().peekable();
    while let Some((number, line)) = lines.next() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            saw_header = true;
            git = true;
            paths.extend(git_header_paths(rest));
        } else if let Some(rest) = line
            .strip_prefix("rename from ")
            .or_else(|| line.strip_prefix("rename to "))
            .or_else(|| line.strip_prefix("copy from "))
            .or_else(|| line.strip_prefix("copy to "))
        {
            paths.insert(unquote(rest));
        } else if let Some(rest) = line.strip_prefix("--- ")
            && let Some((_, next)) = lines.peek()
            && let Some(new) = next.strip_prefix("+++ ")
        {
            saw_header = true;
            for name in [rest, new] {
                if let Some(path) = file_name(name, git) {
                    paths.insert(path);
                }
            }
            lines.next();
        } else if line.starts_with("@@") {
            let (old, new) = hunk_counts(line).ok_or(DiffError::BadHunk(number + 1))?;
            skip_hunk(&mut lines, old, new);
        }
    }
    if !saw_header && !diff.trim().is_empty() {
        return Err(DiffError::NotADiff);
    }
    paths.remove("");
    Ok(paths.into_iter().collect())
}

/// Consumes a hunk's lines: `old` lines that are context or removed, `new` that are
/// context or added. `\ No newline at end of file` counts for neither.
fn skip_hunk<'a>(lines: &mut impl Iterator<Item = (usize, &'a str)>, mut old: u64, mut new: u64) {
    while old > 0 || new > 0 {
        let Some((_, line)) = lines.next() else {
            return;
        };
        match line.as_bytes().first() {
            Some(b'-') => old = old.saturating_sub(1),
            Some(b'+') => new = new.saturating_sub(1),
            Some(b'\\') => {}
            // A context line (an empty one may have lost its leading space).
            _ => {
                old = old.saturating_sub(1);
                new = new.saturating_sub(1);
            }
        }
    }
}

/// The line counts of `@@ -12,5 +12,7 @@ ...` (a count left out is 1).
fn hunk_counts(line: &str) -> Option<(u64, u64)> {
    let mut words = line.strip_prefix("@@ ")?.split(' ');
    let old = words.next()?.strip_prefix('-')?;
    let new = words.next()?.strip_prefix('+')?;
    let count = |range: &str| -> Option<u64> {
        match range.split_once(',') {
            Some((start, count)) => {
                start.parse::<u64>().ok()?;
                count.parse().ok()
            }
            None => range.parse::<u64>().ok().map(|_| 1),
        }
    };
    Some((count(old)?, count(new)?))
}

/// The name on a `---` or `+++` line: `None` for `/dev/null`. A trailing tab and what
/// follows (`diff -u`'s timestamp) is not part of the name.
fn file_name(text: &str, git: bool) -> Option<String> {
    let name = if text.starts_with('"') {
        unquote(text)
    } else {
        text.split('\t').next().unwrap_or(text).trim_end().to_string()
    };
    if name == "/dev/null" {
        return None;
    }
    Some(if git {
        strip_git_prefix(&name).to_string()
    } else {
        name
    })
}

fn strip_git_prefix(name: &str) -> &str {
    name.strip_prefix("a/")
        .or_else(|| name.strip_prefix("b/"))
        .unwrap_or(name)
}

/// The names of `diff --git a/x b/y`, needed for changes without `---`/`+++` lines (binary
/// files, mode changes, pure renames). Unquoted names may hold spaces, so the line is split
/// where both halves name the same file; renames name theirs in `rename from`/`to` lines.
fn git_header_paths(rest: &str) -> Vec<String> {
    if rest.starts_with('"') {
        let (first, tail) = split_quoted(rest);
        let second = tail.trim_start();
        let second = if second.starts_with('"') {
            unquote(second)
        } else {
            second.to_string()
        };
        return [first, second]
            .iter()
            .map(|n| strip_git_prefix(n).to_string())
            .collect();
    }
    for (i, _) in rest.match_indices(" b/") {
        let (old, new) = (&rest[..i], &rest[i + 1..]);
        if strip_git_prefix(old) == strip_git_prefix(new) {
            return vec![strip_git_prefix(new).to_string()];
        }
    }
    // A rename with unquoted names: its `rename from`/`rename to` lines give both.
    Vec::new()
}

/// A C-style quoted name as git writes one (`"caf\303\251 menu.txt"`), unquoted; text that
/// is not quoted comes back as it is.
fn unquote(text: &str) -> String {
    if text.starts_with('"') {
        split_quoted(text).0
    } else {
        text.to_string()
    }
}

/// The quoted string at the start of `text` (which starts with `"`), unescaped, and what
/// follows it. Escapes are ASCII, so the name is read byte by byte; `\303\251` are the two
/// bytes of `é`.
fn split_quoted(text: &str) -> (String, &str) {
    let bytes = text.as_bytes();
    let mut name = Vec::new();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return (String::from_utf8_lossy(&name).into_owned(), &text[i + 1..]),
            b'\\' if i + 1 < bytes.len() => {
                let escaped = bytes[i + 1];
                i += 2;
                match escaped {
                    b'n' => name.push(b'\n'),
                    b't' => name.push(b'\t'),
                    b'r' => name.push(b'\r'),
                    b'a' => name.push(7),
                    b'b' => name.push(8),
                    b'f' => name.push(12),
                    b'v' => name.push(11),
                    b'0'..=b'7' => {
                        let mut value = u32::from(escaped - b'0');
                        for _ in 0..2 {
                            match bytes.get(i) {
                                Some(d @ b'0'..=b'7') => {
                                    value = value * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        name.push(u8::try_from(value).unwrap_or(u8::MAX));
                    }
                    other => name.push(other),
                }
            }
            byte => {
                name.push(byte);
                i += 1;
            }
        }
    }
    (String::from_utf8_lossy(&name).into_owned(), "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_git_diff_with_renames_deletions_and_binary_files() {
        let diff = r#"diff --git a/services/checkout/handler.go b/services/checkout/handler.go
index 83db48f..bf269f4 100644
--- a/services/checkout/handler.go
+++ b/services/checkout/handler.go
@@ -1,3 +1,3 @@
 package checkout
--- not a header: a removed line that starts with two dashes
+++ nor this: an added one
diff --git a/libs/cart/old.rs b/libs/cart/new.rs
similarity index 90%
rename from libs/cart/old.rs
rename to libs/cart/new.rs
diff --git a/docs/old notes.md b/docs/old notes.md
deleted file mode 100644
--- a/docs/old notes.md
+++ /dev/null
@@ -1 +0,0 @@
-gone
diff --git a/assets/logo.png b/assets/logo.png
Binary files a/assets/logo.png and b/assets/logo.png differ
diff --git "a/caf\303\251/menu.txt" "b/caf\303\251/menu.txt"
new file mode 100644
--- /dev/null
+++ "b/caf\303\251/menu.txt"
@@ -0,0 +1 @@
+espresso
"#;
        assert_eq!(
            changed_paths(diff).unwrap(),
            [
                "assets/logo.png",
                "café/menu.txt",
                "docs/old notes.md",
                "libs/cart/new.rs",
                "libs/cart/old.rs",
                "services/checkout/handler.go",
            ]
        );
    }

    #[test]
    fn reads_plain_diff_u_with_timestamps() {
        let diff = "--- src/a.c\t2024-03-08 10:00:00.000000000 +0100\n+++ src/a.c\t2024-03-08 10:05:00.000000000 +0100\n@@ -1 +1 @@\n-x\n+y\n";
        assert_eq!(changed_paths(diff).unwrap(), ["src/a.c"]);
    }

    #[test]
    fn an_empty_diff_changes_nothing_and_prose_is_not_a_diff() {
        assert_eq!(changed_paths("").unwrap(), Vec::<String>::new());
        assert_eq!(changed_paths("hello\nworld\n"), Err(DiffError::NotADiff));
        assert_eq!(
            changed_paths("--- a\n+++ b\n@@ -x +1 @@\n"),
            Err(DiffError::BadHunk(3))
        );
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(text in "(?s).{0,400}") {
            let _ = changed_paths(&text);
        }

        #[test]
        fn never_panics_on_diff_like_lines(lines in proptest::collection::vec(
            prop_oneof![
                Just("diff --git a/x b/x".to_string()),
                Just("--- a/x".to_string()),
                Just("+++ b/y".to_string()),
                Just("@@ -1,2 +1,3 @@".to_string()),
                Just("rename from \"q\\".to_string()),
                "[-+ @\\\\\"a-z/]{0,12}",
            ],
            0..30,
        )) {
            let _ = changed_paths(&lines.join("\n"));
        }

        #[test]
        fn finds_every_changed_file(names in proptest::collection::btree_set("[a-z]{1,6}(/[a-z]{1,6}){0,2}\\.[a-z]{1,3}", 1..6)) {
            let mut diff = String::new();
            for name in &names {
                diff.push_str(&format!(
                    "diff --git a/{name} b/{name}\n--- a/{name}\n+++ b/{name}\n@@ -1,2 +1,2 @@\n-old\n--- a/fake\n+new\n+++ b/fake\n"
                ));
            }
            let found = changed_paths(&diff).unwrap();
            prop_assert_eq!(found, names.into_iter().collect::<Vec<_>>());
        }
    }
}
