// A fast path for the ping templates most targets use: literal text with plain {{tag}} / {{{tag}}}
// placeholders and nothing else. Rendering those through the Handlebars runtime costs a copy of the
// escaped context and a helper table per call, on every ping of every auction; here a template is split
// once into text and names, and each value is escaped as common/templates.ts escapes it. Anything else
// (blocks, helpers, paths, comments, non-scalar values) returns undefined and goes through
// compileTemplate. fast-template.spec.ts checks both paths render the same text.
import Handlebars from 'handlebars';
import type { TemplateEscape } from '../common/templates';

type Part = string | { name: string };

const HELPER_NAMES = new Set([
  'if',
  'unless',
  'each',
  'with',
  'lookup',
  'log',
  'helperMissing',
  'blockHelperMissing',
]);
const ESCAPERS: Record<TemplateEscape, (s: string) => string> = {
  json: (s) => JSON.stringify(s).slice(1, -1),
  url: (s) => encodeURIComponent(s),
  html: (s) => Handlebars.Utils.escapeExpression(s),
  none: (s) => s,
};

const plans = new Map<string, Part[] | null>();

interface AstNode {
  type: string;
  value?: string;
  params?: unknown[];
  hash?: unknown;
  path?: { type: string; parts?: string[]; original?: string; depth?: number; data?: boolean };
}

function plan(source: string): Part[] | null {
  const hit = plans.get(source);
  if (hit !== undefined) return hit;
  let parts: Part[] | null = [];
  try {
    for (const node of Handlebars.parse(source).body as unknown as AstNode[]) {
      if (node.type === 'ContentStatement') {
        parts.push(node.value ?? '');
        continue;
      }
      const p = node.path;
      const simple =
        node.type === 'MustacheStatement' &&
        (node.params?.length ?? 0) === 0 &&
        !node.hash &&
        p?.type === 'PathExpression' &&
        p.parts?.length === 1 &&
        !p.depth &&
        !p.data &&
        p.original === p.parts[0] &&
        !HELPER_NAMES.has(p.parts[0]);
      if (!simple) {
        parts = null;
        break;
      }
      parts.push({ name: p.parts![0] });
    }
  } catch {
    parts = null;
  }
  if (plans.size >= 1000) plans.clear();
  plans.set(source, parts);
  return parts;
}

/** The rendered text, or undefined when the template or a value needs the full Handlebars path. */
export function fastRender(
  source: string,
  escape: TemplateEscape,
  context: Readonly<Record<string, unknown>>,
): string | undefined {
  const parts = plan(source);
  if (!parts) return undefined;
  const esc = ESCAPERS[escape];
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const v = Object.prototype.hasOwnProperty.call(context, part.name) ? context[part.name] : undefined;
    if (typeof v === 'string') out += esc(v);
    else if (typeof v === 'number' || typeof v === 'boolean') out += String(v);
    else if (v !== undefined && v !== null) return undefined;
  }
  return out;
}
