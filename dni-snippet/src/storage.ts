// Where the visitor's session id and current lease survive between page views:
// localStorage (this origin), a cookie on the registrable domain (so subdomains
// share the number), and memory when both are blocked. Every access is guarded:
// Safari private mode, sandboxed iframes and strict privacy settings throw.

export interface Saved {
  sid: string;
  number: string | null;
  targets: string[];
  /** lease expiry, epoch milliseconds (the server's ttl is in seconds) */
  exp: number;
}

export interface Store {
  /** What localStorage holds, else the cookie (another subdomain may have set it), else memory. */
  read(): Saved | null;
  write(s: Saved): void;
  clear(): void;
}

export const SID = /^[\w-]{16,64}$/;
/** How long the visitor id is remembered (seconds); the lease inside expires much sooner. */
export const VISITOR_MAX_AGE = 30 * 86400;

export function decodeSaved(raw: string | null | undefined): Saved | null {
  try {
    const o = JSON.parse(raw!) as Saved;
    return SID.test(o.sid) && o.exp > 0 ? o : null;
  } catch {
    return null;
  }
}

/**
 * Cookie domains to try, shortest first: "www.shop.example.co.uk" → "co.uk", "example.co.uk",
 * ... The browser refuses public suffixes, so the first one that sticks is the registrable
 * domain. IP addresses and single-label hosts get a host-only cookie.
 */
export function domainCandidates(host: string): string[] {
  if (/^[\d.]+$|:/.test(host)) return [];
  const labels = host.split('.');
  const out: string[] = [];
  for (let i = labels.length - 1; i--;) out.push(labels.slice(i).join('.'));
  return out;
}

const attempt = <T>(fn: () => T): T | null => {
  try {
    return fn();
  } catch {
    return null;
  }
};

export function createStore(key: string, cookieDomain?: string | null): Store {
  const name = 'cbdni_' + key.replace(/\W/g, '');
  let mem: Saved | null = null;
  let domain: string | undefined;
  const set = (k: string, v: string, maxAge: number, d: string) =>
    (document.cookie =
      k +
      '=' +
      v +
      ';path=/;max-age=' +
      maxAge +
      (location.protocol == 'https:' ? ';secure' : '') +
      (d ? ';domain=' + d : ''));
  const cookie = (value: string, maxAge: number) =>
    attempt(() => {
      if (domain == null) {
        domain = cookieDomain || '';
        for (const d of cookieDomain ? [] : domainCandidates(location.hostname)) {
          set('cbdni_probe', '1', 9, d);
          if (document.cookie.includes('cbdni_probe=1')) {
            set('cbdni_probe', '', 0, (domain = d));
            break;
          }
        }
      }
      set(name, value, maxAge, domain);
    });

  return {
    read() {
      return (
        decodeSaved(attempt(() => localStorage.getItem(name))) ||
        decodeSaved(
          attempt(() => decodeURIComponent(document.cookie.match('(?:^|; )' + name + '=([^;]*)')![1])),
        ) ||
        mem
      );
    },
    write(s) {
      mem = s;
      const v = JSON.stringify(s);
      attempt(() => localStorage.setItem(name, v));
      cookie(encodeURIComponent(v), VISITOR_MAX_AGE);
    },
    clear() {
      mem = null;
      attempt(() => localStorage.removeItem(name));
      cookie('', 0);
    },
  };
}
