/** Runs every benchmark in turn (`npm run bench`); each can also run alone (`npm run bench:<name>`). */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = readdirSync(here).filter((f) => f.endsWith('.ts') && !['index.ts', 'bench-kit.ts'].includes(f)).sort();
let failed = 0;
for (const bench of benches) {
  process.stderr.write(`\n== ${bench}\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, bench)], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exitCode = failed ? 1 : 0;
