import type { Struct } from '@fstool/blockdev/struct';
import type { CowDevice } from './cow-device.js';
import type { Rng } from './rng.js';

// biome-ignore lint/suspicious/noExplicitAny: a site may hold any structure of any package.
export type AnyStruct = Struct<any>;

/** A structure the seed knows sits at `offset`: its numeric fields get field-aware mutations. */
export interface StructSite {
  struct: AnyStruct;
  offset: number;
}

/** A valid image to start from, with where its metadata lives. */
export interface Seed {
  name: string;
  bytes: Uint8Array;
  /** Byte ranges worth mutating (metadata); blind mutations land here. */
  hot: Array<[number, number]>;
  sites: StructSite[];
  /** For qcow2 overlays: the backing image (read-only, never mutated). */
  backing?: Uint8Array;
}

type Span = readonly [number, number];

/** Reads the number spread over a field's spans (lo span first, as `pair` stores it). */
function getSpans(buf: Uint8Array, spans: readonly Span[], le: boolean): number {
  let value = 0;
  let scale = 1;
  for (const [off, len] of spans) {
    let part = 0;
    for (let i = 0; i < len; i++) part = part * 256 + (buf[le ? off + len - 1 - i : off + i] ?? 0);
    value += part * scale;
    scale *= 2 ** (8 * len);
  }
  return value;
}

/** Writes `value` (truncated to the field's width) over a field's spans. */
function setSpans(buf: Uint8Array, spans: readonly Span[], le: boolean, value: number): void {
  let rest = Math.max(0, Math.floor(value));
  for (const [off, len] of spans) {
    for (let i = 0; i < len; i++) {
      const byte = rest % 256;
      rest = Math.floor(rest / 256);
      buf[le ? off + i : off + len - 1 - i] = byte;
    }
  }
}

/** A value likely to break a reader: boundaries, off-by-ones, shifts, sizes near the device's. */
function interesting(rng: Rng, current: number, bits: number, deviceSize: number): number {
  const max = bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
  const candidates = [
    0,
    1,
    2,
    max,
    max - 1,
    Math.floor(max / 2),
    Math.floor(max / 2) + 1,
    current + 1,
    current - 1,
    current * 2,
    Math.floor(current / 2),
    current + 2 ** rng.int(Math.min(bits, 52)),
    current ^ (2 ** rng.int(Math.min(bits, 31))),
    2 ** rng.int(Math.min(bits, 53)),
    rng.int(2 ** Math.min(bits, 32)),
    Math.floor(deviceSize / 512) + rng.range(-2, 2),
    Math.floor(deviceSize / 4096) + rng.range(-2, 2),
    deviceSize + rng.range(-2, 2),
    2 ** 31,
    2 ** 32,
    rng.range(0, 64),
  ];
  const v = rng.pick(candidates);
  return Math.min(max, Math.max(0, v));
}

function hotOffset(rng: Rng, seed: Seed): number {
  const [start, end] = rng.pick(seed.hot);
  return start + rng.int(Math.max(1, end - start));
}

/**
 * Applies 1..32 random mutations to `dev` (a copy-on-write view of `seed.bytes`) and returns a
 * short description of each. Deterministic for a given `rng` state.
 */
export function mutate(dev: CowDevice, seed: Seed, rng: Rng): string[] {
  const done: string[] = [];
  // Mostly a few changes (a reader's first check often catches a pile of them); one case in
  // eight is havoc: 8–32 changes at once.
  const count = rng.chance(0.125) ? rng.range(8, 32) : 1 + Math.min(7, Math.floor(-Math.log2(1 - rng.next() * 0.99)));
  for (let m = 0; m < count; m++) {
    const kind = rng.int(seed.sites.length > 0 ? 10 : 6);
    if (kind >= 6) done.push(mutateField(dev, seed, rng));
    else if (kind <= 1) {
      const at = hotOffset(rng, seed);
      const b = new Uint8Array(1);
      dev.readSync(at, b);
      b[0] = (b[0] ?? 0) ^ (1 << rng.int(8));
      dev.writeSync(at, b);
      done.push(`flip@${at}`);
    } else if (kind === 2) {
      const at = hotOffset(rng, seed);
      dev.writeSync(at, Uint8Array.of(rng.pick([0, 1, 0x7f, 0x80, 0xff, rng.int(256)])));
      done.push(`byte@${at}`);
    } else if (kind === 3) {
      const at = hotOffset(rng, seed);
      const len = Math.min(1 + rng.int(rng.chance(0.8) ? 16 : 1024), dev.size - at);
      const fill = rng.pick([0, 0xff, -1]);
      const run = new Uint8Array(len);
      for (let i = 0; i < len; i++) run[i] = fill < 0 ? rng.int(256) : fill;
      dev.writeSync(at, run);
      done.push(`run@${at}+${len}`);
    } else if (kind === 4) {
      // Copy a metadata chunk over another: duplicated pointers, self-references, loops.
      const from = hotOffset(rng, seed);
      const to = hotOffset(rng, seed);
      const len = Math.min(1 + rng.int(512), dev.size - from, dev.size - to);
      const chunk = new Uint8Array(len);
      dev.readSync(from, chunk);
      dev.writeSync(to, chunk);
      done.push(`copy@${from}->${to}+${len}`);
    } else {
      // Overwrite a little-endian 32-bit word with an interesting number (pointers, counts).
      const at = hotOffset(rng, seed) & ~3;
      if (at + 4 > dev.size) continue;
      const w = new Uint8Array(4);
      dev.readSync(at, w);
      const cur = getSpans(w, [[0, 4]], true);
      setSpans(w, [[0, 4]], true, interesting(rng, cur, 32, dev.size));
      dev.writeSync(at, w);
      done.push(`word@${at}`);
    }
  }
  return done;
}

function mutateField(dev: CowDevice, seed: Seed, rng: Rng): string {
  const site = rng.pick(seed.sites);
  if (site.offset + site.struct.size > dev.size) return 'skip';
  const buf = new Uint8Array(site.struct.size);
  dev.readSync(site.offset, buf);
  const key = rng.pick(Object.keys(site.struct.fields));
  const field = site.struct.fields[key] as { spans: readonly Span[] };
  const width = field.spans.reduce((n, [, len]) => n + len, 0);
  if (width > 8) {
    // Byte fields (signatures, GUIDs, names): damage a few bytes.
    const [off, len] = rng.pick(field.spans);
    buf[off + rng.int(len)] = rng.int(256);
  } else {
    const le = site.struct.littleEndian;
    const cur = getSpans(buf, field.spans, le);
    setSpans(buf, field.spans, le, interesting(rng, cur, width * 8, dev.size));
  }
  dev.writeSync(site.offset, buf);
  return `${site.struct.name}.${key}@${site.offset}`;
}
