import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KafkaPlatform } from '@clickwise/kafka';
import { freePort, repoRoot, testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { composeFile } from './compose.js';
import { loadModel, type DeployModel } from './model.js';

/**
 * What each image holds, without a container engine: the Dockerfile's build steps for the service
 * (`pnpm deploy --prod`, then the same removals), started with the service's generated compose
 * environment against real Kafka and Redis, checked with the image's own HEALTHCHECK command.
 */
const root = repoRoot();
const dockerfile = readFileSync(join(root, 'deploy/images/Dockerfile'), 'utf8');
let model: DeployModel;
const prefix = `${uniqueName('deploy-image')}.`;
const kafka = KafkaPlatform.create({ brokers: testInfra().kafkaBrokers, clientId: 'deploy-image-spec', logLevel: 'ERROR', topicPrefix: prefix });

before(async () => {
  model = await loadModel(root);
  await kafka.admin.ensureTopics();
});
after(() => kafka.close());

/** The HEALTHCHECK's exec form, e.g. ["node", "-e", "…"]. */
function healthcheck(): string[] {
  const match = /^HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile);
  assert.ok(match?.[1], 'the Dockerfile has HEALTHCHECK … CMD [exec form]');
  return JSON.parse(match[1]) as string[];
}

/** The paths the build stage removes from /out after `pnpm deploy`. */
function removedAfterDeploy(): string[] {
  const match = /rm -rf ((?:\/out\/\S+\s*)+)/.exec(dockerfile);
  assert.ok(match?.[1]);
  return match[1].trim().split(/\s+/).map((p) => p.replace(/^\/out\//, ''));
}

void describe('image contents (pnpm deploy of each service, as deploy/images/Dockerfile builds it)', () => {
  void test('every service', async (t) => {
    for (const s of model.services) {
      await t.test(`${s.manifest.name}: the deploy output starts with its compose environment, is ready, passes the HEALTHCHECK, stops on SIGTERM`, async () => {
        const out = mkdtempSync(join(tmpdir(), `cw-image-${s.manifest.name}-`));
        try {
          const deploy = spawnSync('pnpm', ['--filter', s.packageName, 'deploy', '--prod', '--no-optional', '--offline', out], { cwd: root, encoding: 'utf8' });
          assert.equal(deploy.status, 0, `pnpm deploy failed:\n${deploy.stderr}${deploy.stdout}`);
          for (const p of removedAfterDeploy()) rmSync(join(out, p.replace('*.tsbuildinfo', 'tsconfig.tsbuildinfo')), { recursive: true, force: true });
          assert.ok(existsSync(join(out, s.manifest.entry)), 'the entry is in the image');
          assert.equal(existsSync(join(out, 'src')), false, 'no sources');
          assert.equal(existsSync(join(out, 'node_modules/@clickwise/testing')), false, 'no dev dependencies');
          assert.equal(existsSync(join(out, 'node_modules/.pnpm/node_modules/@confluentinc/kafka-javascript')), false, 'no optional dependencies');

          const compose = (composeFile(model).services as Record<string, { environment: Record<string, string>; command: string[]; build: { args: Record<string, string> } }>)[s.manifest.name];
          assert.ok(compose);
          const ports: Record<string, string> = {};
          for (const p of s.manifest.ports) ports[p.env] = String(await freePort());
          const env: Record<string, string> = {
            PATH: process.env.PATH ?? '',
            ...compose.environment,
            KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
            REDIS_URL: testInfra().redisUrl,
            KAFKA_TOPIC_PREFIX: prefix,
            REDIS_KEY_PREFIX: `${prefix}${s.manifest.name}:`,
            HOST: '127.0.0.1',
            ...ports,
          };
          if ('FEATURES_GROUP_ID' in env) env.FEATURES_GROUP_ID = `${prefix}features`;
          const [node, ...args] = compose.command;
          assert.equal(node, 'node');
          const child = spawn(process.execPath, args, { cwd: out, env, stdio: ['ignore', 'ignore', 'pipe'] });
          let log = '';
          child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-64 * 1024)));
          const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
          try {
            const http = s.manifest.ports.find((p) => p.name === s.manifest.httpPort);
            assert.ok(http);
            const base = `http://127.0.0.1:${ports[http.env]}`;
            await waitFor(
              async () => {
                if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${log}`);
                return (await fetch(`${base}${s.manifest.paths.ready}`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined))?.ok === true;
              },
              { timeoutMs: 90_000, message: `${s.manifest.name} ready` },
            );
            const [hcBin, ...hcArgs] = healthcheck();
            assert.equal(hcBin, 'node');
            const a = compose.build.args;
            const hcEnv = (port: string) => ({ [a.HEALTH_PORT_ENV ?? '']: port, CW_HEALTH_PORT_ENV: a.HEALTH_PORT_ENV, CW_HEALTH_PORT: a.HEALTH_PORT, CW_HEALTH_PATH: a.HEALTH_PATH });
            assert.equal(spawnSync(process.execPath, hcArgs, { env: hcEnv(ports[http.env] ?? '') }).status, 0, 'HEALTHCHECK passes on the live service');
            assert.equal(spawnSync(process.execPath, hcArgs, { env: hcEnv(String(await freePort())) }).status, 1, 'HEALTHCHECK fails where nothing listens');
          } finally {
            const t0 = Date.now();
            child.kill('SIGTERM');
            const code = await exited;
            assert.equal(code, 0, `exit code after SIGTERM:\n${log}`);
            assert.ok(Date.now() - t0 < s.forceExitMs, `stopped within its force-exit time (${s.forceExitMs} ms)`);
          }
        } finally {
          rmSync(out, { recursive: true, force: true });
        }
      });
    }
  });
});
