// Talks to the DNI endpoints. Bodies are JSON in a plain string, which fetch and
// sendBeacon send as text/plain;charset=UTF-8: a "simple" cross-origin request, so
// no CORS preflight. Nothing here rejects: a failure (network, timeout, HTTP error
// without a JSON body, bad JSON) is status 0 and the page keeps its own numbers.

/** HTTP status (0: no answer in time, network error, or a body that is not JSON) and body. */
export type Reply = [number, Record<string, unknown>];

export const TIMEOUT_MS = 2500;

export function post(url: string, body: object): Promise<Reply> {
  const ctrl = new AbortController();
  setTimeout(() => ctrl.abort(), TIMEOUT_MS);
  return fetch(url, { method: 'POST', body: JSON.stringify(body), signal: ctrl.signal })
    .then((r) => r.json().then((json: Record<string, unknown> | null): Reply => [r.status, json || {}]))
    .catch((): Reply => [0, {}]);
}

/** Fire-and-forget that survives the page going away (release on pagehide, dial clicks). */
export function beacon(url: string, body: object): void {
  const data = JSON.stringify(body);
  if (!(navigator.sendBeacon && navigator.sendBeacon(url, data)))
    fetch(url, { method: 'POST', body: data, keepalive: true }).catch(() => undefined);
}
