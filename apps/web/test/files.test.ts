import { collectTree } from '@fstool/fs';
import { describe, expect, it } from 'vitest';
import { droppedTree } from '../src/files.js';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('droppedTree', () => {
  it('reads every file right across read batches (count and byte limits), big files by slices', async () => {
    // 700 small files cross the 256-file batches; the 200 KiB ones cross the 4 MiB batches.
    const sizes = Array.from({ length: 700 }, (_, i) => (i % 50 === 0 ? 200 * 1024 : (i * 7919) % 5000));
    const files = sizes.map((n, i) => ({ path: `d${i % 7}/f${i}`, file: new File([bytes(n, i)], `f${i}`) }));
    files.push({ path: 'big.bin', file: new File([bytes(1_000_000, 3)], 'big.bin') });
    const entries = await collectTree(droppedTree(files, ['empty']));
    expect(entries.find((e) => e.path === '/empty')?.kind).toBe('dir');
    // Read in reverse tree order too, so batches are reloaded rather than streamed.
    const fileEntries = entries.filter((e) => e.kind === 'file');
    for (const e of [...fileEntries, ...fileEntries.reverse()]) {
      const want = files.find((f) => `/${f.path}` === e.path)!.file;
      const src = e.open!();
      const got = new Uint8Array(e.size);
      let at = 0;
      while (at < got.length) at += await src.read(at, got.subarray(at, Math.min(got.length, at + 65536)));
      expect(Buffer.compare(got, new Uint8Array(await want.arrayBuffer())), e.path).toBe(0);
    }
  });

  it('gives dropped files 0644, folders 0755, root owners, and folders the newest file time', async () => {
    const file = new File(['x'], 'x', { lastModified: 1_700_000_000_500 });
    const entries = await collectTree(droppedTree([{ path: 'a/x', file }]));
    expect(entries.map((e) => [e.path, e.kind, e.mode, e.uid, e.gid, e.mtime])).toEqual([
      ['/', 'dir', 0o755, 0, 0, 1_700_000_000],
      ['/a', 'dir', 0o755, 0, 0, 1_700_000_000],
      ['/a/x', 'file', 0o644, 0, 0, 1_700_000_000],
    ]);
  });
});
