// A redis-server child process for the embedded default. Uses the system binary; on Debian/Ubuntu
// as root it is installed with apt-get when missing, elsewhere the error says how to install it.
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { redisConnectionOptions } from '../redis/redis-url';
import { freePort } from './free-port';

function findRedisServer(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status === 0 && path) return path;
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server']) {
    if (existsSync(p)) return p;
  }
  return undefined;
}

function installWithApt(log: (msg: string) => void): void {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) {
    throw new Error(
      'redis-server was not found. Install Redis (Debian/Ubuntu: `sudo apt-get install -y redis-server`; ' +
        'macOS: `brew install redis`) or set REDIS_URL to a running server.',
    );
  }
  log('redis-server not found: installing it with apt-get (Debian/Ubuntu, running as root)');
  // The child inherits the environment (PATH, proxies); this is not configuration.
  // eslint-disable-next-line no-restricted-properties
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'ignore', env });
}

export class EmbeddedRedis {
  private child?: ChildProcess;
  private exited?: Promise<void>;

  constructor(
    private readonly dir: string,
    private readonly log: (msg: string) => void,
  ) {}

  async start(): Promise<string> {
    let bin = findRedisServer();
    if (!bin) {
      installWithApt(this.log);
      bin = findRedisServer();
      if (!bin) throw new Error('redis-server is still missing after apt-get install');
    }
    mkdirSync(this.dir, { recursive: true });
    const port = await freePort();
    // The app connects through a Unix socket when its path fits (sun_path holds 107 bytes): on a
    // loopback TCP connection every write also runs the server's receiving TCP work in the writer's
    // system call. The TCP port stays open for redis-cli and other tools.
    const socket = resolve(this.dir, 'redis.sock');
    const viaSocket = Buffer.byteLength(socket) <= 100;
    const child = spawn(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '',
        // The AOF is rewritten when it passes this size (and has doubled since the last rewrite). Live
        // calls append ~23 KB per call (each commit stores the call's state), so Redis's 64 MB default
        // meant a rewrite every ~13 s at 200 calls/s; each one starts with a forced write of the AOF
        // buffer that waits out a background fsync in progress, which held every reply for up to
        // 260 ms in the webhook bench. At 512 MB a rewrite comes every ~100 s at that rate.
        '--auto-aof-rewrite-min-size',
        '512mb',
        '--daemonize',
        'no',
        '--protected-mode',
        'yes',
        '--logfile',
        join(this.dir, 'redis.log'),
        ...(viaSocket ? ['--unixsocket', socket, '--unixsocketperm', '700'] : []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const url = viaSocket
      ? `unix://${socket.split('/').map(encodeURIComponent).join('/')}`
      : `redis://127.0.0.1:${port}`;
    await this.waitReady(url);
    return url;
  }

  private async waitReady(url: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) {
        throw new Error(
          `redis-server exited with code ${this.child.exitCode}; see ${join(this.dir, 'redis.log')}`,
        );
      }
      const probe = new Redis({
        ...redisConnectionOptions(url),
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        // AOF replay finishes before the server answers PING with PONG.
        if ((await probe.ping()) === 'PONG') {
          probe.disconnect();
          return;
        }
      } catch (e) {
        lastError = e;
      }
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not become ready: ${String(lastError)}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM'); // redis flushes the AOF and exits on SIGTERM
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
