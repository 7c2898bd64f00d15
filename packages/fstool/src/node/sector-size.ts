import { readFileSync, statSync } from 'node:fs';

/**
 * The logical sector size a block device reports (Linux sysfs `queue/logical_block_size`, found
 * through its device number; a partition's is its disk's), or undefined for a file or elsewhere.
 */
export function blockDeviceSectorSize(path: string): number | undefined {
  try {
    const st = statSync(path);
    if (!st.isBlockDevice()) return undefined;
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & ~0xff);
    const base = `/sys/dev/block/${major}:${minor}`;
    for (const p of [`${base}/queue/logical_block_size`, `${base}/../queue/logical_block_size`]) {
      try {
        return Number.parseInt(readFileSync(p, 'utf8'), 10);
      } catch {}
    }
  } catch {}
  return undefined;
}
