// Seeds the demo tenant through the service's own API, the way an operator would set one up: sign in (or
// create the tenant with POST /setup), then campaign, publishers with logins, one DNI pool per publisher
// with its tracking numbers, buyers with ping/post targets pointing at the sandbox bidders, and a static
// fallback. Every step finds its object by name first and brings it back to the demo's settings, so a
// second run on the same DATA_DIR reuses the tenant (new bidder URLs, a bigger pool) instead of failing
// on unique keys.
import type { SandboxBidders } from '../sandbox/buyers';
import type { SandboxCarrier } from '../sandbox/carrier';
import { DemoApi, DemoApiError } from './demo-api';
import {
  DEMO_BUYERS,
  DEMO_CAMPAIGN,
  DEMO_LOGINS,
  DEMO_PASSWORD,
  DEMO_POOL,
  DEMO_PUBLISHERS,
  DEMO_TENANT,
  type DemoBuyerSpec,
  type DemoPublisherSpec,
  poolNumbers,
} from './demo-cast';

export interface SeedContext {
  /** The running service (no credentials). */
  api: DemoApi;
  /** Creates a tenant with its operator when POST /setup is refused because another tenant exists. */
  createTenant: (tenantName: string, email: string, password: string) => Promise<unknown>;
  bidders: SandboxBidders;
  carrier: SandboxCarrier;
}

export interface SeedOptions {
  /** Tracking numbers per publisher pool (existing numbers are kept; missing ones are added). */
  numbersPerPool: Record<DemoPublisherSpec['key'], number>;
  /** Talk seconds for a conversion (default: the demo campaign's). */
  conversionSeconds?: number;
}

export interface SeededPublisher {
  spec: DemoPublisherSpec;
  id: string;
  poolId: string;
  numbers: number;
}

export interface SeededBuyer {
  spec: DemoBuyerSpec;
  buyerId: string;
  targetId: string;
}

export interface DemoSetup {
  /** The API signed in as the demo operator (session cookie). */
  operator: DemoApi;
  tenantId: string;
  /** True when this run created the tenant, false when it found it. */
  createdTenant: boolean;
  campaign: { id: string; name: string; publicKey: string };
  /** The loader tag from GET /campaigns/:id/embed, pasted into the landing page. */
  embedHtml: string;
  publishers: SeededPublisher[];
  buyers: SeededBuyer[];
}

interface Named {
  id: string;
  name: string;
}

/** Finds the object with this name, or creates it; found ones are patched back to `body`. */
async function upsert<T extends Named>(
  api: DemoApi,
  existing: T[],
  body: Record<string, unknown> & { name: string },
  createPath: string,
  patchPath: (id: string) => string,
): Promise<T> {
  const found = existing.find((x) => x.name === body.name);
  if (!found) return api.post<T>(createPath, body);
  return api.patch<T>(patchPath(found.id), body);
}

async function signIn(ctx: SeedContext): Promise<{ operator: DemoApi; created: boolean }> {
  const email = DEMO_LOGINS.operator;
  let cookie = await ctx.api.login(email, DEMO_PASSWORD);
  let created = false;
  if (!cookie) {
    const setup = await ctx.api.send('POST', '/setup', {
      tenantName: DEMO_TENANT,
      email,
      password: DEMO_PASSWORD,
    });
    if (setup.status === 409) {
      // Another tenant owns this data directory already: add the demo tenant next to it.
      try {
        await ctx.createTenant(DEMO_TENANT, email, DEMO_PASSWORD);
      } catch (e) {
        if ((e as { code?: string }).code === 'EMAIL_TAKEN') {
          throw new Error(
            `The demo operator ${email} exists but no longer accepts the demo password; ` +
              'run the demo with another DATA_DIR.',
          );
        }
        throw e;
      }
    } else if (setup.status !== 201) {
      throw new DemoApiError('POST', '/setup', setup.status, setup.body);
    }
    created = true;
    cookie = await ctx.api.login(email, DEMO_PASSWORD);
    if (!cookie) throw new Error(`the demo operator ${email} was created but cannot sign in`);
  }
  return { operator: ctx.api.withCookie(cookie), created };
}

/** Sets up the sandbox bidders and the call centres' lines in the sandbox carrier. */
export function configureSandbox(bidders: SandboxBidders, carrier: SandboxCarrier): void {
  for (const b of DEMO_BUYERS) {
    if (b.bidder) bidders.set(b.key, { ...b.bidder, destination: b.destination });
    carrier.setDestinationBehaviour(b.destination, b.line);
  }
}

function targetBody(b: DemoBuyerSpec, campaignId: string, bidders: SandboxBidders): Record<string, unknown> {
  return {
    name: `${b.name} – auto`,
    kind: b.bidder ? 'ping_post' : 'static',
    status: 'active',
    destination: b.destination,
    revenue: null,
    ping: b.bidder ? bidders.targetPing(b.key, { timeoutMs: b.pingTimeoutMs ?? 2000 }) : null,
    // The defaults, spelled out so a second run also undoes hand edits made in between.
    priority: 1,
    weight: 1,
    conversionSeconds: null,
    ringTimeoutS: 30,
    caps: {},
    concurrencyCap: null,
    schedule: null,
    filters: [],
    cacheWindowS: 0,
    campaignIds: [campaignId],
    ...b.target,
  };
}

async function ensureUser(
  operator: DemoApi,
  users: Array<{ email: string }>,
  body: { email: string; role: string; publisherId?: string; buyerId?: string },
): Promise<void> {
  if (users.some((u) => u.email === body.email)) return;
  await operator.post('/users', { ...body, password: DEMO_PASSWORD });
}

export async function seedDemo(ctx: SeedContext, options: SeedOptions): Promise<DemoSetup> {
  configureSandbox(ctx.bidders, ctx.carrier);
  const { operator, created } = await signIn(ctx);
  const me = await operator.get<{ tenantId: string }>('/auth/me');

  const campaignBody = {
    ...DEMO_CAMPAIGN,
    swapNumbers: [...DEMO_CAMPAIGN.swapNumbers],
    paramTags: { ...DEMO_CAMPAIGN.paramTags },
    status: 'active',
    conversionSeconds: options.conversionSeconds ?? DEMO_CAMPAIGN.conversionSeconds,
  };
  const campaign = await upsert<Named & { publicKey: string }>(
    operator,
    await operator.all('/campaigns'),
    campaignBody,
    '/campaigns',
    (id) => `/campaigns/${id}`,
  );

  const existingPublishers = await operator.all<Named>('/publishers');
  const pools = await operator.all<Named & { campaignId: string; publisherId: string | null }>('/pools');
  const publishers: SeededPublisher[] = [];
  for (const spec of DEMO_PUBLISHERS) {
    const publisher = await upsert<Named>(
      operator,
      existingPublishers,
      { name: spec.name, status: 'active', ...spec.payout },
      '/publishers',
      (id) => `/publishers/${id}`,
    );
    const poolBody = {
      name: `${spec.name} – landing page`,
      ...DEMO_POOL,
      overflowNumber: spec.overflowNumber,
    };
    const found = pools.find((p) => p.campaignId === campaign.id && p.publisherId === publisher.id);
    const pool = found
      ? await operator.patch<Named>(`/pools/${found.id}`, poolBody)
      : await operator.post<Named>('/pools', {
          ...poolBody,
          campaignId: campaign.id,
          publisherId: publisher.id,
          kind: 'session',
        });
    const have = new Set(
      (await operator.all<{ number: string }>(`/pools/${pool.id}/numbers`)).map((n) => n.number),
    );
    const wanted = poolNumbers(spec, options.numbersPerPool[spec.key]);
    const missing = wanted.filter((n) => !have.has(n));
    if (missing.length > 0) await operator.post(`/pools/${pool.id}/numbers`, { numbers: missing });
    publishers.push({ spec, id: publisher.id, poolId: pool.id, numbers: have.size + missing.length });
  }

  const existingBuyers = await operator.all<Named>('/buyers');
  const buyers: SeededBuyer[] = [];
  for (const spec of DEMO_BUYERS) {
    const buyer = await upsert<Named>(
      operator,
      existingBuyers,
      { name: spec.name, status: 'active' },
      '/buyers',
      (id) => `/buyers/${id}`,
    );
    const target = await upsert<Named>(
      operator,
      await operator.all<Named>(`/buyers/${buyer.id}/targets`),
      targetBody(spec, campaign.id, ctx.bidders) as Record<string, unknown> & { name: string },
      `/buyers/${buyer.id}/targets`,
      (id) => `/targets/${id}`,
    );
    buyers.push({ spec, buyerId: buyer.id, targetId: target.id });
  }

  const users = await operator.get<Array<{ email: string }>>('/users');
  for (const p of publishers) {
    await ensureUser(operator, users, { email: p.spec.login, role: 'publisher', publisherId: p.id });
  }
  const apex = buyers.find((b) => b.spec.key === 'apex');
  if (apex)
    await ensureUser(operator, users, { email: DEMO_LOGINS.buyer, role: 'buyer', buyerId: apex.buyerId });

  const embed = await operator.get<{ html: string }>(`/campaigns/${campaign.id}/embed`);
  return {
    operator,
    tenantId: me.tenantId,
    createdTenant: created,
    campaign: { id: campaign.id, name: campaign.name, publicKey: campaign.publicKey },
    embedHtml: embed.html,
    publishers,
    buyers,
  };
}
