/**
 * Item ids as small integers, one numbering for the process (ADR 0101): the stores give each
 * neighbour session its items' numbers once (when they cache or index it), so ranking's inner
 * loops index typed arrays instead of hashing strings. The table grows with the distinct items
 * seen (about 80 bytes each; a catalogue of a million items is ~80 MB) and is never renumbered,
 * so numbers held by a cache stay valid.
 */
const numbers = new Map<string, number>();

/** The item's number (a new one the first time). */
export function itemNumber(item: string): number {
  let n = numbers.get(item);
  if (n === undefined) {
    n = numbers.size;
    numbers.set(item, n);
  }
  return n;
}

/** The numbers of `items`, in order. */
export function itemNumbers(items: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < items.length; i++) out.push(itemNumber(items[i]!));
  return out;
}

/** How many items are numbered (every number is below it). */
export function itemsNumbered(): number {
  return numbers.size;
}
