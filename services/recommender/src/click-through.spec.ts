import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventType } from '@clickwise/contracts';
import { ClickThrough, OTHER_VERSIONS, UNATTRIBUTED, type ClickThroughSink } from './click-through.js';
import { RecommendationIds } from './recommendation-id.js';

class Recorder implements ClickThroughSink {
  readonly shownBy = new Map<string, number>();
  readonly itemsBy = new Map<string, number>();
  readonly clickedBy = new Map<string, number>();
  shown(version: string, items: number): void {
    this.shownBy.set(version, (this.shownBy.get(version) ?? 0) + 1);
    this.itemsBy.set(version, (this.itemsBy.get(version) ?? 0) + items);
  }
  clicked(version: string): void {
    this.clickedBy.set(version, (this.clickedBy.get(version) ?? 0) + 1);
  }
}

const shown = (recommendationId: string, items = 3) => ({ type: EventType.RECOMMENDATION_SHOWN, recommendationId, itemIds: Array.from({ length: items }, (_, i) => `i${i}`) });
const clicked = (recommendationId: string) => ({ type: EventType.RECOMMENDATION_CLICKED, recommendationId, itemIds: [] });

void describe('click-through per model version', () => {
  void it('counts shown and clicked events under the version their id names, compared with a naive count', () => {
    const ids = new RecommendationIds();
    const sink = new Recorder();
    const ctr = new ClickThrough(ids, sink, 10);
    const versions = ['live', 'v1', 'v2'];
    const want = new Map(versions.map((v) => [v, { shown: 0, clicked: 0, items: 0 }]));
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 500; i++) {
      const v = versions[Math.floor(random() * versions.length)]!;
      const id = ids.next(v);
      const n = 1 + Math.floor(random() * 5);
      assert.equal(ctr.observe(shown(id, n)), true);
      want.get(v)!.shown++;
      want.get(v)!.items += n;
      if (random() < 0.3) {
        ctr.observe(clicked(id));
        want.get(v)!.clicked++;
      }
    }
    for (const [v, w] of want) {
      assert.equal(sink.shownBy.get(v) ?? 0, w.shown, v);
      assert.equal(sink.itemsBy.get(v) ?? 0, w.items, v);
      assert.equal(sink.clickedBy.get(v) ?? 0, w.clicked, v);
    }
  });

  void it('ignores other event types; ids not ours are unattributed; versions past the cap are "other"', () => {
    const ids = new RecommendationIds();
    const sink = new Recorder();
    const ctr = new ClickThrough(ids, sink, 2);
    assert.equal(ctr.observe({ type: EventType.PRODUCT_VIEW, recommendationId: ids.next('v1'), itemIds: [] }), false);
    assert.equal(sink.shownBy.size + sink.clickedBy.size, 0);
    ctr.observe(clicked('someone-elses-id'));
    ctr.observe(shown(''));
    assert.equal(sink.clickedBy.get(UNATTRIBUTED), 1);
    assert.equal(sink.shownBy.get(UNATTRIBUTED), 1);
    for (const v of ['a', 'b', 'c', 'd', 'a']) ctr.observe(shown(ids.next(v)));
    assert.deepEqual([...sink.shownBy.keys()].sort(), ['a', 'b', OTHER_VERSIONS, UNATTRIBUTED].sort());
    assert.equal(sink.shownBy.get('a'), 2);
    assert.equal(sink.shownBy.get(OTHER_VERSIONS), 2);
  });
});
