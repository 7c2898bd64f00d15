/**
 * File contents: inline data, and block-mapped files read in bounded chunks with holes and
 * unwritten extents as zeros. Used by `read()` streams and by `Entry.open()` sources.
 */
import { CorruptError } from '@fstool/blockdev';
import type { ContentSource } from '@fstool/fs';
import { isInline } from './dir.js';
import type { Inode } from './inode.js';
import { fileMap, type Run, runFrom } from './mapping.js';
import type { Volume } from './volume.js';
import { ibodyXattrs } from './xattr.js';

/** Bytes per chunk of a streamed read. */
const CHUNK = 1024 * 1024;

/** Full contents of an inline-data inode: i_block, then the `system.data` value. */
export function inlineData(vol: Volume, inode: Inode): Uint8Array {
  const size = inode.base.i_size;
  const head = inode.raw.subarray(0x28, 0x28 + Math.min(60, size));
  const rest = size > 60 ? (ibodyXattrs(vol, inode).get('system.data') ?? new Uint8Array(0)) : new Uint8Array(0);
  if (head.length + rest.length < size) {
    throw new CorruptError(`ext: inode ${inode.ino}: inline data holds ${head.length + rest.length} of ${size} bytes`);
  }
  const out = new Uint8Array(size);
  out.set(head);
  out.set(rest.subarray(0, size - head.length), head.length);
  return out;
}

/** Random-access reader over one inode's contents. */
export class FileReader {
  private runs: Run[] | undefined;
  private inline: Uint8Array | undefined;

  constructor(
    private readonly vol: Volume,
    private readonly inode: Inode,
  ) {}

  get size(): number {
    return this.inode.base.i_size;
  }

  /** Fills `into` from `offset` (clamped to the file size); returns the bytes read. */
  async read(offset: number, into: Uint8Array): Promise<number> {
    const n = Math.max(0, Math.min(into.length, this.size - offset));
    if (n === 0) return 0;
    if (isInline(this.inode)) {
      this.inline ??= inlineData(this.vol, this.inode);
      into.set(this.inline.subarray(offset, offset + n));
      return n;
    }
    this.runs ??= (await fileMap(this.vol, this.inode)).runs;
    const bs = this.vol.blockSize;
    const out = into.subarray(0, n);
    out.fill(0);
    let pos = offset;
    const end = offset + n;
    while (pos < end) {
      const lb = Math.floor(pos / bs);
      const r = this.runs[runFrom(this.runs, lb)];
      if (!r) break;
      if (r.logical > lb) {
        // A hole up to the next run.
        pos = Math.min(end, r.logical * bs);
        continue;
      }
      const runEnd = Math.min(end, (r.logical + r.length) * bs);
      if (!r.unwritten) await this.readSpan(r, pos, runEnd, out.subarray(pos - offset, runEnd - offset));
      pos = runEnd;
    }
    return n;
  }

  /** Reads bytes [from, to) of the file that lie inside run `r` into `dst`. */
  private async readSpan(r: Run, from: number, to: number, dst: Uint8Array): Promise<void> {
    const bs = this.vol.blockSize;
    const firstBlock = Math.floor(from / bs);
    const lastBlock = Math.ceil(to / bs);
    const phys = r.physical + (firstBlock - r.logical);
    const skip = from - firstBlock * bs;
    if (skip === 0 && (to - from) % bs === 0) {
      await this.vol.readBlocks(phys, dst);
      return;
    }
    const tmp = new Uint8Array((lastBlock - firstBlock) * bs);
    await this.vol.readBlocks(phys, tmp);
    dst.set(tmp.subarray(skip, skip + (to - from)));
  }

  async *chunks(): AsyncGenerator<Uint8Array> {
    for (let pos = 0; pos < this.size; ) {
      const buf = new Uint8Array(Math.min(CHUNK, this.size - pos));
      const n = await this.read(pos, buf);
      if (n === 0) break;
      yield buf.subarray(0, n);
      pos += n;
    }
  }

  /** Holes as [offset, length] (unmapped and unwritten ranges), so copies can skip them. */
  async holes(): Promise<Array<[number, number]>> {
    if (isInline(this.inode)) return [];
    this.runs ??= (await fileMap(this.vol, this.inode)).runs;
    const bs = this.vol.blockSize;
    const out: Array<[number, number]> = [];
    let pos = 0;
    for (const r of this.runs) {
      if (r.unwritten) continue;
      const start = Math.min(this.size, r.logical * bs);
      if (start > pos) out.push([pos, start - pos]);
      pos = Math.max(pos, Math.min(this.size, (r.logical + r.length) * bs));
    }
    if (pos < this.size) out.push([pos, this.size - pos]);
    return out;
  }

  source(): ContentSource {
    return { read: (o, i) => this.read(o, i), holes: () => this.holes(), close: async () => {} };
  }
}
