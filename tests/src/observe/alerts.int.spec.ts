import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '@clickwise/testing';
import { parse } from 'yaml';

const run = promisify(execFile);
const dir = join(repoRoot(), 'deploy', 'prometheus');
const rulesFile = join(dir, 'clickwise.rules.yaml');
const testsFile = join(dir, 'clickwise.rules.test.yaml');

/** promtool from PATH or the Go bin folder (deploy/local/test-tools.sh installs it with `go install`). */
function promtoolPath(): string {
  for (const d of [...(process.env.PATH ?? '').split(':'), join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin')]) {
    const p = join(d, 'promtool');
    if (d && existsSync(p)) return p;
  }
  throw new Error('promtool is not installed: deploy/local/test-tools.sh installs it (go install github.com/prometheus/prometheus/cmd/promtool)');
}

async function promtool(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(promtoolPath(), args, { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}
interface TestFile {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

/** The alert rules in deploy/prometheus (issue 12): they parse, and each fires on a synthetic condition (promtool's rule unit tests). */
void describe('observe: Prometheus alert rules', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'clickwise-rules-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  void it('promtool check rules: the rule file parses and every expression is valid PromQL', async () => {
    const result = await promtool('check', 'rules', rulesFile);
    assert.ok(result.ok, result.output);
    const rules = (parse(readFileSync(rulesFile, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);
    assert.match(result.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  void it('promtool test rules: every alert fires on its synthetic condition (and stays quiet on the healthy twins)', async () => {
    const result = await promtool('test', 'rules', testsFile);
    assert.ok(result.ok, result.output);
    assert.match(result.output, /SUCCESS/);
    // Every alert of the rule file has at least one case where it is expected to fire.
    const alerts = (parse(readFileSync(rulesFile, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    const firing = new Set((parse(readFileSync(testsFile, 'utf8')) as TestFile).tests.flatMap((t) => (t.alert_rule_test ?? []).filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname)));
    assert.ok(alerts.length >= 10, `${alerts.length} alerts`);
    assert.deepStrictEqual(alerts.filter((a) => !firing.has(a)), [], 'alerts without a test where they fire');
  });

  void it('the tests really evaluate the rules: a lag threshold raised tenfold makes the lag case fail', async () => {
    const raised = readFileSync(rulesFile, 'utf8').replace('sum by (service, group) (clickwise_kafka_consumer_lag) > 50000', 'sum by (service, group) (clickwise_kafka_consumer_lag) > 500000');
    assert.notEqual(raised, readFileSync(rulesFile, 'utf8'));
    writeFileSync(join(scratch, 'clickwise.rules.yaml'), raised);
    copyFileSync(testsFile, join(scratch, 'clickwise.rules.test.yaml'));
    const result = await promtool('test', 'rules', join(scratch, 'clickwise.rules.test.yaml'));
    assert.equal(result.ok, false, result.output);
    assert.match(result.output, /ClickwiseConsumerLagHigh/);
  });
});
