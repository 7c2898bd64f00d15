/**
 * Directory-index (htree) name hashes: legacy, half-MD4 and TEA, each with the "signed" and
 * "unsigned" byte interpretation (s_flags says which one a filesystem uses), keyed by s_hash_seed.
 * Written from the algorithm descriptions in the ext4 disk-layout documentation.
 */
import { UnsupportedError } from '@fstool/fs';
import { HASH } from './superblock.js';

export interface NameHash {
  hash: number;
  minor: number;
}

const DEFAULT_SEED = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

/** Puts `s_hash_seed` (16 bytes, four little-endian u32) into `out`, or the MD4 constants when all zero. */
function seedWords(seed: Uint8Array | undefined, out: Uint32Array): void {
  let any = 0;
  for (let i = 0; i < 4; i++) {
    const w = seed
      ? ((seed[i * 4] as number) |
          ((seed[i * 4 + 1] as number) << 8) |
          ((seed[i * 4 + 2] as number) << 16) |
          ((seed[i * 4 + 3] as number) << 24)) >>>
        0
      : 0;
    out[i] = w;
    any |= w;
  }
  if (any === 0) out.set(DEFAULT_SEED);
}

/** Packs name bytes into `num` u32 words, padded with a length-derived pattern (str2hashbuf). */
function str2hashbuf(name: Uint8Array, start: number, len: number, num: number, signed: boolean, out: Uint32Array) {
  let pad = (len | (len << 8)) >>> 0;
  pad = (pad | (pad << 16)) >>> 0;
  let val = pad;
  const n = Math.min(len, num * 4);
  let w = 0;
  for (let i = 0; i < n; i++) {
    let c = name[start + i] as number;
    if (signed && c >= 0x80) c -= 0x100;
    val = (c + ((val << 8) >>> 0)) >>> 0;
    if (i % 4 === 3) {
      out[w++] = val;
      val = pad;
    }
  }
  if (w < num) out[w++] = val;
  while (w < num) out[w++] = pad;
}

const rol = (x: number, s: number) => ((x << s) | (x >>> (32 - s))) >>> 0;

/** The MD4 compression function cut to three rounds of eight steps; updates buf in place. */
function halfMd4(buf: Uint32Array, inp: Uint32Array) {
  let a = buf[0] as number;
  let b = buf[1] as number;
  let c = buf[2] as number;
  let d = buf[3] as number;
  const x = (i: number) => inp[i] as number;
  const F = (p: number, q: number, r: number) => r ^ (p & (q ^ r));
  const G = (p: number, q: number, r: number) => ((p & q) + ((p ^ q) & r)) >>> 0;
  const H = (p: number, q: number, r: number) => p ^ q ^ r;
  const K2 = 0x5a827999;
  const K3 = 0x6ed9eba1;
  type Fn = (p: number, q: number, r: number) => number;
  // Each round: the four registers rotate roles; [word, shift] per step.
  const round = (f: Fn, k: number, steps: Array<[number, number]>) => {
    for (let i = 0; i < 8; i++) {
      const [w, s] = steps[i] as [number, number];
      switch (i % 4) {
        case 0:
          a = rol((a + f(b, c, d) + x(w) + k) >>> 0, s);
          break;
        case 1:
          d = rol((d + f(a, b, c) + x(w) + k) >>> 0, s);
          break;
        case 2:
          c = rol((c + f(d, a, b) + x(w) + k) >>> 0, s);
          break;
        default:
          b = rol((b + f(c, d, a) + x(w) + k) >>> 0, s);
      }
    }
  };
  round(F, 0, [
    [0, 3],
    [1, 7],
    [2, 11],
    [3, 19],
    [4, 3],
    [5, 7],
    [6, 11],
    [7, 19],
  ]);
  round(G, K2, [
    [1, 3],
    [3, 5],
    [5, 9],
    [7, 13],
    [0, 3],
    [2, 5],
    [4, 9],
    [6, 13],
  ]);
  round(H, K3, [
    [3, 3],
    [7, 9],
    [2, 11],
    [6, 15],
    [1, 3],
    [5, 9],
    [0, 11],
    [4, 15],
  ]);
  buf[0] = ((buf[0] as number) + a) >>> 0;
  buf[1] = ((buf[1] as number) + b) >>> 0;
  buf[2] = ((buf[2] as number) + c) >>> 0;
  buf[3] = ((buf[3] as number) + d) >>> 0;
}

/** 16 rounds of TEA over the first two words of buf. */
function tea(buf: Uint32Array, inp: Uint32Array) {
  let sum = 0;
  let b0 = buf[0] as number;
  let b1 = buf[1] as number;
  const [a, b, c, d] = [inp[0] as number, inp[1] as number, inp[2] as number, inp[3] as number];
  for (let n = 0; n < 16; n++) {
    sum = (sum + 0x9e3779b9) >>> 0;
    b0 = (b0 + ((((b1 << 4) + a) >>> 0) ^ ((b1 + sum) >>> 0) ^ (((b1 >>> 5) + b) >>> 0))) >>> 0;
    b1 = (b1 + ((((b0 << 4) + c) >>> 0) ^ ((b0 + sum) >>> 0) ^ (((b0 >>> 5) + d) >>> 0))) >>> 0;
  }
  buf[0] = ((buf[0] as number) + b0) >>> 0;
  buf[1] = ((buf[1] as number) + b1) >>> 0;
}

/** The original ext3 "dx_hack" hash. */
function legacy(name: Uint8Array, signed: boolean): number {
  let hash0 = 0x12a3fe2d;
  let hash1 = 0x37abe8f9;
  for (let i = 0; i < name.length; i++) {
    let c = name[i] as number;
    if (signed && c >= 0x80) c -= 0x100;
    let h = (hash1 + ((hash0 ^ Math.imul(c, 7152373)) >>> 0)) >>> 0;
    if (h & 0x80000000) h = (h - 0x7fffffff) >>> 0;
    hash1 = hash0;
    hash0 = h;
  }
  return (hash0 << 1) >>> 0;
}

/** Work buffers of nameHash (no allocation per name). */
const scratch = { buf: new Uint32Array(4), inp: new Uint32Array(8) };

/** nameHash's last name (a copy), its parameters and its hash. */
const last: { name: Uint8Array; version: number; seed: Uint8Array | undefined; hash: number; minor: number } = {
  name: new Uint8Array(0),
  version: -1,
  seed: undefined,
  hash: 0,
  minor: 0,
};

function sameName(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The htree hash of a name. `version` is a `HASH` value; the unsigned variants (3–5) read name
 * bytes as unsigned chars. The low bit of the major hash is always clear (it marks collisions).
 */
export function nameHash(name: Uint8Array, version: number, seed?: Uint8Array): NameHash {
  // An insert hashes its name to look it up and again to place it: the second time is the last result.
  if (version === last.version && seed === last.seed && sameName(name, last.name)) {
    return { hash: last.hash, minor: last.minor };
  }
  const buf = scratch.buf;
  const inp = scratch.inp;
  seedWords(seed, buf);
  let hash: number;
  let minor = 0;
  switch (version) {
    case HASH.legacy:
    case HASH.legacy_unsigned:
      hash = legacy(name, version === HASH.legacy);
      break;
    case HASH.half_md4:
    case HASH.half_md4_unsigned:
      for (let p = 0, len = name.length; len > 0; p += 32, len -= 32) {
        str2hashbuf(name, p, len, 8, version === HASH.half_md4, inp);
        halfMd4(buf, inp);
      }
      hash = buf[1] as number;
      minor = buf[2] as number;
      break;
    case HASH.tea:
    case HASH.tea_unsigned:
      for (let p = 0, len = name.length; len > 0; p += 16, len -= 16) {
        str2hashbuf(name, p, len, 4, version === HASH.tea, inp);
        tea(buf, inp);
      }
      hash = buf[0] as number;
      minor = buf[1] as number;
      break;
    default:
      throw new UnsupportedError(`htree hash version ${version} is not supported`);
  }
  hash = (hash & ~1) >>> 0;
  if (hash === 0xfffffffe) hash = 0xfffffffc;
  Object.assign(last, { name: name.slice(), version, seed, hash, minor });
  return { hash, minor };
}

/** The hash version a filesystem uses for a dx_root's `hash_version` given its s_flags. */
export function effectiveHashVersion(rootVersion: number, unsignedFlag: boolean): number {
  return unsignedFlag && rootVersion <= HASH.tea ? rootVersion + 3 : rootVersion;
}
