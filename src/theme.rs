//! The theme a build renders with: the default theme embedded in the binary
//! (`themes/default/`), with the site's `templates/` overriding any template by name and its
//! `static/` adding files. Loaded once, before the model is rendered, so rendering reads
//! nothing from disk: a template error is found here, with its file, before any page is made.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use tera::Tera;

use crate::diagnostic::{Code, Diagnostic};
use crate::site::url;

static DEFAULT: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

pub struct Theme {
    pub tera: Tera,
    /// Names of the templates the site's `templates/` replaces: errors in them name that file.
    overridden: BTreeSet<String>,
    /// Every static file, theme's then site's, in output order.
    pub assets: Vec<Asset>,
}

/// A static file of the output.
pub struct Asset {
    /// Where it goes in the output.
    pub path: String,
    pub source: Source,
}

pub enum Source {
    /// The default theme's files, in the binary.
    Embedded(&'static [u8]),
    /// A file of the site's `static/`, copied as it is when the output is written.
    File(PathBuf),
}

impl Theme {
    /// The default theme with the overrides and static files of the site at `site_root`.
    pub fn load(site_root: &Path) -> Result<Theme, Vec<Diagnostic>> {
        let mut templates: Vec<(String, String, PathBuf)> = Vec::new();
        if let Some(dir) = DEFAULT.get_dir("templates") {
            for file in dir.files() {
                let name = file.path().strip_prefix("templates").unwrap_or(file.path());
                let text = without_indentation(file.contents_utf8().unwrap_or_default());
                templates.push((
                    name.to_string_lossy().into_owned(),
                    text,
                    PathBuf::from("(theme)").join(file.path()),
                ));
            }
        }
        let mut diagnostics = Vec::new();
        let mut overridden = BTreeSet::new();
        let overrides = site_root.join("templates");
        for (path, name) in site_files(&overrides) {
            let display = Path::new("templates").join(&name);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    templates.retain(|(n, _, _)| *n != name);
                    overridden.insert(name.clone());
                    templates.push((name, text, display));
                }
                Err(e) => diagnostics.push(Diagnostic::error(
                    Code::Template,
                    display,
                    format!("cannot read the template: {e}"),
                )),
            }
        }
        if !diagnostics.is_empty() {
            return Err(diagnostics);
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".xml"]);
        tera.set_escape_fn(escape_html);
        let raw: Vec<(&str, &str)> = templates
            .iter()
            .map(|(n, t, _)| (n.as_str(), t.as_str()))
            .collect();
        if let Err(e) = tera.add_raw_templates(raw) {
            return Err(vec![template_diagnostic(&e, &templates)]);
        }

        let mut assets = Vec::new();
        if let Some(dir) = DEFAULT.get_dir("static") {
            for file in embedded_files(dir) {
                let relative = file.path().strip_prefix("static").unwrap_or(file.path());
                assets.push(Asset {
                    path: url::asset(&relative.to_string_lossy()),
                    source: Source::Embedded(file.contents()),
                });
            }
        }
        // The site's own static files go to the root of the output, as they are laid out;
        // one at the path of a theme asset (static/assets/style.css) replaces it, so that
        // every output file has one source.
        for (path, name) in site_files(&site_root.join("static")) {
            assets.retain(|asset| asset.path != name);
            assets.push(Asset {
                path: name,
                source: Source::File(path),
            });
        }
        Ok(Theme {
            tera,
            overridden,
            assets,
        })
    }

    /// Where a template comes from, for an error message.
    pub fn template_file(&self, name: &str) -> PathBuf {
        if self.overridden.contains(name) {
            Path::new("templates").join(name)
        } else {
            PathBuf::from("(theme)/templates").join(name)
        }
    }
}

/// The default theme's templates are indented for the people who change them; the
/// indentation would be sent with every page (about 1% of a large site's HTML). Lines stay
/// where they are, so a template error's line number still points at the file. The theme
/// has no `<pre>` or `<textarea>`, whose leading spaces would be content (a test keeps it
/// so). A site's own templates are written out as they are.
fn without_indentation(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    for line in template.split_inclusive('\n') {
        out.push_str(line.trim_start_matches([' ', '\t']));
    }
    out
}

/// The files under a site folder (none when it is missing), sorted, each with its
/// `/`-separated path inside the folder.
fn site_files(dir: &Path) -> Vec<(PathBuf, String)> {
    if !dir.is_dir() {
        return Vec::new();
    }
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let name = entry
                .path()
                .strip_prefix(dir)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .replace('\\', "/");
            (entry.into_path(), name)
        })
        .collect()
}

fn embedded_files<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut files: Vec<_> = dir.files().collect();
    for sub in dir.dirs() {
        files.extend(embedded_files(sub));
    }
    files
}

/// Tera's default escaper also turns `/` into `&#x2F;`, which bloats every URL; these five
/// characters are all that HTML text and double- or single-quoted attributes need.
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    // The five are ASCII, so the runs between them are whole characters, copied at once.
    let mut copied = 0;
    for (at, byte) in input.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&input[copied..at]);
        out.push_str(entity);
        copied = at + 1;
    }
    out.push_str(&input[copied..]);
    out
}

fn template_diagnostic(e: &tera::Error, templates: &[(String, String, PathBuf)]) -> Diagnostic {
    let message = error_chain(e);
    let file = templates
        .iter()
        .find(|(name, _, _)| message.contains(&format!("'{name}'")))
        .map_or_else(|| PathBuf::from("templates"), |(_, _, path)| path.clone());
    Diagnostic::error(Code::Template, file, format!("invalid template: {message}"))
        .hint("templates use Tera syntax: https://keats.github.io/tera/docs/")
}

/// A Tera error with its causes, which hold the line and what went wrong.
pub fn error_chain(e: &tera::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn escaped_text_has_no_markup_and_reads_back_as_written(text in "[a&<>\"'é /]{0,24}") {
            let escaped = escape_html(&text);
            proptest::prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
            let read = escaped
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            proptest::prop_assert_eq!(read, text);
        }
    }

    #[test]
    fn a_site_file_at_a_theme_assets_path_replaces_it() {
        let site = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(site.path().join("static/assets")).unwrap();
        std::fs::write(site.path().join("static/assets/style.css"), "body { color: red }").unwrap();
        let theme = Theme::load(site.path()).expect("a theme");
        let styles: Vec<&Asset> = theme
            .assets
            .iter()
            .filter(|asset| asset.path == "assets/style.css")
            .collect();
        assert_eq!(styles.len(), 1, "one source per output file");
        assert!(matches!(styles[0].source, Source::File(_)), "the site's own");
    }

    #[test]
    fn indentation_is_dropped_and_lines_stay_where_they_are() {
        let template = "<ul>\n  {%- for x in xs %}\n\t<li>{{ x }}</li>\n  {%- endfor %}\n</ul>\n";
        let flat = without_indentation(template);
        assert_eq!(
            flat,
            "<ul>\n{%- for x in xs %}\n<li>{{ x }}</li>\n{%- endfor %}\n</ul>\n"
        );
        assert_eq!(flat.lines().count(), template.lines().count());
    }

    /// `without_indentation` would change what a `<pre>` or `<textarea>` shows.
    #[test]
    fn the_default_theme_has_no_text_whose_indentation_is_content() {
        let templates = DEFAULT.get_dir("templates").expect("templates");
        for file in templates.files() {
            let text = file.contents_utf8().expect("UTF-8").to_ascii_lowercase();
            for tag in ["<pre", "<textarea"] {
                assert!(!text.contains(tag), "{}: {tag}", file.path().display());
            }
        }
    }
}
