import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  readonly colourType: number;
  readonly bitDepth: number;
  /** RGB, 3 bytes a pixel. */
  readonly rgb: Uint8Array;
  readonly chunks: string[];
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * A minimal PNG reader for the specs (8-bit truecolour, no interlace, all five filters). Checks
 * the signature and every chunk's CRC with node:zlib's crc32 (not the encoder's), and throws on
 * anything else.
 */
export function decodePng(file: Uint8Array): DecodedPng {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  signature.forEach((b, i) => {
    if (buf[i] !== b) throw new Error(`not a PNG: byte ${i} of the signature is ${buf[i]}`);
  });
  let at = 8;
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colourType = 0;
  while (at < buf.length) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + length);
    const crc = buf.readUInt32BE(at + 8 + length);
    const expected = zlibCrc32(buf.subarray(at + 4, at + 8 + length));
    if (crc !== expected) throw new Error(`chunk ${type}: CRC ${crc.toString(16)} but the bytes give ${expected.toString(16)}`);
    chunks.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8]!;
      colourType = data[9]!;
      if (data[12] !== 0) throw new Error('interlaced PNGs are not supported');
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + length;
    if (type === 'IEND') break;
  }
  if (at !== buf.length) throw new Error(`${buf.length - at} bytes after IEND`);
  if (bitDepth !== 8 || colourType !== 2) throw new Error(`only 8-bit RGB is supported (depth ${bitDepth}, colour type ${colourType})`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  if (raw.length !== (stride + 1) * height) throw new Error(`inflated ${raw.length} bytes, expected ${(stride + 1) * height}`);
  const rgb = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 3 ? rgb[y * stride + x - 3]! : 0;
      const b = y > 0 ? rgb[(y - 1) * stride + x]! : 0;
      const c = x >= 3 && y > 0 ? rgb[(y - 1) * stride + x - 3]! : 0;
      const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : Number.NaN;
      if (Number.isNaN(predictor)) throw new Error(`row ${y}: unknown filter type ${filter}`);
      rgb[y * stride + x] = (v + predictor) & 0xff;
    }
  }
  return { width, height, colourType, bitDepth, rgb, chunks };
}
