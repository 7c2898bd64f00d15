/** The header summary `fstool info` prints (the fields `qemu-img info` shows), as plain JSON data. */
import type { BlockDevice } from '@fstool/blockdev';
import { Compatible, compressionName, featureName, Incompatible, type Qcow2Header } from './format/header.js';
import { type RefcountCodec, refcountCodec, reftableOffset } from './format/tables.js';
import { readPadded } from './io.js';

export interface Qcow2Info {
  format: 'qcow2';
  version: 2 | 3;
  virtualSize: number;
  clusterSize: number;
  /** Bytes of host clusters with a non-zero refcount. */
  allocatedBytes: number;
  /** Size of the container file. */
  fileSize: number;
  refcountBits: number;
  compressionType: string;
  snapshots: number;
  backingFile?: string;
  backingFormat?: string;
  features: { incompatible: string[]; compatible: string[]; autoclear: string[] };
  dirty: boolean;
  corrupt: boolean;
  lazyRefcounts: boolean;
}

export async function describeHeader(h: Qcow2Header, container: BlockDevice): Promise<Qcow2Info> {
  const cs = 2 ** h.clusterBits;
  const info: Qcow2Info = {
    format: 'qcow2',
    version: h.version,
    virtualSize: h.size,
    clusterSize: cs,
    allocatedBytes: (await countAllocated(h, container)) * cs,
    fileSize: container.size,
    refcountBits: 2 ** h.refcountOrder,
    compressionType: compressionName(h.compressionType),
    snapshots: h.nbSnapshots,
    features: {
      incompatible: h.incompatible.map((b) => featureName(0, b)),
      compatible: h.compatible.map((b) => featureName(1, b)),
      autoclear: h.autoclear.map((b) => featureName(2, b)),
    },
    dirty: h.incompatible.includes(Incompatible.dirty),
    corrupt: h.incompatible.includes(Incompatible.corrupt),
    lazyRefcounts: h.compatible.includes(Compatible.lazyRefcounts),
  };
  if (h.backingFile !== undefined) info.backingFile = h.backingFile;
  if (h.backingFormat !== undefined) info.backingFormat = h.backingFormat;
  return info;
}

/** Host clusters with a non-zero refcount, read block by block (one block in memory at a time). */
async function countAllocated(h: Qcow2Header, container: BlockDevice): Promise<number> {
  const cs = 2 ** h.clusterBits;
  const codec = refcountCodec(h.refcountOrder);
  const perBlock = (cs * 8) / codec.bits;
  const table = new Uint8Array(h.refcountTableClusters * cs);
  await readPadded(container, h.refcountTableOffset, table);
  const block = new Uint8Array(cs);
  const fileClusters = Math.ceil(container.size / cs);
  let n = 0;
  for (let i = 0; i < table.length / 8 && i * perBlock < fileClusters; i++) {
    const off = reftableOffset(table, i);
    if (off === 0 || off >= container.size) continue;
    await readPadded(container, off, block);
    n += countNonZero(block, codec);
  }
  return n;
}

/** The non-zero entries of a refcount block: byte-wide and wider ones by their bytes, no decoding. */
function countNonZero(block: Uint8Array, codec: RefcountCodec): number {
  const perBlock = (block.length * 8) / codec.bits;
  let n = 0;
  if (codec.bits < 8) {
    for (let k = 0; k < perBlock; k++) if (codec.get(block, k) !== 0) n++;
    return n;
  }
  const width = codec.bits / 8;
  for (let at = 0; at < block.length; at += width) {
    for (let b = at; b < at + width; b++) {
      if (block[b] !== 0) {
        n++;
        break;
      }
    }
  }
  return n;
}
