import { AppError } from './errors';
import {
  TEMPLATE_MAX_BYTES,
  assertTemplate,
  compileTemplate,
  escapeForContentType,
  renderTemplate,
  templateProblem,
} from './templates';

describe('templates', () => {
  it('renders a JSON ping body from call tags', () => {
    const body = renderTemplate(
      '{"caller":"{{caller_id}}","zip":"{{caller_zip}}","tags":[{{#each list}}"{{this}}"{{#unless @last}},{{/unless}}{{/each}}]}',
      { caller_id: '+12125550123', caller_zip: '10001', list: ['a', 'b'] },
      'json',
    );
    expect(JSON.parse(body)).toEqual({ caller: '+12125550123', zip: '10001', tags: ['a', 'b'] });
  });

  it('escapes values so a tag cannot break out of a JSON string', () => {
    const body = renderTemplate(
      '{"note":"{{note}}","n":"{{{note}}}"}',
      { note: 'x", "admin": true, "y": "\n' },
      'json',
    );
    expect(JSON.parse(body)).toEqual({
      note: 'x", "admin": true, "y": "\n',
      n: 'x", "admin": true, "y": "\n',
    });
  });

  it('escapes URL components, HTML/XML text, or nothing', () => {
    expect(renderTemplate('https://b.example/ping?zip={{zip}}', { zip: '1&x=2 3' }, 'url')).toBe(
      'https://b.example/ping?zip=1%26x%3D2%203',
    );
    expect(renderTemplate('<zip>{{zip}}</zip>', { zip: '<a>&' }, 'html')).toBe('<zip>&lt;a&gt;&amp;</zip>');
    expect(renderTemplate('{{a}}-{{n}}-{{missing}}', { a: '<b>', n: 5 }, 'none')).toBe('<b>-5-');
  });

  it('chooses the escaping from the content type', () => {
    expect(escapeForContentType('application/json')).toBe('json');
    expect(escapeForContentType('application/vnd.api+json; charset=utf-8')).toBe('json');
    expect(escapeForContentType('application/x-www-form-urlencoded')).toBe('url');
    expect(escapeForContentType('text/xml')).toBe('html');
    expect(escapeForContentType('text/plain')).toBe('none');
    expect(escapeForContentType(undefined)).toBe('none');
  });

  it('keeps numbers and booleans usable in conditions', () => {
    expect(
      renderTemplate(
        '{{#if ok}}yes{{else}}no{{/if}} {{n}} {{#if zero}}z{{/if}}',
        { ok: false, n: 2.5, zero: 0 },
        'json',
      ),
    ).toBe('no 2.5 ');
  });

  it('does not expose prototype properties', () => {
    expect(
      renderTemplate('[{{constructor}}][{{__proto__}}][{{a.constructor.name}}]', { a: {} }, 'none'),
    ).toBe('[][][]');
  });

  it('refuses templates that do not compile, naming the problem', () => {
    expect(templateProblem('{"a": "{{caller_id}}"}')).toBeUndefined();
    expect(templateProblem('{{#if a}}unclosed')).toMatch(
      /^does not compile: Parse error on line 1: Expecting/,
    );
    expect(templateProblem('{{caller_id')).toMatch(/^does not compile/);
    expect(templateProblem('{{#each a}}{{/if}}')).toMatch(/^does not compile/);
  });

  it('allows only the built-in helpers: no unknown helpers, log, partials or decorators', () => {
    expect(
      templateProblem('{{#if a}}{{lookup b "c"}}{{else}}{{#each d}}{{this}}{{/each}}{{/if}}'),
    ).toBeUndefined();
    expect(templateProblem('{{json caller_id}}')).toMatch(/unknown helper json/);
    expect(templateProblem('{{log caller_id}}')).toMatch(/unknown helper log/);
    expect(templateProblem('{{> body}}')).toMatch(/partials are not supported/);
    expect(templateProblem('{{#> layout}}x{{/layout}}')).toMatch(/partials are not supported/);
    expect(templateProblem('{{* inline}}')).toMatch(/decorators are not supported/);
  });

  it('limits the size', () => {
    expect(templateProblem('x'.repeat(TEMPLATE_MAX_BYTES))).toBeUndefined();
    expect(templateProblem('x'.repeat(TEMPLATE_MAX_BYTES + 1))).toMatch(/larger than 16 KB/);
    expect(templateProblem('é'.repeat(TEMPLATE_MAX_BYTES / 2 + 1))).toMatch(/larger than/);
    expect(templateProblem(42)).toBe('must be a string');
  });

  it('throws a 400 INVALID_TEMPLATE naming the field', () => {
    expect(() => assertTemplate('{{#if}}', 'ping.bodyTemplate')).toThrow(AppError);
    try {
      compileTemplate('{{/nope}}', 'json', 'ping.bodyTemplate');
    } catch (e) {
      expect(e).toMatchObject({ status: 400, code: 'INVALID_TEMPLATE' });
      expect((e as Error).message).toMatch(/^ping\.bodyTemplate: does not compile/);
      return;
    }
    throw new Error('expected a throw');
  });
});
