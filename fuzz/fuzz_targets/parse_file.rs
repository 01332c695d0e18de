//! One postmortem file, as arbitrary UTF-8: front matter, TOML/YAML, decode, Markdown scan, links.
//! What is checked besides "no panic": `parse_file_checks` in `fuzz/checks.rs`.

#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| pmsite_fuzz::parse_file_checks(text));
