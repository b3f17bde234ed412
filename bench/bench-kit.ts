import { performance } from 'node:perf_hooks';

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Percentile (0..100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Times one async run in milliseconds. */
export async function timeIt(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** A progress line that rewrites itself on a terminal and prints plainly elsewhere. */
export function progress(label: string): (text: string) => void {
  return (text: string) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${label}: ${text}`);
    else process.stderr.write(`${label}: ${text}\n`);
  };
}

export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write('\n');
}

/** The machine the figures were measured on, for the record. */
export async function machine(): Promise<string> {
  const os = await import('node:os');
  return `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
