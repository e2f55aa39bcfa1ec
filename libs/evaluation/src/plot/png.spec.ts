import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { decodePng } from '../testing/png-decode.js';
import { testRandom } from '../testing/reference.js';
import { crc32, encodePng } from './png.js';

void describe('PNG encoder', () => {
  void it('crc32 matches node:zlib and the check value of "123456789"', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    const r = testRandom(1);
    const bytes = Uint8Array.from({ length: 5000 }, () => Math.floor(r() * 256));
    assert.equal(crc32(bytes), zlibCrc32(bytes));
    assert.equal(crc32(bytes, 100, 900), zlibCrc32(bytes.subarray(100, 900)));
  });

  void it('round-trips random pixels through an independent decoder (signature, chunk CRCs, size)', () => {
    const r = testRandom(2);
    for (const [w, h] of [
      [1, 1],
      [3, 7],
      [64, 33],
    ] as const) {
      const rgb = Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r() * 256));
      const png = encodePng(w, h, rgb);
      const decoded = decodePng(png);
      assert.deepEqual([decoded.width, decoded.height, decoded.bitDepth, decoded.colourType], [w, h, 8, 2]);
      assert.deepEqual(decoded.chunks, ['IHDR', 'IDAT', 'IEND']);
      assert.deepEqual(decoded.rgb, rgb);
    }
  });

  void it('rejects a pixel buffer of the wrong size', () => {
    assert.throws(() => encodePng(2, 2, new Uint8Array(11)), /11 bytes of pixels for 2×2 RGB \(needs 12\)/);
  });
});
