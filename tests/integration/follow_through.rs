//! Follow-through and insights: the action-item ledger, the insights charts and tables,
//! service dossiers, on this day, Atom feeds, sitemap.xml and incidents.json, on a fixture
//! whose numbers are worked out by hand (see `fixture`).

use roxmltree::Document;
use serde_json::Value;

use crate::test::*;

const TODAY: &str = "2025-06-01";
const ATOM: &str = "http://www.w3.org/2005/Atom";
/// Strings that exist only in postmortems this build must leave out.
const CANARIES: [&str; 6] = [
    "CANARYRESTRICTED",
    "CANARYDRAFT",
    "CANARYACTION",
    "secret-svc",
    "evelyn.canary",
    "frank.canary",
];

/// Four published postmortems (A, B, C, D), one restricted and one draft. Built on
/// 2025-06-01. The numbers below are worked out by hand from these files.
///
/// Action items (7 published): done A1 (closed 10 days after its incident), B2 (30), C2 (30);
/// won't do A3; pending A2 (P2, due 2025-05-01: 31 days overdue), B1 (P0, due 2025-05-25:
/// 7 days overdue), C1 (P1, due 2025-07-01: not yet due).
/// Completion 3 / (7 - 1) = 50 %; median days to close of [10, 30, 30] = 30.
/// Time to detect: A 10 min, B 30, C 90, D a plain date. Time to resolve: A 240, B 60.
fn fixture() -> Site {
    let site = Site::new();
    site.postmortem(
        "a.md",
        r#"title = "Alpha outage"
severity = "SEV1"
started_at = 2024-01-10T10:00:00Z
detected_at = 2024-01-10T10:10:00Z
resolved_at = 2024-01-10T14:00:00Z
services = ["api", "db"]
teams = ["sre"]
tags = ["friday"]
root_causes = ["deploy"]
contributing_factors = ["No canary", "Alert too noisy"]
authors = ["ann"]
related = ["r"]
[[action_items]]
title = "Add canary"
owner = "ann"
due = 2024-02-01
status = "done"
completed = 2024-01-20
priority = "P1"
type = "prevent"
ticket = "https://tickets.example.com/1"
[[action_items]]
title = "Fix alert"
owner = "bob"
due = 2025-05-01
priority = "P2"
type = "detect"
[[action_items]]
title = "Rewrite runbook"
owner = "bob"
status = "wont_do"
"#,
        "",
    )
    .postmortem(
        "b.md",
        r#"title = "Bravo slowdown"
severity = "SEV2"
started_at = 2024-02-20T08:00:00Z
detected_at = 2024-02-20T08:30:00Z
resolved_at = 2024-02-20T09:00:00Z
services = ["api"]
teams = ["payments"]
root_causes = ["deploy", "capacity"]
contributing_factors = ["no canary "]
[[action_items]]
title = "Scale pool"
owner = "cara"
team = "sre"
service = "db"
due = 2025-05-25
status = "in_progress"
priority = "P0"
[[action_items]]
title = "Load test"
owner = "ann"
status = "done"
completed = 2024-03-21
"#,
        "",
    )
    .postmortem(
        "c.md",
        r#"title = "Charlie errors"
severity = "SEV2"
started_at = 2024-04-05T00:00:00Z
detected_at = 2024-04-05T01:30:00Z
services = ["web"]
root_causes = ["capacity"]
[[action_items]]
title = "Add autoscaling"
owner = "dan"
due = 2025-07-01
priority = "P1"
[[action_items]]
title = "Document the limits"
status = "done"
completed = 2024-05-05
"#,
        "",
    )
    .postmortem(
        "d.md",
        r#"title = "Delta near miss"
severity = "SEV3"
started_at = 2023-06-01
detected_at = 2023-06-01
services = ["api"]
"#,
        "",
    )
    .postmortem(
        "r.md",
        r#"title = "CANARYRESTRICTED leak"
severity = "SEV1"
visibility = "restricted"
started_at = 2024-01-15T10:00:00Z
detected_at = 2024-01-15T18:00:00Z
services = ["secret-svc", "api"]
root_causes = ["deploy"]
contributing_factors = ["No canary"]
[[action_items]]
title = "CANARYACTION"
owner = "evelyn.canary"
due = 2020-01-01
"#,
        "",
    )
    .postmortem(
        "draft.md",
        r#"title = "CANARYDRAFT"
status = "draft"
started_at = 2022-06-01T10:00:00Z
services = ["api"]
[[action_items]]
title = "Draft item"
owner = "frank.canary"
due = 2020-01-01
"#,
        "",
    );
    site
}

fn build(site: &Site) -> Run {
    site.pmsite(&["build", "--today", TODAY]).success()
}

/// Text content of an HTML fragment, tags dropped and whitespace collapsed, for asserting
/// what a reader sees.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#39;", "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The part of `html` from the element with `id` to the end of its section.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no id {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// Action titles in the order a ledger page lists them (without the priority and type
/// under each).
fn ledger_titles(html: &str) -> Vec<String> {
    html.split("<th scope=\"row\">")
        .skip(1)
        .map(|row| {
            let cell = &row[..row.find("</th>").unwrap()];
            text(&cell[..cell.find("<span class=\"row-meta\">").unwrap_or(cell.len())])
        })
        .collect()
}

#[test]
fn the_ledger_counts_and_orders_action_items() {
    let site = fixture();
    build(&site);
    let open = site.read("public/action-items/index.html");
    let stats = text(section(&open, "main"));
    for expected in [
        "Open 3",
        "Overdue 2",
        "Done 3",
        "Won't do 1",
        "Completion rate 50 %",
        "Median days to close 30 (of 3)",
    ] {
        assert!(stats.contains(expected), "ledger lacks {expected:?}:\n{stats}");
    }
    let items = section(&open, "ledger-items");
    // Overdue first, highest priority before most days; then by due date.
    assert_eq!(
        ledger_titles(items),
        ["Scale pool", "Fix alert", "Add autoscaling"]
    );
    let items_text = text(items);
    assert!(items_text.contains("2025-05-25 overdue"), "{items_text}");
    assert!(items_text.contains("2025-05-01 overdue"), "{items_text}");
    // Each row: its postmortem, owner, team, service, ticket.
    for link in [
        "href=\"../incidents/b/#pm-action-items\"",
        "href=\"../action-items/owners/cara/\"",
        "href=\"../action-items/teams/sre/\"",
        "href=\"../services/db/\"",
    ] {
        assert!(items.contains(link), "ledger row lacks {link}");
    }

    let tabs = text(
        section(&open, "main")
            .split("aria-label=\"Action item views\">")
            .nth(1)
            .unwrap(),
    );
    assert!(tabs.starts_with("Open 3 Overdue 2 Done and won't do 4"), "{tabs}");

    let overdue = site.read("public/action-items/overdue/index.html");
    assert_eq!(
        ledger_titles(section(&overdue, "ledger-items")),
        ["Scale pool", "Fix alert"]
    );
    let done = site.read("public/action-items/done/index.html");
    assert_eq!(
        ledger_titles(section(&done, "ledger-items")),
        [
            "Document the limits",
            "Load test",
            "Add canary",
            "Rewrite runbook"
        ],
        "most recently completed first, won't-do last"
    );
    let add_canary = done.split("Add canary").nth(1).unwrap();
    assert!(add_canary.contains("href=\"https://tickets.example.com/1\""));

    // Owners and teams, with their own numbers.
    let owners = text(section(&open, "ledger-owners"));
    assert!(owners.contains("ann 0 0 2 0 100 % 10"), "{owners}");
    assert!(owners.contains("bob 1 1 0 1 0 % —"), "{owners}");
    let teams = text(section(&open, "ledger-teams"));
    assert!(teams.contains("sre 2 2 1 1 33 % 10"), "{teams}");
    let bob = site.read("public/action-items/owners/bob/index.html");
    assert_eq!(
        ledger_titles(section(&bob, "ledger-items")),
        ["Fix alert", "Rewrite runbook"]
    );
    let sre = site.read("public/action-items/teams/sre/index.html");
    assert_eq!(
        ledger_titles(section(&sre, "ledger-items")),
        ["Scale pool", "Fix alert", "Add canary", "Rewrite runbook"]
    );
    assert!(
        sre.contains("href=\"../../../teams/sre/\""),
        "links to the team's incidents"
    );
    let team_page = site.read("public/teams/sre/index.html");
    assert!(
        team_page.contains("href=\"../../action-items/teams/sre/\""),
        "and back to its action items"
    );
}

#[test]
fn overdue_follows_the_build_date() {
    let site = fixture();
    site.pmsite(&["build", "--today", "2025-05-10"]).success();
    let overdue = site.read("public/action-items/overdue/index.html");
    assert_eq!(ledger_titles(section(&overdue, "ledger-items")), ["Fix alert"]);
    assert!(text(&overdue).contains("2025-05-01 overdue"));
}

/// (category, series, value) of every bar of the chart in the section `id`.
fn bars(html: &str, id: &str) -> Vec<(String, String, i64)> {
    let part = section(html, id);
    let start = part.find("<svg").expect("an SVG chart");
    let end = part.find("</svg>").unwrap() + "</svg>".len();
    let doc = Document::parse(&part[start..end]).expect("the chart is well-formed XML");
    let svg = doc.root_element();
    assert_eq!(svg.attribute("role"), Some("img"));
    let title = svg
        .children()
        .find(|n| n.has_tag_name("title"))
        .expect("a <title>");
    assert!(!title.text().unwrap_or_default().is_empty());
    assert!(svg.children().any(|n| n.has_tag_name("desc")), "a <desc>");
    doc.descendants()
        .filter(|n| n.has_tag_name("rect"))
        .map(|n| {
            (
                n.attribute("data-category").unwrap().to_string(),
                n.attribute("data-series").unwrap().to_string(),
                n.attribute("data-value").unwrap().parse().unwrap(),
            )
        })
        .collect()
}

fn owned(bars: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    bars.iter()
        .map(|(c, s, v)| (c.to_string(), s.to_string(), *v))
        .collect()
}

/// Rows of the table in section `id`, as text.
fn table_rows(html: &str, id: &str) -> Vec<String> {
    let part = section(html, id);
    let body = &part[part.find("<tbody>").expect("a table")..];
    body.split("<tr>").skip(1).map(text).collect()
}

#[test]
fn insights_charts_and_tables_show_the_hand_worked_numbers() {
    let site = fixture();
    build(&site);
    let page = site.read("public/insights/index.html");

    assert_eq!(
        bars(&page, "per-month"),
        owned(&[
            ("2023-06", "SEV3", 1),
            ("2024-01", "SEV1", 1),
            ("2024-02", "SEV2", 1),
            ("2024-04", "SEV2", 1),
        ])
    );
    assert_eq!(
        table_rows(&page, "per-month"),
        [
            "2023-06 0 0 1 0 1",
            "2024-01 1 0 0 0 1",
            "2024-02 0 1 0 0 1",
            "2024-04 0 1 0 0 1"
        ]
    );
    // Months read by year: 2023 at the first month, 2024 at its January, 7 slots on (the
    // empty months are on the axis).
    let part = section(&page, "per-month");
    let wide = &part[..part.find("</svg>").unwrap()];
    let years: Vec<(f64, String)> = wide
        .split("<text class=\"tick\" x=\"")
        .skip(1)
        .filter(|t| t.contains("text-anchor=\"start\""))
        .map(|t| {
            let x = t[..t.find('"').unwrap()].parse().unwrap();
            (x, text(&t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()]))
        })
        .collect();
    assert_eq!(
        years.iter().map(|(_, y)| y.as_str()).collect::<Vec<_>>(),
        ["2023", "2024"]
    );
    let rect_x = |category: &str| -> f64 {
        let at = wide.find(&format!("data-category=\"{category}\"")).unwrap();
        let rect = &wide[wide[..at].rfind("<rect").unwrap()..at];
        let x = &rect[rect.find(" x=\"").unwrap() + 4..];
        x[..x.find('"').unwrap()].parse().unwrap()
    };
    let slot = (rect_x("2024-01") - rect_x("2023-06")) / 7.0;
    assert!(
        (rect_x("2024-04") - rect_x("2024-01") - 3.0 * slot).abs() < 0.1,
        "2023-06 to 2024-04 on the axis, empty months included"
    );

    // Nearest rank: median of [10, 30] is 10, its p90 is 30.
    assert_eq!(
        bars(&page, "detect-quarter"),
        owned(&[
            ("2024-Q1", "Median", 10),
            ("2024-Q1", "90th percentile", 30),
            ("2024-Q2", "Median", 90),
            ("2024-Q2", "90th percentile", 90),
        ])
    );
    assert_eq!(
        table_rows(&page, "detect-quarter"),
        [
            "2023-Q2 — — 0 1",
            "2024-Q1 10 min 30 min 2 0",
            "2024-Q2 1 h 30 min 1 h 30 min 1 0"
        ]
    );
    assert_eq!(
        table_rows(&page, "resolve-quarter"),
        ["2023-Q2 — — 0 1", "2024-Q1 1 h 4 h 2 0", "2024-Q2 — — 0 1"]
    );
    assert_eq!(
        table_rows(&page, "detect-severity"),
        [
            "SEV1 10 min 10 min 1 0",
            "SEV2 30 min 1 h 30 min 2 0",
            "SEV3 — — 0 1"
        ]
    );
    assert_eq!(
        bars(&page, "resolve-severity"),
        owned(&[
            ("SEV1", "Median", 240),
            ("SEV1", "90th percentile", 240),
            ("SEV2", "Median", 60),
            ("SEV2", "90th percentile", 60),
        ])
    );

    assert_eq!(
        table_rows(&page, "root-causes"),
        ["2023 0 0", "2024 2 2"],
        "capacity and deploy, two incidents each in 2024"
    );
    assert!(text(section(&page, "root-causes")).contains("Year capacity deploy"));
    assert_eq!(table_rows(&page, "services"), ["2023 1 0 0", "2024 2 1 1"]);
    assert!(text(section(&page, "services")).contains("Year api db web"));

    assert_eq!(
        table_rows(&page, "actions"),
        ["2024-Q1 2 1 2 5 50 %", "2024-Q2 1 0 1 2 50 %"]
    );
    assert_eq!(
        bars(&page, "actions"),
        owned(&[
            ("2024-Q1", "Done", 2),
            ("2024-Q1", "Won't do", 1),
            ("2024-Q1", "Pending", 2),
            ("2024-Q2", "Done", 1),
            ("2024-Q2", "Pending", 1),
        ])
    );

    assert_eq!(
        table_rows(&page, "missing"),
        ["detected_at 0 1", "mitigated_at 4 0", "resolved_at 2 0"]
    );
}

/// The dossier's open action items table.
fn open_actions(page: &str) -> &str {
    &page[page.find("id=\"dossier-actions\"").unwrap()..page.find("id=\"dossier-incidents\"").unwrap()]
}

#[test]
fn a_service_page_is_its_dossier() {
    let site = fixture();
    build(&site);
    let api = site.read("public/services/api/index.html");
    let dossier = text(section(&api, "dossier-title"));
    for expected in [
        "Incidents 3",
        "Median time to detect 10 min",
        "90th percentile to detect 30 min",
        "Open action items 1",
        "from 2 incidents with exact start and detection times; 1 without one",
    ] {
        assert!(
            dossier.contains(expected),
            "dossier lacks {expected:?}:\n{dossier}"
        );
    }
    assert!(text(section(&api, "dossier-causes")).contains("deploy 2 incidents capacity 1 incident"));
    assert!(text(section(&api, "dossier-factors")).contains("no canary 2 incidents"));
    let related = text(section(&api, "dossier-related"));
    assert!(
        related.ends_with("Related services db 1 shared incident"),
        "{related}"
    );
    assert_eq!(ledger_titles(open_actions(&api)), ["Fix alert"]);
    // The incident list is still there, newest first.
    let list = &api[api.find("dossier-incidents").unwrap()..];
    let (b, a, d) = (
        list.find("incidents/b/").unwrap(),
        list.find("incidents/a/").unwrap(),
        list.find("incidents/d/").unwrap(),
    );
    assert!(b < a && a < d);

    let db = site.read("public/services/db/index.html");
    assert_eq!(
        ledger_titles(open_actions(&db)),
        ["Scale pool"],
        "an item filed under db by its own `service`"
    );
}

#[test]
fn dossiers_are_on_the_first_page_only_and_pagination_still_works() {
    let site = fixture();
    site.write(
        "pmsite.toml",
        "title = \"T\"\nbase_url = \"https://incidents.example.com/\"\npaginate_by = 1\n",
    );
    build(&site);
    assert!(
        site.read("public/services/api/index.html")
            .contains("id=\"dossier-title\"")
    );
    // One incident a page: page 1 is the oldest.
    let second = site.read("public/services/api/page/1/index.html");
    assert!(!second.contains("id=\"dossier-title\""));
    assert!(second.contains("incidents/d/"));
}

#[test]
fn the_home_page_shows_incidents_from_this_day_in_earlier_years() {
    let site = fixture();
    build(&site);
    let home = site.read("public/index.html");
    let on_this_day = text(section(&home, "on-this-day"));
    assert!(on_this_day.contains("On this day, 1 June"), "{on_this_day}");
    assert!(
        on_this_day.contains("Delta near miss 2023, 2 years ago"),
        "{on_this_day}"
    );
    assert!(!on_this_day.contains("Alpha"));

    site.pmsite(&["build", "--today", "2025-06-02"]).success();
    assert!(!site.read("public/index.html").contains("id=\"on-this-day\""));
}

fn atom(site: &Site, path: &str) -> (String, Vec<(String, String)>) {
    let xml = site.read(path);
    let doc = Document::parse(&xml).unwrap_or_else(|e| panic!("{path} is not well-formed: {e}"));
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().namespace(), Some(ATOM));
    assert_eq!(feed.tag_name().name(), "feed");
    fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
        node.children()
            .find(|n| n.has_tag_name((ATOM, name)))
            .unwrap_or_else(|| panic!("<{name}> missing in <{}>", node.tag_name().name()))
    }
    for required in ["id", "title", "updated", "author"] {
        child(feed, required);
    }
    let self_link = feed
        .children()
        .find(|n| n.has_tag_name((ATOM, "link")) && n.attribute("rel") == Some("self"))
        .expect("rel=self link");
    assert!(
        self_link
            .attribute("href")
            .unwrap()
            .starts_with("https://incidents.example.com/")
    );
    let updated = child(feed, "updated").text().unwrap().to_string();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&updated).is_ok(),
        "{updated}"
    );
    let entries = feed
        .children()
        .filter(|n| n.has_tag_name((ATOM, "entry")))
        .map(|entry| {
            for required in ["id", "title", "updated", "summary"] {
                child(entry, required);
            }
            let id = child(entry, "id").text().unwrap().to_string();
            assert!(id.starts_with("https://incidents.example.com/incidents/"), "{id}");
            let link = child(entry, "link").attribute("href").unwrap();
            assert_eq!(link, id);
            let updated = child(entry, "updated").text().unwrap();
            assert!(chrono::DateTime::parse_from_rfc3339(updated).is_ok(), "{updated}");
            (id, child(entry, "title").text().unwrap().to_string())
        })
        .collect();
    (updated, entries)
}

#[test]
fn atom_feeds_are_valid_with_absolute_urls() {
    let site = fixture();
    build(&site);
    let (updated, entries) = atom(&site, "public/feed.xml");
    assert_eq!(
        updated, "2024-04-05T01:30:00Z",
        "the newest entry's latest timestamp"
    );
    let titles: Vec<&str> = entries.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Charlie errors",
            "Bravo slowdown",
            "Alpha outage",
            "Delta near miss"
        ]
    );
    let (_, api) = atom(&site, "public/services/api/feed.xml");
    assert_eq!(api.len(), 3);
    let (_, deploy) = atom(&site, "public/root-causes/deploy/feed.xml");
    assert_eq!(deploy.len(), 2);
    let (_, friday) = atom(&site, "public/tags/friday/feed.xml");
    assert_eq!(friday[0].0, "https://incidents.example.com/incidents/a/");

    // Pages point at their feeds.
    let home = site.read("public/index.html");
    assert!(home.contains(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Test archive\" href=\"./feed.xml\">"
    ));
    let api_page = site.read("public/services/api/index.html");
    assert!(api_page.contains(
        "type=\"application/atom+xml\" title=\"Service: api\" href=\"../../services/api/feed.xml\""
    ));
}

#[test]
fn the_sitemap_lists_every_page_with_absolute_urls() {
    let site = fixture();
    build(&site);
    let xml = site.read("public/sitemap.xml");
    let doc = Document::parse(&xml).expect("well-formed");
    let locs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text())
        .collect();
    for page in [
        "https://incidents.example.com/",
        "https://incidents.example.com/incidents/a/",
        "https://incidents.example.com/action-items/overdue/",
        "https://incidents.example.com/insights/",
        "https://incidents.example.com/services/api/",
    ] {
        assert!(locs.contains(&page), "sitemap lacks {page}");
    }
    assert!(
        locs.iter()
            .all(|l| l.starts_with("https://incidents.example.com/"))
    );
    assert!(!locs.iter().any(|l| l.ends_with("404.html")));
    let mut sorted = locs.clone();
    sorted.sort();
    assert_eq!(locs, sorted);
}

#[test]
fn incidents_json_is_a_versioned_export_with_action_items() {
    let site = fixture();
    build(&site);
    let json: Value = serde_json::from_str(&site.read("public/incidents.json")).unwrap();
    assert_eq!(json["format"], "pmsite-incidents");
    assert_eq!(json["version"], 1);
    assert_eq!(json["built_on"], TODAY);
    assert_eq!(json["site"]["base_url"], "https://incidents.example.com/");
    let incidents = json["incidents"].as_array().unwrap();
    let ids: Vec<&str> = incidents.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["c", "b", "a", "d"], "newest first");
    let a = &incidents[2];
    assert_eq!(a["url"], "https://incidents.example.com/incidents/a/");
    assert_eq!(a["path"], "incidents/a/");
    assert_eq!(a["minutes_to_detect"], 10);
    assert_eq!(a["minutes_to_resolve"], 240);
    assert_eq!(a["minutes_to_mitigate"], Value::Null);
    assert_eq!(
        a["related"],
        serde_json::json!([]),
        "a restricted postmortem is not named"
    );
    let fix = &a["action_items"][1];
    assert_eq!(fix["title"], "Fix alert");
    assert_eq!(fix["status"], "open");
    assert_eq!(fix["due"], "2025-05-01");
    assert_eq!(fix["days_overdue"], 31);
    assert_eq!(fix["ledger_team"], "sre");
    assert_eq!(fix["ledger_service"], "api");
    assert_eq!(
        a["action_items"][0]["ticket"]["url"],
        "https://tickets.example.com/1"
    );
    assert_eq!(incidents[3]["started_at"], "2023-06-01");
}

#[test]
fn pages_carry_description_and_opengraph_meta() {
    let site = fixture();
    build(&site);
    let page = site.read("public/incidents/a/index.html");
    for expected in [
        "<meta name=\"description\" content=\"Summary of a.\">",
        "<meta property=\"og:title\" content=\"Alpha outage\">",
        "<meta property=\"og:type\" content=\"article\">",
        "<meta property=\"og:description\" content=\"Summary of a.\">",
        "<meta property=\"og:url\" content=\"https://incidents.example.com/incidents/a/\">",
        "<meta property=\"og:site_name\" content=\"Test archive\">",
    ] {
        assert!(page.contains(expected), "incident page lacks {expected}");
    }
    assert!(
        site.read("public/insights/index.html")
            .contains("<meta property=\"og:type\" content=\"website\">")
    );
}

#[test]
fn without_a_base_url_feeds_and_sitemap_are_left_out_with_a_warning() {
    let site = fixture();
    site.write("pmsite.toml", "title = \"No address\"\n");
    let run = site
        .pmsite(&["build", "--today", TODAY])
        .success()
        .stderr_has("base_url is not set: the Atom feeds and sitemap.xml are left out");
    assert!(run.stderr.contains("warning"), "{}", run.stderr);
    assert!(!site.exists("public/feed.xml"));
    assert!(!site.exists("public/services/api/feed.xml"));
    assert!(!site.exists("public/sitemap.xml"));
    assert!(!site.read("public/index.html").contains("application/atom+xml"));
    let json: Value = serde_json::from_str(&site.read("public/incidents.json")).unwrap();
    assert_eq!(json["site"]["base_url"], Value::Null);
    assert_eq!(json["incidents"][0]["url"], Value::Null);
    assert_eq!(json["incidents"][0]["path"], "incidents/c/");
}

#[test]
fn restricted_and_draft_postmortems_count_nowhere() {
    let site = fixture();
    build(&site);
    for (path, bytes) in site.snapshot("public") {
        let text = String::from_utf8_lossy(&bytes);
        for canary in CANARIES {
            assert!(!text.contains(canary), "{canary} appears in {}", path.display());
        }
    }
    assert!(!site.exists("public/services/secret-svc"));
    assert!(!site.exists("public/action-items/owners/evelyn-canary"));
    // The restricted incident's detection time (8 h) would change the SEV1 median.
    let insights = site.read("public/insights/index.html");
    assert_eq!(
        table_rows(&insights, "detect-severity")[0],
        "SEV1 10 min 10 min 1 0"
    );

    // With the restricted audience, it counts.
    site.pmsite(&["build", "--today", TODAY, "--audience", "restricted"])
        .success();
    let ledger = site.read("public/action-items/overdue/index.html");
    assert!(ledger.contains("CANARYACTION"));
    assert!(site.read("public/feed.xml").contains("CANARYRESTRICTED"));
}

#[test]
fn follow_through_output_is_deterministic() {
    let site = fixture();
    build(&site);
    let first = site.snapshot("public");
    build(&site);
    assert!(first == site.snapshot("public"), "two builds differ");
}

#[test]
fn every_link_on_the_new_pages_resolves() {
    let site = fixture();
    build(&site);
    let problems = broken_links(&site.path().join("public"));
    assert!(problems.is_empty(), "broken links:\n{}", problems.join("\n"));
}

#[test]
fn ledger_views_paginate_like_other_lists() {
    let site = fixture();
    site.write(
        "pmsite.toml",
        "title = \"T\"\nbase_url = \"https://incidents.example.com/\"\npaginate_by = 2\n",
    );
    build(&site);
    let first = site.read("public/action-items/done/index.html");
    assert_eq!(
        ledger_titles(section(&first, "ledger-items")),
        ["Document the limits", "Load test"]
    );
    assert!(
        text(&first).contains("Done 3"),
        "counts of the whole ledger on the first page"
    );
    assert!(first.contains("href=\"../../action-items/done/page/1/\""));
    // Numbered pages count from the oldest end: page 1 holds the last rows.
    let second = site.read("public/action-items/done/page/1/index.html");
    assert_eq!(
        ledger_titles(section(&second, "ledger-items")),
        ["Add canary", "Rewrite runbook"]
    );
    assert!(
        !text(&second).contains("Done 3"),
        "no counts on a numbered page: they would change it whenever the ledger grows"
    );
    assert!(!site.exists("public/action-items/done/page/2"));
    let sre = site.read("public/action-items/teams/sre/page/1/index.html");
    assert_eq!(
        ledger_titles(section(&sre, "ledger-items")),
        ["Fix alert", "Rewrite runbook"],
        "a list longer than a page is paged newest postmortem first"
    );
    let sre_first = site.read("public/action-items/teams/sre/index.html");
    assert_eq!(
        ledger_titles(section(&sre_first, "ledger-items")),
        ["Scale pool", "Add canary"]
    );
    assert_eq!(
        ledger_titles(section(&sre_first, "ledger-urgent")),
        ["Scale pool", "Fix alert"],
        "its first page starts with its most urgent pending items"
    );
    assert!(text(section(&first, "ledger-urgent")).contains("Most recently closed"));

    // A new postmortem's items, however urgent, change only the first pages (short of one
    // filling a first page's older half into a new numbered page).
    let numbered = |site: &Site| {
        [
            "public/action-items/done/page/1/index.html",
            "public/action-items/teams/sre/page/1/index.html",
        ]
        .map(|p| site.read(p))
    };
    let before = numbered(&site);
    site.postmortem(
        "e.md",
        "title = \"Echo\"\nstarted_at = 2025-05-30\nteams = [\"sre\"]\n[[action_items]]\ntitle = \"Urgent fix\"\nowner = \"ann\"\ndue = 2025-01-01\npriority = \"P0\"\n[[action_items]]\ntitle = \"Closed at once\"\nteam = \"web\"\nstatus = \"done\"\ncompleted = 2025-05-31\n",
        "",
    );
    build(&site);
    assert_eq!(numbered(&site), before);
    let sre_first = site.read("public/action-items/teams/sre/index.html");
    assert_eq!(
        ledger_titles(section(&sre_first, "ledger-urgent"))[0],
        "Urgent fix"
    );
}

#[test]
fn a_busy_service_dossier_shows_the_most_urgent_open_items() {
    let site = Site::new();
    let mut front = String::from("services = [\"api\"]\n");
    for day in 1..=22 {
        front.push_str(&format!(
            "[[action_items]]\ntitle = \"Item {day:02}\"\ndue = 2025-01-{day:02}\n"
        ));
    }
    site.postmortem("busy.md", &front, "");
    build(&site);
    let api = site.read("public/services/api/index.html");
    let expected: Vec<String> = (1..=20).map(|day| format!("Item {day:02}")).collect();
    assert_eq!(ledger_titles(open_actions(&api)), expected, "most overdue first");
    let dossier = text(section(&api, "dossier-title"));
    assert!(dossier.contains("Open action items 22"), "{dossier}");
    assert!(text(open_actions(&api)).contains("The 20 most urgent of 22; all are in the action-item ledger"));
}
