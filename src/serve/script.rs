//! The live-reload script: embedded in the binary and added to the HTML pages `pmsite serve`
//! answers with, never written with the site (a build's output has no trace of it).

/// Where the server answers with the script, its event stream and its state; no page of a
/// site can be there (ids and folders never start with an underscore).
pub const PREFIX: &str = "/__pmsite/";

/// The browser side: `themes/default/serve/live.js`.
pub const LIVE_JS: &str = include_str!("../../themes/default/serve/live.js");

/// Which build a page was served from, which the script compares with the build its event
/// stream announces: an edit that lands between a page loading and its stream connecting
/// would otherwise go unnoticed.
pub struct Served {
    pub boot: String,
    pub generation: u64,
    /// The output file the page shows when that is not the one its URL names (the 404 page,
    /// served at any URL), so that a change to it reloads the page too.
    pub file: Option<&'static str>,
}

impl Served {
    pub fn of_file(self, file: &'static str) -> Served {
        Served {
            file: Some(file),
            ..self
        }
    }
}

/// An HTML page with the script added before `</body>` (at the end when there is none).
pub fn inject(mut html: Vec<u8>, served: &Served) -> Vec<u8> {
    // Boot ids and file names are plain ASCII without quotes: nothing to escape.
    let file = served
        .file
        .map_or(String::new(), |file| format!(" data-file=\"{file}\""));
    let tag = format!(
        "<script src=\"/__pmsite/live.js\" data-boot=\"{}\" data-generation=\"{}\"{file}></script>\n",
        served.boot, served.generation
    );
    let at = rfind_ignoring_case(&html, b"</body>").unwrap_or(html.len());
    html.splice(at..at, tag.bytes());
    html
}

/// What is served in place of any page while there is no site yet (the first build failed):
/// the script then shows why, and reloads once a build succeeds.
pub fn placeholder(served: &Served) -> Vec<u8> {
    inject(
        b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
          <title>pmsite serve: not built yet</title>\n</head>\n<body data-pmsite-placeholder>\n\
          <h1>Not built yet</h1>\n<p>The site could not be built: fix the problems shown \
          here (and in the terminal). This page reloads by itself once the build succeeds.</p>\n\
          </body>\n</html>\n"
            .to_vec(),
        served,
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

    fn served() -> Served {
        Served {
            boot: "7-1".into(),
            generation: 3,
            file: None,
        }
    }

    #[test]
    fn the_script_goes_before_the_last_closing_body_tag_or_at_the_end() {
        let page = inject(b"<p>`</body>` in code</p></BODY></html>".to_vec(), &served());
        assert_eq!(
            String::from_utf8(page).unwrap(),
            "<p>`</body>` in code</p><script src=\"/__pmsite/live.js\" data-boot=\"7-1\" data-generation=\"3\"></script>\n</BODY></html>"
        );
        let fragment = String::from_utf8(inject(b"<p>no body</p>".to_vec(), &served())).unwrap();
        assert!(fragment.ends_with("</script>\n"), "{fragment}");
        assert!(
            String::from_utf8(placeholder(&served()))
                .unwrap()
                .contains("live.js")
        );
    }

    #[test]
    fn a_404_page_names_its_own_file_for_the_script() {
        let page = inject(b"<body></body>".to_vec(), &served().of_file("404.html"));
        assert!(
            String::from_utf8(page)
                .unwrap()
                .contains(" data-file=\"404.html\">")
        );
    }
}
