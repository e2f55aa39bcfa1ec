import { ApiKeyStore, parseScopes, SCOPES, type ApiKeyRecord } from '@clickwise/api-keys';
import { createRedis, RedisKeys, type RedisClient } from '@clickwise/redis';
import { bold, dim, info, parseCommandArgs, printJson, type Command } from '../command.js';
import { settings } from '../settings.js';

const help = `Usage: clickwise keys <create|list|revoke> [options]

API keys live in the one key store every service shares (Redis; only the SHA-256 of each key is
kept). Redis is REDIS_URL, else the local platform's (redis://127.0.0.1:${settings.redisPort}).
Keys under another prefix: REDIS_KEY_PREFIX (default "cw:"), as the services use it.

  keys create --name NAME --scopes S1,S2 [--rate N] [--json]
      Makes a key and prints it ONCE. Scopes: ${SCOPES.join(', ')}.
        ingest     send events timed within 24 h back / 5 min ahead (storefronts, the tracker)
        backfill   send historical events (replay)
        read, watch-all, ops   for the serving and operator APIs
      --rate N   most events per second for this key over all replicas (0 = unlimited, default)
  keys list [--json]          every key: id, name, scopes, rate, created, revoked
  keys revoke ID [--json]     revokes a key at once (it stays listed as revoked)

With --json the last line is one JSON object.`;

function redisUrl(): string {
  return process.env.REDIS_URL || `redis://127.0.0.1:${settings.redisPort}`;
}

function describeKey(r: ApiKeyRecord): string {
  const state = r.revokedAtMs === undefined ? 'active' : `revoked ${new Date(r.revokedAtMs).toISOString()}`;
  return `${r.id}  ${r.name.padEnd(16)}  ${r.scopes.join(',').padEnd(22)}  rate=${r.ratePerSecond || 'unlimited'}  created ${new Date(r.createdAtMs).toISOString()}  ${state}`;
}

async function withStore<T>(run: (store: ApiKeyStore) => Promise<T>): Promise<T> {
  const redis: RedisClient = createRedis(redisUrl(), { connectionName: 'clickwise-cli', lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect().catch((error: unknown) => {
      throw new Error(`cannot reach Redis at ${redisUrl()} (${error instanceof Error ? error.message : String(error)}); is the platform up? (./clickwise up)`);
    });
    return await run(new ApiKeyStore(redis, new RedisKeys(process.env.REDIS_KEY_PREFIX || 'cw:')));
  } finally {
    redis.disconnect();
  }
}

export const keysCommand: Command = {
  name: 'keys',
  summary: 'create, list and revoke API keys (hashed, scoped, rate-limited)',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      name: { type: 'string' },
      scopes: { type: 'string' },
      rate: { type: 'string' },
    });
    const [action, ...rest] = positionals;
    switch (action ?? '') {
      case 'create': {
        if (!values.name) throw new Error('keys create needs --name NAME');
        if (!values.scopes) throw new Error(`keys create needs --scopes (some of ${SCOPES.join(', ')})`);
        const scopes = parseScopes(values.scopes);
        const rate = values.rate === undefined ? 0 : Number(values.rate);
        if (!Number.isInteger(rate) || rate < 0) throw new Error('--rate must be a whole number >= 0 (0 = unlimited)');
        const created = await withStore((store) => store.create({ name: values.name!, scopes, ratePerSecond: rate }));
        if (values.json) {
          printJson({ key: created.key, ...created.record });
        } else {
          info(bold(`API key ${created.record.id} (${created.record.name}, scopes ${scopes.join(',')}, rate ${rate || 'unlimited'})`));
          info(dim('Shown once; only its hash is stored. Send it as the x-api-key header, a Bearer token, or ?key= (sendBeacon).'));
          console.log(created.key);
        }
        return 0;
      }
      case 'list': {
        const list = await withStore((store) => store.list());
        if (values.json) printJson({ keys: list });
        else if (list.length === 0) info('no API keys yet: ./clickwise keys create --name NAME --scopes ingest');
        else for (const r of list) console.log(describeKey(r));
        return 0;
      }
      case 'revoke': {
        const id = rest[0];
        if (!id) throw new Error('keys revoke needs the key id (see ./clickwise keys list)');
        const record = await withStore((store) => store.revoke(id));
        if (values.json) printJson(record);
        else console.log(`revoked: ${describeKey(record)}`);
        return 0;
      }
      default:
        console.error(help);
        return 2;
    }
  },
};
