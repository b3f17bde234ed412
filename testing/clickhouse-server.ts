import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startService, tempDir } from './services.ts';

export interface ClickHouseServer {
  url: string;
  stop: () => Promise<void>;
}

/** Throws unless Debian's clickhouse-server is installed. */
export function clickhouseServerInstalled(): void {
  try {
    execFileSync('sh', ['-c', 'command -v clickhouse-server'], { stdio: 'ignore' });
  } catch {
    throw new Error('clickhouse-server is not installed (apt-get install clickhouse-server)');
  }
}

/**
 * Starts Debian's clickhouse-server on 127.0.0.1 with its own data folder and
 * free ports; `stop` ends it by its pid and removes the folder.
 */
export async function startClickHouseServer(): Promise<ClickHouseServer> {
  const dir = tempDir('clickhouse-server');
  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  for (const sub of ['data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(join(dir.path, sub));
  writeFileSync(
    join(dir.path, 'config.xml'),
    `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${dir.path}/data/</path>
  <tmp_path>${dir.path}/tmp/</tmp_path>
  <user_files_path>${dir.path}/user_files/</user_files_path>
  <format_schema_path>${dir.path}/format_schemas/</format_schema_path>
  <users_config>${dir.path}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
  <timezone>UTC</timezone>
</yandex>
`,
  );
  writeFileSync(
    join(dir.path, 'users.xml'),
    `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`,
  );
  const url = `http://127.0.0.1:${httpPort}`;
  const server = await startService('clickhouse-server', 'clickhouse-server', [`--config-file=${join(dir.path, 'config.xml')}`], dir, async () => (await fetch(`${url}/ping`)).ok);
  return { url, stop: server.stop };
}
