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
    assert!(
        earlier.contains("href=\"../../incidents/2023-11-02-payments-gateway-certificate-expired-again/\"")
    );
    assert!(earlier.contains("Referenced by"));
}
