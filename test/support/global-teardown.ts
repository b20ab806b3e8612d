import type { EmbeddedStores } from '../../src/infra/embedded/embedded-stores';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __stores?: EmbeddedStores }).__stores?.stop();
}
