import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listManifests, parseManifest, platformPorts, serviceCommand, serviceUrl } from './manifest.js';

const good = {
  name: 'shop',
  description: 'a shop',
  startOrder: 1,
  entry: 'dist/main.js',
  nodeFlags: ['--enable-source-maps'],
  ports: [
    { name: 'http', env: 'HTTP_PORT', default: 8080, platformEnv: 'SHOP_HTTP_PORT' },
    { name: 'grpc', env: 'GRPC_PORT', default: 50051, platformEnv: 'SHOP_GRPC_PORT' },
  ],
  httpPort: 'http',
  paths: { live: '/health/live', ready: '/health/ready', metrics: '/metrics' },
};

void describe('service manifests', () => {
  void test('every services/*/service.json is valid, with unique names and default ports', () => {
    const manifests = listManifests();
    assert.ok(manifests.length >= 2);
    const names = manifests.map((m) => m.name);
    assert.equal(new Set(names).size, names.length);
    const defaults = manifests.flatMap((m) => m.ports.map((p) => p.default));
    assert.equal(new Set(defaults).size, defaults.length, 'two services would collide on a default port');
  });

  void test('a bad manifest is refused with every problem named', () => {
    assert.throws(
      () => parseManifest({ ...good, entry: '', ports: [{ name: 'HTTP', env: 'http', default: 0, platformEnv: 'X' }], httpPort: 'web', paths: { live: 'health' } }, 'x.json'),
      (error: Error) =>
        ['entry', 'ports[0].name', 'ports[0].env', 'ports[0].default', 'httpPort', 'paths.live', 'paths.ready', 'paths.metrics'].every((p) => error.message.includes(`- ${p}:`)),
    );
  });

  void test('platform ports come from each platformEnv, else the default; the command sets each port variable', () => {
    const manifest = parseManifest(good, 'x.json');
    const ports = platformPorts(manifest, { SHOP_HTTP_PORT: '9001' });
    assert.deepEqual(ports, { http: 9001, grpc: 50051 });
    const command = serviceCommand(manifest, ports, '/repo');
    assert.deepEqual(command.env, { HTTP_PORT: '9001', GRPC_PORT: '50051' });
    assert.deepEqual(command.args, ['--enable-source-maps', '/repo/services/shop/dist/main.js']);
    assert.equal(serviceUrl(manifest, ports, 'ready'), 'http://127.0.0.1:9001/health/ready');
    assert.throws(() => platformPorts(manifest, { SHOP_GRPC_PORT: 'x' }), /SHOP_GRPC_PORT must be a port number/);
  });
});
