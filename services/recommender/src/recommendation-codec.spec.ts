import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { RecommendationSchema } from '@clickwise/contracts';
import type { Reason, ReasonKind } from '@clickwise/recs';
import { mulberry32 } from '@clickwise/random';
import { encodeAnswer } from './recommendation-codec.js';
import { recommendationMessage } from './recommender.grpc.js';
import type { Answer } from './recommender.service.js';


const KINDS: ReasonKind[] = ['co-visited', 'session-neighbours', 'sequence', 'popular-category', 'popular'];
// Empty, ASCII, 2-, 3- and 4-byte UTF-8, and one long enough for a two-byte length.
const STRINGS = ['', 'i-1', '285930', 'catégorie', '推荐商品', '🛒 cart', 'x'.repeat(200)];

function randomAnswer(random: () => number): Answer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const items = Array.from({ length: Math.floor(random() * 12) }, () => ({
    itemId: pick(STRINGS.slice(1)),
    score: pick([0, 1, 1e-9, 0.123456789, random(), 1e300, -2.5]),
    reasons: Array.from({ length: Math.floor(random() * 4) }, (): Reason => {
      const kind = pick(KINDS);
      return { kind, text: pick(STRINGS), ...(random() < 0.5 ? { itemId: pick(STRINGS) } : {}), ...(random() < 0.5 ? { categoryId: pick(STRINGS) } : {}) };
    }),
  }));
  return {
    recommendationId: pick(['r1.live.0123456789ab', '']),
    shopperKey: pick(STRINGS),
    sessionId: pick(STRINGS),
    modelVersion: pick(['live', '20261202T170212.234Z-25a730d7', '']),
    createdAtMs: pick([0, 1, 127, 128, 1_764_000_000_000, Number.MAX_SAFE_INTEGER]),
    items,
  };
}

void test('encodeAnswer writes the bytes toBinary writes for the same answer (500 random answers)', () => {
  const random = mulberry32(20261204); // seeded: the answers are the same on every run
  for (let n = 0; n < 500; n++) {
    const answer = randomAnswer(random);
    const expected = toBinary(RecommendationSchema, recommendationMessage(answer));
    assert.deepEqual(Buffer.from(encodeAnswer(answer)), Buffer.from(expected), `answer ${n}: ${JSON.stringify(answer)}`);
  }
});

void test('an answer encoded directly decodes to its message', () => {
  const answer: Answer = {
    recommendationId: 'r1.live.0123456789ab',
    shopperKey: 'u-1',
    sessionId: 's-1',
    modelVersion: 'live',
    createdAtMs: 1_764_000_000_000,
    items: [{ itemId: 'i-1', score: 0.75, reasons: [{ kind: 'co-visited', text: 'viewed together with i-9', itemId: 'i-9' }, { kind: 'popular', text: 'popular now' }] }],
  };
  const decoded = fromBinary(RecommendationSchema, encodeAnswer(answer));
  assert.equal(decoded.createdAtMs, 1_764_000_000_000n);
  assert.equal(decoded.items[0]!.reason!.anchorItemId, 'i-9');
  assert.equal(decoded.items[0]!.reasons.length, 2);
  assert.equal(decoded.items[0]!.reasons[1]!.text, 'popular now');
});
