import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, tempDir, waitFor } from './services.ts';

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
  const am = startProcess('prometheus-alertmanager', [
    `--config.file=${configPath}`,
    `--storage.path=${join(dir.path, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
    '--log.level=warn',
  ]);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('Alertmanager to answer', async () => {
      if (am.child.exitCode !== null) throw new Error(`Alertmanager exited: ${am.output()}`);
      return (await fetch(`${url}/-/ready`)).ok;
    });
  } catch (error) {
    await am.stop();
    dir.remove();
    throw error;
  }
  return {
    url,
    stop: async () => {
      await am.stop();
      dir.remove();
    },
  };
}
