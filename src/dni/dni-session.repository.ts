// Visitor sessions (attribution) in Redis, the click and repeat-caller pointers, the queue of
// sessions waiting for ClickHouse, and the ClickHouse dni_session table itself.
import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseService } from '../infra/clickhouse/clickhouse.service';
import { RedisService } from '../infra/redis/redis.service';
import { redisKeys } from '../infra/redis/redis-keys';
import { DniRedisTurn } from './dni-redis-turn';

export interface VisitAttribution {
  landingPage: string;
  referrer: string;
  utm: { source: string; medium: string; campaign: string; term: string; content: string };
  clickIds: {
    gclid: string;
    gbraid: string;
    wbraid: string;
    msclkid: string;
    fbclid: string;
    ttclid: string;
  };
  tags: Record<string, string>;
}

export interface DniSession extends VisitAttribution {
  sid: string;
  tenantId: string;
  campaignId: string;
  publisherId: string | null;
  poolId: string | null;
  number: string | null;
  overflow: boolean;
  userAgent: string;
  leasedAt: number;
  lastSeenAt: number;
}

const CLICK_TTL_S = 120;
const NEWLINE = Buffer.from('\n');
/** How every row clickHouseRow makes begins (object keys keep their order in JSON). */
const ROW_START = Buffer.from('{"session_id":');

/** The second `isoSecondText` was made for, and its text ("2026-01-02 03:04:05"). */
let isoSecond = NaN;
let isoSecondText = '';

/**
 * A UTC time as ClickHouse's DateTime64(3) text ("2026-01-02 03:04:05.678"). The date and time of
 * the last second asked for are kept: a session row has two times, usually the same second.
 */
function iso(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoSecondText = new Date(second * 1000).toISOString().slice(0, 19).replace('T', ' ');
  }
  const milli = ms - second * 1000;
  return `${isoSecondText}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}`;
}

/** The session as a dni_session row; `session_id` must stay the first key (see ROW_START). */
function clickHouseRow(s: DniSession): Record<string, unknown> {
  return {
    session_id: s.sid,
    tenant_id: s.tenantId,
    campaign_id: s.campaignId,
    publisher_id: s.publisherId,
    pool_id: s.poolId,
    tracking_number: s.number ?? '',
    overflow: s.overflow,
    landing_page: s.landingPage,
    referrer: s.referrer,
    utm_source: s.utm.source,
    utm_medium: s.utm.medium,
    utm_campaign: s.utm.campaign,
    utm_term: s.utm.term,
    utm_content: s.utm.content,
    gclid: s.clickIds.gclid,
    gbraid: s.clickIds.gbraid,
    wbraid: s.clickIds.wbraid,
    msclkid: s.clickIds.msclkid,
    fbclid: s.clickIds.fbclid,
    ttclid: s.clickIds.ttclid,
    tags: s.tags,
    user_agent: s.userAgent,
    leased_at: iso(s.leasedAt),
    last_seen_at: iso(s.lastSeenAt),
    version: s.lastSeenAt,
  };
}

/** A session read waiting for the end of the turn. */
interface QueuedRead {
  sid: string;
  resolve(session: DniSession | undefined): void;
  reject(e: unknown): void;
}

const parseSession = (raw: unknown): DniSession | undefined =>
  typeof raw === 'string' && raw ? (JSON.parse(raw) as DniSession) : undefined;

@Injectable()
export class DniSessionRepository {
  /** Session reads and export rows of this turn, sent as one MGET and one RPUSH (see flushTurn). */
  private reads: QueuedRead[] = [];
  private rows: string[] = [];
  private rowsDone: ((error: Error | null) => void)[] = [];

  constructor(
    private readonly redis: RedisService,
    private readonly clickhouse: ClickHouseService,
    private readonly turn: DniRedisTurn,
  ) {
    turn.beforeEachSend(this.flushTurn);
  }

  async get(sid: string): Promise<DniSession | undefined> {
    const raw = await this.redis.client.get(redisKeys.dniSession(sid));
    return raw ? (JSON.parse(raw) as DniSession) : undefined;
  }

  /** `get` for the lease path: the read leaves with this turn's lease calls (DniRedisTurn). */
  getInTurn(sid: string): Promise<DniSession | undefined> {
    return new Promise((resolve, reject) => {
      this.turn.schedule();
      this.reads.push({ sid, resolve, reject });
    });
  }

  /**
   * Stores the session for the attribution window and queues its ClickHouse row, already in
   * JSONEachRow form, so the exporter sends the queue's bytes as they are. Both leave with this
   * turn's lease calls; the promise settles once both are done.
   */
  save(session: DniSession, ttlSeconds: number): Promise<void> {
    const value = JSON.stringify(session);
    const row = JSON.stringify(clickHouseRow(session));
    return new Promise<void>((resolve, reject) => {
      let pending = 2;
      let failed = false;
      const done = (error: Error | null) => {
        if (failed) return;
        if (error) {
          failed = true;
          reject(error);
        } else if (--pending === 0) resolve();
      };
      this.turn.add((p) => p.set(redisKeys.dniSession(session.sid), value, 'EX', ttlSeconds), done);
      this.rows.push(row);
      this.rowsDone.push(done);
    });
  }

  /**
   * Adds the turn's session reads and export rows to the turn's pipeline: one MGET for all the
   * reads and one RPUSH for all the rows, instead of a command each (each command costs the client
   * and Redis more than the few keys it carries). Like the pipeline itself, the MGET assumes the
   * single Redis node RedisService connects to (session keys of different sids are in different
   * hash slots).
   */
  private readonly flushTurn = (): void => {
    if (this.reads.length > 0) {
      const reads = this.reads;
      this.reads = [];
      const keys = reads.map((r) => redisKeys.dniSession(r.sid));
      this.turn.add(
        (p) => (keys.length === 1 ? p.get(keys[0]) : p.mget(keys)),
        (error, reply) => {
          for (let i = 0; i < reads.length; i++) {
            if (error) reads[i].reject(error);
            else {
              try {
                reads[i].resolve(parseSession(keys.length === 1 ? reply : (reply as unknown[])[i]));
              } catch (e) {
                reads[i].reject(e);
              }
            }
          }
        },
      );
    }
    if (this.rows.length > 0) {
      const rows = this.rows;
      const done = this.rowsDone;
      this.rows = [];
      this.rowsDone = [];
      this.turn.add(
        (p) => p.rpush(redisKeys.dniExportQueue(), ...rows),
        (error) => {
          for (const d of done) d(error);
        },
      );
    }
  };

  async touch(sid: string, ttlSeconds: number): Promise<void> {
    await this.redis.client.expire(redisKeys.dniSession(sid), ttlSeconds);
  }

  async recordClick(number: string, sid: string): Promise<void> {
    await this.redis.client.set(redisKeys.dniClick(number), sid, 'EX', CLICK_TTL_S);
  }

  clickedBy(number: string): Promise<string | null> {
    return this.redis.client.get(redisKeys.dniClick(number));
  }

  async rememberCaller(tenantId: string, caller: string, sid: string, ttlSeconds: number): Promise<void> {
    await this.redis.client.set(redisKeys.dniCaller(tenantId, caller), sid, 'EX', ttlSeconds);
  }

  lastSessionOfCaller(tenantId: string, caller: string): Promise<string | null> {
    return this.redis.client.get(redisKeys.dniCaller(tenantId, caller));
  }

  /** Takes up to `max` queued rows, as bytes (the caller re-queues them if the insert fails). */
  async takeExportBatch(max: number): Promise<Buffer[]> {
    return (await this.redis.client.lpopBuffer(redisKeys.dniExportQueue(), max)) ?? [];
  }

  /** Puts rows taken by takeExportBatch back at the head of the queue, in their order. */
  async requeue(rows: Buffer[]): Promise<void> {
    if (rows.length) await this.redis.client.lpush(redisKeys.dniExportQueue(), ...[...rows].reverse());
  }

  /**
   * Inserts queued rows into dni_session without decoding them. Entries queued by an older version
   * (a whole session as JSON) are converted; entries that are not JSON at all are dropped, so one
   * bad entry cannot hold the queue up. Returns how many were dropped.
   */
  async insertClickHouse(rows: Buffer[]): Promise<number> {
    const parts: Buffer[] = [];
    let dropped = 0;
    for (const raw of rows) {
      if (raw.subarray(0, ROW_START.length).equals(ROW_START)) parts.push(raw, NEWLINE);
      else {
        try {
          const session = JSON.parse(raw.toString('utf8')) as DniSession;
          parts.push(Buffer.from(JSON.stringify(clickHouseRow(session))), NEWLINE);
        } catch {
          dropped++;
        }
      }
    }
    if (parts.length === 0) return dropped;
    const result = await this.clickhouse.client.exec({
      query: `INSERT INTO ${this.clickhouse.table('dni_session')} FORMAT JSONEachRow`,
      values: Readable.from([Buffer.concat(parts)], { objectMode: false }),
    });
    // An INSERT answers with an empty body; reading it to the end frees the connection.
    result.stream.resume();
    await finished(result.stream);
    return dropped;
  }

  async countClickHouse(tenantId: string): Promise<number> {
    const r = await this.clickhouse.client.query({
      query: `SELECT count() AS c FROM ${this.clickhouse.table('dni_session')} FINAL WHERE tenant_id = {t:UUID}`,
      query_params: { t: tenantId },
      format: 'JSONEachRow',
    });
    const rows = await r.json<{ c: string | number }>();
    return Number(rows[0]?.c ?? 0);
  }
}
