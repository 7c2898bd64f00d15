import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { FsError } from '@fstool/blockdev';
import { mustRun, snapshotTree, tempDir } from '@fstool/testkit/node';
import { setAttributeSync } from '@napi-rs/xattr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectTree,
  compareNames,
  decodeName,
  type Entry,
  encodeName,
  escapeName,
  NotDirectoryError,
  NotFoundError,
  reproducible,
} from '../src/index.js';
import { hostEntry, scanDirectory } from '../src/node.js';

const isRoot = process.getuid?.() === 0;
const tmp = tempDir('fstool-scan-');
let server: Server | undefined;

/** Names created in a scrambled order; the scan must come out in UTF-8 byte order anyway. */
const NAMES = ['zeta', 'B', 'a', '\u{1F600}', '\uFF5E', 'é', 'a-b', 'a.b', '_', '0'];
const MB = 1024 * 1024;

function build(root: string, names: string[]) {
  mkdirSync(root);
  for (const n of names) writeFileSync(`${root}/${n}`, n);
}

beforeAll(async () => {
  const r = tmp.join('tree');
  mkdirSync(r);
  build(`${r}/order`, NAMES);
  writeFileSync(`${r}/suid`, '#!/bin/sh\n');
  chmodSync(`${r}/suid`, 0o4755);
  mkdirSync(`${r}/sticky`);
  chmodSync(`${r}/sticky`, 0o1777);
  mkdirSync(`${r}/sgid`);
  chmodSync(`${r}/sgid`, 0o2750);
  writeFileSync(`${r}/owned`, 'x');
  if (isRoot) chownSync(`${r}/owned`, 70000, 80000);
  symlinkSync('order/a', `${r}/link`);
  symlinkSync('../nowhere/at/all', `${r}/dangling`);
  mkdirSync(`${r}/links/one`, { recursive: true });
  mkdirSync(`${r}/links/two`);
  writeFileSync(`${r}/links/two/h`, 'shared');
  linkSync(`${r}/links/two/h`, `${r}/links/one/h`);
  linkSync(`${r}/links/two/h`, `${r}/links/z`);
  // Sparse: 10 MiB with data at 0, at 5 MiB and in the last bytes.
  writeFileSync(`${r}/sparse`, '');
  mustRun('truncate', ['-s', `${10 * MB}`, `${r}/sparse`]);
  mustRun('dd', [`of=${r}/sparse`, 'bs=1', 'seek=0', 'conv=notrunc', 'status=none'], { input: 'head' });
  mustRun('dd', [`of=${r}/sparse`, 'bs=1', `seek=${5 * MB + 100}`, 'conv=notrunc', 'status=none'], { input: 'mid' });
  mustRun('dd', [`of=${r}/sparse`, 'bs=1', `seek=${10 * MB - 3}`, 'conv=notrunc', 'status=none'], { input: 'end' });
  mustRun('touch', ['-h', '-d', '2021-03-04 05:06:07.123456789', `${r}/order/a`]);
  mustRun('touch', ['-h', '-d', '1960-01-01 00:00:00.5', `${r}/order/B`]);
  mustRun('touch', ['-h', '-d', '2100-01-01 00:00:00.000000001', `${r}/order/zeta`]);
  mkdirSync(`${r}/nodes`);
  mustRun('mkfifo', [`${r}/nodes/fifo`]);
  if (isRoot) {
    mustRun('mknod', [`${r}/nodes/null`, 'c', '1', '3']);
    mustRun('mknod', [`${r}/nodes/disk`, 'b', '8', '17']);
    mustRun('mknod', [`${r}/nodes/big`, 'b', '300', '70000']);
  }
  server = createServer();
  await new Promise<void>((res) => server!.listen(`${r}/nodes/sock`, res));
  setAttributeSync(`${r}/order/a`, 'user.comment', 'hello');
  setAttributeSync(`${r}/sticky`, 'user.b', new Uint8Array([0, 1, 2]));
  setAttributeSync(`${r}/sticky`, 'user.a', '');
  if (isRoot) setAttributeSync(`${r}/order/a`, 'trusted.t', 'secret');
});

afterAll(async () => {
  await new Promise((res) => (server ? server.close(res) : res(undefined)));
  tmp.cleanup();
});

const byPath = (es: Entry[]) => new Map(es.map((e) => [e.path, e]));

describe('scanDirectory', () => {
  it('walks in tree order with every kind, whatever the creation order', async () => {
    const es = await collectTree(scanDirectory(tmp.join('tree')));
    const paths = es.map((e) => e.path);
    expect(paths[0]).toBe('/');
    // Parents before children, siblings in UTF-8 byte order.
    const order = paths.filter((p) => p.startsWith('/order/')).map((p) => p.slice(7));
    expect(order).toEqual([...NAMES].sort(compareNames));
    expect(order.slice(-3)).toEqual(['é', '\uFF5E', '\u{1F600}']);
    const seen = new Set<string>();
    for (const p of paths) {
      if (p !== '/') expect(seen.has(p.slice(0, p.lastIndexOf('/')) || '/'), p).toBe(true);
      seen.add(p);
    }
    const m = byPath(es);
    expect(m.get('/order')?.kind).toBe('dir');
    expect(m.get('/order/a')?.kind).toBe('file');
    expect(m.get('/link')).toMatchObject({ kind: 'symlink', target: 'order/a', size: 7 });
    expect(m.get('/dangling')).toMatchObject({ kind: 'symlink', target: '../nowhere/at/all' });
    expect(m.get('/nodes/fifo')?.kind).toBe('fifo');
    expect(m.get('/nodes/sock')?.kind).toBe('socket');
    expect(m.get('/order')?.size).toBe(0);

    // Same names created in reverse order give the same sequence.
    build(tmp.join('reversed'), [...NAMES].reverse());
    const again = (await collectTree(scanDirectory(tmp.join('reversed')))).map((e) => e.path);
    expect(again.slice(1)).toEqual(order.map((n) => `/${n}`));
  });

  it('keeps modes, owners and nanosecond times as lstat reports them', async () => {
    const es = await collectTree(scanDirectory(tmp.join('tree'), { xattrs: 'none' }));
    const m = byPath(es);
    expect(m.get('/suid')?.mode).toBe(0o4755);
    expect(m.get('/sticky')?.mode).toBe(0o1777);
    expect(m.get('/sgid')?.mode).toBe(0o2750);
    if (isRoot) expect(m.get('/owned')).toMatchObject({ uid: 70000, gid: 80000 });
    expect(m.get('/order/a')).toMatchObject({ mtime: 1614834367, mtimeNsec: 123456789 });
    expect(m.get('/order/B')).toMatchObject({ mtime: -315619200, mtimeNsec: 500000000 });
    expect(m.get('/order/zeta')).toMatchObject({ mtime: 4102444800, mtimeNsec: 1 });
    // Before anything reads the files (which would move atimes).
    for (const e of es) {
      const st = lstatSync(tmp.join('tree', e.path), { bigint: true });
      expect(BigInt(e.ctime!) * 1_000_000_000n + BigInt(e.ctimeNsec!), e.path).toBe(st.ctimeNs);
      expect(BigInt(e.atime!) * 1_000_000_000n + BigInt(e.atimeNsec!), e.path).toBe(st.atimeNs);
    }
    // Against the testkit's independent snapshot (mode, owner, mtime, size, link target).
    for (const r of snapshotTree(tmp.join('tree'), { xattrs: false })) {
      const e = m.get(r.path);
      expect(e, r.path).toBeDefined();
      const ns = BigInt(e!.mtime) * 1_000_000_000n + BigInt(e!.mtimeNsec ?? 0);
      expect({ kind: e!.kind, mode: e!.mode, uid: e!.uid, gid: e!.gid, ns, size: e!.size, target: e!.target }).toEqual({
        kind: r.kind,
        mode: r.mode,
        uid: r.uid,
        gid: r.gid,
        ns: r.mtimeNs,
        size: r.kind === 'symlink' ? Buffer.byteLength(r.target!) : r.size,
        target: r.target,
      });
    }
    expect(m.get('/order/a')?.xattrs).toBeUndefined();
  });

  it.skipIf(!isRoot)('reads device numbers, including majors > 255 and minors > 255', async () => {
    const m = byPath(await collectTree(scanDirectory(tmp.join('tree'))));
    expect(m.get('/nodes/null')).toMatchObject({ kind: 'char', rdev: { major: 1, minor: 3 } });
    expect(m.get('/nodes/disk')).toMatchObject({ kind: 'block', rdev: { major: 8, minor: 17 } });
    expect(m.get('/nodes/big')).toMatchObject({ kind: 'block', rdev: { major: 300, minor: 70000 } });
  });

  it('groups hard links; the group is named by its first path in tree order', async () => {
    const m = byPath(await collectTree(scanDirectory(tmp.join('tree'))));
    const ids = ['/links/one/h', '/links/two/h', '/links/z'].map((p) => m.get(p)?.linkId);
    expect(ids).toEqual(['/links/one/h', '/links/one/h', '/links/one/h']);
    expect(m.get('/links/z')?.nlink).toBe(3);
    expect(m.get('/order/a')?.linkId).toBeUndefined();
    expect(m.get('/links')?.linkId).toBeUndefined();
  });

  it('applies the xattr policy: user, trusted and security by default, user, all, none', async () => {
    const byDefault = byPath(await collectTree(scanDirectory(tmp.join('tree'))));
    const comment: [string, Uint8Array] = ['user.comment', new Uint8Array(Buffer.from('hello'))];
    const trusted: [string, Uint8Array] = ['trusted.t', new Uint8Array(Buffer.from('secret'))];
    expect([...(byDefault.get('/order/a')?.xattrs ?? [])]).toEqual(isRoot ? [trusted, comment] : [comment]);
    const user = byPath(await collectTree(scanDirectory(tmp.join('tree'), { xattrs: 'user' })));
    expect([...(user.get('/order/a')?.xattrs ?? [])]).toEqual([comment]);
    // Sorted by name; empty values kept.
    expect([...(user.get('/sticky')?.xattrs?.keys() ?? [])]).toEqual(['user.a', 'user.b']);
    expect(user.get('/sticky')?.xattrs?.get('user.b')).toEqual(new Uint8Array([0, 1, 2]));
    expect(user.get('/sticky')?.xattrs?.get('user.a')).toEqual(new Uint8Array(0));
    const all = byPath(await collectTree(scanDirectory(tmp.join('tree'), { xattrs: 'all' })));
    if (isRoot) expect(all.get('/order/a')?.xattrs?.get('trusted.t')).toEqual(new Uint8Array(Buffer.from('secret')));
    const none = byPath(await collectTree(scanDirectory(tmp.join('tree'), { xattrs: 'none' })));
    expect(none.get('/sticky')?.xattrs).toBeUndefined();
  });

  it('reads contents lazily, with holes of a sparse file', async () => {
    const m = byPath(await collectTree(scanDirectory(tmp.join('tree'))));
    const sparse = m.get('/sparse')!;
    expect(sparse.size).toBe(10 * MB);
    const src = sparse.open!();
    const holes = await src.holes!();
    expect(holes).toEqual([
      [4096, 5 * MB - 4096],
      [5 * MB + 4096, 5 * MB - 8192],
    ]);
    const buf = new Uint8Array(3);
    expect(src.readSync!(5 * MB + 100, buf)).toBe(3);
    expect(Buffer.from(buf).toString()).toBe('mid');
    expect(await src.read(10 * MB - 3, new Uint8Array(10))).toBe(3);
    await src.close();
    await src.close();
    // A dense file reports no holes without reading anything.
    const dense = m.get('/order/a')!.open!();
    expect(await dense.holes!()).toEqual([]);
    const all = new Uint8Array(10);
    expect(dense.readSync!(0, all)).toBe(1);
    await dense.close();
  });

  it('names the path of a vanished entry or file', async () => {
    const dir = tmp.join('vanish');
    build(dir, ['a', 'b', 'c']);
    const it = scanDirectory(dir).entries()[Symbol.asyncIterator]();
    expect((await it.next()).value?.path).toBe('/');
    expect((await it.next()).value?.path).toBe('/a');
    rmSync(`${dir}/b`);
    const err = await it.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain(`${dir}/b`);

    const c = (await collectTree(scanDirectory(dir))).find((e) => e.path === '/c');
    rmSync(`${dir}/c`);
    const src = c!.open!();
    expect(() => src.readSync!(0, new Uint8Array(1))).toThrow(`${dir}/c`);
    // Any other failure is an FsError with the errno code, naming the path.
    const a = (await collectTree(scanDirectory(dir))).find((e) => e.path === '/a')!;
    rmSync(`${dir}/a`);
    mkdirSync(`${dir}/a`);
    const err2 = (() => {
      try {
        a.open!().readSync!(0, new Uint8Array(1));
      } catch (e) {
        return e as FsError;
      }
    })();
    expect(err2).toBeInstanceOf(FsError);
    expect(err2?.code).toBe('EISDIR');
    expect(err2?.message).toContain(`${dir}/a: cannot read`);
    rmSync(`${dir}/a`, { recursive: true });
    writeFileSync(`${dir}/a`, 'a');
    await expect(collectTree(scanDirectory(`${dir}/nope`))).rejects.toThrow(NotFoundError);
    await expect(collectTree(scanDirectory(`${dir}/a`))).rejects.toThrow(NotDirectoryError);
  });

  it('keeps names and link targets that are not UTF-8 as bytes (escaped), in byte order', async () => {
    const dir = tmp.join('latin1');
    const raw = (...parts: Array<string | number[]>) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    mkdirSync(dir);
    writeFileSync(raw(`${dir}/caf`, [0xe9]), 'latin1');
    writeFileSync(raw(`${dir}/caf`, [0xc3, 0xa9]), 'utf8');
    mkdirSync(raw(`${dir}/d`, [0xfc], 'r'));
    writeFileSync(raw(`${dir}/d`, [0xfc], 'r/', [0xff]), 'deep');
    symlinkSync(raw('caf', [0xe9]), raw(`${dir}/to-`, [0xe9]));
    const es = await collectTree(scanDirectory(dir));
    const bytes = (s: string) => Buffer.from(encodeName(s)).toString('hex');
    // Sorted by bytes: "caf" C3 A9 < "caf" E9; "d" FC "r" < "to-"…
    expect(es.map((e) => bytes(e.path))).toEqual([
      bytes('/'),
      `${bytes('/caf')}c3a9`,
      `${bytes('/caf')}e9`,
      `${bytes('/d')}fc72`,
      `${bytes('/d')}fc722fff`,
      `${bytes('/to-')}e9`,
    ]);
    expect(es.map((e) => escapeName(e.path))).toEqual([
      '/',
      '/café',
      '/caf\\xe9',
      '/d\\xfcr',
      '/d\\xfcr/\\xff',
      '/to-\\xe9',
    ]);
    const link = es.at(-1)!;
    expect(link.target).toBe(decodeName(raw('caf', [0xe9])));
    expect(link.size).toBe(4);
    const deep = es[4]!;
    const src = deep.open!();
    const buf = new Uint8Array(4);
    expect(await src.read(0, buf)).toBe(4);
    expect(Buffer.from(buf).toString()).toBe('deep');
    await src.close();
    rmSync(dir, { recursive: true });
  });

  it("reads a symlink's own xattrs, not its target's", async () => {
    const m = byPath(await collectTree(scanDirectory(tmp.join('tree'), { xattrs: 'all' })));
    expect(m.get('/order/a')?.xattrs?.has('user.comment')).toBe(true);
    expect(m.get('/link')?.xattrs).toBeUndefined();
  });

  describe.skipIf(!isRoot)('on another filesystem (tmpfs)', () => {
    const mnt = tmp.join('tmpfs');
    beforeAll(() => {
      mkdirSync(mnt);
      mustRun('mount', ['-t', 'tmpfs', 'fstool-test', mnt]);
    });
    afterAll(() => {
      mustRun('umount', [mnt]);
    });

    it('a copy made elsewhere scans to the same metadata after reproducible()', async () => {
      mustRun('cp', ['-a', `${tmp.join('tree')}/.`, mnt]);
      const strip = (es: Entry[]) => es.map(({ open: _o, ...rest }) => rest);
      const scan = async (dir: string) =>
        strip(await collectTree(reproducible(scanDirectory(dir), { epoch: 4_000_000_000 })));
      const a = await scan(tmp.join('tree'));
      const b = await scan(mnt);
      // The roots differ (a mount point vs a temp dir); everything below must match.
      expect(b.slice(1)).toEqual(a.slice(1));
      // Without reproducible() the host ctimes differ.
      const rawA = await collectTree(scanDirectory(tmp.join('tree')));
      const rawB = await collectTree(scanDirectory(mnt));
      expect(rawA.find((e) => e.path === '/suid')?.ctime).not.toBeUndefined();
      expect(rawB.find((e) => e.path === '/suid')?.ctimeNsec).not.toBe(rawA.find((e) => e.path === '/suid')?.ctimeNsec);
    });

    it('oneFileSystem leaves other filesystems empty', async () => {
      writeFileSync(`${mnt}/inside`, 'x');
      const all = (await collectTree(scanDirectory(tmp.path))).map((e) => e.path);
      expect(all).toContain('/tmpfs/inside');
      const one = (await collectTree(scanDirectory(tmp.path, { oneFileSystem: true }))).map((e) => e.path);
      expect(one).toContain('/tmpfs');
      expect(one.some((p) => p.startsWith('/tmpfs/'))).toBe(false);
      expect(one).toContain('/tree/suid');
    });
  });
});

describe('hostEntry', () => {
  it('describes one host path without following symlinks', () => {
    const e = hostEntry(tmp.join('tree', 'link'), { path: '/etc/x' });
    expect(e).toMatchObject({ path: '/etc/x', kind: 'symlink', target: 'order/a' });
    const f = hostEntry(tmp.join('tree', 'order', 'a'));
    expect(f).toMatchObject({ path: '/', kind: 'file', size: 1, mtimeNsec: 123456789 });
    expect(f.xattrs?.get('user.comment')).toBeDefined();
    expect(() => hostEntry(tmp.join('nope'))).toThrow(NotFoundError);
  });
});
