/* eslint-disable no-restricted-properties */
// Standalone sandbox bidders: `node dist/src/sandbox/buyers/main.js`. It runs as its own process (the demo,
// the auction benchmark, a developer's second terminal), outside the app and its validated config, so it
// reads its few settings from the environment itself; the lint rule against process.env is off for that.
//
//   SANDBOX_BIDDERS_HOST (127.0.0.1)  SANDBOX_BIDDERS_PORT (4020)
//   SANDBOX_BIDDERS (optional JSON: { "<name>": { ...behaviour }, ... } created at start)
//   SANDBOX_BIDDERS_KEEP_REQUESTS (500: requests each bidder remembers for GET .../requests; 0 = none)
//
// Prints one JSON line {"ready": true, "baseUrl": ...} on stdout when listening; bidders are then set up
// through PUT /sandbox/bidders/<name>.
import { SandboxBidders } from './sandbox-bidders';
import type { BidderBehaviour } from './bidder-types';

async function main(): Promise<void> {
  const keep = process.env.SANDBOX_BIDDERS_KEEP_REQUESTS;
  const bidders = new SandboxBidders({
    keepRequests: keep === undefined || keep === '' ? undefined : Number(keep),
  });
  const preset = process.env.SANDBOX_BIDDERS;
  if (preset) {
    const all = JSON.parse(preset) as Record<string, Partial<BidderBehaviour>>;
    for (const [name, behaviour] of Object.entries(all)) bidders.set(name, behaviour);
  }
  const port = Number(process.env.SANDBOX_BIDDERS_PORT ?? 4020);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error('SANDBOX_BIDDERS_PORT must be a port');
  const baseUrl = await bidders.start({ host: process.env.SANDBOX_BIDDERS_HOST || '127.0.0.1', port });
  process.stdout.write(
    `${JSON.stringify({ ready: true, baseUrl, bidders: bidders.list().map((b) => b.name) })}\n`,
  );
  const shutdown = (): void => {
    bidders.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
