/**
 * Guards against hostile images found by the fuzzer: each builds a real image with mke2fs, breaks
 * one structure with debugfs or a byte patch, and checks the reader answers with a CorruptError
 * naming it (instead of a hang or an allocation as large as the lie).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CorruptError, MemoryDevice } from '@fstool/blockdev';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { openExt } from '../src/read/index.js';

const tmp = tempDir('ext-guards-');
afterAll(() => tmp.cleanup());

/** An image of `kb` 1 KiB blocks made by mke2fs from `files`, then changed by debugfs `-w` requests. */
function image(name: string, type: string, kb: number, files: Record<string, Uint8Array>, requests: string[]): string {
  const src = tmp.join(`${name}-tree`);
  mkdirSync(src, { recursive: true });
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(src, path)), { recursive: true });
    writeFileSync(join(src, path), data);
  }
  const img = tmp.join(`${name}.img`);
  mustRun('mke2fs', ['-q', '-F', '-t', type, '-b', '1024', '-d', src, img, String(kb)]);
  for (const r of requests) mustRun('debugfs', ['-w', '-R', r, img]);
  return img;
}

const open = (img: string) => openExt(new MemoryDevice(new Uint8Array(readFileSync(img))), { writable: false });

describe.skipIf(!haveTools('mke2fs', 'debugfs'))('reader guards against hostile images', () => {
  it('a directory entry pointing at an ancestor is a loop, not an endless path', async () => {
    const img = image('loop', 'ext2', 2048, { 'a/b/f': new Uint8Array(10) }, [
      'link /a /a/b/up',
      'symlink /a/b/abs /a',
      'symlink /a/b/rel ../..',
    ]);
    const fs = await open(img);
    expect((await fs.list('/a/b')).map((e) => e.path)).toEqual(['/a/b/abs', '/a/b/f', '/a/b/rel', '/a/b/up']);
    await expect(fs.stat('/a/b/up')).rejects.toThrow(CorruptError);
    await expect(fs.list('/a/b/up/b')).rejects.toThrow(/directory loop: \/a\/b\/up is directory inode \d+/);
    // Symlinks back up the tree are not loops: the walk restarts from their target.
    expect((await fs.list('/a/b/abs/b/abs/b')).length).toBe(4);
    expect((await fs.list('/a/b/rel/a/b/rel/a/b')).length).toBe(4);
  });

  it('indirect blocks repeating one pointer cannot map more blocks than the filesystem has', async () => {
    // 'ptrs' holds four blocks of pointers to block 100 and a fifth listing three of them: made the
    // victim's indirect and double indirect blocks, it maps 12 + 4 × 256 blocks of a 1024-block fs.
    const ptrs = new Uint8Array(5 * 1024);
    ptrs.fill(1, 4 * 1024); // not a hole: mke2fs -d leaves zero blocks unallocated
    for (let i = 0; i < 4 * 256; i++) new DataView(ptrs.buffer).setUint32(i * 4, 100, true);
    const img = image('repeat', 'ext2', 1024, { victim: new Uint8Array(12 * 1024).fill(7), ptrs }, []);
    const p = mustRun('debugfs', ['-R', 'blocks /ptrs', img]).trim().split(/\s+/).map(Number);
    const bytes = readFileSync(img);
    bytes.fill(0, (p[4] as number) * 1024, (p[4] as number) * 1024 + 1024);
    for (let i = 1; i <= 3; i++) bytes.writeUInt32LE(p[i] as number, (p[4] as number) * 1024 + (i - 1) * 4);
    writeFileSync(img, bytes);
    mustRun('debugfs', ['-w', '-R', `sif /victim block[IND] ${p[0]}`, img]);
    mustRun('debugfs', ['-w', '-R', `sif /victim block[DIND] ${p[4]}`, img]);
    const fs = await open(img);
    const read = async () => {
      for await (const _ of fs.read('/victim'));
    };
    await expect(read()).rejects.toThrow(/inode \d+ maps more than the filesystem's 1024 blocks/);
    expect((await fs.stat('/ptrs')).size).toBe(5 * 1024);
  });

  it('extents mapping the same blocks again cannot map more blocks than the filesystem has', async () => {
    // i_block rewritten (debugfs keeps the inode checksum right): two extents of 1000 blocks,
    // both at block 10, in a 1024-block filesystem.
    const words = [0xf30a + 2 * 65536, 4, 0, 0, 1000, 10, 1000, 1000, 10];
    const img = image(
      'extents',
      'ext4',
      1024,
      { f: new Uint8Array(4096).fill(3) },
      words.map((w, i) => `sif /f block[${i}] ${w}`),
    );
    const fs = await open(img);
    const read = async () => {
      for await (const _ of fs.read('/f'));
    };
    await expect(read()).rejects.toThrow(/inode \d+ maps more than the filesystem's 1024 blocks/);
  });
});
