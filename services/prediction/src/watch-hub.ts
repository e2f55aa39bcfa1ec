import type { PredictionUpdate } from '@clickwise/contracts';

/** A WatchPredictions stream as the hub sees it. */
export interface Watcher {
  /** Shoppers it asked for; undefined: all of them. */
  shoppers: ReadonlySet<string> | undefined;
  send(update: PredictionUpdate): void;
}

/**
 * Fans predictions out to the watchers of this replica. Every replica reads all of
 * predictions.updated.v1 with a consumer group of its own (ADR 0072), so any replica can serve
 * any watcher, whichever replica scored the click.
 */
export class WatchHub {
  private readonly all = new Set<Watcher>();
  private readonly byShopper = new Map<string, Set<Watcher>>();
  private count = 0;

  get watchers(): number {
    return this.count;
  }

  add(watcher: Watcher): () => void {
    this.count++;
    if (!watcher.shoppers) this.all.add(watcher);
    else {
      for (const s of watcher.shoppers) {
        let set = this.byShopper.get(s);
        if (!set) this.byShopper.set(s, (set = new Set()));
        set.add(watcher);
      }
    }
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.count--;
      if (!watcher.shoppers) this.all.delete(watcher);
      else {
        for (const s of watcher.shoppers) {
          const set = this.byShopper.get(s);
          set?.delete(watcher);
          if (set?.size === 0) this.byShopper.delete(s);
        }
      }
    };
  }

  /** Hands an update to every watcher of its shopper and every watch-all watcher; returns how many. */
  publish(update: PredictionUpdate): number {
    let sent = 0;
    for (const w of this.all) {
      w.send(update);
      sent++;
    }
    for (const w of this.byShopper.get(update.shopperKey) ?? []) {
      w.send(update);
      sent++;
    }
    return sent;
  }
}
