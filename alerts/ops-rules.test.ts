import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VENDOR_IDS } from '../events/index.ts';
import { OPS_RULES, opsRulesFile } from './index.ts';

describe('the generated rule file', () => {
  it('in deploy/prometheus is what the code generates (run `aifi alerts rules` after changing a rule)', () => {
    const committed = readFileSync('deploy/prometheus/aifi-ops.rules.yml', 'utf8').replace(/^#.*\n/, '');
    expect(JSON.parse(committed)).toEqual(opsRulesFile());
  });

  it('gives every rule a severity, an audience, a runbook that exists and a dashboard', () => {
    const [group] = opsRulesFile().groups as { rules: { alert: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[];
    expect(group!.rules).toHaveLength(OPS_RULES.length);
    for (const rule of group!.rules) {
      expect(rule.labels).toEqual({ audience: 'ops', severity: expect.stringMatching(/^(critical|warning)$/) });
      expect(readFileSync(rule.annotations.runbook_url!, 'utf8')).toContain(`# ${rule.alert}`);
      expect(rule.annotations.dashboard).toMatch(/\/d\/aifi-/);
    }
  });
});

describe('the generated Alertmanager routing', () => {
  it('in deploy/alertmanager is what the code generates, with a route and receiver per vendor and the outage inhibition', async () => {
    const { alertmanagerConfig } = await import('./index.ts');
    const committed = JSON.parse(readFileSync('deploy/alertmanager/alertmanager.yml', 'utf8').replace(/^#.*\n/, ''));
    const base = 'http://127.0.0.1:9095';
    expect(committed).toEqual(
      alertmanagerConfig({ ops: `${base}/ops`, leads: `${base}/leads`, vendors: Object.fromEntries(VENDOR_IDS.map((v) => [v, `${base}/vendors/${v}`])) }),
    );
    const routes = committed.route.routes as { matchers: string[]; receiver: string }[];
    expect(routes.filter((r) => r.matchers.includes('audience="vendor"')).map((r) => r.receiver)).toEqual(VENDOR_IDS.map((v) => `vendor-${v}`));
    expect(VENDOR_IDS.slice(0, 3)).toEqual(['visiana', 'radiobotics', 'avicenna']);
    expect(committed.inhibit_rules[0].equal).toEqual(['hospital']);
  });
});
