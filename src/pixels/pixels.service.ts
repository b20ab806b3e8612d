// Conversion pixels: the operator's CRUD, and firing. Firing renders each matching pixel's URL and body
// over the call (Handlebars, values escaped for where they land), stores the request as a delivery row
// (unique per pixel, call and event) and queues one BullMQ job per new row; PixelDeliveryService sends it
// with retries. Finished calls fire from the CDR export (incoming and completed always, connected and
// converted when they happened); calls that are still up fire incoming/connected from LivePixelsService.
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import type { CdrRow } from '../cdr/cdr-row';
import { badRequest, notFound } from '../common/errors';
import { compileTemplate, escapeForContentType, type TemplateEscape } from '../common/templates';
import { defined } from '../common/validators';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import type { CreatePixelDto, UpdatePixelDto } from './dto/pixels.dto';
import { urlProblem } from './pixel-client';
import { contextFromCdr, finalEvents, type PixelContext, type PixelEvent } from './pixel-context';
import { newPixelSecret, RESERVED_HEADERS } from './pixel-signature';
import type { PixelEntity } from './pixel.entity';
import { type NewDelivery, PixelsRepository } from './pixels.repository';

export enum PixelQueue {
  Name = 'pixels',
}
export enum PixelJob {
  Deliver = 'deliver',
}
export interface DeliverJob {
  deliveryId: string;
}

export const deliveryJobId = (deliveryId: string) => `px-${deliveryId}`;

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const MAX_HEADERS = 20;
const DEFAULT_CONTENT_TYPE = 'application/json';

/** A made-up call to check at save time that a URL template yields a URL we may call. */
const SAMPLE: PixelContext = {
  event: 'converted',
  call_id: '00000000-0000-4000-8000-000000000000',
  tenant_id: '00000000-0000-4000-8000-000000000000',
  campaign_id: '00000000-0000-4000-8000-000000000000',
  publisher_id: '00000000-0000-4000-8000-000000000000',
  caller: '+15125550100',
  tracking_number: '+18005550100',
  payout: '10.00',
  revenue: '40.00',
  tags: {},
};

function bodyAllowed(method: string): boolean {
  return method !== 'GET';
}

export interface RenderedRequest {
  method: string;
  url: string;
  body: string | null;
  contentType: string | null;
}

/** The request a pixel sends for this call and event. Throws when a template does not render. */
export function renderPixel(p: PixelEntity, context: PixelContext): RenderedRequest {
  const url = compileTemplate(p.urlTemplate, 'url', 'url')(context);
  const hasBody = bodyAllowed(p.method) && p.bodyTemplate !== null && p.bodyTemplate !== '';
  const contentType = hasBody ? (p.contentType ?? DEFAULT_CONTENT_TYPE) : null;
  const escape: TemplateEscape = escapeForContentType(contentType);
  const body = hasBody ? compileTemplate(p.bodyTemplate!, escape, 'body')(context) : null;
  return { method: p.method, url, body, contentType };
}

/** Whether the pixel fires for this call and event. */
export function pixelMatches(p: PixelEntity, event: PixelEvent, ctx: PixelContext): boolean {
  return (
    p.enabled &&
    p.tenantId === ctx.tenant_id &&
    p.events.includes(event) &&
    (p.campaignId === null || p.campaignId === ctx.campaign_id) &&
    (p.publisherId === null || p.publisherId === ctx.publisher_id)
  );
}

@Injectable()
export class PixelsService {
  private readonly logger = new Logger('Pixels');

  constructor(
    private readonly repo: PixelsRepository,
    @InjectQueue(PixelQueue.Name) private readonly queue: Queue<DeliverJob>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // ---- CRUD ------------------------------------------------------------------------------------------

  async create(tenantId: string, dto: CreatePixelDto): Promise<PixelEntity> {
    const values = await this.validated(tenantId, {
      name: dto.name,
      campaignId: dto.campaignId ?? null,
      publisherId: dto.publisherId ?? null,
      events: dto.events,
      method: dto.method,
      urlTemplate: dto.url,
      bodyTemplate: dto.body ?? null,
      contentType: dto.contentType ?? null,
      headers: dto.headers ?? {},
      enabled: dto.enabled ?? true,
    });
    return this.repo.save({ ...values, tenantId, secret: newPixelSecret() });
  }

  async get(tenantId: string, id: string): Promise<PixelEntity> {
    const p = await this.repo.findOne(tenantId, id);
    if (!p) throw notFound('Pixel');
    return p;
  }

  list(tenantId: string, skip: number, take: number) {
    return this.repo.list(tenantId, skip, take);
  }

  async update(tenantId: string, id: string, dto: UpdatePixelDto): Promise<PixelEntity> {
    const current = await this.get(tenantId, id);
    const d = defined(dto);
    const values = await this.validated(tenantId, {
      name: d.name ?? current.name,
      campaignId: d.campaignId !== undefined ? d.campaignId : current.campaignId,
      publisherId: d.publisherId !== undefined ? d.publisherId : current.publisherId,
      events: d.events ?? current.events,
      method: d.method ?? current.method,
      urlTemplate: d.url ?? current.urlTemplate,
      bodyTemplate: d.body !== undefined ? d.body : current.bodyTemplate,
      contentType: d.contentType !== undefined ? d.contentType : current.contentType,
      headers: d.headers ?? current.headers,
      enabled: d.enabled ?? current.enabled,
    });
    return this.repo.save({ ...current, ...values });
  }

  async rotateSecret(tenantId: string, id: string): Promise<PixelEntity> {
    const current = await this.get(tenantId, id);
    return this.repo.save({ ...current, secret: newPixelSecret() });
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.repo.delete(tenantId, id))) throw notFound('Pixel');
  }

  listDeliveries(
    tenantId: string,
    f: Parameters<PixelsRepository['listDeliveries']>[1],
    skip: number,
    take: number,
  ) {
    return this.repo.listDeliveries(tenantId, f, skip, take);
  }

  private async validated(
    tenantId: string,
    v: Pick<
      PixelEntity,
      | 'name'
      | 'campaignId'
      | 'publisherId'
      | 'events'
      | 'method'
      | 'urlTemplate'
      | 'bodyTemplate'
      | 'contentType'
      | 'headers'
      | 'enabled'
    >,
  ) {
    if (v.campaignId && !(await this.repo.ownedBy(tenantId, 'campaigns', v.campaignId))) {
      throw badRequest('UNKNOWN_CAMPAIGN', 'campaignId: no such campaign');
    }
    if (v.publisherId && !(await this.repo.ownedBy(tenantId, 'publishers', v.publisherId))) {
      throw badRequest('UNKNOWN_PUBLISHER', 'publisherId: no such publisher');
    }
    if (v.bodyTemplate && !bodyAllowed(v.method)) {
      throw badRequest('INVALID_PIXEL', 'body: a GET pixel has no body; use POST, PUT or PATCH');
    }
    const headers: Record<string, string> = {};
    const entries = Object.entries(v.headers ?? {});
    if (entries.length > MAX_HEADERS) throw badRequest('INVALID_PIXEL', `headers: at most ${MAX_HEADERS}`);
    for (const [name, value] of entries) {
      if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) {
        throw badRequest('INVALID_PIXEL', `headers: ${name} is not a header name a pixel may set`);
      }
      if (typeof value !== 'string' || value.length > 1024 || /[\r\n]/.test(value)) {
        throw badRequest('INVALID_PIXEL', `headers: the value of ${name} must be one line of text`);
      }
      headers[name] = value;
    }
    const sample = renderPixel({ ...v, headers, tenantId, id: '', secret: '' } as PixelEntity, SAMPLE);
    const problem = urlProblem(sample.url, this.config.allowPrivateTargets);
    if (problem) {
      throw badRequest('INVALID_PIXEL_URL', `url: ${problem} (the scheme and host must be written out)`);
    }
    return { ...v, headers, events: [...new Set(v.events)] };
  }

  // ---- firing -----------------------------------------------------------------------------------------

  /** Whether any of these tenants has an enabled pixel (the CDR export decodes its rows only then). */
  async anyEnabledFor(tenantIds: string[]): Promise<boolean> {
    return (await this.repo.enabledFor(tenantIds)).length > 0;
  }

  /** Fires the pixels of finished calls (from the CDR export). Idempotent per pixel, call and event. */
  async fireForCdrs(rows: CdrRow[]): Promise<number> {
    const pixels = await this.repo.enabledFor([...new Set(rows.map((r) => r.tenant_id))]);
    if (pixels.length === 0) return 0;
    const wanted: Array<{ event: PixelEvent; context: PixelContext }> = [];
    for (const row of rows) {
      for (const event of finalEvents(row)) wanted.push({ event, context: contextFromCdr(row, event) });
    }
    return this.fire(pixels, wanted);
  }

  /** Fires incoming/connected pixels of calls still up (LivePixelsService). */
  async fireLive(
    tenantId: string,
    wanted: Array<{ event: PixelEvent; context: PixelContext }>,
  ): Promise<number> {
    if (wanted.length === 0) return 0;
    const pixels = await this.repo.enabledFor([tenantId]);
    return this.fire(pixels, wanted);
  }

  private async fire(
    pixels: PixelEntity[],
    wanted: Array<{ event: PixelEvent; context: PixelContext }>,
  ): Promise<number> {
    const rows: NewDelivery[] = [];
    for (const { event, context } of wanted) {
      for (const p of pixels) {
        if (!pixelMatches(p, event, context)) continue;
        try {
          const r = renderPixel(p, context);
          rows.push({
            id: randomUUID(),
            tenantId: p.tenantId,
            pixelId: p.id,
            callId: context.call_id,
            event,
            ...r,
          });
        } catch (e) {
          this.logger.warn(
            { pixelId: p.id, callId: context.call_id, err: (e as Error).message },
            'pixel did not render',
          );
        }
      }
    }
    const created = await this.repo.insertDeliveries(rows);
    await this.enqueue(created);
    return created.length;
  }

  /** Queues delivery jobs (a no-op for a delivery whose job exists). */
  async enqueue(deliveryIds: string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    const { attempts, retryBaseMs } = this.config.pixels;
    await this.queue.addBulk(
      deliveryIds.map((deliveryId) => ({
        name: PixelJob.Deliver,
        data: { deliveryId },
        opts: {
          jobId: deliveryJobId(deliveryId),
          attempts,
          backoff: { type: 'exponential', delay: retryBaseMs },
          removeOnComplete: true,
          removeOnFail: { count: 1_000 },
        },
      })),
    );
  }
}
