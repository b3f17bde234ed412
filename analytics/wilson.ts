/** The 95 % Wilson score interval of x successes out of n (0..1; [0, 1] when n is 0). */
export function wilson(x: number, n: number, z = 1.959964): [number, number] {
  if (n <= 0) return [0, 1];
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** The same interval as ClickHouse SQL over two column expressions (names, never values). */
export function wilsonSql(x: string, n: string): { low: string; high: string } {
  const z2 = '3.841459';
  const p = `(${x} / ${n})`;
  const centre = `((${p} + ${z2} / (2 * ${n})) / (1 + ${z2} / ${n}))`;
  const half = `(1.959964 * sqrt(${p} * (1 - ${p}) / ${n} + ${z2} / (4 * ${n} * ${n})) / (1 + ${z2} / ${n}))`;
  return { low: `if(${n} = 0, 0, greatest(0, ${centre} - ${half}))`, high: `if(${n} = 0, 1, least(1, ${centre} + ${half}))` };
}
