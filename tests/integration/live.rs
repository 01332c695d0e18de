//! Live reload in a real browser: `pmsite serve` on a fixture site, its pages open in
//! headless Chromium (driven as in `browser`), files edited by the test and the pages
//! followed without the test reloading them.
//!
//! A marker set from the test (`window.__pmsiteMarker`) survives only as long as the page
//! was not reloaded: it tells a reload from a restyle. Like `browser`'s, these tests are
//! `#[ignore]`d because they need Chromium, and fail without it.

use serde_json::json;

use crate::browser::{browser, eval, new_tab, open, wait_for};
use crate::serve::{Server, serving};
use crate::test::*;

const PAGE: &str = "/incidents/disk-full/";

/// Opens `path` and waits until its reload script is listening.
fn open_live(tab: &headless_chrome::Tab, server: &Server, path: &str) {
    open(tab, &server.url(path));
    wait_for(
        tab,
        &format!("{path} to connect to the reload events"),
        "document.documentElement.getAttribute('data-pmsite-live') === 'connected'",
    );
    eval(tab, "window.__pmsiteMarker = 'not reloaded'");
}

fn marker(tab: &headless_chrome::Tab) -> serde_json::Value {
    eval(tab, "window.__pmsiteMarker ?? null")
}

/// A JavaScript expression: the text of the reload script's element `id`, or null.
fn shown(id: &str) -> String {
    format!(
        "(document.querySelector('pmsite-live')?.shadowRoot?.getElementById({id:?})?.textContent ?? null)"
    )
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn an_open_incident_page_shows_an_edit_by_itself() {
    let browser = browser();
    let (site, server) = serving("", "The disk filled up.");
    let tab = new_tab(&browser);
    open_live(&tab, &server, PAGE);

    site.postmortem("disk-full.md", "", "The log volume filled up at noon.");
    wait_for(
        &tab,
        "the page to show the edit",
        "document.body?.textContent.includes('The log volume filled up at noon.') === true",
    );
    assert_eq!(marker(&tab), json!(null), "the page changed without a reload?");
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn a_broken_edit_shows_an_overlay_that_goes_when_it_is_fixed() {
    let browser = browser();
    let site = Site::new();
    site.postmortem("disk-full.md", "", "The disk filled up.")
        .postmortem("other.md", "", "");
    let server = Server::start(&site);
    let tab = new_tab(&browser);
    open_live(&tab, &server, PAGE);
    let other = new_tab(&browser);
    open_live(&other, &server, "/incidents/other/");

    site.postmortem(
        "disk-full.md",
        "severity = \"<b>SEV9</b>\"",
        "The disk filled up.",
    );
    for (tab, which) in [(&tab, "the edited page"), (&other, "another open page")] {
        wait_for(
            tab,
            &format!("the overlay on {which}"),
            &format!(
                "{}?.includes('postmortems/disk-full.md:5') === true",
                shown("pmsite-overlay")
            ),
        );
    }
    let overlay = shown("pmsite-overlay");
    let text = eval(&tab, &overlay);
    let text = text.as_str().unwrap();
    assert!(
        text.contains("`<b>SEV9</b>` is not a configured severity"),
        "{text}"
    );
    assert!(
        text.contains("hint: the levels configured in pmsite.toml are SEV1"),
        "{text}"
    );
    assert_eq!(
        eval(
            &tab,
            "document.querySelector('pmsite-live').shadowRoot.querySelectorAll('#pmsite-overlay b').length"
        ),
        json!(0),
        "text from the postmortem became markup"
    );
    assert!(
        eval(&tab, "document.body.textContent.includes('The disk filled up.')") == json!(true),
        "the last good page stays under the overlay"
    );

    // A page opened while the build is broken shows the overlay too.
    let late = new_tab(&browser);
    open(&late, &server.url("/"));
    wait_for(
        &late,
        "the overlay on a page opened while broken",
        &format!("{overlay} !== null"),
    );

    site.postmortem("disk-full.md", "", "Fixed: the disk filled up.");
    wait_for(
        &tab,
        "the fixed page",
        "document.body?.textContent.includes('Fixed: the disk filled up.') === true",
    );
    for (tab, which) in [
        (&tab, "the edited page"),
        (&other, "another open page"),
        (&late, "the late page"),
    ] {
        wait_for(
            tab,
            &format!("the overlay to go from {which}"),
            &format!("{overlay} === null"),
        );
    }
    assert_eq!(
        marker(&other),
        json!("not reloaded"),
        "a page the fix did not change reloaded"
    );
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn the_scroll_position_survives_a_reload() {
    let browser = browser();
    let long: String = (1..=150)
        .map(|i| format!("Paragraph {i} of the timeline, long enough to take a line.\n\n"))
        .collect();
    let (site, server) = serving("", &long);
    let tab = new_tab(&browser);
    open_live(&tab, &server, PAGE);
    eval(&tab, "window.scrollTo({ top: 1800, behavior: 'instant' })");
    let before = eval(&tab, "Math.round(scrollY)").as_f64().unwrap();
    assert!(before > 1000.0, "the page is too short to scroll: {before}");

    site.postmortem("disk-full.md", "", &format!("{long}An added last line."));
    wait_for(
        &tab,
        "the reload with the edit",
        "document.body?.textContent.includes('An added last line.') === true && document.readyState === 'complete'",
    );
    wait_for(
        &tab,
        &format!("the page to scroll back to {before}"),
        &format!("Math.abs(scrollY - {before}) <= 2"),
    );
    assert_eq!(marker(&tab), json!(null));
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn a_stylesheet_change_restyles_the_page_without_a_reload() {
    let browser = browser();
    let site = Site::new();
    site.postmortem("disk-full.md", "", "The disk filled up.")
        .write("static/robots.txt", "User-agent: *\n");
    let server = Server::start(&site);
    let tab = new_tab(&browser);
    open_live(&tab, &server, PAGE);
    let background = "getComputedStyle(document.body).backgroundColor";
    assert_ne!(eval(&tab, background), json!("rgb(1, 2, 3)"));

    // The site's static/assets/style.css takes the place of the theme's stylesheet.
    site.write(
        "static/assets/style.css",
        "body { background-color: rgb(1, 2, 3); }\n",
    );
    wait_for(
        &tab,
        "the new stylesheet to apply",
        &format!("{background} === 'rgb(1, 2, 3)'"),
    );
    assert_eq!(
        marker(&tab),
        json!("not reloaded"),
        "the page reloaded for a stylesheet"
    );
    assert_eq!(
        eval(&tab, "document.querySelectorAll('link[rel=stylesheet]').length"),
        json!(1),
        "the old stylesheet link stayed"
    );
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn a_removed_page_says_it_is_gone_and_warnings_show_in_a_panel() {
    let browser = browser();
    let site = Site::new();
    site.postmortem("disk-full.md", "", "It was human error.")
        .postmortem("other.md", "", "");
    let server = Server::start(&site);
    let tab = new_tab(&browser);
    open_live(&tab, &server, PAGE);
    wait_for(
        &tab,
        "the policy warnings panel",
        &format!(
            "{}?.includes('blaming language: `human error`') === true",
            shown("pmsite-warnings")
        ),
    );
    assert_eq!(
        eval(
            &tab,
            "document.querySelector('pmsite-live').shadowRoot.getElementById('pmsite-warnings').open"
        ),
        json!(false),
        "the panel starts collapsed"
    );

    std::fs::remove_file(site.path().join("postmortems/disk-full.md")).unwrap();
    wait_for(
        &tab,
        "the note that the page is gone",
        &format!(
            "{}?.includes('This page is gone.') === true",
            shown("pmsite-gone")
        ),
    );
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn a_site_whose_first_build_failed_appears_once_it_is_fixed() {
    let browser = browser();
    let (site, server) = serving("severity = \"SEV9\"", "The disk filled up.");
    let tab = new_tab(&browser);
    open_live(&tab, &server, PAGE);
    wait_for(
        &tab,
        "the overlay over the placeholder",
        &format!(
            "{}?.includes('postmortems/disk-full.md:5') === true",
            shown("pmsite-overlay")
        ),
    );

    site.postmortem("disk-full.md", "", "The disk filled up.");
    wait_for(
        &tab,
        "the built page",
        "document.body?.textContent.includes('The disk filled up.') === true",
    );
    assert_eq!(
        eval(&tab, &shown("pmsite-overlay")),
        json!(null),
        "the overlay stayed after the fix"
    );
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn an_open_page_reconnects_and_reloads_after_the_server_restarts() {
    let browser = browser();
    let (site, server) = serving("", "The disk filled up.");
    let tab = new_tab(&browser);
    open_live(&tab, &server, PAGE);
    let port = server.address.rsplit(':').next().unwrap().to_string();
    drop(server);

    // Edited while no server ran: the page learns of it from the new server.
    site.postmortem("disk-full.md", "", "Edited while the server was down.");
    let _again = Server::start_with(&site, &["--port", &port]);
    wait_for(
        &tab,
        "the page to reload from the restarted server",
        "document.body?.textContent.includes('Edited while the server was down.') === true",
    );
    assert_eq!(marker(&tab), json!(null));
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn the_not_found_page_reloads_when_404_html_changes_at_whatever_url_it_is_shown() {
    let browser = browser();
    let (site, server) = serving("", "The disk filled up.");
    let tab = new_tab(&browser);
    open_live(&tab, &server, "/no/such/page/");

    let theirs = include_str!("../../themes/default/templates/404.html");
    site.write(
        "templates/404.html",
        &theirs.replacen(
            "{% block content %}",
            "{% block content %}<p>Ask in #incidents.</p>",
            1,
        ),
    );
    wait_for(
        &tab,
        "the 404 page to show the template's change",
        "document.body?.textContent.includes('Ask in #incidents.') === true",
    );
}
