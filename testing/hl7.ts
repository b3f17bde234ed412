import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from './services.ts';

const run = promisify(execFile);

/** Python's `hl7` package's MLLP sender: in deploy/hl7/.venv (what .ci/run installs), or AIFI_MLLP_SEND. */
export function mllpSendPath(): string {
  return process.env.AIFI_MLLP_SEND ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'hl7', '.venv', 'bin', 'mllp_send');
}

/** Throws unless mllp_send is there and runs. */
export async function mllpSendInstalled(): Promise<void> {
  const path = mllpSendPath();
  if (!existsSync(path)) throw new Error(`${path} is missing (python3 -m venv deploy/hl7/.venv && deploy/hl7/.venv/bin/pip install hl7==0.4.5)`);
  await run(path, ['--version']);
}

/**
 * Sends HL7 v2 messages (segments joined by \r) over one MLLP connection with
 * `mllp_send`, each framed as MLLP so that a malformed one goes as it is, and
 * returns the acknowledgements it printed, one per message, segments split.
 */
export async function mllpSend(port: number, messages: string[]): Promise<string[][]> {
  const dir = tempDir('mllp');
  try {
    const file = join(dir.path, 'messages.hl7');
    writeFileSync(file, Buffer.concat(messages.map((m) => Buffer.concat([Buffer.from([0x0b]), Buffer.from(m, 'utf8'), Buffer.from([0x1c, 0x0d])]))));
    const { stdout } = await run(mllpSendPath(), ['--port', String(port), '--file', file, '127.0.0.1'], { timeout: 30_000 });
    return stdout
      .split('\x1c')
      .map((a) => a.replace(/[\x0b\n]/g, '').trim())
      .filter((a) => a.length > 0)
      .map((a) => a.split('\r').filter(Boolean));
  } finally {
    dir.remove();
  }
}
