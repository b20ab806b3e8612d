import {
  REGEX_MAX_INPUT,
  TagFilter,
  compareDecimal,
  firstFailing,
  matches,
  regexProblem,
  tagFilterProblems,
} from './tag-filter';

describe('tag filters', () => {
  const call = {
    caller_state: 'CA',
    caller_zip: '94107',
    caller_area_code: '415',
    loan_amount: '15000.50',
    age: 42,
    utm_source: 'google',
    empty: '  ',
  };

  describe('matches', () => {
    it('compares strings ignoring case and spaces', () => {
      expect(matches([{ tag: 'caller_state', op: 'equals', value: 'ca' }], call)).toBe(true);
      expect(matches([{ tag: 'caller_state', op: 'equals', value: 'NY' }], call)).toBe(false);
      expect(matches([{ tag: 'caller_state', op: 'not_equals', value: 'ny ' }], call)).toBe(true);
      expect(matches([{ tag: 'caller_state', op: 'not_equals', value: 'CA' }], call)).toBe(false);
    });

    it('filters on geo tags with in / not_in lists', () => {
      expect(matches([{ tag: 'caller_state', op: 'in', values: ['NY', 'ca', 'TX'] }], call)).toBe(true);
      expect(matches([{ tag: 'caller_state', op: 'not_in', values: ['CA'] }], call)).toBe(false);
      expect(matches([{ tag: 'caller_zip', op: 'in', values: ['10001', '10002'] }], call)).toBe(false);
      expect(matches([{ tag: 'caller_area_code', op: 'not_in', values: ['212', '646'] }], call)).toBe(true);
    });

    it('runs regexes case-insensitively', () => {
      expect(matches([{ tag: 'caller_zip', op: 'regex', value: '^941\\d{2}$' }], call)).toBe(true);
      expect(matches([{ tag: 'caller_zip', op: 'regex', value: '^100' }], call)).toBe(false);
      expect(matches([{ tag: 'utm_source', op: 'regex', value: '^GOOG' }], call)).toBe(true);
      const long = { note: 'a'.repeat(REGEX_MAX_INPUT + 1) };
      expect(matches([{ tag: 'note', op: 'regex', value: 'a' }], long)).toBe(false);
    });

    it('compares numbers exactly, and fails numeric filters on non-numbers', () => {
      expect(matches([{ tag: 'loan_amount', op: 'gte', value: '15000.5' }], call)).toBe(true);
      expect(matches([{ tag: 'loan_amount', op: 'gt', value: '15000.5' }], call)).toBe(false);
      expect(matches([{ tag: 'loan_amount', op: 'lt', value: '15000.51' }], call)).toBe(true);
      expect(matches([{ tag: 'age', op: 'lte', value: '42' }], call)).toBe(true);
      expect(matches([{ tag: 'age', op: 'gt', value: '42' }], call)).toBe(false);
      expect(matches([{ tag: 'caller_state', op: 'gt', value: '1' }], call)).toBe(false);
      // 0.1 + 0.2 style float traps do not apply.
      expect(matches([{ tag: 'x', op: 'equals', value: '0.3' }], { x: '0.3' })).toBe(true);
      expect(compareDecimal('0.30000000000000004', '0.3')).toBe(1);
      expect(compareDecimal('-2', '-10')).toBe(1);
      expect(compareDecimal('007', '7.000')).toBe(0);
      expect(compareDecimal('1e3', '1000')).toBeUndefined();
    });

    it('fails positive filters and passes negative ones when the tag is missing or blank', () => {
      const none = {};
      expect(matches([{ tag: 'caller_state', op: 'equals', value: 'CA' }], none)).toBe(false);
      expect(matches([{ tag: 'caller_state', op: 'in', values: ['CA'] }], none)).toBe(false);
      expect(matches([{ tag: 'caller_state', op: 'regex', value: '.' }], none)).toBe(false);
      expect(matches([{ tag: 'loan_amount', op: 'lt', value: '5' }], none)).toBe(false);
      expect(matches([{ tag: 'caller_state', op: 'not_equals', value: 'CA' }], none)).toBe(true);
      expect(matches([{ tag: 'caller_state', op: 'not_in', values: ['CA'] }], none)).toBe(true);
      expect(matches([{ tag: 'empty', op: 'exists' }], call)).toBe(false);
      expect(matches([{ tag: 'empty', op: 'not_exists' }], call)).toBe(true);
      expect(matches([{ tag: 'caller_zip', op: 'exists' }], call)).toBe(true);
      // Inherited properties are not tags.
      expect(matches([{ tag: 'constructor', op: 'exists' }], call)).toBe(false);
    });

    it('requires every filter to pass, and passes with no filters', () => {
      const filters: TagFilter[] = [
        { tag: 'caller_state', op: 'in', values: ['CA', 'NV'] },
        { tag: 'loan_amount', op: 'gte', value: '20000' },
      ];
      expect(matches(filters, call)).toBe(false);
      expect(firstFailing(filters, call)).toBe(filters[1]);
      expect(matches(filters, { ...call, loan_amount: '25000' })).toBe(true);
      expect(matches([], call)).toBe(true);
      expect(matches(null, call)).toBe(true);
    });
  });

  describe('validation', () => {
    it('accepts ordinary regexes', () => {
      for (const ok of [
        '^941\\d{2}$',
        '^(CA|NY|TX)$',
        '^\\s*(\\d+)\\s*$',
        '[a-z]+@example\\.com',
        '(ab)+c',
        '(a|b)?x',
      ]) {
        expect(regexProblem(ok)).toBeUndefined();
      }
    });

    it('rejects regexes that do not compile, are too long, or can backtrack catastrophically', () => {
      expect(regexProblem('([a-z')).toMatch(/invalid regex/);
      expect(regexProblem('a'.repeat(201))).toMatch(/longer than 200/);
      for (const evil of [
        '(a+)+$',
        '(a*)*b',
        '(a|a)*$',
        '(\\w+\\s?)*$',
        '((ab)*c)+',
        '(x|xx){2,}',
        '(.*a){12}',
      ]) {
        expect(regexProblem(evil)).toMatch(/exponential/);
      }
      expect(regexProblem('(a)\\1')).toMatch(/back-references/);
      expect(regexProblem('.*.*.*.*x')).toMatch(/at most 3/);
      expect(regexProblem('[(]+[)]*')).toBeUndefined(); // parentheses inside a class are literals
    });

    it('names the field that is wrong for the op', () => {
      expect(tagFilterProblems({ tag: 'caller_state', op: 'in', values: ['CA'] })).toEqual([]);
      expect(tagFilterProblems({ tag: 'caller_state', op: 'in', value: 'CA' })).toEqual([
        expect.stringMatching(/^value: not used with op in; use values/),
        expect.stringMatching(/^values: required/),
      ]);
      expect(tagFilterProblems({ tag: 'x', op: 'gte', value: 'ten' })).toEqual([
        expect.stringMatching(/^value: must be a decimal number/),
      ]);
      expect(tagFilterProblems({ tag: 'x', op: 'regex', value: '(' })).toEqual([
        expect.stringMatching(/^value: invalid regex/),
      ]);
      expect(tagFilterProblems({ tag: 'bad tag!', op: 'exists' })).toEqual([expect.stringMatching(/^tag: /)]);
      expect(tagFilterProblems({ tag: 'x', op: 'like' as never })).toEqual([expect.stringMatching(/^op: /)]);
    });
  });
});
