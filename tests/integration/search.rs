//! `pmsite search` and the similar-incidents lists: what an engineer about to make a risky
//! change finds.

use crate::test::*;

fn archive() -> Site {
    let site = Site::new();
    site.postmortem(
        "2020-01-10-orders-migration.md",
        "title = \"Orders migration locked the table\"\nseverity = \"SEV1\"\nstarted_at = 2020-01-10T10:00:00Z\nservices = [\"orders\"]\nroot_causes = [\"data-migration\"]\ntags = [\"postgres\"]",
        "## Root cause\n\nThe schema migrations took an exclusive lock on a large table.\n\n## Lessons learned\n\nTest migrations at production scale.\n",
    )
    .postmortem(
        "2022-05-01-cert.md",
        "title = \"Payments failed on an expired certificate\"\nseverity = \"SEV2\"\nstarted_at = 2022-05-01T09:00:00Z\nservices = [\"payments-gateway\"]\nteams = [\"treasury\"]\nroot_causes = [\"expired-certificate\"]\nauthors = [\"ana.lima\"]\nincident_commander = \"bo.chen\"\n\n[[action_items]]\ntitle = \"Automate renewal\"\nowner = \"carla.diaz\"\nticket = \"PAY-1510\"",
        "## Root cause\n\nThe client certificate expired; renewal was manual. See SEC-77.\n",
    )
    .postmortem(
        "2023-03-03-cert-again.md",
        "title = \"Certificate expired again\"\nseverity = \"SEV3\"\nstarted_at = 2023-03-03T09:00:00Z\nservices = [\"payments-gateway\", \"orders\"]\nroot_causes = [\"expired-certificate\"]\nrecurrence_of = \"2022-05-01-cert\"",
        "## Root cause\n\nAn intermediate certificate expired. Nobody was alerted before expiry.\n",
    )
    .postmortem(
        "2024-07-07-secret.md",
        "title = \"QUOKKA certificate incident\"\nvisibility = \"restricted\"\nservices = [\"orders\"]\nroot_causes = [\"expired-certificate\"]",
        "The certificate QUOKKA expired.\n",
    )
    .postmortem(
        "2024-08-08-draft.md",
        "title = \"ZEPHYR migration draft\"\nstatus = \"draft\"\nservices = [\"orders\"]",
        "A migration ZEPHYR.\n",
    );
    site
}

fn ids(run: &Run) -> Vec<String> {
    run.json()["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn search_finds_past_root_causes_with_stemming() {
    let site = archive();
    site.build();
    let run = site.pmsite(&["search", "migration", "--json"]).success();
    assert_eq!(
        ids(&run),
        ["2020-01-10-orders-migration"],
        "migrations -> migration"
    );
    let run = site
        .pmsite(&["search", "expired", "certificate", "--json"])
        .success();
    let found = ids(&run);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found.contains(&"2022-05-01-cert".to_string())
            && found.contains(&"2023-03-03-cert-again".to_string())
    );
}

#[test]
fn every_word_must_match() {
    let site = archive();
    site.build();
    let run = site
        .pmsite(&["search", "certificate", "migration", "--json"])
        .success();
    assert_eq!(run.json()["total"], 0);
}

#[test]
fn phrases_match_as_phrases() {
    let site = archive();
    site.build();
    let phrase = site
        .pmsite(&["search", "\"intermediate certificate\"", "--json"])
        .success();
    assert_eq!(ids(&phrase), ["2023-03-03-cert-again"]);
    let reversed = site
        .pmsite(&["search", "\"certificate intermediate\"", "--json"])
        .success();
    assert_eq!(reversed.json()["total"], 0);
    // A phrase still being typed (no closing quote) searches its words.
    let unclosed = site
        .pmsite(&["search", "\"certificate intermediate", "--json"])
        .success();
    assert_eq!(ids(&unclosed), ["2023-03-03-cert-again"]);
}

#[test]
fn filters_narrow_without_reordering() {
    let site = archive();
    site.build();
    let by_service = site
        .pmsite(&["search", "certificate", "--service", "orders", "--json"])
        .success();
    assert_eq!(ids(&by_service), ["2023-03-03-cert-again"]);
    let by_severity = site
        .pmsite(&["search", "certificate", "--severity", "sev2", "--json"])
        .success();
    assert_eq!(
        ids(&by_severity),
        ["2022-05-01-cert"],
        "severity matches case-insensitively"
    );
    let since = site
        .pmsite(&["search", "certificate", "--since", "2023-01-01", "--json"])
        .success();
    assert_eq!(ids(&since), ["2023-03-03-cert-again"]);
    let by_cause = site
        .pmsite(&[
            "search",
            "--root-cause",
            "expired-certificate",
            "--sort",
            "date",
            "--json",
        ])
        .success();
    assert_eq!(
        ids(&by_cause),
        ["2023-03-03-cert-again", "2022-05-01-cert"],
        "an empty query lists by date"
    );
}

#[test]
fn json_results_have_a_stable_shape() {
    let site = archive();
    site.build();
    let json = site
        .pmsite(&["search", "exclusive", "lock", "--json"])
        .success()
        .json();
    assert_eq!(json["version"], 1);
    assert_eq!(json["query"], "exclusive lock");
    assert_eq!(json["sort"], "relevance");
    let hit = &json["hits"][0];
    for key in [
        "id",
        "title",
        "url",
        "severity",
        "date",
        "score",
        "summary",
        "services",
        "teams",
        "root_causes",
        "tags",
        "snippet",
        "section_url",
    ] {
        assert!(hit.get(key).is_some(), "hit lacks {key}: {hit}");
    }
    assert_eq!(
        hit["url"],
        "https://incidents.example.com/incidents/2020-01-10-orders-migration/"
    );
    assert_eq!(
        hit["section_url"],
        "https://incidents.example.com/incidents/2020-01-10-orders-migration/#root-cause"
    );
    let snippet = &hit["snippet"];
    assert_eq!(snippet["section"], "root-cause");
    let text = snippet["text"].as_str().unwrap();
    let highlighted: Vec<&str> = snippet["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &text[r[0].as_u64().unwrap() as usize..r[1].as_u64().unwrap() as usize])
        .collect();
    assert_eq!(highlighted, ["exclusive", "lock"]);
}

#[test]
fn terminal_output_shows_title_link_and_snippet() {
    let site = archive();
    site.build();
    let run = site.pmsite(&["search", "renewal"]).success();
    run.stdout_has("1 of 3 incidents match \"renewal\"")
        .stdout_has("[SEV2] 2022-05-01  Payments failed on an expired certificate")
        .stdout_has("https://incidents.example.com/incidents/2022-05-01-cert/#root-cause")
        .stdout_has("[renewal]");
}

#[test]
fn the_index_is_built_when_missing_and_never_holds_unpublished_postmortems() {
    let site = archive();
    let run = site.pmsite(&["search", "QUOKKA", "--json"]).success();
    assert_eq!(run.json()["total"], 0);
    assert!(run.stderr.contains("No search index"), "{}", run.stderr);
    let run = site.pmsite(&["search", "ZEPHYR", "--json"]).success();
    assert_eq!(run.json()["total"], 0);
    assert!(!site.exists("public"), "search builds the index, not the site");
}

#[test]
fn the_index_lives_beside_the_output_not_in_it() {
    let site = archive();
    site.build();
    assert!(site.exists(".public.search-index/meta.json"));
    for (path, _) in site.snapshot("public") {
        assert!(
            !path.to_string_lossy().contains("search-index"),
            "{}",
            path.display()
        );
    }
}

#[test]
fn an_index_from_an_older_pmsite_is_named_with_the_command_that_makes_it_again() {
    let site = archive();
    site.build();
    // What an index of the format before the vocabulary file looks like to a search.
    std::fs::remove_file(site.path().join(".public.search-index/vocabulary.txt")).unwrap();
    site.pmsite(&["search", "certificate"])
        .status(2)
        .stderr_has(".public.search-index")
        .stderr_has("made by an older pmsite")
        .stderr_has("`pmsite build` makes it again");
    site.build();
    let run = site.pmsite(&["search", "certificate", "--json"]).success();
    assert_eq!(run.json()["total"], 2);
}

#[test]
fn incident_pages_list_similar_incidents_with_reasons() {
    let site = archive();
    site.build();
    let page = site.read("public/incidents/2022-05-01-cert/index.html");
    let connected = connected_incidents(&page);
    let (_, why) = connected
        .iter()
        .find(|(href, _)| href.ends_with("incidents/2023-03-03-cert-again/"))
        .unwrap_or_else(|| panic!("{connected:?}"));
    assert!(
        why.contains("similar: shares payments-gateway, expired-certificate"),
        "{why}"
    );
    assert!(
        connected
            .iter()
            .all(|(href, _)| !href.contains("2022-05-01-cert/")),
        "never itself"
    );
    assert!(!page.contains("QUOKKA") && !page.contains("ZEPHYR"));
}

#[test]
fn a_search_with_content_errors_reports_them() {
    let site = archive();
    site.postmortem("bad.md", "severity = \"SEV9\"", "");
    site.pmsite(&["search", "x"]).status(1).stderr_has("PM005");
}

fn expanded(run: &Run) -> serde_json::Value {
    run.json()["expanded"].clone()
}

#[test]
fn a_word_no_incident_has_matches_as_a_prefix_then_with_one_typo() {
    let site = archive();
    site.build();
    let cert = site.pmsite(&["search", "certific", "--json"]).success();
    assert_eq!(ids(&cert).len(), 2, "certific -> certificate");
    assert_eq!(
        expanded(&cert),
        serde_json::json!([{"word": "certific", "how": "prefix", "words": ["certificate"]}])
    );
    site.pmsite(&["search", "certific", "expiry"])
        .success()
        .stdout_has("\"certific\" matched certificate.")
        .stdout_has("1 of 3 incidents match \"certific expiry\"");
    let typo = site.pmsite(&["search", "certifcate", "--json"]).success();
    assert_eq!(ids(&typo).len(), 2);
    assert_eq!(expanded(&typo)[0]["how"], "typo");
    site.pmsite(&["search", "certifcate"])
        .success()
        .stdout_has("Showing results for certificate instead of \"certifcate\".");
    // Submitted whole, a word being typed still finds what it starts.
    let partial = site.pmsite(&["search", "intermed", "certif", "--json"]).success();
    assert_eq!(ids(&partial), ["2023-03-03-cert-again"]);
}

#[test]
fn a_correction_that_finds_nothing_is_never_offered() {
    let site = archive();
    site.build();
    let run = site
        .pmsite(&["search", "certifcate", "zzzqq"])
        .success()
        .stdout_has("No incidents match")
        .stdout_has("No incident has \"zzzqq\".");
    assert!(!run.stdout.contains("Showing results for"), "{}", run.stdout);
    // A quoted word is exact: no prefix, no typo.
    let quoted = site.pmsite(&["search", "\"certific\"", "--json"]).success();
    assert_eq!(quoted.json()["total"], 0);
}

#[test]
fn people_tickets_and_names_find_their_incidents() {
    let site = archive();
    site.build();
    for query in [
        "ana.lima",
        "bo chen",
        "carla.diaz",
        "PAY-1510",
        "JIRA:PAY-1510",
        "SEC-77",
        "treasury",
    ] {
        let run = site.pmsite(&["search", query, "--json"]).success();
        assert_eq!(ids(&run), ["2022-05-01-cert"], "{query}");
    }
    // A ticket is one word: incidents that say "pay" and "1510" apart do not match.
    let site = archive();
    site.postmortem(
        "2021-01-01-pay.md",
        "title = \"Pay runs late\"\nstarted_at = 2021-01-01T00:00:00Z",
        "Pay ran 1510 seconds late.\n",
    );
    site.build();
    let run = site.pmsite(&["search", "PAY-1510", "--json"]).success();
    assert_eq!(ids(&run), ["2022-05-01-cert"]);
    for query in ["expired-certificate", "payments-gateway", "orders"] {
        let run = site.pmsite(&["search", query, "--json"]).success();
        assert!(!ids(&run).is_empty(), "{query}");
    }
}

#[test]
fn unknown_filter_values_get_a_did_you_mean_and_exit_2() {
    let site = archive();
    site.build();
    site.pmsite(&["search", "certificate", "--service", "payments-gatway"])
        .status(2)
        .stderr_has("no published incident has service `payments-gatway`")
        .stderr_has("did you mean `--service payments-gateway`?");
    let json = site
        .pmsite(&["search", "--root-cause", "expired-certficate", "--json"])
        .status(2)
        .json();
    assert_eq!(json["error"]["option"], "--root-cause");
    assert_eq!(json["error"]["did_you_mean"], "expired-certificate");
    assert!(
        json.get("hits").is_none(),
        "an error, never an empty list: {json}"
    );
    for (option, value) in [
        ("--team", "treasry"),
        ("--severity", "SEV9"),
        ("--tag", "nothing-like-it"),
    ] {
        site.pmsite(&["search", option, value])
            .status(2)
            .stderr_has("hint:");
    }
    // Known values pass, however they are written.
    site.pmsite(&["search", "--severity", "sev2", "--team", "Treasury"])
        .success();
}

/// Words the stable-files archive is written in: a few hundred distinct terms, so that
/// each segment's terms fill several chunks.
fn archive_word(n: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ba", "de", "fo", "gu", "hi", "jo", "pe", "zu",
    ];
    format!(
        "{}{}{}",
        SYLLABLES[n % 16],
        SYLLABLES[(n / 16) % 16],
        SYLLABLES[(n / 256) % 16]
    )
}

/// Postmortem `i` of an archive of one a day from 2020-01-01, its body three sections of
/// words drawn from [`archive_word`].
fn stable_postmortem(site: &Site, i: usize) {
    let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(i as u64);
    let mut seed = i as u64 * 2654435761 + 1;
    let mut sentence = |words: usize| {
        (0..words)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                archive_word((seed >> 33) as usize % 700)
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let body = format!(
        "## Summary\n\n{}.\n\n## Root cause\n\n{}.\n\n## Lessons learned\n\n{}.\n",
        sentence(30),
        sentence(60),
        sentence(40)
    );
    site.postmortem(
        &format!("{day}-incident-{i}.md"),
        &format!("started_at = {day}T10:00:00Z\nsummary = \"{}.\"", sentence(8)),
        &body,
    );
}

/// 300 postmortems, built: four blocks of 64 (0..256, oldest first) and a tail of 44.
/// Also its search files.
fn built_stable_archive() -> (Site, std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>) {
    let site = Site::new();
    for i in 0..300 {
        stable_postmortem(&site, i);
    }
    site.build();
    let search = site.snapshot("public/search");
    (site, search)
}

#[test]
fn a_newest_postmortem_rewrites_only_the_search_files_of_the_newest_segment() {
    let (site, before) = built_stable_archive();
    stable_postmortem(&site, 300);
    site.build();
    let after = site.snapshot("public/search");
    let changed = changed_files(&before, &after);
    let outside: Vec<&String> = changed
        .iter()
        .filter(|p| {
            let in_tail = ["t/256/", "p/256/", "n/256/"].iter().any(|s| p.starts_with(s));
            // Its row joins the last group of four; facets, words and the manifest list it.
            let listing = p.as_str() == "d/75.js"
                || p.as_str() == "manifest.js"
                || ["f/", "w/", "y/"].iter().any(|s| p.starts_with(s));
            !in_tail && !listing
        })
        .collect();
    assert!(
        outside.is_empty(),
        "rewritten outside the newest segment: {outside:?}"
    );
    let blocks = before.keys().filter(|p| p.starts_with("t/0/")).count();
    assert!(
        blocks > 3,
        "a block of 64 is cut into several term files ({blocks})"
    );
    let words = changed.iter().filter(|p| p.starts_with("w/")).count();
    assert!(
        words <= 3,
        "{words} word files changed: a new word moves no boundary"
    );
}

#[test]
fn an_edited_sentence_rewrites_only_the_position_files_of_its_section() {
    let (site, before) = built_stable_archive();
    // Five words more in the first sentence of the oldest postmortem: the positions of its
    // later sections do not move.
    let path = site.path().join("postmortems/2020-01-01-incident-0.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let added: Vec<String> = (1..6).map(archive_word).collect();
    let edited = text.replacen(
        "## Summary\n\n",
        &format!("## Summary\n\n{} ", added.join(" ")),
        1,
    );
    assert_ne!(text, edited);
    std::fs::write(&path, edited).unwrap();
    site.build();
    let after = site.snapshot("public/search");
    let changed = changed_files(&before, &after);
    let outside: Vec<&String> = changed
        .iter()
        .filter(|p| !["t/0/", "p/0/", "n/0/"].iter().any(|s| p.starts_with(s)) && p.as_str() != "manifest.js")
        .collect();
    assert!(outside.is_empty(), "rewritten outside its segment: {outside:?}");
    // The summary holds at most 30 distinct words and the five added ones: a file each at
    // most, of positions and postings; the other two sections' 100 words stay put.
    let positions = changed.iter().filter(|p| p.starts_with("p/")).count();
    let in_segment = before.keys().filter(|p| p.starts_with("p/0/")).count();
    assert!(
        positions <= 35 && positions < in_segment,
        "{positions} of {in_segment} position files changed"
    );
}
