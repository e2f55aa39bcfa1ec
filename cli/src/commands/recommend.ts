import type { MessageInitShape } from '@bufbuild/protobuf';
import type { RecommendFiltersSchema } from '@clickwise/contracts';
import type * as grpc from '@grpc/grpc-js';
import { info, parseCommandArgs, printJson, type Command } from '../command.js';
import { upReadKey } from '../platform-replay.js';
import { describeRecommendation, recommendationJson, recommenderAddress, recommenderClient } from '../recommendations.js';
import { settings } from '../settings.js';

const common = `  --k N                how many items (default: the service's, 10; at most 100)
  --exclude ID,…       never these items
  --category ID,…      only items in these categories
  --key KEY            API key with the "read" scope (default: CLICKWISE_API_KEY, else the read key
                       \`clickwise up\` keeps in .clickwise/)
  --address HOST:PORT  the service (default 127.0.0.1:RECOMMENDER_GRPC_PORT, 50054)
  --json               one JSON object instead`;

const options = {
  k: { type: 'string' },
  exclude: { type: 'string' },
  category: { type: 'string' },
  key: { type: 'string' },
  address: { type: 'string' },
} as const;

const list = (csv: string | undefined) => (csv ?? '').split(',').map((s) => s.trim()).filter(Boolean);

async function keyOf(given: string | undefined): Promise<string> {
  return given ?? process.env.CLICKWISE_API_KEY ?? (await upReadKey(process.env.REDIS_URL ?? `redis://127.0.0.1:${settings.redisPort}`));
}

function kOf(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const k = Number(raw);
  if (!Number.isInteger(k) || k < 1) throw new Error(`--k must be a positive whole number, got "${raw}"`);
  return k;
}

/** Runs one call and prints it; gRPC errors are printed as the service gave them (exit 1). */
async function call(address: string, json: boolean, title: string, run: (client: ReturnType<typeof recommenderClient>) => Promise<Parameters<typeof describeRecommendation>[0] | undefined>): Promise<number> {
  const client = recommenderClient(address);
  try {
    const r = await run(client);
    if (!r) return 1;
    if (json) printJson(recommendationJson(r));
    else for (const line of describeRecommendation(r, title)) console.log(line);
    return 0;
  } catch (error) {
    const e = error as grpc.ServiceError;
    info(`${title}: ${e.details || e.message} (at ${address})`);
    return 1;
  } finally {
    client.close();
  }
}

export const recommendCommand: Command = {
  name: 'recommend',
  summary: "a shopper's next items from the running recommender, each with its score and reasons",
  help: `Usage: clickwise recommend SHOPPER [--session ID] [--exclude-bought] [options] [--json]

Asks the recommender (gRPC Recommend) for the shopper's next items and prints them with their
scores, reasons, the recommendation id and the model version. An unknown shopper gets the
cold-start list (popular now).

  --session ID         the session to recommend for (default: the shopper's latest)
  --exclude-bought     leave out items the shopper bought
${common}`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { ...options, session: { type: 'string' }, 'exclude-bought': { type: 'boolean' } });
    const [shopper] = positionals;
    if (!shopper && !values.session) {
      info(this.help);
      return 2;
    }
    const filters: MessageInitShape<typeof RecommendFiltersSchema> = { excludeBought: values['exclude-bought'] ?? false, excludeItemIds: list(values.exclude), categoryIds: list(values.category) };
    const key = await keyOf(values.key);
    const address = values.address ?? recommenderAddress();
    return call(address, values.json ?? false, `recommendations for ${shopper ?? `session ${values.session}`}`, async (client) =>
      (await client.recommend({ shopperKey: shopper ?? '', sessionId: values.session ?? '', k: kOf(values.k), filters }, { metadata: { 'x-api-key': key }, timeoutMs: 10_000 })).recommendation,
    );
  },
};

export const similarCommand: Command = {
  name: 'similar',
  summary: 'items similar to an item, from the running recommender, with scores and reasons',
  help: `Usage: clickwise similar ITEM [options] [--json]

Asks the recommender (gRPC SimilarItems) for items like ITEM: viewed together with it, next in
sequences after it, popular in its category. An unknown item gets the cold-start list.

${common}`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, options);
    const [item] = positionals;
    if (!item) {
      info(this.help);
      return 2;
    }
    const key = await keyOf(values.key);
    const address = values.address ?? recommenderAddress();
    return call(address, values.json ?? false, `items similar to ${item}`, async (client) =>
      (await client.similarItems({ itemId: item, k: kOf(values.k), filters: { excludeItemIds: list(values.exclude), categoryIds: list(values.category) } }, { metadata: { 'x-api-key': key }, timeoutMs: 10_000 })).recommendation,
    );
  },
};
