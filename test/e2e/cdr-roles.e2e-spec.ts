// The CDR export runs only where the worker runs: an `api` instance serves reports but leaves the outbox
// alone; a `worker` instance (no HTTP API of ours) drains it.
import type { RunningApp } from '../../src/app.bootstrap';
import { CdrOutboxRepository } from '../../src/cdr/cdr-outbox.repository';
import { ReportsService } from '../../src/reports/reports.service';
import { newTenant, startTestApp } from '../support/test-app';
import { cdrCounts, insertRecords, record } from './cdr-support';
import { eventually, sleep } from './telephony-support';

describe('CDR export by role', () => {
  let app: RunningApp | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('exports in the worker role and not in the api role', async () => {
    app = await startTestApp({ APP_ROLE: 'api', CDR_DISPATCH_INTERVAL_MS: '100' });
    const t = await newTenant(app);
    await insertRecords(app, [
      record(t.tenantId, { receivedAt: new Date(Date.now() - 60_000) }),
      record(t.tenantId, { receivedAt: new Date(Date.now() - 30_000) }),
    ]);
    expect(() => app!.app.get(CdrOutboxRepository)).toThrow();
    await sleep(1_500);
    const api = await t.operator.get('/reports?metrics=calls');
    expect(api.status).toBe(200);
    expect(api.body.rows).toEqual([{ calls: 0 }]);
    await app.close();

    app = await startTestApp({ APP_ROLE: 'worker', CDR_DISPATCH_INTERVAL_MS: '100' });
    expect(() => app!.app.get(ReportsService)).toThrow();
    const outbox = app.app.get(CdrOutboxRepository);
    await eventually(
      async () => ((await outbox.pending(t.tenantId)) === 0 ? true : undefined),
      15_000,
      'export',
    );
    expect(await cdrCounts(app, t.tenantId)).toEqual({ final: 2, stored: 2, distinct: 2 });
  });
});
