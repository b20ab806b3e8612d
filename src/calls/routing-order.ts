// Order of static targets: by priority (1 first), then a weighted random order inside a priority,
// seeded by the call id so that a retry or another instance computes the same order for the same call.
import { createHash } from 'node:crypto';

export interface Ranked {
  id: string;
  priority: number;
  weight: number;
}

/** Uniform value in (0, 1) from the seed and the item id. */
function unit(seed: string, id: string): number {
  const h = createHash('sha256').update(`${seed}:${id}`).digest();
  return (h.readUIntBE(0, 6) + 1) / (2 ** 48 + 2);
}

export function orderByPriorityAndWeight<T extends Ranked>(items: readonly T[], seed: string): T[] {
  // Efraimidis–Spirakis: sorting by u^(1/w) descending samples without replacement by weight.
  const key = new Map(items.map((t) => [t, Math.log(unit(seed, t.id)) / Math.max(1, t.weight)]));
  return [...items].sort(
    (a, b) => a.priority - b.priority || key.get(b)! - key.get(a)! || a.id.localeCompare(b.id),
  );
}
