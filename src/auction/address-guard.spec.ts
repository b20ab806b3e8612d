import type { LookupAddress } from 'node:dns';
import { BLOCKED_ADDRESS, guardedLookup, ipLiteral, isPublicAddress, type Resolver } from './address-guard';

describe('isPublicAddress', () => {
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '192.169.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:81b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:0808:0808::1',
  ])('%s is public', (ip) => expect(isPublicAddress(ip)).toBe(true));

  it.each([
    ['loopback', '127.0.0.1'],
    ['loopback range', '127.255.0.9'],
    ['this network', '0.0.0.0'],
    ['private 10/8', '10.1.2.3'],
    ['private 172.16/12', '172.16.0.1'],
    ['private 172.31', '172.31.255.254'],
    ['private 192.168/16', '192.168.1.1'],
    ['shared CGNAT', '100.64.0.1'],
    ['link-local / cloud metadata', '169.254.169.254'],
    ['documentation', '192.0.2.10'],
    ['benchmarking', '198.18.0.1'],
    ['multicast', '224.0.0.251'],
    ['reserved', '240.0.0.1'],
    ['broadcast', '255.255.255.255'],
    ['IPv6 loopback', '::1'],
    ['IPv6 unspecified', '::'],
    ['IPv6 unique local', 'fd00::1'],
    ['IPv6 link-local', 'fe80::1'],
    ['IPv6 link-local with zone', 'fe80::1%eth0'],
    ['IPv6 multicast', 'ff02::1'],
    ['IPv6 documentation', '2001:db8::1'],
    ['Teredo', '2001:0:4136:e378::1'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv4-mapped private, hex form', '::ffff:c0a8:0101'],
    ['IPv4-compatible private', '::10.0.0.1'],
    ['NAT64 of a private address', '64:ff9b::a00:1'],
    ['6to4 of loopback', '2002:7f00:0001::1'],
    ['not an IP', 'example.com'],
    ['garbage', '1.2.3.4.5'],
  ])('%s (%s) is not public', (_label, ip) => expect(isPublicAddress(ip)).toBe(false));
});

describe('ipLiteral', () => {
  it('recognises IPv4 and bracketed IPv6 hostnames, not names', () => {
    expect(ipLiteral('127.0.0.1')).toBe('127.0.0.1');
    expect(ipLiteral('[::1]')).toBe('::1');
    expect(ipLiteral('localhost')).toBeUndefined();
    expect(ipLiteral('buyer.example.com')).toBeUndefined();
  });
});

describe('guardedLookup', () => {
  const resolver =
    (answers: Record<string, string[]>): Resolver =>
    (host, _opts, cb) => {
      const list = answers[host];
      if (!list) {
        const e: NodeJS.ErrnoException = new Error('not found');
        e.code = 'ENOTFOUND';
        return cb(e, []);
      }
      cb(
        null,
        list.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })),
      );
    };
  const dns = resolver({
    'public.test': ['93.184.216.34'],
    'inside.test': ['10.0.0.5'],
    'mixed.test': ['93.184.216.34', '127.0.0.1'],
    'v6.test': ['2606:4700:4700::1111'],
  });
  const call = (allowPrivate: boolean, host: string, all = false) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
      guardedLookup(allowPrivate, dns)(host, { all }, (err, address, family) =>
        resolve({ err, address, family }),
      ),
    );

  it('hands a public address to the socket', async () => {
    expect(await call(false, 'public.test')).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect((await call(false, 'v6.test', true)).address).toEqual([
      { address: '2606:4700:4700::1111', family: 6 },
    ]);
  });

  it('refuses a name resolving to a private address, and one with any private address among public ones', async () => {
    for (const host of ['inside.test', 'mixed.test']) {
      const r = await call(false, host);
      expect(r.err?.code).toBe(BLOCKED_ADDRESS);
    }
  });

  it('lets private addresses through when the deployment allows them', async () => {
    expect(await call(true, 'inside.test')).toEqual({ err: null, address: '10.0.0.5', family: 4 });
  });

  it('passes DNS failures on', async () => {
    expect((await call(false, 'missing.test')).err?.code).toBe('ENOTFOUND');
  });
});
