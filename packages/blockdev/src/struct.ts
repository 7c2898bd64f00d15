/**
 * Typed codecs for fixed-layout on-disk structures over `DataView`.
 *
 * A structure is declared once as a table of fields at explicit offsets (copied from the format's
 * specification) and decoded/encoded as a plain object. Definitions are checked when the module
 * loads: fields must fit the structure and must not overlap.
 *
 *   const hdr = struct('GPT header', 92, { signature: bytes(0, 8), revision: u32(8), myLba: u64(0x18) });
 *   const h = hdr.decode(sector);      // { signature: Uint8Array, revision: number, myLba: number }
 *   hdr.encode({ ...h, revision: 0x10000 }, sector);
 */
import { CorruptError, InvalidArgumentError } from './errors.js';

export interface Field<T> {
  /** Byte ranges [offset, offset+length) the field occupies, relative to the structure. */
  readonly spans: ReadonlyArray<readonly [number, number]>;
  get(dv: DataView, base: number, le: boolean, where: string): T;
  set(dv: DataView, base: number, value: T, le: boolean, where: string): void;
}

type Fields = Record<string, Field<unknown>>;
export type Infer<F extends Fields> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };

/**
 * The last buffer asked for and its view: decoding or patching a structure asks once per field.
 * Any other buffer gets a fresh view (cheaper than looking views up in a WeakMap, whose entries
 * are costly to collect when most buffers are short-lived copies).
 */
let lastBuffer: ArrayBufferLike | undefined;
let lastView: DataView | undefined;

/** A DataView over the whole buffer of `u8`; add `u8.byteOffset` to offsets into it. */
export function dataView(u8: Uint8Array): DataView {
  const buffer = u8.buffer;
  if (buffer !== lastBuffer) {
    lastBuffer = buffer;
    lastView = new DataView(buffer);
  }
  return lastView as DataView;
}

function scalar(
  offset: number,
  length: number,
  get: (dv: DataView, at: number, le: boolean) => number,
  set: (dv: DataView, at: number, v: number, le: boolean) => void,
  min: number,
  max: number,
): Field<number> {
  return {
    spans: [[offset, length]],
    get: (dv, base, le) => get(dv, base + offset, le),
    set: (dv, base, v, le, where) => {
      if (!Number.isInteger(v) || v < min || v > max) {
        throw new InvalidArgumentError(`${where}: ${v} does not fit in ${length * 8} bits`);
      }
      set(dv, base + offset, v, le);
    },
  };
}

export const u8 = (o: number) =>
  scalar(
    o,
    1,
    (d, a) => d.getUint8(a),
    (d, a, v) => d.setUint8(a, v),
    0,
    0xff,
  );
export const u16 = (o: number) =>
  scalar(
    o,
    2,
    (d, a, le) => d.getUint16(a, le),
    (d, a, v, le) => d.setUint16(a, v, le),
    0,
    0xffff,
  );
export const u32 = (o: number) =>
  scalar(
    o,
    4,
    (d, a, le) => d.getUint32(a, le),
    (d, a, v, le) => d.setUint32(a, v, le),
    0,
    0xffffffff,
  );
export const i8 = (o: number) =>
  scalar(
    o,
    1,
    (d, a) => d.getInt8(a),
    (d, a, v) => d.setInt8(a, v),
    -0x80,
    0x7f,
  );
export const i16 = (o: number) =>
  scalar(
    o,
    2,
    (d, a, le) => d.getInt16(a, le),
    (d, a, v, le) => d.setInt16(a, v, le),
    -0x8000,
    0x7fff,
  );
export const i32 = (o: number) =>
  scalar(
    o,
    4,
    (d, a, le) => d.getInt32(a, le),
    (d, a, v, le) => d.setInt32(a, v, le),
    -0x80000000,
    0x7fffffff,
  );

const TWO32 = 2 ** 32;

/** A 64-bit unsigned field read as a number; values past 2^53 are reported as corrupt. */
export function u64(offset: number): Field<number> {
  return {
    spans: [[offset, 8]],
    get(dv, base, le, where) {
      const a = dv.getUint32(base + offset, le);
      const b = dv.getUint32(base + offset + 4, le);
      const [lo, hi] = le ? [a, b] : [b, a];
      if (hi >= 2 ** 21) throw new CorruptError(`${where}: 64-bit value too large (high word 0x${hi.toString(16)})`);
      return hi * TWO32 + lo;
    },
    set(dv, base, v, le, where) {
      if (!Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`${where}: ${v} is not a 53-bit integer`);
      const hi = Math.floor(v / TWO32);
      const lo = v % TWO32;
      dv.setUint32(base + offset, le ? lo : hi, le);
      dv.setUint32(base + offset + 4, le ? hi : lo, le);
    },
  };
}

/**
 * A number split over two fields (ext4's `_lo`/`_hi` pairs): value = lo + hi * 2^(8 * loBytes).
 * `loBytes` is the width of the low field.
 */
export function pair(lo: Field<number>, hi: Field<number>): Field<number> {
  const loSpan = lo.spans[0];
  if (!loSpan) throw new InvalidArgumentError('pair: low field has no span');
  const scale = 2 ** (8 * loSpan[1]);
  return {
    spans: [...lo.spans, ...hi.spans],
    get(dv, base, le, where) {
      const v = hi.get(dv, base, le, where) * scale + lo.get(dv, base, le, where);
      if (!Number.isSafeInteger(v)) throw new CorruptError(`${where}: value too large`);
      return v;
    },
    set(dv, base, v, le, where) {
      if (!Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`${where}: ${v} is not a 53-bit integer`);
      lo.set(dv, base, v % scale, le, where);
      hi.set(dv, base, Math.floor(v / scale), le, where);
    },
  };
}

/** A fixed-length byte array; decoding copies, encoding requires exactly `length` bytes. */
export function bytes(offset: number, length: number): Field<Uint8Array> {
  return {
    spans: [[offset, length]],
    get(dv, base) {
      return new Uint8Array(dv.buffer, dv.byteOffset + base + offset, length).slice();
    },
    set(dv, base, v, _le, where) {
      if (v.length !== length) throw new InvalidArgumentError(`${where}: expected ${length} bytes, got ${v.length}`);
      new Uint8Array(dv.buffer, dv.byteOffset + base + offset, length).set(v);
    },
  };
}

export interface Struct<F extends Fields> {
  readonly name: string;
  readonly size: number;
  readonly fields: F;
  readonly littleEndian: boolean;
  /** Reads every field of the structure at `offset` of `buf`. */
  decode(buf: Uint8Array, offset?: number): Infer<F>;
  /** Writes every field; bytes not covered by a field are left as they are. */
  encode(value: Infer<F>, buf: Uint8Array, offset?: number): void;
  /** Writes only the fields given. */
  patch(value: Partial<Infer<F>>, buf: Uint8Array, offset?: number): void;
  /** A fresh zeroed buffer of `size` bytes holding `value`. */
  create(value: Infer<F>): Uint8Array;
  get<K extends keyof F & string>(buf: Uint8Array, offset: number, key: K): Infer<F>[K];
  set<K extends keyof F & string>(buf: Uint8Array, offset: number, key: K, value: Infer<F>[K]): void;
}

function define<F extends Fields>(name: string, size: number, fields: F, littleEndian: boolean): Struct<F> {
  const taken: Array<[number, number, string]> = [];
  for (const [key, field] of Object.entries(fields)) {
    for (const [off, len] of field.spans) {
      if (off < 0 || off + len > size) {
        throw new InvalidArgumentError(`${name}.${key}: [${off}, ${off + len}) is outside the ${size}-byte structure`);
      }
      for (const [o, l, other] of taken) {
        if (off < o + l && o < off + len) throw new InvalidArgumentError(`${name}.${key} overlaps ${name}.${other}`);
      }
      taken.push([off, len, key]);
    }
  }
  const keys = Object.keys(fields) as Array<keyof F & string>;
  const at = (buf: Uint8Array, offset: number) => {
    if (offset < 0 || offset + size > buf.length) {
      throw new CorruptError(`${name}: needs ${size} bytes at offset ${offset}, buffer has ${buf.length}`);
    }
    return buf.byteOffset + offset;
  };
  // Error locations built once: accessors of hot tables run millions of times.
  const where = Object.fromEntries(keys.map((k) => [k, `${name}.${k}`])) as Record<keyof F & string, string>;
  const getField = <K extends keyof F & string>(buf: Uint8Array, offset: number, key: K) =>
    (fields[key] as Field<Infer<F>[K]>).get(dataView(buf), at(buf, offset), littleEndian, where[key]);
  const setField = <K extends keyof F & string>(buf: Uint8Array, offset: number, key: K, value: Infer<F>[K]) =>
    (fields[key] as Field<Infer<F>[K]>).set(dataView(buf), at(buf, offset), value, littleEndian, where[key]);
  const patch = (value: Partial<Infer<F>>, buf: Uint8Array, offset = 0) => {
    for (const key of keys) {
      const v = value[key];
      if (v !== undefined) setField(buf, offset, key, v as Infer<F>[typeof key]);
    }
  };
  return {
    name,
    size,
    fields,
    littleEndian,
    decode(buf, offset = 0) {
      const out = {} as Infer<F>;
      const dv = dataView(buf);
      const base = at(buf, offset);
      for (const key of keys)
        out[key] = (fields[key] as Field<Infer<F>[typeof key]>).get(dv, base, littleEndian, where[key]);
      return out;
    },
    encode: patch,
    patch,
    create(value) {
      const buf = new Uint8Array(size);
      patch(value, buf, 0);
      return buf;
    },
    get: getField,
    set: setField,
  };
}

/** A little-endian structure (ext, FAT, MBR, GPT). */
export function struct<F extends Fields>(name: string, size: number, fields: F): Struct<F> {
  return define(name, size, fields, true);
}

/** A big-endian structure (qcow2). */
struct.be = <F extends Fields>(name: string, size: number, fields: F): Struct<F> => define(name, size, fields, false);

/** True when every bit of `mask` is set in `flags`. */
export function hasFlag(flags: number, mask: number): boolean {
  return (flags & mask) >>> 0 === mask >>> 0;
}
