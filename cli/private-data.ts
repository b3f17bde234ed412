import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.ts';

/**
 * Keeps what the aifi command writes private to its user: every file it (and
 * the embedded ClickHouse in it) creates from now on is 0600 and every folder
 * 0700 (umask 077), and the data folder and what an earlier run left in it are
 * made so too. Every vendor's data is in there.
 */
export function keepDataPrivate(config: Config): Config {
  process.umask(0o077);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  restrict(config.dataDir);
  return config;
}

/**
 * Another process on the same data folder (a running `aifi up` beside `aifi analytics run`
 * from cron) may remove a file between its listing and its visit: a file gone has nothing
 * left to keep private.
 */
function restrict(path: string): void {
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & 0o077) !== 0) chmodSync(path, stat.mode & 0o700);
    if (stat.isDirectory()) for (const name of readdirSync(path)) restrict(join(path, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
