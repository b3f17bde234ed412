import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProductId } from '../events/index.ts';
import { CLICKHOUSE_DATASOURCE, PROMETHEUS_DATASOURCE } from './clickhouse-query.ts';
import { dashboards } from './definitions.ts';

/**
 * Writes every dashboard as JSON and Grafana's provisioning files (the
 * ClickHouse and Prometheus datasources, a dashboard provider). Deterministic:
 * the same code writes the same files.
 */
export function writeDashboards(out: string, options: { hospitals: string[]; products?: readonly ProductId[]; clickhouseUrl?: string; prometheusUrl?: string; traceUrl?: string | null }): string[] {
  const written: string[] = [];
  const write = (path: string, content: unknown) => {
    mkdirSync(join(out, path, '..'), { recursive: true });
    writeFileSync(join(out, path), JSON.stringify(content, null, 2) + '\n');
    written.push(path);
  };
  for (const d of dashboards({ hospitals: options.hospitals, products: options.products, traceUrl: options.traceUrl ?? null })) write(`dashboards/${d.uid}.json`, d.json);
  write('provisioning/datasources/aifi.yml', {
    apiVersion: 1,
    datasources: [
      {
        name: 'AIFI ClickHouse',
        uid: CLICKHOUSE_DATASOURCE.uid,
        type: CLICKHOUSE_DATASOURCE.type,
        jsonData: { host: options.clickhouseUrl ?? 'clickhouse', port: 8123, protocol: 'http', defaultDatabase: 'default' },
      },
      { name: 'AIFI Prometheus', uid: PROMETHEUS_DATASOURCE.uid, type: PROMETHEUS_DATASOURCE.type, url: options.prometheusUrl ?? 'http://prometheus:9090' },
    ],
  });
  write('provisioning/dashboards/aifi.yml', {
    apiVersion: 1,
    providers: [{ name: 'aifi', folder: 'AIFI', type: 'file', disableDeletion: true, options: { path: '/var/lib/grafana/dashboards/aifi' } }],
  });
  return written;
}
