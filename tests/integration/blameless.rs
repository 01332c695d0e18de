//! Blameless language measured on a labelled set written for pmsite: sentences a reviewer
//! would send back for blaming someone, and sentences about systems that must stay quiet.
//! Each is a paragraph of one postmortem in the example archive (whose services and words
//! are what tell a tool from a person), half under Root cause, half under What went wrong.
//! Any blaming-language finding (PM101, PM102, PM104) on a sentence's line catches it.

use std::collections::BTreeSet;

use crate::test::*;

/// Sentences that blame a person: listed or not, by name, role, pronoun or handle.
const BLAMING: &[&str] = &[
    "Bob forgot to enable Sentinel discovery when he migrated the client.",
    "Maya ignored the warning in the deploy output.",
    "The junior developer pushed the migration without a review.",
    "The DBA dropped the wrong index during the maintenance window.",
    "Our intern ran the cleanup script against production.",
    "The contractor disabled the firewall rule to debug a connection.",
    "It was Kevin's fault that the certificate expired.",
    "The outage was Priya's oversight.",
    "The engineer's lack of attention let the bad config through.",
    "Somebody screwed up the DNS zone file.",
    "The on-call engineer messed up the rollback.",
    "It was a stupid mistake to run the migration on a Friday.",
    "Dmitri skipped the canary stage to save time.",
    "Hannah neglected to update the runbook after the move.",
    "Nils failed to notice that the replica was lagging.",
    "Sofia did not bother to check the disk usage dashboard.",
    "Jamal should have tested the change in staging first.",
    "Grace acted without approval from the incident commander.",
    "He missed the page because his phone was on silent.",
    "She ignored the alert for forty minutes.",
    "The alert was ignored by the on-call engineer.",
    "The failing check was missed by Tomas during the review.",
    "The incident was caused by the new hire's change.",
    "The outage happened because of the contractor.",
    "Lena overlooked the expiry date on the certificate.",
    "Ravi simply forgot to renew the domain.",
    "The senior engineer didn't check the diff before merging.",
    "Olivia botched the failover drill.",
    "The release manager rushed the deploy out before the freeze.",
    "It was our intern's mistake.",
    "Marcus broke production with a typo in the manifest.",
    "Aisha was careless with the production credentials.",
    "The sysadmin fat-fingered the subnet mask.",
    "That was a rookie mistake by the new developer.",
    "Kenji never bothered to read the upgrade notes.",
    "Elena should've waited for the backfill to finish.",
    "The operator forgot to drain the node before rebooting it.",
    "Fatima failed to follow the change process.",
    "The whole thing was the DBA's fault.",
    "Someone ignored the capacity warning from last quarter.",
    "Carlos goofed up the load balancer weights.",
    "The admin skipped the backup before the upgrade.",
    "Our contractor's negligence left the bucket public.",
    "Tom missed the step in the runbook that drains traffic.",
];

/// Sentences about systems, tools and processes, written without blame.
const SYSTEM: &[&str] = &[
    "Redis failed over to the replica at 14:02.",
    "Kafka dropped the consumer group after the session timeout.",
    "Terraform deleted the bucket because the resource was renamed.",
    "Sentinel missed the failover because discovery was disabled in the client.",
    "The health check ignored replication lag, so the stale replica stayed in rotation.",
    "The scheduler skipped the nightly backup when the lock was held.",
    "The renewal job failed to renew the certificate after the DNS change.",
    "Alertmanager missed the page because the route matched no receiver.",
    "The load balancer kept sending traffic to the draining node.",
    "Postgres ran out of connections when the pool size doubled.",
    "The migration took an exclusive lock on the orders table.",
    "PgBouncer rejected new clients once the pool was full.",
    "The deploy pipeline skipped the canary stage for configuration-only changes.",
    "Monitoring missed the slow rise in disk usage.",
    "The cache evicted hot keys when the memory limit was reached.",
    "Nginx returned 502 errors while the upstream restarted.",
    "The runbook did not mention the drain step.",
    "The checklist had no step for Sentinel discovery.",
    "The review tool did not show the generated manifest.",
    "Kubernetes evicted the pods when the node ran out of memory.",
    "The autoscaler ignored the queue depth metric.",
    "Cloudflare cached the error page for five minutes.",
    "The retry policy doubled the load on the payments gateway.",
    "Vault sealed itself after the storage backend timed out.",
    "The cron job overlooked files larger than 2 GB.",
    "The feature flag service failed to propagate the change to two regions.",
    "Elasticsearch rejected writes once the disk watermark was crossed.",
    "The session store lost writes during the failover.",
    "The DNS resolver cached the negative answer for an hour.",
    "The backup script did not check its exit code.",
    "Jenkins marked the build green although a test had been skipped.",
    "Consul missed two heartbeats and deregistered the service.",
    "The webhook sender gave up after three retries.",
    "The inventory service oversold items because the reservation check was skipped under load.",
    "The alert fired, but the page went to an unused channel.",
    "Nothing in the deploy tooling required a second approval.",
    "The API gateway dropped requests when the rate limit was applied globally.",
    "Our process had no owner for certificate renewals.",
    "The on-call rotation had a gap over the holiday weekend.",
    "Replication fell behind because the batch job wrote 40 million rows at once.",
    "Prometheus missed the scrape while the target restarted.",
    "The search cluster failed to elect a leader after the network partition.",
    "Etcd lost quorum when two members restarted together.",
    "Argo CD skipped the sync because the application was paused.",
    "The primary missed three heartbeats and stepped down.",
    "The canary skipped the smoke tests because the flag was off.",
    "GitHub Actions skipped the workflow on the tag push.",
    "Dependabot missed the vulnerable transitive dependency.",
    "Renovate ignored the pinned version in the lock file.",
    "The Postgres operator restarted the primary during the upgrade.",
];

#[test]
fn the_labelled_set_meets_the_recall_and_false_positive_targets() {
    let site = Site::copy_of(&example_dir());
    // Sentences alternate between a cause section and another, so both hold both kinds.
    let sentences: Vec<(bool, &str)> = BLAMING
        .iter()
        .map(|s| (true, *s))
        .chain(SYSTEM.iter().map(|s| (false, *s)))
        .collect();
    let mut body = String::new();
    let mut lines: Vec<(usize, bool, &str)> = Vec::new();
    // The front matter below is 8 lines, with its fences.
    let mut line = 9;
    for (heading, parity) in [("## Root cause", 0), ("## What went wrong", 1)] {
        body.push_str(heading);
        body.push_str("\n\n");
        line += 2;
        for (_, (blaming, sentence)) in sentences.iter().enumerate().filter(|(i, _)| i % 2 == parity) {
            body.push_str(sentence);
            body.push_str("\n\n");
            lines.push((line, *blaming, sentence));
            line += 2;
        }
    }
    site.write(
        "postmortems/2024/2024-12-01-labelled-set.md",
        &format!(
            "+++\ntitle = \"Labelled set\"\nseverity = \"SEV4\"\nstarted_at = 2024-12-01T10:00:00Z\n\
             summary = \"Sentences for the blameless checks.\"\nauthors = [\"maya.patel\"]\n\
             services = [\"session-store\"]\n+++\n{body}"
        ),
    );
    let run = site.pmsite(&["check", "--format", "json", "--today", "2025-06-01"]);
    let flagged: BTreeSet<u64> = run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"].as_str().unwrap().ends_with("labelled-set.md"))
        .filter(|d| ["PM101", "PM102", "PM104"].contains(&d["code"].as_str().unwrap()))
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    let missed: Vec<&str> = lines
        .iter()
        .filter(|(line, blaming, _)| *blaming && !flagged.contains(&(*line as u64)))
        .map(|(_, _, s)| *s)
        .collect();
    let false_positives: Vec<&str> = lines
        .iter()
        .filter(|(line, blaming, _)| !*blaming && flagged.contains(&(*line as u64)))
        .map(|(_, _, s)| *s)
        .collect();
    let recall = 1.0 - missed.len() as f64 / BLAMING.len() as f64;
    let false_positive_rate = false_positives.len() as f64 / SYSTEM.len() as f64;
    eprintln!(
        "labelled set: recall {}/{} = {:.1} %, false positives {}/{} = {:.1} %\nmissed: {missed:#?}\nfalse positives: {false_positives:#?}",
        BLAMING.len() - missed.len(),
        BLAMING.len(),
        recall * 100.0,
        false_positives.len(),
        SYSTEM.len(),
        false_positive_rate * 100.0
    );
    assert!(BLAMING.len() >= 40 && SYSTEM.len() >= 40);
    assert!(
        recall >= 0.85,
        "recall {:.1} % < 85 %: missed {missed:#?}",
        recall * 100.0
    );
    assert!(
        false_positive_rate <= 0.05,
        "false positives {:.1} % > 5 %: {false_positives:#?}",
        false_positive_rate * 100.0
    );
}

#[test]
fn a_blaming_title_is_found_like_a_blaming_summary() {
    let site = Site::new();
    site.postmortem(
        "a.md",
        "title = \"Human error: careless DBA dropped the table\"",
        "",
    );
    let title_line = site
        .read("postmortems/a.md")
        .lines()
        .position(|l| l.starts_with("title = "))
        .unwrap() as u64
        + 1;
    let run = site.pmsite(&["check", "--format", "json"]);
    let lines: Vec<u64> = run.json()["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "PM101")
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [title_line, title_line], "`Human error` and `careless`");
}
