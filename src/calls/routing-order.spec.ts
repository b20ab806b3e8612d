import { orderByPriorityAndWeight } from './routing-order';

describe('orderByPriorityAndWeight', () => {
  const items = [
    { id: 'a', priority: 2, weight: 1 },
    { id: 'b', priority: 1, weight: 1 },
    { id: 'c', priority: 1, weight: 3 },
    { id: 'd', priority: 3, weight: 100 },
  ];

  it('puts lower priorities first and is the same for the same seed', () => {
    const order = orderByPriorityAndWeight(items, 'call-1').map((t) => t.id);
    expect(order.slice(2)).toEqual(['a', 'd']);
    expect(new Set(order.slice(0, 2))).toEqual(new Set(['b', 'c']));
    expect(orderByPriorityAndWeight(items, 'call-1').map((t) => t.id)).toEqual(order);
  });

  it('shares the first place inside a priority by weight', () => {
    let cFirst = 0;
    const n = 4_000;
    for (let i = 0; i < n; i++) if (orderByPriorityAndWeight(items, `call-${i}`)[0].id === 'c') cFirst++;
    // weight 3 vs 1: c first about 75 % of the time.
    expect(cFirst / n).toBeGreaterThan(0.7);
    expect(cFirst / n).toBeLessThan(0.8);
  });
});
