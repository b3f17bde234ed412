/**
 * Pricing the cost results at national scale: 70 hospitals x 20 products over
 * 1 and 3 contract years of weekly cost cells (synthetic volumes, each product
 * priced per study with graduated tiers except the pilot's three, under their
 * assumed contracts), in chDB: reading the monthly volumes, the model,
 * writing cost_monthly and cost_yearly with their tombstones. Median of rounds.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { computeCosts, contractsSchema, DEFAULT_CONTRACTS, priceCosts, readVolumes } from '../analytics/index.ts';
import { PRODUCT_IDS } from '../events/index.ts';
import { EmbeddedStore, migrate } from '../store/index.ts';
import { tempDir } from '../testing/index.ts';
import { endProgress, machine, median, progress, timeIt } from './bench-kit.ts';

const { values } = parseArgs({ options: { years: { type: 'string', default: '1,3' }, rounds: { type: 'string', default: '3' }, hospitals: { type: 'string', default: '70' } } });
const rounds = Number(values.rounds);
const hospitals = Array.from({ length: Number(values.hospitals) }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);
const say = progress('cost');
const contracts = contractsSchema.parse({
  ...DEFAULT_CONTRACTS,
  products: Object.fromEntries(
    PRODUCT_IDS.map((p) => [
      p,
      DEFAULT_CONTRACTS.products[p] ?? { purchase: 'joint', price: { model: 'per_study', tiering: 'graduated', tiers: [{ upTo: 5000, cents: 500 }, { upTo: 50000, cents: 350 }, { upTo: null, cents: 200 }] } },
    ]),
  ),
});
const chTime = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
const lines: string[] = [];
for (const years of values.years.split(',').map(Number)) {
  const dir = tempDir('bench-cost');
  const store = new EmbeddedStore({ path: join(dir.path, 'clickhouse') });
  await migrate(store);
  const rows = [];
  let x = 7;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let w = 0; w < 52 * years; w++) {
    const week = new Date(Date.UTC(2026, 0, 5) + w * 7 * 86_400_000);
    const month = `${week.toISOString().slice(0, 7)}-01`;
    for (const hospital of hospitals) for (const product of PRODUCT_IDS) {
      const inferred = Math.floor(rand() * 400);
      rows.push({ hospital, product, week: week.toISOString().slice(0, 10), month, inferred, viewed: Math.floor(inferred * rand()), computed_at: chTime(Date.now()), is_deleted: 0 });
    }
  }
  for (let i = 0; i < rows.length; i += 100_000) await store.insert('cost_cells', rows.slice(i, i + 100_000));
  say(`${years} year(s): ${rows.length} cost cells`);
  const volumes = await readVolumes(store);
  const model = median(await Promise.all(Array.from({ length: rounds }, () => timeIt(async () => computeCosts(volumes, contracts)))));
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const now = Date.now() + r * 10;
    times.push(await timeIt(() => priceCosts(store, contracts, { tombstone: chTime(now - 1), version: chTime(now) })));
    say(`${years} year(s): round ${r + 1}/${rounds}`);
  }
  const [m] = await store.query<{ n: number }>('SELECT count() AS n FROM cost_monthly FINAL');
  const [y] = await store.query<{ n: number }>('SELECT count() AS n FROM cost_yearly FINAL');
  lines.push(`| ${years} | ${rows.length.toLocaleString('en')} | ${volumes.length.toLocaleString('en')} | ${Number(m!.n).toLocaleString('en')} / ${Number(y!.n).toLocaleString('en')} | ${(model / 1000).toFixed(2)} | ${(median(times) / 1000).toFixed(2)} | ${Math.round(process.memoryUsage().rss / 2 ** 20)} |`);
  await store.close();
  dir.remove();
}
endProgress();
console.log(`${await machine()}, ${hospitals.length} hospitals x ${PRODUCT_IDS.length} products, median of ${rounds}`);
console.log('| contract years | cost cells | monthly volumes | cost_monthly / cost_yearly rows | model s | pricing step s | RSS MiB |');
console.log('|---|---|---|---|---|---|---|');
for (const line of lines) console.log(line);
