//! Authoring: `pmsite new` writes a postmortem from the blameless template, and `pmsite init`
//! creates a site that builds and passes `pmsite check --strict` from the first minute.
//!
//! The template is `themes/default/new.md` (Tera), overridden by a site's `templates/new.md`.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};

use crate::config::{self, Config};
use crate::content::POSTMORTEMS_DIR;
use crate::content::decode::id_slug;
use crate::diagnostic::did_you_mean;
use crate::theme::error_chain;

/// The blameless template; `check::unfilled` reads its guidance from it.
pub const NEW_TEMPLATE: &str = include_str!("../themes/default/new.md");
/// Where a site puts its own template for `pmsite new`.
pub const NEW_TEMPLATE_OVERRIDE: &str = "templates/new.md";

const INIT_CONFIG: &str = include_str!("../scaffold/pmsite.toml");
const INIT_POSTMORTEM: &str = include_str!("../scaffold/first-postmortem.md");
const INIT_POSTMORTEM_PATH: &str = "postmortems/2024/2024-01-15-public-api-certificate-expired.md";
const INIT_GITHUB: &str = include_str!("../scaffold/github-workflow.yml");
const INIT_GITLAB: &str = include_str!("../scaffold/gitlab-ci.yml");
const INIT_BRIEF: &str = include_str!("../scaffold/brief-workflow.yml");
const INIT_SERVICE_PATHS: &str = include_str!("../scaffold/pmsite-services.toml");

/// The pmsite release the workflows `pmsite init` writes install: the archives
/// `.github/workflows/release.yml` publishes for a version tag. Change `repository` here
/// when the project moves; the version is always the one that wrote the workflows.
pub const RELEASE: Release = Release {
    repository: "https://github.com/pmsite/pmsite",
    version: env!("CARGO_PKG_VERSION"),
};

pub struct Release {
    pub repository: &'static str,
    pub version: &'static str,
}

impl Release {
    /// Where the archives of every version are: `<this>/v<version>/<archive>`.
    pub fn downloads(&self) -> String {
        format!("{}/releases/download", self.repository)
    }
}

/// The commands that install the pinned release on a Linux x86_64 runner: download the
/// archive and its `.sha256`, refuse it unless the checksum matches, unpack.
const INSTALL: &[&str] = &[
    r#"archive="pmsite-v${PMSITE_VERSION}-x86_64-unknown-linux-gnu.tar.gz""#,
    r#"curl -fsSLO "$PMSITE_RELEASES/v${PMSITE_VERSION}/$archive""#,
    r#"curl -fsSLO "$PMSITE_RELEASES/v${PMSITE_VERSION}/$archive.sha256""#,
    r#"sha256sum --check "$archive.sha256""#,
];
const INIT_GITIGNORE: &str = "# pmsite build output, its search index, its lock and the cache of `pmsite brief`\n/public/\n/.public.search-index/\n/.public.pmsite-lock\n/.public.brief-cache/\n";
const GITIGNORE: &str = ".gitignore";

/// Why a scaffolding command did nothing. Nothing is written when one of these comes back.
#[derive(Debug)]
pub enum ScaffoldError {
    NotASite(PathBuf),
    /// pmsite.toml is invalid: its diagnostics say where.
    Config(config::ConfigError),
    Exists(PathBuf),
    Invalid {
        message: String,
        hint: String,
    },
    Template(String),
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for ScaffoldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScaffoldError::NotASite(root) => write!(
                f,
                "no {} in {}: run `pmsite init DIR` to create a site, or use --root DIR",
                config::FILE_NAME,
                root.display()
            ),
            ScaffoldError::Config(_) => write!(f, "{} is invalid", config::FILE_NAME),
            ScaffoldError::Exists(path) => {
                write!(f, "{} already exists; pmsite never overwrites it", path.display())
            }
            ScaffoldError::Invalid { message, hint } => write!(f, "{message}\n  help: {hint}"),
            ScaffoldError::Template(e) => {
                write!(f, "the postmortem template ({NEW_TEMPLATE_OVERRIDE}) failed: {e}")
            }
            ScaffoldError::Io(path, e) => write!(f, "cannot write {}: {e}", path.display()),
        }
    }
}

pub struct NewPostmortem<'a> {
    pub title: &'a str,
    pub severity: Option<&'a str>,
    pub services: &'a [String],
    pub date: NaiveDate,
}

/// Writes a new postmortem under `root`'s postmortems folder and returns its path relative
/// to `root`. Refuses to overwrite a file or reuse an id.
pub fn new_postmortem(root: &Path, new: &NewPostmortem<'_>) -> Result<PathBuf, ScaffoldError> {
    let config = match config::load(root) {
        Ok((config, _)) => config,
        Err(config::ConfigError::Missing) => return Err(ScaffoldError::NotASite(root.to_path_buf())),
        Err(config::ConfigError::Unreadable(e)) => {
            return Err(ScaffoldError::Io(root.join(config::FILE_NAME), e));
        }
        Err(e @ config::ConfigError::Invalid(_)) => return Err(ScaffoldError::Config(e)),
    };
    let severity = severity(&config, new.severity)?;
    check_services(&config, new.services)?;
    let mut slug = short_slug(new.title);
    if slug.is_empty() && new.title.chars().any(char::is_alphanumeric) {
        // A title in a script an id cannot hold (ids stay ASCII): the title is kept whole.
        slug = "incident".to_string();
    }
    if slug.is_empty() {
        return Err(ScaffoldError::Invalid {
            message: format!(
                "the title `{}` has no letters or digits to make an id from",
                new.title
            ),
            hint: "give the incident a title in words, e.g. \"Expired certificate on the payments gateway\""
                .into(),
        });
    }
    let id = format!("{}-{slug}", new.date.format("%Y-%m-%d"));
    let relative = Path::new(POSTMORTEMS_DIR)
        .join(new.date.format("%Y").to_string())
        .join(format!("{id}.md"));
    if let Some(existing) = file_with_stem(&root.join(POSTMORTEMS_DIR), &id) {
        return Err(ScaffoldError::Exists(existing));
    }
    let template = match std::fs::read_to_string(root.join(NEW_TEMPLATE_OVERRIDE)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => NEW_TEMPLATE.to_string(),
        Err(e) => return Err(ScaffoldError::Io(root.join(NEW_TEMPLATE_OVERRIDE), e)),
    };
    let due = new
        .date
        .checked_add_days(Days::new(u64::from(config.checks.due_days)))
        .unwrap_or(new.date);
    let mut context = tera::Context::new();
    context.insert("id", &id);
    context.insert("title", new.title);
    context.insert("severity", &severity);
    context.insert("services", new.services);
    context.insert("date", &new.date.format("%Y-%m-%d").to_string());
    context.insert("due", &due.format("%Y-%m-%d").to_string());
    let text = tera::Tera::one_off(&template, &context, false)
        .map_err(|e| ScaffoldError::Template(error_chain(&e)))?;
    write_new(root, &relative, &text)?;
    Ok(relative)
}

fn severity(config: &Config, wanted: Option<&str>) -> Result<String, ScaffoldError> {
    let names: Vec<&str> = config.severities.iter().map(|s| s.name.as_str()).collect();
    let Some(wanted) = wanted else {
        // The least severe level: raising a severity is a decision, lowering one a correction.
        return Ok(names.last().copied().unwrap_or("SEV4").to_string());
    };
    if names.contains(&wanted) {
        return Ok(wanted.to_string());
    }
    Err(ScaffoldError::Invalid {
        message: format!("`{wanted}` is not a configured severity"),
        hint: match did_you_mean(wanted, names.iter().copied()) {
            Some(near) => format!("did you mean `{near}`? The levels are {}", names.join(", ")),
            None => format!("the levels are {}", names.join(", ")),
        },
    })
}

fn check_services(config: &Config, services: &[String]) -> Result<(), ScaffoldError> {
    if services.iter().any(|service| service.trim().is_empty()) {
        return Err(ScaffoldError::Invalid {
            message: "a --service is empty".into(),
            hint: "name the service, e.g. --service checkout-api, or leave the option out".into(),
        });
    }
    let Some(allowed) = &config.services else {
        return Ok(());
    };
    for service in services {
        if !allowed.contains(service) {
            return Err(ScaffoldError::Invalid {
                message: format!("`{service}` is not in the `services` list of pmsite.toml"),
                hint: match did_you_mean(service, allowed.names()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("add `{service}` to pmsite.toml if it is new"),
                },
            });
        }
    }
    Ok(())
}

/// The title as the part of an id after its date: ASCII (see `id_slug`), at most 60
/// characters, cut between words; empty when the title has no ASCII letter or digit.
pub(crate) fn short_slug(title: &str) -> String {
    let slug = id_slug(title);
    if slug.len() <= 60 {
        return slug;
    }
    let mut short = String::new();
    for word in slug.split('-') {
        if short.len() + word.len() + 1 > 60 {
            break;
        }
        if !short.is_empty() {
            short.push('-');
        }
        short.push_str(word);
    }
    if short.is_empty() {
        slug.chars().take(60).collect()
    } else {
        short
    }
}

pub(crate) fn file_with_stem(dir: &Path, stem: &str) -> Option<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_type().is_file() && e.path().file_stem().is_some_and(|s| s == stem))
        .map(|e| e.into_path())
}

/// Writes `text` to `root/relative`, creating folders, never replacing a file.
fn write_new(root: &Path, relative: &Path, text: &str) -> Result<(), ScaffoldError> {
    let path = root.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| ScaffoldError::Io(path.clone(), e))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => ScaffoldError::Exists(path.clone()),
            _ => ScaffoldError::Io(path.clone(), e),
        })?;
    file.write_all(text.as_bytes())
        .map_err(|e| ScaffoldError::Io(path.clone(), e))
}

/// The files `pmsite init` writes, relative to the new site's folder.
pub fn init_files() -> Vec<(&'static str, String)> {
    vec![
        (config::FILE_NAME, INIT_CONFIG.to_string()),
        (INIT_POSTMORTEM_PATH, INIT_POSTMORTEM.to_string()),
        (".github/workflows/pmsite.yml", workflow(INIT_GITHUB)),
        (".gitlab-ci.yml", workflow(INIT_GITLAB)),
        (
            "code-repository/.github/workflows/pmsite-brief.yml",
            workflow(INIT_BRIEF),
        ),
        (
            "code-repository/.github/pmsite-services.toml",
            INIT_SERVICE_PATHS.to_string(),
        ),
        (GITIGNORE, INIT_GITIGNORE.to_string()),
    ]
}

/// A workflow template with the pinned release and its install commands filled in.
fn workflow(template: &str) -> String {
    let github_step: Vec<String> = ["cd \"$RUNNER_TEMP\""]
        .into_iter()
        .chain(INSTALL.iter().copied())
        .chain([
            r#"tar -xzf "$archive""#,
            r#"echo "$RUNNER_TEMP/${archive%.tar.gz}" >> "$GITHUB_PATH""#,
        ])
        .map(|line| format!("          {line}"))
        .collect();
    let gitlab_lines: Vec<String> = INSTALL
        .iter()
        .copied()
        .chain([r#"tar -xzf "$archive" -C /usr/local/bin --strip-components=1 "${archive%.tar.gz}/pmsite""#])
        .map(|line| format!("    - {line}"))
        .collect();
    template
        .replace("{{PMSITE_VERSION}}", RELEASE.version)
        .replace("{{PMSITE_RELEASES}}", &RELEASE.downloads())
        .replace("{{INSTALL_GITHUB}}", &github_step.join("\n"))
        .replace("{{INSTALL_GITLAB}}", &gitlab_lines.join("\n"))
        .replace("{{MARKER}}", crate::brief::MARKER)
}

/// What `pmsite init` did to a file.
#[derive(Debug, PartialEq, Eq)]
pub enum Scaffolded {
    Created(PathBuf),
    /// The repository's own `.gitignore`, with the lines pmsite needs added at its end.
    Extended(PathBuf),
}

/// Creates a new site in `dir` (which may exist, but must not hold a site or any of the
/// files but a `.gitignore`: most repositories have one, and the lines pmsite needs are
/// added to it, as `cargo init` does). Returns what it wrote.
pub fn init(dir: &Path) -> Result<Vec<Scaffolded>, ScaffoldError> {
    let files = init_files();
    let gitignore = dir.join(GITIGNORE);
    let existing_gitignore = match std::fs::read_to_string(&gitignore) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(ScaffoldError::Io(gitignore, e)),
    };
    for (relative, _) in &files {
        let path = dir.join(relative);
        if path.exists() && *relative != GITIGNORE {
            return Err(ScaffoldError::Exists(path));
        }
    }
    let mut written = Vec::new();
    for (relative, text) in files {
        match (&existing_gitignore, relative == GITIGNORE) {
            (Some(existing), true) => {
                if let Some(added) = gitignore_additions(existing, &text) {
                    let mut file = std::fs::OpenOptions::new()
                        .append(true)
                        .open(&gitignore)
                        .map_err(|e| ScaffoldError::Io(gitignore.clone(), e))?;
                    file.write_all(added.as_bytes())
                        .map_err(|e| ScaffoldError::Io(gitignore.clone(), e))?;
                    written.push(Scaffolded::Extended(PathBuf::from(relative)));
                }
            }
            _ => {
                write_new(dir, Path::new(relative), &text)?;
                written.push(Scaffolded::Created(PathBuf::from(relative)));
            }
        }
    }
    Ok(written)
}

/// What to append to an existing `.gitignore` for pmsite's lines (`ours`, a comment then
/// patterns): the patterns it lacks under the comment, or `None` when it has them all.
fn gitignore_additions(existing: &str, ours: &str) -> Option<String> {
    let has: std::collections::HashSet<&str> = existing.lines().map(str::trim).collect();
    let missing: Vec<&str> = ours
        .lines()
        .filter(|line| !line.starts_with('#') && !has.contains(line))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let comment = ours
        .lines()
        .find(|line| line.starts_with('#'))
        .unwrap_or_default();
    let separator = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    Some(format!("{separator}\n{comment}\n{}\n", missing.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_gitignore_gets_only_the_lines_it_lacks() {
        let added = gitignore_additions("node_modules/\n/public/", INIT_GITIGNORE).unwrap();
        assert!(added.starts_with("\n\n# pmsite"), "{added:?}");
        assert!(!added.contains("/public/"), "{added:?}");
        assert!(added.ends_with("/.public.search-index/\n/.public.pmsite-lock\n/.public.brief-cache/\n"));
        assert_eq!(gitignore_additions(INIT_GITIGNORE, INIT_GITIGNORE), None);
    }

    #[test]
    fn slugs_are_cut_between_words() {
        assert_eq!(short_slug("Expired TLS certificate"), "expired-tls-certificate");
        let long = short_slug(&"word ".repeat(30));
        assert!(long.len() <= 60 && !long.ends_with('-'), "{long}");
        assert_eq!(short_slug("!!!"), "");
    }

    #[test]
    fn the_template_renders_to_a_postmortem_that_parses() {
        let mut context = tera::Context::new();
        context.insert("id", "2024-03-08-x");
        context.insert("title", "A \"quoted\" title");
        context.insert("severity", "SEV2");
        context.insert("services", &["checkout-api"]);
        context.insert("date", "2024-03-08");
        context.insert("due", "2024-03-22");
        let text = tera::Tera::one_off(NEW_TEMPLATE, &context, false).unwrap();
        let parsed = crate::content::parse_file(
            Path::new("postmortems/2024/2024-03-08-x.md"),
            "2024/2024-03-08-x.md".into(),
            &text,
            &Config::default(),
        );
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let pm = parsed.postmortem.unwrap();
        assert_eq!(pm.title, "A \"quoted\" title");
        assert_eq!(pm.services, ["checkout-api"]);
    }
}
