import { type Candidate, type LiveCall, newCall } from './call-machine';
import { decodeCall, encodeCall } from './live-call.repository';

const candidate = (id: string): Candidate => ({
  targetId: id,
  buyerId: `buyer-${id}`,
  destination: '+13125550177',
  ringTimeoutS: 30,
  conversionSeconds: null,
  revenue: '30.00',
  concurrencyCap: null,
  caps: {},
});

function routedCall(): LiveCall {
  const call = newCall('session-1', 1_000);
  const candidates = [candidate('t1'), candidate('t2')];
  call.routing = { startedAt: 1_000, candidates, next: 2, skipped: [] };
  call.attempts = [1, 2].map((n) => ({
    n,
    target: candidates[n - 1],
    transfer: { s: 'ok' as const, tries: 1 },
    leg: {},
    reserved: true,
    reservedAt: 1_000 + n,
  }));
  return call;
}

describe('live call stored form', () => {
  it('stores each attempt target once, as its candidate index, and reads back the same call', () => {
    const call = routedCall();
    const json = encodeCall(call);
    expect(json.split('"buyerId":"buyer-t1"').length - 1).toBe(1);
    const back = decodeCall(json);
    expect(back).toEqual(call);
    expect(back.attempts[0].target).toBe(back.routing!.candidates[0]);
    expect(back.attempts[1].target).toBe(back.routing!.candidates[1]);
  });

  it('reads states written with the full target in each attempt', () => {
    const call = routedCall();
    expect(decodeCall(JSON.stringify(call))).toEqual(call);
  });

  it('keeps a target that is not one of the candidates as it is', () => {
    const call = routedCall();
    call.attempts[1].target = candidate('elsewhere');
    expect(decodeCall(encodeCall(call))).toEqual(call);
  });

  it('refuses a stored attempt that names a missing candidate', () => {
    const json = encodeCall(routedCall()).replace('"ti":1', '"ti":7');
    expect(() => decodeCall(json)).toThrow(/names a candidate it does not have/);
  });
});
