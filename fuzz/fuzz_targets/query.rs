//! A `pmsite search` query, as arbitrary UTF-8, against a small index.
//! What is checked besides "no panic": `query_checks` in `fuzz/checks.rs`.

#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| pmsite_fuzz::query_checks(text));
