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
        "<dt>Time to detect</dt><dd><data value=\"PT9M\">9 min</data></dd>",
        "<dt>Time to mitigate</dt><dd><data value=\"PT178M\">2 h 58 min</data></dd>",
        "<dt>Time to resolve</dt><dd><data value=\"PT1158M\">19 h 18 min</data></dd>",
        "href=\"../../services/checkout-api/\"",
        "href=\"../../root-causes/human-process/\"",
        "18,000",
        "45,000 USD",
        "Checkout error-rate alert fires.",
        "<h2 id=\"root-cause\">Root cause</h2>",
        "href=\"#root-cause\"",
        "overdue by 429 days",
    ] {
        assert!(page.contains(expected), "page lacks {expected:?}");
    }
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
    assert_eq!(page.matches("class=\"incident-row\"").count(), 3);
}

#[test]
fn long_lists_are_paginated() {
    let site = Site::new();
    site.write("pmsite.toml", "paginate_by = 2\n");
    for i in 1..=5 {
        site.postmortem(&format!("p{i}.md"), &format!("started_at = 2024-01-0{i}"), "");
    }
    site.build();
    assert!(site.exists("public/incidents/page/3/index.html"));
    assert!(!site.exists("public/incidents/page/4/index.html"));
    let page2 = site.read("public/incidents/page/2/index.html");
    assert!(page2.contains("incidents/p3/") && page2.contains("incidents/p2/"));
    assert!(page2.contains("rel=\"prev\" href=\"../../../incidents/\""));
    assert!(page2.contains("rel=\"next\" href=\"../../../incidents/page/3/\""));
    assert!(broken_links(&site.path().join("public")).is_empty());
}

#[test]
fn a_long_list_links_the_first_last_and_nearby_pages() {
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
    let page6 = site.read("public/incidents/page/6/index.html");
    let start = page6.find("<nav class=\"pager\"").expect("a pager");
    let pager = &page6[start..start + page6[start..].find("</nav>").unwrap()];
    let numbers = &pager[pager.find("<ol>").unwrap()..pager.find("</ol>").unwrap()];
    assert_eq!(
        attribute_values(numbers, &["href"]),
        [
            "../../../incidents/",
            "../../../incidents/page/4/",
            "../../../incidents/page/5/",
            "../../../incidents/page/7/",
            "../../../incidents/page/8/",
            "../../../incidents/page/12/",
        ],
        "not a link to every one of the 12 pages"
    );
    assert!(numbers.contains("<span aria-current=\"page\">6</span>"));
    assert_eq!(
        numbers
            .matches("<li class=\"pager-gap\" aria-hidden=\"true\">…</li>")
            .count(),
        2,
        "pages 2-3 and 9-11 are left out, each gap marked once"
    );
    assert!(pager.contains("rel=\"prev\" href=\"../../../incidents/page/5/\""));
    assert!(pager.contains("rel=\"next\" href=\"../../../incidents/page/7/\""));
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
