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
        .add_handler(vec!["table"], table)
        .add_handler(vec!["p"], google_docs_title)
        .build();
    let markdown = converter
        .convert(&code_in_pre(html))
        .map_err(|e| format!("cannot convert its HTML: {e}"))?;
    Ok(tidy(&unwrap_redirects(&markdown)))
}

/// A table as a Markdown table that keeps every cell. `htmd`'s own drops the `<td>`s of a
/// row that starts with a `<th>` (Confluence's key-value tables), shifts cells under a
/// `colspan` or `rowspan`, and gives a table without a `<th>` (every Google Docs table) as
/// loose paragraphs. Here a spanned cell's text is repeated down its rows and its other
/// columns are left empty, so every row has its cells in their columns; a cell's paragraphs
/// become one line; the first row is the header only when it is one (`<thead>`, or `<th>`s
/// only), else the header is empty.
fn table(handlers: &dyn htmd::element_handler::Handlers, element: htmd::Element) -> Option<HandlerResult> {
    let rows = table_rows(element.node);
    if rows.is_empty() {
        return handlers.fallback(element);
    }
    let header_row = rows[0].header;
    let mut grid: Vec<Vec<String>> = Vec::new();
    // Per column, the text a rowspan carries into the next rows and how many rows are left.
    let mut carried: Vec<(String, usize)> = Vec::new();
    for row in &rows {
        let mut line = Vec::new();
        let mut cells = row.cells.iter();
        loop {
            let column = line.len();
            if let Some((text, left @ 1..)) = carried.get_mut(column) {
                line.push(text.clone());
                *left -= 1;
                continue;
            }
            let Some(cell) = cells.next() else { break };
            if line.len() + cell.colspan > MAX_COLUMNS {
                // No table a postmortem means: its words are kept as text instead of a grid
                // that could take more memory than the machine has.
                return handlers.fallback(element);
            }
            let text = cell_text(handlers, &cell.node);
            for span in 0..cell.colspan {
                let text = if span == 0 { text.clone() } else { String::new() };
                if carried.len() <= line.len() {
                    carried.resize(line.len() + 1, (String::new(), 0));
                }
                carried[line.len()] = (text.clone(), cell.rowspan - 1);
                line.push(text);
            }
        }
        grid.push(line);
    }
    let width = grid.iter().map(Vec::len).max().unwrap_or(0);
    if width == 0 {
        return handlers.fallback(element);
    }
    let (header, body) = match header_row {
        true => (grid[0].clone(), &grid[1..]),
        false => (vec![String::new(); width], &grid[..]),
    };
    let mut markdown = String::from("\n\n");
    let mut push_row = |cells: &[String]| {
        markdown.push('|');
        for column in 0..width {
            markdown.push(' ');
            markdown.push_str(cells.get(column).map_or("", String::as_str));
            markdown.push_str(" |");
        }
        markdown.push('\n');
    };
    push_row(&header);
    push_row(&vec!["---".to_string(); width]);
    for row in body {
        push_row(row);
    }
    markdown.push('\n');
    Some(markdown.into())
}

type HandlerResult = htmd::element_handler::HandlerResult;

/// No span is taken wider or longer than this: a `colspan="100000"` is a mistake, and
/// would make a table of that many columns.
const MAX_SPAN: usize = 64;
/// Columns a table may have, spans included, before it is kept as text.
const MAX_COLUMNS: usize = 256;

struct Row {
    header: bool,
    cells: Vec<Cell>,
}

struct Cell {
    node: std::rc::Rc<htmd::Node>,
    colspan: usize,
    rowspan: usize,
}

/// The rows of a table, in order: those of its `<thead>`, `<tbody>`s and `<tfoot>` and its
/// own (not those of a table inside a cell).
fn table_rows(table: &std::rc::Rc<htmd::Node>) -> Vec<Row> {
    let mut rows = Vec::new();
    for child in table.children.borrow().iter() {
        match tag(child).as_deref() {
            Some(section @ ("thead" | "tbody" | "tfoot")) => {
                for row in child.children.borrow().iter() {
                    if tag(row).as_deref() == Some("tr") {
                        rows.push(table_row(row, section == "thead"));
                    }
                }
            }
            Some("tr") => rows.push(table_row(child, false)),
            _ => {}
        }
    }
    rows.retain(|row| !row.cells.is_empty());
    rows
}

fn table_row(row: &std::rc::Rc<htmd::Node>, in_head: bool) -> Row {
    let mut all_th = true;
    let cells: Vec<Cell> = row
        .children
        .borrow()
        .iter()
        .filter_map(|cell| {
            let name = tag(cell)?;
            if name != "td" && name != "th" {
                return None;
            }
            all_th &= name == "th";
            let span = |attribute: &str| {
                attribute_of(cell, attribute)
                    .and_then(|value| value.trim().parse::<usize>().ok())
                    .unwrap_or(1)
                    .clamp(1, MAX_SPAN)
            };
            Some(Cell {
                node: cell.clone(),
                colspan: span("colspan"),
                rowspan: span("rowspan"),
            })
        })
        .collect();
    Row {
        header: in_head || (all_th && !cells.is_empty()),
        cells,
    }
}

/// A cell's Markdown on one line (a table row is one line), `|` escaped.
fn cell_text(handlers: &dyn htmd::element_handler::Handlers, cell: &std::rc::Rc<htmd::Node>) -> String {
    one_line(handlers, cell).replace('|', "\\|")
}

/// An element's Markdown with every run of white space, line breaks included, as one space.
fn one_line(handlers: &dyn htmd::element_handler::Handlers, node: &std::rc::Rc<htmd::Node>) -> String {
    let markdown = handlers.walk_children(node).content;
    markdown.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Google Docs gives the document's title as `<p class="title">`, not a heading: as a
/// heading it is the title the import finds (else the first section's heading would be).
fn google_docs_title(
    handlers: &dyn htmd::element_handler::Handlers,
    element: htmd::Element,
) -> Option<HandlerResult> {
    let is_title = element.attrs.iter().any(|attribute| {
        &*attribute.name.local == "class" && attribute.value.split_whitespace().any(|class| class == "title")
    });
    if !is_title {
        return handlers.fallback(element);
    }
    let text = one_line(handlers, element.node);
    if text.is_empty() {
        return handlers.fallback(element);
    }
    Some(format!("\n\n# {text}\n\n").into())
}

fn tag(node: &htmd::Node) -> Option<String> {
    match &node.data {
        markup5ever_rcdom::NodeData::Element { name, .. } => Some(name.local.to_string()),
        _ => None,
    }
}

fn attribute_of(node: &htmd::Node, name: &str) -> Option<String> {
    match &node.data {
        markup5ever_rcdom::NodeData::Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .find(|attribute| &*attribute.name.local == name)
            .map(|attribute| attribute.value.to_string()),
        _ => None,
    }
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
    fn a_row_that_starts_with_a_th_keeps_its_tds() {
        let md = to_markdown(
            "<table><tbody><tr><th>Incident date</th><td>2024-03-10</td></tr>\
             <tr><th>Severity</th><td>SEV-2</td></tr></tbody></table>",
        )
        .unwrap();
        assert_eq!(
            md.trim(),
            "|  |  |\n| --- | --- |\n| Incident date | 2024-03-10 |\n| Severity | SEV-2 |"
        );
    }

    #[test]
    fn spanned_cells_keep_the_others_in_their_columns() {
        let md = to_markdown(
            "<table><tr><th colspan=\"2\">Region</th><th>Share</th></tr>\
             <tr><td rowspan=\"2\">EU</td><td>web</td><td>30%</td></tr>\
             <tr><td>api</td><td>12%</td></tr></table>",
        )
        .unwrap();
        assert_eq!(
            md.trim(),
            "| Region |  | Share |\n| --- | --- | --- |\n| EU | web | 30% |\n| EU | api | 12% |"
        );
    }

    #[test]
    fn a_google_docs_table_and_title_keep_their_structure() {
        let md = to_markdown(
            "<p class=\"c3 title\"><span>Payment webhook failures</span></p>\
             <h1><span>Summary</span></h1><p>Webhooks failed.</p>\
             <table><tr><td><p>Action</p></td><td><p>Owner</p></td></tr>\
             <tr><td><p>Retry</p><p>webhooks</p></td><td><p>a|b</p></td></tr></table>",
        )
        .unwrap();
        assert!(md.starts_with("# Payment webhook failures\n"), "{md}");
        assert!(md.contains("# Summary"), "{md}");
        assert!(
            md.contains("|  |  |\n| --- | --- |\n| Action | Owner |\n| Retry webhooks | a\\|b |"),
            "{md}"
        );
    }

    #[test]
    fn an_absurd_span_is_cut_short() {
        let md = to_markdown("<table><tr><td colspan=\"100000\">x</td></tr></table>").unwrap();
        assert_eq!(md.lines().next().unwrap().matches('|').count(), MAX_SPAN + 1);
    }

    #[test]
    fn a_table_too_wide_to_mean_anything_is_kept_as_text() {
        let row = "<td colspan=\"64\">x</td>".repeat(300);
        let md = to_markdown(&format!("<table><tr><td>first</td>{row}</tr></table>")).unwrap();
        assert!(!md.contains('|'), "{}", &md[..md.len().min(200)]);
        assert!(md.contains("first") && md.matches('x').count() == 300);
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
