// The Telnyx API surface of the sandbox carrier under /v2: Call Control (dial, commands, status) and the
// number endpoints (search, order, inventory). Bodies and errors follow Telnyx's wire format so the
// official `telnyx` SDK works against it with only baseURL changed.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CallEngine } from './call-engine';
import type { NumberInventory, OwnedPhoneNumber } from './number-inventory';
import { asBody, optString } from './request-body';
import { telnyxErrors } from './telnyx-errors';

type Query = Record<string, unknown>;

/**
 * Reads a deepObject query parameter the way the SDK encodes it: `filter[country_code]=US`,
 * `filter[phone_number][starts_with]=312`, arrays comma-joined (`filter[features]=voice,sms`).
 */
export function queryParam(query: Query, ...path: string[]): string | undefined {
  const flat =
    query[
      path[0] +
        path
          .slice(1)
          .map((p) => `[${p}]`)
          .join('')
    ];
  let value: unknown = flat;
  if (value === undefined) {
    // Also accept an already nested object (a qs-style parser).
    value = path.reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Query)[key] : undefined),
      query,
    );
  }
  if (Array.isArray(value)) return value.map(String).join(',');
  return value === undefined || value === null ? undefined : String(value);
}

function queryInt(query: Query, fallback: number, min: number, max: number, ...path: string[]): number {
  const raw = queryParam(query, ...path);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  const name =
    path[0] +
    path
      .slice(1)
      .map((p) => `[${p}]`)
      .join('');
  if (!Number.isInteger(value)) throw telnyxErrors.invalidType(name, 'an integer');
  if (value < min || value > max) throw telnyxErrors.outOfRange(name, min, max);
  return value;
}

function paginate<T>(items: T[], query: Query): { page: T[]; meta: Record<string, number> } {
  const size = queryInt(query, 20, 1, 250, 'page', 'size');
  const number = queryInt(query, 1, 1, Number.MAX_SAFE_INTEGER, 'page', 'number');
  const start = (number - 1) * size;
  return {
    page: items.slice(start, start + size),
    meta: {
      total_pages: Math.ceil(items.length / size),
      total_results: items.length,
      page_number: number,
      page_size: size,
    },
  };
}

/** The Call Control command route, the busiest of the carrier (served ahead of Fastify: SandboxCarrier.serveCommand). */
export const COMMAND_ROUTE = '/v2/calls/:id/actions/:action';

/** The answer to POST /v2/calls/{id}/actions/{action}, whichever server path took the request. */
export function runCommand(engine: CallEngine, callControlId: string, action: string, body: unknown) {
  return { data: engine.command(callControlId, action, body) };
}

type IdParams = { id: string };
type ActionParams = { id: string; action: string };

export function registerTelnyxRoutes(
  app: FastifyInstance,
  engine: CallEngine,
  inventory: NumberInventory,
): void {
  // ---- Call Control ------------------------------------------------------------------------------
  app.post('/v2/calls', async (request) => ({ data: engine.dial(request.body) }));

  app.get('/v2/calls/:id', async (request: FastifyRequest<{ Params: IdParams }>) => ({
    data: engine.retrieve(request.params.id),
  }));

  app.post(COMMAND_ROUTE, async (request: FastifyRequest<{ Params: ActionParams }>) =>
    runCommand(engine, request.params.id, request.params.action, request.body),
  );

  app.put(
    '/v2/calls/:id/actions/client_state_update',
    async (request: FastifyRequest<{ Params: IdParams }>) => ({
      data: engine.command(request.params.id, 'client_state_update', request.body),
    }),
  );

  // ---- Numbers -----------------------------------------------------------------------------------
  app.get('/v2/available_phone_numbers', async (request) => {
    const q = request.query as Query;
    const features = queryParam(q, 'filter', 'features');
    const data = inventory.searchAvailable({
      countryCode: queryParam(q, 'filter', 'country_code'),
      nationalDestinationCode: queryParam(q, 'filter', 'national_destination_code'),
      locality: queryParam(q, 'filter', 'locality'),
      administrativeArea: queryParam(q, 'filter', 'administrative_area'),
      rateCenter: queryParam(q, 'filter', 'rate_center'),
      phoneNumberType: queryParam(q, 'filter', 'phone_number_type'),
      startsWith: queryParam(q, 'filter', 'phone_number', 'starts_with'),
      endsWith: queryParam(q, 'filter', 'phone_number', 'ends_with'),
      contains: queryParam(q, 'filter', 'phone_number', 'contains'),
      features: features ? features.split(',').filter(Boolean) : undefined,
      limit: queryInt(q, 20, 1, 100, 'filter', 'limit'),
    });
    const meta = { total_results: data.length, best_effort_results: 0 };
    return { data, meta, metadata: meta };
  });

  app.post('/v2/number_orders', async (request) => {
    const body = asBody(request.body);
    const lines = body.phone_numbers;
    if (!Array.isArray(lines) || lines.length === 0) throw telnyxErrors.missingParameter('phone_numbers');
    const phoneNumbers = lines.map((line: unknown, index) => {
      const phoneNumber = (line as Record<string, unknown> | null)?.phone_number;
      if (typeof phoneNumber !== 'string' || phoneNumber === '') {
        throw telnyxErrors.missingParameter(`phone_numbers/${index}/phone_number`);
      }
      return phoneNumber;
    });
    const order = inventory.createOrder({
      phoneNumbers,
      connectionId: optString(body, 'connection_id'),
      messagingProfileId: optString(body, 'messaging_profile_id'),
      billingGroupId: optString(body, 'billing_group_id'),
      customerReference: optString(body, 'customer_reference'),
    });
    return { data: inventory.toOrderResource(order) };
  });

  app.get('/v2/number_orders', async (request) => {
    const { page, meta } = paginate(inventory.listOrders(), request.query as Query);
    return { data: page.map((order) => inventory.toOrderResource(order, true)), meta };
  });

  app.get('/v2/number_orders/:id', async (request: FastifyRequest<{ Params: IdParams }>) => {
    const order = inventory.getOrder(request.params.id);
    if (!order) throw telnyxErrors.notFound(`Number order ${request.params.id} was not found.`);
    return { data: inventory.toOrderResource(order) };
  });

  app.get('/v2/phone_numbers', async (request) => {
    const q = request.query as Query;
    const countries = queryParam(q, 'filter', 'country_iso_alpha2');
    const numbers = inventory.list({
      phoneNumber: queryParam(q, 'filter', 'phone_number'),
      connectionId: queryParam(q, 'filter', 'connection_id'),
      tag: queryParam(q, 'filter', 'tag'),
      status: queryParam(q, 'filter', 'status'),
      countryIso: countries ? countries.split(',') : undefined,
    });
    const { page, meta } = paginate(numbers, q);
    return { data: page.map((n) => inventory.toResource(n)), meta };
  });

  const owned = (id: string): OwnedPhoneNumber => {
    const number = inventory.get(id);
    if (!number) throw telnyxErrors.notFound(`Phone number ${id} was not found.`);
    return number;
  };

  app.get('/v2/phone_numbers/:id', async (request: FastifyRequest<{ Params: IdParams }>) => ({
    data: inventory.toResource(owned(request.params.id)),
  }));

  app.patch('/v2/phone_numbers/:id', async (request: FastifyRequest<{ Params: IdParams }>) => {
    owned(request.params.id);
    const body = asBody(request.body);
    const tags = body.tags;
    if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string'))) {
      throw telnyxErrors.invalidType('tags', 'an array of strings');
    }
    const updated = inventory.update(request.params.id, {
      connectionId: body.connection_id === null ? null : optString(body, 'connection_id'),
      tags: tags as string[] | undefined,
      customerReference: optString(body, 'customer_reference'),
      billingGroupId: optString(body, 'billing_group_id'),
      externalPin: optString(body, 'external_pin'),
    });
    return { data: inventory.toResource(updated as OwnedPhoneNumber) };
  });

  app.delete('/v2/phone_numbers/:id', async (request: FastifyRequest<{ Params: IdParams }>) => {
    owned(request.params.id);
    const deleted = inventory.delete(request.params.id) as OwnedPhoneNumber;
    return { data: inventory.toDeletedResource(deleted) };
  });
}
