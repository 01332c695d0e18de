//! Bodies: links between postmortems become page links, headings get anchors, raw HTML is
//! sanitized.

use crate::test::*;

#[test]
fn relative_postmortem_links_become_page_links() {
    let site = Site::new();
    site.postmortem("2022/dns.md", "", "## Timeline\n").postmortem(
        "2024/x.md",
        "",
        "See [the DNS outage](../2022/dns.md#timeline) and [it](../2022/dns.md).\n",
    );
    site.build();
    let page = site.read("public/incidents/x/index.html");
    assert!(
        page.contains("<a href=\"../../incidents/dns/#timeline\">the DNS outage</a>"),
        "{page}"
    );
    assert!(page.contains("<a href=\"../../incidents/dns/\">it</a>"));
    let target = site.read("public/incidents/dns/index.html");
    let connected = connected_incidents(&target);
    assert!(
        connected
            .iter()
            .any(|(href, why)| href == "../../incidents/x/" && why.starts_with("links to this review")),
        "the linked page says who links to it: {connected:?}"
    );
}

#[test]
fn links_to_unpublished_postmortems_become_plain_text() {
    let site = Site::new();
    site.postmortem(
        "secret.md",
        "visibility = \"restricted\"\ntitle = \"HIDDENTITLE\"",
        "",
    )
    .postmortem(
        "open.md",
        "related = [\"secret\"]",
        "We saw this [before](secret.md).\n",
    );
    site.build();
    let page = site.read("public/incidents/open/index.html");
    assert!(
        page.contains("<span class=\"pm-unavailable\" title=\"Not published in this edition\">before</span>")
    );
    assert!(!page.contains("secret"), "no trace of the restricted id");
    assert!(!page.contains("HIDDENTITLE"));
}

#[test]
fn linked_files_next_to_a_postmortem_are_published() {
    let site = Site::new();
    site.postmortem("2024/a.md", "", "![latency](<img/latency graph.png>)\n");
    site.write("postmortems/2024/img/latency graph.png", "PNG");
    site.write("postmortems/2024/img/unlinked.png", "PNG");
    site.build();
    assert!(
        site.read("public/incidents/a/index.html")
            .contains("src=\"../../files/2024/img/latency%20graph.png\"")
    );
    assert_eq!(site.read("public/files/2024/img/latency graph.png"), "PNG");
    assert!(
        !site.exists("public/files/2024/img/unlinked.png"),
        "only linked files are published"
    );
}

#[test]
fn raw_html_is_sanitized() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "",
        "<script>alert('x')</script>\n\n<img src=x onerror=\"alert(1)\">\n\n<details><summary>Logs</summary>\n\nkept\n\n</details>\n\n<a href=\"javascript:alert(1)\">js</a>\n",
    );
    site.build();
    let page = site.read("public/incidents/a/index.html");
    // The body, up to the end of the article: the theme's own script comes after it.
    let start = page.find("id=\"pm-body\"").unwrap();
    let body = &page[start..start + page[start..].find("</article>").unwrap()];
    assert!(!body.contains("<script"), "{body}");
    assert!(!body.contains("onerror"));
    assert!(!body.contains("javascript:"));
    assert!(body.contains("<details><summary>Logs</summary>"));
}

#[test]
fn markdown_script_links_are_an_error() {
    let site = Site::new();
    site.postmortem("a.md", "", "[click](javascript:alert(1))\n");
    site.pmsite(&["check"]).status(1).stderr_has("script URL");
}

#[test]
fn gfm_extensions_render() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "",
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\n~~old~~ text[^1]\n\n[^1]: A footnote.\n",
    );
    site.build();
    let page = site.read("public/incidents/a/index.html");
    for expected in ["<table>", "type=\"checkbox\"", "<del>old</del>", "footnote"] {
        assert!(page.contains(expected), "{expected} missing");
    }
}

#[test]
fn the_table_of_contents_lists_h2_and_h3() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "",
        "## Impact\n\n### Customers\n\n#### Deep\n\n## Impact\n",
    );
    site.build();
    let page = site.read("public/incidents/a/index.html");
    let start = page.find("id=\"pm-toc\"").unwrap();
    let toc = &page[start..start + page[start..].find("</nav>").unwrap()];
    assert!(
        toc.contains("href=\"#impact\"")
            && toc.contains("href=\"#customers\"")
            && toc.contains("href=\"#impact-1\"")
    );
    assert!(!toc.contains("deep"));
}

const TWO_ITEMS: &str = "[[action_items]]\ntitle = \"Rotate certs & alert at < 30 days\"\nowner = \"ann\"\n[[action_items]]\ntitle = \"Add a canary\"\nowner = \"bo\"\n";

/// The incident page's body, between its Action items heading and the next section.
fn action_items_section(site: &Site) -> String {
    let page = site.read("public/incidents/x/index.html");
    let section = page
        .split("<h2 id=\"action-items\">")
        .nth(1)
        .expect("the section");
    section[..section.find("<h2 id=\"lessons\">").expect("the next section")].to_string()
}

#[test]
fn a_body_table_of_the_front_matter_s_action_items_gives_way_to_the_tracker() {
    let site = Site::new();
    site.postmortem(
        "x.md",
        TWO_ITEMS,
        "## Action items\n\nAgreed in the review:\n\n| Action | Owner | Due | Status |\n|---|---|---|---|\n| Rotate certs & alert at < 30 days | @ann | | open |\n| Add a canary | @bo | | open |\n\n## Lessons\n\nText.\n",
    );
    site.build().success();
    let section = action_items_section(&site);
    assert!(
        section.contains("Agreed in the review:"),
        "the author's words stay: {section}"
    );
    assert_eq!(
        section.matches("<table").count(),
        1,
        "the items are listed once: {section}"
    );
    assert!(section.contains("actions-table"), "in the tracker: {section}");
    assert_eq!(section.matches("Add a canary").count(), 1, "{section}");
}

#[test]
fn a_body_table_that_says_more_than_the_tracker_stays() {
    for table in [
        // A column the tracker does not show.
        "| Action | Notes |\n|---|---|\n| Add a canary | only on checkout |\n",
        // An item the front matter does not have.
        "| Action | Owner |\n|---|---|\n| Add a canary | bo |\n| Write a runbook | cy |\n",
        // A title with formatting of its own.
        "| Action |\n|---|\n| Add a **canary** |\n",
    ] {
        let site = Site::new();
        site.postmortem(
            "x.md",
            TWO_ITEMS,
            &format!("## Action items\n\n{table}\n## Lessons\n\nText.\n"),
        );
        site.build().success();
        let section = action_items_section(&site);
        assert_eq!(section.matches("<table").count(), 2, "{table}: {section}");
    }
}
