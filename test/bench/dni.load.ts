// Load script for the DNI benchmark (runs in the load worker): returning visitors renew, every 8th
// request is a new visitor; records which visitors each number was handed to.
import { randomBytes } from 'node:crypto';
import type { LoadScript } from './load-worker';

export function create(arg: { key: string; visitors: string[]; bare?: boolean }): LoadScript {
  const sids: string[] = [];
  const holders = new Map<string, Set<string>>();
  const body = (sid: string) =>
    JSON.stringify({
      key: arg.key,
      sid,
      page: 'https://landing.example.com/quote?utm_source=google&utm_medium=cpc&gclid=abc123',
      ref: 'https://www.google.com/',
      params: { utm_source: 'google', utm_medium: 'cpc', gclid: 'abc123' },
    });
  return {
    makeRequest(i) {
      const sid = i % 8 === 7 ? randomBytes(16).toString('base64url') : arg.visitors[i % arg.visitors.length];
      sids[i] = sid;
      return {
        method: 'POST',
        path: '/dni/v1/lease',
        body: body(sid),
        headers: { 'content-type': 'text/plain' },
      };
    },
    onResponse(i, status, text) {
      if (status !== 200 || arg.bare) return;
      const { number } = JSON.parse(text) as { number: string | null };
      if (!number) return;
      const set = holders.get(number) ?? new Set<string>();
      set.add(sids[i]);
      holders.set(number, set);
    },
    summary() {
      return {
        doubles: [...holders.values()].filter((s) => s.size > 1).length,
        numbers: holders.size,
      };
    },
  };
}
