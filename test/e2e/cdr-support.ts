// Shared pieces of the CDR, report, dashboard and pixel suites: final call records written the way the
// call flow writes them (CallsRepository.insertFinal: the record and its outbox row in one statement),
// waiting for the export, and reading PostgreSQL and ClickHouse back.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { RunningApp } from '../../src/app.bootstrap';
import { CallsRepository, type NewCallRecord } from '../../src/calls/calls.repository';
import { CdrOutboxRepository } from '../../src/cdr/cdr-outbox.repository';
import { CdrRepository } from '../../src/cdr/cdr.repository';
import { eventually } from './telephony-support';

export function record(tenantId: string, over: Partial<NewCallRecord> & { receivedAt: Date }): NewCallRecord {
  const id = randomUUID();
  const at = over.receivedAt.getTime();
  const connected = over.connectedAt !== undefined ? over.connectedAt : null;
  return {
    id,
    tenantId,
    callSessionId: `v3:${id}`,
    campaignId: null,
    publisherId: null,
    poolId: null,
    buyerId: null,
    targetId: null,
    trackingNumber: '+13125550100',
    caller: `+1512555${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}`,
    destination: null,
    state: connected ? 'completed' : 'abandoned',
    reason: connected ? null : 'caller_hung_up_routing',
    duplicate: false,
    attributionMethod: null,
    attributionConfidence: null,
    dniSessionId: null,
    tags: {},
    answeredAt: new Date(at + 200),
    routingAt: new Date(at + 300),
    ringingAt: connected ? new Date(at + 400) : null,
    endedAt: new Date(at + 60_000),
    ringMs: connected ? 1_000 : 0,
    talkMs: 0,
    totalMs: 60_000,
    attempts: connected ? 1 : 0,
    converted: false,
    conversionSeconds: null,
    revenue: '0.00',
    payout: '0.00',
    profit: '0.00',
    hangupCause: 'normal_clearing',
    hangupSource: 'caller',
    sipHangupCause: null,
    legs: [],
    auction: null,
    ...over,
    connectedAt: connected,
  };
}

export async function insertRecords(app: RunningApp, records: NewCallRecord[]): Promise<void> {
  const repo = app.app.get(CallsRepository);
  for (const r of records) {
    if (!(await repo.insertFinal(r))) throw new Error(`record ${r.id} not inserted`);
  }
}

/** Waits until every outbox row of the tenant is exported. */
export async function waitExported(app: RunningApp, tenantId: string, timeoutMs = 20_000): Promise<void> {
  const outbox = app.app.get(CdrOutboxRepository);
  await eventually(
    async () => ((await outbox.pending(tenantId)) === 0 ? true : undefined),
    timeoutMs,
    'the CDR export',
  );
}

export function cdrCounts(app: RunningApp, tenantId: string) {
  return app.app.get(CdrRepository).counts(tenantId);
}

export function pg(app: RunningApp): DataSource {
  return app.app.get(DataSource);
}
