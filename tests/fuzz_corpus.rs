//! Every checked-in fuzz corpus and seed file (`fuzz/corpus/`, `fuzz/seeds/`),
//! replayed through the same checks as the fuzz targets. The fuzzers do not run in CI
//! (a fuzz build takes minutes); this keeps what they once found fixed.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::fs;
use std::path::Path;

/// Replays `fuzz/corpus/<target>/` and `fuzz/seeds/<seeds>/` (the `check` target starts
/// from the `parse_file` seeds).
fn replay(target: &str, seeds: &str, check: fn(&str)) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for folder in [root.join("corpus").join(target), root.join("seeds").join(seeds)] {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|e| e.expect("a corpus entry").path()).collect();
        paths.sort();
        for path in paths {
            let bytes = fs::read(&path).expect("a corpus file");
            // libFuzzer hands a target only valid UTF-8 (`|text: &str|`); others never ran.
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let outcome = std::panic::catch_unwind(|| check(text));
                assert!(outcome.is_ok(), "{} fails its fuzz checks", path.display());
                replayed += 1;
            }
        }
    }
    assert!(replayed > 0, "no corpus for {target}");
}

#[test]
fn every_checked_in_fuzz_input_passes_its_targets_checks() {
    type Checks = fn(&str);
    let targets: [(&str, &str, Checks); 5] = [
        ("parse_file", "parse_file", checks::parse_file_checks),
        ("config", "config", checks::config_checks),
        ("check", "parse_file", checks::check_checks),
        ("markdown", "markdown", checks::markdown_checks),
        ("query", "query", checks::query_checks),
    ];
    for (target, seeds, check) in targets {
        replay(target, seeds, check);
    }
}
