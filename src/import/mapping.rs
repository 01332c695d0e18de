//! How a source's front-matter keys become pmsite's: a `--mapping` file, else built-in
//! synonyms; every key that maps to nothing is kept under `[extra]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use crate::content::schema::{self, FRONT_MATTER};
use crate::diagnostic::did_you_mean;

/// Source keys other tools use for pmsite's fields, tried after the field's own name.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("title", &["name", "subject", "headline"]),
    (
        "started_at",
        &[
            "date",
            "start",
            "start_time",
            "started",
            "start_date",
            "incident_date",
            "began_at",
            "occurred_at",
        ],
    ),
    ("detected_at", &["detected", "detection_time", "detected_time"]),
    (
        "mitigated_at",
        &["mitigated", "mitigation_time", "mitigated_time"],
    ),
    (
        "resolved_at",
        &[
            "end",
            "end_time",
            "ended_at",
            "resolved",
            "resolution_time",
            "closed_at",
        ],
    ),
    ("summary", &["description", "excerpt", "tldr", "abstract"]),
    ("severity", &["sev", "severity_level", "priority", "level"]),
    (
        "root_causes",
        &["categories", "category", "root_cause", "cause", "causes"],
    ),
    ("tags", &["keywords", "labels", "tag"]),
    (
        "services",
        &[
            "service",
            "product",
            "products",
            "component",
            "components",
            "systems",
        ],
    ),
    ("teams", &["team"]),
    ("authors", &["author"]),
    ("incident_commander", &["commander", "ic"]),
    ("id", &["slug"]),
];

const SECTIONS: &[&str] = &["fields", "defaults", "values"];

/// A `--mapping` file: which source keys feed which field, defaults, and value renames.
#[derive(Debug, Default)]
pub struct Mapping {
    /// pmsite field -> source keys, tried in order.
    fields: BTreeMap<String, Vec<String>>,
    pub defaults: Table,
    /// pmsite field -> source value -> value.
    values: BTreeMap<String, BTreeMap<String, Value>>,
}

/// A mapping file that cannot be used, with where and why.
#[derive(Debug)]
pub struct MappingError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

impl std::fmt::Display for MappingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  help: {hint}")?;
        }
        Ok(())
    }
}

impl Mapping {
    pub fn load(path: &Path) -> Result<Mapping, MappingError> {
        let error = |line, message: String, hint: Option<String>| MappingError {
            file: path.to_path_buf(),
            line,
            message,
            hint,
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| error(None, format!("cannot read it: {e}"), None))?;
        Mapping::parse(&text)
            .map_err(|(key, message, hint)| error(key.and_then(|k| line_of(&text, &k)), message, hint))
    }

    /// The mapping in `text`; an error names the key it is about.
    fn parse(text: &str) -> Result<Mapping, (Option<String>, String, Option<String>)> {
        let table: Table = text
            .parse()
            .map_err(|e: toml::de::Error| (None, format!("invalid TOML: {}", e.message()), None))?;
        let fields_known = schema::keys(FRONT_MATTER);
        let unknown_field = |key: &str, section: &str| {
            (
                Some(key.to_string()),
                format!("`{key}` under [{section}] is not a pmsite field"),
                Some(match did_you_mean(key, fields_known.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("the fields are {}", fields_known.join(", ")),
                }),
            )
        };
        let mut mapping = Mapping::default();
        for (section, value) in table {
            let Some(Value::Table(entries)) = Some(&value).filter(|_| SECTIONS.contains(&section.as_str()))
            else {
                let hint = match did_you_mean(&section, SECTIONS.iter().copied()) {
                    Some(near) => format!("did you mean [{near}]?"),
                    None => "a mapping has [fields], [defaults] and [values.FIELD]".into(),
                };
                return Err((
                    Some(section.clone()),
                    format!("unknown key `{section}` in the mapping"),
                    Some(hint),
                ));
            };
            for (key, value) in entries {
                if !fields_known.contains(&key.as_str()) {
                    return Err(unknown_field(key, &section));
                }
                match section.as_str() {
                    "fields" => {
                        let keys = match value {
                            Value::String(s) => vec![s.clone()],
                            Value::Array(items) if items.iter().all(Value::is_str) => items
                                .iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect(),
                            _ => {
                                return Err((
                                    Some(key.clone()),
                                    format!("[fields] {key} must be a source key or a list of them"),
                                    Some(format!("e.g. {key} = [\"start_time\", \"date\"]")),
                                ));
                            }
                        };
                        mapping.fields.insert(key.clone(), keys);
                    }
                    "defaults" => {
                        mapping.defaults.insert(key.clone(), value.clone());
                    }
                    _ => {
                        let Value::Table(renames) = value else {
                            return Err((
                                Some(key.clone()),
                                format!("[values.{key}] must be a table of source value = value"),
                                Some("e.g. [values.severity] with P1 = \"SEV1\"".into()),
                            ));
                        };
                        let renames = renames
                            .iter()
                            .map(|(k, v)| (k.to_lowercase(), v.clone()))
                            .collect();
                        mapping.values.insert(key.clone(), renames);
                    }
                }
            }
        }
        Ok(mapping)
    }

    /// The source keys that feed `field`, in the order they are tried.
    fn sources_of(&self, field: &str) -> Vec<String> {
        if let Some(keys) = self.fields.get(field) {
            // The field's own name still counts, after the mapped keys.
            let mut keys = keys.clone();
            keys.push(field.to_string());
            return keys;
        }
        let mut keys = vec![field.to_string()];
        if let Some((_, synonyms)) = SYNONYMS.iter().find(|(f, _)| *f == field) {
            keys.extend(synonyms.iter().map(|s| s.to_string()));
        }
        keys
    }

    /// The value a `[values.FIELD]` table renames `value` to.
    pub fn rename(&self, field: &str, value: Value) -> Value {
        let Some(renames) = self.values.get(field) else {
            return value;
        };
        match value {
            Value::String(s) => renames
                .get(&s.to_lowercase())
                .cloned()
                .unwrap_or(Value::String(s)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.rename(field, v)).collect()),
            other => other,
        }
    }
}

/// Source front matter split into pmsite fields (renamed, not yet normalised) and the rest.
pub struct Mapped {
    pub fields: Table,
    pub extra: Table,
    /// `field <- source key`, for the report.
    pub notes: Vec<String>,
}

/// Maps the source's keys onto pmsite fields. Keys are matched without regard to case.
pub fn apply(source: Table, mapping: &Mapping) -> Mapped {
    let mut remaining: BTreeMap<String, (String, Value)> = source
        .into_iter()
        .map(|(k, v)| (k.to_lowercase(), (k, v)))
        .collect();
    let mut mapped = Mapped {
        fields: Table::new(),
        extra: Table::new(),
        notes: Vec::new(),
    };
    for field in FRONT_MATTER.iter().map(|f| f.name).filter(|f| *f != "extra") {
        for key in mapping.sources_of(field) {
            if let Some((original, value)) = remaining.remove(&key.to_lowercase()) {
                if original != field {
                    mapped.notes.push(format!("{field} <- {original}"));
                }
                let renamed = mapping.rename(field, value.clone());
                if renamed != value {
                    // The source's own word stays on record.
                    mapped.notes.push(format!(
                        "{field} = {renamed} from {original} = {value}; extra.{original} keeps it"
                    ));
                    mapped.extra.insert(original.clone(), value);
                }
                mapped.fields.insert(field.to_string(), renamed);
                break;
            }
        }
    }
    if let Some((_, Value::Table(extra))) = remaining.remove("extra") {
        mapped.extra.extend(extra);
    }
    // Jekyll's and Hugo's way of keeping a post unpublished: a draft must stay one.
    if !mapped.fields.contains_key("status") {
        let unpublished = [("draft", true), ("published", false)]
            .into_iter()
            .find(|(key, means_draft)| {
                matches!(remaining.get(*key), Some((_, Value::Boolean(value))) if value == means_draft)
            });
        if let Some((key, value)) = unpublished {
            let original = &remaining[key].0;
            mapped
                .notes
                .push(format!("status = \"draft\" from {original} = {value}"));
            mapped
                .fields
                .insert("status".into(), Value::String("draft".into()));
        }
    }
    for (original, value) in remaining.into_values() {
        mapped.notes.push(format!("extra.{original} (no pmsite field)"));
        mapped.extra.insert(original, value);
    }
    mapped
}

/// The 1-based line where `key` is set or opens a table.
pub(super) fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let line = line
                .trim_start()
                .trim_start_matches('[')
                .trim_start_matches("values.");
            line.strip_prefix(key)
                .or_else(|| line.strip_prefix(&format!("\"{key}\"")))
                .is_some_and(|rest| rest.trim_start().starts_with(['=', ']']))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_or_unpublished_post_stays_a_draft() {
        for source in ["draft = true", "published = false", "Draft = true"] {
            let mapped = apply(toml::from_str(source).unwrap(), &Mapping::default());
            assert_eq!(mapped.fields["status"].as_str(), Some("draft"), "{source}");
            assert!(
                mapped.notes.iter().any(|n| n.starts_with("status = \"draft\"")),
                "{source}"
            );
            assert_eq!(mapped.extra.len(), 1, "the source's key is kept: {source}");
        }
        for source in [
            "draft = false",
            "published = true",
            "draft = true\nstatus = \"published\"",
        ] {
            let mapped = apply(toml::from_str(source).unwrap(), &Mapping::default());
            assert_ne!(
                mapped.fields.get("status").and_then(Value::as_str),
                Some("draft"),
                "{source}"
            );
        }
    }

    #[test]
    fn a_misspelt_field_is_refused_with_did_you_mean() {
        let (key, message, hint) = Mapping::parse("[fields]\nstarted_a = \"date\"\n").unwrap_err();
        assert_eq!(key.as_deref(), Some("started_a"));
        assert!(message.contains("not a pmsite field"), "{message}");
        assert_eq!(hint.as_deref(), Some("did you mean `started_at`?"));
        assert_eq!(line_of("[fields]\nstarted_a = \"date\"\n", "started_a"), Some(2));
    }

    #[test]
    fn an_unknown_section_is_refused() {
        let (_, message, hint) = Mapping::parse("[field]\n").unwrap_err();
        assert!(message.contains("unknown key `field`"), "{message}");
        assert_eq!(hint.as_deref(), Some("did you mean [fields]?"));
    }

    #[test]
    fn mapped_keys_win_and_the_rest_go_to_extra() {
        let mapping = Mapping::parse(
            "[fields]\nstarted_at = [\"start_time\", \"published_at\"]\n[values.severity]\nP1 = \"SEV1\"\n",
        )
        .unwrap();
        let source: Table = "published_at = \"2020-01-01\"\nseverity = \"P1\"\nlayout = \"post\"\n"
            .parse()
            .unwrap();
        let mapped = apply(source, &mapping);
        assert_eq!(mapped.fields["started_at"].as_str(), Some("2020-01-01"));
        assert_eq!(mapped.fields["severity"].as_str(), Some("SEV1"));
        assert_eq!(mapped.extra["layout"].as_str(), Some("post"));
    }
}
