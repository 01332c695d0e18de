//! The example knowledge base: it builds cleanly, every link in it works, and what must
//! stay private does.

use crate::test::*;

#[test]
fn the_example_site_builds_without_problems() {
    let site = Site::copy_of(&example_dir());
    let run = site.build();
    assert!(run.stderr.is_empty(), "unexpected diagnostics:\n{}", run.stderr);
    assert!(run.stdout.starts_with("Built 19 postmortems, "), "{}", run.stdout);
    for page in [
        "public/index.html",
        "public/404.html",
        "public/incidents/index.html",
        "public/incidents/2024-03-08-checkout-cleanup-script/index.html",
        "public/tags/index.html",
        "public/root-causes/expired-certificate/index.html",
        "public/services/checkout-api/index.html",
        "public/teams/payments/index.html",
        "public/severities/sev1/index.html",
        "public/years/2019/index.html",
        "public/assets/style.css",
    ] {
        assert!(site.exists(page), "{page} missing");
    }
}

#[test]
fn every_internal_link_in_the_example_site_resolves() {
    let site = Site::copy_of(&example_dir());
    site.build();
    let problems = broken_links(&site.path().join("public"));
    assert!(problems.is_empty(), "broken links:\n{}", problems.join("\n"));
}

#[test]
fn drafts_and_restricted_postmortems_never_reach_the_internal_site() {
    let site = Site::copy_of(&example_dir());
    site.build();
    let leaks = [
        "ZEPHYRDRAFT",
        "QUOKKARESTRICTED",
        "2025-04-15-duplicate-delivery-sms",
        "2023-07-19-support-endpoint-exposure",
    ];
    for (path, bytes) in site.snapshot("public") {
        let text = String::from_utf8_lossy(&bytes);
        for leak in leaks {
            assert!(!text.contains(leak), "{leak} appears in {}", path.display());
        }
    }
}

#[test]
fn the_recurrence_is_shown_on_both_incidents() {
    let site = Site::copy_of(&example_dir());
    site.build();
    let later =
        site.read("public/incidents/2023-11-02-payments-gateway-certificate-expired-again/index.html");
    let earlier = site.read("public/incidents/2019-06-14-payments-gateway-expired-certificate/index.html");
    for page in [&later, &earlier] {
        assert!(page.contains("Recurrence chain"));
    }
    // The later incident names the earlier one: the earlier's chain says why it is there.
    let link = "href=\"../../incidents/2023-11-02-payments-gateway-certificate-expired-again/\"";
    let chain = &earlier[earlier.find("<ol class=\"chain\">").expect("a chain")..];
    let entry = chain[..chain.find("</ol>").unwrap()]
        .split("<li>")
        .find(|li| li.contains(link))
        .expect("the chain links to the later incident");
    assert!(entry.contains("links to this review"), "{entry}");
}

/// The ledger page's build date and its count of overdue items.
fn overdue_as_of(site: &Site) -> (String, usize) {
    let page = site.read("public/action-items/index.html");
    let date = page
        .split("the build date, <time>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the ledger names its build date")
        .to_string();
    let overdue = site.read("public/action-items/overdue/index.html");
    (date, overdue.matches("class=\"is-overdue\"").count())
}

#[test]
fn the_example_reads_as_of_its_own_date_whatever_the_clock_says() {
    let site = Site::copy_of(&example_dir());
    // No --today: the example's pmsite.toml fixes the date, even over SOURCE_DATE_EPOCH
    // (here a day in 2030, when every open item would be years overdue).
    let run = std::process::Command::new(BIN)
        .args(["build", "--quiet"])
        .current_dir(site.path())
        .env("SOURCE_DATE_EPOCH", "1900000000")
        .output()
        .expect("run pmsite");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let (date, overdue) = overdue_as_of(&site);
    assert_eq!(date, "2025-06-01");
    assert!(
        (1..=3).contains(&overdue),
        "a living archive has a few overdue items, not {overdue}"
    );
    let page = site.read("public/incidents/2024-03-08-checkout-cleanup-script/index.html");
    assert!(
        page.contains("<strong class=\"overdue\">overdue</strong>"),
        "the rehearsal its text calls overdue"
    );

    // --today still wins.
    site.pmsite(&["build", "--today", "2027-01-01"]).success();
    let (date, later) = overdue_as_of(&site);
    assert_eq!(date, "2027-01-01");
    assert!(later > overdue, "{later} overdue in 2027, {overdue} in 2025");
}

#[test]
fn every_page_links_the_theme_favicon_which_a_site_can_replace() {
    let site = Site::copy_of(&example_dir());
    site.build();
    let icon = site.read("public/assets/favicon.svg");
    assert!(icon.starts_with("<svg"), "{icon}");
    for (page, href) in [
        ("public/index.html", "./assets/favicon.svg"),
        ("public/incidents/index.html", "../assets/favicon.svg"),
        (
            "public/incidents/2024-03-08-checkout-cleanup-script/index.html",
            "../../assets/favicon.svg",
        ),
        ("public/insights/index.html", "../assets/favicon.svg"),
    ] {
        let html = site.read(page);
        assert!(
            html.contains(&format!(
                "<link rel=\"icon\" href=\"{href}\" type=\"image/svg+xml\">"
            )),
            "{page} does not link {href}"
        );
    }
    assert!(broken_links(&site.path().join("public")).is_empty());

    // A site's own static/favicon.png replaces it.
    site.write("static/favicon.png", "not really a PNG");
    site.build();
    assert!(site.exists("public/favicon.png"));
    let html = site.read("public/incidents/index.html");
    assert!(
        html.contains("<link rel=\"icon\" href=\"../favicon.png\" type=\"image/png\">"),
        "the site's favicon is not linked"
    );
}
