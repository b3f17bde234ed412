import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import type { FastifyBaseLogger } from 'fastify';
import { StoreError, type Store } from '../store/index.ts';
import { CollectorMetrics } from './metrics.ts';

export interface BatchWriterOptions {
  /** Flush when this many rows are queued (default 10,000). */
  maxBatchRows?: number;
  /** Flush at least this often while rows wait (default 1 s). */
  flushIntervalMs?: number;
  /** Rows held at most, queued and in flight; beyond it `add` refuses (default 100,000). */
  maxQueueRows?: number;
  /** Attempts per batch for retryable store errors (default 8), with exponential backoff and jitter. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** While the store refuses writes, how often it is pinged to learn that it is back (default 1 s). */
  probeIntervalMs?: number;
  /** Where the writer's figures go (default: a registry of its own). */
  metrics?: CollectorMetrics;
}

export class QueueFullError extends Error {
  constructor(
    readonly table: string,
    readonly capacity: number,
  ) {
    super(`the write queue for ${table} is full (${capacity} rows); retry later`);
    this.name = 'QueueFullError';
  }
}

/** A row already encoded as one JSONEachRow line (with its newline), and the id that names it in a log line. */
export interface EncodedRow {
  id: string;
  line: string;
}

interface Pending {
  rows: readonly EncodedRow[];
  /** Resolved once these rows are in ClickHouse, rejected when they were given up. */
  settle: { resolve: () => void; reject: (e: Error) => void };
}

/**
 * Collects encoded rows for one table and writes them in large batches, on size or on
 * interval. Retryable store errors are retried with backoff and jitter; other
 * errors, and retries exhausted, reject the promises of the rows concerned, so
 * the caller (an HTTP request, a Kafka offset) learns that its rows are not
 * stored. A batch the store refuses for its content is written again one
 * sender's rows at a time, so that rows that can never be stored hold back no
 * one else's. Memory is bounded. `shutdown` flushes what is queued and is safe
 * to call twice.
 */
export class BatchWriter {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private inFlightRows = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;
  private failing = false;
  private probe: NodeJS.Timeout | null = null;
  readonly maxBatchRows: number;
  readonly maxQueueRows: number;
  /** About how long a batch spends in retries before it is given up, in ms: the sum of the backoff delays (for consumers that wait that long). */
  readonly maxRetryMs: number;
  private readonly flushIntervalMs: number;
  private readonly probeIntervalMs: number;
  private readonly retries: RetryPolicy;
  private readonly stopping = new AbortController();
  readonly metrics: CollectorMetrics;

  constructor(
    private readonly store: Store,
    readonly table: string,
    private readonly log: Pick<FastifyBaseLogger, 'warn' | 'error'>,
    options: BatchWriterOptions = {},
  ) {
    this.metrics = options.metrics ?? new CollectorMetrics();
    this.maxBatchRows = options.maxBatchRows ?? 10_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.maxQueueRows = options.maxQueueRows ?? 100_000;
    this.probeIntervalMs = options.probeIntervalMs ?? 1_000;
    const maxAttempts = options.maxAttempts ?? 8;
    const maxDelayMs = options.maxDelayMs ?? 10_000;
    const baseDelayMs = options.baseDelayMs ?? 200;
    this.maxRetryMs = Array.from({ length: maxAttempts - 1 }, (_, k) => Math.min(maxDelayMs, baseDelayMs * 2 ** k)).reduce((a, b) => a + b, 0);
    this.retries = retry(handleWhen((e) => e instanceof StoreError && e.retryable), {
      maxAttempts: maxAttempts - 1,
      backoff: new ExponentialBackoff({ initialDelay: baseDelayMs, maxDelay: maxDelayMs }),
    });
    this.retries.onRetry((r) => {
      const e = 'error' in r ? (r.error as StoreError) : null;
      this.metrics.flushFailures.inc({ table: this.table, kind: e?.kind ?? 'failed', final: 'false' });
      this.markFailing();
      this.log.warn({ table: this.table, attempt: r.attempt, wait_ms: Math.round(r.delay), kind: e?.kind, reason: e?.message }, 'insert failed; retrying');
    });
    this.metrics.queueCapacity.set({ table }, this.maxQueueRows);
  }

  /** Rows queued or being written. */
  get depth(): number {
    return this.queuedRows + this.inFlightRows;
  }

  /** True while the store refuses writes (the last attempt failed and is being retried). */
  get degraded(): boolean {
    return this.failing;
  }

  /** Whether `rows` more would fit now. */
  hasRoomFor(rows: number): boolean {
    return this.depth + rows <= this.maxQueueRows;
  }

  /** Resolves once `rows` more would fit (at once if they do now); rejects after shutdown. */
  whenRoomFor(rows: number): Promise<void> {
    if (this.hasRoomFor(rows)) return Promise.resolve();
    if (this.closed) return Promise.reject(new StoreError('closed', `the writer for ${this.table} is shut down`));
    return new Promise((resolve, reject) => this.roomWaiters.push({ rows, resolve, reject }));
  }

  private roomWaiters: { rows: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  private wakeRoomWaiters(): void {
    this.roomWaiters = this.roomWaiters.filter((w) => {
      if (this.closed) w.reject(new StoreError('closed', `the writer for ${this.table} is shut down`));
      else if (this.hasRoomFor(w.rows)) w.resolve();
      else return true;
      return false;
    });
  }

  /**
   * Queues rows; the promise settles when they are stored (or given up).
   * Throws QueueFullError at once, taking none of them, when they do not fit.
   */
  add(rows: readonly EncodedRow[]): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('closed', `the writer for ${this.table} is shut down`));
    if (rows.length === 0) return Promise.resolve();
    if (!this.hasRoomFor(rows.length)) throw new QueueFullError(this.table, this.maxQueueRows);
    let settle!: Pending['settle'];
    const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    this.queue.push({ rows, settle });
    this.queuedRows += rows.length;
    this.metrics.queueDepth.set({ table: this.table }, this.depth);
    if (this.queuedRows >= this.maxBatchRows) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
    return done;
  }

  /** Writes everything queued now; resolves when the queue is empty or the batches settled. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    this.flushing = this.drain().finally(() => (this.flushing = null));
    await this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      let count = 0;
      while (this.queue.length > 0 && (count === 0 || count + this.queue[0]!.rows.length <= this.maxBatchRows)) {
        const next = this.queue.shift()!;
        batch.push(next);
        count += next.rows.length;
      }
      this.queuedRows -= count;
      this.inFlightRows += count;
      try {
        await this.settle(batch);
      } finally {
        this.inFlightRows -= count;
        this.metrics.queueDepth.set({ table: this.table }, this.depth);
        this.wakeRoomWaiters();
      }
    }
  }

  /** Writes the rows of several senders in one insert; when the store refuses them for their content, each sender's alone. */
  private async settle(batch: Pending[]): Promise<void> {
    const rows = batch.flatMap((p) => p.rows);
    try {
      await this.write(rows);
      for (const p of batch) p.settle.resolve();
      return;
    } catch (error) {
      const e = error as StoreError;
      if (batch.length === 1 || e.retryable) {
        this.giveUp(rows, e);
        for (const p of batch) p.settle.reject(e);
        return;
      }
      this.log.warn({ table: this.table, rows: rows.length, senders: batch.length, kind: e.kind, reason: e.message }, "the store refused a batch; writing each sender's rows alone");
    }
    for (const p of batch) {
      try {
        await this.write(p.rows);
        p.settle.resolve();
      } catch (error) {
        this.giveUp(p.rows, error as StoreError);
        p.settle.reject(error as Error);
      }
    }
  }

  /** One insert, retried while the store's errors are retryable (no retry once shutdown began). */
  private async write(rows: readonly EncodedRow[]): Promise<void> {
    const started = performance.now();
    let payload = '';
    for (const row of rows) payload += row.line;
    const bytes = Buffer.from(payload, 'utf8');
    try {
      await this.retries.execute(async () => {
        try {
          await this.store.insertJsonEachRow(this.table, bytes);
        } catch (error) {
          throw error instanceof StoreError ? error : new StoreError('failed', String(error), undefined, { cause: error });
        }
      }, this.stopping.signal);
    } catch (error) {
      const e = error as StoreError;
      this.metrics.flushFailures.inc({ table: this.table, kind: e.kind, final: 'true' });
      if (e.retryable) this.markFailing();
      throw e;
    }
    this.markHealthy();
    this.metrics.batchRows.observe({ table: this.table }, rows.length);
    this.metrics.rowsWritten.inc({ table: this.table }, rows.length);
    this.metrics.flushSeconds.observe({ table: this.table }, (performance.now() - started) / 1000);
  }

  private giveUp(rows: readonly EncodedRow[], e: StoreError): void {
    this.log.error(
      { table: this.table, rows: rows.length, kind: e.kind, err: e, event_ids: rows.slice(0, 50).map((r) => r.id) },
      'batch not written to ClickHouse; its senders are told',
    );
  }

  /** While the store refuses writes, ping it every second so that intake reopens as soon as it answers. */
  private markFailing(): void {
    this.failing = true;
    if (this.probe) return;
    this.probe = setInterval(() => {
      this.store.ping().then(
        () => this.markHealthy(),
        () => {},
      );
    }, this.probeIntervalMs);
    this.probe.unref();
  }

  private markHealthy(): void {
    this.failing = false;
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
  }

  /** Stops taking rows and writes what is queued, without retrying. Safe to call twice. */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    this.wakeRoomWaiters();
    await this.flush();
    this.markHealthy();
  }
}
