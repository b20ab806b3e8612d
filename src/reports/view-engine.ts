// The dashboards' Handlebars views (src/reports/views), registered with @fastify/view on the Fastify
// instance. Views are read from the source tree at runtime (found from the project root), so the
// compiled app needs no copy step. Handlebars escapes every {{value}}; data for the browser's charts goes
// through the `json` helper into data-* attributes (escaped as attribute text, parsed by our script).
// The templates stay in the subset Prettier's Glimmer parser reads: pieces are pulled in with the
// `include` helper rather than partials, and attributes are switched with `attr` rather than blocks.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../common/project-root';

export function dashboardViewsDir(): string {
  return join(projectRoot(), 'src', 'reports', 'views');
}

const PIECE = /^[a-z][a-z-]*$/;

export function dashboardHandlebars(viewsDir = dashboardViewsDir()): typeof Handlebars {
  const hb = Handlebars.create();
  const pieces = new Map<string, HandlebarsTemplateDelegate>();
  hb.registerHelper('json', (value: unknown) => JSON.stringify(value ?? null));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper(
    'startsWith',
    (a: unknown, b: unknown) => typeof a === 'string' && typeof b === 'string' && a.startsWith(b),
  );
  /** `{{when cond "yes" "no"}}`: the text for a condition (class names). */
  hb.registerHelper('when', (cond: unknown, yes: unknown, no: unknown) =>
    cond ? String(yes) : typeof no === 'string' ? no : '',
  );
  /** `<option {{attr selected "selected"}}>`: a boolean attribute when the condition holds. */
  hb.registerHelper('attr', (cond: unknown, name: unknown) =>
    cond && typeof name === 'string' && /^[a-z-]+$/.test(name) ? new hb.SafeString(name) : '',
  );
  /** `{{{include "table" context key=value}}}`: renders views/partials/<name>.hbs over the context. */
  hb.registerHelper('include', function (name: unknown, context: unknown, options: Handlebars.HelperOptions) {
    if (typeof name !== 'string' || !PIECE.test(name)) throw new Error(`unknown view piece ${String(name)}`);
    let tpl = pieces.get(name);
    if (!tpl) {
      tpl = hb.compile(readFileSync(join(viewsDir, 'partials', `${name}.hbs`), 'utf8'));
      pieces.set(name, tpl);
    }
    const ctx = { ...(context as object), ...(options.hash as object) };
    return new hb.SafeString(tpl(ctx, { data: options.data as unknown }));
  });
  return hb;
}

export function registerDashboardViews(app: NestFastifyApplication): void {
  app.setViewEngine({
    engine: { handlebars: dashboardHandlebars() },
    root: dashboardViewsDir(),
    layout: 'layout.hbs',
    viewExt: 'hbs',
  } as never);
}
