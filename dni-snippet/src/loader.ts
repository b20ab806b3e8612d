// The tag a marketer pastes (built to dist/loader.min.js and dist/loader.html, at most
// 500 bytes). It defines the cbdni() queue so calls made before dni.js arrives are kept,
// optionally hides the numbers for at most 1.5 s (data-anti-flicker on the tag), and
// inserts dni.js, which as a script-inserted script is async: it never blocks rendering.
// KEY and ORIGIN are placeholders the service fills in: the campaign's public key and
// the origin that serves /dni.js.

import type { Api } from './index';

((w: Window, d: Document, key: string, origin: string) => {
  const c = d.currentScript as HTMLScriptElement | null;
  const h = d.documentElement;
  const p = 'cb-dni-pending';
  const f: Api = (w.cbdni =
    w.cbdni ||
    function () {
      // eslint-disable-next-line prefer-rest-params
      (f.q = f.q || []).push(arguments);
    });
  f.c = c;
  f.k = key;
  let s: HTMLElement;
  if (c && c.dataset.antiFlicker != null) {
    h.classList.add(p);
    s = d.createElement('style');
    s.textContent = '.' + p + ' :is([href^=tel],[data-cb-dni]){opacity:0}';
    d.head.append(s);
    setTimeout(() => h.classList.remove(p), 1500);
  }
  s = d.createElement('script');
  (s as HTMLScriptElement).src = origin + '/dni.js';
  d.head.append(s);
})(window, document, 'KEY', 'ORIGIN');
