//! The live-reload script: embedded in the binary and added to the HTML pages `pmsite serve`
//! answers with, never written with the site (a build's output has no trace of it).

/// Where the server answers with the script, its event stream and its state; no page of a
/// site can be there (ids and folders never start with an underscore).
pub const PREFIX: &str = "/__pmsite/";

/// The browser side: `themes/default/serve/live.js`.
pub const LIVE_JS: &str = include_str!("../../themes/default/serve/live.js");

const TAG: &[u8] = b"<script src=\"/__pmsite/live.js\"></script>\n";

/// An HTML page with the script added before `</body>` (at the end when there is none).
pub fn inject(mut html: Vec<u8>) -> Vec<u8> {
    let at = rfind_ignoring_case(&html, b"</body>").unwrap_or(html.len());
    html.splice(at..at, TAG.iter().copied());
    html
}

/// What is served in place of any page while there is no site yet (the first build failed):
/// the script then shows why, and reloads once a build succeeds.
pub fn placeholder() -> Vec<u8> {
    inject(
        b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
          <title>pmsite serve: not built yet</title>\n</head>\n<body data-pmsite-placeholder>\n\
          <h1>Not built yet</h1>\n<p>The site could not be built: fix the problems shown \
          here (and in the terminal). This page reloads by itself once the build succeeds.</p>\n\
          </body>\n</html>\n"
            .to_vec(),
    )
}

fn rfind_ignoring_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .rposition(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_goes_before_the_last_closing_body_tag_or_at_the_end() {
        let page = inject(b"<p>`</body>` in code</p></BODY></html>".to_vec());
        assert_eq!(
            String::from_utf8(page).unwrap(),
            "<p>`</body>` in code</p><script src=\"/__pmsite/live.js\"></script>\n</BODY></html>"
        );
        let fragment = inject(b"<p>no body</p>".to_vec());
        assert!(fragment.ends_with(TAG));
        assert!(String::from_utf8(placeholder()).unwrap().contains("live.js"));
    }
}
