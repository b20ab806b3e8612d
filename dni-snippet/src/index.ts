// Entry point of dni.js: leases a tracking number for this visitor, swaps it into the
// page, keeps the lease alive while the page is visible and hands it back when the page
// goes away. Whatever fails (network, storage, bad answers), the page keeps its own
// numbers and no error reaches the page.

import { beacon, post } from './api';
import { bag, captureParams, clip, isCrawler, mergeTags, MAX_URL } from './params';
import { formatPhone, isTelTo, makeMatcher, parsePhone } from './phone';
import { createStore, SID, type Store } from './storage';
import { createSwapper, type SwapStats } from './swap';

export const VERSION = '1';
/** Set on <html> by the loader's data-anti-flicker; removed as soon as the number is known. */
const PENDING = 'cb-dni-pending';
/** Writes per second the observer may cause before it gives up on a page that fights back. */
const MAX_OBSERVED_WRITES = 500;

/** Called with the E.164 number and its default display, or (null, null): keep your own number. */
export type Listener = (number: string | null, formatted: string | null) => void;

export interface Options {
  /** API base, default: the origin dni.js was loaded from */
  api?: string;
  /** wait for cbdni('consent', true) before storing or sending anything */
  requireConsent?: boolean;
  /** cookie domain, default: the registrable domain (found by asking the browser) */
  cookieDomain?: string;
}

export interface Api {
  (command: string, arg?: unknown): void;
  /** set on the real API, absent on the loader's queue stub */
  v?: string;
  q?: ArrayLike<unknown>[] | { push(args: ArrayLike<unknown>): void };
  /** the loader's own <script> element, for its data-* options */
  c?: Element | null;
  /** the campaign key the loader carries */
  k?: string;
  stats?: SwapStats;
}

interface Answer {
  sid?: string;
  number?: string | null;
  targets?: string[];
  ttl?: number;
  heartbeat?: number;
  code?: string;
}

declare global {
  interface Window {
    cbdni?: Api;
  }
}

/** A duration from the server, in seconds, with a default when absent or silly. */
const seconds = (v: unknown, dflt: number) => ((v as number) >= 1 ? Math.min(v as number, 86400) : dflt);

function boot(w: Window, d: Document): void {
  const stub = w.cbdni;
  if (stub && stub.v) return; // a second copy of dni.js: the first one owns the page
  const script = d.currentScript as HTMLScriptElement | null;
  const attr = (name: string) => {
    for (const e of [script, stub && stub.c])
      if (e && e.hasAttribute(name)) return e.getAttribute(name) || '';
    return null;
  };

  // The landing page's attribution is read once, now: SPA navigation or a late consent
  // must not lose the click id the visitor arrived with.
  const page = clip(location.href, MAX_URL);
  const ref = clip(d.referrer, MAX_URL);
  const params = captureParams(location.search);
  const opts: Options = {};
  const tags = bag();
  const listeners: Listener[] = [];
  const swapper = createSwapper();
  const crawler = isCrawler(navigator.userAgent);
  const key = (stub && stub.k) || attr('data-key');
  let consent: boolean | undefined;
  let ready = false; // the queued calls ran and the observers are in place
  let started = false;
  let store: Store | undefined;
  let sid: string | undefined;
  let number: string | null = null; // what the page shows now; null: its own numbers
  let settled = false;
  const shown: string[] = []; // every number this page has shown, so a new one can replace it
  let targets: string[] = [];
  let beatEvery = 60;
  let timer: ReturnType<typeof setInterval> | undefined;
  let released = false;
  let leasing = false;
  let again = false;

  const url = (path: string) =>
    (opts.api || attr('data-api') || (script && script.src ? new URL(script.src).origin : location.origin)) +
    '/dni/v1/' +
    path;
  const body = (more?: object) => Object.assign({ key, sid }, more);
  const allowed = () =>
    consent !== false && (consent || !(opts.requireConsent || attr('data-require-consent') != null));
  const safe = (fn: () => unknown) => {
    try {
      fn();
    } catch {
      // a fault here must never break the page; its own numbers stay
    }
  };
  const tell = (cb: Listener) => safe(() => cb(number, number && formatPhone(parsePhone(number)!)));

  // New or re-rendered content: swap just what changed. Our own writes are dropped with
  // takeRecords(), and a re-scan of swapped text finds nothing to change, so this cannot loop.
  // A page that rewrites our text as fast as we write it gets its way: past a budget of
  // writes in one second the observer stops for good.
  let second = 0;
  let writes = 0; // made by the observer in the current second
  const observer = new MutationObserver((records) => {
    const before = swapper.stats.writes;
    if (number)
      for (const r of records)
        for (const n of r.type == 'childList' ? Array.from(r.addedNodes) : [r.target])
          safe(() => swapper.node(n));
    observer.takeRecords();
    if (Date.now() - second > 1000) {
      second = Date.now();
      writes = 0;
    }
    if ((writes += swapper.stats.writes - before) > MAX_OBSERVED_WRITES) observer.disconnect();
  });
  observer.observe(d.documentElement, {
    childList: true,
    subtree: true,
    characterData: true,
    attributeFilter: ['href'],
  });

  /** Swaps an element or the whole page; the records of our own writes are not news. */
  function sweep(el?: Element): void {
    if (el) swapper.root(el);
    else swapper.all(d);
    observer.takeRecords();
  }

  /** Records what the page shows now, reveals the numbers and tells listeners of a change. */
  function settle(n: string | null): void {
    d.documentElement.classList.remove(PENDING);
    if (settled && n == number) return;
    settled = true;
    number = n;
    listeners.forEach(tell);
  }

  /** Writes `n` wherever the page shows a target or a number shown before; null: the first target. */
  function show(n: string | null, tg?: unknown): void {
    if (tg) targets = ([] as string[]).concat(tg as string[]);
    const to = parsePhone(n || targets[0]);
    if (to && (n || number)) {
      swapper.set(to, targets.concat(shown));
      sweep();
      if (!shown.includes(to.e164)) shown.push(to.e164);
    }
    settle(n && to && to.e164);
  }

  /** Remembers the lease; the server's ttl is in seconds, the stored expiry in epoch ms. */
  function save(ttl: unknown): void {
    if (store && sid && allowed())
      store.write({ sid, number, targets, exp: Date.now() + seconds(ttl, 300) * 1000 });
  }

  /** One lease request at a time: a second one (new tags) waits, so it carries the sid. */
  async function lease(): Promise<void> {
    if (leasing) return void (again = true);
    leasing = true;
    const [status, o] = (await post(url('lease'), body({ page, ref, params, tags }))) as [number, Answer];
    if (allowed())
      if (status == 200 && SID.test(o.sid!) && (o.number === null || parsePhone(o.number))) {
        sid = o.sid;
        released = false;
        show(o.number!, o.targets || []);
        save(o.ttl);
        beatEvery = seconds(o.heartbeat, 60);
        schedule();
      } else settle(number); // keep the page's numbers, or a stored lease that is still valid
    leasing = false;
    if (again) {
      again = false;
      void lease();
    }
  }

  async function beat(): Promise<void> {
    const [status, o] = (await post(url('heartbeat'), body())) as [number, Answer];
    if (!number || !allowed()) return;
    if (status == 404 && o.code == 'DNI_LEASE_GONE') return lease(); // same sid: maybe the same number
    if (status == 200 && parsePhone(o.number)) {
      show(o.number!);
      save(o.ttl);
    }
  }

  /** Heartbeats run only while the page is visible and a number is leased. */
  function schedule(): void {
    clearInterval(timer);
    if (number && d.visibilityState != 'hidden') timer = setInterval(beat, beatEvery * 1000);
  }

  function onHidden(): void {
    clearInterval(timer);
    if (number && !released && allowed()) {
      released = true;
      beacon(url('release'), body());
    }
  }

  function onVisible(): void {
    // After a release the lease may be gone: the beat's 404 leads to a new lease, same sid.
    if (released && number) void beat();
    released = false;
    schedule();
  }

  function start(): void {
    if (started || !key || crawler || !ready || !allowed()) return;
    started = true;
    store = createStore(key, opts.cookieDomain);
    const saved = store.read();
    if (saved) {
      sid = saved.sid;
      // Same visitor within the lease: show the number at once, then renew it.
      if (saved.exp > Date.now() && parsePhone(saved.number)) show(saved.number, saved.targets);
    }
    void lease();
  }

  const commands: Record<string, (a: unknown) => void> = {
    config(o) {
      Object.assign(opts, o);
    },
    tags(o) {
      mergeTags(tags, o);
      if (started) void lease(); // same sid: the server updates the lease it already has
    },
    consent(v) {
      consent = !!v;
      if (consent) return start();
      // Withdrawn: stop talking to the server, forget the visitor, show the page's own numbers.
      clearInterval(timer);
      started = false;
      sid = undefined;
      show(null);
      const s = store || createStore(key || '', opts.cookieDomain);
      if (s.read()) s.clear();
    },
    number(cb) {
      listeners.push(cb as Listener);
      if (settled) tell(cb as Listener);
    },
    swap(target) {
      if (number)
        for (const el of typeof target == 'string'
          ? Array.from(d.querySelectorAll(target))
          : [target || d.body])
          sweep(el as Element);
    },
  };

  const api: Api = (command, arg) => safe(() => commands[command](arg));
  api.v = VERSION;
  /** Swap timings and write count, for tests and the curious. */
  api.stats = swapper.stats;
  w.cbdni = api;

  // Calls queued by the loader before this script arrived; then a forwarder, so a page
  // that kept a reference to the stub still reaches the real API.
  const call = (args: ArrayLike<unknown>) => api(args[0] as string, args[1]);
  if (stub) {
    Array.from((stub.q || []) as ArrayLike<unknown>[]).forEach(call);
    stub.q = { push: call };
  }

  // Single-page apps: the router changes the URL, then renders; sweep once it has.
  const navigated = () => setTimeout(() => number && safe(sweep), 50);
  for (const m of ['pushState', 'replaceState'] as const) {
    const orig = history[m];
    history[m] = function (this: History, ...a: Parameters<History['pushState']>) {
      navigated();
      return orig.apply(this, a);
    };
  }
  w.addEventListener('popstate', navigated);

  d.addEventListener('visibilitychange', () => safe(d.visibilityState == 'hidden' ? onHidden : onVisible));
  w.addEventListener('pagehide', () => safe(onHidden));

  // Dial intent: a tap on a tel: link showing the visitor's number, sent before the dialer opens.
  d.addEventListener(
    'click',
    (e) =>
      safe(() => {
        const a = (e.target as Element).closest('a[href]');
        if (a && number && allowed() && isTelTo(a.getAttribute('href')!, makeMatcher([number])!))
          beacon(url('click'), body({ number }));
      }),
    true,
  );

  ready = true;
  start();
  // No lease coming (crawler, no key, waiting for consent): the page's own numbers are final.
  if (!started) settle(null);
}

try {
  boot(window, document);
} catch {
  // leave the page exactly as it was
}
