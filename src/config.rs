//! pmsite.toml -> [`Config`], with defaults for everything and a diagnostic for every key a
//! user can get wrong. docs/FORMAT.md documents each key; keep the two in step.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::diagnostic::{Code, Diagnostic, Level, Location, did_you_mean};
use crate::tree::{self, Codes, Node, Reader, Value};

pub const FILE_NAME: &str = "pmsite.toml";

#[derive(Clone, Debug, Serialize)]
pub struct Config {
    pub title: String,
    /// Always ends with `/` when set; empty when the site has no known address.
    pub base_url: String,
    pub description: Option<String>,
    pub language: String,
    /// Rows per list page; 0 turns pagination off.
    pub paginate_by: usize,
    pub currency: String,
    /// The build date this site is read as of (`--today` overrides it): an example or a
    /// frozen archive stays as it was written, whatever the clock says.
    pub today: Option<chrono::NaiveDate>,
    /// Most severe first.
    pub severities: Vec<Severity>,
    pub root_causes: Option<Allowlist>,
    pub services: Option<Allowlist>,
    pub teams: Option<Allowlist>,
    /// Tracker name -> URL template containing `{id}`.
    pub tickets: BTreeMap<String, String>,
    /// The `[checks]` table: how strict `pmsite check` is.
    pub checks: Checks,
    /// The `[service_paths]` table: which paths of the code repository belong to which
    /// service, for `pmsite brief`.
    pub service_paths: ServicePaths,
}

/// Service -> gitignore-style patterns over the code repository's paths. gitignore
/// semantics (a pattern without `/` matches at any depth, `dir/` a whole folder, `!`
/// takes paths back out) are what a team already writes in .gitignore and CODEOWNERS.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ServicePaths {
    pub services: Vec<ServiceGlobs>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServiceGlobs {
    pub service: String,
    pub patterns: Vec<String>,
    #[serde(skip)]
    matcher: ignore::gitignore::Gitignore,
}

impl ServicePaths {
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// The services a repository path belongs to, in table order. `path` is relative to
    /// the repository (a leading `/` or `./` is ignored).
    pub fn services_of<'a>(&'a self, path: &str) -> impl Iterator<Item = &'a str> {
        let relative = path.trim_start_matches("./").trim_start_matches('/').to_string();
        self.services
            .iter()
            .filter(move |s| {
                !relative.is_empty()
                    && s.matcher
                        .matched_path_or_any_parents(Path::new(&relative), false)
                        .is_ignore()
            })
            .map(|s| s.service.as_str())
    }
}

/// Policy for the checks of `crate::check`. Defaults let an archive imported as it is build
/// with warnings; teams tighten per check.
#[derive(Clone, Debug, Serialize)]
pub struct Checks {
    /// Per-check level overrides; `None` turns a check off.
    pub levels: BTreeMap<Code, Option<Level>>,
    /// Whole words or phrases that blame people, matched case-insensitively.
    pub blaming_phrases: Vec<String>,
    /// People who may not be the subject of a cause, on top of those the postmortem names.
    pub people: Vec<String>,
    /// An action item due more than this many days after the incident started is flagged.
    pub due_days: u32,
    /// Incidents that started at most this many days before the build date are "new": they
    /// are checked for links to earlier incidents like them.
    pub recent_days: u32,
    /// Severities whose postmortems need at least one action item.
    pub action_items_required_for: Vec<String>,
    /// Severity -> section names the body must have.
    pub required_sections: BTreeMap<String, Vec<String>>,
}

impl Checks {
    /// The level a check reports at on this site, or `None` when it is turned off.
    pub fn level(&self, code: Code) -> Option<Level> {
        self.levels
            .get(&code)
            .copied()
            .unwrap_or(Some(code.default_level()))
    }
}

/// Words that put a person, not the system, at the centre of a cause. Words with a common
/// technical sense are left out ("user error" rates, "lazy" loading, `git blame`).
pub const DEFAULT_BLAMING_PHRASES: &[&str] = &[
    "human error",
    "operator error",
    "pilot error",
    "careless",
    "carelessly",
    "carelessness",
    "negligent",
    "negligence",
    "should have known",
    "should have noticed",
    "should have caught",
    "should have checked",
    "his fault",
    "her fault",
    "their fault",
    "incompetent",
    "incompetence",
    "failed to notice",
    "failed to check",
    "failed to follow",
    "sloppy",
    "reckless",
    "blamed",
    "to blame",
    "dropped the ball",
    "didn't bother",
    "did not bother",
];

pub const DEFAULT_REQUIRED_SECTIONS: &[&str] = &[
    "Summary",
    "Impact",
    "Timeline",
    "Root cause",
    "Action items",
    "Lessons learned",
];

impl Checks {
    /// The defaults for a severity scale: the two most severe levels (SEV1 and SEV2 by
    /// default) need action items and the full set of sections.
    pub fn for_severities(severities: &[Severity]) -> Checks {
        let top: Vec<String> = severities.iter().take(2).map(|s| s.name.clone()).collect();
        let sections: Vec<String> = DEFAULT_REQUIRED_SECTIONS.iter().map(|s| s.to_string()).collect();
        Checks {
            levels: BTreeMap::new(),
            blaming_phrases: DEFAULT_BLAMING_PHRASES.iter().map(|s| s.to_string()).collect(),
            people: Vec::new(),
            due_days: 14,
            recent_days: 90,
            required_sections: top.iter().map(|s| (s.clone(), sections.clone())).collect(),
            action_items_required_for: top,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Severity {
    pub name: String,
    pub description: String,
}

/// The values allowed for one taxonomy, each with an optional description.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Allowlist {
    pub entries: Vec<(String, Option<String>)>,
}

impl Allowlist {
    pub fn contains(&self, name: &str) -> bool {
        self.entries.iter().any(|(n, _)| n == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    pub fn description(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, d)| d.as_deref())
    }
}

impl Default for Config {
    fn default() -> Self {
        let severity = |name: &str, description: &str| Severity {
            name: name.into(),
            description: description.into(),
        };
        let severities = vec![
            severity("SEV1", "Critical: customer-facing outage or data loss"),
            severity("SEV2", "Major: significant degradation for many customers"),
            severity("SEV3", "Minor: limited impact, a workaround exists"),
            severity("SEV4", "Low: no customer impact, or a near miss"),
        ];
        Config {
            checks: Checks::for_severities(&severities),
            severities,
            title: "Postmortems".into(),
            base_url: String::new(),
            description: None,
            language: "en".into(),
            paginate_by: 50,
            currency: "USD".into(),
            today: None,
            root_causes: None,
            services: None,
            teams: None,
            tickets: BTreeMap::new(),
            service_paths: ServicePaths::default(),
        }
    }
}

impl Config {
    pub fn severity(&self, name: &str) -> Option<(usize, &Severity)> {
        self.severities.iter().enumerate().find(|(_, s)| s.name == name)
    }
}

const KEYS: &[&str] = &[
    "title",
    "base_url",
    "description",
    "language",
    "paginate_by",
    "currency",
    "today",
    "severities",
    "root_causes",
    "services",
    "teams",
    "tickets",
    "checks",
    "service_paths",
];

const CHECKS_KEYS: &[&str] = &[
    "levels",
    "blaming_phrases",
    "extra_blaming_phrases",
    "people",
    "due_days",
    "recent_days",
    "action_items_required_for",
    "required_sections",
];

/// Why a site's configuration could not be read. The build cannot run without it.
#[derive(Debug)]
pub enum ConfigError {
    Missing,
    Unreadable(std::io::Error),
    Invalid(Vec<Diagnostic>),
}

pub fn load(root: &Path) -> Result<(Config, String), ConfigError> {
    let path = root.join(FILE_NAME);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(ConfigError::Missing),
        Err(e) => return Err(ConfigError::Unreadable(e)),
    };
    let config = parse(&text).map_err(|mut found| {
        // Top to bottom, as every other file's findings are shown.
        crate::diagnostic::sort(&mut found);
        ConfigError::Invalid(found)
    })?;
    Ok((config, text))
}

pub fn parse(text: &str) -> Result<Config, Vec<Diagnostic>> {
    let file = Path::new(FILE_NAME);
    let root = parse_toml(file, text)?;
    let mut r = Reader::new(file, text, Codes::CONFIG);
    let mut config = Config::default();
    let Some(mut t) = r.table(&root, "") else {
        return Err(r.diagnostics);
    };
    if let Some(n) = t.get("title") {
        config.title = r.string(n, "title").unwrap_or(config.title);
    }
    if let Some(n) = t.get("base_url")
        && let Some(url) = r.string(n, "base_url")
    {
        match base_url(&url) {
            Ok(url) => config.base_url = url,
            Err(message) => r.invalid(n, "base_url", message, BASE_URL_HINT),
        }
    }
    if let Some(n) = t.get("description") {
        config.description = r.string(n, "description");
    }
    if let Some(n) = t.get("language") {
        config.language = r.string(n, "language").unwrap_or(config.language);
    }
    if let Some(n) = t.get("paginate_by")
        && let Some(count) = r.count(n, "paginate_by")
    {
        config.paginate_by = count as usize;
    }
    if let Some(n) = t.get("currency") {
        config.currency = r.string(n, "currency").unwrap_or(config.currency);
    }
    if let Some(n) = t.get("today") {
        config.today = r.date(n, "today");
    }
    if let Some(n) = t.get("severities") {
        read_severities(&mut r, n, &mut config);
    }
    config.checks = Checks::for_severities(&config.severities);
    config.root_causes = t
        .get("root_causes")
        .map(|n| read_allowlist(&mut r, n, "root_causes"));
    config.services = t.get("services").map(|n| read_allowlist(&mut r, n, "services"));
    config.teams = t.get("teams").map(|n| read_allowlist(&mut r, n, "teams"));
    if let Some(n) = t.get("tickets") {
        read_tickets(&mut r, n, &mut config);
    }
    if let Some(n) = t.get("checks") {
        read_checks(&mut r, n, &mut config);
    }
    if let Some(n) = t.get("service_paths") {
        config.service_paths = read_service_paths(&mut r, n, "service_paths", config.services.as_ref());
    }
    r.finish(&t, KEYS, &[]);
    if r.diagnostics.is_empty() {
        Ok(config)
    } else {
        Err(r.diagnostics)
    }
}

const BASE_URL_HINT: &str = "write the address the site is published at, e.g. https://incidents.example.com/";

/// `base_url` as the site uses it (ending in `/`), or why it is not one. pmsite.toml's
/// `base_url` and `pmsite build --base-url` are both read by this.
pub fn base_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(char::is_whitespace) {
        return Err(format!("`base_url` must be an http(s) URL, found `{url}`"));
    }
    Ok(if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    })
}

/// `--base-url URL` on the command line: [`base_url`], with the hint in the message.
pub fn base_url_argument(url: &str) -> Result<String, String> {
    base_url(url).map_err(|e| format!("{e}; {BASE_URL_HINT}"))
}

/// The configuration a build uses: `base_url` replaced by the build's own (`pmsite build
/// --base-url`, a preview's local address), already checked by [`base_url`].
pub fn with_base_url(mut config: Config, base_url: Option<&str>) -> Config {
    if let Some(url) = base_url {
        config.base_url = url.to_string();
    }
    config
}

/// A `[service_paths]` table (in pmsite.toml, or on its own in a `--service-paths` file):
/// service names, each with a list of gitignore-style patterns. With a `services`
/// allowlist, every service must be on it.
fn read_service_paths(
    r: &mut Reader<'_>,
    node: &Node,
    path: &str,
    known: Option<&Allowlist>,
) -> ServicePaths {
    let Some(t) = r.table(node, path) else {
        return ServicePaths::default();
    };
    let mut services = Vec::new();
    for entry in t.leftovers() {
        let field = if path.is_empty() {
            entry.key.clone()
        } else {
            format!("{path}.{}", entry.key)
        };
        if let Some(known) = known
            && !known.contains(&entry.key)
        {
            let hint = match did_you_mean(&entry.key, known.names()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("add `{}` to `services` in pmsite.toml if it is new", entry.key),
            };
            r.report(
                Code::Config,
                entry.key_span.clone(),
                &field,
                format!("`{}` is not in the `services` list of pmsite.toml", entry.key),
                Some(hint),
            );
            continue;
        }
        let patterns = match &entry.node.value {
            Value::String(_) => vec![&entry.node],
            Value::Array(items) => items.iter().collect(),
            _ => {
                r.invalid(
                    &entry.node,
                    &field,
                    format!("`{field}` must be a list of path patterns"),
                    "write it as [\"services/checkout/**\", \"libs/cart/\"]",
                );
                continue;
            }
        };
        let mut builder = ignore::gitignore::GitignoreBuilder::new("");
        let mut written = Vec::new();
        for (i, pattern_node) in patterns.into_iter().enumerate() {
            let item = format!("{field}[{i}]");
            let Some(pattern) = r.string(pattern_node, &item) else {
                continue;
            };
            if let Err(e) = builder.add_line(None, &pattern) {
                r.invalid(
                    pattern_node,
                    &item,
                    format!("`{pattern}` is not a valid path pattern: {}", glob_error(&e)),
                    "patterns are gitignore-style: `services/checkout/**`, `*.proto`, `libs/cart/`, `!libs/cart/docs/**`",
                );
                continue;
            }
            written.push(pattern);
        }
        match builder.build() {
            Ok(matcher) if !written.is_empty() => services.push(ServiceGlobs {
                service: entry.key.clone(),
                patterns: written,
                matcher,
            }),
            Ok(_) => {}
            Err(e) => r.invalid(&entry.node, &field, glob_error(&e), ""),
        }
    }
    ServicePaths { services }
}

/// The glob's own complaint, without the file and line `ignore` adds (ours are better).
fn glob_error(error: &ignore::Error) -> String {
    match error {
        ignore::Error::WithLineNumber { err, .. } | ignore::Error::WithPath { err, .. } => glob_error(err),
        ignore::Error::Glob { err, .. } => err.clone(),
        other => other.to_string(),
    }
}

/// A service-paths file of the code repository (`pmsite brief --service-paths FILE`): the
/// `[service_paths]` table of pmsite.toml as the whole file. `known` is the site's
/// `services` allowlist. Diagnostics name `file`.
pub fn parse_service_paths(
    file: &Path,
    text: &str,
    known: Option<&Allowlist>,
) -> Result<ServicePaths, Vec<Diagnostic>> {
    let root = parse_toml(file, text)?;
    let mut r = Reader::new(file, text, Codes::CONFIG);
    let paths = read_service_paths(&mut r, &root, "", known);
    if r.diagnostics.is_empty() {
        Ok(paths)
    } else {
        Err(r.diagnostics)
    }
}

/// A TOML file as a tree, or its syntax errors as diagnostics of `file`.
fn parse_toml(file: &Path, text: &str) -> Result<Node, Vec<Diagnostic>> {
    tree::parse_toml(text, 0).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| {
                Diagnostic::error(Code::Config, file, e.message)
                    .at(Location::of(text, e.span))
                    .maybe_hint(e.hint)
            })
            .collect()
    })
}

fn read_severities(r: &mut Reader<'_>, node: &Node, config: &mut Config) {
    let mut severities: Vec<Severity> = Vec::new();
    for (i, item) in r.list(node, "severities").iter().enumerate() {
        let path = format!("severities[{i}]");
        let Some(mut t) = r.table(item, &path) else {
            continue;
        };
        let name = r
            .required(&mut t, "name", "give each level a name, e.g. name = \"SEV1\"")
            .and_then(|n| r.string(n, &format!("{path}.name")));
        let description = t
            .get("description")
            .and_then(|n| r.string(n, &format!("{path}.description")))
            .unwrap_or_default();
        r.finish(&t, &["name", "description"], &[]);
        if let Some(name) = name {
            if severities.iter().any(|s| s.name == name) {
                r.invalid(item, &path, format!("severity `{name}` is defined twice"), "");
            } else {
                severities.push(Severity { name, description });
            }
        }
    }
    if severities.is_empty() {
        r.invalid(
            node,
            "severities",
            "`severities` is empty",
            "define at least one level, or remove the key to use SEV1..SEV4",
        );
    } else {
        config.severities = severities;
    }
}

fn read_allowlist(r: &mut Reader<'_>, node: &Node, field: &str) -> Allowlist {
    let entries = match &node.value {
        Value::Table(entries) => entries
            .iter()
            .filter_map(|e| {
                let description = r.string(&e.node, &format!("{field}.{}", e.key))?;
                Some((e.key.clone(), Some(description)))
            })
            .collect(),
        _ => r
            .string_list(node, field)
            .into_iter()
            .map(|name| (name, None))
            .collect(),
    };
    Allowlist { entries }
}

fn read_tickets(r: &mut Reader<'_>, node: &Node, config: &mut Config) {
    let Some(t) = r.table(node, "tickets") else {
        return;
    };
    for entry in t.leftovers() {
        let field = format!("tickets.{}", entry.key);
        let Some(template) = r.string(&entry.node, &field) else {
            continue;
        };
        if !template.contains("{id}") {
            r.invalid(
                &entry.node,
                &field,
                format!("the ticket URL template `{field}` has no `{{id}}`"),
                "write where the ticket id goes, e.g. \"https://jira.example.com/browse/{id}\"",
            );
            continue;
        }
        config.tickets.insert(entry.key.clone(), template);
    }
}

fn read_checks(r: &mut Reader<'_>, node: &Node, config: &mut Config) {
    let Some(mut t) = r.table(node, "checks") else {
        return;
    };
    let checks = &mut config.checks;
    if let Some(n) = t.get("levels") {
        read_levels(r, n, checks);
    }
    if let Some(n) = t.get("blaming_phrases") {
        checks.blaming_phrases = r.string_list(n, "checks.blaming_phrases");
    }
    if let Some(n) = t.get("extra_blaming_phrases") {
        let extra = r.string_list(n, "checks.extra_blaming_phrases");
        checks.blaming_phrases.extend(extra);
    }
    if let Some(n) = t.get("people") {
        checks.people = r.string_list(n, "checks.people");
    }
    if let Some(n) = t.get("due_days")
        && let Some(days) = r.count(n, "checks.due_days")
    {
        checks.due_days = u32::try_from(days).unwrap_or(u32::MAX);
    }
    if let Some(n) = t.get("recent_days")
        && let Some(days) = r.count(n, "checks.recent_days")
    {
        checks.recent_days = u32::try_from(days).unwrap_or(u32::MAX);
    }
    if let Some(n) = t.get("action_items_required_for") {
        let field = "checks.action_items_required_for";
        let names = r.string_list(n, field);
        check_severity_names(r, n, field, names.iter().map(String::as_str), &config.severities);
        config.checks.action_items_required_for = names;
    }
    if let Some(n) = t.get("required_sections") {
        read_required_sections(r, n, config);
    }
    r.finish(&t, CHECKS_KEYS, &[]);
}

fn read_levels(r: &mut Reader<'_>, node: &Node, checks: &mut Checks) {
    let Some(t) = r.table(node, "checks.levels") else {
        return;
    };
    let codes = || Code::POLICY.iter().map(|c| c.as_str());
    for entry in t.leftovers() {
        let field = format!("checks.levels.{}", entry.key);
        let Some(code) = Code::policy(&entry.key) else {
            let hint = match did_you_mean(&entry.key, codes()) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!(
                    "levels are set per check code: {}",
                    codes().collect::<Vec<_>>().join(", ")
                ),
            };
            r.report(
                Code::Config,
                entry.key_span.clone(),
                &field,
                format!("`{}` is not a check pmsite has", entry.key),
                Some(hint),
            );
            continue;
        };
        const LEVELS: &[(&str, Option<Level>)] = &[
            ("error", Some(Level::Error)),
            ("warning", Some(Level::Warning)),
            ("off", None),
        ];
        if let Some(level) = r.choice(&entry.node, &field, LEVELS) {
            checks.levels.insert(code, level);
        }
    }
}

fn read_required_sections(r: &mut Reader<'_>, node: &Node, config: &mut Config) {
    let Some(t) = r.table(node, "checks.required_sections") else {
        return;
    };
    let mut sections = BTreeMap::new();
    for entry in t.leftovers() {
        let field = format!("checks.required_sections.{}", entry.key);
        check_severity_names(
            r,
            &entry.node,
            &field,
            std::iter::once(entry.key.as_str()),
            &config.severities,
        );
        sections.insert(entry.key.clone(), r.string_list(&entry.node, &field));
    }
    config.checks.required_sections = sections;
}

/// Severity names in `[checks]` must be levels of the site's scale, or the rule would
/// silently never apply.
fn check_severity_names<'a>(
    r: &mut Reader<'_>,
    node: &Node,
    field: &str,
    names: impl Iterator<Item = &'a str>,
    severities: &[Severity],
) {
    let known = || severities.iter().map(|s| s.name.as_str());
    for name in names {
        if known().any(|k| k == name) {
            continue;
        }
        let hint = match did_you_mean(name, known()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("the severities are {}", known().collect::<Vec<_>>().join(", ")),
        };
        r.invalid(
            node,
            field,
            format!("`{name}` is not a configured severity"),
            hint,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_defaults() {
        let config = parse("").unwrap();
        assert_eq!(config.title, "Postmortems");
        let names: Vec<_> = config.severities.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["SEV1", "SEV2", "SEV3", "SEV4"]);
        assert!(config.severities.iter().all(|s| !s.description.is_empty()));
    }

    #[test]
    fn reads_every_documented_key() {
        let config = parse(
            r#"
title = "Acme"
base_url = "https://incidents.acme.example"
description = "Reviews"
language = "de"
paginate_by = 20
currency = "EUR"
today = 2025-06-01
root_causes = ["deploy", "dns"]
[teams]
sre = "Site reliability"
[[severities]]
name = "P1"
description = "Worst"
[tickets]
JIRA = "https://jira.example.com/browse/{id}"
"#,
        )
        .unwrap();
        assert_eq!(config.base_url, "https://incidents.acme.example/");
        assert_eq!(config.paginate_by, 20);
        assert_eq!(config.today, chrono::NaiveDate::from_ymd_opt(2025, 6, 1));
        assert_eq!(config.severities.len(), 1);
        assert!(config.root_causes.unwrap().contains("dns"));
        assert_eq!(config.teams.unwrap().description("sre"), Some("Site reliability"));
        assert_eq!(config.tickets["JIRA"], "https://jira.example.com/browse/{id}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_all_reported_with_lines() {
        let errors =
            parse("titel = \"x\"\nbase_url = \"incidents\"\n[tickets]\nJIRA = \"https://x/\"\n").unwrap_err();
        let lines: Vec<_> = errors.iter().map(|d| d.line()).collect();
        assert_eq!(lines, [2, 4, 1]);
        assert!(errors.iter().all(|d| d.code == Code::Config));
        assert_eq!(errors[2].hint.as_deref(), Some("did you mean `title`?"));
    }

    #[test]
    fn checks_are_read_and_default_to_the_most_severe_levels() {
        let config = parse(
            r#"
[[severities]]
name = "P1"
[[severities]]
name = "P2"
[[severities]]
name = "P3"
[checks]
people = ["sam.lee"]
due_days = 30
extra_blaming_phrases = ["cowboy"]
[checks.levels]
PM101 = "error"
PM305 = "off"
"#,
        )
        .unwrap();
        let checks = &config.checks;
        assert_eq!(checks.action_items_required_for, ["P1", "P2"]);
        assert_eq!(checks.required_sections.keys().collect::<Vec<_>>(), ["P1", "P2"]);
        assert_eq!(checks.due_days, 30);
        assert_eq!(checks.people, ["sam.lee"]);
        assert!(checks.blaming_phrases.iter().any(|p| p == "human error"));
        assert!(checks.blaming_phrases.iter().any(|p| p == "cowboy"));
        assert_eq!(checks.level(Code::BlamingLanguage), Some(Level::Error));
        assert_eq!(checks.level(Code::ActionItemOverdue), None);
        assert_eq!(checks.level(Code::AwsKey), Some(Level::Error));
        assert_eq!(checks.level(Code::MissingSection), Some(Level::Warning));
    }

    #[test]
    fn service_paths_are_gitignore_patterns() {
        let config = parse(
            r#"
[service_paths]
checkout-api = ["services/checkout/", "libs/cart/**"]
payments = ["services/payments/**", "!services/payments/docs/**"]
schemas = "*.proto"
"#,
        )
        .unwrap();
        let paths = &config.service_paths;
        let of = |path: &str| paths.services_of(path).collect::<Vec<_>>();
        assert_eq!(of("services/checkout/api/handler.go"), ["checkout-api"]);
        assert_eq!(
            of("/libs/cart/a.rs"),
            ["checkout-api"],
            "a leading / is the repository root"
        );
        assert_eq!(of("services/payments/client.go"), ["payments"]);
        assert!(of("services/payments/docs/guide.md").is_empty(), "taken back out");
        assert_eq!(
            of("api/v1/orders.proto"),
            ["schemas"],
            "a name without / matches at any depth"
        );
        assert!(of("services/checkoutx/a.go").is_empty());
        assert!(of("").is_empty() && of("./").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn any_path_is_matched_without_panicking(path in "(?s).{0,60}") {
            let config = parse("[service_paths]\napi = [\"src/\", \"*.proto\", \"!src/docs/**\"]\n").unwrap();
            let _ = config.service_paths.services_of(&path).count();
        }
    }

    #[test]
    fn bad_service_paths_point_at_their_pattern() {
        let errors = parse("[service_paths]\napi = [\"ok/\", \"{a\"]\ndb = 3\n").unwrap_err();
        let found: Vec<_> = errors
            .iter()
            .map(|d| (d.line(), d.field.as_deref().unwrap_or_default()))
            .collect();
        assert_eq!(found, [(2, "service_paths.api[1]"), (3, "service_paths.db")]);
        let file = Path::new("code/services.toml");
        let errors = parse_service_paths(file, "\napi = [\"a/{\"]\n", None).unwrap_err();
        assert_eq!(&*errors[0].file, file);
        assert_eq!(errors[0].line(), 2);
    }

    #[test]
    fn base_url_from_the_command_line_is_checked_like_the_config() {
        assert_eq!(
            base_url("https://x.example/pr-7").unwrap(),
            "https://x.example/pr-7/"
        );
        assert!(
            base_url_argument("x.example")
                .unwrap_err()
                .contains("https://incidents.example.com/")
        );
        let config = with_base_url(Config::default(), Some("http://127.0.0.1:1111/"));
        assert_eq!(config.base_url, "http://127.0.0.1:1111/");
    }

    #[test]
    fn syntax_errors_are_config_errors() {
        let errors = parse("title = \n").unwrap_err();
        assert_eq!(errors[0].code, Code::Config);
        assert_eq!(errors[0].line(), 1);
    }
}
