import { renderTemplate, type TemplateEscape } from '../common/templates';
import { fastRender } from './fast-template';

const hostile = {
  caller_number: '+1312555XXXX',
  zip: '60601',
  quote: 'a"b\\c',
  newline: 'line1\nline2\r\t',
  html: `<script>alert('x')</script> & "y" \`z\` =`,
  url: 'a b&c=d/e?f#g%',
  unicode: 'Zoë – 東京 🚀',
  empty: '',
  n: 42,
  yes: true,
  no: false,
  nothing: null,
  'zip code': '60601-1234',
};

const templates = [
  '{"cid":"{{caller_number}}","zip":"{{zip}}"}',
  '{"q":"{{quote}}","nl":"{{newline}}","h":"{{html}}","u":"{{unicode}}"}',
  '{"raw":"{{{quote}}}","n":{{n}},"yes":{{yes}},"no":{{no}},"nothing":"{{nothing}}","missing":"{{missing}}"}',
  'zip={{zip}}&u={{url}}&e={{empty}}',
  '<Ping><Caller>{{caller_number}}</Caller><H>{{html}}</H></Ping>',
  '  {{~zip~}}  |  {{zip}}  ',
  '{{constructor}}{{toString}}{{__proto__}}',
  'segment literal: {{[zip code]}}',
  'no tokens at all',
  '',
];

describe('fastRender', () => {
  // Handlebars warns (once) when a template names an inherited property such as toString.
  beforeAll(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  it.each(['json', 'url', 'html', 'none'] as TemplateEscape[])(
    'renders exactly what Handlebars renders (%s escaping)',
    (escape) => {
      for (const t of templates) {
        expect({ t, out: fastRender(t, escape, hostile) }).toEqual({
          t,
          out: renderTemplate(t, hostile, escape),
        });
      }
    },
  );

  it('leaves anything beyond plain placeholders to Handlebars', () => {
    for (const t of [
      '{{#if zip}}{{zip}}{{/if}}',
      '{{lookup this "zip"}}',
      '{{a.b}}',
      '{{this}}',
      '{{! a comment }}x',
      '{{@root.zip}}',
      '{{if}}',
    ]) {
      expect(fastRender(t, 'json', hostile)).toBeUndefined();
    }
    // A value that is not a scalar, too.
    expect(fastRender('{{obj}}', 'json', { obj: { a: 1 } })).toBeUndefined();
  });
});
