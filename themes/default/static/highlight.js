// pmsite: an incident page opened from a search result (`?highlight=certif+expir`) marks
// the query's words and moves to the section that holds most of them. The page has its
// whole text, so the section is found here rather than shipped in the search index (see
// docs/SEARCH-DESIGN.md), with the same rule as `pmsite search`: the section with the most
// distinct query words, the earliest on a tie. Without JavaScript the page opens at its top.
(function () {
  'use strict';

  // A word matches a term when it starts with it, as on the search page: terms are stems
  // ("expir") and the words as typed ("expired").
  function termOf(word, terms) {
    const w = word.toLowerCase();
    return terms.find((t) => w.startsWith(t));
  }

  // Wraps the matching words of every text node under `root` in <mark>; returns the marks
  // with the term each one matched.
  function mark(root, terms) {
    const found = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => (n.parentElement.closest('script, style, mark') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    const nodes = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
    for (const node of nodes) {
      const text = node.nodeValue;
      const parts = [];
      let at = 0;
      for (const m of text.matchAll(/[\p{Alphabetic}\p{N}]+/gu)) {
        const term = termOf(m[0], terms);
        if (!term) continue;
        parts.push([m.index, m.index + m[0].length, term]);
      }
      if (!parts.length) continue;
      const fragment = document.createDocumentFragment();
      for (const [start, end, term] of parts) {
        fragment.append(text.slice(at, start));
        const el = document.createElement('mark');
        el.className = 'search-hit';
        el.textContent = text.slice(start, end);
        fragment.append(el);
        found.push([el, term]);
        at = end;
      }
      fragment.append(text.slice(at));
      node.replaceWith(fragment);
    }
    return found;
  }

  function run() {
    const wanted = new URLSearchParams(location.search).get('highlight') || '';
    const terms = [...new Set(wanted.toLowerCase().split(/\s+/).filter(Boolean))].slice(0, 32);
    const main = document.querySelector('.incident-main');
    if (!terms.length || !main) return;
    // What the search index holds: the header (title, summary), the facts, and the
    // incident's own sections; not the links to other incidents.
    const scopes = [document.querySelector('.incident-header'), document.querySelector('#pm-facts dl'), main];
    const skip = (el) => el.closest('#pm-related, #pm-links, nav');
    const marks = [];
    for (const scope of scopes) if (scope) marks.push(...mark(scope, terms).filter(([el]) => !skip(el)));

    // Sections of the incident, in page order: a heading with an id (a section element's
    // own id when the heading opens it, as the contents list links to).
    const headings = [...main.querySelectorAll('h2[id], h3[id], h4[id]')].filter((h) => !skip(h));
    if (!headings.length) return;
    const words = headings.map(() => new Set());
    for (const [el, term] of marks) {
      if (!main.contains(el)) continue;
      let i = -1;
      for (let k = 0; k < headings.length; k++) {
        if (headings[k].compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) i = k;
        else break;
      }
      if (i >= 0) words[i].add(term);
    }
    let best = -1;
    words.forEach((set, i) => {
      if (set.size && (best < 0 || set.size > words[best].size)) best = i;
    });
    if (best < 0) return;
    const heading = headings[best];
    const section = heading.parentElement;
    const id = section.tagName === 'SECTION' && section.id && section.firstElementChild === heading ? section.id : heading.id;
    // A fragment navigation: the address names the section, :target and focus follow it.
    location.replace('#' + encodeURIComponent(id));
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run);
  else run();
})();
