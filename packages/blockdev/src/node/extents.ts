/**
 * Where a host file holds data. Node has no lseek(SEEK_DATA/SEEK_HOLE) and no ioctl, so the
 * kernel's extent map (FIEMAP) is read through e2fsprogs' `filefrag -e`, which every Linux with
 * ext tools has. Delayed-allocation extents (data still only in the page cache, which ext4 and
 * XFS report and btrfs writes out first) and unwritten ones count as data: they may be.
 * Undefined when the map cannot be had (no filefrag, a filesystem without FIEMAP such as tmpfs,
 * not Linux): the caller then treats the whole file as data. The file's block count settles the
 * common extremes without running anything: a file with as many blocks as bytes is all data, and
 * one with none is all holes.
 */
import { execFile } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import type { DataRange } from '../device.js';

const CANDIDATES = ['/usr/sbin/filefrag', '/sbin/filefrag', '/usr/bin/filefrag'];
/** A map that takes longer than this is not worth waiting for: reading is then cheaper. */
const TIMEOUT_MS = 10_000;

let tool: string | null | undefined;

/**
 * Filesystems (statfs f_type) whose block count includes data still only in the page cache
 * (delayed allocation): ext2/3/4, XFS, btrfs, tmpfs. On them a file without blocks holds no data.
 */
const COUNTS_DELAYED = new Set([0xef53, 0x58465342, 0x9123683e, 0x01021994]);
/** Smaller files may keep their data inside the inode (ext4 inline data, btrfs inline extents): no blocks, yet data. */
const INLINE_MAX = 64 * 1024;

function filefrag(): string | undefined {
  if (tool === undefined) tool = process.platform === 'linux' ? (CANDIDATES.find((p) => existsSync(p)) ?? null) : null;
  return tool ?? undefined;
}

/** Parses `filefrag -e` output into merged byte ranges; undefined when it is not a full map. */
export function parseFilefrag(out: string): DataRange[] | undefined {
  const unit = /blocks of (\d+) bytes\)/.exec(out);
  if (!unit || !/: \d+ extents? found\s*$/.test(out)) return undefined;
  const bs = Number(unit[1]);
  const ranges: DataRange[] = [];
  for (const m of out.matchAll(/^\s*\d+:\s+(\d+)\.\.\s*(\d+):/gm)) {
    const from = Number(m[1]) * bs;
    const to = (Number(m[2]) + 1) * bs;
    const last = ranges[ranges.length - 1];
    if (last && last[1] >= from) last[1] = Math.max(last[1], to);
    else ranges.push([from, to]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  return ranges;
}

/** The data ranges of the file at `path`, whose stat is `st` (see above), or undefined. */
export async function fileExtents(
  path: string,
  st: { size: number; blocks: number },
): Promise<DataRange[] | undefined> {
  if (st.blocks * 512 >= st.size) return st.size > 0 ? [[0, st.size]] : [];
  if (st.blocks === 0 && st.size > INLINE_MAX && COUNTS_DELAYED.has(statfsSync(path).type)) return [];
  const bin = filefrag();
  if (!bin) return undefined;
  return new Promise((resolve) => {
    execFile(
      bin,
      ['-e', path],
      { timeout: TIMEOUT_MS, maxBuffer: 256 * 2 ** 20, env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout) => resolve(err ? undefined : parseFilefrag(stdout)),
    );
  });
}
