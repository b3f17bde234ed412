import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when CI demands every real service (AIFI_REQUIRE_SERVICES=1): a missing one fails instead of skipping. */
export const servicesRequired = ['1', 'true', 'yes'].includes(process.env.AIFI_REQUIRE_SERVICES ?? '');

/**
 * Decides whether tests that need `name` run. Returns true when `probe`
 * succeeds. Otherwise: throws when services are required, or prints why the
 * tests are skipped and returns false.
 */
export async function needService(name: string, probe: () => Promise<unknown> | unknown): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (servicesRequired) {
      throw new Error(`${name} is required (AIFI_REQUIRE_SERVICES=1) but not available: ${reason}`);
    }
    console.warn(`skipping tests that need ${name}: ${reason}`);
    return false;
  }
}

/** A fresh folder under the system temp dir; removed by the returned function. */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `aifi-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Waits until `check` resolves truthy, polling; fails with `what` after the deadline. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String((lastError as Error).message ?? lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  /** Stops the process by its pid (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/** Starts a service process, keeping its output for error messages. */
export function startProcess(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunningProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    child,
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      process.kill(child.pid, signal);
      const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Starts a service for a test and waits until `ready` says it answers. If it
 * exits or never gets ready, it is stopped, its folder removed, and the error
 * says why with the end of its output. `stop` ends it by its pid and removes
 * the folder.
 */
export async function startService(
  name: string,
  command: string,
  args: string[],
  dir: { path: string; remove: () => void },
  ready: () => Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ stop: () => Promise<void> }> {
  const service = startProcess(command, args, { cwd: dir.path, env: options.env });
  try {
    await waitFor(
      `${name} to answer`,
      async () => {
        if (service.child.exitCode !== null) throw new Error(`${name} exited: ${service.output().slice(-2000)}`);
        return await ready();
      },
      options.timeoutMs,
      options.intervalMs,
    );
  } catch (error) {
    await service.stop();
    dir.remove();
    throw error;
  }
  return {
    stop: async () => {
      await service.stop();
      dir.remove();
    },
  };
}
