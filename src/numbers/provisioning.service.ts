// Buying pool numbers from the carrier: search Telnyx's inventory (area code, voice), order the numbers
// with the Call Control application's connection_id (so their calls reach our webhook), and add them to
// the pool once the order succeeds. Orders still pending are finished by a queue job. Releasing a pool
// number gives it back to the carrier and removes it from the pool.
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import Telnyx, { APIError } from 'telnyx';
import type { Principal } from '../accounts/principal';
import { AppError, notFound } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../infra/config/app-config';
import { TELNYX_CLIENT } from '../telephony/telnyx-client';
import type { ProvisionNumbersDto } from './dto/provisioning.dto';
import { NumbersService } from './numbers.service';
import type { TrackingNumberEntity } from './tracking-number.entity';

export enum ProvisioningQueue {
  Name = 'numbers-provisioning',
}
export enum ProvisioningJob {
  CompleteOrder = 'complete-order',
}

export interface CompleteOrderJob {
  tenantId: string;
  poolId: string;
  orderId: string;
}

export interface ProvisionResult {
  orderId: string;
  status: string;
  requested: number;
  added: TrackingNumberEntity[];
  pending: string[];
  failed: string[];
}

type Order = NonNullable<Awaited<ReturnType<Telnyx['numberOrders']['retrieve']>>['data']>;

const POLLS = 3;
const POLL_MS = 1_000;

function carrierError(e: unknown): AppError {
  const detail =
    e instanceof APIError
      ? `${e.status ?? ''} ${JSON.stringify((e.error as { errors?: unknown })?.errors ?? e.message)}`
      : (e as Error)?.message;
  return new AppError(
    502,
    'CARRIER_ERROR',
    `The carrier refused the request: ${String(detail).slice(0, 300)}`,
  );
}

@Injectable()
export class ProvisioningService {
  private readonly logger = new Logger('Provisioning');

  constructor(
    @Inject(TELNYX_CLIENT) private readonly telnyx: Telnyx,
    private readonly numbers: NumbersService,
    @InjectQueue(ProvisioningQueue.Name) private readonly queue: Queue<CompleteOrderJob>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async provision(p: Principal, poolId: string, dto: ProvisionNumbersDto): Promise<ProvisionResult> {
    await this.numbers.getPool(p, poolId);
    let candidates: string[];
    try {
      const search = await this.telnyx.availablePhoneNumbers.list({
        filter: {
          country_code: dto.countryCode ?? 'US',
          ...(dto.areaCode ? { national_destination_code: dto.areaCode } : {}),
          features: ['voice'],
          limit: dto.count,
        },
      });
      candidates = (search.data ?? [])
        .map((n) => n.phone_number)
        .filter((n): n is string => typeof n === 'string')
        .slice(0, dto.count);
    } catch (e) {
      throw carrierError(e);
    }
    if (candidates.length === 0) {
      throw new AppError(409, 'NO_NUMBERS_AVAILABLE', 'The carrier has no numbers matching the search');
    }
    let order: Order | undefined;
    try {
      order = (
        await this.telnyx.numberOrders.create({
          phone_numbers: candidates.map((phone_number) => ({ phone_number })),
          connection_id: this.config.telnyx.connectionId,
          customer_reference: `pool:${poolId}`,
        })
      ).data;
    } catch (e) {
      throw carrierError(e);
    }
    const orderId = order?.id;
    if (!order || !orderId) throw new AppError(502, 'CARRIER_ERROR', 'The carrier returned no order');
    for (let i = 0; i < POLLS && order.status === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const current: Order = order;
      order =
        (await this.telnyx.numberOrders.retrieve(orderId).catch(() => ({ data: current }))).data ?? current;
    }
    const result = await this.addOrdered(p, poolId, order);
    if (result.status === 'pending') {
      await this.queue.add(
        ProvisioningJob.CompleteOrder,
        { tenantId: p.tenantId, poolId, orderId },
        {
          jobId: `order-${orderId}`,
          attempts: 60,
          backoff: { type: 'fixed', delay: 60_000 },
          removeOnComplete: true,
        },
      );
    }
    return { ...result, requested: dto.count };
  }

  /** Queue job: adds an order's numbers once it has completed; throws (to retry) while it is pending. */
  async completeOrder(job: CompleteOrderJob): Promise<void> {
    const order = (await this.telnyx.numberOrders.retrieve(job.orderId)).data;
    if (!order) throw new Error(`order ${job.orderId} not found`);
    const r = await this.addOrdered(
      { tenantId: job.tenantId, role: 'operator', via: 'api_key' },
      job.poolId,
      order,
    );
    if (r.status === 'pending') throw new Error(`order ${job.orderId} still pending`);
    this.logger.log({ orderId: job.orderId, added: r.added.length }, 'number order completed');
  }

  private async addOrdered(
    p: Principal,
    poolId: string,
    order: Order,
  ): Promise<Omit<ProvisionResult, 'requested'>> {
    const lines = order.phone_numbers ?? [];
    const pick = (status: string) =>
      lines.filter((l) => l.status === status && l.phone_number).map((l) => l.phone_number!);
    const ok = order.status === 'failure' ? [] : pick('success');
    const inPool = new Set((await this.numbers.activeNumbers(poolId)).map((n) => n.number));
    const fresh = ok.filter((n) => !inPool.has(n));
    const added = fresh.length ? await this.numbers.addNumbers(p, poolId, { numbers: fresh }) : [];
    return {
      orderId: order.id!,
      status: order.status ?? 'pending',
      added,
      pending: pick('pending'),
      failed: pick('failure'),
    };
  }

  /** Gives pool numbers back to the carrier and removes them from the pool. */
  async release(p: Principal, poolId: string, numbers: string[]): Promise<string[]> {
    await this.numbers.getPool(p, poolId);
    const released: string[] = [];
    for (const number of numbers) {
      const n = await this.numbers.findTrackingNumber(number);
      if (!n || n.poolId !== poolId) throw notFound(`Tracking number ${number} in this pool`);
      try {
        const found = await this.telnyx.phoneNumbers.list({ filter: { phone_number: number } });
        for (const owned of found.data ?? []) {
          if (owned.id && owned.phone_number === number) await this.telnyx.phoneNumbers.delete(owned.id);
        }
      } catch (e) {
        throw carrierError(e);
      }
      await this.numbers.deleteNumber(p, n.id);
      released.push(number);
    }
    return released;
  }
}
