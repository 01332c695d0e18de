//! HTML exports (Confluence "Export to HTML", Google Docs "Download as web page") to Markdown
//! with `htmd`; what is left is imported like any Markdown file.

/// Elements that carry no words of the postmortem: scripts, styles, page chrome.
const DROPPED: &[&str] = &[
    "script", "style", "noscript", "head", "nav", "iframe", "svg", "button",
];

/// The document as Markdown: headings, lists, tables, links and code blocks kept; scripts,
/// styles and attributes (classes, inline styles, tracking data) dropped.
pub fn to_markdown(html: &str) -> Result<String, String> {
    let converter = htmd::HtmlToMarkdown::builder()
        .skip_tags(DROPPED.to_vec())
        .options(htmd::options::Options {
            heading_style: htmd::options::HeadingStyle::Atx,
            code_block_style: htmd::options::CodeBlockStyle::Fenced,
            bullet_list_marker: htmd::options::BulletListMarker::Dash,
            ul_bullet_spacing: 1,
            ol_number_spacing: 1,
            ..Default::default()
        })
        .build();
    let markdown = converter
        .convert(&code_in_pre(html))
        .map_err(|e| format!("cannot convert its HTML: {e}"))?;
    Ok(tidy(&unwrap_redirects(&markdown)))
}

/// Confluence writes code blocks as a bare `<pre>`, which `htmd` reads as text: a `<code>`
/// inside makes it a fenced block.
fn code_in_pre(html: &str) -> std::borrow::Cow<'_, str> {
    static PRE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"(?is)<pre\b[^>]*>(.*?)</pre>").unwrap());
    PRE.replace_all(html, |c: &regex::Captures<'_>| {
        if c[1].to_ascii_lowercase().contains("<code") {
            c[0].to_string()
        } else {
            format!("<pre><code>{}</code></pre>", &c[1])
        }
    })
}

/// Google Docs wraps every link in `https://www.google.com/url?q=TARGET&sa=...`: the
/// target is the link.
fn unwrap_redirects(markdown: &str) -> String {
    static REDIRECT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"https://www\.google\.com/url\?q=([^&)\s]+)[^)\s]*").unwrap()
    });
    REDIRECT
        .replace_all(markdown, |c: &regex::Captures<'_>| {
            crate::content::links::percent_decode(&c[1])
        })
        .into_owned()
}

/// Trailing spaces off and at most one blank line in a row, so the result reads like
/// hand-written Markdown.
fn tidy(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut blank = true;
    for line in markdown.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            if !blank {
                out.push('\n');
            }
            blank = true;
            continue;
        }
        out.push_str(line);
        out.push('\n');
        blank = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_styles_are_dropped_headings_and_lists_kept() {
        let md = to_markdown(
            "<html><head><style>p{}</style></head><body><script>track()</script>\
             <h2 data-track=\"x\">Timeline</h2><ul><li>14:00 alert</li></ul></body></html>",
        )
        .unwrap();
        assert!(md.contains("## Timeline"), "{md}");
        assert!(md.contains("- 14:00 alert"), "{md}");
        assert!(!md.contains("track"), "{md}");
    }

    #[test]
    fn a_bare_pre_is_a_fenced_code_block() {
        let md = to_markdown("<pre class=\"syntaxhighlighter-pre\">dig example.internal</pre>").unwrap();
        assert_eq!(md.trim(), "```\ndig example.internal\n```");
    }

    #[test]
    fn google_redirects_become_their_targets() {
        let md = to_markdown(
            "<p><a href=\"https://www.google.com/url?q=https://t.example/A-1&amp;sa=D\">A-1</a></p>",
        )
        .unwrap();
        assert_eq!(md.trim(), "[A-1](https://t.example/A-1)");
    }
}
