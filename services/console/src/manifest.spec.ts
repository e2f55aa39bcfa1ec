import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listManifests, manifestProblems, readManifest, serviceUrl } from '@clickwise/local-infra';
import { SERVICE_PATHS } from '@clickwise/service';
import { ConsoleConfig, DEFAULT_LAG_GROUPS, DEFAULT_SCRAPE_TARGETS } from './config.js';

const base = { KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379' };

void describe('console manifest and config', () => {
  void test('service.json agrees with the config (port, its variable and default) and the kit paths', () => {
    const problems = manifestProblems(readManifest('console'), (env) => ({ http: ConsoleConfig.load(env).httpPort }), SERVICE_PATHS);
    assert.deepEqual(problems, []);
  });

  void test("deploy.scrapes (its NetworkPolicy egress) names exactly the services of the deployed CONSOLE_SCRAPE_TARGETS", () => {
    const deploy = (readManifest('console') as { deploy?: { scrapes?: string[]; env?: Record<string, string> } }).deploy;
    const deployed = ConsoleConfig.load({ ...base, CONSOLE_SCRAPE_TARGETS: deploy?.env?.CONSOLE_SCRAPE_TARGETS ?? '' }).scrapeTargets.map((t) => t.name);
    assert.deepEqual([...(deploy?.scrapes ?? [])].sort(), [...deployed].sort());
  });

  void test('the default scrape targets are every other service on its manifest default port and metrics path', () => {
    const targets = ConsoleConfig.load(base).scrapeTargets;
    const manifests = listManifests().filter((m) => m.name !== 'console');
    for (const m of manifests) {
      const defaults = Object.fromEntries(m.ports.map((p) => [p.name, p.default]));
      assert.deepEqual(targets.find((t) => t.name === m.name), { name: m.name, url: serviceUrl(m, defaults, 'metrics') }, `${m.name} in DEFAULT_SCRAPE_TARGETS`);
    }
    // Listed ahead of its manifest (the recommender): only names the page knows.
    for (const t of targets) assert.ok(manifests.some((m) => m.name === t.name) || t.name === 'recommender', `${t.name} has a manifest`);
    assert.equal(ConsoleConfig.load({ ...base, CONSOLE_SCRAPE_TARGETS: '' }).scrapeTargets.length, DEFAULT_SCRAPE_TARGETS.split(',').length);
  });

  void test('lag groups are group@catalogue-topic; bad lists name every problem', () => {
    assert.deepEqual(ConsoleConfig.load(base).lagGroups.map((g) => `${g.group}@${g.topic}`).join(','), DEFAULT_LAG_GROUPS);
    assert.deepEqual(ConsoleConfig.load({ ...base, CONSOLE_LAG_GROUPS: 'a-b@features.updated.v1' }).lagGroups, [{ group: 'a-b', topic: 'features.updated.v1' }]);
    assert.throws(
      () => ConsoleConfig.load({ ...base, CONSOLE_LAG_GROUPS: 'x@no.such.v1,@clickstream.events.v1', CONSOLE_SCRAPE_TARGETS: 'ok=http://h:1/metrics,ok=http://h:2/metrics,Bad=ftp://x' }),
      (error: Error & { problems?: string[] }) => {
        const text = (error.problems ?? []).join('\n');
        return ['"x@no.such.v1"', '"@clickstream.events.v1"', 'listed twice', '"Bad=ftp://x"'].every((s) => text.includes(s));
      },
    );
  });
});
