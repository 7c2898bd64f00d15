import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { hostEntry } from '../src/node.js';

const MiB = 2 ** 20;

/** A sparse file of `size` bytes with `data` written at the given offsets. */
function sparseFile(path: string, size: number, data: Array<[number, string]>): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  for (const [off, s] of data) writeSync(fd, s, off);
  closeSync(fd);
}

async function holesOf(path: string): Promise<Array<[number, number]>> {
  const src = hostEntry(path, { xattrs: 'none' }).open!();
  try {
    return (await src.holes?.()) ?? [];
  } finally {
    await src.close();
  }
}

// Sizes that are not multiples of the block or chunk size, data inside and across the scan's
// 8 MiB chunks and in a partial last block; on disk (O_DIRECT reads) and on tmpfs when there.
const disk = tempDir('fstool-holes-');
const dirs = [disk.path, ...(existsSync('/dev/shm') ? [mkdtempSync('/dev/shm/fstool-holes-')] : [])];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.each(dirs)('hole scan in %s', (dir) => {
  it('finds holes around data islands, with an odd size', async () => {
    const size = 10 * MiB + 123;
    const p = join(dir, 'odd');
    sparseFile(p, size, [
      [5 * MiB + 7, 'mid'],
      [10 * MiB + 100, 'tail'],
    ]);
    expect(await holesOf(p)).toEqual([
      [0, 5 * MiB],
      [5 * MiB + 4096, 5 * MiB - 4096],
    ]);
  });

  it('counts a zero tail shorter than a block as a hole', async () => {
    const size = 20 * MiB + 3 * 4096 + 5;
    const p = join(dir, 'head');
    sparseFile(p, size, [
      [0, 'x'],
      [9 * MiB, 'y'],
    ]);
    expect(await holesOf(p)).toEqual([
      [4096, 9 * MiB - 4096],
      [9 * MiB + 4096, size - 9 * MiB - 4096],
    ]);
  });
});
