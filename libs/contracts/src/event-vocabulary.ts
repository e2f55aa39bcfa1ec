import type { GenEnum } from '@bufbuild/protobuf/codegenv2';
import { EventSource, EventSourceSchema, EventType, EventTypeSchema } from './gen/clickwise/v1/event_pb.js';

/**
 * The one event vocabulary: the names of event types and sources, read from the generated enum
 * descriptors of proto/clickwise/v1/event.proto (never typed by hand), and the shopper key.
 * A new enum value in the proto is a new name here, in ingestion, the tracker and the features.
 */

/** snake_case name of a storefront event type: its proto value without the prefix ("add_to_cart"). */
export type EventTypeName = Lowercase<Exclude<keyof typeof EventType, 'UNSPECIFIED'>>;

/**
 * How an event reached Clickwise, as a client may state it over HTTP ("tracker"). `grpc` is not
 * one: ingestion sets it for events that came over gRPC.
 */
export type EventSourceName = Lowercase<Exclude<keyof typeof EventSource, 'UNSPECIFIED' | 'GRPC'>>;

/** The values of an enum in wire order, with their snake_case names (`UNSPECIFIED` included). */
function namesOf<E extends number>(schema: GenEnum<E>): { number: E; name: string }[] {
  return schema.values.map((v) => ({ number: v.number as E, name: v.localName.toLowerCase() })).sort((a, b) => a.number - b.number);
}

const TYPES = namesOf(EventTypeSchema);
const TYPE_NAME_BY_NUMBER: string[] = [];
for (const t of TYPES) TYPE_NAME_BY_NUMBER[t.number] = t.name;
const TYPE_BY_NAME = new Map<string, EventType>();
for (const v of EventTypeSchema.values) {
  const type = v.number as EventType;
  if (type === EventType.UNSPECIFIED) continue;
  TYPE_BY_NAME.set(v.localName.toLowerCase(), type);
  TYPE_BY_NAME.set(v.name, type);
}

/** The event types a storefront sends (every value but UNSPECIFIED), in wire order. */
export const EVENT_TYPES: readonly EventType[] = TYPES.filter((t) => t.number !== EventType.UNSPECIFIED).map((t) => t.number);

/** Their names, in the same order: page_view, product_view, … */
export const EVENT_TYPE_NAMES: readonly EventTypeName[] = EVENT_TYPES.map((t) => TYPE_NAME_BY_NUMBER[t] as EventTypeName);

/** One more than the highest EventType number: the length of an array indexed by type. */
export const EVENT_TYPE_COUNT: number = TYPE_NAME_BY_NUMBER.length;

/** snake_case name of an event type ("add_to_cart"; "unspecified" for 0; the number for one the proto does not know). */
export function eventTypeName(type: EventType): string {
  return TYPE_NAME_BY_NUMBER[type] ?? String(type);
}

/**
 * The event type a name stands for: the snake_case name ("add_to_cart") or the proto name
 * ("EVENT_TYPE_ADD_TO_CART"); undefined for anything else, UNSPECIFIED included.
 */
export function eventTypeFromName(name: EventTypeName): EventType;
export function eventTypeFromName(name: string): EventType | undefined;
export function eventTypeFromName(name: string): EventType | undefined {
  return TYPE_BY_NAME.get(name);
}

export function isEventTypeName(value: string): value is EventTypeName {
  return TYPE_BY_NAME.has(value) && value === value.toLowerCase();
}

const SOURCE_BY_NAME = new Map<string, EventSource>(
  namesOf(EventSourceSchema)
    .filter((s) => s.number !== EventSource.UNSPECIFIED && s.number !== EventSource.GRPC)
    .map((s) => [s.name, s.number]),
);

/** The sources a client may name over HTTP: http, tracker, replay, simulator. */
export const EVENT_SOURCE_NAMES: readonly EventSourceName[] = [...SOURCE_BY_NAME.keys()] as EventSourceName[];

/** The source a client named over HTTP ("tracker"); undefined for anything else. */
export function eventSourceFromName(name: string): EventSource | undefined {
  return SOURCE_BY_NAME.get(name);
}

/**
 * The shopper key of an event, the Kafka record key of clickstream.events.v1: the user id when
 * set, else the anonymous id. Takes the protobuf Event and the HTTP JSON form alike (an absent id
 * counts as empty).
 */
export function shopperKey(event: { readonly userId?: string | undefined; readonly anonymousId?: string | undefined }): string {
  const { userId } = event;
  return userId !== undefined && userId !== '' ? userId : (event.anonymousId ?? '');
}
