//! Front-matter tree -> [`Postmortem`], checking every rule that needs only this one file and
//! the site config: types, required keys, enums, allowlists, id syntax, time order, tickets.
//! Rules that need other postmortems (unique ids, references, links) live in `validate`.

use std::path::Path;

use crate::config::{Allowlist, Config};
use crate::diagnostic::{Code, did_you_mean, shorten};
use crate::tree::{Node, Reader, Table, Value};

use super::moment::Moment;
use super::postmortem::*;
use super::schema;

/// Hints for keys that are not misspellings but belong elsewhere, or come from other tools.
const MISPLACED: &[(&str, &str)] = &[
    ("users_affected", "`users_affected` belongs under `[impact]`"),
    ("revenue_lost", "`revenue_lost` belongs under `[impact]`"),
    (
        "requests_failed_pct",
        "`requests_failed_pct` belongs under `[impact]`",
    ),
    ("customer_facing", "`customer_facing` belongs under `[impact]`"),
    ("slo_breached", "`slo_breached` belongs under `[impact]`"),
    ("data_loss", "`data_loss` belongs under `[impact]`"),
    ("due", "`due` belongs to an action item, under `[[action_items]]`"),
    ("date", "pmsite calls the incident's start `started_at`"),
    (
        "categories",
        "use `root_causes` for root-cause categories, `tags` for the rest",
    ),
    ("keywords", "use `tags`"),
    (
        "description",
        "use `summary` for the tl;dr, or `[impact]`'s `description`",
    ),
    ("author", "use `authors`, a list"),
    ("draft", "use `status = \"draft\"`"),
    ("slug", "use `id`"),
];

/// The longest id, service, team, tag, root cause or owner, in bytes. Each names a folder
/// of the site (`incidents/ID/`, `tags/SLUG/`), and file systems allow 255 bytes a name;
/// a slug can be longer than its value (punctuation is spelt out in hex).
pub const MAX_NAME_BYTES: usize = 100;

/// Ids whose page would collide with a file the build writes beside the incident pages
/// (`incidents/index.html`, the list's `incidents/page/2/`).
const RESERVED_IDS: [&str; 2] = ["index.html", "page"];

pub fn is_valid_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
}

/// Whether `id` can name an incident's page: valid, not one of the site's own names, and
/// short enough for a folder name. Only such an id ever becomes a file or folder name.
pub fn is_usable_id(id: &str) -> bool {
    is_valid_id(id) && !RESERVED_IDS.contains(&id) && id.len() <= MAX_NAME_BYTES
}

/// The postmortem read from front matter, or its source back when a required part is
/// missing or invalid (the reader holds the diagnostics saying why), so that its body can
/// still be checked.
pub fn decode(
    r: &mut Reader<'_>,
    root: &Node,
    config: &Config,
    source: Source,
) -> Result<Postmortem, Box<Source>> {
    let Some(mut t) = r.table(root, "") else {
        return Err(Box::new(source));
    };
    const REQUIRED_HINT: &str = "every postmortem needs title, severity, started_at and summary";

    let title = r
        .required(&mut t, "title", REQUIRED_HINT)
        .and_then(|n| r.string(n, "title"));
    let severity = r
        .required(&mut t, "severity", REQUIRED_HINT)
        .and_then(|n| severity(r, n, config));
    let started_at = r
        .required(
            &mut t,
            "started_at",
            "when did impact start? e.g. started_at = 2024-03-08T15:42:00Z",
        )
        .and_then(|n| r.moment(n, "started_at"));
    let summary = r
        .required(
            &mut t,
            "summary",
            "add a two-sentence plain-text tl;dr: summary = \"...\"",
        )
        .and_then(|n| r.string(n, "summary"));
    let id = id(r, &mut t, &source);

    let status = t
        .get("status")
        .and_then(|n| r.choice(n, "status", Status::NAMES))
        .unwrap_or(Status::Published);
    let visibility = t
        .get("visibility")
        .and_then(|n| r.choice(n, "visibility", Visibility::NAMES))
        .unwrap_or(Visibility::Internal);

    let mut times = Vec::new();
    let mut optional_moment = |r: &mut Reader<'_>, t: &mut Table<'_>, key: &'static str| {
        let node = t.get(key)?;
        let moment = r.moment(node, key)?;
        times.push((key, moment, node.span.clone()));
        Some(moment)
    };
    let detected_at = optional_moment(r, &mut t, "detected_at");
    let mitigated_at = optional_moment(r, &mut t, "mitigated_at");
    let resolved_at = optional_moment(r, &mut t, "resolved_at");
    if let Some(started) = started_at {
        check_time_order(r, started, &times);
    }

    let strings = |r: &mut Reader<'_>, t: &mut Table<'_>, key: &str| {
        t.get(key).map(|n| r.string_list(n, key)).unwrap_or_default()
    };
    let authors = strings(r, &mut t, "authors");
    let reviewers = strings(r, &mut t, "reviewers");
    let services = strings(r, &mut t, "services");
    let teams = strings(r, &mut t, "teams");
    let tags = strings(r, &mut t, "tags");
    let root_causes = strings(r, &mut t, "root_causes");
    let contributing_factors = strings(r, &mut t, "contributing_factors");
    for (key, values, allow) in [
        ("services", &services, &config.services),
        ("teams", &teams, &config.teams),
        ("root_causes", &root_causes, &config.root_causes),
    ] {
        if let (Some(allow), Some(node)) = (allow, t.get(key)) {
            check_allowed(r, node, key, values, allow);
        }
    }

    let text = |r: &mut Reader<'_>, t: &mut Table<'_>, key: &str| t.get(key).and_then(|n| r.string(n, key));
    let owner = text(r, &mut t, "owner");
    for (key, values) in [
        ("services", &services),
        ("teams", &teams),
        ("tags", &tags),
        ("root_causes", &root_causes),
        ("owner", &owner.iter().cloned().collect::<Vec<_>>()),
    ] {
        if let Some(node) = t.get(key) {
            check_name_lengths(r, node, key, values);
            // `tags = "dns, cache"` is one tag, `dns-cache`, unless it is said to be a list.
            if let (Value::String(text), true) = (&node.value, key != "owner")
                && text.contains(',')
            {
                let items: Vec<String> = text
                    .split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| format!("\"{item}\""))
                    .collect();
                r.invalid(
                    node,
                    key,
                    format!("`{key}` is one text with commas in it: `{}`", shorten(text, 40)),
                    format!("write a list: {key} = [{}]", items.join(", ")),
                );
            }
        }
    }
    let incident_commander = text(r, &mut t, "incident_commander");
    let trigger = text(r, &mut t, "trigger");
    let detection = text(r, &mut t, "detection");

    let related = t
        .get("related")
        .map(|n| references(r, n, "related"))
        .unwrap_or_default();
    let recurrence_of = t
        .get("recurrence_of")
        .map(|n| references(r, n, "recurrence_of"))
        .unwrap_or_default();

    let impact = t.get("impact").map(|n| impact(r, n)).unwrap_or_default();
    let timeline = t.get("timeline").map(|n| timeline(r, n)).unwrap_or_default();
    let action_items = t
        .get("action_items")
        .map(|n| action_items(r, n, config))
        .unwrap_or_default();
    let links = t.get("links").map(|n| links(r, n)).unwrap_or_default();
    let extra = t.get("extra").map(to_json).unwrap_or(serde_json::Value::Null);

    r.finish(&t, &schema::keys(schema::FRONT_MATTER), MISPLACED);

    let (Some((severity, severity_rank)), Some(id), Some(title), Some(summary), Some(started_at)) =
        (severity, id, title, summary, started_at)
    else {
        return Err(Box::new(source));
    };
    Ok(Postmortem {
        id,
        title,
        severity,
        severity_rank,
        summary,
        status,
        visibility,
        started_at,
        detected_at,
        mitigated_at,
        resolved_at,
        authors,
        owner,
        incident_commander,
        reviewers,
        services,
        teams,
        tags,
        root_causes,
        trigger,
        detection,
        contributing_factors,
        related,
        recurrence_of,
        impact,
        timeline,
        action_items,
        links,
        extra,
        source,
    })
}

fn severity(r: &mut Reader<'_>, node: &Node, config: &Config) -> Option<(String, usize)> {
    let name = r.string(node, "severity")?;
    if let Some((rank, level)) = config.severity(&name) {
        return Some((level.name.clone(), rank));
    }
    let names: Vec<&str> = config.severities.iter().map(|s| s.name.as_str()).collect();
    let hint = match did_you_mean(&name, names.iter().copied()) {
        Some(near) => format!("did you mean `{near}`? The levels are {}", names.join(", ")),
        None => format!("the levels configured in pmsite.toml are {}", names.join(", ")),
    };
    r.invalid(
        node,
        "severity",
        format!("`{name}` is not a configured severity"),
        hint,
    );
    None
}

fn id(r: &mut Reader<'_>, t: &mut Table<'_>, source: &Source) -> Option<String> {
    const RULE: &str =
        "an id is lowercase letters, digits, `.`, `_` and `-`, starting with a letter or digit";
    if let Some(node) = t.get("id") {
        let id = r.string(node, "id")?;
        let problem = if !is_valid_id(&id) {
            format!("{RULE}, e.g. `{}`", id_suggestion(&id))
        } else if RESERVED_IDS.contains(&id.as_str()) {
            format!(
                "`incidents/{id}` is a file or folder of the site's own; choose another id, e.g. `{id}-1`"
            )
        } else if id.len() > MAX_NAME_BYTES {
            format!(
                "an id names the incident's folder: at most {MAX_NAME_BYTES} bytes, e.g. `{}`",
                shorten_id(&id)
            )
        } else {
            return Some(id);
        };
        r.invalid(
            node,
            "id",
            format!("`{}` is not a valid id", shorten(&id, 40)),
            problem,
        );
        return None;
    }
    let stem = source
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if is_usable_id(&stem) {
        return Some(stem);
    }
    let span = t.span.start..t.span.start;
    r.report(
        Code::InvalidValue,
        span,
        "id",
        format!(
            "the file name `{}` cannot be used as the page id",
            shorten(&stem, 40)
        ),
        Some(format!(
            "{RULE}, at most {MAX_NAME_BYTES} bytes; rename the file or set id = \"{}\"",
            shorten_id(&id_suggestion(&stem))
        )),
    );
    None
}

/// An id like `text` that [`is_valid_id`] accepts (see [`id_slug`]), `incident` when `text`
/// gives none.
fn id_suggestion(text: &str) -> String {
    match id_slug(text) {
        slug if slug.is_empty() => "incident".to_string(),
        // `Page` -> `page` would be refused in turn.
        slug if RESERVED_IDS.contains(&slug.as_str()) => format!("{slug}-1"),
        slug => slug,
    }
}

/// What `text` gives of an id: lowercase ASCII letters and digits, accents dropped (`Café`
/// -> `cafe`), other characters as dashes; empty when it has no such letter or digit
/// (`データベース障害`). Ids name folders and files of every static host, so they stay ASCII
/// while titles need not.
pub fn id_slug(text: &str) -> String {
    let ascii: String = text
        .chars()
        .map(|c| match c {
            'à'..='å' | 'À'..='Å' => 'a',
            'ç' | 'Ç' => 'c',
            'è'..='ë' | 'È'..='Ë' => 'e',
            'ì'..='ï' | 'Ì'..='Ï' => 'i',
            'ñ' | 'Ñ' => 'n',
            'ò'..='ö' | 'ø' | 'Ò'..='Ö' | 'Ø' => 'o',
            'ù'..='ü' | 'Ù'..='Ü' => 'u',
            'ý' | 'ÿ' | 'Ý' => 'y',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => ' ',
        })
        .collect();
    super::markdown::slugify(&ascii)
}

/// `id` cut to [`MAX_NAME_BYTES`] (ids are ASCII) without a trailing separator.
fn shorten_id(id: &str) -> String {
    id[..id.len().min(MAX_NAME_BYTES)]
        .trim_end_matches(['-', '.', '_'])
        .to_string()
}

/// Names that become folders of the site (services, teams, tags, root causes, owners)
/// must fit a file name; see [`MAX_NAME_BYTES`].
fn check_name_lengths(r: &mut Reader<'_>, node: &Node, field: &str, values: &[String]) {
    for (i, value) in values.iter().enumerate() {
        if value.len() <= MAX_NAME_BYTES {
            continue;
        }
        let (item, field) = match &node.value {
            Value::Array(items) => (items.get(i).unwrap_or(node), format!("{field}[{i}]")),
            _ => (node, field.to_string()),
        };
        r.invalid(
            item,
            &field,
            format!("`{}` is {} bytes long", shorten(value, 40), value.len()),
            format!("it names a page's folder: at most {MAX_NAME_BYTES} bytes; shorten it"),
        );
    }
}

fn check_time_order(r: &mut Reader<'_>, started: Moment, later: &[(&str, Moment, std::ops::Range<usize>)]) {
    let mut previous = ("started_at", started);
    for (key, moment, span) in later {
        if moment.compare(&previous.1) == std::cmp::Ordering::Less {
            r.report(
                Code::TimeOrder,
                span.clone(),
                key,
                format!(
                    "`{key}` ({}) is before `{}` ({})",
                    moment.human(),
                    previous.0,
                    previous.1.human()
                ),
                Some("times go started_at <= detected_at <= mitigated_at <= resolved_at; check the date and the offset".into()),
            );
        }
        previous = (key, *moment);
    }
}

fn check_allowed(r: &mut Reader<'_>, node: &Node, key: &str, values: &[String], allow: &Allowlist) {
    for (i, value) in values.iter().enumerate() {
        if allow.contains(value) {
            continue;
        }
        let item = match &node.value {
            Value::Array(items) => items.get(i).unwrap_or(node),
            _ => node,
        };
        let hint = match did_you_mean(value, allow.names()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!(
                "pmsite.toml allows: {}; add `{value}` there if it is new",
                allow.names().collect::<Vec<_>>().join(", ")
            ),
        };
        r.invalid(
            item,
            &format!("{key}[{i}]"),
            format!("`{value}` is not in the `{key}` list of pmsite.toml"),
            hint,
        );
    }
}

fn references(r: &mut Reader<'_>, node: &Node, field: &str) -> Vec<Reference> {
    let items: Vec<(&Node, String)> = match &node.value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, n)| (n, format!("{field}[{i}]")))
            .collect(),
        _ => vec![(node, field.to_string())],
    };
    items
        .into_iter()
        .filter_map(|(n, field)| {
            let id = r.string(n, &field)?;
            Some(Reference {
                id: id.strip_suffix(".md").unwrap_or(&id).to_string(),
                location: r.location(n.span.clone()),
                field,
            })
        })
        .collect()
}

fn impact(r: &mut Reader<'_>, node: &Node) -> Impact {
    let Some(mut t) = r.table(node, "impact") else {
        return Impact::default();
    };
    let impact = Impact {
        users_affected: t
            .get("users_affected")
            .and_then(|n| r.count(n, "impact.users_affected")),
        revenue_lost: t
            .get("revenue_lost")
            .and_then(|n| r.number(n, "impact.revenue_lost", 0.0, f64::INFINITY)),
        requests_failed_pct: t
            .get("requests_failed_pct")
            .and_then(|n| r.number(n, "impact.requests_failed_pct", 0.0, 100.0)),
        customer_facing: t
            .get("customer_facing")
            .and_then(|n| r.bool(n, "impact.customer_facing")),
        slo_breached: t
            .get("slo_breached")
            .and_then(|n| r.bool(n, "impact.slo_breached")),
        data_loss: t.get("data_loss").and_then(|n| r.bool(n, "impact.data_loss")),
        description: t
            .get("description")
            .and_then(|n| r.string(n, "impact.description")),
    };
    r.finish(&t, &schema::keys(schema::IMPACT), &[]);
    impact
}

fn timeline(r: &mut Reader<'_>, node: &Node) -> Vec<TimelineEntry> {
    let items = r.list(node, "timeline");
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let path = format!("timeline[{i}]");
            let mut t = r.table(item, &path)?;
            let at = r
                .required(&mut t, "at", "when did it happen? at = 2024-03-08T15:42:00Z")
                .and_then(|n| r.moment(n, &format!("{path}.at")));
            let text = r
                .required(&mut t, "text", "what happened? text = \"...\"")
                .and_then(|n| r.string(n, &format!("{path}.text")));
            let kind = t
                .get("kind")
                .and_then(|n| r.choice(n, &format!("{path}.kind"), EventKind::NAMES))
                .unwrap_or(EventKind::Note);
            r.finish(&t, &schema::keys(schema::TIMELINE), &[]);
            Some(TimelineEntry {
                at: at?,
                kind,
                text: text?,
            })
        })
        .collect()
}

fn action_items(r: &mut Reader<'_>, node: &Node, config: &Config) -> Vec<ActionItem> {
    let items = r.list(node, "action_items");
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let path = format!("action_items[{i}]");
            let f = |key: &str| format!("{path}.{key}");
            let mut t = r.table(item, &path)?;
            let title = r
                .required(&mut t, "title", "say what will be done: title = \"...\"")
                .and_then(|n| r.string(n, &f("title")));
            let mut text = |r: &mut Reader<'_>, key: &str| t.get(key).and_then(|n| r.string(n, &f(key)));
            let owner = text(r, "owner");
            let team = text(r, "team");
            let service = text(r, "service");
            let ticket = t.get("ticket").and_then(|n| ticket(r, n, &f("ticket"), config));
            let due = t.get("due").and_then(|n| r.date(n, &f("due")));
            let completed = t.get("completed").and_then(|n| r.date(n, &f("completed")));
            let status = t
                .get("status")
                .and_then(|n| r.choice(n, &f("status"), ActionStatus::NAMES))
                .unwrap_or_default();
            let priority = t
                .get("priority")
                .and_then(|n| r.choice(n, &f("priority"), Priority::NAMES));
            let kind = t
                .get("type")
                .and_then(|n| r.choice(n, &f("type"), ActionType::NAMES));
            for (key, value, allow) in [
                ("team", &team, &config.teams),
                ("service", &service, &config.services),
            ] {
                if let (Some(value), Some(allow), Some(node)) = (value, allow, t.get(key)) {
                    check_allowed(r, node, &f(key), std::slice::from_ref(value), allow);
                }
            }
            for (key, value) in [("owner", &owner), ("team", &team), ("service", &service)] {
                if let (Some(value), Some(node)) = (value, t.get(key)) {
                    check_name_lengths(r, node, &f(key), std::slice::from_ref(value));
                }
            }
            r.finish(
                &t,
                &schema::keys(schema::ACTION_ITEM),
                &[("due_date", "use `due`"), ("assignee", "use `owner`")],
            );
            Some(ActionItem {
                title: title?,
                owner,
                due,
                status,
                priority,
                kind,
                ticket,
                completed,
                team,
                service,
            })
        })
        .collect()
}

fn ticket(r: &mut Reader<'_>, node: &Node, field: &str, config: &Config) -> Option<Ticket> {
    let label = r.string(node, field)?;
    if label.starts_with("https://") || label.starts_with("http://") {
        return Some(Ticket {
            url: Some(label.clone()),
            label,
        });
    }
    let trackers: Vec<&str> = config.tickets.keys().map(String::as_str).collect();
    let (tracker, id) = match label.split_once(':') {
        Some((tracker, id)) if !id.is_empty() => (Some(tracker), id),
        _ => (None, label.as_str()),
    };
    let template = match (tracker, trackers.as_slice()) {
        (_, []) => None,
        (Some(tracker), _) => match config.tickets.get(tracker) {
            Some(template) => Some(template),
            None => {
                let hint = match did_you_mean(tracker, trackers.iter().copied()) {
                    Some(near) => format!("did you mean `{near}:{id}`?"),
                    None => format!(
                        "the trackers in pmsite.toml's [tickets] are {}",
                        trackers.join(", ")
                    ),
                };
                r.invalid(
                    node,
                    field,
                    format!("no ticket tracker is named `{tracker}`"),
                    hint,
                );
                return None;
            }
        },
        (None, [only]) => config.tickets.get(*only),
        (None, _) => {
            r.invalid(
                node,
                field,
                format!("ticket `{label}` does not say which tracker it is in"),
                format!(
                    "write TRACKER:ID with one of {}, e.g. `{}:{label}`",
                    trackers.join(", "),
                    trackers[0]
                ),
            );
            return None;
        }
    };
    let url = template.map(|t| t.replace("{id}", &super::links::encode_segment(id)));
    Some(Ticket { label, url })
}

fn links(r: &mut Reader<'_>, node: &Node) -> Vec<Link> {
    let items = r.list(node, "links");
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let path = format!("links[{i}]");
            let mut t = r.table(item, &path)?;
            let title = r
                .required(&mut t, "title", "name the link: title = \"...\"")
                .and_then(|n| r.string(n, &format!("{path}.title")));
            let url_node = r.required(&mut t, "url", "url = \"https://...\"");
            let url = url_node.and_then(|n| r.string(n, &format!("{path}.url")));
            let kind = t.get("kind").and_then(|n| r.string(n, &format!("{path}.kind")));
            r.finish(&t, &schema::keys(schema::LINK), &[]);
            let url = url?;
            if !["https://", "http://", "mailto:"]
                .iter()
                .any(|s| url.starts_with(s))
            {
                r.invalid(
                    url_node?,
                    &format!("{path}.url"),
                    format!("`{url}` is not an http(s) or mailto: URL"),
                    "link to other postmortems from the body instead, with a relative .md link",
                );
                return None;
            }
            Some(Link {
                title: title?,
                url,
                kind,
            })
        })
        .collect()
}

/// The tree as JSON: `extra` for templates, and the front matter for schema checks.
pub fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match &node.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Integer(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::String(s) | Value::Datetime(s) => J::String(s.clone()),
        Value::Array(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Table(entries) => J::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), to_json(&e.node)))
                .collect(),
        ),
    }
}

/// Used by tests and by `validate`: the file name a postmortem would get for `id`.
pub fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Diagnostic, Location};
    use crate::tree::{Codes, parse_toml};

    fn decode_str(front: &str, config: &Config) -> (Option<Postmortem>, Vec<Diagnostic>) {
        let node = parse_toml(front, 0).unwrap();
        let mut r = Reader::new(Path::new("postmortems/x.md"), front, Codes::FRONT_MATTER);
        let source = Source {
            path: Path::new("postmortems/2024-01-01-x.md").into(),
            key: "2024-01-01-x.md".into(),
            body: String::new().into(),
            digest: Source::digest_of(front),
            head_digest: Source::digest_of(front),
            head: super::Head::new(front.to_string()),
            tree: crate::content::Held::holding(node.clone()),
            body_offset: 0,
            body_line: 1,
            outline: Default::default(),
            id_location: Location::of("", 0..0),
            lines: Default::default(),
        };
        let pm = decode(&mut r, &node, config, source).ok();
        (pm, r.diagnostics)
    }

    const MINIMAL: &str =
        "title = \"T\"\nseverity = \"SEV2\"\nstarted_at = 2024-01-01T10:00:00Z\nsummary = \"S\"\n";

    #[test]
    fn a_minimal_postmortem_gets_defaults() {
        let (pm, d) = decode_str(MINIMAL, &Config::default());
        assert!(d.is_empty(), "{d:?}");
        let pm = pm.unwrap();
        assert_eq!(pm.id, "2024-01-01-x");
        assert_eq!(pm.status, Status::Published);
        assert_eq!(pm.visibility, Visibility::Internal);
        assert_eq!(pm.severity_rank, 1);
    }

    #[test]
    fn every_missing_required_key_is_reported() {
        let (pm, d) = decode_str("tags = [\"a\"]\n", &Config::default());
        assert!(pm.is_none());
        let fields: Vec<_> = d.iter().filter_map(|d| d.field.as_deref()).collect();
        assert_eq!(fields, ["title", "severity", "started_at", "summary"]);
        assert!(d.iter().all(|d| d.code == Code::MissingKey));
    }

    #[test]
    fn misplaced_and_misspelt_keys_get_targeted_hints() {
        let (_, d) = decode_str(
            &format!("{MINIMAL}users_affected = 3\nservics = []\n"),
            &Config::default(),
        );
        assert_eq!(d.len(), 2);
        assert_eq!(
            d[0].hint.as_deref(),
            Some("`users_affected` belongs under `[impact]`")
        );
        assert_eq!(d[1].hint.as_deref(), Some("did you mean `services`?"));
        assert_eq!(d[1].line(), 6);
    }

    #[test]
    fn times_out_of_order_point_at_the_later_key() {
        let (_, d) = decode_str(
            &format!("{MINIMAL}detected_at = 2024-01-01T09:00:00Z\n"),
            &Config::default(),
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, Code::TimeOrder);
        assert_eq!(d[0].line(), 5);
    }

    #[test]
    fn severity_must_be_configured() {
        let (_, d) = decode_str(&MINIMAL.replace("SEV2", "SEV5"), &Config::default());
        assert_eq!(d[0].field.as_deref(), Some("severity"));
        assert!(d[0].hint.as_deref().unwrap().contains("SEV1, SEV2, SEV3, SEV4"));
    }

    #[test]
    fn tickets_resolve_through_templates() {
        let mut config = Config::default();
        config
            .tickets
            .insert("JIRA".into(), "https://jira.example.com/browse/{id}".into());
        let front = format!(
            "{MINIMAL}[[action_items]]\ntitle = \"a\"\nticket = \"JIRA:OPS-1\"\n[[action_items]]\ntitle = \"b\"\nticket = \"OPS-2\"\n[[action_items]]\ntitle = \"c\"\nticket = \"JRIA:OPS-3\"\n"
        );
        let (pm, d) = decode_str(&front, &config);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `JIRA:OPS-3`?"));
        assert!(pm.is_some());
        let pm = decode_str(&front.replace("JRIA", "JIRA"), &config).0.unwrap();
        let urls: Vec<_> = pm
            .action_items
            .iter()
            .map(|a| a.ticket.as_ref().unwrap().url.clone().unwrap())
            .collect();
        assert_eq!(urls[0], "https://jira.example.com/browse/OPS-1");
        assert_eq!(urls[1], "https://jira.example.com/browse/OPS-2");
    }

    #[test]
    fn allowlists_are_enforced_with_suggestions() {
        let config = Config {
            services: Some(Allowlist {
                entries: vec![("checkout-api".into(), None)],
            }),
            ..Config::default()
        };
        let (_, d) = decode_str(
            &format!("{MINIMAL}services = [\"checkout-api\", \"chekout-api\"]\n"),
            &config,
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].field.as_deref(), Some("services[1]"));
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `checkout-api`?"));
    }

    #[test]
    fn ids_are_validated() {
        assert!(is_valid_id("2024-01-01-dns.outage_2"));
        assert!(!is_valid_id("Dns"));
        assert!(!is_valid_id("-x"));
        assert!(!is_valid_id(""));
        let (_, d) = decode_str(&format!("id = \"My Outage\"\n{MINIMAL}"), &Config::default());
        assert_eq!(
            d[0].hint.as_deref().map(|h| h.ends_with("`my-outage`")),
            Some(true)
        );
    }
}
