import { describe, expect, it } from 'vitest';
import {
  collectTree,
  type Entry,
  type FileSystem,
  fileSystemTree,
  NotFoundError,
  streamSource,
  treeFromEntries,
} from '../src/index.js';

const CHUNK = 1000;

/** A read-only FileSystem over entries with generated contents, counting bytes handed out. */
function fakeFs(entries: Entry[], contents: Map<string, number>) {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const stats = { chunks: 0, streams: 0 };
  const strip = (e: Entry): Entry => {
    const { open: _o, ...rest } = e;
    return rest;
  };
  const fs: FileSystem = {
    type: 'fake',
    writable: false,
    warnings: [],
    info: async () => ({ type: 'fake', size: 0 }),
    async stat(path) {
      const e = byPath.get(path);
      if (!e) throw new NotFoundError(path);
      return strip(e);
    },
    // Children in reverse order and with bare names: the adapter must not rely on either.
    async list(path) {
      const prefix = path === '/' ? '/' : `${path}/`;
      return entries
        .filter((e) => e.path !== '/' && e.path.startsWith(prefix) && !e.path.slice(prefix.length).includes('/'))
        .map((e) => ({ ...strip(e), path: e.path.slice(prefix.length) }))
        .reverse();
    },
    async *read(path) {
      stats.streams++;
      const size = contents.get(path) ?? 0;
      for (let off = 0; off < size; off += CHUNK) {
        stats.chunks++;
        const n = Math.min(CHUNK, size - off);
        yield Uint8Array.from({ length: n }, (_, i) => (off + i) % 251);
      }
    },
    add: async () => {},
    remove: async () => {},
    close: async () => {},
  };
  return { fs, stats };
}

const d = (path: string): Entry => ({ path, kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1, size: 0 });
const f = (path: string, size: number, extra: Partial<Entry> = {}): Entry => ({
  path,
  kind: 'file',
  mode: 0o644,
  uid: 1,
  gid: 2,
  mtime: 3,
  size,
  ...extra,
});

describe('fileSystemTree', () => {
  it('walks an opened filesystem in tree order with metadata and hard links', async () => {
    const entries = [
      d('/'),
      d('/b'),
      f('/b/2', 10, { linkId: '12' }),
      f('/b/1', 10),
      d('/a'),
      d('/a/deep'),
      f('/a/deep/x', 0),
      f('/c', 10, { linkId: '12' }),
    ];
    const { fs } = fakeFs(entries, new Map());
    const out = await collectTree(fileSystemTree(fs));
    expect(out.map((e) => e.path)).toEqual(['/', '/a', '/a/deep', '/a/deep/x', '/b', '/b/1', '/b/2', '/c']);
    expect(out.map((e) => e.linkId).filter(Boolean)).toEqual(['12', '12']);
    expect(out[5]).toMatchObject({ uid: 1, gid: 2, mtime: 3, size: 10 });
    expect(out.filter((e) => e.open).map((e) => e.path)).toEqual(['/a/deep/x', '/b/1', '/b/2', '/c']);
  });

  it('visits each directory once by ino: a second name of a directory is left out with a warning', async () => {
    const entries = [
      { ...d('/'), ino: 2 },
      { ...d('/a'), ino: 5 },
      f('/a/x', 0),
      { ...d('/b'), ino: 5 },
      f('/b/x', 0),
      { ...d('/c'), ino: 2 },
    ];
    const warnings: string[] = [];
    const { fs } = fakeFs(entries, new Map());
    const out = await collectTree(fileSystemTree(fs, { onWarning: (m) => warnings.push(m) }));
    expect(out.map((e) => e.path)).toEqual(['/', '/a', '/a/x']);
    expect(warnings).toEqual([
      '/b: a second name of a directory already copied (a directory hard link); left out',
      '/c: a second name of a directory already copied (a directory hard link); left out',
    ]);
  });

  it('streams contents a chunk at a time, restarting only for backward reads', async () => {
    const size = 10 * CHUNK + 17;
    const { fs, stats } = fakeFs([d('/'), f('/big', size)], new Map([['/big', size]]));
    const [, big] = await collectTree(fileSystemTree(fs));
    const src = big!.open!();
    const buf = new Uint8Array(1500);
    let total = 0;
    for (let off = 0; ; off += buf.length) {
      const n = await src.read(off, buf);
      for (let i = 0; i < n; i++) expect(buf[i]).toBe((off + i) % 251);
      total += n;
      if (n < buf.length) break;
    }
    expect(total).toBe(size);
    expect(stats).toEqual({ chunks: 11, streams: 1 });
    // Forward skip within the stream, then a backward read restarts it.
    expect(await src.read(5, buf.subarray(0, 3))).toBe(3);
    expect([...buf.subarray(0, 3)]).toEqual([5, 6, 7]);
    expect(stats.streams).toBe(2);
    expect(await src.read(9_999, buf.subarray(0, 2))).toBe(2);
    expect([...buf.subarray(0, 2)]).toEqual([9_999 % 251, 10_000 % 251]);
    expect(stats.streams).toBe(2);
    await src.close();
  });

  it('round-trips a memory tree through streamSource', async () => {
    const tree = treeFromEntries([f('/x', 0)]);
    const [, x] = await collectTree(tree);
    expect(x?.path).toBe('/x');
    const empty = streamSource(async function* () {});
    expect(await empty.read(0, new Uint8Array(4))).toBe(0);
    await empty.close();
  });
});
