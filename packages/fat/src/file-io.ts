/** File contents on an opened volume: streamed reads along the cluster chain, and streamed writes. */
import { type BlockDevice, CorruptError, FsError, isZero } from '@fstool/blockdev';
import type { ContentSource, Entry } from '@fstool/fs';
import type { Volume } from './boot.js';
import { clusterOffset, type DirItem } from './directory.js';
import type { FatTable, Run } from './fat-table.js';

const CHUNK = 1 << 20;

/** The runs holding a file's bytes, checked against its size. */
function fileRuns(vol: Volume, fat: FatTable, item: DirItem, path: string): Run[] {
  const need = Math.ceil(item.size / vol.clusterSize);
  if (need === 0) return [];
  if (item.cluster === 0) throw new CorruptError(`${path}: ${item.size} bytes but no first cluster`);
  const runs = fat.runs(item.cluster, path, need);
  const have = runs.reduce((n, r) => n + r.count, 0);
  if (have < need) throw new CorruptError(`${path}: ${item.size} bytes need ${need} clusters, the chain has ${have}`);
  return runs;
}

/** Device extents [offset, length] of `size` bytes along `runs`. */
function* extents(vol: Volume, runs: Run[], size: number): Generator<[number, number]> {
  let left = size;
  for (const r of runs) {
    if (left <= 0) return;
    const len = Math.min(left, r.count * vol.clusterSize);
    yield [clusterOffset(vol, r.cluster), len];
    left -= len;
  }
}

export async function* streamContent(
  dev: BlockDevice,
  vol: Volume,
  fat: FatTable,
  item: DirItem,
  path: string,
): AsyncIterable<Uint8Array> {
  for (const [off, len] of extents(vol, fileRuns(vol, fat, item, path), item.size)) {
    for (let done = 0; done < len; ) {
      const buf = new Uint8Array(Math.min(CHUNK, len - done));
      await dev.read(off + done, buf);
      done += buf.length;
      yield buf;
    }
  }
}

/** Random-access contents of a file (for `Entry.open()`); the chain is walked on first use. */
export function readContent(dev: BlockDevice, vol: Volume, fat: FatTable, item: DirItem, path: string): ContentSource {
  let runs: Run[] | undefined;
  /** Index of each run's first cluster within the file. */
  let starts: number[] = [];
  return {
    async read(offset, into) {
      if (!runs) {
        runs = fileRuns(vol, fat, item, path);
        let n = 0;
        starts = runs.map((r) => {
          const s = n;
          n += r.count;
          return s;
        });
      }
      const cs = vol.clusterSize;
      const want = Math.max(0, Math.min(into.length, item.size - offset));
      let done = 0;
      while (done < want) {
        const pos = offset + done;
        const fc = Math.floor(pos / cs);
        let lo = 0;
        let hi = runs.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if ((starts[mid] as number) <= fc) lo = mid;
          else hi = mid - 1;
        }
        const run = runs[lo] as Run;
        const runStart = (starts[lo] as number) * cs;
        const inRun = pos - runStart;
        const len = Math.min(want - done, run.count * cs - inRun);
        await dev.read(clusterOffset(vol, run.cluster) + inRun, into.subarray(done, done + len));
        done += len;
      }
      return done;
    },
    close: async () => {},
  };
}

/** Streams `entry`'s contents into `runs` (already allocated for its size), zero-padding the last cluster. */
export async function writeContent(
  dev: BlockDevice,
  vol: Volume,
  runs: Run[],
  entry: Entry,
  path: string,
): Promise<void> {
  if (!entry.open) throw new FsError('EIO', `${path}: file has no contents to read`);
  const src = entry.open();
  const buf = new Uint8Array(Math.min(CHUNK, entry.size));
  let pos = 0;
  try {
    for (const [off, len] of extents(vol, runs, entry.size)) {
      for (let done = 0; done < len; ) {
        const want = buf.subarray(0, Math.min(buf.length, len - done));
        let got = 0;
        while (got < want.length) {
          const into = want.subarray(got);
          const n = src.readSync ? src.readSync(pos + got, into) : await src.read(pos + got, into);
          if (n <= 0) throw new FsError('EIO', `${path}: source ended after ${pos + got} of ${entry.size} bytes`);
          got += n;
        }
        if (isZero(want)) await dev.zero(off + done, want.length);
        else await dev.write(off + done, want);
        done += want.length;
        pos += want.length;
      }
    }
  } finally {
    await src.close();
  }
  const slack = (vol.clusterSize - (entry.size % vol.clusterSize)) % vol.clusterSize;
  const last = runs[runs.length - 1];
  if (slack && last) await dev.zero(clusterOffset(vol, last.cluster + last.count) - slack, slack);
}
