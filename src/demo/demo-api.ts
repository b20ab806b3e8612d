// A small client of the service's public HTTP API for the demo: the seeding, the simulated visitors and
// the terminal line use the same endpoints a user, a browser snippet or a dashboard would, so the demo
// shows the product rather than shortcuts around it.

export class DemoApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    const detail =
      body && typeof body === 'object' && 'message' in body
        ? `${(body as { code?: string }).code ?? ''} ${String((body as { message: unknown }).message)}`.trim()
        : typeof body === 'string'
          ? body.slice(0, 200)
          : JSON.stringify(body);
    super(`${method} ${path} answered ${status}: ${detail}`);
    this.name = 'DemoApiError';
  }

  get code(): string | undefined {
    const body = this.body as { code?: unknown } | null;
    return body && typeof body.code === 'string' ? body.code : undefined;
  }
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export class DemoApi {
  constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** The same client signed in with a dashboard session cookie. */
  withCookie(cookie: string): DemoApi {
    return new DemoApi(this.baseUrl, { ...this.headers, cookie });
  }

  /** Any answer, parsed as JSON when it is JSON. */
  async send<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<ApiAnswer<T>> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: {
        ...this.headers,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        /* keep the text */
      }
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /** A 2xx answer's body; anything else throws a DemoApiError naming the request. */
  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.send<T>(method, path, body);
    if (r.status < 200 || r.status > 299) throw new DemoApiError(method, path, r.status, r.body);
    return r.body;
  }

  get<T = any>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }
  post<T = any>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }
  patch<T = any>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }

  /** Every item of a paginated list (GET path?page=&limit=200). */
  async all<T = any>(path: string): Promise<T[]> {
    const out: T[] = [];
    const sep = path.includes('?') ? '&' : '?';
    for (let page = 1; ; page++) {
      const r = await this.get<{ items: T[]; total: number }>(`${path}${sep}page=${page}&limit=200`);
      out.push(...r.items);
      if (r.items.length < 200 || out.length >= r.total) return out;
    }
  }

  /** Signs in like the login page does; the session cookie, or undefined for wrong credentials. */
  async login(email: string, password: string): Promise<string | undefined> {
    const r = await this.send('POST', '/auth/login', { email, password });
    if (r.status === 401) return undefined;
    if (r.status !== 200) throw new DemoApiError('POST', '/auth/login', r.status, r.body);
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
    if (!cookie) throw new Error('POST /auth/login set no session cookie');
    return cookie;
  }
}
