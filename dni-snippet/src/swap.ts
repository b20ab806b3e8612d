// The DOM side of the swap: under a root, rewrites text that shows a target number
// (even when split across elements, "<b>(800)</b> 555-1234"), tel: links and explicit
// data-cb-dni slots. A re-scan of text it already swapped finds nothing to change.

import {
  findHits,
  isTelTo,
  makeMatcher,
  mayContain,
  replacement,
  slotText,
  telHref,
  type Matcher,
  type Phone,
} from './phone';

export const SLOT = 'data-cb-dni';
// Never touch code, styles, form fields, templates or opted-out regions; JSON-LD
// "telephone" lives in a <script> and so always stays the real number.
const SKIP = '[data-cb-dni-ignore],[contenteditable],script,style,textarea';
// The text walk also leaves data-cb-dni slots to slot().
const WALK_SKIP = '[data-cb-dni],' + SKIP;

export interface SwapStats {
  /** nodes or attributes written so far */
  writes: number;
  /** duration of the first whole-document swap, ms (-1: none yet) */
  firstMs: number;
}

export interface Swapper {
  stats: SwapStats;
  /** Sets the number to show and the numbers it replaces (targets and earlier leases). */
  set(to: Phone, from: string[]): void;
  /** Swaps the whole body, timing it. */
  all(doc: Document): void;
  /** Swaps around a node that changed or was added. */
  node(n: Node): void;
  /** Swaps everything under an element, and the element itself. */
  root(el: Element): void;
}

export function createSwapper(): Swapper {
  let to: Phone | null = null;
  let m: Matcher | null = null;
  const stats: SwapStats = { writes: 0, firstMs: -1 };

  const read = (node: Node, a: string) =>
    a == '#' ? node.nodeValue : a ? (node as Element).getAttribute(a) : node.textContent;
  const put = (node: Node, a: string, v: string) =>
    a == '#' ? (node.nodeValue = v) : a ? (node as Element).setAttribute(a, v) : (node.textContent = v);

  function write(node: Node, a: string, v: string): void {
    const cur = read(node, a);
    if (cur != null && cur != v) {
      stats.writes++;
      put(node, a, v);
    }
  }

  function slot(el: Element): void {
    const mask = el.getAttribute(SLOT);
    const href = el.getAttribute('href');
    if (href != null) write(el, 'href', telHref(href, to!));
    // Write into the text node that shows a number, else the first one with any text, so an
    // icon or a label element next to it survives; an empty slot gets the number as its text.
    const walker = document.createTreeWalker(el, 4);
    let pick: Node | null = null;
    for (let t = walker.nextNode(); t; t = walker.nextNode())
      if (/\d.*\d.*\d/.test(t.nodeValue!)) {
        pick = t;
        break;
      } else if (!pick && /\S/.test(t.nodeValue!)) pick = t;
    if (pick) write(pick, '#', slotText(pick.nodeValue!, to!, mask));
    else write(el, '', slotText('', to!, mask));
  }

  /**
   * Text: the text nodes under `root` read as one string, as the visitor reads them. A hit
   * may span nodes; the new number has as many characters as the old, so each node simply
   * takes back its own stretch of the rewritten string ("<b>(800)</b>" stays bold). Hits
   * touching a skipped element (script, style, an opted-out region...) stay as they are.
   */
  function text(root: Element): void {
    // Most of a page shows no number: go down to the smallest elements that hold every
    // match (cheap native textContent and regex), and walk text nodes only there.
    const count = (el: Element) => (el.textContent!.match(m!.re) || []).length;
    const total = count(root);
    const kids = Array.from(root.children).filter((k) => mayContain(k.textContent!, m!));
    if (!total || kids.reduce((sum, k) => sum + count(k), 0) >= total) return kids.forEach(text);
    const walker = document.createTreeWalker(root, 4);
    const nodes: Node[] = [];
    const starts: number[] = [];
    let all = '';
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      nodes.push(n);
      starts.push(all.length);
      all += n.nodeValue;
    }
    let out = all;
    for (const { s, e } of findHits(all, m!))
      if (
        !nodes.some(
          (n, k) =>
            starts[k] < e && starts[k] + n.nodeValue!.length > s && n.parentElement!.closest(WALK_SKIP),
        )
      )
        out = out.slice(0, s) + replacement(all.slice(s, e), to!) + out.slice(e);
    nodes.forEach((n, k) => write(n, '#', out.substr(starts[k], n.nodeValue!.length)));
  }

  function root(el: Element): void {
    if (!to || el.closest(SKIP)) return;
    const s = el.closest('[' + SLOT + ']');
    if (s) return slot(s);
    for (const e of [el].concat(Array.from(el.querySelectorAll('[' + SLOT + '],a[href^="tel:" i]'))))
      if (!e.closest(SKIP)) {
        const href = e.getAttribute('href');
        if (e.hasAttribute(SLOT)) slot(e);
        else if (m && href && isTelTo(href, m)) write(e, 'href', telHref(href, to));
      }
    if (m) text(el);
  }

  return {
    stats,
    set(n, from) {
      to = n;
      m = makeMatcher(from.filter((f) => f != n.e164));
    },
    all(doc) {
      const t0 = performance.now();
      if (doc.body) root(doc.body);
      if (stats.firstMs < 0) stats.firstMs = performance.now() - t0;
    },
    node(n) {
      const el = n.nodeType == 1 ? (n as Element) : n.parentElement;
      if (el && el.isConnected) root(el);
    },
    root,
  };
}
