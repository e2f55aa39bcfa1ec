import { InvalidInputError } from '@clickwise/errors';
import type { PlannedBatch, PlannedEvent } from './store.js';
import type { IndexConfig, RecsEvent } from './types.js';

const KINDS = new Set(['view', 'cart', 'purchase']);

/** Checks one event; the service sends a bad one to the DLQ with this message. */
export function checkEvent(event: RecsEvent, at = 'event'): void {
  if (typeof event.shopperKey !== 'string' || event.shopperKey === '') throw new InvalidInputError(`${at}: shopperKey is empty`, `${at}.shopperKey`);
  if (typeof event.sessionId !== 'string' || event.sessionId === '') throw new InvalidInputError(`${at}: sessionId is empty`, `${at}.sessionId`);
  if (typeof event.itemId !== 'string' || event.itemId === '') throw new InvalidInputError(`${at}: itemId is empty`, `${at}.itemId`);
  if (!KINDS.has(event.kind)) throw new InvalidInputError(`${at}: kind is ${String(event.kind)}; one of view, cart, purchase`, `${at}.kind`);
  if (!Number.isFinite(event.timeMs) || event.timeMs < 0) throw new InvalidInputError(`${at}: timeMs is ${String(event.timeMs)}`, `${at}.timeMs`);
}

/**
 * Forward decay (Cormode et al., 2009): an event at time t adds 2^((t − landmark)/h) instead of
 * decaying every stored weight as time passes; reading at time T divides by 2^((T − landmark)/h),
 * which does not change an order. So a weight is written once and never rewritten, and a replay
 * writes the same numbers as live traffic. Doubles hold 2^1000: past ~900 half-lives after the
 * landmark the index must be rebuilt with a new landmark (ADR 0090).
 */
export function forwardFactor(timeMs: number, landmarkMs: number, halfLifeMs: number): number {
  return 2 ** ((timeMs - landmarkMs) / halfLifeMs);
}

/** Plans a batch: every number a store writes is computed here, once. */
export function planBatch(events: readonly RecsEvent[], landmarkMs: number, config: IndexConfig): PlannedBatch {
  const planned: PlannedEvent[] = events.map((event, i) => {
    checkEvent(event, `events[${i}]`);
    return {
      event,
      covisFactor: forwardFactor(event.timeMs, landmarkMs, config.covisHalfLifeMs),
      popularIncrement: config.kindWeights[event.kind] * forwardFactor(event.timeMs, landmarkMs, config.popularHalfLifeMs),
    };
  });
  return {
    events: planned,
    sessionEvents: config.sessionEvents,
    postingSessions: config.postingSessions,
    covisItems: config.covisItems,
    covisWindow: config.covisWindow,
    covisBackward: config.covisBackward,
  };
}
