// Live reload for `pmsite serve`. The server adds this script to the HTML pages it answers
// with; a build never writes it. It listens to /__pmsite/events (server-sent events):
// - `hello` (on every connection): which server and which build; a page that missed builds
//   (since it was served, or while reconnecting) or meets a new server reloads;
// - `update` (after every build): the output files it changed and removed. This page
//   reloads when its own file changed (keeping the scroll position), restyles when only a
//   stylesheet changed, and says so when it was removed.
// After each, it asks /__pmsite/state?page=FILE for the last build's errors (an overlay over
// the page, which stays the last good version) and this page's policy warnings (a panel).
// Every text from the site is set with textContent: postmortems are user input.
(() => {
  'use strict';

  const BASE = '/__pmsite/';
  // The server says which build this page came from, and which file it shows when that is
  // not the one its URL names (the 404 page).
  const served = document.currentScript ? document.currentScript.dataset : {};
  const page = served.file || fileOf(location.pathname);
  const placeholder = document.body !== null && document.body.hasAttribute('data-pmsite-placeholder');
  const scrollKey = 'pmsite-scroll ' + location.pathname;
  let boot = served.boot || null;
  let generation = served.generation === undefined ? null : Number(served.generation);
  let ui = null;

  const STYLE = `
    :host { all: initial; }
    .overlay, .warnings, .gone { font: 15px/1.5 system-ui, sans-serif; box-sizing: border-box; }
    .overlay { position: fixed; inset: 0; z-index: 2147483647; overflow: auto; padding: 2rem;
      background: rgba(24, 24, 27, 0.94); color: #f4f4f5; }
    .overlay h2 { margin: 0 0 0.5rem; font-size: 1.4rem; color: #fecaca; }
    .overlay .hide { float: right; font: inherit; padding: 0.25rem 0.75rem; cursor: pointer; }
    .problems { padding-left: 1.5rem; }
    .problems li { margin: 0 0 1rem; }
    .where { font-family: ui-monospace, monospace; font-weight: 600; }
    .overlay .where { color: #fca5a5; }
    .hint { opacity: 0.85; }
    .overlay .hint { color: #bbf7d0; }
    .fatal { font-weight: 600; }
    .warnings { position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483646;
      max-width: min(42rem, calc(100vw - 2rem)); max-height: 60vh; overflow: auto;
      padding: 0.5rem 1rem; border: 1px solid #b45309; border-radius: 6px;
      background: #fffbeb; color: #451a03; box-shadow: 0 2px 12px rgba(0, 0, 0, 0.25); }
    .warnings summary { cursor: pointer; font-weight: 600; }
    .gone { position: fixed; top: 0; left: 0; right: 0; z-index: 2147483646;
      padding: 0.75rem 1rem; background: #7f1d1d; color: #fff; }
    .gone a { color: #fff; }
  `;

  restoreScroll();

  const events = new EventSource(BASE + 'events');
  events.addEventListener('hello', (event) => {
    const hello = JSON.parse(event.data);
    if (boot !== null && (hello.boot !== boot || hello.generation !== generation)) {
      reload();
      return;
    }
    boot = hello.boot;
    generation = hello.generation;
    // Tells whoever drives the browser (the tests) that edits are followed from now on.
    document.documentElement.setAttribute('data-pmsite-live', 'connected');
    refresh();
  });
  events.addEventListener('update', (event) => {
    const update = JSON.parse(event.data);
    generation = update.generation;
    if (update.ok && (placeholder || update.all || update.changed.includes(page))) {
      reload();
      return;
    }
    if (update.removed.includes(page)) {
      showGone();
    }
    restyle(update.changed.filter((file) => file.endsWith('.css')));
    refresh();
  });

  /** The output file a URL path serves: `/incidents/x/` is `incidents/x/index.html`. */
  function fileOf(pathname) {
    let path = pathname;
    try {
      path = decodeURIComponent(pathname);
    } catch (_) {
      // A malformed escape: the path as it is.
    }
    path = path.replace(/^\/+/, '');
    return path === '' || path.endsWith('/') ? path + 'index.html' : path;
  }

  function reload() {
    try {
      sessionStorage.setItem(scrollKey, Math.round(scrollX) + ',' + Math.round(scrollY));
    } catch (_) {
      // Storage refused (private mode): reload without the position.
    }
    location.reload();
  }

  function restoreScroll() {
    let saved = null;
    try {
      saved = sessionStorage.getItem(scrollKey);
      sessionStorage.removeItem(scrollKey);
    } catch (_) {
      return;
    }
    if (saved === null) return;
    const [x, y] = saved.split(',').map(Number);
    const apply = () => window.scrollTo({ left: x, top: y, behavior: 'instant' });
    if (document.readyState === 'complete') apply();
    else addEventListener('load', apply, { once: true });
  }

  /** Swaps each changed stylesheet for a fresh copy: the page restyles without a reload. */
  function restyle(files) {
    if (files.length === 0) return;
    for (const link of document.querySelectorAll('link[rel~="stylesheet"][href]')) {
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin || !files.includes(fileOf(url.pathname))) continue;
      url.searchParams.set('pmsite-reload', String(Date.now()));
      const fresh = link.cloneNode();
      fresh.href = url.href;
      // The old sheet goes once the new one applies: no unstyled moment.
      fresh.addEventListener('load', () => link.remove(), { once: true });
      fresh.addEventListener('error', () => link.remove(), { once: true });
      link.after(fresh);
    }
  }

  async function refresh() {
    let state;
    try {
      const answer = await fetch(BASE + 'state?page=' + encodeURIComponent(page), { cache: 'no-store' });
      state = await answer.json();
    } catch (_) {
      return; // The server is restarting: the event stream reconnects and asks again.
    }
    if (placeholder && state.site) {
      reload();
      return;
    }
    showProblems(state);
    showWarnings(state.warnings);
  }

  function showProblems(state) {
    const old = ui && ui.getElementById('pmsite-overlay');
    if (state.ok) {
      if (old) old.remove();
      return;
    }
    const overlay = element('section', 'overlay');
    overlay.id = 'pmsite-overlay';
    overlay.setAttribute('role', 'alert');
    const hide = element('button', 'hide', 'Hide');
    hide.type = 'button';
    hide.addEventListener('click', () => overlay.remove());
    overlay.append(
      hide,
      element(
        'h2',
        null,
        state.site
          ? 'The build failed: this page is the last good version'
          : 'The site could not be built',
      ),
      element('p', 'lead', 'Fix these problems; this message goes by itself once the build succeeds.'),
    );
    if (state.fatal) overlay.append(element('p', 'fatal', state.fatal));
    overlay.append(problemList(state.problems));
    if (state.more_problems > 0) {
      overlay.append(element('p', 'more', 'and ' + state.more_problems + ' more (see the terminal)'));
    }
    if (old) old.replaceWith(overlay);
    else shadow().append(overlay);
  }

  function showWarnings(warnings) {
    const old = ui && ui.getElementById('pmsite-warnings');
    if (warnings.length === 0) {
      if (old) old.remove();
      return;
    }
    const panel = element('details', 'warnings');
    panel.id = 'pmsite-warnings';
    panel.open = old !== null && old.open;
    const count = warnings.length === 1 ? '1 policy warning' : warnings.length + ' policy warnings';
    panel.append(element('summary', null, count + ' on this page'), problemList(warnings));
    if (old) old.replaceWith(panel);
    else shadow().append(panel);
  }

  function showGone() {
    if (ui && ui.getElementById('pmsite-gone')) return;
    const note = element('div', 'gone');
    note.id = 'pmsite-gone';
    note.setAttribute('role', 'alert');
    const home = element('a', null, 'Go to the home page');
    home.href = '/';
    note.append(
      element('strong', null, 'This page is gone. '),
      'The last change removed it (its postmortem was deleted, renamed or is no longer published). ',
      home,
    );
    shadow().append(note);
  }

  function problemList(problems) {
    const list = element('ol', 'problems');
    for (const problem of problems) {
      let where = problem.file;
      if (problem.line) where += ':' + problem.line + (problem.column ? ':' + problem.column : '');
      if (problem.field) where += ' (' + problem.field + ')';
      const item = element('li', problem.level);
      item.append(
        element('div', 'where', where),
        element('div', 'message', problem.level + '[' + problem.code + ']: ' + problem.message),
      );
      if (problem.hint) item.append(element('div', 'hint', 'hint: ' + problem.hint));
      list.append(item);
    }
    return list;
  }

  function element(tag, className, text) {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined) made.textContent = text;
    return made;
  }

  /** A shadow root for what this script shows: the site's styles do not reach it. */
  function shadow() {
    if (ui) return ui;
    const host = document.createElement('pmsite-live');
    ui = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    ui.append(style);
    document.documentElement.append(host);
    return ui;
  }
})();
