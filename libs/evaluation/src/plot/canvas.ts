import { InvalidInputError } from '@clickwise/errors';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font.js';
import { encodePng } from './png.js';

/** An sRGB colour, 0–255 a channel. */
export type Rgb = readonly [number, number, number];

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];

/** Parses `#rrggbb`. */
export function hex(colour: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (m === null) throw new InvalidInputError(`colour ${colour} is not #rrggbb`, 'colour');
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

export interface StrokeOptions {
  /** Line width in pixels (default 1). */
  readonly width?: number;
  /** Dash and gap lengths in pixels, e.g. [6, 4]; solid when absent. */
  readonly dash?: readonly [number, number];
}

/**
 * An RGB raster with anti-aliased drawing. Strokes and discs are drawn through a coverage mask
 * (the distance of each pixel centre to the shape, a one-pixel ramp at the edge) blended once, so
 * the joints of a polyline are not painted twice. Coordinates are in pixels, y down; pixel (x, y)
 * has its centre at (x + 0.5, y + 0.5).
 */
export class Canvas {
  readonly pixels: Uint8Array;
  private readonly mask: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = WHITE,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16 || width * height > 16_000_000) {
      throw new InvalidInputError(`canvas size ${width}×${height}: width and height must be integers ≥ 16, at most 16 megapixels`, 'width');
    }
    this.pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.pixels.set(background, i * 3);
    this.mask = new Float32Array(width * height);
  }

  /** The colour at (x, y). */
  get(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.pixels[i]!, this.pixels[i + 1]!, this.pixels[i + 2]!];
  }

  /** Blends `colour` over pixel (x, y) with opacity `alpha` (0–1); outside the canvas is ignored. */
  blend(x: number, y: number, colour: Rgb, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || alpha <= 0) return;
    const a = Math.min(1, alpha);
    const i = (y * this.width + x) * 3;
    for (let c = 0; c < 3; c++) this.pixels[i + c] = Math.round(this.pixels[i + c]! * (1 - a) + colour[c]! * a);
  }

  /** Fills the pixels with x0 ≤ x < x1, y0 ≤ y < y1 (rounded). */
  fillRect(x0: number, y0: number, x1: number, y1: number, colour: Rgb): void {
    const xa = Math.max(0, Math.round(x0));
    const xb = Math.min(this.width, Math.round(x1));
    const ya = Math.max(0, Math.round(y0));
    const yb = Math.min(this.height, Math.round(y1));
    for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) this.pixels.set(colour, (y * this.width + x) * 3);
  }

  /** Draws a polyline through `points` ([x, y] pixel coordinates). */
  polyline(points: readonly (readonly [number, number])[], colour: Rgb, options: StrokeOptions = {}): void {
    const half = (options.width ?? 1) / 2;
    const box = { x0: this.width, y0: this.height, x1: -1, y1: -1 };
    const segment = (ax: number, ay: number, bx: number, by: number) => this.segmentToMask(ax, ay, bx, by, half, box);
    if (options.dash === undefined) {
      for (let i = 1; i < points.length; i++) segment(points[i - 1]![0], points[i - 1]![1], points[i]![0], points[i]![1]);
    } else {
      const [on, off] = options.dash;
      let phase = 0; // distance into the current dash+gap period
      for (let i = 1; i < points.length; i++) {
        const [ax, ay] = points[i - 1]!;
        const [bx, by] = points[i]!;
        const length = Math.hypot(bx - ax, by - ay);
        let t = 0;
        while (t < length) {
          const inDash = phase < on;
          const step = Math.min(length - t, inDash ? on - phase : on + off - phase);
          if (inDash) {
            const f0 = t / length;
            const f1 = (t + step) / length;
            segment(ax + (bx - ax) * f0, ay + (by - ay) * f0, ax + (bx - ax) * f1, ay + (by - ay) * f1);
          }
          t += step;
          phase = (phase + step) % (on + off);
        }
      }
    }
    this.flushMask(colour, box);
  }

  /** A straight line from (ax, ay) to (bx, by). */
  line(ax: number, ay: number, bx: number, by: number, colour: Rgb, options: StrokeOptions = {}): void {
    this.polyline(
      [
        [ax, ay],
        [bx, by],
      ],
      colour,
      options,
    );
  }

  /** A filled disc of radius r centred at (cx, cy), optionally with a ring of `outline`. */
  disc(cx: number, cy: number, r: number, colour: Rgb, outline?: Rgb): void {
    const box = { x0: this.width, y0: this.height, x1: -1, y1: -1 };
    this.segmentToMask(cx, cy, cx, cy, r, box);
    this.flushMask(colour, box);
    if (outline !== undefined) {
      const ring = { x0: this.width, y0: this.height, x1: -1, y1: -1 };
      this.ringToMask(cx, cy, r, 1, ring);
      this.flushMask(outline, ring);
    }
  }

  /**
   * Writes `text` with its top-left corner at (x, y), `scale` screen pixels per font pixel.
   * `vertical` turns it 90° anticlockwise (reading bottom to top), starting at (x, y) bottom-left.
   */
  text(x: number, y: number, text: string, colour: Rgb, scale = 1, vertical = false): void {
    const x0 = Math.round(x);
    const y0 = Math.round(y);
    let cursor = 0;
    for (const ch of text) {
      const bits = glyph(ch);
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          if (bits[gy * GLYPH_WIDTH + gx] === 0) continue;
          // Horizontal: pixel (cursor + gx, gy). Vertical: rotated, x grows with gy, y shrinks with cursor + gx.
          const px = vertical ? x0 + gy * scale : x0 + (cursor + gx) * scale;
          const py = vertical ? y0 - (cursor + gx + 1) * scale : y0 + gy * scale;
          for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) this.blend(px + sx, py + sy, colour, 1);
        }
      }
      cursor += GLYPH_ADVANCE;
    }
  }

  /** The canvas as a PNG file. */
  toPng(): Buffer {
    return encodePng(this.width, this.height, this.pixels);
  }

  /** Coverage of a capsule (segment with round caps, radius `half`) into the mask, as a max. */
  private segmentToMask(ax: number, ay: number, bx: number, by: number, half: number, box: { x0: number; y0: number; x1: number; y1: number }): void {
    const reach = half + 1;
    const xa = Math.max(0, Math.floor(Math.min(ax, bx) - reach));
    const xb = Math.min(this.width - 1, Math.ceil(Math.max(ax, bx) + reach));
    const ya = Math.max(0, Math.floor(Math.min(ay, by) - reach));
    const yb = Math.min(this.height - 1, Math.ceil(Math.max(ay, by) + reach));
    if (xa > xb || ya > yb) return;
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    for (let y = ya; y <= yb; y++) {
      const py = y + 0.5;
      for (let x = xa; x <= xb; x++) {
        const px = x + 0.5;
        const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
        const d = Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
        const cover = Math.min(1, half + 0.5 - d);
        if (cover <= 0) continue;
        const i = y * this.width + x;
        if (cover > this.mask[i]!) this.mask[i] = cover;
      }
    }
    box.x0 = Math.min(box.x0, xa);
    box.y0 = Math.min(box.y0, ya);
    box.x1 = Math.max(box.x1, xb);
    box.y1 = Math.max(box.y1, yb);
  }

  private ringToMask(cx: number, cy: number, r: number, width: number, box: { x0: number; y0: number; x1: number; y1: number }): void {
    const xa = Math.max(0, Math.floor(cx - r - 2));
    const xb = Math.min(this.width - 1, Math.ceil(cx + r + 2));
    const ya = Math.max(0, Math.floor(cy - r - 2));
    const yb = Math.min(this.height - 1, Math.ceil(cy + r + 2));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const d = Math.abs(Math.hypot(x + 0.5 - cx, y + 0.5 - cy) - r);
        const cover = Math.min(1, width / 2 + 0.5 - d);
        const i = y * this.width + x;
        if (cover > this.mask[i]!) this.mask[i] = cover;
      }
    }
    box.x0 = Math.min(box.x0, xa);
    box.y0 = Math.min(box.y0, ya);
    box.x1 = Math.max(box.x1, xb);
    box.y1 = Math.max(box.y1, yb);
  }

  private flushMask(colour: Rgb, box: { x0: number; y0: number; x1: number; y1: number }): void {
    for (let y = box.y0; y <= box.y1; y++) {
      for (let x = box.x0; x <= box.x1; x++) {
        const i = y * this.width + x;
        const cover = this.mask[i]!;
        if (cover > 0) {
          this.blend(x, y, colour, cover);
          this.mask[i] = 0;
        }
      }
    }
  }
}
