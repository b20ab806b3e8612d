// One instance per DATA_DIR: embedded PostgreSQL, Redis and chDB files must never be opened by two
// processes at once. The lock file holds the owner's pid; a lock whose owner is gone is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `DATA_DIR ${dir} is in use by another running instance (pid ${pid}). ` +
        'Stop it first, or point this one at another DATA_DIR, or set DATABASE_URL / REDIS_URL / CLICKHOUSE_URL to shared servers.',
    );
    this.name = 'DataDirLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDirLock {
  private held = false;
  private readonly file: string;

  constructor(private readonly dir: string) {
    this.file = join(dir, 'instance.lock');
  }

  acquire(): void {
    mkdirSync(this.dir, { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.file, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.held = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = Number.parseInt(readFileSync(this.file, 'utf8').trim(), 10);
        if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
          throw new DataDirLockedError(this.dir, owner);
        }
        unlinkSync(this.file); // stale lock from a crashed instance
      }
    }
    throw new Error(`could not lock ${this.file}`);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      unlinkSync(this.file);
    } catch {
      /* already gone */
    }
  }
}
