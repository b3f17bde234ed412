import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../config/index.ts';
import { PILOT_HOSPITALS, hospitalsFileSchema } from '../orchestrator/index.ts';

// Docker runs no containers here: the compose file is checked against the code it deploys —
// every setting it passes exists, every file it mounts exists (or is one the operator makes, as
// deploy/README.md says), the generated files are the ones mounted, and the names agree.
const here = dirname(fileURLToPath(import.meta.url));
const compose = parse(readFileSync(join(here, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string>; volumes?: string[]; env_file?: string[]; secrets?: string[]; networks?: Record<string, { aliases?: string[] }> }>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const names = Object.keys(services);
const readme = readFileSync(join(here, 'README.md'), 'utf8');
/** What the operator makes before the first start (deploy/README.md): certificates and secrets. */
const MADE_BY_OPERATOR = ['./certs', './secrets/'];

describe('deploy/compose.yaml', () => {
  it('runs every component of the platform', () => {
    const image = (prefix: string) => names.filter((n) => services[n]!.image?.startsWith(prefix));
    expect(image('clickhouse/clickhouse-keeper')).toHaveLength(1);
    expect(image('clickhouse/clickhouse-server').length).toBeGreaterThanOrEqual(2);
    expect(image('apache/kafka')).toHaveLength(3);
    const aifi = names.filter((n) => services[n]!.image === 'aifi-observe:latest');
    const role = (r: string) => aifi.filter((n) => services[n]!.command?.[0] === r);
    expect(role('collector').length).toBeGreaterThanOrEqual(2);
    expect(role('orchestrator').sort()).toEqual(PILOT_HOSPITALS.hospitals.map((h) => `gateway-${h.id}`).sort());
    expect(role('migrate')).toEqual(['migrate']);
    for (const prefix of ['grafana/grafana', 'prom/prometheus', 'prom/alertmanager', 'otel/opentelemetry-collector', 'orthancteam/orthanc']) expect(image(prefix), prefix).toHaveLength(1);
    expect(services.grafana!.environment!.GF_INSTALL_PLUGINS).toBe('grafana-clickhouse-datasource');
  });

  it('passes only settings the configuration schema knows', () => {
    const known = new Set(Object.keys(configSchema.shape));
    for (const [name, s] of Object.entries(services)) {
      for (const key of Object.keys(s.environment ?? {}).filter((k) => k.startsWith('AIFI_'))) expect(known.has(key), `${name}: ${key}`).toBe(true);
    }
    // The settings themselves load, with the secrets the operator writes into secrets/clickhouse.env.
    for (const n of names.filter((n) => services[n]!.image === 'aifi-observe:latest')) {
      const s = services[n]!;
      const env = Object.fromEntries(Object.entries(s.environment!).filter(([k]) => k.startsWith('AIFI_')));
      const withSecrets = s.env_file?.includes('./secrets/clickhouse.env') ? { ...env, AIFI_CLICKHOUSE_PASSWORD: 'x' } : env;
      expect(() => loadConfig(withSecrets), n).not.toThrow();
      if (s.command?.[0] === 'orchestrator') {
        // A hospital's gateway holds none of the centre's secrets.
        expect(Object.keys(env).filter((k) => k.startsWith('AIFI_CLICKHOUSE')), n).toEqual([]);
        expect(s.env_file, n).toBeUndefined();
      }
    }
  });

  it('mounts files that exist, or that deploy/README.md tells the operator to make', () => {
    const sources = [
      ...Object.values(services).flatMap((s) => [...(s.volumes ?? []).map((v) => v.split(':')[0]!), ...(s.env_file ?? [])]),
      ...Object.values(compose.secrets).map((s) => s.file),
    ].filter((p) => p.startsWith('.'));
    expect(sources.length).toBeGreaterThan(20);
    for (const source of sources) {
      const made = MADE_BY_OPERATOR.find((m) => source.startsWith(m));
      if (made) expect(readme, `${source} is made by the operator: deploy/README.md must say how`).toContain(source.replace(/^\.\//, 'deploy/'));
      else expect(existsSync(resolve(here, source)), source).toBe(true);
    }
    for (const s of Object.values(services)) for (const v of s.volumes ?? []) if (!v.startsWith('.')) expect(compose.volumes, v).toHaveProperty(v.split(':')[0]!);
  });

  it('mounts the generated Grafana, Prometheus and Alertmanager files where each service reads them, with names that resolve', () => {
    const mounts = (service: string) => Object.fromEntries((services[service]!.volumes ?? []).map((v) => v.split(':')).map(([from, to]) => [from!, to!]));
    expect(mounts('grafana')).toMatchObject({ './grafana/provisioning': '/etc/grafana/provisioning', './grafana/dashboards': '/var/lib/grafana/dashboards/aifi' });
    const provider = JSON.parse(readFileSync(join(here, 'grafana/provisioning/dashboards/aifi.yml'), 'utf8'));
    expect(provider.providers[0].options.path).toBe('/var/lib/grafana/dashboards/aifi');
    const datasources = JSON.parse(readFileSync(join(here, 'grafana/provisioning/datasources/aifi.yml'), 'utf8')).datasources as { type: string; url?: string; jsonData?: { host: string } }[];
    const hosts = new Set(names.concat(Object.values(services).flatMap((s) => Object.values(s.networks ?? {}).flatMap((n) => n.aliases ?? []))));
    expect(hosts.has(datasources.find((d) => d.type === 'grafana-clickhouse-datasource')!.jsonData!.host)).toBe(true);
    expect(hosts.has(new URL(datasources.find((d) => d.type === 'prometheus')!.url!).hostname)).toBe(true);

    const prometheus = parse(readFileSync(join(here, 'prometheus/prometheus.yml'), 'utf8')) as { rule_files: string[]; scrape_configs: { static_configs: { targets: string[] }[] }[] };
    const promMounts = mounts('prometheus');
    for (const rules of prometheus.rule_files) expect(Object.entries(promMounts).find(([, to]) => to === rules)?.[0]).toBe('./prometheus/aifi-ops.rules.yml');
    const scraped = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets.map((t) => t.split(':')[0]!)));
    expect(scraped.sort()).toEqual(names.filter((n) => ['collector', 'orchestrator'].includes(services[n]!.command?.[0] ?? '')).sort());
    expect(mounts('alertmanager')['./alertmanager/alertmanager.yml']).toBe('/etc/alertmanager/alertmanager.yml');
  });

  it('gives each gateway its own hospital, as the code knows it, and its own data folder', () => {
    for (const h of PILOT_HOSPITALS.hospitals) {
      const file = hospitalsFileSchema.parse(JSON.parse(readFileSync(join(here, 'gateways', `${h.id}.json`), 'utf8')));
      expect(file.hospitals).toEqual([h]);
      const gateway = services[`gateway-${h.id}`]!;
      expect(gateway.volumes).toEqual([`./gateways/${h.id}.json:/etc/aifi/hospital.json:ro`, `gateway-${h.id}:/var/lib/aifi`]);
      expect(gateway.environment!.AIFI_HOSPITALS_FILE).toBe('/etc/aifi/hospital.json');
    }
  });

  it('agrees on the cluster: ClickHouse shards, the cluster name, the Kafka quorum and replication', () => {
    const cluster = readFileSync(join(here, 'clickhouse/cluster.xml'), 'utf8');
    const clusterName = /<remote_servers>\s*<([a-z_]+)>/.exec(cluster)![1];
    const shardHosts = [...cluster.matchAll(/<host>([^<]+)<\/host><port>9000<\/port>/g)].map((m) => m[1]);
    expect(shardHosts).toEqual(names.filter((n) => services[n]!.image?.startsWith('clickhouse/clickhouse-server')));
    expect(services.migrate!.command).toEqual(['migrate', '--cluster', clusterName]);
    const kafka = names.filter((n) => services[n]!.image?.startsWith('apache/kafka'));
    for (const n of names.filter((n) => services[n]!.image === 'aifi-observe:latest')) {
      if (services[n]!.command?.[0] !== 'orchestrator') expect(services[n]!.environment!.AIFI_CLICKHOUSE_CLUSTER, n).toBe(clusterName);
      expect(services[n]!.environment!.AIFI_KAFKA_BROKERS, n).toBe(kafka.map((k) => `${k}:9092`).join(','));
    }
    for (const [i, k] of kafka.entries()) {
      const env = services[k]!.environment!;
      expect(env.KAFKA_NODE_ID).toBe(String(i + 1));
      expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(kafka.map((n, j) => `${j + 1}@${n}:9093`).join(','));
      expect([env.KAFKA_DEFAULT_REPLICATION_FACTOR, env.KAFKA_MIN_INSYNC_REPLICAS]).toEqual(['3', '2']);
    }
  });
});
