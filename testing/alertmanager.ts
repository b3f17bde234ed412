import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startService, tempDir } from './services.ts';

/** Throws unless Debian's prometheus-alertmanager is installed. */
export function alertmanagerInstalled(): void {
  try {
    execFileSync('sh', ['-c', 'command -v prometheus-alertmanager'], { stdio: 'ignore' });
  } catch {
    throw new Error('Alertmanager is not installed (apt-get install prometheus-alertmanager)');
  }
}

/** Starts Alertmanager on 127.0.0.1 with the given configuration, clustering off, its own storage. */
export async function startAlertmanager(config: Record<string, unknown>): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = tempDir('alertmanager');
  const port = await freePort();
  const configPath = join(dir.path, 'alertmanager.yml');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${port}`;
  const am = await startService(
    'Alertmanager',
    'prometheus-alertmanager',
    [`--config.file=${configPath}`, `--storage.path=${join(dir.path, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    dir,
    async () => (await fetch(`${url}/-/ready`)).ok,
  );
  return { url, stop: am.stop };
}
