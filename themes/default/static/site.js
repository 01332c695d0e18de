// pmsite: what every page does with JavaScript, none of it needed to read the page.
// One file that browsers cache, rather than the same lines written into every page.
(function () {
  'use strict';

  // Opened from file:// (an archive unzipped on a laptop), a link to a folder shows a file
  // listing instead of its page: point folder links at their index.html. On a web server
  // links stay as they are.
  if (location.protocol === 'file:') {
    for (const a of document.querySelectorAll('a[href]')) {
      const href = a.getAttribute('href');
      if (!/^[a-z]+:/i.test(href) && /\/(#.*)?$/.test(href)) a.setAttribute('href', href.replace(/\/(#.*)?$/, '/index.html$1'));
    }
  }

  // An incident page opened from a search result: mark the query's words and go to the
  // section holding them (highlight.js sits beside this file).
  if (document.querySelector('article.incident') && new URLSearchParams(location.search).has('highlight')) {
    const s = document.createElement('script');
    s.src = document.currentScript.src.replace(/site\.js(\?.*)?$/, 'highlight.js');
    document.head.append(s);
  }
})();
