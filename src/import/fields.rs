//! A postmortem's front matter as it is being imported: values normalised the way
//! `pmsite check` wants them, required ones filled, and the file's text verified by parsing
//! it back.

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use toml::{Table, Value};

use super::infer::{self, Inferred};
use super::mapping::Mapping;
use super::report::Notes;
use crate::config::Config;
use crate::content::schema::{FRONT_MATTER, Kind};
use crate::tree;

const REQUIRED: &[&str] = &["title", "severity", "started_at", "summary"];

pub struct Postmortem {
    pub fields: Table,
    pub extra: Table,
    pub body: String,
}

/// A front-matter tree as TOML values (datetimes as their text, parsed again when mapped).
pub fn from_tree(value: &tree::Value) -> Value {
    match value {
        tree::Value::Null => Value::String(String::new()),
        tree::Value::Bool(b) => Value::Boolean(*b),
        tree::Value::Integer(i) => Value::Integer(*i),
        tree::Value::Float(f) => Value::Float(*f),
        tree::Value::String(s) | tree::Value::Datetime(s) => Value::String(s.clone()),
        tree::Value::Array(items) => Value::Array(items.iter().map(|n| from_tree(&n.value)).collect()),
        tree::Value::Table(entries) => Value::Table(
            entries
                .iter()
                .map(|e| (e.key.clone(), from_tree(&e.node.value)))
                .collect(),
        ),
    }
}

/// Mapped source values made into what the checker accepts; a value that cannot be is kept
/// under `[extra]` with its source name, and reported for review.
pub fn normalise(mapped: Table, mut extra: Table, config: &Config, notes: &mut Notes) -> Postmortem {
    let mut fields = Table::new();
    for (name, value) in mapped {
        let Some(field) = FRONT_MATTER.iter().find(|f| f.name == name) else {
            extra.insert(name, value);
            continue;
        };
        match normalise_value(field.kind, value.clone(), config, notes) {
            Some(v) => {
                fields.insert(name, v);
            }
            None if is_empty(&value) => notes.review.push(format!("{name} was empty: left out")),
            None => {
                notes.review.push(format!(
                    "{name} = {value} is not a valid {name}: kept as extra.{name}"
                ));
                extra.insert(name, value);
            }
        }
    }
    Postmortem {
        fields,
        extra,
        body: String::new(),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Table(t) => t.is_empty(),
        _ => false,
    }
}

fn normalise_value(kind: Kind, value: Value, config: &Config, notes: &mut Notes) -> Option<Value> {
    match kind {
        Kind::Text | Kind::AllowedText(_) | Kind::Id => text_of(&value).map(Value::String),
        Kind::Severity => severity(&text_of(&value)?, config).map(Value::String),
        Kind::Choice(choices) => {
            let word = text_of(&value)?.to_lowercase().replace([' ', '-'], "_");
            choices().contains(&word.as_str()).then_some(Value::String(word))
        }
        Kind::Moment => {
            let (moment, assumed_utc) = moment(&text_of(&value)?)?;
            if assumed_utc {
                notes.review.push(format!("{value} names no zone: read as UTC"));
            }
            Some(infer::datetime(&moment))
        }
        Kind::Date => infer::date_in(&text_of(&value)?).map(|d| infer::datetime(&d.to_string())),
        Kind::TextList(_) => {
            let items: Vec<Value> = match value {
                Value::Array(items) => items.iter().filter_map(text_of).map(Value::String).collect(),
                other => text_of(&other)?
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            };
            (!items.is_empty()).then_some(Value::Array(items))
        }
        _ => (!is_empty(&value)).then_some(value),
    }
}

/// A scalar as non-empty text.
fn text_of(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(_) | Value::Table(_) => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// The configured level a source's severity names, ignoring case, spaces and dashes
/// (`sev-1`, `Sev 1` -> `SEV1`).
fn severity(given: &str, config: &Config) -> Option<String> {
    let squash = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    config
        .severities
        .iter()
        .find(|s| squash(&s.name) == squash(given))
        .map(|s| s.name.clone())
}

/// A time as pmsite writes it, in the offset it was written in, and whether no zone was
/// given (then it is read as UTC). Never converted: the offset is part of the record.
pub fn moment(text: &str) -> Option<(String, bool)> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some((infer::format_moment(&at), false));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M %z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M%:z",
    ] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some((infer::format_moment(&at), false));
        }
    }
    let (local, zone) = match text
        .rsplit_once(' ')
        .and_then(|(rest, zone)| Some((rest, infer::offset(zone)?)))
    {
        Some((rest, zone)) => (rest, Some(zone)),
        None => (text, None),
    };
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(local, format) {
            let offset = zone.unwrap_or(FixedOffset::east_opt(0)?);
            let at = naive.and_local_timezone(offset).single()?;
            return Some((infer::format_moment(&at), zone.is_none()));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .or_else(|| infer::date_in(text).filter(|_| text.len() <= 30))
        .map(|d| (d.to_string(), false))
}

impl Postmortem {
    pub fn text(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }

    /// The incident's day and, when a time was given, its offset.
    pub fn start(&self) -> (Option<NaiveDate>, Option<FixedOffset>) {
        let Some(started) = self.fields.get("started_at") else {
            return (None, None);
        };
        let text = started.to_string().trim_matches('"').to_string();
        match DateTime::parse_from_rfc3339(&text) {
            Ok(at) => (Some(at.date_naive()), Some(*at.offset())),
            Err(_) => (NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok(), None),
        }
    }

    /// Takes what the body gave, then fills each required field still missing: the
    /// mapping's default, else a rule, each noted for review.
    pub fn fill(
        &mut self,
        inferred: Inferred,
        stem: &str,
        mapping: &Mapping,
        config: &Config,
        notes: &mut Notes,
    ) -> Result<(), String> {
        self.body = inferred.body;
        let mut set = |key: &str, value: Option<Value>| {
            if let Some(value) = value
                && !self.fields.contains_key(key)
            {
                self.fields.insert(key.into(), value);
            }
        };
        set("title", inferred.title.map(Value::String));
        set(
            "started_at",
            inferred.date.map(|d| infer::datetime(&d.to_string())),
        );
        set("summary", inferred.summary.map(Value::String));
        set(
            "timeline",
            (!inferred.timeline.is_empty())
                .then(|| Value::Array(inferred.timeline.into_iter().map(Value::Table).collect())),
        );
        set(
            "action_items",
            (!inferred.action_items.is_empty())
                .then(|| Value::Array(inferred.action_items.into_iter().map(Value::Table).collect())),
        );
        for field in REQUIRED {
            if self.fields.contains_key(*field) {
                continue;
            }
            if let Some(default) = mapping.defaults.get(*field) {
                notes
                    .review
                    .push(format!("{field} not found: the mapping's default {default}"));
                let value =
                    normalise_value(kind_of(field), default.clone(), config, notes).ok_or_else(|| {
                        format!("the mapping's default {field} = {default} is not a valid {field}")
                    })?;
                self.fields.insert(field.to_string(), value);
                continue;
            }
            let fallback = match *field {
                "severity" => config.severities.last().map(|s| s.name.clone()),
                "title" => Some(stem.replace(['-', '_'], " ").trim().to_string()).filter(|t| !t.is_empty()),
                "summary" => self.text("title").map(str::to_string),
                _ => None,
            };
            let Some(fallback) = fallback else {
                if *field == "started_at"
                    && let Some(unread) = self.extra.get(*field)
                {
                    // The source gave one, which could not be used: say that, not "none found".
                    return Err(format!(
                        "its {field} = {unread} is not one pmsite can read (e.g. 2024-03-08 or \
                         2024-03-08T14:20:00Z): correct it in the source, or give [defaults] {field} \
                         in a --mapping file"
                    ));
                }
                return Err(format!(
                    "no {field} found (no front matter for it, none in the file name, title or first lines); \
                     give it with [defaults] {field} in a --mapping file"
                ));
            };
            notes
                .review
                .push(format!("{field} not found: set to \"{fallback}\""));
            self.fields.insert(field.to_string(), Value::String(fallback));
        }
        Ok(())
    }
}

/// The mapping's `[defaults]` that could never be used (a severity the site does not
/// configure, a date that is not one): found before any file, as the mapping's mistake.
pub fn check_defaults(mapping: &Mapping, path: &Path, config: &Config) -> Result<(), super::MappingError> {
    for field in REQUIRED {
        let Some(default) = mapping.defaults.get(*field) else {
            continue;
        };
        if normalise_value(kind_of(field), default.clone(), config, &mut Notes::default()).is_some() {
            continue;
        }
        let hint = match *field {
            "severity" => {
                let levels: Vec<&str> = config.severities.iter().map(|s| s.name.as_str()).collect();
                format!("the levels configured in pmsite.toml are {}", levels.join(", "))
            }
            "started_at" => "write the day, e.g. started_at = 2024-03-08".to_string(),
            _ => format!("give {field} as text, e.g. {field} = \"...\""),
        };
        return Err(super::MappingError {
            file: path.to_path_buf(),
            line: std::fs::read_to_string(path)
                .ok()
                .and_then(|text| super::mapping::line_of(&text, field)),
            message: format!("[defaults] {field} = {default} is not a valid {field}"),
            hint: Some(hint),
        });
    }
    Ok(())
}

fn kind_of(field: &str) -> Kind {
    FRONT_MATTER
        .iter()
        .find(|f| f.name == field)
        .map_or(Kind::Free, |f| f.kind)
}

/// How many values one file may have moved aside before the importer gives up on it: each
/// round fixes at least one, so this is only reached by a value no move can fix.
const MAX_ROUNDS: usize = 100;

impl Postmortem {
    /// The file's text, parsed back as `pmsite check` will: every value it refuses is moved
    /// to `[extra]` (or, inside a timeline entry or action item, into its text), with a note.
    pub fn verified_text(
        &mut self,
        relative: &Path,
        id: &str,
        config: &Config,
        notes: &mut Notes,
    ) -> Result<String, String> {
        for _ in 0..MAX_ROUNDS {
            let text = self.compose();
            let errors = super::parse_back(relative, id, &text, config);
            let Some(error) = errors.first() else {
                return Ok(text);
            };
            let moved = error
                .field
                .as_deref()
                .is_some_and(|field| self.set_aside(field, &error.message, notes));
            if !moved {
                return Err(format!("the imported file would not load: {}", error.message));
            }
        }
        Err("the imported file would not load: too many invalid values".into())
    }

    /// Moves the value at `field` (`tags`, `action_items[2].due`) out of the checker's way.
    fn set_aside(&mut self, field: &str, why: &str, notes: &mut Notes) -> bool {
        let (top, rest) = match field.split_once(['.', '[']) {
            Some((top, rest)) => (top, Some(rest)),
            None => (field, None),
        };
        if let (Some(rest), "timeline" | "action_items") = (rest, top) {
            let Some((index, key)) = rest.split_once("].") else {
                return false;
            };
            let Some(Value::Array(entries)) = self.fields.get_mut(top) else {
                return false;
            };
            let Some(Value::Table(entry)) = index.parse::<usize>().ok().and_then(|i| entries.get_mut(i))
            else {
                return false;
            };
            let text_key = if top == "timeline" { "text" } else { "title" };
            if key == text_key || key == "at" {
                return false;
            }
            let Some(value) = entry.remove(key) else {
                return false;
            };
            let shown = match &value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if let Some(Value::String(text)) = entry.get_mut(text_key) {
                text.push_str(&format!(" ({key}: {shown})"));
            }
            notes
                .review
                .push(format!("{field} = {shown} moved into the {text_key}: {why}"));
            return true;
        }
        if REQUIRED.contains(&top) || top == "extra" {
            return false;
        }
        let Some(value) = self.fields.remove(top) else {
            return false;
        };
        notes.review.push(format!("{top} moved to extra.{top}: {why}"));
        self.extra.insert(top.to_string(), value);
        true
    }

    /// The file: TOML front matter in the order of docs/FORMAT.md, then the body.
    pub fn compose(&self) -> String {
        let mut scalars = String::new();
        let mut tables = String::new();
        let extra = (!self.extra.is_empty()).then(|| Value::Table(self.extra.clone()));
        let entries = FRONT_MATTER.iter().filter_map(|f| match f.name {
            "extra" => extra.as_ref().map(|v| (f.name, v)),
            name => self.fields.get(name).map(|v| (name, v)),
        });
        for (name, value) in entries {
            let mut one = Table::new();
            one.insert(name.to_string(), value.clone());
            let text = toml::to_string(&one).expect("plain TOML values always serialise");
            let is_table = matches!(value, Value::Table(_))
                || matches!(value, Value::Array(items) if items.first().is_some_and(Value::is_table));
            if is_table {
                tables.push('\n');
                tables.push_str(&text);
            } else {
                scalars.push_str(&text);
            }
        }
        format!("+++\n{scalars}{tables}+++\n\n{}", self.body)
    }
}
