// REDIS_URL forms: redis://[user:password@]host[:port][/db], rediss://… (TLS), and
// unix:///absolute/path/redis.sock[?db=N&password=…] for a server on the same machine. The embedded
// default connects through its Unix socket: a loopback TCP write also runs the receiving side's TCP
// work in the writer's system call, so each batch written to a local server costs more over TCP
// (see EmbeddedRedis).
import type { RedisOptions } from 'ioredis';

/** Connection options (where and who) for ioredis and BullMQ from one of the URL forms above. */
export function redisConnectionOptions(url: string): RedisOptions {
  const u = new URL(url);
  const dbOf = (s: string | null | undefined): number => {
    const n = s ? Number(s) : 0;
    if (!Number.isInteger(n) || n < 0) throw new Error(`Redis URL: database must be a number, got "${s}"`);
    return n;
  };
  const secret = (s: string) => (s ? decodeURIComponent(s) : undefined);
  if (u.protocol === 'unix:') {
    if (!u.pathname || u.pathname === '/') throw new Error('Redis URL: unix:// needs a socket path');
    return {
      path: decodeURIComponent(u.pathname),
      username: secret(u.username) ?? u.searchParams.get('username') ?? undefined,
      password: secret(u.password) ?? u.searchParams.get('password') ?? undefined,
      db: dbOf(u.searchParams.get('db')),
    };
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`Redis URL: unsupported protocol ${u.protocol}`);
  }
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: Number(u.port || 6379),
    username: secret(u.username),
    password: secret(u.password),
    db: dbOf(u.pathname.length > 1 ? u.pathname.slice(1) : undefined),
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
}
