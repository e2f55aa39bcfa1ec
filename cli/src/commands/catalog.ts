import { fromCatalogRecord, itemsSeenIn, type CatalogItem } from '@clickwise/catalog';
import { ExportReader, formatPresets } from '@clickwise/clickstream-files';
import { KafkaPlatform } from '@clickwise/kafka';
import { createReadStream, readFileSync } from 'node:fs';
import { bold, info, parseCommandArgs, printJson, type Command } from '../command.js';
import { upCatalogKey } from '../platform-replay.js';
import { serviceOrigin } from '../services.js';
import { settings } from '../settings.js';

const DEFAULT_ENDPOINT = serviceOrigin('ingestion');
/** Most items per request (the endpoint's limit). */
const BATCH = 1000;

const brokers = () => (process.env.KAFKA_BROKERS || `127.0.0.1:${settings.kafkaPort}`).split(',');
const redisUrl = () => process.env.REDIS_URL || `redis://127.0.0.1:${settings.redisPort}`;

const help = `Usage: clickwise catalog put FILE | --item JSON… [--endpoint URL] [--key KEY] [--json]
       clickwise catalog show [ITEM…] [--json]
       clickwise catalog seed EVENTS_FILE [--endpoint URL] [--key KEY] [--json]

put   Sends catalogue items to PUT /v1/catalog/items of the ingestion service (ADR 0098), in
      requests of at most ${BATCH}. FILE holds {"items": [...]}, a JSON array of items, or one item
      object a line (JSON lines); --item gives one item inline (repeatable). An item is
      {"itemId": "...", "available": true|false, "price"?: n, "currency"?: "EUR",
       "categoryId"?: "...", "title"?: "...", "updatedAt"?: ms|RFC 3339}
      and replaces that item's record; "available": false removes it from recommendations.
      Refused items are listed with the field and reason (and are on clickstream.dlq.v1); the
      others land. Exit 0 when every item landed, 1 otherwise.
        --endpoint URL   ingestion base URL (default $CLICKWISE_ENDPOINT or ${DEFAULT_ENDPOINT})
        --key KEY        API key with the catalog scope (default $CLICKWISE_API_KEY, else the local
                         catalog key \`up\` keeps in .clickwise/, made in Redis when missing)
seed  What \`up\` does after its replay: the items of a RetailRocket-format export (every item id,
      available, with the category of its latest row that has one) that catalog.items.v1 does not
      hold yet, through PUT /v1/catalog/items. Items already there are left alone: running it
      again sends nothing, and never undoes a removal.
show  Reads catalog.items.v1 (compacted, keyed by item id) from Kafka and prints each ITEM's
      latest record, or that the catalogue never heard of it (then it counts as available).
      Without ITEM: how many items the catalogue holds and how many are unavailable.

Kafka: KAFKA_BROKERS, else 127.0.0.1:${settings.kafkaPort}; KAFKA_TOPIC_PREFIX as the services use it.
Redis (for the local key): REDIS_URL, else redis://127.0.0.1:${settings.redisPort}.`;

export interface PutOutcome {
  sent: number;
  accepted: number;
  rejected: { index: number; itemId: string; field: string; reason: string }[];
  requests: number;
  retries: number;
  seconds: number;
}

/**
 * PUTs items in requests of at most 1000; retries a request answered 429 or 503 (after its
 * Retry-After, at most 10 times: a repeat only replaces the same records). Rejection indexes are
 * positions in `items`.
 */
export async function putCatalogItems(endpoint: string, key: string, items: readonly unknown[]): Promise<PutOutcome> {
  const started = performance.now();
  const outcome: PutOutcome = { sent: items.length, accepted: 0, rejected: [], requests: 0, retries: 0, seconds: 0 };
  for (let from = 0; from < items.length; from += BATCH) {
    const batch = items.slice(from, from + BATCH);
    for (let attempt = 1; ; attempt++) {
      outcome.requests++;
      const response = await fetch(`${endpoint}/v1/catalog/items`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ items: batch }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await response.json().catch(() => ({}))) as { accepted?: number; rejected?: PutOutcome['rejected']; error?: { code: string; message: string } };
      if ((response.status === 429 || response.status === 503) && attempt < 10) {
        outcome.retries++;
        await new Promise((r) => setTimeout(r, 1000 * Number(response.headers.get('retry-after') ?? 1)));
        continue;
      }
      if (response.status !== 200 && !(response.status === 400 && body.rejected)) {
        throw new Error(`PUT ${endpoint}/v1/catalog/items answered ${response.status}: ${body.error?.message ?? JSON.stringify(body)}`);
      }
      outcome.accepted += body.accepted ?? 0;
      for (const r of body.rejected ?? []) outcome.rejected.push({ ...r, index: r.index + from, field: r.field.replace(/^items\[(\d+)\]/, (_, i: string) => `items[${Number(i) + from}]`) });
      break;
    }
  }
  outcome.seconds = (performance.now() - started) / 1000;
  return outcome;
}

/** Items of a file: {"items": [...]}, a JSON array, or one JSON object a line. */
export function readItemsFile(text: string, file: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (Array.isArray(parsed)) return parsed;
      if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { items?: unknown }).items)) return (parsed as { items: unknown[] }).items;
      if (parsed && typeof parsed === 'object') return [parsed];
    } catch {
      // not one JSON document: JSON lines
    }
  }
  return trimmed
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (error) {
        throw new Error(`${file}:${n}: not JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
      }
    });
}

/** Every item's latest record on catalog.items.v1 (read from the beginning to the end it has now). */
export async function readCatalog(kafkaBrokers: string[]): Promise<{ topic: string; records: number; items: Map<string, CatalogItem & { offset: string; partition: number; writtenAt: number }> }> {
  const kafka = KafkaPlatform.create({ brokers: kafkaBrokers, clientId: 'clickwise-cli-catalog', topicPrefix: process.env.KAFKA_TOPIC_PREFIX ?? '', logLevel: 'ERROR' });
  try {
    const records = await kafka.admin.readTopic(kafka.topics.catalogItems);
    const items = new Map<string, CatalogItem & { offset: string; partition: number; writtenAt: number }>();
    for (const r of records) {
      const item = fromCatalogRecord(r.value, r.key);
      if (item.itemId !== '') items.set(item.itemId, { ...item, offset: r.offset, partition: r.partition, writtenAt: r.timestampMs });
    }
    return { topic: kafka.topics.catalogItems.name, records: records.length, items };
  } finally {
    await kafka.close();
  }
}

/** One line per item for people. */
function describeItem(item: CatalogItem): string {
  const parts = [item.available ? 'available' : 'UNAVAILABLE'];
  if (item.categoryId) parts.push(`category ${item.categoryId}`);
  if (item.price !== undefined) parts.push(`price ${item.price}${item.currency ? ` ${item.currency}` : ''}`);
  if (item.title) parts.push(JSON.stringify(item.title));
  if (item.updatedAtMs) parts.push(`updated ${new Date(item.updatedAtMs).toISOString()}`);
  return `${item.itemId}: ${parts.join(', ')}`;
}

/**
 * `up`'s step: the items of the replayed file (ids, with their category where the file has one,
 * available) that the catalogue has never heard of, through PUT /v1/catalog/items. Items already
 * there are left alone, so a second `up` sends nothing and an operator's later change (a removal)
 * is never undone.
 */
export async function publishReplayedItems(
  file: string,
  endpoint: string,
  kafkaBrokers: string,
  key?: string,
): Promise<{ items: number; known: number; withCategory: number; put?: PutOutcome }> {
  const preset = formatPresets.retailrocket!;
  const reader = new ExportReader({ delimiter: preset.delimiter, mapping: preset.mapping });
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) reader.push(chunk as string);
  const items = itemsSeenIn(reader.finish().rows);
  const { items: known } = await readCatalog(kafkaBrokers.split(','));
  const missing = items.filter((i) => !known.has(i.itemId));
  const withCategory = items.filter((i) => i.categoryId !== undefined).length;
  if (missing.length === 0) return { items: items.length, known: items.length, withCategory };
  const put = await putCatalogItems(endpoint, key ?? (await upCatalogKey(redisUrl())), missing);
  return { items: items.length, known: items.length - missing.length, withCategory, put };
}

/** One line about a seed (also `up`'s line about the week's items). */
export function describeSeed(c: Awaited<ReturnType<typeof publishReplayedItems>> | { error: string }): string {
  if ('error' in c) return `catalogue: the week's items were not published (${c.error})`;
  if (!c.put) return `catalogue: all ${c.items} items already in catalog.items.v1 (nothing sent)`;
  const refused = c.put.rejected.length > 0 ? `, ${c.put.rejected.length} refused (first: ${c.put.rejected[0]!.field}: ${c.put.rejected[0]!.reason})` : '';
  return `catalogue: ${c.put.accepted} items published to catalog.items.v1 (${c.withCategory} of ${c.items} with a category, ${c.known} already there${refused}) in ${c.put.requests} requests, ${c.put.seconds.toFixed(1)} s`;
}

export const catalogCommand: Command = {
  name: 'catalog',
  summary: 'catalogue items: put them through PUT /v1/catalog/items, show what catalog.items.v1 holds',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { item: { type: 'string', multiple: true }, endpoint: { type: 'string' }, key: { type: 'string' } });
    const [sub, ...args] = positionals;
    if (sub === 'put') {
      const items: unknown[] = [];
      for (const file of args) items.push(...readItemsFile(readFileSync(file, 'utf8'), file));
      for (const [i, text] of (values.item ?? []).entries()) {
        try {
          items.push(JSON.parse(text) as unknown);
        } catch (error) {
          throw new Error(`--item #${i + 1} is not JSON (${error instanceof Error ? error.message : String(error)}): ${text}`, { cause: error });
        }
      }
      if (items.length === 0) {
        info(help);
        return 2;
      }
      const endpoint = values.endpoint ?? process.env.CLICKWISE_ENDPOINT ?? DEFAULT_ENDPOINT;
      const key = values.key ?? process.env.CLICKWISE_API_KEY ?? (await upCatalogKey(redisUrl()));
      const outcome = await putCatalogItems(endpoint, key, items);
      if (values.json) printJson(outcome);
      else {
        info(bold(`catalog put: ${outcome.accepted} of ${outcome.sent} items accepted → ${endpoint}/v1/catalog/items (${outcome.requests} requests, ${outcome.seconds.toFixed(2)} s)`));
        for (const r of outcome.rejected) console.log(`rejected ${r.field}${r.itemId ? ` (${r.itemId})` : ''}: ${r.reason}`);
      }
      return outcome.rejected.length === 0 ? 0 : 1;
    }
    if (sub === 'seed') {
      const [file, ...extra] = args;
      if (!file || extra.length > 0) {
        info(help);
        return 2;
      }
      const endpoint = values.endpoint ?? process.env.CLICKWISE_ENDPOINT ?? DEFAULT_ENDPOINT;
      const seeded = await publishReplayedItems(file, endpoint, brokers().join(','), values.key ?? process.env.CLICKWISE_API_KEY);
      if (values.json) printJson(seeded);
      else console.log(describeSeed(seeded));
      return (seeded.put?.rejected.length ?? 0) === 0 ? 0 : 1;
    }
    if (sub === 'show') {
      const catalog = await readCatalog(brokers());
      if (args.length === 0) {
        const unavailable = [...catalog.items.values()].filter((i) => !i.available).length;
        const summary = { topic: catalog.topic, records: catalog.records, items: catalog.items.size, unavailable };
        if (values.json) printJson(summary);
        else console.log(`${catalog.topic}: ${summary.items} items (${unavailable} unavailable) in ${summary.records} records`);
        return 0;
      }
      const shown = args.map((id) => ({ itemId: id, record: catalog.items.get(id) }));
      if (values.json) printJson({ topic: catalog.topic, items: shown.map((s) => s.record ?? { itemId: s.itemId, known: false, available: true }) });
      else {
        for (const s of shown) {
          if (s.record) console.log(`${describeItem(s.record)}  (partition ${s.record.partition} offset ${s.record.offset}, written ${new Date(s.record.writtenAt).toISOString()})`);
          else console.log(`${s.itemId}: not in the catalogue (${catalog.topic}): counts as available`);
        }
      }
      return shown.every((s) => s.record) ? 0 : 3;
    }
    info(help);
    return 2;
  },
};
