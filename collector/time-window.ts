/** How far an event's `occurred_at` may lie before and after the moment it arrives. */
export interface TimeWindow {
  maxAgeMs: number;
  maxAheadMs: number;
}

const DAY_MS = 86_400_000;

/**
 * Two years back (backfills of a year and more, verdicts given months after the
 * result), a quarter of an hour ahead (clocks a little fast). At most 26 months
 * of partitions in one insert, well below ClickHouse's 100 per block.
 */
export const DEFAULT_TIME_WINDOW: TimeWindow = { maxAgeMs: 730 * DAY_MS, maxAheadMs: 15 * 60_000 };

/** The window widened, if need be, so that every time from `fromMs` to `toMs` fits it at `nowMs`. */
export function windowCovering(window: TimeWindow, fromMs: number, toMs: number, nowMs = Date.now()): TimeWindow {
  return { maxAgeMs: Math.max(window.maxAgeMs, nowMs - fromMs), maxAheadMs: Math.max(window.maxAheadMs, toMs - nowMs) };
}

/** Why `occurredAtMs` is not a plausible time for an event arriving at `nowMs`, or null when it is. */
export function implausibleTime(window: TimeWindow, occurredAtMs: number, nowMs: number): string | null {
  if (occurredAtMs < nowMs - window.maxAgeMs) {
    return `is more than ${describe(window.maxAgeMs)} before the time it arrived (${new Date(nowMs).toISOString()}); events that old are refused`;
  }
  if (occurredAtMs > nowMs + window.maxAheadMs) {
    return `is more than ${describe(window.maxAheadMs)} after the time it arrived (${new Date(nowMs).toISOString()}); a time in the future is refused`;
  }
  return null;
}

function describe(ms: number): string {
  if (ms >= DAY_MS && ms % DAY_MS === 0) return `${ms / DAY_MS} days`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  return `${ms} ms`;
}
