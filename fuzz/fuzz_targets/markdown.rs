//! A postmortem body, as arbitrary UTF-8, through the Markdown renderer.
//! What is checked besides "no panic": `markdown_checks` in `fuzz/checks.rs`.

#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| pmsite_fuzz::markdown_checks(text));
