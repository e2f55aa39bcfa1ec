import { InvalidInputError } from '@clickwise/errors';
import type { RocPoint } from '../binary.js';
import type { ReliabilityBin } from '../calibration.js';
import { BLACK, Canvas, hex, type Rgb } from './canvas.js';
import { GLYPH_HEIGHT, textWidth } from './font.js';

/** Curve colours, in order (the Tableau 10 palette). */
export const PALETTE: readonly Rgb[] = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'].map(hex);

const GRID: Rgb = [225, 225, 225];
const REFERENCE: Rgb = [150, 150, 150];
const TEXT: Rgb = [40, 40, 40];

export interface ChartOptions {
  /** Pixels (default 800 × 640). */
  readonly width?: number;
  readonly height?: number;
  readonly title?: string;
  /** Screen pixels per font pixel for ticks, labels and legend (default 2; the title is one larger). */
  readonly textScale?: number;
}

export interface RocCurveInput {
  readonly name: string;
  readonly points: readonly Pick<RocPoint, 'fpr' | 'tpr'>[];
  /** Shown in the legend when given. */
  readonly auc?: number;
}

export interface CalibrationCurveInput {
  readonly name: string;
  readonly bins: readonly Pick<ReliabilityBin, 'meanPredicted' | 'observedRate' | 'count'>[];
}

export interface CalibrationChartOptions extends ChartOptions {
  /**
   * Axis range: `full` is [0, 1]; `auto` (default) is [0, m] with m the largest predicted or
   * observed value rounded up to a tick, so a model of rare positives (a few percent) is not
   * squeezed into one corner.
   */
  readonly range?: 'auto' | 'full';
  /** Disc area proportional to the bin's row count (default true); else all discs one size. */
  readonly sizeByCount?: boolean;
}

/** The plotting frame: data ranges mapped to a pixel rectangle. */
interface Frame {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly max: number;
}

/** The centre of the pixel a coordinate falls in: 1-pixel lines there are sharp, not two grey pixels. */
const crisp = (v: number): number => Math.floor(v) + 0.5;

const px = (f: Frame, x: number): number => f.left + (x / f.max) * (f.right - f.left);
const py = (f: Frame, y: number): number => f.bottom - (y / f.max) * (f.bottom - f.top);

/** A tick step of 1, 2 or 5 × 10^k giving about 5 intervals over [0, max]. */
export function tickStep(max: number): number {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw - 1e-12) return m * power;
  return 10 * power;
}

function formatTick(v: number, step: number): string {
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9) + (Math.abs(step / 10 ** Math.floor(Math.log10(step)) - 2.5) < 1e-9 ? 1 : 0));
  return v.toFixed(decimals);
}

function checkSize(what: string, options: ChartOptions): { width: number; height: number; scale: number } {
  const width = options.width ?? 800;
  const height = options.height ?? 640;
  const scale = options.textScale ?? 2;
  if (!Number.isInteger(scale) || scale < 1 || scale > 8) throw new InvalidInputError(`${what}: textScale is ${String(scale)}; it must be an integer 1–8`, 'textScale');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 200 || height < 160) {
    throw new InvalidInputError(`${what}: size ${width}×${height}; it must be at least 200×160 pixels`, 'width');
  }
  return { width, height, scale };
}

function ticks(max: number): { step: number; labels: string[] } {
  const step = tickStep(max);
  const labels: string[] = [];
  for (let i = 0; i * step <= max + 1e-9; i++) labels.push(formatTick(i * step, step));
  return { step, labels };
}

/**
 * Where a chart of `width` × `height` with axes [0, max] puts data point (x, y), in pixels (the
 * charts use this mapping; the specs use it to find what was drawn).
 */
export function chartMapping(width: number, height: number, max: number, textScale = 2): { x: (v: number) => number; y: (v: number) => number } {
  const f = frameFor(width, height, max, textScale);
  return { x: (v) => px(f, v), y: (v) => py(f, v) };
}

function frameFor(width: number, height: number, max: number, scale: number): Frame {
  const charH = GLYPH_HEIGHT * scale;
  const widest = Math.max(...ticks(max).labels.map((t) => textWidth(t) * scale));
  return {
    left: Math.round(charH + 12 + widest + 10),
    top: Math.round(charH * 1.5 + 20),
    right: width - 24,
    bottom: height - Math.round(2 * charH + 28),
    max,
  };
}

/** The axis maximum a calibration chart uses for these bins (see CalibrationChartOptions.range). */
export function calibrationMax(curves: readonly CalibrationCurveInput[], range: 'auto' | 'full' = 'auto'): number {
  let top = 0;
  for (const c of curves) for (const b of c.bins) top = Math.max(top, b.meanPredicted, b.observedRate);
  if (range === 'full' || top <= 0) return 1;
  const step = tickStep(top * 1.05);
  return Math.min(1, Math.ceil((top * 1.05) / step - 1e-9) * step);
}

/** Axes, grid, ticks, labels and title; returns the frame to plot in. */
function axes(canvas: Canvas, max: number, labels: { x: string; y: string; title: string }, scale: number): Frame {
  const charH = GLYPH_HEIGHT * scale;
  const { step, labels: tickLabels } = ticks(max);
  const frame = frameFor(canvas.width, canvas.height, max, scale);
  for (let i = 0; i < tickLabels.length; i++) {
    const v = i * step;
    const x = crisp(px(frame, v));
    const y = crisp(py(frame, v));
    canvas.line(x, frame.top, x, frame.bottom, GRID);
    canvas.line(frame.left, y, frame.right, y, GRID);
    canvas.line(x, frame.bottom, x, frame.bottom + 5, BLACK);
    canvas.line(frame.left - 5, y, frame.left, y, BLACK);
    const t = tickLabels[i]!;
    canvas.text(x - (textWidth(t) * scale) / 2, frame.bottom + 9, t, TEXT, scale);
    canvas.text(frame.left - 9 - textWidth(t) * scale, y - charH / 2, t, TEXT, scale);
  }
  canvas.polyline(
    [
      [crisp(frame.left), crisp(frame.top)],
      [crisp(frame.left), crisp(frame.bottom)],
      [crisp(frame.right), crisp(frame.bottom)],
    ],
    BLACK,
  );
  const midX = (frame.left + frame.right) / 2;
  const midY = (frame.top + frame.bottom) / 2;
  canvas.text(midX - (textWidth(labels.x) * scale) / 2, canvas.height - charH - 8, labels.x, TEXT, scale);
  canvas.text(8, midY + (textWidth(labels.y) * scale) / 2, labels.y, TEXT, scale, true);
  const titleScale = scale + 1;
  canvas.text((canvas.width - textWidth(labels.title) * titleScale) / 2, 10, labels.title, BLACK, titleScale);
  return frame;
}

/** Legend box with a colour swatch per entry, in the corner given. */
function legend(canvas: Canvas, frame: Frame, entries: { label: string; colour: Rgb }[], corner: 'bottom-right' | 'top-left', scale: number): void {
  if (entries.length === 0) return;
  const charH = GLYPH_HEIGHT * scale;
  const rowH = charH + 8;
  const swatch = 22;
  const w = Math.max(...entries.map((e) => textWidth(e.label) * scale)) + swatch + 24;
  const h = entries.length * rowH + 8;
  const x0 = corner === 'bottom-right' ? frame.right - w - 10 : frame.left + 10;
  const y0 = corner === 'bottom-right' ? frame.bottom - h - 10 : frame.top + 10;
  canvas.fillRect(x0, y0, x0 + w, y0 + h, [255, 255, 255]);
  canvas.polyline(
    [
      [crisp(x0), crisp(y0)],
      [crisp(x0 + w), crisp(y0)],
      [crisp(x0 + w), crisp(y0 + h)],
      [crisp(x0), crisp(y0 + h)],
      [crisp(x0), crisp(y0)],
    ],
    [180, 180, 180],
  );
  entries.forEach((e, i) => {
    const y = y0 + 8 + i * rowH;
    canvas.line(x0 + 8, y + charH / 2, x0 + 8 + swatch, y + charH / 2, e.colour, { width: 3 });
    canvas.text(x0 + 16 + swatch, y, e.label, TEXT, scale);
  });
}

function checkUnit(what: string, v: number, field: string): void {
  if (!(v >= 0 && v <= 1)) throw new InvalidInputError(`${what}: ${field} is ${String(v)}; it must be in [0, 1]`, field);
}

/**
 * ROC curves on [0, 1]², the chance diagonal dashed, one colour per curve, the legend giving each
 * name (and its AUC when given). Returns the PNG file.
 */
export function renderRocPng(curves: readonly RocCurveInput[], options: ChartOptions = {}): Buffer {
  const { width, height, scale } = checkSize('renderRocPng', options);
  if (curves.length === 0) throw new InvalidInputError('renderRocPng: no curves to draw', 'curves');
  curves.forEach((c, k) => {
    if (c.points.length < 2) throw new InvalidInputError(`renderRocPng: curve ${k} (${c.name}) has ${c.points.length} points; it needs at least 2`, `curves[${k}].points`);
    c.points.forEach((p, i) => {
      checkUnit('renderRocPng', p.fpr, `curves[${k}].points[${i}].fpr`);
      checkUnit('renderRocPng', p.tpr, `curves[${k}].points[${i}].tpr`);
    });
  });
  const canvas = new Canvas(width, height);
  const frame = axes(canvas, 1, { x: 'false positive rate', y: 'true positive rate', title: options.title ?? 'ROC curve' }, scale);
  canvas.line(px(frame, 0), py(frame, 0), px(frame, 1), py(frame, 1), REFERENCE, { width: 1.5, dash: [8, 6] });
  const entries = curves.map((c, k) => {
    const colour = PALETTE[k % PALETTE.length]!;
    canvas.polyline(
      c.points.map((p) => [px(frame, p.fpr), py(frame, p.tpr)] as const),
      colour,
      { width: 2.5 },
    );
    return { label: c.auc === undefined ? c.name : `${c.name} (AUC ${c.auc.toFixed(3)})`, colour };
  });
  legend(canvas, frame, [...entries, { label: 'chance', colour: REFERENCE }], 'bottom-right', scale);
  return canvas.toPng();
}

/**
 * Reliability diagram: observed positive rate against mean predicted probability per bin, the
 * perfect-calibration diagonal dashed, a disc per bin (area by row count unless turned off) joined
 * by a line per curve. Returns the PNG file.
 */
export function renderCalibrationPng(curves: readonly CalibrationCurveInput[], options: CalibrationChartOptions = {}): Buffer {
  const { width, height, scale } = checkSize('renderCalibrationPng', options);
  if (curves.length === 0) throw new InvalidInputError('renderCalibrationPng: no curves to draw', 'curves');
  let maxCount = 0;
  curves.forEach((c, k) => {
    if (c.bins.length === 0) throw new InvalidInputError(`renderCalibrationPng: curve ${k} (${c.name}) has no bins`, `curves[${k}].bins`);
    c.bins.forEach((b, i) => {
      checkUnit('renderCalibrationPng', b.meanPredicted, `curves[${k}].bins[${i}].meanPredicted`);
      checkUnit('renderCalibrationPng', b.observedRate, `curves[${k}].bins[${i}].observedRate`);
      maxCount = Math.max(maxCount, b.count);
    });
  });
  const max = calibrationMax(curves, options.range ?? 'auto');
  const canvas = new Canvas(width, height);
  const frame = axes(canvas, max, { x: 'mean predicted probability', y: 'observed positive rate', title: options.title ?? 'Calibration' }, scale);
  canvas.line(px(frame, 0), py(frame, 0), px(frame, max), py(frame, max), REFERENCE, { width: 1.5, dash: [8, 6] });
  const sizeByCount = options.sizeByCount ?? true;
  const entries = curves.map((c, k) => {
    const colour = PALETTE[k % PALETTE.length]!;
    const pts = c.bins.map((b) => [px(frame, b.meanPredicted), py(frame, b.observedRate)] as const);
    canvas.polyline(pts, colour, { width: 2 });
    c.bins.forEach((b, i) => {
      const r = sizeByCount && maxCount > 0 ? 2.5 + 6 * Math.sqrt(b.count / maxCount) : 4;
      canvas.disc(pts[i]![0], pts[i]![1], r, colour, [255, 255, 255]);
    });
    return { label: c.name, colour };
  });
  legend(canvas, frame, [...entries, { label: 'perfectly calibrated', colour: REFERENCE }], 'top-left', scale);
  return canvas.toPng();
}
