//! Diagnostics, rendered for people (rustc-style snippets with the source line and a caret),
//! for machines (`--format json`), and for GitHub Actions (`--format github` workflow
//! commands, which turn into annotations on the pull request's diff).

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level as SnippetLevel, Renderer, Snippet};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Level};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
}

/// The version of the `--format json` shape. Bump it on any incompatible change.
pub const JSON_VERSION: u32 = 1;

pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub files_with_problems: usize,
}

pub fn counts(diagnostics: &[Diagnostic]) -> Counts {
    let files: BTreeSet<&Path> = diagnostics.iter().map(|d| &*d.file).collect();
    Counts {
        errors: diagnostics.iter().filter(|d| d.level == Level::Error).count(),
        warnings: diagnostics.iter().filter(|d| d.level == Level::Warning).count(),
        files_with_problems: files.len(),
    }
}

/// Policy warnings a build counted but did not keep (`build::Options::policy_warnings_kept`):
/// how many, and which files they were about, so that summaries still add up.
#[derive(Clone, Debug, Default)]
pub struct LeftOut {
    pub warnings: usize,
    /// Each once, in the order of the diagnostics.
    pub files: Vec<Arc<Path>>,
}

/// `3 errors, 1 warning in 2 of 42 postmortems`.
pub fn summary(diagnostics: &[Diagnostic], left_out: &LeftOut, files: usize) -> String {
    let mut c = counts(diagnostics);
    c.warnings += left_out.warnings;
    let kept: BTreeSet<&Path> = diagnostics.iter().map(|d| &*d.file).collect();
    c.files_with_problems += left_out
        .files
        .iter()
        .filter(|f| !kept.contains(&**f as &Path))
        .count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {} in {} of {}",
        plural(c.errors, "error"),
        plural(c.warnings, "warning"),
        c.files_with_problems,
        plural(files, "postmortem")
    )
}

/// Where the files named in diagnostics are, and how to show their paths: relative to the
/// directory pmsite was run from, so that editors and CI annotations find them.
pub struct Paths {
    pub root: PathBuf,
}

impl Paths {
    pub fn display(&self, file: &Path) -> PathBuf {
        if file.starts_with("(theme)") || self.root == Path::new(".") || self.root.as_os_str().is_empty() {
            file.to_path_buf()
        } else {
            self.root.join(file)
        }
    }
}

pub fn human(out: &mut dyn Write, diagnostics: &[Diagnostic], paths: &Paths, styled: bool) -> io::Result<()> {
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    // Diagnostics come sorted by file: read each file once, not once per problem.
    let mut last_read: Option<(&Path, Option<String>)> = None;
    for d in diagnostics {
        let path = paths.display(&d.file).display().to_string();
        let level = match d.level {
            Level::Error => SnippetLevel::ERROR,
            Level::Warning => SnippetLevel::WARNING,
        };
        // A secret's source line would print the secret: show only where it is.
        let source = if d.location.is_some() && !d.code.is_secret() {
            if last_read.as_ref().is_none_or(|(file, _)| *file != &*d.file) {
                let text = std::fs::read_to_string(paths.root.join(&d.file)).ok();
                last_read = Some((&*d.file, text));
            }
            last_read.as_ref().and_then(|(_, text)| text.as_deref())
        } else {
            None
        };
        let label = d.field.as_ref().map(|f| format!("`{f}`")).unwrap_or_default();
        let mut groups = Vec::new();
        let title = level.primary_title(&*d.message).id(d.code.as_str());
        match (&d.location, source) {
            (Some(at), Some(text)) if at.bytes.end <= text.len() => {
                let span = if at.bytes.is_empty() {
                    widen(text, at.bytes.start)
                } else {
                    at.bytes.clone()
                };
                // Only the lines the span covers: the renderer reads all the text it is
                // given, which for every finding of a long file would be quadratic.
                let first = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
                let last = text[span.end..].find('\n').map_or(text.len(), |i| span.end + i);
                groups.push(
                    title.element(
                        Snippet::source(&text[first..last])
                            .line_start(at.line)
                            .path(path.as_str())
                            .annotation(
                                AnnotationKind::Primary
                                    .span(span.start - first..span.end - first)
                                    .label(label.as_str()),
                            ),
                    ),
                );
            }
            _ => {
                let place = match &d.location {
                    Some(at) => format!("{path}:{}:{}", at.line, at.column),
                    None => path.clone(),
                };
                groups.push(Group::with_title(title).element(annotate_snippets::Origin::path(place)));
            }
        }
        if let Some(hint) = &d.hint {
            groups.push(Group::with_title(SnippetLevel::HELP.secondary_title(&**hint)));
        }
        writeln!(out, "{}\n", renderer.render(&groups))?;
    }
    Ok(())
}

/// A zero-width span shows no caret; point at the rest of its line instead.
fn widen(text: &str, at: usize) -> std::ops::Range<usize> {
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    if end > at {
        at..end
    } else {
        at..(at + text[at..].chars().next().map_or(0, char::len_utf8))
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    summary: JsonSummary,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
    files_with_problems: usize,
    postmortems: usize,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    #[serde(flatten)]
    diagnostic: &'a Diagnostic,
    path: PathBuf,
}

pub fn json(out: &mut dyn Write, diagnostics: &[Diagnostic], paths: &Paths, files: usize) -> io::Result<()> {
    let c = counts(diagnostics);
    let report = JsonReport {
        version: JSON_VERSION,
        summary: JsonSummary {
            errors: c.errors,
            warnings: c.warnings,
            files_with_problems: c.files_with_problems,
            postmortems: files,
        },
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                diagnostic: d,
                path: paths.display(&d.file),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// GitHub workflow commands: `::error file=F,line=L,col=C,title=PM002::message`.
pub fn github(out: &mut dyn Write, diagnostics: &[Diagnostic], paths: &Paths) -> io::Result<()> {
    for d in diagnostics {
        let command = match d.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let mut properties = vec![format!(
            "file={}",
            escape_property(&paths.display(&d.file).to_string_lossy())
        )];
        if let Some(at) = &d.location {
            properties.push(format!("line={}", at.line));
            properties.push(format!("col={}", at.column));
        }
        properties.push(format!(
            "title={}",
            escape_property(&format!("pmsite {}", d.code))
        ));
        let mut message = d.message.to_string();
        if let Some(hint) = &d.hint {
            message.push_str("\nhint: ");
            message.push_str(hint);
        }
        writeln!(
            out,
            "::{command} {}::{}",
            properties.join(","),
            escape_data(&message)
        )?;
    }
    Ok(())
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Code, Location};

    fn sample() -> Vec<Diagnostic> {
        vec![
            Diagnostic::error(Code::UnknownKey, "postmortems/a.md", "unknown key `servics`")
                .at(Location::of("+++\nservics = 1\n", 4..11))
                .field("servics")
                .hint("did you mean `services`?"),
        ]
    }

    #[test]
    fn github_commands_escape_their_properties_and_data() {
        let mut out = Vec::new();
        let paths = Paths { root: "kb".into() };
        let mut d = sample();
        d[0].message = "50% off, really:\nyes".into();
        github(&mut out, &d, &paths).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "::error file=kb/postmortems/a.md,line=2,col=1,title=pmsite PM002::50%25 off, really:%0Ayes%0Ahint: did you mean `services`?\n"
        );
    }

    #[test]
    fn json_has_a_version_a_summary_and_flat_locations() {
        let mut out = Vec::new();
        json(&mut out, &sample(), &Paths { root: ".".into() }, 3).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["summary"]["errors"], 1);
        assert_eq!(v["summary"]["postmortems"], 3);
        let d = &v["diagnostics"][0];
        assert_eq!(d["code"], "PM002");
        assert_eq!(d["level"], "error");
        assert_eq!(d["line"], 2);
        assert_eq!(d["column"], 1);
        assert_eq!(d["field"], "servics");
        assert_eq!(d["path"], "postmortems/a.md");
    }

    #[test]
    fn summary_line_counts() {
        assert_eq!(
            summary(&sample(), &LeftOut::default(), 42),
            "1 error, 0 warnings in 1 of 42 postmortems"
        );
        // Warnings a build counted but did not keep still count, their files once each.
        let left_out = LeftOut {
            warnings: 3,
            files: ["postmortems/a.md", "postmortems/b.md"]
                .map(|f| Path::new(f).into())
                .into(),
        };
        assert_eq!(
            summary(&sample(), &left_out, 42),
            "1 error, 3 warnings in 2 of 42 postmortems"
        );
    }
}
