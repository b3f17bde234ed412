import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configSchema } from '../config/index.ts';
import { PILOT_HOSPITALS } from '../orchestrator/index.ts';
import { needService } from '../testing/index.ts';

// The chart is rendered by Helm itself (`helm lint`, `helm template`; Helm from the Go module
// proxy, see .ci/run); no cluster runs here. The rendering is then held to the code: every
// component is there, the generated files are the ones it carries, and the names agree.
const here = dirname(fileURLToPath(import.meta.url));
const chart = join(here, 'helm', 'aifi');

function helmBinary(): string {
  const candidates = [process.env.HELM, 'helm', join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin', 'helm')].filter(Boolean) as string[];
  for (const c of candidates) {
    try {
      execFileSync(c, ['version', '--short'], { stdio: 'pipe' });
      return c;
    } catch {
      // the next one
    }
  }
  throw new Error('helm not found (go install helm.sh/helm/v3/cmd/helm@v3.22.0)');
}
const available = await needService('Helm (go install helm.sh/helm/v3/cmd/helm@v3.22.0)', helmBinary);

interface K8sObject {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, any>;
  data?: Record<string, string>;
}
type Container = { name: string; args?: string[]; env?: { name: string; value?: string }[] };

describe.skipIf(!available)('the Helm chart deploy/helm/aifi', () => {
  const helm = available ? helmBinary() : 'helm';
  const render = (...set: string[]) =>
    parseAllDocuments(execFileSync(helm, ['template', 'aifi', chart, ...set.flatMap((s) => ['--set', s])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))
      .map((d) => d.toJSON() as K8sObject | null)
      .filter((o): o is K8sObject => o !== null);
  const objects = available ? render() : [];
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const containers = (o: K8sObject): Container[] => (o.kind === 'CronJob' ? o.spec!.jobTemplate.spec.template.spec.containers : o.spec!.template.spec.containers);

  it('passes helm lint', () => {
    expect(execFileSync(helm, ['lint', chart], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders every component of the platform', () => {
    expect(find('StatefulSet', 'aifi-clickhouse-keeper')?.spec!.replicas).toBe(3);
    expect([find('StatefulSet', 'aifi-clickhouse-0'), find('StatefulSet', 'aifi-clickhouse-1')].map((s) => s?.spec!.replicas)).toEqual([2, 2]);
    expect(find('StatefulSet', 'aifi-kafka')?.spec!.replicas).toBe(3);
    expect(find('Deployment', 'aifi-collector')?.spec!.replicas).toBe(2);
    for (const h of PILOT_HOSPITALS.hospitals) expect(find('StatefulSet', `aifi-gateway-${h.id}`), h.id).toBeDefined();
    expect(containers(find('Job', 'aifi-migrate')!)[0]!.args).toEqual(['migrate', '--cluster', 'aifi']);
    expect(containers(find('CronJob', 'aifi-analytics')!)[0]!.args).toEqual(['analytics', 'run']);
    for (const name of ['aifi-grafana', 'aifi-prometheus', 'aifi-alertmanager', 'aifi-otel-collector', 'aifi-orthanc']) expect(find('Deployment', name), name).toBeDefined();
    expect(containers(find('Deployment', 'aifi-grafana')!)[0]!.env).toContainEqual({ name: 'GF_INSTALL_PLUGINS', value: 'grafana-clickhouse-datasource' });
    // The shape follows the values.
    const bigger = render('clickhouse.shards=3', 'clickhouse.replicasPerShard=3');
    expect(bigger.filter((o) => o.kind === 'StatefulSet' && /^aifi-clickhouse-\d$/.test(o.metadata.name)).map((o) => o.spec!.replicas)).toEqual([3, 3, 3]);
    expect([...bigger.find((o) => o.metadata.name === 'aifi-clickhouse-config')!.data!['cluster.xml']!.matchAll(/<replica>/g)]).toHaveLength(9);
  });

  it('carries the generated Grafana, Prometheus and Alertmanager files unchanged, and names the services they point at', () => {
    const dashboards = find('ConfigMap', 'aifi-grafana-dashboards')!.data!;
    const generated = readdirSync(join(here, 'grafana', 'dashboards'));
    expect(Object.keys(dashboards).sort()).toEqual(generated.sort());
    for (const f of generated) expect(dashboards[f], f).toBe(readFileSync(join(here, 'grafana', 'dashboards', f), 'utf8'));
    const datasources = find('ConfigMap', 'aifi-grafana-datasources')!.data!['aifi.yml']!;
    expect(datasources).toBe(readFileSync(join(here, 'grafana/provisioning/datasources/aifi.yml'), 'utf8'));
    const ds = JSON.parse(datasources).datasources as { type: string; url?: string; jsonData?: { host: string } }[];
    expect(find('Service', ds.find((d) => d.type === 'grafana-clickhouse-datasource')!.jsonData!.host)).toBeDefined();
    expect(find('Service', new URL(ds.find((d) => d.type === 'prometheus')!.url!).hostname)).toBeDefined();
    expect(find('ConfigMap', 'aifi-prometheus')!.data!['aifi-ops.rules.yml']).toBe(readFileSync(join(here, 'prometheus/aifi-ops.rules.yml'), 'utf8'));
    expect(find('ConfigMap', 'aifi-alertmanager')!.data!['alertmanager.yml']).toBe(readFileSync(join(here, 'alertmanager/alertmanager.yml'), 'utf8'));
    for (const h of PILOT_HOSPITALS.hospitals) {
      expect(JSON.parse(find('ConfigMap', `aifi-gateway-${h.id}`)!.data!['hospital.json']!)).toEqual(JSON.parse(readFileSync(join(here, 'gateways', `${h.id}.json`), 'utf8')));
    }
  });

  it('passes only settings the configuration schema knows, and the same cluster to every service', () => {
    const known = new Set(Object.keys(configSchema.shape));
    const cluster = /<remote_servers>\s*<([a-z_]+)>/.exec(find('ConfigMap', 'aifi-clickhouse-config')!.data!['cluster.xml']!)![1];
    const aifi = objects.filter((o) => ['Deployment', 'StatefulSet', 'Job', 'CronJob'].includes(o.kind)).flatMap(containers).filter((c) => c.env?.some((e) => e.name.startsWith('AIFI_')));
    expect(aifi.map((c) => c.name).sort()).toEqual(['analytics', 'collector', 'migrate', ...PILOT_HOSPITALS.hospitals.map(() => 'orchestrator')].sort());
    for (const c of aifi) {
      for (const e of c.env!) if (e.name.startsWith('AIFI_')) expect(known.has(e.name), `${c.name}: ${e.name}`).toBe(true);
      const clusterSetting = c.env!.find((e) => e.name === 'AIFI_CLICKHOUSE_CLUSTER');
      if (c.name !== 'orchestrator') expect(clusterSetting?.value, c.name).toBe(cluster);
      else expect(clusterSetting, 'a gateway never reads ClickHouse').toBeUndefined();
    }
  });

  it('sends a gateway over HTTPS with its own certificate when asked, and refuses an unknown transport', () => {
    const https = render('gateways[0].id=zgt', 'gateways[0].transport=https');
    const gateway = containers(https.find((o) => o.metadata.name === 'aifi-gateway-zgt' && o.kind === 'StatefulSet')!)[0]!;
    const env = Object.fromEntries(gateway.env!.map((e) => [e.name, e.value]));
    expect(env.AIFI_COLLECTOR_URL).toBe('https://aifi-collector');
    expect(env.AIFI_COLLECTOR_CERT_FILE).toBe('/etc/aifi/tls/tls.crt');
    expect(env.AIFI_KAFKA_BROKERS).toBeUndefined();
    expect(() => render('gateways[0].id=zgt', 'gateways[0].transport=carrier-pigeon')).toThrow(/transport must be kafka or https/);
    expect(() => render('gateways[0].id=nowhere', 'gateways[0].transport=kafka')).toThrow(/no hospital file/);
    expect(existsSync(join(chart, 'files', 'gateways'))).toBe(true);
  });
});
