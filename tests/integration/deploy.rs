//! Small changes make small deploys: a static host's upload tool sends only the files
//! that changed, so a build must not rewrite what it did not have to.

use crate::test::*;

/// Two postmortems with open action items: one long overdue, one due on 2025-06-10.
fn archive() -> Site {
    let site = Site::new();
    site.postmortem(
        "2025-01-10-cache.md",
        "started_at = 2025-01-10T10:00:00Z\nservices = [\"cache\"]\n\n[[action_items]]\ntitle = \"Alert on eviction storms\"\nowner = \"ana.lima\"\ndue = 2025-02-01\npriority = \"P1\"",
        "## Summary\n\nThe cache evicted its hot keys.\n",
    )
    .postmortem(
        "2025-05-20-queue.md",
        "started_at = 2025-05-20T10:00:00Z\nservices = [\"queue\"]\n\n[[action_items]]\ntitle = \"Cap the backlog\"\nowner = \"bo.chen\"\ndue = 2025-06-10\npriority = \"P2\"",
        "## Summary\n\nThe queue backed up.\n",
    );
    site
}

#[test]
fn a_build_the_next_day_rewrites_only_what_is_dated_today() {
    let site = archive();
    site.pmsite(&["build", "--today", "2025-06-01"]).success();
    let before = site.snapshot("public");
    site.pmsite(&["build", "--today", "2025-06-02"]).success();
    let after = site.snapshot("public");
    // The JSON export's build date and day counts, and the first page of each ledger list,
    // which says what date "overdue" is relative to. Incident pages say "overdue" beside an
    // item's due date, not by how many days, which would rewrite them every day.
    let rewritten = changed_files(&before, &after);
    assert!(rewritten.contains(&"incidents.json".to_string()));
    let unexpected: Vec<&String> = rewritten
        .iter()
        .filter(|p| *p != "incidents.json" && *p != "index.html")
        // A ledger list's first page names the build date; its numbered pages do not.
        .filter(|p| !p.starts_with("action-items/") || p.contains("/page/"))
        .collect();
    assert!(unexpected.is_empty(), "rewritten the next day: {unexpected:?}");

    // The day an item falls due, the pages that list it change.
    site.pmsite(&["build", "--today", "2025-06-11"]).success();
    let due = site.snapshot("public");
    let rewritten = changed_files(&after, &due);
    assert!(
        rewritten.contains(&"incidents/2025-05-20-queue/index.html".to_string()),
        "{rewritten:?}"
    );
    assert!(
        !rewritten.contains(&"incidents/2025-01-10-cache/index.html".to_string()),
        "{rewritten:?}"
    );
}
