/**
 * Guards against hostile images found by the fuzzer: each builds a real image with mke2fs, breaks
 * one structure with debugfs or a byte patch, and checks the reader answers with a CorruptError
 * naming it (instead of a hang or an allocation as large as the lie).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CorruptError, MemoryDevice } from '@fstool/blockdev';
import { haveTools, mustRun, tempDir } from '@fstool/testkit';
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
});
