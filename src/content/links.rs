//! What a link in a body points at. Shared by `validate` (is the target there?) and
//! `render` (what URL does it become?) so the two always agree.

/// A body link destination, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Has a scheme (`https:`, `mailto:`), is protocol-relative, or absolute (`/x`): left as is.
    External,
    /// `#fragment` on the same page.
    SamePage { fragment: String },
    /// Another postmortem, by file key relative to `postmortems/`.
    Postmortem { key: String, fragment: Option<String> },
    /// Any other file under `postmortems/` (an image, a log).
    File { key: String },
    /// A relative path that climbs out of `postmortems/`: nothing there is published.
    OutsideContent,
}

/// Classifies `destination`, written in the file whose key is `from_key`.
pub fn resolve(from_key: &str, destination: &str) -> Target {
    let destination = destination.trim();
    if destination.is_empty() {
        return Target::SamePage {
            fragment: String::new(),
        };
    }
    if destination.starts_with('/') || has_scheme(destination) {
        return Target::External;
    }
    let (path, fragment) = match destination.split_once('#') {
        Some((path, fragment)) => (path, Some(percent_decode(fragment))),
        None => (destination, None),
    };
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    if path.is_empty() {
        return Target::SamePage {
            fragment: fragment.unwrap_or_default(),
        };
    }
    let mut parts: Vec<String> = from_key.split('/').map(str::to_string).collect();
    parts.pop(); // the file itself
    for segment in percent_decode(path).split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Target::OutsideContent;
                }
            }
            s => parts.push(s.to_string()),
        }
    }
    let key = parts.join("/");
    if key.ends_with(".md") {
        Target::Postmortem { key, fragment }
    } else {
        Target::File { key }
    }
}

fn has_scheme(destination: &str) -> bool {
    // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
    match destination.split_once(':') {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Schemes that run code when followed: never emitted from content. Of `data:` URLs only
/// raster images are harmless; `data:image/svg+xml` can carry a script.
pub fn is_dangerous(destination: &str) -> bool {
    let lowered: String = destination
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    let raster = ["png", "jpeg", "gif", "webp"].iter().any(|kind| {
        lowered
            .strip_prefix("data:image/")
            .and_then(|rest| rest.strip_prefix(kind))
            .is_some_and(|rest| rest.starts_with([';', ',']))
    });
    ["javascript:", "vbscript:"]
        .iter()
        .any(|s| lowered.starts_with(s))
        || lowered.starts_with("data:") && !raster
}

/// Percent-encodes one URL path segment (everything but unreserved characters).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `%20` -> ` `; malformed escapes are kept as written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pm(key: &str, fragment: Option<&str>) -> Target {
        Target::Postmortem {
            key: key.into(),
            fragment: fragment.map(str::to_string),
        }
    }

    #[test]
    fn relative_postmortem_links_resolve_from_the_linking_file() {
        assert_eq!(resolve("2024/a.md", "b.md"), pm("2024/b.md", None));
        assert_eq!(
            resolve("2024/a.md", "../2022/x.md#timeline"),
            pm("2022/x.md", Some("timeline"))
        );
        assert_eq!(resolve("a.md", "./sub/./c.md?plain=1"), pm("sub/c.md", None));
        assert_eq!(resolve("a.md", "my%20file.md"), pm("my file.md", None));
    }

    #[test]
    fn other_destinations_are_classified() {
        assert_eq!(resolve("a.md", "https://example.com/x.md"), Target::External);
        assert_eq!(resolve("a.md", "mailto:sre@example.com"), Target::External);
        assert_eq!(resolve("a.md", "/runbooks/"), Target::External);
        assert_eq!(
            resolve("a.md", "#impact"),
            Target::SamePage {
                fragment: "impact".into()
            }
        );
        assert_eq!(
            resolve("2024/a.md", "img/graph.png"),
            Target::File {
                key: "2024/img/graph.png".into()
            }
        );
        assert_eq!(resolve("2024/a.md", "../../README.md"), Target::OutsideContent);
    }

    #[test]
    fn script_urls_are_recognised_however_written() {
        assert!(is_dangerous("javascript:alert(1)"));
        assert!(is_dangerous(" JavaScript\t:alert(1)"));
        assert!(is_dangerous("data:text/html;base64,xx"));
        assert!(is_dangerous("data:image/svg+xml;base64,PHN2Zz4="));
        assert!(is_dangerous("DATA:image/pngx,1"));
        assert!(!is_dangerous("data:image/png;base64,iVBORw0KGgo="));
        assert!(!is_dangerous("https://example.com"));
    }

    #[test]
    fn percent_decoding_survives_malformed_input() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%"), "%");
    }
}
