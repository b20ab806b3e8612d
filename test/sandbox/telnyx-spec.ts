// Validation against Telnyx's own OpenAPI document (../shared/telnyx/call-control.openapi.json from the
// repository root): webhook bodies by event type, and /v2 request and response bodies by path and method.
// The document is added to ajv whole so its internal $refs resolve as written.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

const SPEC_PATH = join(__dirname, '..', '..', '..', 'shared', 'telnyx', 'call-control.openapi.json');
const SPEC_ID = 'telnyx-call-control';

type Json = Record<string, any>;

export class TelnyxSpec {
  readonly doc: Json;
  private readonly ajv: Ajv2020;
  /** event_type → schema pointer of the webhook's request body (e.g. CallHangupEvent). */
  readonly webhookSchemas = new Map<string, string>();
  private readonly operations: Array<{ method: string; pattern: RegExp; path: string; op: Json }> = [];

  constructor() {
    this.doc = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as Json;
    // strict: false because the document carries OpenAPI annotations (example, x-*) that are not JSON Schema.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    // call-control_Error declares `code: { type: string, format: integer }`: a string of digits.
    this.ajv.addFormat('integer', /^-?\d+$/);
    this.ajv.addSchema(this.doc, SPEC_ID);

    for (const webhook of Object.values(this.doc.webhooks as Json)) {
      const ref: string = webhook.post.requestBody.content['application/json'].schema.$ref;
      const envelope = this.resolve(ref);
      const data = this.resolve(envelope.properties.data.$ref);
      for (const eventType of data.properties.event_type.enum as string[])
        this.webhookSchemas.set(eventType, ref);
    }
    for (const [path, item] of Object.entries(this.doc.paths as Json)) {
      const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const [method, op] of Object.entries(item as Json)) {
        if (op && typeof op === 'object' && 'responses' in op) {
          this.operations.push({ method: method.toUpperCase(), pattern, path, op: op as Json });
        }
      }
    }
  }

  /** Follows a local "#/..." pointer inside the document. */
  resolve(ref: string): Json {
    return ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<Json>((node, key) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')], this.doc);
  }

  schema(ref: string): ValidateFunction {
    const validate = this.ajv.getSchema(`${SPEC_ID}${ref}`);
    if (!validate) throw new Error(`no schema at ${ref}`);
    return validate;
  }

  /** Errors of a webhook body against its event's schema; throws if the spec has no schema for the event. */
  webhookErrors(body: unknown): string[] {
    const eventType = (body as Json)?.data?.event_type as string;
    const ref = this.webhookSchemas.get(eventType);
    if (!ref) throw new Error(`the spec has no webhook schema for ${eventType}`);
    return this.errors(this.schema(ref), body);
  }

  /** The spec operation for a concrete /v2 URL, or undefined when the spec does not document it. */
  operation(method: string, url: string): { path: string; op: Json } | undefined {
    const path = url.split('?')[0].replace(/^\/v2/, '');
    return this.operations.find((o) => o.method === method && o.pattern.test(path));
  }

  requestErrors(method: string, url: string, body: unknown): string[] {
    const found = this.operation(method, url);
    if (!found) throw new Error(`the spec has no operation ${method} ${url}`);
    const ref = found.op.requestBody?.content?.['application/json']?.schema?.$ref as string | undefined;
    if (!ref) return [];
    return this.errors(this.schema(ref), body ?? {});
  }

  responseErrors(method: string, url: string, status: number, body: unknown): string[] {
    const found = this.operation(method, url);
    if (!found) throw new Error(`the spec has no operation ${method} ${url}`);
    const code = found.op.responses[String(status)] ? String(status) : 'default';
    const escape = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');
    let pointer = `#/paths/${escape(found.path)}/${method.toLowerCase()}/responses/${code}`;
    let response = found.op.responses[code] as Json | undefined;
    if (!response) throw new Error(`the spec lists no ${status} response for ${method} ${found.path}`);
    if (response.$ref) {
      pointer = response.$ref as string;
      response = this.resolve(pointer);
    }
    if (!response.content?.['application/json']?.schema) return [];
    // Validate through a pointer into the document so the schema's own $refs resolve.
    return this.errors(this.schema(`${pointer}/content/application~1json/schema`), body);
  }

  private errors(validate: ValidateFunction, value: unknown): string[] {
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
    );
  }
}
