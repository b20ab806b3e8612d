// The DOM side of the swap: under a root, rewrites text that shows a target number
// (even when split across elements, "<b>(800)</b> 555-1234"), tel: links and explicit
// data-cb-dni slots. A re-scan of text it already swapped finds nothing to change.

import {
  fillSlots,
  findHits,
  isTelTo,
  makeMatcher,
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

  /** The text nodes under an element, in order (CDATA sections count, as in textContent). */
  const texts = (el: Node) => {
    const walker = document.createTreeWalker(el, 12);
    const out: Node[] = [];
    while (walker.nextNode()) out.push(walker.currentNode);
    return out;
  };

  /** Sets an attribute (a) or the text of a text node or an empty element, if it differs. */
  function write(node: Node, v: string, a?: string): void {
    const cur = a ? (node as Element).getAttribute(a) : node.textContent;
    if (cur != null && cur != v) {
      stats.writes++;
      if (a) (node as Element).setAttribute(a, v);
      else node.textContent = v;
    }
  }

  function slot(el: Element): void {
    const mask = el.getAttribute(SLOT);
    const href = el.getAttribute('href');
    if (href != null) write(el, telHref(href, to!), 'href');
    // Write into the text node that shows a number, else the first one with any text, so an
    // icon or a label element next to it survives; an empty slot gets the number as its text.
    const all = texts(el);
    const t =
      all.find((n) => /\d.*\d.*\d/.test(n.nodeValue!)) || all.find((n) => /\S/.test(n.nodeValue!)) || el;
    write(t, slotText(t.textContent!, to!, mask));
  }

  /**
   * Text: the text nodes under `root` read as one string, as the visitor reads them. A hit
   * may span nodes; the new number has as many characters as the old, so each node simply
   * takes back its own stretch of the rewritten string ("<b>(800)</b>" stays bold). Hits
   * touching a skipped element (script, style, an opted-out region...) stay as they are.
   */
  function text(root: Element, own = root.textContent!): void {
    // Most of a page shows no number: go down to the smallest elements that hold every
    // match, and walk text nodes only there. Only a child that overlaps a match in the
    // root's text can hold one, and each call from script into the page costs far more
    // than the browser reading text natively; so the children are halved with a Range
    // read (its start and end inside two children, which the browser finds without
    // counting siblings) and only halves that overlap a match are split further.
    const re = m!.re;
    const at: number[] = []; // start and end of each match in the root's text
    let x: RegExpExecArray | null;
    for (re.lastIndex = 0; (x = re.exec(own));) at.push(x.index, re.lastIndex);
    const list = root.childNodes;
    const range = document.createRange();
    const kids: [Element, string][] = [];
    let k = 0; // the first match that does not end before `pos`
    let found = 0; // matches in the kids' own texts
    // Children [i, j), whose text is own[pos, pos + len).
    const scan = (i: number, j: number, pos: number, len: number): void => {
      while (at[k + 1] <= pos) k += 2;
      if (!(at[k] < pos + len)) return;
      const c = list[i];
      const h = (i + j) >> 1;
      if (h == i) {
        const t = own.substr(pos, len);
        const n = c.nodeType == 1 && t.match(re);
        if (n) {
          kids.push([c as Element, t]);
          found += n.length;
        }
        return;
      }
      range.setStart(c, 0);
      range.setEnd(list[h], 0);
      const l = range.toString().length;
      scan(i, h, pos, l);
      scan(h, j, pos + l, len - l);
    };
    scan(0, list.length, 0, own.length);
    if (found * 2 >= at.length) return kids.forEach(([c, t]) => text(c, t));
    // [text node, start, end] in own
    let end = 0;
    const nodes = texts(root).map((n) => [n, end, (end += n.nodeValue!.length)] as const);
    let out = own;
    // A hit has 10 digits, or 11 with its leading 1, so the leased number fills its digit slots.
    for (const [s, e] of findHits(own, m!))
      if (!nodes.some(([n, a, b]) => a < e && b > s && n.parentElement!.closest(WALK_SKIP)))
        out = out.slice(0, s) + fillSlots(own.slice(s, e), to!.d) + out.slice(e);
    nodes.forEach(([n, a, b]) => write(n, out.slice(a, b)));
  }

  function root(el: Element): void {
    if (!to || el.closest(SKIP)) return;
    const s = el.closest('[data-cb-dni]');
    if (s) return slot(s);
    // Two queries: the browser answers each single selector much faster than the pair as a
    // list. An element found by both is a slot, and slot() twice writes nothing new.
    for (const e of [
      el,
      ...el.querySelectorAll('[data-cb-dni]'),
      ...el.querySelectorAll('a[href^="tel:" i]'),
    ])
      if (!e.closest(SKIP)) {
        const href = e.getAttribute('href');
        if (e.hasAttribute(SLOT)) slot(e);
        else if (m && href && isTelTo(href, m)) write(e, telHref(href, to), 'href');
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
