// A hot route served straight from node:http, ahead of the framework that owns the server: the
// route's requests skip Fastify's per-request work (hooks, an async resource around body parsing,
// routing, reply serialisation); every other request reaches the server's listeners as before.
// Used by the Telnyx webhook route and by the sandbox carrier's Call Control commands.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Handles the request and returns true, or returns false (without touching it) to pass it on. */
export type TakeRequest = (req: IncomingMessage, res: ServerResponse) => boolean;

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Puts `take` in front of the server's current 'request' listeners. */
export function serveAhead(server: Server, take: TakeRequest): void {
  const others = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!take(req, res)) for (const listener of others) listener.call(server, req, res);
  });
}
