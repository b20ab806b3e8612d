import { rmSync } from 'node:fs';
import type { EmbeddedStores } from '../../src/infra/embedded/embedded-stores';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __stores?: EmbeddedStores }).__stores?.stop();
  const dataDir = process.env.CB_TEST_DATA_DIR;
  if (dataDir && !process.env.CB_TEST_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true });
}
