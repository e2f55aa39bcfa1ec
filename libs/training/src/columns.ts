import type { Entity, FeatureDefinition, FeatureEngine, FeatureValue, FeatureVector } from '@clickwise/features';
import type { SourceCapabilities } from './events.js';

/**
 * Where a model column comes from: a numeric feature of an entity's vector (`feature`), or a flag
 * derived from a list feature and the scored event's item (`item_in`: 1 when the event's item is
 * in the list, 0 when not, NaN without an item).
 */
export type ColumnSource =
  | { kind: 'feature'; entity: Entity; index: number }
  | { kind: 'item_in'; entity: Entity; index: number }
  /** Items carted and not bought since: |carted list \ bought list| (both lists of one entity). */
  | { kind: 'open_items'; entity: Entity; index: number; bought: number }
  /** 1 when the scored item is carted and not bought (in the carted list, not the bought one). */
  | { kind: 'item_open'; entity: Entity; index: number; bought: number };

export interface ColumnSpec {
  name: string;
  source: ColumnSource;
  /** The feature reads a column the source lacks (price, category): always NaN. */
  absent: boolean;
}

const ENTITY_ORDER: readonly Entity[] = ['shopper', 'session', 'item', 'category'];

/** List features whose "is the scored item in it" flag is a column (when the catalogue has them). */
export const ITEM_IN_LISTS: readonly string[] = ['session_carted_items_24h', 'shopper_carted_items_7d', 'shopper_purchased_items_30d'];

/** Carted-item lists and the bought-item list of the same entity: "open cart" columns. */
export const OPEN_CART_LISTS: readonly (readonly [string, string])[] = [
  ['session_carted_items_24h', 'session_purchased_items_24h'],
  ['shopper_carted_items_7d', 'shopper_purchased_items_30d'],
];

function needsPrice(d: FeatureDefinition): boolean {
  const a = d.aggregation as { measure?: string };
  return a.measure === 'price' || a.measure === 'value' || a.measure === 'signed_value';
}

function needsCategory(d: FeatureDefinition): boolean {
  const a = d.aggregation as { key?: string };
  return d.entity === 'category' || a.key === 'category';
}

/**
 * The model's columns for an engine: every numeric feature (shopper, session, item, category, in
 * catalogue order) and the item-in-list flags. Features needing a column the source lacks are
 * marked absent: their value is NaN (missing), never the 0 the engine reads for "no data".
 */
export function columnsOf(engine: FeatureEngine, capabilities: SourceCapabilities): ColumnSpec[] {
  const out: ColumnSpec[] = [];
  const absent = (d: FeatureDefinition) => (!capabilities.price && needsPrice(d)) || (!capabilities.category && needsCategory(d));
  for (const entity of ENTITY_ORDER) {
    for (const f of engine.plans[entity].features) {
      if (f.kind !== 'number') continue;
      out.push({ name: f.definition.name, source: { kind: 'feature', entity, index: f.index }, absent: absent(f.definition) });
    }
  }
  for (const entity of ENTITY_ORDER) {
    for (const f of engine.plans[entity].features) {
      if (f.kind !== 'list' || !ITEM_IN_LISTS.includes(f.definition.name)) continue;
      out.push({ name: `item_in_${f.definition.name}`, source: { kind: 'item_in', entity, index: f.index }, absent: absent(f.definition) });
    }
  }
  for (const [cart, bought] of OPEN_CART_LISTS) {
    for (const entity of ENTITY_ORDER) {
      const features = engine.plans[entity].features;
      const c = features.find((f) => f.definition.name === cart);
      const b = features.find((f) => f.definition.name === bought);
      if (!c || !b) continue;
      // session_carted_items_24h → session_open_cart_items_24h and item_open_in_session_cart_24h
      out.push({ name: cart.replace('carted_items', 'open_cart_items'), source: { kind: 'open_items', entity, index: c.index, bought: b.index }, absent: false });
      out.push({ name: `item_open_in_${cart.replace('carted_items', 'cart')}`, source: { kind: 'item_open', entity, index: c.index, bought: b.index }, absent: false });
    }
  }
  return out;
}

function entityValues(vector: FeatureVector, entity: Entity): readonly FeatureValue[] {
  switch (entity) {
    case 'shopper':
      return vector.shopper;
    case 'session':
      return vector.session;
    case 'item':
      return vector.item;
    case 'category':
      return vector.category;
  }
}

/** One row of model input from a feature vector (what serving has when it scores the click). */
export function rowOf(vector: FeatureVector, columns: readonly ColumnSpec[], out: Float32Array<ArrayBufferLike> = new Float32Array(columns.length)): Float32Array<ArrayBufferLike> {
  for (let j = 0; j < columns.length; j++) {
    const c = columns[j]!;
    if (c.absent) {
      out[j] = NaN;
      continue;
    }
    const values = entityValues(vector, c.source.entity);
    const value = values[c.source.index];
    switch (c.source.kind) {
      case 'feature':
        out[j] = typeof value === 'number' ? value : NaN;
        break;
      case 'item_in':
        out[j] = vector.itemId === '' || !Array.isArray(value) ? NaN : value.includes(vector.itemId) ? 1 : 0;
        break;
      case 'open_items':
      case 'item_open': {
        const bought = values[c.source.bought];
        if (!Array.isArray(value) || !Array.isArray(bought)) {
          out[j] = NaN;
          break;
        }
        if (c.source.kind === 'open_items') out[j] = value.filter((item) => !bought.includes(item)).length;
        else out[j] = vector.itemId === '' ? NaN : value.includes(vector.itemId) && !bought.includes(vector.itemId) ? 1 : 0;
        break;
      }
    }
  }
  return out;
}
