// The carrier's control surface under /sandbox, for the demo and the traffic generator (they run in other
// processes, so they cannot call the JS methods). Bodies use the same camelCase fields as those methods.
// It is not protected by the API key: it stands for the phone network, not for Telnyx's API.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DestinationBehaviour, InboundCallOptions } from './carrier-types';
import { asBody } from './request-body';
import type { SandboxCarrier } from './sandbox-carrier';
import { telnyxErrors } from './telnyx-errors';
import type { DeliveryOptions } from './webhook-dispatcher';

type IdParams = { id: string };
type DestinationParams = { destination: string };

const DELIVERY_KEYS: Array<keyof DeliveryOptions> = [
  'duplicateRate',
  'reorder',
  'reorderWindowMs',
  'retryDelaysMs',
  'maxAttempts',
  'timeoutMs',
  'duplicateDelayMs',
];

export function registerControlRoutes(app: FastifyInstance, carrier: SandboxCarrier): void {
  const info = (): Record<string, unknown> => ({
    connectionId: carrier.connectionId,
    publicKey: carrier.publicKeyBase64,
    apiBaseUrl: carrier.apiBaseUrl,
    webhookUrl: carrier.getWebhookUrl() ?? null,
    timeScale: carrier.timeScale,
    delivery: carrier.deliverySettings,
  });

  app.get('/sandbox', async () => ({ data: info() }));

  /** { webhookUrl?, delivery?: Partial<DeliveryOptions> } */
  app.patch('/sandbox/config', async (request) => {
    const body = asBody(request.body);
    if (body.webhookUrl !== undefined) {
      if (body.webhookUrl !== null && typeof body.webhookUrl !== 'string') {
        throw telnyxErrors.invalidType('webhookUrl', 'a string or null');
      }
      carrier.setWebhookUrl(body.webhookUrl ?? undefined);
    }
    if (body.delivery !== undefined) {
      const delivery = asBody(body.delivery);
      const unknown = Object.keys(delivery).filter(
        (k) => !DELIVERY_KEYS.includes(k as keyof DeliveryOptions),
      );
      if (unknown.length)
        throw telnyxErrors.unsupportedCommand(`Unknown delivery settings: ${unknown.join(', ')}.`);
      carrier.configureDelivery(delivery as Partial<DeliveryOptions>);
    }
    return { data: info() };
  });

  app.get('/sandbox/stats', async () => ({ data: carrier.stats() }));

  /** InboundCallOptions → 201 with leg A. */
  app.post('/sandbox/calls', async (request, reply) => {
    const call = carrier.placeInboundCall(asBody(request.body) as unknown as InboundCallOptions);
    return reply.code(201).send({ data: call });
  });

  app.get('/sandbox/calls', async (request) => {
    const query = request.query as Record<string, string | undefined>;
    const state = query.state === 'active' || query.state === 'ended' ? query.state : undefined;
    return { data: carrier.calls({ state, callSessionId: query.callSessionId }) };
  });

  const call = (id: string) => {
    const found = carrier.getCall(id);
    if (!found) throw telnyxErrors.notFound(`Call ${id} was not found.`);
    return found;
  };

  app.get('/sandbox/calls/:id', async (request: FastifyRequest<{ Params: IdParams }>) => ({
    data: call(request.params.id),
  }));

  /** The far end of the leg hangs up (the caller, for an inbound leg). */
  app.post('/sandbox/calls/:id/hangup', async (request: FastifyRequest<{ Params: IdParams }>) => {
    if (!call(request.params.id).isAlive) throw telnyxErrors.callEnded();
    carrier.farEndHangup(request.params.id);
    return { data: call(request.params.id) };
  });

  /** { digits } keyed by the far end. */
  app.post('/sandbox/calls/:id/dtmf', async (request: FastifyRequest<{ Params: IdParams }>) => {
    const digits = asBody(request.body).digits;
    if (typeof digits !== 'string' || !/^[0-9*#A-D]+$/.test(digits))
      throw telnyxErrors.missingParameter('digits');
    const current = call(request.params.id);
    if (!current.isAlive) throw telnyxErrors.callEnded();
    if (!carrier.sendDtmf(request.params.id, digits)) throw telnyxErrors.callNotAnswered();
    return { data: call(request.params.id) };
  });

  app.get('/sandbox/destinations', async () => ({ data: carrier.destinationBehaviours() }));

  /** :destination is the URL-encoded number or SIP URI ('*' = default); body is a DestinationBehaviour. */
  app.put(
    '/sandbox/destinations/:destination',
    async (request: FastifyRequest<{ Params: DestinationParams }>) => {
      carrier.setDestinationBehaviour(
        request.params.destination,
        asBody(request.body) as unknown as DestinationBehaviour,
      );
      return { data: carrier.destinationBehaviours() };
    },
  );

  app.delete(
    '/sandbox/destinations/:destination',
    async (request: FastifyRequest<{ Params: DestinationParams }>) => {
      carrier.clearDestinationBehaviour(request.params.destination);
      return { data: carrier.destinationBehaviours() };
    },
  );

  /** { phoneNumber, connectionId?, tags? }: an owned number without going through an order. */
  app.post('/sandbox/numbers', async (request, reply) => {
    const body = asBody(request.body);
    if (typeof body.phoneNumber !== 'string' || !/^\+[1-9]\d{6,14}$/.test(body.phoneNumber)) {
      throw telnyxErrors.notE164('phoneNumber');
    }
    const tags = Array.isArray(body.tags)
      ? body.tags.filter((t): t is string => typeof t === 'string')
      : undefined;
    const connectionId = typeof body.connectionId === 'string' ? body.connectionId : undefined;
    return reply.code(201).send({ data: carrier.addPhoneNumber(body.phoneNumber, { connectionId, tags }) });
  });
}
