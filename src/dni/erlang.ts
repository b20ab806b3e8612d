// Pool sizing as a loss system: leases arrive at rate λ and hold a number for the lease plus its
// cooldown; a request finding every number busy is lost (overflow). Erlang B gives the loss rate.

/** Erlang B blocking probability for offered load `a` (Erlangs) on `n` servers. */
export function erlangB(a: number, n: number): number {
  let b = 1;
  for (let k = 1; k <= n; k++) b = (a * b) / (k + a * b);
  return b;
}

/** Smallest pool size whose blocking probability is at most `target`. */
export function recommendedPoolSize(offeredLoad: number, target = 0.01, max = 100_000): number {
  if (!(offeredLoad > 0)) return 1;
  let b = 1;
  for (let n = 1; n <= max; n++) {
    b = (offeredLoad * b) / (n + offeredLoad * b);
    if (b <= target) return n;
  }
  return max;
}
