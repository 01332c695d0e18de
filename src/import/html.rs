//! HTML exports (Confluence "Export to HTML", Google Docs "Download as web page") to Markdown
//! with `htmd`; what is left is imported like any Markdown file.

/// Elements that carry no words of the postmortem: scripts, styles, page chrome.
const DROPPED: &[&str] = &["script", "style", "noscript", "head", "nav", "iframe", "svg", "button"];

/// The document as Markdown: headings, lists, tables, links and code blocks kept; scripts,
/// styles and attributes (classes, inline styles, tracking data) dropped.
pub fn to_markdown(html: &str) -> Result<String, String> {
    let converter = htmd::HtmlToMarkdown::builder()
        .skip_tags(DROPPED.to_vec())
        .options(htmd::options::Options {
            heading_style: htmd::options::HeadingStyle::Atx,
            code_block_style: htmd::options::CodeBlockStyle::Fenced,
            bullet_list_marker: htmd::options::BulletListMarker::Dash,
            ..Default::default()
        })
        .build();
    let markdown = converter
        .convert(html)
        .map_err(|e| format!("cannot convert its HTML: {e}"))?;
    Ok(tidy(&markdown))
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
}
