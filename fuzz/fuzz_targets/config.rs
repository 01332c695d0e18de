//! pmsite.toml, as arbitrary UTF-8. Beyond "no panic", every diagnostic must point into the
//! file.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(diagnostics) = pmsite::config::parse(text) {
        assert!(!diagnostics.is_empty());
        for d in &diagnostics {
            if let Some(at) = &d.location {
                let bytes = &at.bytes;
                assert!(bytes.start <= bytes.end && bytes.end <= text.len(), "{at:?}");
                assert!(text.is_char_boundary(bytes.start) && text.is_char_boundary(bytes.end));
                assert!(at.line >= 1 && at.line <= text.lines().count() + 1, "{at:?}");
            }
        }
    }
});
