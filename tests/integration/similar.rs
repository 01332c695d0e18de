//! The similar-incidents lists of incident pages: a new postmortem moves only the lists it
//! enters.

use std::collections::BTreeMap;

use crate::test::Site;

const SERVICES: &[&str] = &[
    "checkout-api",
    "payments-gateway",
    "auth-service",
    "search-api",
    "ledger",
    "notifications",
];
const CAUSES: &[&str] = &[
    "config-change",
    "deploy",
    "capacity",
    "dns",
    "expired-certificate",
];
const WORDS: &[&str] = &[
    "latency",
    "timeouts",
    "errors",
    "outage",
    "queue",
    "backlog",
    "cache",
    "stampede",
    "replica",
    "lag",
    "certificate",
    "renewal",
    "rollback",
    "canary",
    "quota",
    "throttling",
    "pool",
    "exhaustion",
    "deadlock",
    "schema",
    "migration",
    "resolver",
    "failover",
    "partition",
    "memory",
    "leak",
    "retry",
    "storm",
    "disk",
    "pressure",
    "token",
    "expiry",
    "index",
    "rebuild",
    "webhook",
    "flood",
    "cron",
    "overlap",
    "shard",
    "hotspot",
];

/// A reproducible sequence of numbers below `n` (a linear congruential generator).
struct Numbers(u64);

impl Numbers {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn words(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| WORDS[self.below(WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Writes postmortem `i` of a generated archive: one a day from 2020-01-01, each with one
/// or two services, a root cause and a few words of a small vocabulary.
fn generated(site: &Site, numbers: &mut Numbers, i: usize) {
    let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(i as u64);
    let mut services = vec![SERVICES[numbers.below(SERVICES.len())]];
    if numbers.below(3) == 0 {
        services.push(SERVICES[numbers.below(SERVICES.len())]);
    }
    services.dedup();
    let front = format!(
        "title = \"{} on {}\"\nstarted_at = {day}T10:00:00Z\nsummary = \"{}.\"\nservices = [{}]\n\
         root_causes = [\"{}\"]\ncontributing_factors = [\"{}\"]\n",
        numbers.words(3),
        services[0],
        numbers.words(8),
        services
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", "),
        CAUSES[numbers.below(CAUSES.len())],
        numbers.words(4),
    );
    site.postmortem(
        &format!("{day}-incident-{i}.md"),
        &front,
        "## Summary\n\nWhat happened.\n",
    );
}

/// Per incident page: the similar incidents its connected-incidents list links, in order.
fn similar_lists(site: &Site) -> BTreeMap<String, Vec<String>> {
    site.snapshot("public/incidents")
        .into_iter()
        .filter(|(path, _)| path.ends_with("index.html") && path.components().count() == 2)
        .map(|(path, bytes)| {
            let page = String::from_utf8(bytes).unwrap();
            // Connected incidents are one list; the similar ones say so in their reasons.
            let links = crate::test::connected_incidents(&page)
                .into_iter()
                .filter(|(_, why)| why.contains("similar"))
                .map(|(href, _)| href)
                .collect();
            (path.parent().unwrap().display().to_string(), links)
        })
        .collect()
}

#[test]
fn a_newest_postmortem_changes_only_the_similar_lists_it_enters() {
    const ARCHIVE: usize = 300;
    let site = Site::new();
    let mut numbers = Numbers(7);
    for i in 0..ARCHIVE {
        generated(&site, &mut numbers, i);
    }
    site.build();
    let pages_before = site.snapshot("public/incidents");
    let before = similar_lists(&site);
    assert_eq!(before.len(), ARCHIVE);
    assert!(
        before.values().all(|list| !list.is_empty()),
        "every incident shares something"
    );

    generated(&site, &mut numbers, ARCHIVE);
    site.build();
    let after = similar_lists(&site);
    let newest = after
        .keys()
        .find(|page| !before.contains_key(*page))
        .expect("the new page")
        .clone();
    let changed: Vec<&String> = before
        .keys()
        .filter(|page| before[*page] != after[*page])
        .collect();
    let entered: Vec<&&String> = changed
        .iter()
        .filter(|page| after[**page].iter().any(|link| link.contains(&newest)))
        .collect();
    assert!(!entered.is_empty(), "the new incident is like some others");
    assert_eq!(
        entered.len(),
        changed.len(),
        "lists changed without the new incident in them: {:?}",
        changed
            .iter()
            .filter(|page| !entered.contains(page))
            .collect::<Vec<_>>()
    );
    assert!(
        changed.len() <= ARCHIVE / 10,
        "{} of {ARCHIVE} lists changed",
        changed.len()
    );

    // The same holds for whole incident pages: only those that now link the newcomer
    // change (a small change makes a small deploy). The paginated lists still shift.
    let pages_after = site.snapshot("public/incidents");
    let rewritten: Vec<_> = pages_before
        .iter()
        .filter(|(path, _)| path.ends_with("index.html") && path.components().count() == 2)
        .filter(|(path, bytes)| pages_after.get(*path) != Some(*bytes))
        .map(|(path, _)| path.clone())
        .collect();
    let unexplained: Vec<_> = rewritten
        .iter()
        .filter(|path| {
            let page = String::from_utf8_lossy(&pages_after[*path]);
            !page.contains(&format!("incidents/{newest}/"))
        })
        .collect();
    assert!(
        unexplained.is_empty(),
        "pages changed without linking the new incident: {unexplained:?}"
    );
}
