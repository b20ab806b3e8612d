// Pixels and their delivery log in PostgreSQL. A delivery row is unique per pixel, call and event: that
// unique key is what makes firing idempotent (a re-exported CDR, a second worker, the live poller and
// the export both seeing a call) — only the insert that creates the row queues a request.
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PixelEvent } from './pixel-context';
import { type DeliveryAttempt, PixelDeliveryEntity, type DeliveryStatus } from './pixel-delivery.entity';
import { PixelEntity } from './pixel.entity';

export interface NewDelivery {
  id: string;
  tenantId: string;
  pixelId: string;
  callId: string;
  event: PixelEvent;
  method: string;
  url: string;
  body: string | null;
  contentType: string | null;
}

export interface DeliveryFilter {
  pixelId?: string;
  callId?: string;
  status?: DeliveryStatus;
  event?: PixelEvent;
}

const MAX_HISTORY = 20;

@Injectable()
export class PixelsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get pixels() {
    return this.db.getRepository(PixelEntity);
  }

  private get deliveries() {
    return this.db.getRepository(PixelDeliveryEntity);
  }

  save(p: Partial<PixelEntity>): Promise<PixelEntity> {
    return this.pixels.save(p);
  }

  findOne(tenantId: string, id: string): Promise<PixelEntity | null> {
    return this.pixels.findOneBy({ tenantId, id });
  }

  list(tenantId: string, skip: number, take: number): Promise<[PixelEntity[], number]> {
    return this.pixels.findAndCount({
      where: { tenantId },
      order: { createdAt: 'DESC', id: 'ASC' },
      skip,
      take,
    });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const r = await this.pixels.delete({ tenantId, id });
    return (r.affected ?? 0) > 0;
  }

  /** Enabled pixels of these tenants. */
  enabledFor(tenantIds: string[]): Promise<PixelEntity[]> {
    if (tenantIds.length === 0) return Promise.resolve([]);
    return this.db
      .getRepository(PixelEntity)
      .createQueryBuilder('p')
      .where('p.tenant_id = ANY(:ids) AND p.enabled', { ids: tenantIds })
      .getMany();
  }

  /** Tenants with an enabled pixel on an event fired while calls are up (incoming, connected). */
  async tenantsWithLivePixels(): Promise<string[]> {
    const rows: Array<{ tenant_id: string }> = await this.db.query(
      `SELECT DISTINCT tenant_id FROM pixels WHERE enabled AND events && ARRAY['incoming', 'connected']::text[]`,
    );
    return rows.map((r) => r.tenant_id);
  }

  async ownedBy(tenantId: string, table: 'campaigns' | 'publishers', id: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(`SELECT 1 FROM ${table} WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
    return rows.length > 0;
  }

  /** Inserts the deliveries that do not exist yet (pixel, call, event); returns the ids created. */
  async insertDeliveries(rows: NewDelivery[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const col = <K extends keyof NewDelivery>(k: K) => rows.map((r) => r[k]);
    const created: Array<{ id: string }> = await this.db.query(
      `INSERT INTO pixel_deliveries (id, tenant_id, pixel_id, call_id, event, method, url, body, content_type)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[],
                            $8::text[], $9::text[])
       ON CONFLICT (pixel_id, call_id, event) DO NOTHING
       RETURNING id`,
      [
        col('id'),
        col('tenantId'),
        col('pixelId'),
        col('callId'),
        col('event'),
        col('method'),
        col('url'),
        col('body'),
        col('contentType'),
      ],
    );
    return created.map((r) => r.id);
  }

  /** A delivery with its pixel (for the secret and headers), or null when either is gone. */
  async deliveryWithPixel(id: string): Promise<{ delivery: PixelDeliveryEntity; pixel: PixelEntity } | null> {
    const delivery = await this.deliveries.findOneBy({ id });
    if (!delivery) return null;
    const pixel = await this.pixels.findOneBy({ id: delivery.pixelId });
    return pixel ? { delivery, pixel } : null;
  }

  /** Appends an attempt; `status` moves the delivery to delivered/failed (or leaves it pending). */
  async recordAttempt(id: string, attempt: DeliveryAttempt, status: DeliveryStatus): Promise<void> {
    await this.db.query(
      `UPDATE pixel_deliveries SET
         attempts = attempts + 1,
         status = $2,
         response_status = $3,
         response_ms = $4,
         last_error = $5,
         history = (CASE WHEN jsonb_array_length(history) >= $7 THEN history - 0 ELSE history END) || $6::jsonb,
         updated_at = now(),
         delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END
       WHERE id = $1 AND status = 'pending'`,
      [id, status, attempt.status, attempt.ms, attempt.error, JSON.stringify([attempt]), MAX_HISTORY],
    );
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.db.query(
      `UPDATE pixel_deliveries SET status = 'failed', last_error = $2, updated_at = now()
       WHERE id = $1 AND status = 'pending'`,
      [id, error],
    );
  }

  /** Pending deliveries not touched for `olderThanMs` (their job may be lost). */
  async stalePending(olderThanMs: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM pixel_deliveries
       WHERE status = 'pending' AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY updated_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((r) => r.id);
  }

  async touch(id: string): Promise<void> {
    await this.db.query(`UPDATE pixel_deliveries SET updated_at = now() WHERE id = $1`, [id]);
  }

  listDeliveries(
    tenantId: string,
    f: DeliveryFilter,
    skip: number,
    take: number,
  ): Promise<[PixelDeliveryEntity[], number]> {
    return this.deliveries.findAndCount({
      where: {
        tenantId,
        ...(f.pixelId ? { pixelId: f.pixelId } : {}),
        ...(f.callId ? { callId: f.callId } : {}),
        ...(f.status ? { status: f.status } : {}),
        ...(f.event ? { event: f.event } : {}),
      },
      order: { createdAt: 'DESC', id: 'ASC' },
      skip,
      take,
    });
  }
}
