//! pmsite.toml, as arbitrary UTF-8.
//! What is checked besides "no panic": `config_checks` in `fuzz/checks.rs`.

#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| pmsite_fuzz::config_checks(text));
