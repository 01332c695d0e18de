//! What `pmsite build` writes: pages, URLs, cross-links, audiences, determinism.

use crate::test::*;

#[test]
fn a_postmortem_gets_a_page_with_its_facts() {
    let site = Site::new();
    site.postmortem(
        "2024-03-08-cleanup.md",
        r#"title = "Cleanup script hit production"
severity = "SEV1"
detected_at = 2024-03-08T15:51:00Z
mitigated_at = 2024-03-08T18:40:00Z
resolved_at = 2024-03-09T11:00:00Z
services = ["checkout-api"]
teams = ["payments"]
tags = ["scripts"]
root_causes = ["human-process"]
[impact]
users_affected = 18000
revenue_lost = 45000
[[timeline]]
at = 2024-03-08T15:51:00Z
kind = "detection"
text = "Checkout error-rate alert fires."
[[action_items]]
title = "Add a dry-run mode"
owner = "maya.patel"
due = 2024-03-29
"#,
        "## Root cause\n\nCredentials looked alike.\n",
    );
    site.build();
    let page = site.read("public/incidents/2024-03-08-cleanup/index.html");
    for expected in [
        "<h1 id=\"incident-title\">Cleanup script hit production</h1>",
        "Critical: customer-facing outage or data loss",
        // Each time in the header says how long after the start it came.
        "<dt>Detected</dt><dd><time datetime=\"2024-03-08T15:51:00Z\">2024-03-08 15:51 UTC</time> <span class=\"after\"><data value=\"PT9M\">9 min</data> after the start</span></dd>",
        "<data value=\"PT178M\">2 h 58 min</data> after the start",
        "<data value=\"PT1158M\">19 h 18 min</data> after the start",
        "href=\"../../services/checkout-api/\"",
        "href=\"../../root-causes/human-process/\"",
        "18,000",
        "45,000 USD",
        "Checkout error-rate alert fires.",
        "<h2 id=\"root-cause\">Root cause</h2>",
        "href=\"#root-cause\"",
        // Overdue, beside its due date; not "by N days", which a build the next day would
        // rewrite on every page (deploy.rs).
        "<time>2024-03-29</time> <strong class=\"overdue\">overdue</strong>",
    ] {
        assert!(page.contains(expected), "page lacks {expected:?}");
    }
    // The body has only "Root cause": the front matter's topics are sections of their own,
    // each once, where a postmortem tells them.
    let order: Vec<usize> = [
        "<h2 id=\"pm-impact\">Impact</h2>",
        "<h2 id=\"pm-timeline\">Timeline</h2>",
        "<h2 id=\"root-cause\">Root cause</h2>",
        "<h2 id=\"pm-action-items\">Action items</h2>",
    ]
    .iter()
    .map(|h| {
        assert_eq!(page.matches(h).count(), 1, "{h}");
        page.find(h).unwrap()
    })
    .collect();
    assert!(order.is_sorted(), "{order:?}");
}

#[test]
fn taxonomy_pages_list_their_incidents_newest_first() {
    let site = Site::new();
    site.postmortem("old.md", "started_at = 2020-01-01\nservices = [\"dns\"]", "")
        .postmortem(
            "new.md",
            "started_at = 2023-01-01\nservices = [\"dns\", \"api\"]",
            "",
        );
    site.build();
    let dns = site.read("public/services/dns/index.html");
    let (new_at, old_at) = (
        dns.find("incidents/new/").unwrap(),
        dns.find("incidents/old/").unwrap(),
    );
    assert!(new_at < old_at, "newest first");
    assert!(
        site.read("public/services/api/index.html")
            .contains("incidents/new/")
    );
    assert!(
        !site
            .read("public/services/api/index.html")
            .contains("incidents/old/")
    );
    let years = site.read("public/years/index.html");
    assert!(years.find(">2023<").unwrap() < years.find(">2020<").unwrap());
}

#[test]
fn values_differing_only_in_case_share_one_page() {
    let site = Site::new();
    site.postmortem("a.md", "tags = [\"Postgres\"]", "")
        .postmortem("b.md", "tags = [\"postgres\"]", "")
        .postmortem("c.md", "tags = [\"postgres\"]", "");
    site.build();
    let page = site.read("public/tags/postgres/index.html");
    assert!(
        page.contains("Tag: postgres"),
        "the most common spelling names the page"
    );
    assert_eq!(
        page.matches("<li><p><a class=\"sev").count(),
        3,
        "a row per incident"
    );
}

#[test]
fn long_lists_are_paginated_from_the_oldest_so_a_new_postmortem_moves_no_numbered_page() {
    let site = Site::new();
    site.write("pmsite.toml", "paginate_by = 2\n");
    for i in 1..=5 {
        site.postmortem(&format!("p{i}.md"), &format!("started_at = 2024-01-0{i}"), "");
    }
    site.build();
    // 5 rows, 2 a page: page 1 holds the oldest two; the first page the newest three.
    assert!(site.exists("public/incidents/page/1/index.html"));
    assert!(!site.exists("public/incidents/page/2/index.html"));
    let first = site.read("public/incidents/index.html");
    assert!(
        ["p5", "p4", "p3"]
            .iter()
            .all(|p| first.contains(&format!("incidents/{p}/")))
    );
    assert!(first.contains("5 postmortems, newest first."));
    let page1 = site.read("public/incidents/page/1/index.html");
    assert!(page1.contains("incidents/p2/") && page1.contains("incidents/p1/"));
    assert!(!page1.contains("incidents/p3/"));
    assert!(page1.contains("Postmortems from 2024-01-01 to 2024-01-02, newest first."));
    assert!(
        !page1.contains("5 postmortems"),
        "no count of the whole list on a numbered page"
    );
    assert!(page1.contains("rel=\"prev\" href=\"../../../incidents/\""));
    assert!(!page1.contains("rel=\"next\""));
    assert!(broken_links(&site.path().join("public")).is_empty());

    // A sixth fills the first page's older half into page 2; a seventh changes only the
    // first page.
    site.postmortem("p6.md", "started_at = 2024-01-06", "");
    site.build();
    let page2 = site.read("public/incidents/page/2/index.html");
    assert!(page2.contains("incidents/p4/") && page2.contains("incidents/p3/"));
    let numbered = |site: &Site| {
        [
            "public/incidents/page/1/index.html",
            "public/incidents/page/2/index.html",
        ]
        .map(|p| site.read(p))
    };
    let before = numbered(&site);
    site.postmortem("p7.md", "started_at = 2024-01-07", "");
    site.build();
    assert_eq!(
        numbered(&site),
        before,
        "numbered pages unchanged by a newer postmortem"
    );
    assert!(site.read("public/incidents/index.html").contains("incidents/p7/"));
}

#[test]
fn a_long_list_links_the_first_the_oldest_and_nearby_pages() {
    let site = Site::new();
    site.write("pmsite.toml", "paginate_by = 1\n");
    for i in 1..=12 {
        site.postmortem(
            &format!("p{i:02}.md"),
            &format!("started_at = 2024-01-{i:02}"),
            "",
        );
    }
    site.build();
    // Page 6 is the sixth oldest; pages run newest first, like the list.
    let page6 = site.read("public/incidents/page/6/index.html");
    assert!(page6.contains("incidents/p06/"));
    let start = page6.find("<nav class=\"pager\"").expect("a pager");
    let pager = &page6[start..start + page6[start..].find("</nav>").unwrap()];
    let numbers = &pager[pager.find("<ol>").unwrap()..pager.find("</ol>").unwrap()];
    assert_eq!(
        attribute_values(numbers, &["href"]),
        [
            "../../../incidents/",
            "../../../incidents/page/8/",
            "../../../incidents/page/7/",
            "../../../incidents/page/5/",
            "../../../incidents/page/4/",
            "../../../incidents/page/1/",
        ],
        "not a link to every one of the 12 pages"
    );
    assert!(numbers.contains("<span aria-current=\"page\">6</span>"));
    assert!(numbers.contains(">Newest</a>"));
    assert_eq!(
        numbers
            .matches("<li class=\"pager-gap\" aria-hidden=\"true\">…</li>")
            .count(),
        2,
        "pages 11-9 and 3-2 are left out, each gap marked once"
    );
    assert!(pager.contains("rel=\"prev\" href=\"../../../incidents/page/7/\""));
    assert!(pager.contains("rel=\"next\" href=\"../../../incidents/page/5/\""));
    assert!(broken_links(&site.path().join("public")).is_empty());
}

#[test]
fn audiences_select_by_visibility() {
    let site = Site::new();
    site.postmortem("open.md", "visibility = \"public\"\ntitle = \"PUBLICONE\"", "")
        .postmortem("insidecanary.md", "title = \"INTERNALONE\"", "")
        .postmortem(
            "secretcanary.md",
            "visibility = \"restricted\"\ntitle = \"RESTRICTEDONE\"",
            "",
        );
    let all_text = |site: &Site| {
        site.snapshot("public")
            .into_values()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect::<String>()
    };
    for (audience, present, absent) in [
        (
            "public",
            vec!["PUBLICONE"],
            vec!["INTERNALONE", "RESTRICTEDONE", "insidecanary", "secretcanary"],
        ),
        (
            "internal",
            vec!["PUBLICONE", "INTERNALONE"],
            vec!["RESTRICTEDONE", "secretcanary"],
        ),
        (
            "restricted",
            vec!["PUBLICONE", "INTERNALONE", "RESTRICTEDONE"],
            vec![],
        ),
    ] {
        site.pmsite(&["build", "--audience", audience]).success();
        let text = all_text(&site);
        for p in present {
            assert!(text.contains(p), "{audience}: {p} missing");
        }
        for a in absent {
            assert!(!text.contains(a), "{audience}: {a} leaked");
        }
    }
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let site = Site::new();
    site.postmortem("wip.md", "status = \"draft\"\ntitle = \"WIPDRAFT\"", "")
        .postmortem("review.md", "status = \"in_review\"", "");
    site.build().stdout_has("Built 1 postmortem,");
    assert!(!site.exists("public/incidents/wip/index.html"));
    assert!(
        site.read("public/incidents/review/index.html")
            .contains("in review")
    );
    site.pmsite(&["build", "--drafts"])
        .success()
        .stdout_has("Built 2 postmortems,");
    assert!(site.read("public/incidents/wip/index.html").contains("WIPDRAFT"));
}

#[test]
fn the_same_input_gives_byte_identical_output() {
    let site = Site::copy_of(&example_dir());
    site.build();
    let first = site.snapshot("public");
    site.build();
    let second = site.snapshot("public");
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &first {
        assert!(
            second[path] == *bytes,
            "{} differs between builds",
            path.display()
        );
    }
}

#[test]
fn links_are_relative_so_the_site_works_under_a_sub_path() {
    let site = Site::new();
    site.postmortem("a.md", "tags = [\"x\"]", "");
    site.build();
    for (path, bytes) in site.snapshot("public") {
        if path.extension().is_some_and(|e| e == "html") && path.file_name().unwrap() != "404.html" {
            let html = String::from_utf8(bytes).unwrap();
            for link in attribute_values(&html, &["href", "src"]) {
                assert!(
                    !link.starts_with('/') || link.starts_with("//"),
                    "{}: root-relative link {link}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn the_404_page_links_from_the_base_url_path() {
    let site = Site::new();
    site.write("pmsite.toml", "base_url = \"https://example.com/kb/\"\n");
    site.build();
    let page = site.read("public/404.html");
    assert!(page.contains("href=\"/kb/incidents/\""), "{page}");
    assert!(page.contains("href=\"/kb/assets/style.css\""));
}

#[test]
fn static_files_and_template_overrides_apply() {
    let site = Site::new();
    site.postmortem("a.md", "", "")
        .write("static/robots.txt", "User-agent: *\n")
        .write(
            "templates/404.html",
            "{% extends \"base.html\" %}{% block content %}<p>CUSTOM404</p>{% endblock content %}",
        );
    site.build();
    assert_eq!(site.read("public/robots.txt"), "User-agent: *\n");
    assert!(site.read("public/404.html").contains("CUSTOM404"));
}

#[test]
fn a_broken_template_override_fails_the_build_and_names_the_file() {
    let site = Site::new();
    site.postmortem("a.md", "", "")
        .write("templates/incident.html", "{% if %}");
    site.pmsite(&["build"])
        .status(1)
        .stderr_has("templates/incident.html")
        .stderr_has("PM091");
    assert!(!site.exists("public"));
}

#[test]
fn an_empty_archive_builds_a_welcoming_site() {
    let site = Site::new();
    site.build().stdout_has("Built 0 postmortems");
    assert!(site.read("public/index.html").contains("No postmortems yet"));
}

#[test]
fn ci_gets_one_summary_line_and_quiet_gets_none() {
    let site = Site::new();
    site.postmortem("a.md", "", "");
    let run = site.build();
    assert_eq!(run.stdout.lines().count(), 1);
    assert!(run.stdout.starts_with("Built 1 postmortem, ") && run.stdout.trim_end().ends_with(" s"));
    let quiet = site.pmsite(&["build", "--quiet"]).success();
    assert!(quiet.stdout.is_empty() && quiet.stderr.is_empty());
    let verbose = site.pmsite(&["build", "--verbose"]).success();
    assert!(verbose.stderr.contains("render and write") && verbose.stderr.contains("audience internal"));
}

/// `--verbose` accounts for the whole build: what no stage covers is shown, and small.
#[test]
fn verbose_timings_account_for_the_whole_build() {
    let site = Site::new();
    site.postmortem("a.md", "", "");
    let verbose = site.pmsite(&["build", "--verbose"]).success();
    let seconds = |label: &str| -> f64 {
        let line = verbose
            .stderr
            .lines()
            .find(|line| line.trim_start().starts_with(&format!("{label}:")))
            .unwrap_or_else(|| panic!("no {label:?} line in {}", verbose.stderr));
        line.rsplit(": ")
            .next()
            .unwrap()
            .trim_end_matches(" s")
            .parse()
            .unwrap()
    };
    for stage in [
        "stamp sources",
        "load",
        "check",
        "site",
        "search index",
        "model",
        "render and write",
        "free memory",
    ] {
        seconds(stage);
    }
    assert!(seconds("in no stage") <= seconds("total"));
}

/// An archive imported as it is can have thousands of policy warnings; a build prints the
/// first ones and a count, `pmsite check` (and `build --verbose`) all of them.
#[test]
fn a_build_sums_up_long_lists_of_warnings() {
    let site = Site::new();
    let items = format!(
        "severity = \"SEV3\"\n{}",
        "[[action_items]]\ntitle = \"Something to do\"\n".repeat(25)
    );
    site.postmortem("2024-03-08-many.md", &items, "");
    let count = |text: &str| text.matches("warning[").count();

    let build = site.build();
    assert_eq!(count(&build.stderr), 20, "{}", build.stderr);
    assert!(
        build
            .stderr
            .contains("... and 30 more policy warnings: `pmsite check` (or --verbose) lists them all"),
        "{}",
        build.stderr
    );
    // Warnings about the site itself are never summed up: here, the missing base_url.
    site.write("pmsite.toml", "title = \"No address\"\n");
    let build = site.build();
    assert_eq!(count(&build.stderr), 21, "{}", build.stderr);
    assert!(build.stderr.contains("base_url is not set"));
    let verbose = site
        .pmsite(&["build", "--today", "2025-06-01", "--verbose"])
        .success();
    assert_eq!(count(&verbose.stderr), 51, "{}", verbose.stderr);
    let check = site.pmsite(&["check"]);
    assert_eq!(
        count(&check.stderr) + count(&check.stdout),
        50,
        "check does not build"
    );
    assert!(!check.stderr.contains("more policy warnings"));
}
