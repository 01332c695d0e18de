//! An incident's page, laid out like a postmortem document: a header (severity, status,
//! times and durations, services), the summary, then the body with each topic once. Where
//! the front matter holds structured data for a topic (impact, timeline, contributing
//! factors, action items), it is shown inside the body's section of that name, found as
//! PM401 finds it (`check::sections::is_section`), or as a section of its own where the body
//! has none. The incidents connected to this one (recurrence chain, related, backlinks,
//! similar, same service or root cause) are listed once each, in one place, with why.
//! Reads one postmortem and, for the connections, the site's links and `Model::similar`.

use serde::Serialize;

use super::Common;
use crate::check::sections::is_section;
use crate::content::moment::{Moment, human_duration};
use crate::content::{ActionItem, Postmortem};
use crate::model::Model;
use crate::render::rows::{
    ActionRow, ActionSummary, Item, TermLink, action_rows, serde_plain, status_label, term_links, thousands,
    trim_float,
};
use crate::render::{Emit, RenderError, Renderer, markdown};
use crate::site::{TaxonomyKind, url};

#[derive(Serialize)]
struct Context<'a> {
    #[serde(flatten)]
    common: Common<'a>,
    /// The front matter as written.
    pm: &'a Postmortem,
    incident: Incident<'a>,
}

pub fn render<E: Emit>(r: &Renderer<'_>, out: &E, path: &str, index: usize) -> Result<E::Out, RenderError> {
    let pm = r.model.site.postmortems[index];
    let body = r.body(index, &url::root_from(path));
    let mut common = Common::new(r, path, pm.title.clone());
    common.description = Some(&pm.summary);
    let context = Context {
        common,
        pm,
        incident: incident(r.model, index, r.items(), &body),
    };
    out.emit("incident.html", &context)
}

/// The page's fingerprint (see [`Renderer::fingerprint`]), made without building its
/// context, which is what makes a preview's edit cheap: the page shows its own file (front
/// matter and body, read through the config and `today`, its links leading where they lead)
/// and, of the rest of the site, only its term links and its connected incidents. So those
/// are what is hashed. Whatever the page comes to read beyond them must be added here; the
/// preview's property test (random edits, then a preview compared with a full build) is
/// what notices a missing one.
pub fn fingerprint(r: &Renderer<'_>, path: &str, index: usize) -> u64 {
    /// A connected incident as the hash of its row, with why it is connected.
    type Hashed = (u64, bool, Vec<String>);
    #[derive(Serialize)]
    struct Inputs<'a> {
        common: Common<'a>,
        key: &'a str,
        front_matter: u64,
        body: u64,
        today: chrono::NaiveDate,
        item: &'a Item,
        terms: [Vec<TermLink>; 4],
        chain: Vec<Hashed>,
        others: Vec<Hashed>,
        more: Vec<TermMore>,
    }
    let (model, site) = (r.model, &r.model.site);
    let pm = site.postmortems[index];
    let mut common = Common::new(r, path, pm.title.clone());
    common.description = Some(&pm.summary);
    let Connected {
        chain, others, more, ..
    } = connected(model, index, r.items());
    let digests = r.item_digests();
    let hashed = |list: Vec<Connection<'_>>| -> Vec<Hashed> {
        list.into_iter()
            .map(|c| (digests[c.index], c.current, c.why))
            .collect()
    };
    let inputs = Inputs {
        common,
        key: &pm.source.key,
        front_matter: pm.source.head_digest,
        body: markdown::body_inputs(pm, site, &url::root_from(path)),
        today: site.selection.today,
        item: &r.items()[index],
        terms: [
            term_links(site, TaxonomyKind::Service, &pm.services),
            term_links(site, TaxonomyKind::Team, &pm.teams),
            term_links(site, TaxonomyKind::Tag, &pm.tags),
            term_links(site, TaxonomyKind::RootCause, &pm.root_causes),
        ],
        chain: hashed(chain),
        others: hashed(others),
        more,
    };
    crate::render::fingerprint_of("incident.html", &inputs)
}

/// Everything the incident page shows beyond the raw front matter (which it gets as `pm`).
#[derive(Debug, Serialize)]
pub struct Incident<'a> {
    pub item: &'a Item,
    pub severity_description: Option<String>,
    pub status: &'static str,
    pub visibility: &'static str,
    /// Started, detected, mitigated, resolved: each with how long after the start.
    pub times: Vec<Fact>,
    pub services: Vec<TermLink>,
    pub teams: Vec<TermLink>,
    pub tags: Vec<TermLink>,
    pub root_causes: Vec<TermLink>,
    pub impact: Vec<Fact>,
    pub impact_description: Option<String>,
    pub timeline: Vec<TimelineRow>,
    pub toc: Vec<TocEntry>,
    /// The body, cut where a structured block goes.
    pub body: Vec<BodyPart>,
    pub action_items: Vec<ActionRow>,
    pub action_summary: ActionSummary,
    pub connected: Connected<'a>,
}

#[derive(Debug, Serialize)]
pub struct Fact {
    pub label: &'static str,
    pub value: String,
    /// Machine-readable form for `<time datetime>` / `<data value>`, when there is one.
    pub machine: Option<String>,
    /// For a time after the start: how long after it (`2 h 58 min`) and as an ISO duration.
    pub after: Option<String>,
    pub after_machine: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TimelineRow {
    pub at: String,
    pub at_machine: String,
    pub kind: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub text: String,
    pub id: String,
}

/// What the front matter has structured data for, and the body may have a section of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Impact,
    Timeline,
    ContributingFactors,
    ActionItems,
}

impl Topic {
    /// In the order a postmortem tells them.
    const ALL: [Topic; 4] = [
        Topic::Impact,
        Topic::Timeline,
        Topic::ContributingFactors,
        Topic::ActionItems,
    ];

    /// The section name, as `check::sections` knows it (and as a heading of its own).
    fn section(self) -> &'static str {
        match self {
            Topic::Impact => "Impact",
            Topic::Timeline => "Timeline",
            Topic::ContributingFactors => "Contributing factors",
            Topic::ActionItems => "Action items",
        }
    }

    /// The id of its block: stable whatever the body's heading is called, so other pages
    /// can link to it (the ledger links to `#pm-action-items`).
    fn id(self) -> &'static str {
        match self {
            Topic::Impact => "pm-impact",
            Topic::Timeline => "pm-timeline",
            Topic::ContributingFactors => "pm-factors",
            Topic::ActionItems => "pm-action-items",
        }
    }

    /// Whether the block opens its section (facts at a glance, before the author's prose)
    /// or closes it (the tracker, after the text that introduces it).
    fn leads(self) -> bool {
        self != Topic::ActionItems
    }

    fn has_data(self, pm: &Postmortem) -> bool {
        match self {
            Topic::Impact => !pm.impact.is_empty(),
            Topic::Timeline => !pm.timeline.is_empty(),
            Topic::ContributingFactors => !pm.contributing_factors.is_empty(),
            Topic::ActionItems => !pm.action_items.is_empty(),
        }
    }
}

/// Where a postmortem usually tells each section: a topic the body has no section for goes
/// before the first body section that comes after it in this order.
const SECTION_ORDER: [&str; 8] = [
    "summary",
    "impact",
    "timeline",
    "root cause",
    "contributing factors",
    "5 whys",
    "action items",
    "lessons learned",
];

fn section_rank(heading: &str) -> Option<usize> {
    SECTION_ORDER.iter().position(|s| is_section(heading, s))
}

/// A run of the body's HTML, then (maybe) a topic's structured block.
#[derive(Debug, Serialize)]
pub struct BodyPart {
    pub html: String,
    pub block: Option<Block>,
}

#[derive(Debug, Serialize)]
pub struct Block {
    pub topic: Topic,
    pub id: &'static str,
    /// The heading to show when the body has no section for the topic.
    pub heading: Option<&'static str>,
}

/// The body's level-2 headings: where each starts and ends in the HTML, and its text.
struct BodyHeading<'h> {
    start: usize,
    end: usize,
    text: &'h str,
}

fn body_headings<'h>(pm: &'h Postmortem, html: &str) -> Vec<BodyHeading<'h>> {
    let mut from = 0;
    let mut found = Vec::new();
    for h in pm.source.outline.headings.iter().filter(|h| h.level == 2) {
        let open = format!("<h2 id=\"{}\">", crate::render::escape_html(&h.id));
        let Some(start) = html[from..].find(&open).map(|i| from + i) else {
            continue;
        };
        let end = html[start..]
            .find("</h2>")
            .map_or(html.len(), |i| start + i + "</h2>".len());
        found.push(BodyHeading {
            start,
            end,
            text: &h.text,
        });
        from = end;
    }
    found
}

/// The body cut into parts, each followed by the block of a topic with data: at the start or
/// the end of the body's section for it, or, without one, where that section would be.
/// Also the contents, in page order.
fn body_with_blocks(pm: &Postmortem, html: &str) -> (Vec<BodyPart>, Vec<TocEntry>) {
    let headings = body_headings(pm, html);
    let mut cuts: Vec<(usize, Block)> = Vec::new();
    let mut left_out = None;
    for topic in Topic::ALL.into_iter().filter(|t| t.has_data(pm)) {
        let own = headings.iter().position(|h| is_section(h.text, topic.section()));
        let cut = match own {
            Some(at) if topic.leads() => (headings[at].end, None),
            Some(at) => {
                let end = headings.get(at + 1).map_or(html.len(), |next| next.start);
                if topic == Topic::ActionItems {
                    let from = headings[at].end;
                    left_out = tracked_table(&html[from..end], &pm.action_items)
                        .map(|table| from + table.start..from + table.end);
                }
                (end, None)
            }
            None => {
                let rank = section_rank(topic.section());
                let before = headings
                    .iter()
                    .find(|h| section_rank(h.text).is_some_and(|r| Some(r) > rank));
                (before.map_or(html.len(), |h| h.start), Some(topic.section()))
            }
        };
        cuts.push((
            cut.0,
            Block {
                topic,
                id: topic.id(),
                heading: cut.1,
            },
        ));
    }
    cuts.sort_by_key(|(at, _)| *at);

    let mut toc = Vec::new();
    let mut outline = pm
        .source
        .outline
        .headings
        .iter()
        .filter(|h| (2..=3).contains(&h.level))
        .peekable();
    let mut parts = Vec::new();
    let mut from = 0;
    // Headings are in page order: each is looked for after the one before it.
    let mut searched_to = 0;
    for (at, block) in cuts {
        // Body headings before this cut come first in the contents.
        while let Some(h) = outline.peek() {
            let open = format!("<h{} id=\"{}\">", h.level, crate::render::escape_html(&h.id));
            match html[searched_to..].find(&open).map(|i| searched_to + i) {
                Some(i) if i >= at => break,
                Some(i) => searched_to = i + open.len(),
                None => {}
            }
            toc.push(toc_entry(h.level, &h.text, &h.id));
            outline.next();
        }
        if let Some(heading) = block.heading {
            toc.push(toc_entry(2, heading, block.id));
        }
        let html = match &left_out {
            Some(table) if from <= table.start && table.end <= at => {
                [&html[from..table.start], &html[table.end..at]].concat()
            }
            _ => html[from..at].to_string(),
        };
        parts.push(BodyPart {
            html,
            block: Some(block),
        });
        from = at;
    }
    toc.extend(outline.map(|h| toc_entry(h.level, &h.text, &h.id)));
    parts.push(BodyPart {
        html: html[from..].to_string(),
        block: None,
    });
    (parts, toc)
}

/// Column headings of a body's table of action items that the tracker shows too.
const TRACKED_COLUMNS: [&str; 13] = [
    "action",
    "action item",
    "item",
    "task",
    "owner",
    "assignee",
    "due",
    "due date",
    "status",
    "ticket",
    "issue",
    "priority",
    "type",
];

/// Where, in the body's action-items section, a table lists the front matter's items
/// again: the page shows the tracker there instead, since it says the same and more (an
/// incident page says each thing once). Only a table the tracker loses nothing of: every
/// column one the tracker shows, every row an item of the front matter by its title, as
/// written (a row with formatting or another title keeps the table).
fn tracked_table(section: &str, items: &[ActionItem]) -> Option<std::ops::Range<usize>> {
    let start = section.find("<table>")?;
    let end = start + section[start..].find("</table>")? + "</table>".len();
    let (head, body) = section[start..end].split_once("</thead>")?;
    // A cell's text is what follows the last tag before its end: a cell with markup of its
    // own then reads as something else, and the table stays.
    fn text(before_end: &str) -> &str {
        before_end.rsplit_once('>').map_or("", |(_, text)| text).trim()
    }
    let mut columns: Vec<&str> = head.split("</th>").map(text).collect();
    columns.pop(); // what follows the last heading
    if columns.is_empty()
        || !columns
            .iter()
            .all(|c| TRACKED_COLUMNS.contains(&c.to_lowercase().as_str()))
    {
        return None;
    }
    let mut titles = body
        .split("<tr>")
        .skip(1)
        .map(|row| row.split_once("</td>").map_or("", |(first, _)| text(first)))
        .peekable();
    titles.peek()?;
    // Markdown escapes these three in text.
    let unescaped = |cell: &str| {
        cell.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let listed = |cell: &str| {
        let title = unescaped(cell);
        items.iter().any(|a| a.title == title)
    };
    titles.all(listed).then_some(start..end)
}

fn toc_entry(level: u8, text: &str, id: &str) -> TocEntry {
    TocEntry {
        level,
        text: text.to_string(),
        id: id.to_string(),
    }
}

/// The incidents connected to this one, each once.
#[derive(Debug, Serialize)]
pub struct Connected<'a> {
    /// The recurrence chain in order, this incident included; empty when there is none.
    pub chain: Vec<Connection<'a>>,
    /// The others: related, linking here, similar, same service or root cause.
    #[serde(skip)]
    pub others: Vec<Connection<'a>>,
    /// The others as the page lists them: see [`ReasonGroup`].
    pub by_reason: Vec<ReasonGroup<'a>>,
    /// Where to find every incident of this one's services and root causes.
    pub more: Vec<TermMore>,
}

#[derive(Debug, Serialize)]
pub struct Connection<'a> {
    /// The incident's site index.
    #[serde(skip)]
    pub index: usize,
    pub item: &'a Item,
    /// In the chain: this incident.
    pub current: bool,
    /// Why it is connected, most telling first ("named as related", "shares checkout-api").
    pub why: Vec<String>,
}

/// Connected incidents that share their reasons: the page says the reasons once for the
/// run (a list of twelve says "similar: shares checkout-api" once, not twelve times).
#[derive(Debug, Serialize)]
pub struct ReasonGroup<'a> {
    /// The reasons, most telling first, joined ("links to this review; similar wording").
    pub why: String,
    pub items: Vec<&'a Item>,
}

/// Runs of consecutive entries with the same reasons: grouping only neighbours keeps the
/// order the list was ranked in (similar incidents most similar first).
fn by_reason<'a>(others: &[Connection<'a>]) -> Vec<ReasonGroup<'a>> {
    others
        .chunk_by(|a, b| a.why == b.why)
        .map(|run| ReasonGroup {
            why: run[0].why.join("; "),
            items: run.iter().map(|c| c.item).collect(),
        })
        .collect()
}

/// "Every incident with the same root cause deploy". No count: it would change on every
/// page of the term whenever an incident joins it, and a small change should make a small
/// deploy.
#[derive(Debug, Serialize)]
pub struct TermMore {
    pub label: &'static str,
    pub term: TermLink,
}

/// Incidents of the same service or root cause shown per term: the ones just before this
/// incident that are not listed already; the term's page lists the rest. Before, not the
/// newest: what happened there before is what a reader of this review needs, and a new
/// incident then changes no other incident's page.
const SAME_TERM_SHOWN: usize = 2;

fn connected<'a>(model: &'a Model<'_>, index: usize, items: &'a [Item]) -> Connected<'a> {
    let site = &model.site;
    let pm = site.postmortems[index];
    let chain_members = &site.recurrence_chains[index];
    let mut chain: Vec<Connection<'a>> = chain_members
        .iter()
        .map(|&i| Connection {
            index: i,
            item: &items[i],
            current: i == index,
            why: Vec::new(),
        })
        .collect();
    let mut others: Vec<(usize, Connection<'a>)> = Vec::new();
    // One entry per incident: a second reason joins the first.
    let mut note = |i: usize, why: String, others: &mut Vec<(usize, Connection<'a>)>| {
        if i == index {
            return;
        }
        let why_list = match chain_members.iter().position(|&c| c == i) {
            Some(at) => &mut chain[at].why,
            None => match others.iter().position(|(o, _)| *o == i) {
                Some(at) => &mut others[at].1.why,
                None => {
                    others.push((
                        i,
                        Connection {
                            index: i,
                            item: &items[i],
                            current: false,
                            why: Vec::new(),
                        },
                    ));
                    &mut others.last_mut().expect("just pushed").1.why
                }
            },
        };
        if !why_list.contains(&why) {
            why_list.push(why);
        }
    };
    for i in site.related(pm) {
        note(i, "named as related".into(), &mut others);
    }
    for &i in &site.backlinks[index] {
        note(i, "links to this review".into(), &mut others);
    }
    for s in &model.similar[index] {
        let why = if s.reasons.first().is_some_and(|r| r == "similar wording") {
            "similar wording".to_string()
        } else {
            format!("similar: shares {}", s.reasons.join(", "))
        };
        note(s.index, why, &mut others);
    }

    let mut more = Vec::new();
    for (kind, label, values) in [
        (TaxonomyKind::Service, "service", &pm.services),
        (TaxonomyKind::RootCause, "root cause", &pm.root_causes),
    ] {
        let taxonomy = site.taxonomy(kind);
        for value in values {
            let Some(term) = taxonomy.term_for(value) else {
                continue;
            };
            if term.members.len() < 2 {
                continue;
            }
            // Only for incidents not listed for a stronger reason (which, for a similar
            // one, names what it shares already).
            let why = format!("same {label}: {}", term.name);
            // Members are newest first: the earlier ones follow this incident.
            let earlier = term
                .members
                .iter()
                .position(|&i| i == index)
                .map_or(0, |at| at + 1);
            let unlisted: Vec<usize> = term.members[earlier..]
                .iter()
                .copied()
                .filter(|&i| {
                    i != index && !chain_members.contains(&i) && !others.iter().any(|(o, _)| *o == i)
                })
                .take(SAME_TERM_SHOWN)
                .collect();
            for i in unlisted {
                note(i, why.clone(), &mut others);
            }
            more.push(TermMore {
                label,
                term: TermLink {
                    name: term.name.clone(),
                    url: url::term(kind, &term.slug),
                },
            });
        }
    }
    let others: Vec<Connection<'a>> = others.into_iter().map(|(_, c)| c).collect();
    Connected {
        chain,
        by_reason: by_reason(&others),
        others,
        more,
    }
}

fn incident<'a>(model: &'a Model<'_>, index: usize, items: &'a [Item], body_html: &str) -> Incident<'a> {
    let site = &model.site;
    let pm = site.postmortems[index];
    let times = [
        ("Started", Some(pm.started_at)),
        ("Detected", pm.detected_at),
        ("Mitigated", pm.mitigated_at),
        ("Resolved", pm.resolved_at),
    ]
    .into_iter()
    .filter_map(|(label, moment)| moment.map(|m| moment_fact(label, &m, &pm.started_at)))
    .collect();

    let (action_items, action_summary) = action_rows(&pm.action_items, site.selection.today);
    let (body, toc) = body_with_blocks(pm, body_html);

    Incident {
        item: &items[index],
        severity_description: site
            .config
            .severity(&pm.severity)
            .map(|(_, s)| s.description.clone())
            .filter(|d| !d.is_empty()),
        status: status_label(pm),
        visibility: match pm.visibility {
            crate::content::Visibility::Public => "public",
            crate::content::Visibility::Internal => "internal",
            crate::content::Visibility::Restricted => "restricted",
        },
        times,
        services: term_links(site, TaxonomyKind::Service, &pm.services),
        teams: term_links(site, TaxonomyKind::Team, &pm.teams),
        tags: term_links(site, TaxonomyKind::Tag, &pm.tags),
        root_causes: term_links(site, TaxonomyKind::RootCause, &pm.root_causes),
        impact: impact_facts(pm, &site.config.currency),
        impact_description: pm.impact.description.clone(),
        timeline: pm
            .timeline
            .iter()
            .map(|e| TimelineRow {
                at: e.at.human(),
                at_machine: e.at.machine(),
                kind: serde_plain(&e.kind),
                text: e.text.clone(),
            })
            .collect(),
        toc,
        body,
        action_items,
        action_summary,
        connected: connected(model, index, items),
    }
}

fn moment_fact(label: &'static str, moment: &Moment, started: &Moment) -> Fact {
    let after = (moment != started).then(|| started.until(moment)).flatten();
    Fact {
        label,
        value: moment.human(),
        machine: Some(moment.machine()),
        after: after.map(human_duration),
        after_machine: after.map(|d| format!("PT{}M", d.num_minutes())),
    }
}

fn impact_facts(pm: &Postmortem, currency: &str) -> Vec<Fact> {
    let impact = &pm.impact;
    let yes_no = |b: bool| if b { "Yes" } else { "No" }.to_string();
    let mut facts = Vec::new();
    let mut push = |label, value: Option<String>| {
        if let Some(value) = value {
            facts.push(Fact {
                label,
                value,
                machine: None,
                after: None,
                after_machine: None,
            });
        }
    };
    push(
        "Users affected",
        impact.users_affected.map(|n| thousands(n as f64)),
    );
    push(
        "Revenue lost",
        impact
            .revenue_lost
            .map(|n| format!("{} {currency}", thousands(n))),
    );
    push(
        "Requests failed",
        impact.requests_failed_pct.map(|p| format!("{} %", trim_float(p))),
    );
    push("Customer-facing", impact.customer_facing.map(yes_no));
    push("SLO breached", impact.slo_breached.map(yes_no));
    push("Data loss", impact.data_loss.map(yes_no));
    facts
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    fn item(title: &str) -> ActionItem {
        ActionItem {
            title: title.to_string(),
            ..ActionItem::default()
        }
    }

    /// A section of Markdown as the body renderer writes it (tables on).
    fn rendered(markdown: &str) -> String {
        let mut out = String::new();
        let events = pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES);
        pulldown_cmark::html::push_html(&mut out, events);
        out
    }

    proptest::proptest! {
        #[test]
        fn a_table_of_the_items_titles_is_found_and_one_more_row_keeps_it(
            titles in proptest::collection::vec("[A-Za-z0-9&>'\"]([A-Za-z0-9&>'\" ]{0,20}[A-Za-z0-9&>'\"])?", 1..5),
        ) {
            let items: Vec<ActionItem> = titles.iter().map(|t| item(t)).collect();
            let rows: String = titles.iter().map(|t| format!("| {t} | ann |\n")).collect();
            let section = rendered(&format!("Agreed:\n\n| Action | Owner |\n|---|---|\n{rows}"));
            let found = tracked_table(&section, &items).expect("the table");
            proptest::prop_assert!(section[found.clone()].starts_with("<table>"));
            proptest::prop_assert!(section[found].ends_with("</table>"));
            let more = rendered(&format!("| Action | Owner |\n|---|---|\n{rows}| Not an item | bo |\n"));
            proptest::prop_assert!(tracked_table(&more, &items).is_none());
        }

        #[test]
        fn any_section_is_read_without_panicking(section in "(?s)(<table>|</table>|<thead>|</thead>|<tr>|<th>|</th>|<td>|</td>|.){0,60}") {
            let _ = tracked_table(&section, &[item("a")]);
        }
    }

    /// A postmortem with `front` matter and a body of these level-2 sections, and its body
    /// as HTML (a stand-in for the Markdown renderer's: the same heading markup).
    fn page(front: &str, sections: &[&str]) -> (Postmortem, String) {
        let body: String = sections
            .iter()
            .map(|s| format!("## {s}\n\nText of {s}.\n\n"))
            .collect();
        let text = format!(
            "+++\ntitle = \"T\"\nseverity = \"SEV2\"\nstarted_at = 2024-03-08T15:42:00Z\nsummary = \"S.\"\n{front}\n+++\n{body}"
        );
        let parsed = crate::content::parse_file(Path::new("x.md"), "x.md".into(), &text, &Config::default());
        let pm = parsed.postmortem.expect("a postmortem");
        let html = pm
            .source
            .outline
            .headings
            .iter()
            .map(|h| {
                format!(
                    "<h2 id=\"{}\">{}</h2>\n<p>Text of {}.</p>\n",
                    h.id, h.text, h.text
                )
            })
            .collect();
        (*pm, html)
    }

    const FRONT: &str = "[impact]\nusers_affected = 10\n[[timeline]]\nat = 2024-03-08T15:42:00Z\ntext = \"t\"\n\
                         [[action_items]]\ntitle = \"a\"";

    /// Each part as the text of the body around it and its block: `[Impact: impact]`.
    fn layout(parts: &[BodyPart]) -> Vec<String> {
        parts
            .iter()
            .flat_map(|p| {
                let text = p
                    .html
                    .split(['<', '>'])
                    .filter(|t| t.starts_with("Text of "))
                    .map(str::to_string);
                let block = p.block.as_ref().map(|b| {
                    format!(
                        "[{}{:?}]",
                        b.heading.map_or(String::new(), |h| format!("{h}: ")),
                        b.topic
                    )
                });
                text.chain(block).collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn structured_data_goes_into_the_body_section_of_the_same_name() {
        let (pm, html) = page(
            FRONT,
            &[
                "Summary",
                "Customer impact",
                "Timeline",
                "Follow-ups",
                "Lessons learned",
            ],
        );
        let (parts, toc) = body_with_blocks(&pm, &html);
        assert_eq!(
            layout(&parts),
            [
                "Text of Summary.",
                "[Impact]",
                "Text of Customer impact.",
                "[Timeline]",
                "Text of Timeline.",
                "Text of Follow-ups.",
                "[ActionItems]",
                "Text of Lessons learned."
            ],
            "impact and timeline open their sections, the tracker closes its own"
        );
        let whole: String = parts.iter().map(|p| p.html.as_str()).collect();
        assert_eq!(whole, html, "the body is all there, in order");
        assert_eq!(toc.len(), 5, "no section added: {toc:?}");
    }

    #[test]
    fn a_topic_the_body_lacks_is_a_section_where_a_postmortem_tells_it() {
        let (pm, html) = page(FRONT, &["Summary", "Root cause", "Lessons learned"]);
        let (parts, toc) = body_with_blocks(&pm, &html);
        assert_eq!(
            layout(&parts),
            [
                "Text of Summary.",
                "[Impact: Impact]",
                "[Timeline: Timeline]",
                "Text of Root cause.",
                "[Action items: ActionItems]",
                "Text of Lessons learned."
            ]
        );
        let toc: Vec<(&str, &str)> = toc.iter().map(|t| (t.text.as_str(), t.id.as_str())).collect();
        assert_eq!(
            toc,
            [
                ("Summary", "summary"),
                ("Impact", "pm-impact"),
                ("Timeline", "pm-timeline"),
                ("Root cause", "root-cause"),
                ("Action items", "pm-action-items"),
                ("Lessons learned", "lessons-learned")
            ]
        );
        // No body at all: the sections in their order.
        let (pm, html) = page(FRONT, &[]);
        assert_eq!(
            layout(&body_with_blocks(&pm, &html).0),
            [
                "[Impact: Impact]",
                "[Timeline: Timeline]",
                "[Action items: ActionItems]"
            ]
        );
    }
}
