import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
