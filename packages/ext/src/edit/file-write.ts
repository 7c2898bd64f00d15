/**
 * Streaming a file's contents into newly allocated blocks, in bounded chunks. All-zero blocks are
 * left as holes. Nothing here links the blocks anywhere: until the caller writes the inode and
 * flushes the bitmaps the data only occupies blocks that are still free on disk.
 */
import { isZero } from '@fstool/blockdev';
import type { ContentSource } from '@fstool/fs';
import type { Run } from '../read/mapping.js';
import type { Volume } from '../read/volume.js';
import type { Allocator } from './alloc.js';
import { writeData } from './tx-device.js';

/** Blocks per chunk read from the source. */
const CHUNK_BLOCKS = 256;

/**
 * The chunk buffer of each volume's file writes, reused: a tree of small files would otherwise
 * allocate (and collect) one per file. A volume's edits run one at a time, and a chunk is handed
 * back only once the device has it (written, or copied into the data being gathered).
 */
const chunks = new WeakMap<Volume, Uint8Array>();

function chunkFor(vol: Volume, bytes: number): Uint8Array {
  const have = chunks.get(vol);
  if (have && have.length >= bytes) return have.subarray(0, bytes);
  const made = new Uint8Array(bytes);
  chunks.set(vol, made);
  return made;
}

/** Reads until `into` is full or the source ends; returns bytes read. */
async function readFull(src: ContentSource, offset: number, into: Uint8Array): Promise<number> {
  let done = 0;
  while (done < into.length) {
    const n = src.readSync
      ? src.readSync(offset + done, into.subarray(done))
      : await src.read(offset + done, into.subarray(done));
    if (n <= 0) break;
    done += n;
  }
  return done;
}

/**
 * Copies `size` bytes of `src` into blocks taken from `alloc` near `goal`; returns the data runs
 * (sorted by logical block). Bytes the source does not have read as zeros.
 */
export async function writeFileData(
  vol: Volume,
  alloc: Allocator,
  src: ContentSource,
  size: number,
  goal: number,
  taken: Array<{ start: number; len: number }>,
): Promise<Run[]> {
  const bs = vol.blockSize;
  const total = Math.ceil(size / bs);
  const runs: Run[] = [];
  const buf = chunkFor(vol, Math.min(total, CHUNK_BLOCKS) * bs);
  let next = goal;
  for (let first = 0; first < total; first += CHUNK_BLOCKS) {
    const count = Math.min(CHUNK_BLOCKS, total - first);
    const chunk = buf.subarray(0, count * bs);
    chunk.fill(0);
    await readFull(src, first * bs, chunk.subarray(0, Math.min(count * bs, size - first * bs)));
    // Consecutive non-zero blocks are written as one piece.
    let i = 0;
    while (i < count) {
      if (isZero(chunk.subarray(i * bs, (i + 1) * bs))) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < count && !isZero(chunk.subarray(j * bs, (j + 1) * bs))) j++;
      let off = i;
      for (const ext of await alloc.allocBlocks(j - i, next)) {
        taken.push(ext);
        await writeData(vol, ext.start, chunk.subarray(off * bs, (off + ext.len) * bs));
        const last = runs[runs.length - 1];
        const logical = first + off;
        if (last && last.logical + last.length === logical && last.physical + last.length === ext.start)
          last.length += ext.len;
        else runs.push({ logical, physical: ext.start, length: ext.len, unwritten: false });
        off += ext.len;
        next = ext.start + ext.len;
      }
      i = j;
    }
  }
  return runs;
}
