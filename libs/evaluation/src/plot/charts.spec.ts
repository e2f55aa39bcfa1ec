import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodePng, type DecodedPng } from '../testing/png-decode.js';
import { Canvas, type Rgb } from './canvas.js';
import { PALETTE, calibrationMax, chartMapping, renderCalibrationPng, renderRocPng, tickStep } from './charts.js';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphTable } from './font.js';

const at = (img: DecodedPng, x: number, y: number): Rgb => {
  const i = (Math.round(y) * img.width + Math.round(x)) * 3;
  return [img.rgb[i]!, img.rgb[i + 1]!, img.rgb[i + 2]!];
};
const dist = (a: Rgb, b: Rgb) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
const isWhite = (c: Rgb) => c[0] === 255 && c[1] === 255 && c[2] === 255;

/** Whether a pixel within `r` of (x, y) is close to `colour` (or, with no colour, not white). */
function near(img: DecodedPng, x: number, y: number, colour: Rgb | null, r = 2): boolean {
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      const c = at(img, x + dx, y + dy);
      if (colour === null ? !isWhite(c) : dist(c, colour) < 40) return true;
    }
  }
  return false;
}

void describe('font', () => {
  void it('covers printable ASCII with well-formed 5×7 glyphs', () => {
    const table = glyphTable();
    for (let code = 32; code < 127; code++) {
      const ch = String.fromCharCode(code);
      const rows = table[ch]?.split(' ');
      assert.ok(rows !== undefined, `no glyph for ${JSON.stringify(ch)}`);
      assert.equal(rows.length, GLYPH_HEIGHT, ch);
      for (const row of rows) assert.match(row, new RegExp(`^[#.]{${GLYPH_WIDTH}}$`), ch);
    }
  });
});

void describe('canvas', () => {
  void it('draws an anti-aliased thick line: solid along it, blended at its edge, white away from it', () => {
    const c = new Canvas(100, 60);
    c.line(10, 30.5, 90, 30.5, [0, 0, 0], { width: 4 });
    // The band is y 28.5–32.5: pixel rows 29–31 (centres 29.5–31.5) are fully inside it.
    for (const y of [29, 30, 31]) assert.deepEqual(c.get(50, y), [0, 0, 0]);
    assert.deepEqual(c.get(50, 20), [255, 255, 255]);
    assert.deepEqual(c.get(50, 34), [255, 255, 255]);
    // Rows 28 and 32 have their centres on the band's edges: half covered.
    for (const y of [28, 32]) {
      const edge = c.get(50, y)[0];
      assert.ok(edge > 100 && edge < 160, `row ${y}: ${edge}`);
    }
  });

  void it('dashes leave gaps', () => {
    const c = new Canvas(100, 20);
    c.line(0, 10, 100, 10, [0, 0, 0], { width: 2, dash: [10, 10] });
    assert.deepEqual(c.get(5, 9), [0, 0, 0]);
    assert.deepEqual(c.get(15, 9), [255, 255, 255]);
    assert.deepEqual(c.get(25, 9), [0, 0, 0]);
  });

  void it('writes text (and turned text) from the glyph table', () => {
    const c = new Canvas(40, 40);
    c.text(2, 2, 'I', [0, 0, 0], 2);
    // 'I' row 0 is .###.: font pixels 1–3 inked, at scale 2 screen x 4–9 in rows 2–3.
    assert.deepEqual(c.get(4, 2), [0, 0, 0]);
    assert.deepEqual(c.get(9, 3), [0, 0, 0]);
    assert.deepEqual(c.get(2, 2), [255, 255, 255]);
    const v = new Canvas(40, 40);
    v.text(10, 30, 'L', [0, 0, 0], 1, true);
    // 'L' turned anticlockwise: its bottom row (#####) becomes the column x = 10 + 6, y 25–29.
    for (let y = 25; y < 30; y++) assert.deepEqual(v.get(16, y), [0, 0, 0]);
  });
});

void describe('charts', () => {
  void it('tick steps of 1, 2, 2.5 or 5 × 10^k', () => {
    assert.equal(tickStep(1), 0.2);
    assert.equal(tickStep(0.12), 0.025);
    assert.equal(tickStep(0.3), 0.1);
    assert.equal(calibrationMax([{ name: 'm', bins: [{ meanPredicted: 0.02, observedRate: 0.19, count: 1 }] }]), 0.2);
  });

  void it('ROC PNG: the curve, the dashed diagonal and the axes are where the data puts them', () => {
    const points = [
      { fpr: 0, tpr: 0 },
      { fpr: 0.1, tpr: 0.5 },
      { fpr: 0.4, tpr: 0.85 },
      { fpr: 1, tpr: 1 },
    ];
    const png = renderRocPng([{ name: 'model', points, auc: 0.8 }]);
    const img = decodePng(png);
    assert.deepEqual([img.width, img.height], [800, 640]);
    const m = chartMapping(800, 640, 1);
    // Along each segment of the curve, the curve's colour.
    for (let i = 1; i < points.length; i++) {
      for (const t of [0.25, 0.5, 0.75]) {
        const fpr = points[i - 1]!.fpr + t * (points[i]!.fpr - points[i - 1]!.fpr);
        const tpr = points[i - 1]!.tpr + t * (points[i]!.tpr - points[i - 1]!.tpr);
        assert.ok(near(img, m.x(fpr), m.y(tpr), PALETTE[0]!), `curve at (${fpr}, ${tpr})`);
      }
    }
    // The chance diagonal: most samples along it are inked (it is dashed), none in the curve's colour.
    let inked = 0;
    for (let k = 1; k < 40; k++) if (near(img, m.x(k / 40), m.y(k / 40), null, 1)) inked++;
    assert.ok(inked >= 20, `${inked} of 39 diagonal samples inked`);
    // Axes: the frame's corner is black-ish; the upper-left of the plot (no data) is background.
    assert.deepEqual(at(img, m.x(0.5), m.y(0)), [0, 0, 0]);
    assert.deepEqual(at(img, m.x(0), m.y(0.5)), [0, 0, 0]);
    assert.ok(!near(img, m.x(0.05), m.y(0.95), PALETTE[0]!));
  });

  void it('calibration PNG: bins as discs on the curve, the diagonal reference, zoomed axes', () => {
    const bins = [
      { meanPredicted: 0.01, observedRate: 0.012, count: 5000 },
      { meanPredicted: 0.05, observedRate: 0.04, count: 800 },
      { meanPredicted: 0.15, observedRate: 0.2, count: 100 },
    ];
    const img = decodePng(renderCalibrationPng([{ name: 'model', bins }]));
    const max = calibrationMax([{ name: 'model', bins }]);
    assert.equal(max, 0.25);
    const m = chartMapping(800, 640, max);
    for (const b of bins) assert.ok(near(img, m.x(b.meanPredicted), m.y(b.observedRate), PALETTE[0]!, 1), `bin at ${b.meanPredicted}`);
    let inked = 0;
    for (let k = 1; k < 40; k++) if (near(img, m.x((k / 40) * max), m.y((k / 40) * max), null, 1)) inked++;
    assert.ok(inked >= 20, `${inked} of 39 diagonal samples inked`);
    // Full range puts the same bins near the corner.
    const full = decodePng(renderCalibrationPng([{ name: 'model', bins }], { range: 'full' }));
    const f = chartMapping(800, 640, 1);
    assert.ok(near(full, f.x(0.15), f.y(0.2), PALETTE[0]!, 1));
  });

  void it('rejects points outside [0, 1] and empty input, naming the field', () => {
    assert.throws(() => renderRocPng([]), /no curves/);
    assert.throws(
      () =>
        renderRocPng([
          {
            name: 'x',
            points: [
              { fpr: 0, tpr: 0 },
              { fpr: 1.2, tpr: 1 },
            ],
          },
        ]),
      /curves\[0\]\.points\[1\]\.fpr is 1.2/,
    );
    assert.throws(() => renderCalibrationPng([{ name: 'x', bins: [] }]), /curve 0 \(x\) has no bins/);
  });

  void it('real tools read the files: file(1), and pngcheck when installed', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'clickwise-evaluation-'));
    const path = join(dir, 'roc.png');
    writeFileSync(
      path,
      renderRocPng([
        {
          name: 'm',
          points: [
            { fpr: 0, tpr: 0 },
            { fpr: 1, tpr: 1 },
          ],
        },
      ]),
    );
    const file = execFileSync('file', [path], { encoding: 'utf8' });
    assert.match(file, /PNG image data, 800 x 640, 8-bit\/color RGB, non-interlaced/);
    let pngcheck: string;
    try {
      pngcheck = execFileSync('pngcheck', ['-v', path], { encoding: 'utf8' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        t.diagnostic('pngcheck is not installed; file(1) only');
        return;
      }
      throw e;
    }
    assert.match(pngcheck, /No errors detected/);
  });
});
