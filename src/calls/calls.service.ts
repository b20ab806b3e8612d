// The read side of calls for the API: live calls from Redis, final records from PostgreSQL, and the
// caller block list.
import { Injectable } from '@nestjs/common';
import { notFound } from '../common/errors';
import { toE164 } from '../common/phone';
import { BlocklistRepository } from './blocklist.repository';
import { CallSetupService } from './call-setup.service';
import { CallsRepository, type CallFilter } from './calls.repository';
import { LiveCallRepository } from './live-call.repository';

const LIVE_LIMIT = 1_000;

@Injectable()
export class CallsService {
  constructor(
    private readonly live: LiveCallRepository,
    private readonly records: CallsRepository,
    private readonly blocklist: BlocklistRepository,
    private readonly setup: CallSetupService,
  ) {}

  liveCalls(tenantId: string) {
    return this.live.liveCalls(tenantId, LIVE_LIMIT);
  }

  list(tenantId: string, filter: CallFilter, skip: number, take: number) {
    return this.records.list(tenantId, filter, skip, take);
  }

  async get(tenantId: string, id: string) {
    const c = await this.records.findOne(tenantId, id);
    if (!c) throw notFound('Call');
    return c;
  }

  listBlocked(tenantId: string, skip: number, take: number) {
    return this.blocklist.list(tenantId, skip, take);
  }

  async block(tenantId: string, number: string, reason: string) {
    const row = await this.blocklist.upsert(tenantId, toE164(number)!, reason);
    this.setup.forgetBlocklist(tenantId);
    return row;
  }

  async unblock(tenantId: string, number: string): Promise<void> {
    const e164 = toE164(number);
    if (!e164 || !(await this.blocklist.remove(tenantId, e164))) throw notFound('Blocked number');
    this.setup.forgetBlocklist(tenantId);
  }
}
