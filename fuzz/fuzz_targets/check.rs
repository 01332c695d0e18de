//! One postmortem file, as arbitrary UTF-8, through the policy checks.
//! What is checked besides "no panic": `check_checks` in `fuzz/checks.rs`.

#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| pmsite_fuzz::check_checks(text));
