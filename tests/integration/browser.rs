//! Real-browser tests: the built example site, served over http://127.0.0.1 by a tiny file
//! server in this process, driven by Debian's headless Chromium through the DevTools protocol.
//!
//! They need a Chromium (`/usr/bin/chromium`, or the path in `$CHROMIUM`), so they are
//! `#[ignore]`d with that reason: `cargo test -- --include-ignored` (README, .ci/run) runs
//! them, and they fail without one rather than pass without having looked at a page.
//!
//! What depends on the stylesheet: the skip link being visible once focused, text contrast
//! (both colour schemes) and the dark background, the mobile layout not scrolling sideways,
//! and print hiding the main navigation. Everything else checks the templates' HTML and the
//! browser's own behaviour.
//!
//! The search page tests run its script (themes/default/static/search.js) over http:// and
//! file://, and take `pmsite search --json` on the same built site as the expected results.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use headless_chrome::browser::tab::point::Point;
use headless_chrome::protocol::cdp::{Emulation, Runtime};
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::{Value, json};

use crate::test::*;

const CLEANUP_INCIDENT: &str = "/incidents/2024-03-08-checkout-cleanup-script/";

// ---------- The tests ----------

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn pages_work_without_javascript_and_navigate_by_link() {
    let browser = browser();
    let (_site, server) = serve_example();
    let tab = new_tab(&browser);
    tab.call_method(Emulation::SetScriptExecutionDisabled { value: true })
        .unwrap();
    open(&tab, &server.url("/"));

    // Scripting really is off: a script element added to the page does not run.
    let ran = eval(
        &tab,
        "(() => { const s = document.createElement('script');
                  s.textContent = 'window.__pmsiteScriptRan = true';
                  document.head.appendChild(s);
                  return window.__pmsiteScriptRan === true; })()",
    );
    assert_eq!(
        ran,
        json!(false),
        "page scripts still run: the test is not testing a no-JS browser"
    );

    let first = "section[aria-labelledby=recent] .incident-list > li > h3 a";
    let href = eval(&tab, &format!("document.querySelector({first:?}).href"));
    let href = href.as_str().expect("link href").to_string();
    let expected = href
        .strip_prefix(&server.url(""))
        .expect("same-origin link")
        .to_string();
    assert!(
        expected.starts_with("/incidents/")
            && expected.ends_with('/')
            && expected.len() > "/incidents//".len(),
        "the first recent incident links to {href}, not /incidents/<id>/"
    );
    click(&tab, first);
    wait_for(
        &tab,
        &format!("{expected} to load after clicking the first recent incident"),
        &format!("location.pathname === {expected:?} && document.readyState === 'complete'"),
    );
    let h1 = eval(
        &tab,
        "[...document.querySelectorAll('h1')].map(h => h.textContent.trim())",
    );
    assert!(
        h1.as_array()
            .is_some_and(|a| a.len() == 1 && a[0].as_str().is_some_and(|t| !t.is_empty())),
        "{expected} should have one non-empty h1, has {h1}"
    );

    // The table of contents: a same-page link, to a heading of the body if there is one
    // (the contents may also list the page's own sections).
    let id = eval(
        &tab,
        "(() => { const links = [...document.querySelectorAll('#pm-toc a[href^=\"#\"]')];
                  const inBody = a => document.getElementById(a.getAttribute('href').slice(1))
                      ?.matches('#pm-body :is(h2, h3, h4, h5, h6)');
                  const a = links.find(inBody) || links[0];
                  return a ? a.getAttribute('href') : null; })()",
    );
    let id = id
        .as_str()
        .unwrap_or_else(|| panic!("{expected} has no #pm-toc a[href^='#']"))
        .to_string();
    click(&tab, &format!("#pm-toc a[href={id:?}]"));
    wait_for(
        &tab,
        &format!("location.hash to become {id} after clicking its contents link"),
        &format!("location.hash === {id:?}"),
    );
    let target = eval(
        &tab,
        &format!(
            "(() => {{ const t = document.getElementById({:?});
                      return !t ? 'missing' : !t.closest('main') ? 'outside main' : 'ok'; }})()",
            &id[1..]
        ),
    );
    assert_eq!(
        target,
        json!("ok"),
        "the contents link {id}: its target is {target}"
    );
    assert_eq!(
        eval(&tab, "location.pathname"),
        json!(expected),
        "a contents link left the page"
    );
    // The browser scrolled the target into view (smooth scrolling may take a moment).
    wait_for(
        &tab,
        &format!("{id} to be scrolled into the viewport"),
        &format!(
            "(() => {{ const r = document.getElementById({:?}).getBoundingClientRect();
                      return r.bottom > 0 && r.top < innerHeight; }})()",
            &id[1..]
        ),
    );
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn keyboard_users_can_skip_to_content() {
    let browser = browser();
    let (_site, server) = serve_example();
    let tab = new_tab(&browser);
    // Key presses go to the page even if the headless window is not the focused one.
    tab.call_method(Emulation::SetFocusEmulationEnabled { enabled: true })
        .unwrap();
    emulate_media(&tab, "", &[("prefers-reduced-motion", "reduce")]);
    open(&tab, &server.url("/"));

    tab.press_key("Tab").unwrap();
    wait_for(
        &tab,
        "the first Tab to focus the skip link",
        "document.activeElement.matches('a.skip-link[href=\"#main\"]')",
    );
    // Visible once focused (this depends on the stylesheet): a real box, inside the viewport,
    // not transparent, and on top at its own centre.
    let visible = "(() => {
        const a = document.activeElement, r = a.getBoundingClientRect(), s = getComputedStyle(a);
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0
            && r.right <= innerWidth && r.bottom <= innerHeight
            && s.visibility === 'visible' && Number(s.opacity) > 0
            && !!top && a.contains(top); })()";
    if !poll(&tab, visible, Duration::from_secs(2)) {
        let state = eval(
            &tab,
            "(() => { const a = document.activeElement, r = a.getBoundingClientRect(), s = getComputedStyle(a);
                      return { rect: [r.left, r.top, r.width, r.height], viewport: [innerWidth, innerHeight],
                               visibility: s.visibility, opacity: s.opacity }; })()",
        );
        panic!("the focused skip link is not visible: {state}");
    }

    tab.press_key("Enter").unwrap();
    wait_for(
        &tab,
        "Enter on the skip link to go to #main",
        "location.hash === '#main'",
    );
    wait_for(
        &tab,
        "focus to move to main#main",
        "document.activeElement === document.querySelector('main#main')",
    );
    // The next Tab starts from the content, past the header's navigation.
    tab.press_key("Tab").unwrap();
    let next = eval(
        &tab,
        "(() => { const a = document.activeElement;
                  return { inMain: !!a.closest('main'), html: a.outerHTML.slice(0, 120) }; })()",
    );
    assert_eq!(
        next["inMain"],
        json!(true),
        "Tab after the skip link went outside main: {}",
        next["html"]
    );
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn every_page_has_landmarks_and_one_h1() {
    let browser = browser();
    let (_site, server) = serve_example();
    let tab = new_tab(&browser);
    let audit = r#"(() => {
        const problems = [];
        const text = el => (el.textContent || '').replace(/\s+/g, ' ').trim();
        const name = el => {
            const label = (el.getAttribute('aria-label') || '').trim();
            if (label) return label;
            const ids = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
            const by = ids.map(id => document.getElementById(id)).filter(Boolean).map(text).join(' ').trim();
            if (by) return by;
            const alts = [...el.querySelectorAll('img[alt]')].map(i => i.alt.trim()).join(' ').trim();
            return (text(el) + ' ' + alts).trim();
        };
        const count = (selector, n) => {
            const found = document.querySelectorAll(selector).length;
            if (found !== n) problems.push(`${found} ${selector} elements, expected ${n}`);
        };
        count('main', 1);
        count('h1', 1);
        if (!(document.documentElement.getAttribute('lang') || '').trim()) problems.push('html has no lang');
        if (!document.title.trim()) problems.push('empty <title>');
        if (!document.getElementById('main')) problems.push('no #main for the skip link');
        const navs = [...document.querySelectorAll('nav')];
        if (navs.length === 0) problems.push('no nav');
        const navNames = navs.map(n => {
            const label = (n.getAttribute('aria-label') || '').trim();
            const ids = (n.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
            const by = ids.map(id => document.getElementById(id)).filter(Boolean).map(text).join(' ').trim();
            return label || by;
        });
        navNames.forEach((n, i) => { if (!n) problems.push(`nav #${i + 1} has no accessible name`); });
        const dupes = navNames.filter((n, i) => n && navNames.indexOf(n) !== i);
        if (dupes.length) problems.push(`navs share names: ${dupes.join(', ')}`);
        if (!document.querySelector('header nav[aria-label="Main"]')) problems.push('no header nav[aria-label=Main]');
        for (const img of document.querySelectorAll('img')) {
            if (!img.hasAttribute('alt')) problems.push(`img without alt: ${img.outerHTML.slice(0, 100)}`);
        }
        for (const a of document.querySelectorAll('a[href]')) {
            if (!name(a)) problems.push(`link without text: ${a.outerHTML.slice(0, 100)}`);
        }
        for (const el of document.querySelectorAll('[aria-labelledby]')) {
            for (const id of el.getAttribute('aria-labelledby').split(/\s+/).filter(Boolean)) {
                if (!document.getElementById(id)) problems.push(`aria-labelledby names a missing id ${id}`);
            }
        }
        const seen = new Set();
        for (const el of document.querySelectorAll('[id]')) {
            if (seen.has(el.id)) problems.push(`duplicate id ${el.id}`);
            seen.add(el.id);
        }
        return problems;
    })()"#;
    let mut problems = Vec::new();
    for page in [
        "/",
        "/incidents/",
        "/services/",
        "/services/checkout-api/",
        "/root-causes/expired-certificate/",
        CLEANUP_INCIDENT,
        "/404.html",
        "/insights/",
        "/action-items/",
        "/action-items/owners/maya-patel/",
    ] {
        open(&tab, &server.url(page));
        for problem in eval(&tab, audit).as_array().expect("problem list") {
            problems.push(format!("{page}: {}", problem.as_str().unwrap_or_default()));
        }
    }
    assert!(
        problems.is_empty(),
        "accessibility problems:\n{}",
        problems.join("\n")
    );
}

/// A new tab that prefers the `scheme` ("light" or "dark") colour scheme, with reduced
/// motion so that colour transitions are never caught half way.
fn tab_in_scheme(browser: &Browser, scheme: &str) -> Arc<Tab> {
    let tab = new_tab(browser);
    emulate_media(
        &tab,
        "",
        &[
            ("prefers-color-scheme", scheme),
            ("prefers-reduced-motion", "reduce"),
        ],
    );
    tab
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn text_contrast_meets_wcag_aa_in_light_and_dark_mode() {
    let browser = browser();
    let (_site, server) = serve_example();
    let mut failures = Vec::new();
    for scheme in ["light", "dark"] {
        let tab = tab_in_scheme(&browser, scheme);
        open(&tab, &server.url(CLEANUP_INCIDENT));
        let matches = eval(
            &tab,
            &format!("matchMedia('(prefers-color-scheme: {scheme})').matches"),
        );
        assert_eq!(
            matches,
            json!(true),
            "could not emulate prefers-color-scheme: {scheme}"
        );

        let report = eval(&tab, CONTRAST_JS);
        let checked = report["checked"].as_u64().unwrap_or(0);
        assert!(
            checked > 50,
            "{scheme}: only {checked} text elements checked: {report}"
        );
        let body = report["bodyLuminance"].as_f64().expect("body luminance");
        if scheme == "dark" {
            assert!(
                body < 0.2,
                "dark mode: the page background is not dark (luminance {body:.3})"
            );
        }
        let fails = report["failures"].as_array().expect("failures");
        if !fails.is_empty() {
            failures.push(format!(
                "{scheme} mode: {} of {checked} elements fail; worst:",
                fails.len()
            ));
            for f in fails.iter().take(12) {
                failures.push(format!(
                    "  {:.2} < {} {} {:?}: {} on {}",
                    f["ratio"].as_f64().unwrap_or(0.0),
                    f["need"],
                    f["element"].as_str().unwrap_or_default(),
                    f["text"].as_str().unwrap_or_default(),
                    f["fg"].as_str().unwrap_or_default(),
                    f["bg"].as_str().unwrap_or_default(),
                ));
            }
        }
        tab.close(false).ok();
    }
    assert!(
        failures.is_empty(),
        "text below WCAG AA contrast:\n{}",
        failures.join("\n")
    );
}

/// The insights page in a real browser, light and dark, on a phone and a laptop: every
/// chart is laid out with its bars visible against the background, labels big enough to
/// read, and the screenshot is not blank. (Its text's contrast is checked with the ledger's
/// in `incident_ledger_and_insights_pages_in_light_and_dark`.)
#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn insights_charts_are_drawn_in_light_and_dark_mode() {
    let browser = browser();
    let (_site, server) = serve_example();
    let mut failures = Vec::new();
    for scheme in ["light", "dark"] {
        let tab = tab_in_scheme(&browser, scheme);
        // Each chart is drawn wide and narrow: one of the two shows, at either width.
        for width in [390, 1280] {
            set_viewport(&tab, width, 900);
            let scheme = format!("{scheme} {width} px");
            let scheme = scheme.as_str();
            open(&tab, &server.url("/insights/"));
            let charts = eval(&tab, CHARTS_JS);
            let list = charts.as_array().expect("chart list");
            assert_eq!(list.len(), 8, "{scheme}: charts on the page: {charts}");
            for chart in list {
                let name = chart["title"].as_str().unwrap_or_default();
                assert_eq!(chart["role"], "img", "{name}");
                assert!(
                    chart["width"].as_f64().unwrap_or(0.0) > 300.0,
                    "{scheme} {name}: {chart}"
                );
                assert!(
                    chart["height"].as_f64().unwrap_or(0.0) > 100.0,
                    "{scheme} {name}: {chart}"
                );
                assert!(
                    chart["bars"].as_u64().unwrap_or(0) > 0,
                    "{scheme} {name}: no bars"
                );
                assert!(
                    chart["table"].as_bool().unwrap_or(false),
                    "{scheme} {name}: no table"
                );
                assert!(
                    chart["smallestLabel"].as_f64().unwrap_or(0.0) >= 12.0,
                    "{scheme} {name}: axis labels too small to read: {chart}"
                );
                // Bars are graphics: WCAG 1.4.11 asks for 3:1 against what is next to them.
                let worst = chart["worstBarContrast"].as_f64().unwrap_or(0.0);
                if worst < 3.0 {
                    failures.push(format!(
                        "{scheme} {name}: a bar colour has contrast {worst:.2} with the page"
                    ));
                }
            }

            // The screen with the first chart in its middle (an element's clip is unreliable
            // on an emulated phone).
            let chart = if width < 600 {
                "svg.chart-narrow"
            } else {
                "svg.chart-wide"
            };
            eval(
                &tab,
                &format!(
                    "document.querySelector({chart:?}).scrollIntoView({{ block: 'center', behavior: 'instant' }})"
                ),
            );
            let shot = screenshot_viewport(&tab);
            let (distinct, luminance) = png_colours(&shot);
            assert!(
                distinct >= 4,
                "{scheme}: the chart screenshot looks blank ({distinct} colours)"
            );
            if scheme.starts_with("dark") {
                assert!(
                    luminance < 0.3,
                    "dark mode chart on a light background ({luminance:.2})"
                );
            } else {
                assert!(
                    luminance > 0.6,
                    "light mode chart on a dark background ({luminance:.2})"
                );
            }
        }

        // The text of the insights and ledger pages: `incident_ledger_and_insights_pages_in_light_and_dark`.
        tab.close(false).ok();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const CHARTS_JS: &str = r#"(() => {
    const rgb = s => (s.match(/[\d.]+/g) || []).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => {
        const c = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
    };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const page = rgb(getComputedStyle(document.body).backgroundColor);
    return [...document.querySelectorAll('svg.chart')].filter(svg => svg.checkVisibility()).map(svg => {
        const box = svg.getBoundingClientRect();
        const labels = [...svg.querySelectorAll('text.tick')].map(t => t.getBoundingClientRect().height);
        const fills = new Set([...svg.querySelectorAll('rect')].map(r => getComputedStyle(r).fill));
        const section = svg.closest('section');
        return {
            title: svg.querySelector('title').textContent,
            role: svg.getAttribute('role'),
            width: box.width,
            height: box.height,
            bars: svg.querySelectorAll('rect').length,
            table: !!(section && section.querySelector('table caption')),
            worstBarContrast: Math.min(...[...fills].map(f => ratio(rgb(f), page))),
            smallestLabel: Math.min(...labels),
            overflows: box.right > innerWidth + 1,
        };
    });
})()"#;

/// A PNG of what the viewport shows.
fn screenshot_viewport(tab: &Tab) -> Vec<u8> {
    use headless_chrome::protocol::cdp::Page;
    tab.capture_screenshot(Page::CaptureScreenshotFormatOption::Png, None, None, true)
        .expect("screenshot of the viewport")
}

/// How many distinct colours a PNG has, and its mean relative luminance (0 black, 1 white).
fn png_colours(bytes: &[u8]) -> (usize, f64) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buffer = vec![0; reader.output_buffer_size().expect("PNG size")];
    let info = reader.next_frame(&mut buffer).expect("PNG frame");
    let channels = info.color_type.samples();
    assert!(channels >= 3, "colour PNG expected");
    let pixels = &buffer[..info.buffer_size()];
    let mut colours = std::collections::BTreeSet::new();
    let mut total = 0.0;
    let mut count = 0usize;
    for px in pixels.chunks_exact(channels) {
        colours.insert((px[0], px[1], px[2]));
        total += (0.2126 * px[0] as f64 + 0.7152 * px[1] as f64 + 0.0722 * px[2] as f64) / 255.0;
        count += 1;
    }
    (colours.len(), total / count.max(1) as f64)
}

/// Sets the viewport: a phone (390 px, touch, 3x pixels) or a laptop (1280 px).
fn set_viewport(tab: &Tab, width: u32, height: u32) {
    let mobile = width < 600;
    tab.call_method(Emulation::SetDeviceMetricsOverride {
        width,
        height,
        device_scale_factor: if mobile { 3.0 } else { 1.0 },
        mobile,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })
    .unwrap();
}

/// The pages a reader meets first, and those with the widest tables.
const LAYOUT_PAGES: [&str; 9] = [
    "/",
    "/incidents/",
    CLEANUP_INCIDENT,
    "/insights/",
    "/action-items/",
    "/action-items/done/",
    "/action-items/owners/maya-patel/",
    "/services/checkout-api/",
    "/404.html",
];

/// Elements past the right edge of the screen that do not just fill a parent that is, and
/// tables in main wider than their box (which scroll sideways or overflow).
const WIDTH_JS: &str = "(() => {
    const d = document.documentElement, w = innerWidth;
    const scrolls = el => {
        for (let p = el.parentElement; p && p !== document.body && p !== d; p = p.parentElement) {
            const o = getComputedStyle(p).overflowX;
            if (o !== 'visible' && o !== 'clip') return true;
        }
        return false;
    };
    const name = el => el.tagName.toLowerCase() + [...el.classList].map(c => '.' + c).join('')
        + ' (' + Math.round(el.getBoundingClientRect().width) + 'px wide, right edge at '
        + Math.round(el.getBoundingClientRect().right) + ')';
    const wide = [...document.body.querySelectorAll('*')].filter(el => {
        const r = el.getBoundingClientRect(), p = el.parentElement.getBoundingClientRect();
        return r.right > w + 1 && (r.width - p.width > 1 || r.right - p.right > 1 || p.width <= w + 1)
            && !scrolls(el);
    }).slice(0, 6).map(name);
    const main = document.querySelector('main').getBoundingClientRect();
    const tables = [...document.querySelectorAll('main table')].filter(t => {
        if (!t.checkVisibility()) return false;
        const r = t.getBoundingClientRect();
        return t.scrollWidth > t.clientWidth + 1 || r.right > main.right + 1
            || (t.parentElement.scrollWidth > t.parentElement.clientWidth + 1 && scrolls(t));
    }).map(t => (t.caption ? t.caption.textContent.trim() + ': ' : '') + name(t));
    return { innerWidth: w, scrollWidth: d.scrollWidth, wide, tables }; })()";

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn no_page_scrolls_sideways_on_a_phone_or_a_laptop() {
    let browser = browser();
    let (_site, server) = serve_example();
    let tab = new_tab(&browser);
    let mut problems = Vec::new();
    for (width, height) in [(390, 844), (1280, 800)] {
        set_viewport(&tab, width, height);
        for page in LAYOUT_PAGES {
            open(&tab, &server.url(page));
            let m = eval(&tab, WIDTH_JS);
            let inner = m["innerWidth"].as_f64().unwrap_or(0.0);
            let scroll = m["scrollWidth"].as_f64().unwrap_or(f64::MAX);
            // A mobile browser widens the layout viewport to fit content that is too wide (or
            // that has no viewport meta tag), so innerWidth must stay the screen's width.
            if inner != width as f64 || scroll > inner + 1.0 {
                problems.push(format!(
                    "{width} px {page}: innerWidth {inner}, scrollWidth {scroll}; too wide: {}",
                    m["wide"]
                ));
            }
            // On a laptop, no table in the main column needs a sideways scroll.
            if width == 1280 && m["tables"].as_array().is_some_and(|t| !t.is_empty()) {
                problems.push(format!(
                    "{width} px {page}: tables wider than their column: {}",
                    m["tables"]
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// At 390 px a table of action items is a stack of cards: each row a box as wide as the
/// column, each value labelled with its column's heading; ticket ids are never broken.
/// Also on a site paged every two items, whose ledger lists are by postmortem (a row
/// naming each postmortem above its items, and no Postmortem column).
#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn action_item_tables_become_cards_on_a_phone() {
    let browser = browser();
    let (_site, server) = serve_example();
    let paged = Site::copy_of(&example_dir());
    let config = paged
        .read("pmsite.toml")
        .replace("paginate_by = 50", "paginate_by = 2");
    paged.write("pmsite.toml", &config);
    paged.build().success();
    let paged_server = Server::start(paged.path().join("public"));
    let tab = new_tab(&browser);
    set_viewport(&tab, 390, 844);
    for (server, page, by_postmortem) in [
        (&server, CLEANUP_INCIDENT, false),
        (&server, "/action-items/", false),
        (&paged_server, "/action-items/", true),
    ] {
        open(&tab, &server.url(page));
        let cards = eval(
            &tab,
            "(() => [...document.querySelectorAll('main table.fit tbody tr')].map(tr => {
                    const r = tr.getBoundingClientRect();
                    const headings = [...tr.closest('table').querySelectorAll('thead th')].map(th => th.textContent.trim());
                    const labels = [...tr.querySelectorAll('td')].map(td =>
                        [getComputedStyle(td, '::before').content, headings[td.cellIndex]]);
                    const ids = [...tr.querySelectorAll('.id, .ledger-table td:not(.wide) > a, td:last-child')].map(e => e.getClientRects().length);
                    return { display: getComputedStyle(tr).display, width: r.width, labels, ids,
                             by_postmortem: tr.closest('table').classList.contains('by-postmortem') }; }))()",
        );
        let cards = cards.as_array().expect("rows");
        assert!(!cards.is_empty(), "{page}: no action-item rows");
        assert_eq!(
            cards.iter().any(|card| card["by_postmortem"] == true),
            by_postmortem,
            "{page}: a list by postmortem or not"
        );
        for card in cards {
            assert_ne!(
                card["display"], "table-row",
                "{page}: a row is still a table row: {card}"
            );
            assert!(
                card["width"].as_f64().unwrap_or(0.0) > 300.0,
                "{page}: a narrow card: {card}"
            );
            for pair in card["labels"].as_array().unwrap() {
                let (label, heading) = (
                    pair[0].as_str().unwrap_or_default(),
                    pair[1].as_str().unwrap_or_default(),
                );
                assert!(
                    !heading.is_empty() && label.contains(&format!("{heading}: ")),
                    "{page}: a value labelled {label:?} in the column {heading:?}: {card}"
                );
            }
            for lines in card["ids"].as_array().unwrap() {
                assert_eq!(lines, 1, "{page}: an id broken over lines: {card}");
            }
        }
    }
}

/// The topic of a section heading, so that "Impact at a glance" and "Impact" count as one.
const TOPICS_JS: &str = "(() => {
    const topic = t => {
        t = t.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
        for (const [key, re] of [['impact', /impact/], ['timeline', /timeline|sequence of events|chronology/],
                ['contributing factors', /contributing/], ['action items', /action item|follow ups?|remediation/],
                ['root cause', /^root cause/], ['lessons', /lesson|takeaway/], ['summary', /summary|tl dr/],
                ['connected incidents', /connected|related|similar|referenced|recurrence/]]) {
            if (re.test(t)) return key;
        }
        return t;
    };
    const main = document.querySelector('main');
    const headings = [...main.querySelectorAll('h2, h3')].filter(h => !h.closest('nav'));
    const sections = headings.filter(h => h.tagName === 'H2').map(h => h.textContent.trim());
    // Connected incidents are one section: no heading about them outside it.
    const strays = headings.filter(h => topic(h.textContent) === 'connected incidents' && !h.closest('#pm-related')
        && h.tagName === 'H3').map(h => h.textContent.trim());
    const seen = {}, twice = [];
    for (const s of sections) { const k = topic(s); if (seen[k]) twice.push(seen[k] + ' / ' + s); else seen[k] = s; }
    const here = location.pathname;
    const links = {};
    for (const a of main.querySelectorAll('a[href]')) {
        const p = new URL(a.href).pathname.replace(/index\\.html$/, '');
        if (/^\\/incidents\\/[^/]+\\/$/.test(p) && p !== here) links[p] = (links[p] || 0) + 1;
    }
    const often = Object.entries(links).filter(([, n]) => n > 2).map(([p, n]) => p + ' ' + n + ' times');
    return { sections, twice, strays, often, height: document.documentElement.scrollHeight }; })()";

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn incident_pages_say_each_thing_once() {
    let browser = browser();
    let (site, server) = serve_example();
    let tab = new_tab(&browser);
    let mut pages: Vec<String> = std::fs::read_dir(site.path().join("public/incidents"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("index.html").is_file() && p.file_name().is_some_and(|n| n != "page"))
        .map(|p| format!("/incidents/{}/", p.file_name().unwrap().to_string_lossy()))
        .collect();
    pages.sort();
    assert!(pages.len() >= 15, "incident pages: {pages:?}");
    let mut problems = Vec::new();
    for (width, height) in [(1280, 800), (390, 844)] {
        set_viewport(&tab, width, height);
        for page in &pages {
            open(&tab, &server.url(page));
            let report = eval(&tab, TOPICS_JS);
            if width == 1280 {
                for (what, key) in [
                    ("sections on the same topic", "twice"),
                    (
                        "connected-incident headings outside Connected incidents",
                        "strays",
                    ),
                    ("incidents linked more than twice", "often"),
                ] {
                    if report[key].as_array().is_some_and(|a| !a.is_empty()) {
                        problems.push(format!("{page}: {what}: {}", report[key]));
                    }
                }
            }
            if page == CLEANUP_INCIDENT {
                // The SEV1 page was 9,444 px tall at 1280 and 16,774 px at 390.
                eprintln!("{page} at {width} px: {} px tall", report["height"]);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The structured blocks sit in the body's sections of the same name, and the ledger's
    // links to #pm-action-items still land on the action items.
    set_viewport(&tab, 1280, 800);
    open(&tab, &server.url(CLEANUP_INCIDENT));
    let placed = eval(
        &tab,
        "['pm-impact', 'pm-timeline', 'pm-factors', 'pm-action-items'].map(id => {
            const el = document.getElementById(id);
            if (!el) return id + ': missing';
            let h = el.previousElementSibling;
            while (h && h.tagName !== 'H2') h = h.previousElementSibling;
            return id + ': ' + (h ? h.textContent.trim() : 'no heading'); })",
    );
    assert_eq!(
        placed,
        json!([
            "pm-impact: Impact",
            "pm-timeline: Timeline",
            "pm-factors: Contributing factors",
            "pm-action-items: Action items"
        ])
    );
}

/// No page asks for a file that is not there: the favicon it links, its stylesheet, scripts.
#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn no_page_requests_a_missing_file() {
    let browser = browser();
    let (_site, server) = serve_example();
    let tab = new_tab(&browser);
    for page in LAYOUT_PAGES.iter().filter(|p| **p != "/404.html") {
        open(&tab, &server.url(page));
        // The icon the page links to, loaded as the browser would.
        let icon = eval(
            &tab,
            "(() => { const l = document.querySelector('link[rel=icon]'); if (!l) return 'no icon link';
                const x = new XMLHttpRequest(); x.open('GET', l.href, false); x.send();
                return x.status + ' ' + (x.getResponseHeader('Content-Type') || ''); })()",
        );
        assert_eq!(icon, json!("200 image/svg+xml"), "{page}: the favicon");
    }
    let missing = server.not_found();
    assert!(missing.is_empty(), "requests answered 404: {missing:?}");
}

/// Screenshots of the incident, ledger and insights pages as a reader first sees them, in
/// light and dark: not blank, on the scheme's background, text with AA contrast. The PNGs
/// are kept under the test target's tmp folder (`screenshots/`) for a person to look at.
#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn incident_ledger_and_insights_pages_in_light_and_dark() {
    let browser = browser();
    let (_site, server) = serve_example();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut failures = Vec::new();
    for scheme in ["light", "dark"] {
        let tab = tab_in_scheme(&browser, scheme);
        for (width, height) in [(1280, 900), (390, 844)] {
            set_viewport(&tab, width, height);
            for (name, page) in [
                ("incident", CLEANUP_INCIDENT),
                ("action-items", "/action-items/"),
                ("insights", "/insights/"),
            ] {
                open(&tab, &server.url(page));
                let png = screenshot_viewport(&tab);
                std::fs::write(shots.join(format!("{name}-{width}-{scheme}.png")), &png).unwrap();
                let (distinct, luminance) = png_colours(&png);
                if distinct < 16 {
                    failures.push(format!(
                        "{scheme} {width} px {page}: looks blank ({distinct} colours)"
                    ));
                }
                let on_scheme = if scheme == "dark" {
                    luminance < 0.3
                } else {
                    luminance > 0.6
                };
                if !on_scheme {
                    failures.push(format!(
                        "{scheme} {width} px {page}: mean luminance {luminance:.2}"
                    ));
                }
                let report = eval(&tab, CONTRAST_JS);
                for f in report["failures"].as_array().expect("failures") {
                    failures.push(format!(
                        "{scheme} {width} px {page}: {:.2} < {} {} {:?}",
                        f["ratio"].as_f64().unwrap_or(0.0),
                        f["need"],
                        f["element"].as_str().unwrap_or_default(),
                        f["text"].as_str().unwrap_or_default(),
                    ));
                }
            }
        }
        tab.close(false).ok();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn print_stylesheet_hides_navigation() {
    let browser = browser();
    let (_site, server) = serve_example();
    let tab = new_tab(&browser);
    emulate_media(&tab, "print", &[]);
    for page in ["/", CLEANUP_INCIDENT, "/insights/"] {
        open(&tab, &server.url(page));
        assert_eq!(
            eval(&tab, "matchMedia('print').matches"),
            json!(true),
            "could not emulate print"
        );
        let shown = |selector: &str| {
            let js = format!(
                "(() => {{ const el = document.querySelector({selector:?});
                          if (!el) return null;
                          const r = el.getBoundingClientRect();
                          return el.checkVisibility({{ visibilityProperty: true }}) && r.width > 0 && r.height > 0; }})()"
            );
            eval(&tab, &js)
        };
        assert_eq!(
            shown("header nav[aria-label=Main]"),
            json!(false),
            "{page}: print shows the main navigation"
        );
        assert_eq!(
            shown("main#main"),
            json!(true),
            "{page}: print hides the main content"
        );
        assert_eq!(
            shown("main#main h1"),
            json!(true),
            "{page}: print hides the page heading"
        );
        if page == "/insights/" {
            assert_eq!(shown("svg.chart"), json!(true), "print hides the charts");
            assert_eq!(
                shown(".chart-table table"),
                json!(true),
                "print hides the chart tables"
            );
            assert_eq!(
                eval(
                    &tab,
                    "getComputedStyle(document.querySelector('svg.chart')).printColorAdjust"
                ),
                json!("exact"),
                "print drops the bar colours"
            );
        }
    }
}

// ---------- The search page ----------

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn search_page_finds_highlights_filters_and_links_to_the_section_over_http() {
    let browser = browser();
    // The example site plus one postmortem whose title and summary hold HTML, which the page
    // must show as text.
    let site = Site::copy_of(&example_dir());
    site.write(
        "postmortems/2025/2025-03-01-markup-in-the-title.md",
        HOSTILE_POSTMORTEM,
    );
    site.build();
    let server = Server::start(site.path().join("public"));
    let tab = new_tab(&browser);
    open_search(&tab, &server.url("/search/"));
    // The empty query lists everything first; typing replaces it.
    wait_for(
        &tab,
        "the search page to list every incident",
        "/^\\d+ incidents/.test(document.getElementById('pm-status').textContent)",
    );

    let query = "expired certificate";
    // Real key presses, a key down and a key up per character. (headless_chrome takes about
    // 0.1 s a DevTools call, so typing is most of this test's time.)
    click(&tab, "#pm-q");
    tab.type_str(query).expect("type into #pm-q");
    let expected = cli_search(&site, query, &[], "relevance");
    assert!(
        hit_ids(&expected).contains(&"2025-03-01-markup-in-the-title".to_string()),
        "the postmortem with markup should match {query:?}: {:?}",
        hit_ids(&expected)
    );
    let results = wait_for_results(&tab, query, &expected);
    let hits = expected["hits"].as_array().unwrap();
    for (shown, hit) in results.iter().zip(hits) {
        let id = hit["id"].as_str().unwrap();
        assert_eq!(shown["title"], hit["title"], "{id}: title text");
        assert_eq!(shown["summary"], hit["summary"], "{id}: summary text");
        assert_eq!(shown["severity"], hit["severity"], "{id}: severity");
        assert_eq!(shown["date"], hit["date"], "{id}: date");
        let marks = shown["marks"].as_array().unwrap();
        assert!(!marks.is_empty(), "{id}: no <mark> in the result: {shown}");
        for mark in marks {
            let word = mark.as_str().unwrap_or_default().to_lowercase();
            assert!(
                word.starts_with("expir") || word.starts_with("certif"),
                "{id}: <mark> around {mark}, not a query word"
            );
        }
    }
    // Markup from the content is text: no element but the page's own, and nothing ran.
    let page = eval(
        &tab,
        "(() => {
            const allowed = new Set(['LI', 'DIV', 'SPAN', 'TIME', 'H2', 'A', 'MARK', 'P']);
            const odd = [...document.querySelectorAll('#pm-results *')]
                .filter(e => !allowed.has(e.tagName)).map(e => e.outerHTML.slice(0, 80));
            return { odd, ran: window.__pwned === undefined ? null : window.__pwned,
                     q: document.getElementById('pm-q').value, search: location.search }; })()",
    );
    assert_eq!(
        (&page["odd"], &page["ran"]),
        (&json!([]), &Value::Null),
        "HTML from a postmortem's title or summary became markup in the results"
    );
    assert_eq!(
        page["q"],
        json!(query),
        "the search box does not hold what was typed"
    );
    assert_eq!(
        page["search"],
        json!("?q=expired+certificate"),
        "the query is not in the address"
    );
    // Filters start closed, their files not loaded: opening one loads its counts.
    let closed = eval(
        &tab,
        "(() => ({ open: document.querySelectorAll('#pm-facets details[open]').length,
                   loaded: performance.getEntriesByType('resource').filter(r => r.name.includes('/search/f/')).length }))()",
    );
    assert_eq!(
        closed,
        json!({ "open": 0, "loaded": 0 }),
        "the filters should start closed, with no facet file loaded"
    );
    for kind in ["severity", "year", "root_cause"] {
        click(&tab, &format!("#pm-facets details[data-kind={kind}] > summary"));
        wait_for(
            &tab,
            &format!("the {kind} filter to open and show its values"),
            &format!(
                "document.querySelector('#pm-facets details[open][data-kind={kind}] input[data-value]') !== null"
            ),
        );
    }
    check_facet_counts(&tab, &site, query, &[]);

    // Filter by severity: the results shrink to the SEV3 incident(s).
    let sev3 = facet_checkbox(&tab, "severity", "SEV3");
    click(&tab, &format!("#{sev3}"));
    let filtered = cli_search(&site, query, &[("severity", "SEV3")], "relevance");
    assert_eq!(
        hit_ids(&filtered),
        ["2021-09-30-webhook-root-ca-expiry"],
        "the example site changed: pick another facet"
    );
    let results = wait_for_results(&tab, &format!("{query} with severity SEV3"), &filtered);
    let state = eval(
        &tab,
        &format!("({{ search: location.search, checked: document.getElementById({sev3:?}).checked }})"),
    );
    assert_eq!(
        state["search"],
        json!("?q=expired+certificate&severity=SEV3"),
        "the severity filter is not in the address"
    );
    assert_eq!(
        state["checked"],
        json!(true),
        "the SEV3 box is not checked after the results re-rendered"
    );
    // Focus stays on the box just ticked, though the facets were re-rendered.
    wait_for(
        &tab,
        "focus to come back to the SEV3 checkbox",
        &format!("document.activeElement && document.activeElement.id === {sev3:?}"),
    );
    check_facet_counts(&tab, &site, query, &[("severity", "SEV3")]);

    // A result leads to the incident page, which marks the query's words and moves to the
    // section holding most of them.
    let first = &results[0];
    let page = format!("/incidents/{}/", first["id"].as_str().unwrap());
    click(&tab, "#pm-results > li > h2 a");
    wait_for(
        &tab,
        &format!("{page} to load and move to a section after clicking the first result"),
        &format!(
            "location.pathname === {page:?} && document.readyState === 'complete' && location.hash.length > 1"
        ),
    );
    let target = eval(
        &tab,
        "(() => {
            const id = decodeURIComponent(location.hash.slice(1));
            const el = id && document.getElementById(id);
            if (!el) return { hash: location.hash, found: false };
            const heading = /^H[1-6]$/.test(el.tagName) ? el : el.querySelector('h2, h3, h4');
            // The section: the heading and what follows it up to the next heading of its level.
            let text = heading.textContent;
            const marks = [];
            for (let n = heading.nextElementSibling; n && !(/^H[1-6]$/.test(n.tagName) && n.tagName <= heading.tagName); n = n.nextElementSibling) {
                text += ' ' + n.textContent;
                marks.push(...[...n.querySelectorAll('mark')].map(m => m.textContent.toLowerCase()));
            }
            const rect = heading.getBoundingClientRect();
            return { hash: location.hash, found: true, target: document.querySelector(':target') === el,
                     heading: heading.textContent.trim(), text: text.toLowerCase(), marks,
                     onScreen: rect.top >= 0 && rect.top < innerHeight,
                     pageMarks: document.querySelectorAll('main mark').length }; })()",
    );
    assert_eq!(
        target["found"],
        json!(true),
        "the result landed on {page}{}, which has no such id",
        target["hash"]
    );
    assert_eq!(
        target["target"],
        json!(true),
        "the section is not the page's :target: {target}"
    );
    assert_eq!(
        target["onScreen"],
        json!(true),
        "the section's heading is not on screen: {target}"
    );
    let text = target["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("expir") && text.contains("certif"),
        "the section the result landed on ({}) does not hold both query words",
        target["hash"]
    );
    let marks = target["marks"].as_array().unwrap();
    assert!(
        !marks.is_empty()
            && marks.iter().all(|m| {
                let m = m.as_str().unwrap_or_default();
                m.starts_with("expir") || m.starts_with("certif")
            }),
        "the section's query words are not marked, or other words are: {target}"
    );
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn search_page_works_from_file_urls() {
    let browser = browser();
    let (site, public) = built_example();
    let tab = new_tab(&browser);
    let page = public.join("search/index.html");
    let url = format!("{}?q=migration", file_url(&page));
    open_search(&tab, &url);
    let expected = cli_search(&site, "migration", &[], "relevance");
    let results = wait_for_results(&tab, "migration (from file://)", &expected);
    let href = results[0]["href"].as_str().expect("first result href");
    assert!(
        href.starts_with("file:///"),
        "the first result links to {href}, off the file system"
    );
    let path = percent_decode(
        href.trim_start_matches("file://")
            .split(['#', '?'])
            .next()
            .unwrap(),
    );
    // A folder (which file:// shows as a listing) or its index.html: either way, the page.
    let target = match path.strip_suffix('/') {
        Some(folder) => Path::new(folder).join("index.html"),
        None => PathBuf::from(&path),
    };
    let id = &hit_ids(&expected)[0];
    assert_eq!(
        target,
        public.join("incidents").join(id).join("index.html"),
        "the first result links to {href}, not to the page of {id}"
    );
    assert!(
        target.is_file(),
        "the first result links to {href}, which does not exist"
    );
    // The incident page, from the file system too, marks the words and moves to a section.
    click(&tab, "#pm-results > li > h2 a");
    wait_for(
        &tab,
        "the first result's page to open at a section, with the word marked (from file://)",
        "location.protocol === 'file:' && location.pathname.includes('/incidents/') && location.hash.length > 1 \
         && [...document.querySelectorAll('main mark')].some(m => m.textContent.toLowerCase().startsWith('migrat'))",
    );
    // An exact phrase loads the positions files, by <script> too.
    open_search(&tab, &format!("{}?q=%22the%20migration%22", file_url(&page)));
    let phrase = cli_search(&site, "\"the migration\"", &[], "relevance");
    let words = cli_search(&site, "the migration", &[], "relevance");
    assert_ne!(
        hit_ids(&phrase),
        hit_ids(&words),
        "pick a phrase that ranks unlike its words"
    );
    wait_for_results(&tab, "\"the migration\" (from file://)", &phrase);

    // The search page's own scripts came from the file system too: the relative index path.
    let src = eval(
        &tab,
        "[...document.scripts].map(s => s.src).filter(s => s.includes('/search/'))",
    );
    assert!(
        src.as_array().is_some_and(|s| !s.is_empty()
            && s.iter()
                .all(|s| s.as_str().unwrap_or_default().starts_with("file:///"))),
        "index scripts: {src}"
    );
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn search_state_lives_in_the_url() {
    let browser = browser();
    let (site, server) = serve_example();
    let tab = new_tab(&browser);

    let url = server.url("/search/?q=migration&severity=SEV1");
    open_search(&tab, &url);
    let expected = cli_search(&site, "migration", &[("severity", "SEV1")], "relevance");
    assert_eq!(
        hit_ids(&expected),
        [
            "2020-08-04-orders-schema-migration-table-lock",
            "2024-03-08-checkout-cleanup-script"
        ],
        "the example site changed"
    );
    wait_for_results(&tab, "migration with severity SEV1, from the URL", &expected);
    let state = eval(
        &tab,
        "(() => ({ q: document.getElementById('pm-q').value,
                           sort: document.getElementById('pm-sort').value,
                           checked: [...document.querySelectorAll('#pm-facets input:checked')]
                               .map(i => i.dataset.kind + '=' + document.querySelector(`label[for=\"${i.id}\"]`).firstChild.textContent.trim()),
                           search: location.search }))()",
    );
    assert_eq!(
        state,
        json!({ "q": "migration", "sort": "relevance", "checked": ["severity=SEV1"],
                "search": "?q=migration&severity=SEV1" }),
        "the page does not show the state its URL holds"
    );

    // The order, too.
    open_search(&tab, &server.url("/search/?q=migration&sort=date"));
    let by_date = cli_search(&site, "migration", &[], "date");
    wait_for_results(&tab, "migration, newest first, from the URL", &by_date);
    assert_eq!(
        eval(
            &tab,
            "[document.getElementById('pm-sort').value, location.search]"
        ),
        json!(["date", "?q=migration&sort=date"]),
        "the order from the URL: the menu, or the address after the page rewrote it"
    );
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn keyboard_users_can_search() {
    let browser = browser();
    let (site, server) = serve_example();
    let tab = new_tab(&browser);
    tab.call_method(Emulation::SetFocusEmulationEnabled { enabled: true })
        .unwrap();
    open_search(&tab, &server.url("/search/"));
    wait_for(
        &tab,
        "the search page to list every incident",
        "/^\\d+ incidents/.test(document.getElementById('pm-status').textContent)",
    );
    assert_ne!(
        eval(&tab, "document.activeElement.id"),
        json!("pm-q"),
        "the box has focus before / is pressed"
    );

    tab.press_key("/").unwrap();
    wait_for(
        &tab,
        "/ to focus the search box",
        "document.activeElement === document.getElementById('pm-q')",
    );
    assert_eq!(
        eval(&tab, "document.getElementById('pm-q').value"),
        json!(""),
        "the / that focused the box was typed into it"
    );
    let query = "tls";
    tab.type_str(query).unwrap();
    let expected = cli_search(&site, query, &[], "relevance");
    wait_for_results(&tab, query, &expected);
    let links = eval(&tab, "document.querySelectorAll('#pm-results a').length");
    assert!(
        links.as_u64().is_some_and(|n| n >= 2),
        "{query} should give at least two result links, gives {links}"
    );

    let focused = |i: i32| {
        if i < 0 {
            "document.activeElement === document.getElementById('pm-q')".to_string()
        } else {
            format!("document.activeElement === document.querySelectorAll('#pm-results a')[{i}]")
        }
    };
    // The result links in page order: one title link per result.
    let describe = "(() => { const a = document.activeElement;
                            return a ? a.outerHTML.slice(0, 120) : null; })()";
    for (key, to, what) in [
        ("ArrowDown", 0, "the first result link"),
        ("ArrowDown", 1, "the second result link"),
        ("ArrowUp", 0, "the first result link"),
        ("ArrowUp", -1, "the search box"),
    ] {
        tab.press_key(key).unwrap();
        if !poll(&tab, &focused(to), Duration::from_secs(2)) {
            panic!(
                "{key} did not move focus to {what}; focus is on {}",
                eval(&tab, describe)
            );
        }
    }
    // Arrows moved focus only: the query is as typed, and the page is the same.
    assert_eq!(
        eval(&tab, "[document.getElementById('pm-q').value, location.pathname]"),
        json!([query, "/search/"])
    );
}

/// Types `query` into the header search box of the page open in `tab`, presses Enter, and
/// checks the search page shows what `pmsite search` finds for it.
#[track_caller]
fn search_from_the_header_box(tab: &Tab, site: &Site, query: &str, what: &str) {
    tab.find_element("#site-search-q")
        .expect("#site-search-q")
        .type_into(query)
        .expect("type into #site-search-q");
    tab.press_key("Enter").unwrap();
    wait_for(
        tab,
        &format!("Enter in the header search box to open the search page's index.html ({what})"),
        "location.pathname.endsWith('/search/index.html') && !!document.getElementById('pm-search')",
    );
    let expected = cli_search(site, query, &[], "relevance");
    wait_for_results(tab, &format!("{query}, from the header box ({what})"), &expected);
    assert_eq!(eval(tab, "document.getElementById('pm-q').value"), json!(query));
    // The search page has one search box: its own.
    assert_eq!(
        eval(
            tab,
            "[document.querySelectorAll('input[type=search]').length, !!document.getElementById('site-search-q')]"
        ),
        json!([1, false]),
        "the search page shows a second search box"
    );
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn the_search_box_on_every_page_leads_to_results() {
    let browser = browser();
    let (site, server) = serve_example();
    let tab = new_tab(&browser);
    open(&tab, &server.url("/"));
    // A word being typed ("migr") and a word with a typo, submitted: the same results as
    // typed into the search page, and as `pmsite search`.
    search_from_the_header_box(&tab, &site, "migr lokc", "http");
    let notes = cli_notes(&site, "migr lokc");
    assert!(!notes.is_empty(), "pick a query that needs a prefix and a typo");
    let status = eval(&tab, "document.getElementById('pm-status').textContent");
    assert!(
        status.as_str().is_some_and(|s| s.ends_with(&notes)),
        "the page says {status}, pmsite search says {notes:?}"
    );
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn the_search_box_works_from_file_urls() {
    let browser = browser();
    let (site, public) = built_example();
    let tab = new_tab(&browser);
    open(
        &tab,
        &file_url(&public.join("incidents/2024-03-08-checkout-cleanup-script/index.html")),
    );
    search_from_the_header_box(&tab, &site, "certif expiry", "file://");
    assert_eq!(eval(&tab, "location.protocol"), json!("file:"));
}

/// The example site, built, and its output folder: to open from file://.
fn built_example() -> (Site, PathBuf) {
    let site = Site::copy_of(&example_dir());
    site.build();
    let public = site.path().join("public");
    (site, public)
}

/// What `pmsite search` says about the query's words, the line above its results.
fn cli_notes(site: &Site, query: &str) -> String {
    let out = site.pmsite(&["search", query]).success().stdout;
    out.lines()
        .next()
        .filter(|l| !l.contains("incidents match"))
        .unwrap_or_default()
        .to_string()
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn search_status_line_reads_as_a_sentence() {
    let browser = browser();
    let (site, server) = serve_example();
    let tab = new_tab(&browser);
    let status = "document.getElementById('pm-status').textContent";

    open_search(&tab, &server.url("/search/?q=expired+certificate&severity=SEV3"));
    let one = cli_search(&site, "expired certificate", &[("severity", "SEV3")], "relevance");
    wait_for_results(&tab, "expired certificate with severity SEV3", &one);
    let text = eval(&tab, status);
    assert!(
        text.as_str().is_some_and(|t| t.starts_with("1 incident ")),
        "one result: the status says {text}"
    );

    // A misspelt word is corrected; the note is a sentence of its own, pmsite search's.
    open_search(&tab, &server.url("/search/?q=certficate"));
    let corrected = cli_search(&site, "certficate", &[], "relevance");
    wait_for_results(&tab, "certficate, corrected to certificate", &corrected);
    let text = eval(&tab, status);
    let text = text.as_str().unwrap_or_default();
    let (count, note) = text
        .split_once("Showing results for")
        .unwrap_or_else(|| panic!("no correction note in the status {text:?}"));
    assert!(
        count.trim_end().ends_with(['.', ';', ':', '—']),
        "the count and the correction run together: {text:?}"
    );
    assert!(note.contains("certificate"), "the correction note: {text:?}");
    assert!(
        text.ends_with(&cli_notes(&site, "certficate")),
        "the page says {text:?}, pmsite search says {:?}",
        cli_notes(&site, "certficate")
    );
}

#[test]
#[ignore = "needs Chromium (apt-get install chromium, or CHROMIUM=path): cargo test -- --include-ignored"]
fn similar_incidents_links_resolve() {
    let browser = browser();
    let (site, server) = serve_example();
    let tab = new_tab(&browser);
    let page = server.url(CLEANUP_INCIDENT);
    open(&tab, &page);
    // Similar incidents are among the connected ones, each saying why: a chain entry after
    // its date, the others in the <dt> above their run.
    let items = eval(
        &tab,
        "[...document.querySelectorAll('#pm-related li, #pm-related dd')].map(entry => {
            const a = entry.querySelector('a');
            let why = (entry.querySelector('.muted') || entry).textContent.split(' · ').pop();
            if (entry.tagName === 'DD') {
                let dt = entry.previousElementSibling;
                while (dt.tagName !== 'DT') dt = dt.previousElementSibling;
                why = dt.textContent;
            }
            return { href: a && a.href, title: a && a.textContent.trim(),
                     why: why.replace(/\\s+/g, ' ').trim().split('; ').find(w => w.startsWith('similar')) }; })
            .filter(i => i.why)",
    );
    let items = items.as_array().expect("list").clone();
    assert!(
        (1..=5).contains(&items.len()),
        "{CLEANUP_INCIDENT}: {} similar incidents, expected 1 to 5",
        items.len()
    );
    let terms_js = "[...document.querySelectorAll('a[href]')]
        .map(a => new URL(a.href).pathname)
        .filter(p => /^\\/(services|teams|tags|root-causes)\\/[^/]+\\/$/.test(p))
        .map(p => decodeURIComponent(p.split('/')[2]))";
    let own_terms = eval(&tab, terms_js);
    let mut seen = Vec::new();
    for item in &items {
        let href = item["href"].as_str().expect("similar link href").to_string();
        let path = href
            .strip_prefix(&server.url(""))
            .unwrap_or_else(|| panic!("similar link {href} leaves the site"))
            .to_string();
        assert!(
            path.starts_with("/incidents/") && path.ends_with('/') && path != CLEANUP_INCIDENT,
            "similar link {href}: not another incident page"
        );
        assert!(!seen.contains(&path), "{path} is listed twice");
        seen.push(path.clone());
        assert!(
            site.path()
                .join("public")
                .join(path.trim_start_matches('/'))
                .join("index.html")
                .is_file(),
            "similar link {href}: no such page"
        );
        let why = item["why"].as_str().unwrap_or_default();
        let reason = why.strip_prefix("similar: ").unwrap_or(why);
        assert!(
            reason == "similar wording" || reason.starts_with("shares "),
            "similar link {href} does not say why: {why:?}"
        );

        // Go there: the page is that incident, and what it "shares" it does share.
        open(&tab, &href);
        let there = eval(
            &tab,
            &format!("({{ h1: document.querySelector('h1').textContent.trim(), terms: {terms_js} }})"),
        );
        assert_eq!(
            there["h1"], item["title"],
            "{path}: the heading is not the similar link's text"
        );
        if let Some(shared) = reason.strip_prefix("shares ") {
            for term in shared.split(", ") {
                for (terms, whose) in [(&own_terms, CLEANUP_INCIDENT), (&there["terms"], path.as_str())] {
                    assert!(
                        terms.as_array().unwrap().iter().any(|t| t == term),
                        "\"shares {term}\", but {whose} does not link to {term}"
                    );
                }
            }
        }
    }
}

/// A postmortem whose title and summary hold markup (and match "expired certificate").
const HOSTILE_POSTMORTEM: &str = r#"+++
title = "Expired <b>certificate</b> & <img src=x onerror=\"window.__pwned=1\"> \"quoted\""
severity = "SEV4"
started_at = 2025-03-01T10:00:00Z
summary = "A certificate expired <script>window.__pwned=2</script> & nobody noticed <i>it</i> <img src=x onerror='window.__pwned=3'>."
authors = ["ravi.iyer"]
owner = "ravi.iyer"
services = ["notifications"]
teams = ["platform"]
root_causes = ["expired-certificate"]
+++
## What happened

The expired certificate was renewed <em>late</em>.
"#;

/// The rendered results: the incident id (from the title link), title, summary, severity and
/// date as shown, and the highlighted words.
const RESULTS_JS: &str = "[...document.querySelectorAll('#pm-results > li')].map(li => {
    const a = li.querySelector(':scope > h2 a');
    const text = sel => { const e = li.querySelector(sel); return e ? e.textContent : null; };
    // The id is the folder after incidents/ (the link may end in index.html, from file://).
    const id = a && (s => s[s.lastIndexOf('incidents') + 1])(new URL(a.href).pathname.split('/'));
    return { id: id || null,
             href: a ? a.href : null, title: a ? a.textContent : null,
             summary: text(':scope > h2 + p'), severity: text('.sev'), date: text('time'),
             marks: [...li.querySelectorAll('mark')].map(m => m.textContent) }; })";

/// `pmsite search QUERY --json` on the site, every hit, with `filters` as (facet kind, value).
fn cli_search(site: &Site, query: &str, filters: &[(&str, &str)], sort: &str) -> Value {
    let mut args = vec!["search", query, "--json", "--limit", "1000", "--sort", sort];
    for (kind, value) in filters {
        args.push(match *kind {
            "severity" => "--severity",
            "root_cause" => "--root-cause",
            "service" => "--service",
            "team" => "--team",
            "tag" => "--tag",
            other => panic!("no pmsite search option for the {other} facet"),
        });
        args.push(value);
    }
    let json = site.pmsite(&args).success().json();
    let hits = json["hits"].as_array().expect("hits");
    assert_eq!(
        json["total"].as_u64(),
        Some(hits.len() as u64),
        "pmsite search {args:?} did not list every hit"
    );
    json
}

fn hit_ids(json: &Value) -> Vec<String> {
    json["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("hit id").to_string())
        .collect()
}

/// Waits until the page shows the results `pmsite search` gave (`expected`, its JSON): the
/// status line's count, and the first page of ids in order. Returns the rendered results.
#[track_caller]
fn wait_for_results(tab: &Tab, what: &str, expected: &Value) -> Vec<Value> {
    let ids = hit_ids(expected);
    let total = ids.len();
    let first_page: Vec<&String> = ids.iter().take(10).collect();
    assert!(
        total > 0,
        "{what}: pmsite search finds nothing; pick a query that matches"
    );
    let condition = format!(
        "(() => {{ const m = document.getElementById('pm-status').textContent.match(/^(\\d+) incidents? match/);
                  return !!m && Number(m[1]) === {total}
                      && JSON.stringify(({RESULTS_JS}).map(r => r.id)) === {:?}; }})()",
        serde_json::to_string(&first_page).unwrap()
    );
    if !poll(tab, &condition, Duration::from_secs(10)) {
        let status = try_eval(tab, "document.getElementById('pm-status').textContent");
        let shown = try_eval(tab, &format!("({RESULTS_JS}).map(r => r.id)"));
        panic!(
            "{what}: the page does not show what `pmsite search` finds\n  \
             pmsite: {total} hits {first_page:?}\n  page: {status:?} {shown:?}\n  at {:?}",
            try_eval(tab, "location.href")
        );
    }
    eval(tab, RESULTS_JS).as_array().expect("results").clone()
}

/// The id of the facet checkbox of `kind` labelled `value`.
fn facet_checkbox(tab: &Tab, kind: &str, value: &str) -> String {
    let id = eval(
        tab,
        &format!(
            "(() => {{ const box = [...document.querySelectorAll('#pm-facets input[data-kind={kind}][data-value]')]
                .find(i => document.querySelector(`label[for=\"${{i.id}}\"]`).firstChild.textContent.trim() === {value:?});
                return box ? box.id : null; }})()"
        ),
    );
    id.as_str()
        .unwrap_or_else(|| panic!("no {kind} facet checkbox labelled {value}"))
        .to_string()
}

/// Checks the number next to every facet value shown: it is how many results ticking that
/// value alone (with the other kinds' selections) gives, by `pmsite search`; and every value
/// that would give results is shown.
#[track_caller]
fn check_facet_counts(tab: &Tab, site: &Site, query: &str, selection: &[(&str, &str)]) {
    let shown = eval(
        tab,
        "(() => ({
            open: [...document.querySelectorAll('#pm-facets details[open][data-kind]')].map(d => d.dataset.kind),
            boxes: [...document.querySelectorAll('#pm-facets input[data-kind][data-value]')].map(i => {
                const label = document.querySelector(`label[for=\"${i.id}\"]`);
                const count = label && label.querySelector('.count');
                return { kind: i.dataset.kind, value: label ? label.firstChild.textContent.trim() : null,
                         count: count ? Number(count.textContent) : null, checked: i.checked }; }) }))()",
    );
    let open: Vec<String> = shown["open"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    for kind in ["severity", "year", "root_cause"] {
        assert!(
            open.iter().any(|k| k == kind),
            "the {kind} facet is not open: {open:?}"
        );
    }
    let mut actual = std::collections::BTreeMap::new();
    for b in shown["boxes"].as_array().unwrap() {
        actual.insert(
            (
                b["kind"].as_str().unwrap().to_string(),
                b["value"].as_str().unwrap_or("?").to_string(),
            ),
            b["count"].as_u64().unwrap_or(u64::MAX),
        );
    }
    let mut expected = std::collections::BTreeMap::new();
    for kind in &open {
        let others: Vec<(&str, &str)> = selection.iter().filter(|(k, _)| k != kind).copied().collect();
        let (years, others): (Vec<_>, Vec<_>) = others.into_iter().partition(|(k, _)| *k == "year");
        let json = cli_search(site, query, &others, "relevance");
        let mut counts = std::collections::BTreeMap::<String, u64>::new();
        for hit in json["hits"].as_array().unwrap() {
            let date = hit["date"].as_str().unwrap();
            if !years.is_empty() && !years.iter().any(|(_, y)| date.starts_with(y)) {
                continue;
            }
            let values: Vec<String> = match kind.as_str() {
                "severity" => vec![hit["severity"].as_str().unwrap().to_string()],
                "year" => vec![date[..4].to_string()],
                other => {
                    let field = match other {
                        "root_cause" => "root_causes",
                        "service" => "services",
                        "team" => "teams",
                        "tag" => "tags",
                        _ => panic!("unknown facet {other}"),
                    };
                    hit[field]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_string())
                        .collect()
                }
            };
            for v in values {
                *counts.entry(v).or_default() += 1;
            }
        }
        for (value, n) in counts {
            expected.insert((kind.clone(), value), n);
        }
        for (k, v) in selection {
            if k == kind {
                expected.entry((kind.clone(), v.to_string())).or_insert(0);
            }
        }
    }
    assert_eq!(
        actual, expected,
        "facet counts for {query:?} with {selection:?}: page (left) against pmsite search (right)"
    );
}

/// Loads a search page. Unlike `open`, does not wait for the address to be `url`: the page's
/// script rewrites it (from its own state) as soon as it has run.
fn open_search(tab: &Tab, url: &str) {
    // A mark on the page being left, to tell it from the new one.
    let _ = try_eval(tab, "window.__pmsiteLeaving = true");
    tab.navigate_to(url)
        .unwrap_or_else(|e| panic!("navigate to {url}: {e}"));
    wait_for(
        tab,
        &format!("{url} to load"),
        "window.__pmsiteLeaving === undefined && document.readyState === 'complete'
            && !!document.getElementById('pm-search')",
    );
}

/// The file:// URL of an absolute path.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for byte in path.to_str().expect("UTF-8 path").bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            url.push(byte as char);
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// Measures, in the page, the contrast of every rendered element that has text of its own
/// against the background it sits on: the first opaque `background-color` up its ancestors,
/// with any translucent ones in between composited over it. Background images are ignored.
const CONTRAST_JS: &str = r#"(() => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    // Any CSS colour (rgb, hex, oklch, color-mix...) as sRGB bytes plus alpha 0..1.
    const rgba = css => {
        ctx.clearRect(0, 0, 1, 1);
        ctx.fillStyle = '#000';
        ctx.fillStyle = css;
        ctx.fillRect(0, 0, 1, 1);
        const d = ctx.getImageData(0, 0, 1, 1).data;
        return [d[0], d[1], d[2], d[3] / 255];
    };
    const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
    const lin = c => { c /= 255; return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    const luminance = c => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
    const ratio = (a, b) => { const x = luminance(a), y = luminance(b);
        return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
    const dark = matchMedia('(prefers-color-scheme: dark)').matches
        && /dark/.test(getComputedStyle(document.documentElement).colorScheme);
    const canvasColor = dark ? [18, 18, 18, 1] : [255, 255, 255, 1];
    const background = el => {
        const layers = [];
        for (let e = el; e; e = e.parentElement) {
            const c = rgba(getComputedStyle(e).backgroundColor);
            if (c[3] > 0) layers.push(c);
            if (c[3] >= 1) break;
        }
        let bg = layers.length && layers[layers.length - 1][3] >= 1 ? layers.pop() : canvasColor;
        while (layers.length) bg = over(layers.pop(), bg);
        return bg;
    };
    const show = c => `rgb(${c.slice(0, 3).map(Math.round).join(', ')})`;
    const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + [...el.classList].map(c => '.' + c).join('');
    const selector = 'p, li, td, th, dt, dd, a, h1, h2, h3, h4, time, strong, em, code, span, data, '
        + '.badge, .sev, .chip, .status, .muted, .lede, .count, .notice, .overdue';
    const failures = [];
    let checked = 0;
    for (const el of document.querySelectorAll(selector)) {
        const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
        if (!own) continue;
        const s = getComputedStyle(el), r = el.getBoundingClientRect();
        if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
        if (r.width <= 1 || r.height <= 1) continue;
        let opacity = 1;
        for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
        const bg = background(el);
        const fg0 = rgba(s.color);
        const fg = over([fg0[0], fg0[1], fg0[2], fg0[3] * opacity], bg);
        const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
        const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
        const got = ratio(fg, bg);
        checked++;
        if (got < need) failures.push({ ratio: got, need, element: describe(el),
            text: own.replace(/\s+/g, ' ').slice(0, 40), fg: show(fg), bg: show(bg) });
    }
    failures.sort((a, b) => a.ratio / a.need - b.ratio / b.need);
    return { checked, failures, bodyLuminance: luminance(background(document.body)) };
})()"#;

// ---------- The browser ----------

/// A fresh headless Chromium. The tests that need one are `#[ignore]`d with the reason:
/// run without Chromium, they fail rather than pass without having looked at a page.
pub(crate) fn browser() -> Chromium {
    let path = std::env::var_os("CHROMIUM")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.is_file(),
        "no Chromium at {}: install it (apt-get install chromium) or set CHROMIUM to its path",
        path.display()
    );
    let profile = tempfile::Builder::new()
        .prefix("pmsite-chromium-")
        .tempdir()
        .expect("temporary profile folder");
    let options = LaunchOptions::default_builder()
        .path(Some(path.clone()))
        .user_data_dir(Some(profile.path().to_path_buf()))
        // The crate adds --headless, --disable-gpu, --no-sandbox (and --disable-setuid-sandbox),
        // --no-first-run, --user-data-dir and the debugging port; none of its other defaults.
        .headless(true)
        .enable_gpu(false)
        .sandbox(false)
        .disable_default_args(true)
        .ignore_certificate_errors(false)
        .args(
            [
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ]
            .iter()
            .map(std::ffi::OsStr::new)
            .collect(),
        )
        .window_size(Some((1280, 800)))
        .idle_browser_timeout(Duration::from_secs(60))
        .build()
        .expect("launch options");
    let browser =
        Browser::new(options).unwrap_or_else(|e| panic!("could not start {}: {e:#}", path.display()));
    Chromium {
        browser: Some(browser),
        profile: Some(profile),
    }
}

/// A running Chromium and its profile folder, which goes once Chromium has.
pub(crate) struct Chromium {
    browser: Option<Browser>,
    profile: Option<tempfile::TempDir>,
}

impl std::ops::Deref for Chromium {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        self.browser.as_ref().expect("running browser")
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // Closes Chromium and kills its main process...
        drop(self.browser.take());
        // ...but its helper processes may still write to the profile for a moment.
        if let Some(profile) = self.profile.take() {
            let path = profile.keep();
            for _ in 0..100 {
                if std::fs::remove_dir_all(&path).is_ok() || !path.exists() {
                    return;
                }
                thread::sleep(Duration::from_millis(20));
            }
            eprintln!("note: could not remove the Chromium profile {}", path.display());
        }
    }
}

pub(crate) fn new_tab(browser: &Browser) -> Arc<Tab> {
    let tab = browser.new_tab().expect("new tab");
    tab.set_default_timeout(Duration::from_secs(10));
    tab
}

/// Loads `url` and waits until the document and its subresources (the stylesheet) are loaded.
/// (Not `Tab::wait_until_navigated`: it waits for the network to be idle for a while, which
/// costs a second or two a page.)
pub(crate) fn open(tab: &Tab, url: &str) {
    tab.navigate_to(url)
        .unwrap_or_else(|e| panic!("navigate to {url}: {e}"));
    wait_for(
        tab,
        &format!("{url} to load"),
        &format!("location.href === {url:?} && document.readyState === 'complete'"),
    );
}

/// A real mouse click on the first element matching `selector`, scrolled into view first.
/// (`Element::click` waits on an IntersectionObserver, which never fires with scripting off;
/// DevTools evaluation still works then.)
fn click(tab: &Tab, selector: &str) {
    let at = eval(
        tab,
        &format!(
            "(() => {{ const el = document.querySelector({selector:?});
                      if (!el) return null;
                      el.scrollIntoView({{ block: 'center', inline: 'center', behavior: 'instant' }});
                      const r = el.getClientRects()[0];
                      return r ? [r.left + r.width / 2, r.top + r.height / 2] : null; }})()"
        ),
    );
    let (Some(x), Some(y)) = (at[0].as_f64(), at[1].as_f64()) else {
        panic!("nothing to click at {selector} on {}", eval(tab, "location.href"));
    };
    tab.click_point(Point { x, y })
        .unwrap_or_else(|e| panic!("click {selector}: {e}"));
}

/// Emulates a media type ("" for the default, "print") and media features.
fn emulate_media(tab: &Tab, media: &str, features: &[(&str, &str)]) {
    tab.call_method(Emulation::SetEmulatedMedia {
        media: Some(media.to_string()),
        features: Some(
            features
                .iter()
                .map(|(name, value)| Emulation::MediaFeature {
                    name: name.to_string(),
                    value: value.to_string(),
                })
                .collect(),
        ),
    })
    .expect("emulate media");
}

/// The JSON value of a JavaScript expression evaluated in the page.
pub(crate) fn eval(tab: &Tab, expression: &str) -> Value {
    try_eval(tab, expression).unwrap_or_else(|e| panic!("{e}\nin: {expression}"))
}

pub(crate) fn try_eval(tab: &Tab, expression: &str) -> Result<Value, String> {
    let answer = tab
        .call_method(Runtime::Evaluate {
            expression: expression.to_string(),
            object_group: None,
            include_command_line_api: None,
            silent: Some(true),
            context_id: None,
            return_by_value: Some(true),
            generate_preview: None,
            user_gesture: None,
            await_promise: Some(false),
            throw_on_side_effect: None,
            timeout: None,
            disable_breaks: None,
            repl_mode: None,
            allow_unsafe_eval_blocked_by_csp: None,
            unique_context_id: None,
            serialization_options: None,
        })
        .map_err(|e| format!("evaluate: {e}"))?;
    if let Some(exception) = answer.exception_details {
        let detail = exception
            .exception
            .and_then(|e| e.description)
            .unwrap_or(exception.text);
        return Err(format!("JavaScript exception: {detail}"));
    }
    Ok(answer.result.value.unwrap_or(Value::Null))
}

/// Polls a JavaScript condition until it is `true`; errors (a page mid-navigation) count as not yet.
pub(crate) fn poll(tab: &Tab, condition: &str, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if try_eval(tab, condition) == Ok(Value::Bool(true)) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[track_caller]
pub(crate) fn wait_for(tab: &Tab, what: &str, condition: &str) {
    if !poll(tab, condition, Duration::from_secs(10)) {
        let at = try_eval(tab, "location.href").unwrap_or_else(Value::String);
        panic!("timed out waiting for {what} (at {at}; condition: {condition})");
    }
}

// ---------- The site and its server ----------

/// The example site, built, and a server for its public/ folder.
fn serve_example() -> (Site, Server) {
    let site = Site::copy_of(&example_dir());
    site.build();
    let server = Server::start(site.path().join("public"));
    (site, server)
}

/// A static file server on 127.0.0.1 for one test: GET only, one request per connection,
/// `/x/` is `/x/index.html`. It stops when dropped, and by itself after a few minutes or
/// a few thousand connections.
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// The paths answered "404 Not Found".
    missing: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    const LIFETIME: Duration = Duration::from_secs(180);
    const MAX_CONNECTIONS: usize = 5_000;

    fn start(root: PathBuf) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = Arc::clone(&stop);
        let missing = Arc::new(std::sync::Mutex::new(Vec::new()));
        let missing_log = Arc::clone(&missing);
        let thread = thread::spawn(move || {
            let root = Arc::new(root);
            let deadline = Instant::now() + Self::LIFETIME;
            let mut served = 0;
            while !stop_flag.load(Ordering::SeqCst)
                && Instant::now() < deadline
                && served < Self::MAX_CONNECTIONS
            {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        let root = Arc::clone(&root);
                        let missing = Arc::clone(&missing_log);
                        thread::spawn(move || {
                            let _ = respond(stream, &root, &missing);
                        });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            addr,
            stop,
            thread: Some(thread),
            missing,
        }
    }

    /// The paths answered "404 Not Found" so far.
    fn not_found(&self) -> Vec<String> {
        self.missing.lock().unwrap().clone()
    }

    /// The address of a site path such as "/" or "/incidents/".
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Answers one request on `stream` from the files under `root`.
fn respond(
    mut stream: TcpStream,
    root: &Path,
    missing: &std::sync::Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut request = Vec::new();
    let mut buffer = [0; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        let n = stream.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buffer[..n]);
    }
    let request = String::from_utf8_lossy(&request);
    let mut words = request.lines().next().unwrap_or("").split(' ');
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    if method != "GET" {
        return send(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            b"GET only\n",
            &[],
        );
    }
    let path = percent_decode(target.split(['?', '#']).next().unwrap_or(""));
    let relative = Path::new(path.trim_start_matches('/'));
    if !path.starts_with('/') || relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        missing.lock().unwrap().push(path.clone());
        return not_found(&mut stream, root);
    }
    let mut file = root.join(relative);
    if file.is_dir() {
        if !path.ends_with('/') {
            let location = format!("{path}/");
            return send(
                &mut stream,
                "301 Moved Permanently",
                "text/plain; charset=utf-8",
                b"",
                &[("Location", &location)],
            );
        }
        file = file.join("index.html");
    }
    match std::fs::read(&file) {
        Ok(body) if file.is_file() => send(&mut stream, "200 OK", content_type(&file), &body, &[]),
        _ => {
            missing.lock().unwrap().push(path);
            not_found(&mut stream, root)
        }
    }
}

fn not_found(stream: &mut TcpStream, root: &Path) -> std::io::Result<()> {
    let body = std::fs::read(root.join("404.html")).unwrap_or_else(|_| b"Not found\n".to_vec());
    send(stream, "404 Not Found", "text/html; charset=utf-8", &body, &[])
}

fn send(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    headers: &[(&str, &str)],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "xml" => "application/xml",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
