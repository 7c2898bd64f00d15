/**
 * The qcow2 header (QEMU docs/interop/qcow2.txt, "Header"), its extensions and the feature bits.
 * All fields are big-endian. Version 2 ends at byte 72; version 3 adds the fields up to 104 (112 with
 * the compression type byte and padding, which is what QEMU writes).
 */
import { CorruptError } from '@fstool/blockdev';
import { struct, u8, u32, u64 } from '@fstool/blockdev/struct';
import { NotQcow2Error, Qcow2UnsupportedError } from '../errors.js';

export const QCOW2_MAGIC = 0x514649fb; // 'QFI\xfb'
export const V2_HEADER_LENGTH = 72;
export const V3_HEADER_LENGTH = 112;
export const MIN_CLUSTER_BITS = 9;
export const MAX_CLUSTER_BITS = 21;
/** QEMU's own limits: larger tables are refused before anything is allocated. */
export const MAX_L1_BYTES = 32 * 1024 * 1024;
export const MAX_REFTABLE_BYTES = 8 * 1024 * 1024;
export const MAX_SNAPSHOTS = 65536;
export const MAX_BACKING_NAME = 1023;

/** Fields common to v2 and v3 (offsets from the spec's header table). */
export const headerV2 = struct.be('qcow2 header', V2_HEADER_LENGTH, {
  magic: u32(0),
  version: u32(4),
  backingFileOffset: u64(8),
  backingFileSize: u32(16),
  clusterBits: u32(20),
  size: u64(24),
  cryptMethod: u32(32),
  l1Size: u32(36),
  l1TableOffset: u64(40),
  refcountTableOffset: u64(48),
  refcountTableClusters: u32(56),
  nbSnapshots: u32(60),
  snapshotsOffset: u64(64),
});

/** Version 3 additions. Feature words are split in halves: unknown high bits must still be named. */
export const headerV3 = struct.be('qcow2 v3 header', V3_HEADER_LENGTH, {
  incompatibleHi: u32(72),
  incompatibleLo: u32(76),
  compatibleHi: u32(80),
  compatibleLo: u32(84),
  autoclearHi: u32(88),
  autoclearLo: u32(92),
  refcountOrder: u32(96),
  headerLength: u32(100),
  compressionType: u8(104),
});

/** A header extension's 8-byte prefix; its data follows, padded to a multiple of 8. */
export const extensionHeader = struct.be('qcow2 header extension', 8, { type: u32(0), length: u32(4) });

export const ExtensionType = {
  end: 0,
  backingFormat: 0xe2792aca,
  featureNames: 0x6803f857,
  bitmaps: 0x23852875,
  encryption: 0x0537be77,
  externalDataFile: 0x44415441,
} as const;

/** One 48-byte entry of the feature name table extension. */
export const featureNameEntry = struct.be('qcow2 feature name', 48, {
  kind: u8(0),
  bit: u8(1),
});
const FEATURE_NAME_OFFSET = 2;
const FEATURE_NAME_LENGTH = 46;

export const Incompatible = { dirty: 0, corrupt: 1, externalData: 2, compressionType: 3, extendedL2: 4 } as const;
export const Compatible = { lazyRefcounts: 0 } as const;
export const Autoclear = { bitmaps: 0, rawExternalData: 1 } as const;

/** The header's compression type byte (offset 104). */
export const CompressionType = { deflate: 0, zstd: 1 } as const;

export function compressionName(type: number): string {
  return type === CompressionType.deflate ? 'deflate' : type === CompressionType.zstd ? 'zstd' : `type ${type}`;
}

/** Names QEMU writes in its feature name table; also what `info()` reports. */
export const FEATURE_NAMES: ReadonlyArray<{ kind: 0 | 1 | 2; bit: number; name: string }> = [
  { kind: 0, bit: Incompatible.dirty, name: 'dirty bit' },
  { kind: 0, bit: Incompatible.corrupt, name: 'corrupt bit' },
  { kind: 0, bit: Incompatible.externalData, name: 'external data file' },
  { kind: 0, bit: Incompatible.compressionType, name: 'compression type' },
  { kind: 0, bit: Incompatible.extendedL2, name: 'extended L2 entries' },
  { kind: 1, bit: Compatible.lazyRefcounts, name: 'lazy refcounts' },
  { kind: 2, bit: Autoclear.bitmaps, name: 'bitmaps' },
  { kind: 2, bit: Autoclear.rawExternalData, name: 'raw external data' },
];

export interface Extension {
  type: number;
  data: Uint8Array;
}

export interface Qcow2Header {
  version: 2 | 3;
  backingFileOffset: number;
  backingFileSize: number;
  clusterBits: number;
  size: number;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: number;
  /** Set bit numbers (0..63) of each feature word. */
  incompatible: number[];
  compatible: number[];
  autoclear: number[];
  refcountOrder: number;
  headerLength: number;
  /** 0 = deflate, 1 = zstd. */
  compressionType: number;
  extensions: Extension[];
  backingFile: string | undefined;
  backingFormat: string | undefined;
}

function bitsOf(hi: number, lo: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < 32; b++) if ((lo >>> b) & 1) out.push(b);
  for (let b = 0; b < 32; b++) if ((hi >>> b) & 1) out.push(b + 32);
  return out;
}

function wordOf(bits: readonly number[]): { hi: number; lo: number } {
  let hi = 0;
  let lo = 0;
  for (const b of bits) {
    if (b < 32) lo = (lo | (1 << b)) >>> 0;
    else hi = (hi | (1 << (b - 32))) >>> 0;
  }
  return { hi, lo };
}

/** Human name of a feature bit, as in QEMU's table (unknown bits are named by number). */
export function featureName(kind: 0 | 1 | 2, bit: number): string {
  return FEATURE_NAMES.find((f) => f.kind === kind && f.bit === bit)?.name ?? `unknown bit ${bit}`;
}

const text = new TextDecoder();
const utf8 = new TextEncoder();

const magicField = struct.be('qcow2 magic', 4, { magic: u32(0) });

/** True when `buf` starts with the qcow2 magic. */
export function hasQcow2Magic(buf: Uint8Array): boolean {
  return buf.length >= 4 && magicField.get(buf, 0, 'magic') === QCOW2_MAGIC;
}

/**
 * Decodes and validates the header from the image's first bytes (`buf` holds at least the first
 * cluster, or the whole file when smaller). `fileSize` bounds every table the header points at, so
 * a hostile header cannot make a reader allocate more than the file could hold.
 */
export function decodeHeader(buf: Uint8Array, fileSize: number): Qcow2Header {
  if (!hasQcow2Magic(buf)) throw new NotQcow2Error('not a qcow2 image: the file does not start with QFI\\xfb');
  if (buf.length < V2_HEADER_LENGTH) {
    throw new CorruptError(`qcow2 header: the file is truncated (${buf.length} bytes, the header needs 72)`);
  }
  const v2 = headerV2.decode(buf, 0);
  if (v2.version !== 2 && v2.version !== 3) {
    throw new Qcow2UnsupportedError(`qcow2 version ${v2.version} is not supported (only 2 and 3)`);
  }
  const where = 'qcow2 header';
  if (v2.clusterBits < MIN_CLUSTER_BITS || v2.clusterBits > MAX_CLUSTER_BITS) {
    throw new CorruptError(
      `${where}: cluster_bits ${v2.clusterBits} is outside ${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS}`,
    );
  }
  const cs = 2 ** v2.clusterBits;
  let v3 = { incompatible: [] as number[], compatible: [] as number[], autoclear: [] as number[] };
  let refcountOrder = 4;
  let headerLength = V2_HEADER_LENGTH;
  let compressionType = 0;
  if (v2.version === 3) {
    if (buf.length < 104) throw new CorruptError(`${where}: file too short for a version 3 header`);
    const h = headerV3.decode(padTo(buf, V3_HEADER_LENGTH), 0);
    v3 = {
      incompatible: bitsOf(h.incompatibleHi, h.incompatibleLo),
      compatible: bitsOf(h.compatibleHi, h.compatibleLo),
      autoclear: bitsOf(h.autoclearHi, h.autoclearLo),
    };
    refcountOrder = h.refcountOrder;
    headerLength = h.headerLength;
    if (headerLength < 104 || headerLength > cs || headerLength > buf.length) {
      throw new CorruptError(`${where}: header_length ${headerLength} is invalid for ${cs}-byte clusters`);
    }
    if (headerLength > 104) compressionType = h.compressionType;
  }
  if (refcountOrder > 6) throw new CorruptError(`${where}: refcount_order ${refcountOrder} is larger than 6`);
  if (v2.cryptMethod !== 0) {
    throw new Qcow2UnsupportedError(`encrypted qcow2 images are not supported (crypt_method ${v2.cryptMethod})`);
  }
  const fileLimit = Math.ceil(fileSize / cs) * cs;
  // L1: large enough for the virtual size, no larger than QEMU allows, inside the file.
  const l2Entries = cs / 8;
  const needL1 = Math.ceil(v2.size / (cs * l2Entries));
  if (v2.l1Size * 8 > MAX_L1_BYTES) {
    throw new CorruptError(`${where}: l1_size ${v2.l1Size} exceeds the ${MAX_L1_BYTES}-byte L1 limit`);
  }
  if (v2.l1Size < needL1) {
    throw new CorruptError(`${where}: l1_size ${v2.l1Size} is too small for virtual size ${v2.size} (needs ${needL1})`);
  }
  checkTable(where, 'L1 table', v2.l1TableOffset, v2.l1Size * 8, cs, fileLimit);
  const reftableBytes = v2.refcountTableClusters * cs;
  if (v2.refcountTableClusters === 0 || reftableBytes > MAX_REFTABLE_BYTES) {
    throw new CorruptError(
      `${where}: refcount_table_clusters ${v2.refcountTableClusters} is outside 1..${MAX_REFTABLE_BYTES / cs}`,
    );
  }
  checkTable(where, 'refcount table', v2.refcountTableOffset, reftableBytes, cs, fileLimit);
  if (v2.nbSnapshots > MAX_SNAPSHOTS) {
    throw new CorruptError(`${where}: nb_snapshots ${v2.nbSnapshots} exceeds ${MAX_SNAPSHOTS}`);
  }
  if (v2.nbSnapshots > 0) checkTable(where, 'snapshot table', v2.snapshotsOffset, 40, cs, fileLimit);

  const cluster0 = buf.subarray(0, Math.min(cs, buf.length));
  const extensions = decodeExtensions(cluster0, headerLength);
  let backingFile: string | undefined;
  if (v2.backingFileOffset !== 0) {
    if (v2.backingFileSize > MAX_BACKING_NAME) {
      throw new CorruptError(`${where}: backing file name of ${v2.backingFileSize} bytes is longer than 1023`);
    }
    if (v2.backingFileOffset + v2.backingFileSize > cluster0.length) {
      throw new CorruptError(`${where}: backing file name at ${v2.backingFileOffset} is outside the first cluster`);
    }
    backingFile = text.decode(cluster0.subarray(v2.backingFileOffset, v2.backingFileOffset + v2.backingFileSize));
  }
  const fmt = extensions.find((e) => e.type === ExtensionType.backingFormat);
  return {
    ...v2,
    version: v2.version,
    ...v3,
    refcountOrder,
    headerLength,
    compressionType,
    extensions,
    backingFile,
    backingFormat: fmt ? text.decode(fmt.data) : undefined,
  };
}

function checkTable(where: string, what: string, offset: number, bytes: number, cs: number, fileLimit: number) {
  if (offset % cs !== 0) throw new CorruptError(`${where}: ${what} offset ${offset} is not cluster aligned`);
  if (offset === 0 && bytes > 0) throw new CorruptError(`${where}: ${what} overlaps the header at offset 0`);
  if (offset + bytes > fileLimit) {
    throw new CorruptError(`${where}: ${what} at ${offset} (${bytes} bytes) runs past the end of the file`);
  }
}

function padTo(buf: Uint8Array, n: number): Uint8Array {
  if (buf.length >= n) return buf;
  const out = new Uint8Array(n);
  out.set(buf);
  return out;
}

function decodeExtensions(cluster0: Uint8Array, start: number): Extension[] {
  const out: Extension[] = [];
  let at = start;
  while (at + 8 <= cluster0.length) {
    const { type, length } = extensionHeader.decode(cluster0, at);
    if (type === ExtensionType.end) return out;
    const end = at + 8 + length;
    if (end > cluster0.length) {
      throw new CorruptError(`qcow2 header extension 0x${type.toString(16)} at ${at} runs past the first cluster`);
    }
    out.push({ type, data: cluster0.slice(at + 8, end) });
    at = at + 8 + Math.ceil(length / 8) * 8;
  }
  throw new CorruptError('qcow2 header extensions have no end marker inside the first cluster');
}

/** The feature name table extension's data, as QEMU writes it. */
export function featureNameTable(): Uint8Array {
  const out = new Uint8Array(FEATURE_NAMES.length * featureNameEntry.size);
  FEATURE_NAMES.forEach((f, i) => {
    const at = i * featureNameEntry.size;
    featureNameEntry.encode({ kind: f.kind, bit: f.bit }, out, at);
    out.set(utf8.encode(f.name).subarray(0, FEATURE_NAME_LENGTH), at + FEATURE_NAME_OFFSET);
  });
  return out;
}

/**
 * Encodes a complete first cluster: header, extensions, end marker, then the backing file name.
 * `h.headerLength`, `h.backingFileOffset` and `h.backingFileSize` are computed here and set on `h`.
 */
export function encodeHeaderCluster(h: Qcow2Header): Uint8Array {
  const cs = 2 ** h.clusterBits;
  const out = new Uint8Array(cs);
  const headerLength = h.version === 3 ? V3_HEADER_LENGTH : V2_HEADER_LENGTH;
  let at = headerLength;
  for (const ext of h.extensions) {
    const padded = Math.ceil(ext.data.length / 8) * 8;
    if (at + 8 + padded + 8 > cs) throw new CorruptError('qcow2 header extensions do not fit in the first cluster');
    extensionHeader.encode({ type: ext.type, length: ext.data.length }, out, at);
    out.set(ext.data, at + 8);
    at += 8 + padded;
  }
  extensionHeader.encode({ type: ExtensionType.end, length: 0 }, out, at);
  at += 8;
  let backingFileOffset = 0;
  let backingFileSize = 0;
  if (h.backingFile !== undefined) {
    const name = utf8.encode(h.backingFile);
    if (name.length > MAX_BACKING_NAME || at + name.length > cs) {
      throw new CorruptError(`backing file name "${h.backingFile}" is too long for the qcow2 header`);
    }
    out.set(name, at);
    backingFileOffset = at;
    backingFileSize = name.length;
  }
  Object.assign(h, { headerLength, backingFileOffset, backingFileSize });
  encodeHeaderFields(h, out);
  return out;
}

/** Writes the fixed header fields (not the extensions) into `out`; returns the number of bytes used. */
export function encodeHeaderFields(h: Qcow2Header, out: Uint8Array): number {
  headerV2.encode({ ...h, magic: QCOW2_MAGIC }, out, 0);
  if (h.version === 2) return V2_HEADER_LENGTH;
  const inc = wordOf(h.incompatible);
  const com = wordOf(h.compatible);
  const auto = wordOf(h.autoclear);
  const v3 = {
    incompatibleHi: inc.hi,
    incompatibleLo: inc.lo,
    compatibleHi: com.hi,
    compatibleLo: com.lo,
    autoclearHi: auto.hi,
    autoclearLo: auto.lo,
    refcountOrder: h.refcountOrder,
    headerLength: h.headerLength,
  };
  if (h.headerLength > 104) {
    headerV3.encode({ ...v3, compressionType: h.compressionType }, out, 0);
  } else {
    headerV3.patch(v3, out, 0);
  }
  return h.headerLength;
}
