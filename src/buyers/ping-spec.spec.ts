import { headersProblem, parseJsonPath, readJsonPath, requestUrlProblem } from './ping-spec';

describe('ping spec', () => {
  describe('JSON paths', () => {
    it('parses dotted, indexed and quoted paths', () => {
      expect(parseJsonPath('data.bid')).toEqual(['data', 'bid']);
      expect(parseJsonPath('$.bids[0].amount')).toEqual(['bids', 0, 'amount']);
      expect(parseJsonPath('result["phone number"]')).toEqual(['result', 'phone number']);
      expect(parseJsonPath('$[2]')).toEqual([2]);
      expect(parseJsonPath('$')).toEqual([]);
      expect(parseJsonPath('bid-amount')).toEqual(['bid-amount']);
    });

    it('rejects bad syntax', () => {
      for (const bad of [
        '',
        'data..bid',
        '.bid',
        'bid.',
        'a[x]',
        'a[',
        '1abc',
        'a b',
        '$foo',
        'a.' + 'b.'.repeat(40) + 'c',
      ]) {
        expect(parseJsonPath(bad)).toBeUndefined();
      }
      expect(parseJsonPath(42)).toBeUndefined();
    });

    it('reads values by own properties only', () => {
      const body = { data: { bid: '12.50', list: [{ n: 1 }, { n: 2 }] }, 'x y': true };
      expect(readJsonPath(body, parseJsonPath('data.bid')!)).toBe('12.50');
      expect(readJsonPath(body, parseJsonPath('data.list[1].n')!)).toBe(2);
      expect(readJsonPath(body, parseJsonPath('["x y"]')!)).toBe(true);
      expect(readJsonPath(body, parseJsonPath('data.missing.deep')!)).toBeUndefined();
      expect(readJsonPath(body, parseJsonPath('data.constructor')!)).toBeUndefined();
      expect(readJsonPath(body, parseJsonPath('data[0]')!)).toBeUndefined();
      expect(readJsonPath('12.5', [])).toBe('12.5');
    });
  });

  describe('headers', () => {
    it('accepts ordinary headers', () => {
      expect(
        headersProblem({ Authorization: 'Bearer x', 'X-Api-Key': 'k', x_custom: 'v\twith tab' }),
      ).toBeUndefined();
    });

    it('rejects bad names, reserved names, duplicates, non-strings, control characters and too many', () => {
      expect(headersProblem({ 'Bad Name': 'x' })).toMatch(/not valid/);
      expect(headersProblem({ __proto__x: 'x' })).toMatch(/not valid/);
      expect(headersProblem({ 'Content-Type': 'text/plain' })).toMatch(/use contentType/);
      expect(headersProblem({ Host: 'evil' })).toMatch(/set by the platform/);
      expect(headersProblem({ 'X-A': '1', 'x-a': '2' })).toMatch(/twice/);
      expect(headersProblem({ 'X-A': 1 })).toMatch(/string value/);
      expect(headersProblem({ 'X-A': 'a\r\nX-Injected: 1' })).toMatch(/control characters/);
      expect(
        headersProblem(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-${i}`, 'v']))),
      ).toMatch(/at most 20/);
      expect(headersProblem(['X-A'])).toMatch(/object/);
    });
  });

  describe('request URLs', () => {
    it('accepts http(s) URLs with tokens after the host', () => {
      expect(requestUrlProblem('https://buyer.example.com/ping')).toBeUndefined();
      expect(
        requestUrlProblem('http://127.0.0.1:8080/bid?zip={{caller_zip}}&s={{caller_state}}'),
      ).toBeUndefined();
      expect(requestUrlProblem('https://b.example.com/{{campaign}}/ping')).toBeUndefined();
    });

    it('rejects other schemes, tokens in the host, broken templates and long URLs', () => {
      expect(requestUrlProblem('ftp://b.example.com/x')).toMatch(/http or https/);
      expect(requestUrlProblem('javascript:alert(1)')).toMatch(/http or https/);
      expect(requestUrlProblem('buyer.example.com/ping')).toMatch(/absolute/);
      expect(requestUrlProblem('https://{{host}}/x')).toMatch(/after the host/);
      expect(requestUrlProblem('https://b{{x}}.example.com/x')).toMatch(/after the host/);
      expect(requestUrlProblem('https://b.example.com/?q={{#if x}}')).toMatch(/does not compile/);
      expect(requestUrlProblem('https://b.example.com/' + 'a'.repeat(2048))).toMatch(/at most 2048/);
    });
  });
});
