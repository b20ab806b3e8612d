// The demo's landing page: a publisher's website on its own origin (as in real life, not the service's),
// carrying the loader tag exactly as GET /campaigns/:id/embed gave it. Opened in a browser, the snippet
// leases a tracking number for that visitor and swaps the page's number. The page also offers a button
// that places a sandbox call to whatever number the page shows, so a person can follow their own call
// into the dashboards.
//   GET  /        the landing page (query parameters are the ad click: cb_pub, utm_*, gclid…)
//   POST /call    { number } → a sandbox caller dials it
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { toE164 } from '../common/phone';
import type { SandboxCarrier } from '../sandbox/carrier';
import { drawCaller } from './demo-traffic';

export interface SiteContent {
  embedHtml: string;
  campaignName: string;
  /** The number printed on the page (E.164); the snippet replaces it. */
  swapNumber: string;
  /** Ad-click links to show on the page, e.g. the same page as another publisher's visitor. */
  links: Array<{ label: string; query: string }>;
}

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function national(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164;
}

export function landingPage(c: SiteContent): string {
  const shown = national(c.swapNumber);
  const links = c.links.map((l) => `<li><a href="/?${escape(l.query)}">${escape(l.label)}</a></li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>QuoteHero – compare auto insurance</title>
${c.embedHtml}
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d2733;background:#f4f6fa}
header{background:#12355b;color:#fff;padding:1.2rem 2rem}main{max-width:46rem;margin:2rem auto;padding:0 1rem}
.call{background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 2px 8px #0001;margin:1.5rem 0}
.big{font-size:2rem;font-weight:700;color:#12355b;text-decoration:none}
button{font:inherit;background:#e4572e;color:#fff;border:0;border-radius:8px;padding:.6rem 1.2rem;cursor:pointer}
small,.note{color:#5b6776}code{background:#e8ecf2;padding:0 .3rem;border-radius:4px}
</style></head>
<body><header><strong>QuoteHero</strong> · ${escape(c.campaignName)}</header>
<main>
<h1>Save up to $610 on car insurance</h1>
<p>Talk to a licensed agent and compare quotes from top insurers in minutes.</p>
<div class="call">
  <div>Call now, free: <a class="big" href="tel:${escape(c.swapNumber)}">${shown}</a></div>
  <p class="note">Your number today: <span data-cb-dni>${shown}</span>.
  The page's own HTML prints <span data-cb-dni-ignore>${shown}</span>; the callbid snippet swaps in the
  tracking number leased for this visit.</p>
  <button id="dial">Call this number (sandbox caller)</button> <small id="dialled"></small>
</div>
<p class="note">This is the callbid demo's landing page. Arrive as another visitor:</p>
<ul>${links}</ul>
</main>
<script>
document.getElementById('dial').addEventListener('click', async () => {
  const out = document.getElementById('dialled');
  const link = document.querySelector('a[href^="tel:"]');
  const number = link ? link.getAttribute('href').slice(4) : '';
  out.textContent = 'dialling ' + number + '…';
  try {
    const r = await fetch('/call', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ number }) });
    const body = await r.json();
    out.textContent = r.ok ? 'a sandbox caller (' + body.from + ') is calling ' + number + ': watch the dashboard' : body.message;
  } catch (e) { out.textContent = String(e); }
});
</script>
</body></html>`;
}

export class DemoSite {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private base = '';

  constructor(
    private readonly content: SiteContent,
    private readonly carrier: SandboxCarrier,
  ) {}

  /** Listens and returns the base URL people open (http://localhost:PORT). */
  async start(host: string, port: number): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const { port: bound } = server.address() as AddressInfo;
    this.base = `http://localhost:${bound}`;
    return this.base;
  }

  get url(): string {
    return this.base;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      const html = landingPage(this.content);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
      return;
    }
    if (req.method === 'POST' && path === '/call') {
      let size = 0;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 4096) chunks.push(c);
      });
      req.on('end', () => this.dial(res, size > 4096 ? null : Buffer.concat(chunks).toString('utf8')));
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    this.json(res, 404, { code: 'NOT_FOUND', message: `No page at ${req.method} ${path}` });
  }

  private dial(res: ServerResponse, text: string | null): void {
    let number: string | undefined;
    try {
      const body = text === null ? null : (JSON.parse(text) as { number?: unknown });
      number = typeof body?.number === 'string' ? toE164(body.number) : undefined;
    } catch {
      number = undefined;
    }
    if (!number) {
      return this.json(res, 400, { code: 'INVALID_NUMBER', message: 'Send {"number": "+1…"}, a US number' });
    }
    const from = drawCaller(Math.random);
    try {
      const call = this.carrier.placeInboundCall({ from, to: number, callerHangupAfterMs: 75_000 });
      this.json(res, 201, { from, to: number, callControlId: call.callControlId });
    } catch (e) {
      this.json(res, 503, { code: 'SANDBOX_STOPPED', message: (e as Error).message });
    }
  }
}
