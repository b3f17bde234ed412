import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EVENT_ROW_COLUMNS, eventColumnTypes } from '../collector/index.ts';
import { rowBinaryWriter, type ColumnType, type Store } from '../store/index.ts';
import { networkOf } from './network.ts';
import type { Scenario } from './scenario.ts';
import { Timeline } from './timeline.ts';
import { TruthBook, type Truth, type TruthCell } from './truth.ts';

export interface BulkLoadOptions {
  /** Where the events go: the `events` table, through the store's door. */
  store: Store;
  scenario: Scenario;
  seed: string | number;
  weeks: number;
  /** Studies per week are the network's volumes times this (default: the scenario's). */
  volumeFactor?: number;
  /** Worker threads that make and serialise the events (default: one per core; bench/README.md, national-load). */
  workers?: number;
  /** Each worker's young generation in MB (default BULK_WORKER_YOUNG_GENERATION_MB; null: V8's own default). */
  workerYoungGenerationMb?: number | null;
  /** Bytes of rows per insert (default 160 MB). */
  batchBytes?: number;
  /**
   * How the rows go to the store: RowBinary where the store takes it (the
   * embedded store; the default there), else TabSeparated.
   */
  format?: 'RowBinary' | 'TabSeparated';
  /** Called after each insert and at the end. */
  onProgress?: (progress: BulkProgress) => void;
}

export interface BulkProgress {
  /** Hospital-weeks made so far, of all. */
  done: number;
  total: number;
  studies: number;
  events: number;
  /** Events in the store so far. */
  stored: number;
  seconds: number;
}

export interface BulkLoadResult {
  truth: Truth;
  studies: number;
  events: number;
  seconds: number;
  /** Of which spent waiting for the store's inserts. */
  insertSeconds: number;
  inserts: number;
  workers: number;
  format: 'RowBinary' | 'TabSeparated';
}

/** @internal what a worker is told and answers. */
export interface BulkWorkerData {
  scenario: Scenario;
  seed: string | number;
  weeks: number;
  checkEvery: number;
  /** The `events` table's columns when the rows go as RowBinary, null for TabSeparated. */
  types: ColumnType[] | null;
}
export interface BulkChunk {
  index: number;
  week: number;
  hospital: string;
}
export type BulkChunkResult = { index: number; studies: number; events: number; payload: Uint8Array; cells: TruthCell[] } | { index: number; error: string };

/** The worker's entry: it registers tsx's loader, then imports bulk-worker.ts. */
const WORKER = new URL('./bulk-worker.mjs', import.meta.url);

/**
 * The young generation of each worker's heap, in MB (V8's default is 48 at
 * most: semi-spaces of 16 MB). A worker allocates some 20 short-lived objects
 * and strings an event, and with the default its scavenges took a quarter of
 * its time; with semi-spaces of 64 MB the scavenges took about a quarter less
 * time and the load 0.97 of the CPU an event with two workers, 0.86 with one
 * (bench/README.md, national-load). The events are the same: this is the garbage collector's
 * budget only.
 */
export const BULK_WORKER_YOUNG_GENERATION_MB = 192;

/**
 * The bulk load: a simulated scenario's weeks straight into the `events`
 * table, for a national year in minutes. The events are the backfill's
 * (deterministic for the seed, event ids included, so a repeated load is
 * deduplicated), and each is stored as the row the collector makes of it
 * (`eventToRow`); they bypass HTTP and the collector's batcher, not the
 * contract. Worker threads make and serialise hospital-weeks while this
 * thread inserts large batches (RowBinary, or TabSeparated where the store
 * takes no RowBinary), one at a time; the workers wait
 * while two batches are queued, so memory stays bounded.
 */
export async function bulkLoad(options: BulkLoadOptions): Promise<BulkLoadResult> {
  const started = performance.now();
  const scenario = { ...options.scenario, volume_factor: options.volumeFactor ?? options.scenario.volume_factor };
  const hospitals = networkOf(scenario).workload.map((h) => h.id);
  const chunks: BulkChunk[] = [];
  for (let week = 0; week < options.weeks; week++) for (const hospital of hospitals) chunks.push({ index: chunks.length, week, hospital });
  const batchBytes = options.batchBytes ?? 160 * 2 ** 20;
  const workerCount = Math.max(1, Math.min(options.workers ?? availableParallelism(), chunks.length));
  const store = options.store;
  const rowBinary = (options.format ?? 'RowBinary') === 'RowBinary' && store.insertRowBinary !== undefined;
  const types = rowBinary ? await eventColumnTypes(store) : null;
  // Made here first, so that a column it cannot write fails the load before any worker starts.
  const structure = types ? rowBinaryWriter(EVENT_ROW_COLUMNS, types).structure : '';
  const young = options.workerYoungGenerationMb === undefined ? BULK_WORKER_YOUNG_GENERATION_MB : options.workerYoungGenerationMb;
  const data: BulkWorkerData = { scenario, seed: options.seed, weeks: options.weeks, checkEvery: 1000, types };

  const cells: TruthCell[][] = new Array(chunks.length);
  let queued: Uint8Array[] = [];
  let queuedBytes = 0;
  let next = 0;
  let done = 0;
  let studies = 0;
  let events = 0;
  let stored = 0;
  let queuedEvents = 0;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const idle: Worker[] = [];
  const signal = () => {
    wake?.();
    wake = null;
  };
  const released = new Set<Worker>();
  const assign = (worker: Worker) => {
    if (next < chunks.length) {
      worker.postMessage(chunks[next++]);
      return;
    }
    released.add(worker);
    worker.postMessage(null);
  };

  const workers = Array.from({ length: workerCount }, () => {
    const worker = new Worker(WORKER, { workerData: data, ...(young === null ? {} : { resourceLimits: { maxYoungGenerationSizeMb: young } }) });
    worker.on('message', (result: BulkChunkResult) => {
      if ('error' in result) {
        failure ??= new Error(`bulk load: hospital-week ${chunks[result.index]!.hospital} ${chunks[result.index]!.week} failed: ${result.error}`);
        signal();
        return;
      }
      cells[result.index] = result.cells;
      queued.push(result.payload);
      queuedBytes += result.payload.byteLength;
      queuedEvents += result.events;
      studies += result.studies;
      events += result.events;
      done++;
      if (queuedBytes < 2 * batchBytes) assign(worker);
      else idle.push(worker);
      signal();
    });
    worker.on('error', (error) => {
      failure ??= error;
      signal();
    });
    worker.on('exit', (code) => {
      if (!released.has(worker) && done < chunks.length) failure ??= new Error(`bulk load: a worker stopped (exit code ${code}) with ${chunks.length - done} hospital-weeks not made`);
      signal();
    });
    return worker;
  });

  let insertMs = 0;
  let inserts = 0;
  try {
    for (const worker of workers) assign(worker);
    while (done < chunks.length || queued.length > 0) {
      if (failure) throw failure;
      if (queuedBytes < batchBytes && done < chunks.length) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const payload = queued;
      const batchEvents = queuedEvents;
      queued = [];
      queuedBytes = 0;
      queuedEvents = 0;
      while (idle.length > 0) assign(idle.pop()!);
      const t = performance.now();
      if (types) await store.insertRowBinary!('events', EVENT_ROW_COLUMNS, structure, payload);
      else await store.insertTabSeparated('events', EVENT_ROW_COLUMNS, Buffer.concat(payload));
      insertMs += performance.now() - t;
      inserts++;
      stored += batchEvents;
      options.onProgress?.({ done, total: chunks.length, studies, events, stored, seconds: (performance.now() - started) / 1000 });
    }
    if (failure) throw failure;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }

  const truth = new TruthBook(scenario, options.seed, options.weeks, new Timeline(scenario));
  for (const part of cells) truth.merge(part);
  return { truth: truth.result(), studies, events, seconds: (performance.now() - started) / 1000, insertSeconds: insertMs / 1000, inserts, workers: workerCount, format: types ? 'RowBinary' : 'TabSeparated' };
}
