//! The browser search client (themes/default/static/search.js) against `pmsite search`:
//! for the same query, the same number of matches, the same top ten in the same order with
//! the same scores, and the same account of words read as a prefix or with a typo. Runs
//! tests/js/parity.mjs with Node; `#[ignore]`d (they need Node and ../shared), run by
//! `cargo test -- --include-ignored`, which fails without them.

use std::path::Path;
use std::process::Command;

use crate::test::*;

/// Node, which the tests that need it (`#[ignore]`d with the reason) fail without.
fn node() -> &'static str {
    let found = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "no node on PATH: install Node.js (apt-get install nodejs)");
    "node"
}

fn check_parity(site: &Site, queries: &[&str]) {
    let node = node();
    let mut expectations = Vec::new();
    for query in queries {
        let json = site
            .pmsite(&["search", query, "--json", "--limit", "10"])
            .success()
            .json();
        let hits = json["hits"].as_array().unwrap();
        assert!(
            !hits.is_empty() || query.is_empty(),
            "no hits for {query}: pick queries that match"
        );
        expectations.push(serde_json::json!({
            "query": query,
            "total": json["total"],
            "expanded": json["expanded"],
            "ids": hits.iter().map(|h| h["id"].clone()).collect::<Vec<_>>(),
            "scores": hits.iter().map(|h| h["score"].clone()).collect::<Vec<_>>(),
        }));
    }
    let file = site.path().join("expectations.json");
    std::fs::write(&file, serde_json::to_string(&expectations).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js/parity.mjs");
    let out = Command::new(node)
        .arg(&script)
        .arg(site.path().join("public/search"))
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "parity failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&format!("# pass {}", queries.len())), "{stdout}");
}

#[test]
#[ignore = "needs Node and ../shared (apt-get install nodejs): cargo test -- --include-ignored"]
fn the_browser_ranks_the_example_site_like_pmsite_search() {
    let site = Site::copy_of(&example_dir());
    site.build();
    check_parity(
        &site,
        &[
            "certificate",
            "expired certificate",
            "migration lock",
            "checkout-api",
            "deadlock",
            "payments-gateway",
            "friday",
            "rollback",
            "dns",
            "index",
            "runbook staging",
            // Phrases.
            "\"expired certificate\"",
            "\"the migration\"",
            "\"lock timeout\"",
            "payments \"error rate\"",
            // Prefixes: no word of the archive, the words it starts.
            "cert",
            "cert expiry",
            "migr lock",
            "rollb",
            // One typo.
            "certifcate",
            "dedlock",
            "lcok",
            "certifcate renewl",
            // People: authors, owners, incident commanders.
            "jamal.wright",
            "lena fischer",
            "jamal wrigt",
            // Tickets, whole and typed in part.
            "OPS-611",
            "JIRA:SRCH-310",
            "ops-6",
            "(OPS-611),",
            // Teams and root causes by name.
            "payments",
            "expired-certificate",
            "data-migration",
        ],
    );
}

/// Typed words to stems in the client: tests/js/words.mjs on the example site's export.
#[test]
#[ignore = "needs Node and ../shared (apt-get install nodejs): cargo test -- --include-ignored"]
fn the_browser_finds_the_stems_of_typed_words() {
    let node = node();
    let site = Site::copy_of(&example_dir());
    site.build();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js/words.mjs");
    let out = Command::new(node)
        .arg(&script)
        .arg(site.path().join("public/search"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "words.mjs failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("# fail 0") && !stdout.contains("# pass 0"),
        "{stdout}"
    );
}

/// A synthetic archive from ../shared/bench/gen_corpus.py (the shared folder beside the
/// clone, as CI has it).
fn generated_archive(postmortems: usize, seed: u64) -> Site {
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_corpus.py");
    assert!(
        generator.exists(),
        "{} not found: these tests need ../shared beside the clone",
        generator.display()
    );
    let site = Site::new();
    let status = Command::new("python3")
        .arg(&generator)
        .arg(site.path())
        .args([postmortems.to_string(), "--seed".into(), seed.to_string()])
        .output()
        .unwrap();
    assert!(status.status.success());
    site
}

#[test]
#[ignore = "needs Node and ../shared (apt-get install nodejs): cargo test -- --include-ignored"]
fn the_browser_ranks_a_generated_archive_like_pmsite_search() {
    let site = generated_archive(400, 7);
    add_tickets(&site);
    site.build();
    check_parity(
        &site,
        &[
            "certificate expired",
            "deadlock detected",
            "replication lag",
            "checkout-api latency",
            "dns resolver",
            "kafka consumer",
            "memory leak",
            "rollback canary",
            "connection pool",
            "disk quota",
            "timeout",
            "us-east-1",
            "\"replication lag\"",
            "\"the primary\"",
            "\"rate limit\"",
            "checkout-api \"error rate\"",
            "\"dns resolver\" timeout",
            "\"was not\"",
            "\"to the\"",
            // Prefixes, typos, people, tickets.
            "replic lag",
            "certif",
            "dedlock detected",
            "replicaton",
            "alice.nguyen",
            "grace kim rollback",
            "PAY-1510",
            "pay-15",
        ],
    );
}

/// A ticket in the front matter of one generated postmortem and in the prose of another
/// (the generator writes none), so ticket queries have something to find.
fn add_tickets(site: &Site) {
    let dir = site.path().join("postmortems");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    let with_ticket = std::fs::read_to_string(&files[0]).unwrap();
    let with_ticket = with_ticket.replacen(
        "\n+++\n",
        "\n\n[[action_items]]\ntitle = \"Alert on pool exhaustion\"\nowner = \"grace.kim\"\nticket = \"PAY-1510\"\n+++\n",
        1,
    );
    std::fs::write(&files[0], with_ticket).unwrap();
    let mentioned = std::fs::read_to_string(&files[1]).unwrap() + "\nFollow-up in PAY-1511 and PAY-1510.\n";
    std::fs::write(&files[1], mentioned).unwrap();
}

/// The index is built in parts, one per core, then merged: what the site ships must not
/// depend on how many cores the build machine has.
#[test]
#[ignore = "needs Node and ../shared (apt-get install nodejs): cargo test -- --include-ignored"]
fn search_files_do_not_depend_on_the_number_of_cores() {
    let site = generated_archive(450, 3);
    let one_core = Command::new("taskset")
        .args([
            "-c",
            "0",
            BIN,
            "build",
            "--today",
            "2025-06-01",
            "--output",
            "one-core",
        ])
        .current_dir(site.path())
        .output()
        .expect("taskset (util-linux) to run the build on one core");
    assert!(
        one_core.status.success(),
        "{}",
        String::from_utf8_lossy(&one_core.stderr)
    );
    site.build();
    let all_cores = site.snapshot("public");
    let one_core = site.snapshot("one-core");
    assert_eq!(all_cores.len(), one_core.len());
    for (path, bytes) in &all_cores {
        assert!(one_core.get(path) == Some(bytes), "{} differs", path.display());
    }
}
