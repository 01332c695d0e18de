//! The front-matter format as data: every key, its type, whether it is required and what it
//! means. `decode` takes its lists of known keys from here, and `pmsite schema` (and the
//! site's `schema/postmortem.json`) turns the same tables into a JSON Schema for editors, so
//! the two cannot drift apart. docs/FORMAT.md is the prose version.

use serde_json::{Map, Value, json};

use super::postmortem::{ActionStatus, ActionType, EventKind, Priority, Status, Visibility};
use crate::config::{Allowlist, Config};

#[derive(Clone, Copy)]
pub enum Kind {
    /// A non-empty string.
    Text,
    /// A page id: `[a-z0-9][a-z0-9._-]*`.
    Id,
    /// One of the configured severities.
    Severity,
    /// One word of a fixed set.
    Choice(fn() -> Vec<&'static str>),
    /// A datetime with an offset, or a plain date.
    Moment,
    /// A plain date.
    Date,
    /// A list of non-empty strings (a single string is a list of one), optionally limited to
    /// a configured allowlist.
    TextList(Allowed),
    /// A non-empty string, optionally limited to a configured allowlist.
    AllowedText(Allowed),
    /// An id, or a list of ids.
    IdOrIds,
    /// A whole number >= 0.
    Count,
    /// A number within bounds.
    Number {
        min: f64,
        max: f64,
    },
    Bool,
    /// An `http(s)://` or `mailto:` URL.
    Url,
    Table(&'static [Field]),
    TableList(&'static [Field]),
    /// Anything: the author's own data, not checked.
    Free,
}

/// Which of the config's allowlists limits a value, if any.
#[derive(Clone, Copy)]
pub enum Allowed {
    Any,
    Services,
    Teams,
    RootCauses,
}

pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub doc: &'static str,
}

const fn field(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        required: false,
        doc,
    }
}

const fn required(name: &'static str, kind: Kind, doc: &'static str) -> Field {
    Field {
        name,
        kind,
        required: true,
        doc,
    }
}

fn names<T>(options: &'static [(&'static str, T)]) -> Vec<&'static str> {
    options.iter().map(|(n, _)| *n).collect()
}

pub const FRONT_MATTER: &[Field] = &[
    field(
        "id",
        Kind::Id,
        "The URL slug, unique in the site. Default: the file name without .md.",
    ),
    required("title", Kind::Text, "One line naming the incident."),
    required(
        "severity",
        Kind::Severity,
        "One of the configured severity levels.",
    ),
    field(
        "status",
        Kind::Choice(|| names(Status::NAMES)),
        "Default published. Drafts are left out unless --drafts.",
    ),
    field(
        "visibility",
        Kind::Choice(|| names(Visibility::NAMES)),
        "Who may read it. Default internal.",
    ),
    required("started_at", Kind::Moment, "When impact started."),
    field("detected_at", Kind::Moment, "When someone or something noticed."),
    field("mitigated_at", Kind::Moment, "When impact stopped."),
    field("resolved_at", Kind::Moment, "When the incident was closed."),
    required("summary", Kind::Text, "Plain-text tl;dr, two or three sentences."),
    field("authors", Kind::TextList(Allowed::Any), "Who wrote the review."),
    field("owner", Kind::Text, "Who owns the follow-through."),
    field("incident_commander", Kind::Text, "Who led the response."),
    field("reviewers", Kind::TextList(Allowed::Any), "Who reviewed it."),
    field(
        "services",
        Kind::TextList(Allowed::Services),
        "Services involved.",
    ),
    field("teams", Kind::TextList(Allowed::Teams), "Teams involved."),
    field("tags", Kind::TextList(Allowed::Any), "Free tags."),
    field(
        "root_causes",
        Kind::TextList(Allowed::RootCauses),
        "Root-cause categories.",
    ),
    field("trigger", Kind::Text, "What set the incident off."),
    field("detection", Kind::Text, "How it was detected."),
    field(
        "contributing_factors",
        Kind::TextList(Allowed::Any),
        "Conditions that made it possible or worse.",
    ),
    field("related", Kind::IdOrIds, "Ids of related postmortems."),
    field(
        "recurrence_of",
        Kind::IdOrIds,
        "Ids of earlier incidents this one repeats.",
    ),
    field("impact", Kind::Table(IMPACT), "What the incident cost."),
    field(
        "timeline",
        Kind::TableList(TIMELINE),
        "Events, in the order they happened.",
    ),
    field(
        "action_items",
        Kind::TableList(ACTION_ITEM),
        "What will change, by whom and when.",
    ),
    field(
        "links",
        Kind::TableList(LINK),
        "Dashboards, chat archives, tickets.",
    ),
    field(
        "extra",
        Kind::Free,
        "Your own data, available to templates as pm.extra.",
    ),
];

pub const IMPACT: &[Field] = &[
    field("users_affected", Kind::Count, "How many users were affected."),
    field(
        "revenue_lost",
        Kind::Number {
            min: 0.0,
            max: f64::INFINITY,
        },
        "In the site's currency.",
    ),
    field(
        "requests_failed_pct",
        Kind::Number { min: 0.0, max: 100.0 },
        "Share of requests that failed, 0 to 100.",
    ),
    field("customer_facing", Kind::Bool, "Did customers notice?"),
    field("slo_breached", Kind::Bool, "Was an SLO breached?"),
    field("data_loss", Kind::Bool, "Was data lost?"),
    field("description", Kind::Text, "Impact in words."),
];

pub const TIMELINE: &[Field] = &[
    required("at", Kind::Moment, "When it happened."),
    field(
        "kind",
        Kind::Choice(|| names(EventKind::NAMES)),
        "What kind of event. Default note.",
    ),
    required("text", Kind::Text, "What happened."),
];

pub const ACTION_ITEM: &[Field] = &[
    required("title", Kind::Text, "What will be done."),
    field("owner", Kind::Text, "Who does it."),
    field("due", Kind::Date, "When it is due."),
    field(
        "status",
        Kind::Choice(|| names(ActionStatus::NAMES)),
        "Default open.",
    ),
    field(
        "priority",
        Kind::Choice(|| names(Priority::NAMES)),
        "P0 (most urgent) to P3.",
    ),
    field(
        "type",
        Kind::Choice(|| names(ActionType::NAMES)),
        "What the item does.",
    ),
    field(
        "ticket",
        Kind::Text,
        "TRACKER:ID, a bare id with one tracker configured, or a URL.",
    ),
    field("completed", Kind::Date, "When it was done."),
    field("team", Kind::AllowedText(Allowed::Teams), "Team doing it."),
    field(
        "service",
        Kind::AllowedText(Allowed::Services),
        "Service it improves.",
    ),
];

pub const LINK: &[Field] = &[
    required("title", Kind::Text, "What the link is."),
    required("url", Kind::Url, "An http(s):// or mailto: URL."),
    field("kind", Kind::Text, "Free, e.g. dashboard, chat, doc, ticket."),
];

/// The key names of a table, for "unknown key" checks.
pub fn keys(fields: &[Field]) -> Vec<&'static str> {
    fields.iter().map(|f| f.name).collect()
}

/// Where the schema is published in a built site.
pub const OUTPUT_PATH: &str = "schema/postmortem.json";

/// The JSON Schema (draft 2020-12) of a postmortem's front matter on this site: severities
/// and allowlists come from its pmsite.toml.
pub fn json_schema(config: &Config) -> Value {
    let mut schema = table(FRONT_MATTER, config);
    let object = schema.as_object_mut().expect("a table is an object");
    let mut head = Map::new();
    head.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    if !config.base_url.is_empty() {
        head.insert("$id".into(), json!(format!("{}{OUTPUT_PATH}", config.base_url)));
    }
    head.insert(
        "title".into(),
        json!(format!("{} postmortem front matter", config.title)),
    );
    head.insert(
        "description".into(),
        json!("The front matter of a pmsite postmortem (TOML between +++ lines or YAML between --- lines). Generated by `pmsite schema`."),
    );
    head.append(object);
    Value::Object(head)
}

fn table(fields: &[Field], config: &Config) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|f| {
            let mut value = kind(f.kind, config);
            if let Some(object) = value.as_object_mut() {
                object.insert("description".into(), json!(f.doc));
            }
            (f.name.to_string(), value)
        })
        .collect();
    let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name).collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

const TEXT_PATTERN: &str = r"\S";
const ID_PATTERN: &str = "^[a-z0-9][a-z0-9._-]*$";
const MOMENT_PATTERN: &str = r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2}))?$";
const DATE_PATTERN: &str = r"^\d{4}-\d{2}-\d{2}$";

fn allowed_text(allowed: Allowed, config: &Config) -> Value {
    let list: Option<&Allowlist> = match allowed {
        Allowed::Any => None,
        Allowed::Services => config.services.as_ref(),
        Allowed::Teams => config.teams.as_ref(),
        Allowed::RootCauses => config.root_causes.as_ref(),
    };
    match list {
        Some(list) => json!({ "type": "string", "enum": list.names().collect::<Vec<_>>() }),
        None => json!({ "type": "string", "pattern": TEXT_PATTERN }),
    }
}

fn kind(kind: Kind, config: &Config) -> Value {
    match kind {
        Kind::Text => json!({ "type": "string", "pattern": TEXT_PATTERN }),
        Kind::Id => json!({ "type": "string", "pattern": ID_PATTERN }),
        Kind::Severity => {
            json!({ "type": "string", "enum": config.severities.iter().map(|s| s.name.as_str()).collect::<Vec<_>>() })
        }
        Kind::Choice(options) => json!({ "type": "string", "enum": options() }),
        Kind::Moment => json!({ "type": "string", "pattern": MOMENT_PATTERN }),
        Kind::Date => json!({ "type": "string", "pattern": DATE_PATTERN }),
        Kind::TextList(allowed) => {
            let item = allowed_text(allowed, config);
            json!({ "anyOf": [item.clone(), { "type": "array", "items": item }] })
        }
        Kind::AllowedText(allowed) => allowed_text(allowed, config),
        Kind::IdOrIds => {
            let id = json!({ "type": "string", "pattern": TEXT_PATTERN });
            json!({ "anyOf": [id.clone(), { "type": "array", "items": id }] })
        }
        Kind::Count => json!({ "type": "integer", "minimum": 0 }),
        Kind::Number { min, max } => {
            let mut n = json!({ "type": "number", "minimum": min });
            if max.is_finite() {
                n["maximum"] = json!(max);
            }
            n
        }
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::Url => json!({ "type": "string", "pattern": "^(https?://|mailto:)" }),
        Kind::Table(fields) => table(fields, config),
        Kind::TableList(fields) => json!({ "type": "array", "items": table(fields, config) }),
        Kind::Free => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key `decode` reads (a `get("...")`, `required(&mut t, "...")` and the like on
    /// a table) is in these tables, and the keys it requires are required here: a key added
    /// to the decoder but not here would be accepted by pmsite and missing from the schema.
    #[test]
    fn every_key_the_decoder_reads_is_in_the_schema() {
        let source = include_str!("decode.rs");
        let source = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        // One space for every run of whitespace, so that line breaks do not hide a call.
        let source = source
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace("( ", "(");
        let tables = [FRONT_MATTER, IMPACT, TIMELINE, ACTION_ITEM, LINK];
        let all: Vec<&Field> = tables.iter().flat_map(|t| t.iter()).collect();
        let keys_after = |pattern: &str| -> Vec<String> {
            source
                .match_indices(pattern)
                .map(|(i, _)| {
                    let rest = &source[i + pattern.len()..];
                    rest[..rest.find('"').unwrap()].to_string()
                })
                .collect()
        };
        let mut read = keys_after("get(\"");
        read.extend(keys_after("&mut t, \""));
        read.extend(keys_after("text(r, \""));
        assert!(
            read.len() > 40,
            "the decoder reads keys this test no longer sees: {read:?}"
        );
        for key in &read {
            assert!(
                all.iter().any(|f| f.name == key),
                "decode reads `{key}`, which the schema lacks"
            );
        }
        let required = keys_after("required(&mut t, \"");
        assert!(required.len() >= 9, "{required:?}");
        for key in &required {
            assert!(
                all.iter().any(|f| f.name == key && f.required),
                "decode requires `{key}`, which the schema does not"
            );
        }
        for field in all.iter().filter(|f| f.required) {
            assert!(
                required.iter().any(|k| k == field.name),
                "the schema requires `{}`, decode does not",
                field.name
            );
        }
    }

    #[test]
    fn the_schema_uses_the_site_configuration() {
        let config =
            crate::config::parse("base_url = \"https://x.example/\"\n[teams]\nsre = \"SRE\"\n").unwrap();
        let schema = json_schema(&config);
        assert_eq!(schema["$id"], "https://x.example/schema/postmortem.json");
        assert_eq!(schema["properties"]["severity"]["enum"][0], "SEV1");
        assert_eq!(schema["properties"]["teams"]["anyOf"][0]["enum"], json!(["sre"]));
        assert_eq!(
            schema["properties"]["action_items"]["items"]["properties"]["team"]["enum"],
            json!(["sre"])
        );
        assert_eq!(
            schema["required"],
            json!(["title", "severity", "started_at", "summary"])
        );
    }
}
