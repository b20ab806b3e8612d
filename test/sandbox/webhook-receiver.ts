// A stand-in for the app's POST /webhooks/telnyx: records every delivery (raw body, headers, parsed JSON)
// and answers with whatever the test's responder says (status, delay), so tests can fail deliveries on purpose.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  rawBody: string;
  headers: Record<string, string>;
  body: {
    data: {
      id: string;
      event_type: string;
      occurred_at: string;
      record_type: string;
      payload: Record<string, any>;
    };
    meta: { attempt: number; delivered_to: string };
  };
  /** Arrival index across the receiver. */
  seq: number;
}

export type Responder = (webhook: ReceivedWebhook) => { status?: number; delayMs?: number } | void;

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  responder: Responder = () => undefined;
  private readonly server: Server;
  private readonly listeners = new Set<(w: ReceivedWebhook) => void>();
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const webhook: ReceivedWebhook = {
          rawBody,
          headers: flatHeaders(req.headers),
          body: JSON.parse(rawBody) as ReceivedWebhook['body'],
          seq: this.received.length,
        };
        const answer = this.responder(webhook) ?? {};
        const reply = (): void => {
          res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        };
        this.received.push(webhook);
        for (const listener of [...this.listeners]) listener(webhook);
        if (answer.delayMs) {
          const timer = setTimeout(() => {
            this.pendingTimers.delete(timer);
            reply();
          }, answer.delayMs);
          this.pendingTimers.add(timer);
        } else {
          reply();
        }
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/webhooks/telnyx`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const timer of this.pendingTimers) clearTimeout(timer);
    this.pendingTimers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Resolves with the first delivery (already received or future) that matches. */
  waitFor(
    predicate: (w: ReceivedWebhook) => boolean,
    timeoutMs = 5000,
    what = 'webhook',
  ): Promise<ReceivedWebhook> {
    const found = this.received.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const listener = (w: ReceivedWebhook): void => {
        if (!predicate(w)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(w);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        const seen = this.received.map((w) => `${w.body.data.event_type}#${w.body.meta.attempt}`).join(', ');
        reject(new Error(`timed out waiting for ${what}; received: ${seen}`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  /** Waits for an event of this type on this call leg (first attempt or any). */
  event(eventType: string, callControlId?: string, timeoutMs = 5000): Promise<ReceivedWebhook> {
    return this.waitFor(
      (w) =>
        w.body.data.event_type === eventType &&
        (callControlId === undefined || w.body.data.payload.call_control_id === callControlId),
      timeoutMs,
      `${eventType}${callControlId ? ` on ${callControlId}` : ''}`,
    );
  }

  /** Event types received for one leg, first deliveries only, in arrival order. */
  typesFor(callControlId: string): string[] {
    return this.received
      .filter((w) => w.body.data.payload.call_control_id === callControlId && w.body.meta.attempt === 1)
      .map((w) => w.body.data.event_type);
  }
}
