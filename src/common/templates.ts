// Handlebars templates for outbound requests (ping bodies, URLs, confirmations, pixels), on an instance
// of our own so nothing registered elsewhere leaks in. A template is compiled when it is saved, so a
// broken one is a 400 naming the field, never a failed ping on a live call.
//
// Rules: at most TEMPLATE_MAX_BYTES; only the built-in helpers if/unless/each/with/lookup (no `log`, no
// partials, no decorators, no unknown helpers). Values are escaped for where they land before rendering
// (JSON string content, URL component, HTML/XML text, or raw), so a caller-controlled tag cannot break
// out of a JSON string or inject a query parameter. {{x}} and {{{x}}} render the same escaped text.
import Handlebars from 'handlebars';
import { ValidationOptions, registerDecorator } from 'class-validator';
import { badRequest } from './errors';

export const TEMPLATE_MAX_BYTES = 16 * 1024;

/** How values are escaped before they are put into the template. */
export type TemplateEscape = 'json' | 'url' | 'html' | 'none';

const hb = Handlebars.create();
hb.unregisterHelper('log');

const COMPILE_OPTIONS: CompileOptions = {
  knownHelpersOnly: true,
  knownHelpers: { log: false },
  noEscape: true,
  strict: false,
  preventIndent: true,
};

type Node = { type?: string; [key: string]: unknown };
const FORBIDDEN_NODES: Record<string, string> = {
  PartialStatement: 'partials are not supported',
  PartialBlockStatement: 'partials are not supported',
  Decorator: 'decorators are not supported',
  DecoratorBlock: 'decorators are not supported',
};

function forbiddenNode(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const n of node) {
      const found = forbiddenNode(n);
      if (found) return found;
    }
    return undefined;
  }
  if (node === null || typeof node !== 'object') return undefined;
  const n = node as Node;
  if (n.type && FORBIDDEN_NODES[n.type]) return FORBIDDEN_NODES[n.type];
  for (const key of Object.keys(n)) {
    if (key === 'loc' || key === 'strip') continue;
    const found = forbiddenNode(n[key]);
    if (found) return found;
  }
  return undefined;
}

/** Why the template cannot be saved, or undefined when it compiles under our rules. */
export function templateProblem(source: unknown): string | undefined {
  if (typeof source !== 'string') return 'must be a string';
  if (Buffer.byteLength(source, 'utf8') > TEMPLATE_MAX_BYTES) {
    return `template larger than ${TEMPLATE_MAX_BYTES / 1024} KB`;
  }
  try {
    const forbidden = forbiddenNode(hb.parse(source));
    if (forbidden) return forbidden;
    hb.precompile(source, COMPILE_OPTIONS);
  } catch (e) {
    // Handlebars messages span lines (the source line and a caret); keep them on one line.
    const msg = (e as Error).message.replace(/\s*\n[\s\S]*?(?=Expecting|$)/, ' ').replace(/\s+/g, ' ');
    return `does not compile: ${msg.trim().slice(0, 300)}`;
  }
  return undefined;
}

/** Throws a 400 INVALID_TEMPLATE naming `field` when the template cannot be saved. */
export function assertTemplate(source: string, field: string): void {
  const problem = templateProblem(source);
  if (problem)
    throw badRequest('INVALID_TEMPLATE', `${field}: ${problem}`, {
      fields: [{ field, problems: [problem] }],
    });
}

/** The escaping that suits a request body of this content type. */
export function escapeForContentType(contentType: string | null | undefined): TemplateEscape {
  const ct = (contentType ?? '').toLowerCase();
  if (/[/+]json\b/.test(ct)) return 'json';
  if (ct.includes('x-www-form-urlencoded')) return 'url';
  if (/[/+](xml|html)\b/.test(ct)) return 'html';
  return 'none';
}

const ESCAPERS: Record<TemplateEscape, (s: string) => string> = {
  json: (s) => JSON.stringify(s).slice(1, -1),
  url: (s) => encodeURIComponent(s),
  html: (s) => hb.Utils.escapeExpression(s),
  none: (s) => s,
};

function escapeDeep(value: unknown, escape: (s: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return escape(value);
  // Numbers and booleans print as digits/true/false, safe in every mode; kept as they are so {{#if}} works.
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value === null || value === undefined || depth > 8) return undefined;
  if (Array.isArray(value)) return value.map((v) => escapeDeep(v, escape, depth + 1));
  if (value instanceof Date) return escape(value.toISOString());
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k !== '__proto__') out[k] = escapeDeep(v, escape, depth + 1);
    }
    return out;
  }
  return undefined;
}

export type RenderTemplate = (context: Readonly<Record<string, unknown>>) => string;

const compiledCache = new Map<string, HandlebarsTemplateDelegate>();

/**
 * Compiles a template (throwing a 400 INVALID_TEMPLATE naming `field` when it does not compile) into a
 * function that escapes the context's values with `escape` and renders. Compiled templates are cached.
 */
export function compileTemplate(source: string, escape: TemplateEscape, field = 'template'): RenderTemplate {
  let fn = compiledCache.get(source);
  if (!fn) {
    assertTemplate(source, field);
    fn = hb.compile(source, COMPILE_OPTIONS);
    if (compiledCache.size >= 1000) compiledCache.clear();
    compiledCache.set(source, fn);
  }
  const compiled = fn;
  const escaper = ESCAPERS[escape];
  return (context) => compiled(escapeDeep(context, escaper) ?? {});
}

/** Renders once; see compileTemplate. */
export function renderTemplate(
  source: string,
  context: Readonly<Record<string, unknown>>,
  escape: TemplateEscape,
): string {
  return compileTemplate(source, escape)(context);
}

/** class-validator decorator: the value is a template that compiles under our rules. */
export function IsHandlebarsTemplate(options?: ValidationOptions): PropertyDecorator {
  return (object, propertyName) =>
    registerDecorator({
      name: 'isHandlebarsTemplate',
      target: object.constructor,
      propertyName: propertyName as string,
      options: {
        message: (a) => `Handlebars template ${templateProblem(a.value) ?? 'is invalid'}`,
        ...options,
      },
      validator: { validate: (value: unknown) => templateProblem(value) === undefined },
    });
}
