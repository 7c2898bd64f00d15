/**
 * Shared helpers of the reader and editor tests: a host source tree with every kind of entry, images
 * made from it by the real tools, and a snapshot of an opened image in testkit's record format.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FileDevice } from '@fstool/blockdev/node';
import type { FileSystem } from '@fstool/fs';
import type { NodeRecord } from '@fstool/testkit/node';
import { mustRun } from '@fstool/testkit/node';

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function noise(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Writes `data` at each offset of a sparse file of `size` bytes. */
function sparseFile(path: string, size: number, islands: Array<[number, Uint8Array]>): void {
  const fd = openSync(path, 'w');
  try {
    for (const [off, data] of islands) writeSync(fd, data, 0, data.length, off);
    execFileSync('truncate', ['-s', String(size), path]);
  } finally {
    closeSync(fd);
  }
}

/**
 * A tree exercising what the reader must handle: inline-sized and block files, holes (deep extent
 * trees and triple-indirect block maps), fast and slow symlinks, nodes, hard links, a big directory.
 */
export function makeSourceTree(root: string, opts: { bigDir?: number } = {}): void {
  mkdirSync(join(root, 'etc/conf.d'), { recursive: true });
  mkdirSync(join(root, 'data'), { recursive: true });
  mkdirSync(join(root, 'dev'), { recursive: true });
  mkdirSync(join(root, 'empty'), { recursive: true });
  mkdirSync(join(root, 'many'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'fstool\n');
  writeFileSync(join(root, 'etc/empty'), '');
  writeFileSync(join(root, 'etc/conf.d/59'), noise(59, 2));
  writeFileSync(join(root, 'etc/conf.d/60'), noise(60, 3));
  writeFileSync(join(root, 'etc/conf.d/61'), noise(61, 4));
  writeFileSync(join(root, 'etc/conf.d/150'), noise(150, 5));
  writeFileSync(join(root, 'data/4k'), noise(4096, 6));
  writeFileSync(join(root, 'data/rand'), noise(300_001, 7));
  // 120 data islands 64 KiB apart: more extents than the inode holds, so an index level.
  sparseFile(
    join(root, 'data/islands'),
    120 * 65536 + 100,
    Array.from({ length: 120 }, (_, i) => [i * 65536 + 7, noise(3000, 100 + i)] as [number, Uint8Array]),
  );
  // One byte past 64 MiB + 268 KiB: triple-indirect with 1 KiB block maps.
  sparseFile(join(root, 'data/far'), 70 * 2 ** 20, [
    [5, noise(10, 8)],
    [69 * 2 ** 20 + 3, noise(5000, 9)],
  ]);
  symlinkSync('etc/hostname', join(root, 'fast-link'));
  symlinkSync(`${'long/'.repeat(30)}target`, join(root, 'slow-link'));
  linkSync(join(root, 'etc/hostname'), join(root, 'data/hostname-hard'));
  execFileSync('mknod', [join(root, 'dev/null'), 'c', '1', '3']);
  execFileSync('mknod', [join(root, 'dev/sda1'), 'b', '8', '1']);
  execFileSync('mknod', [join(root, 'dev/big'), 'c', '300', '70000']);
  execFileSync('mkfifo', [join(root, 'dev/fifo')]);
  execFileSync('python3', [
    '-c',
    'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])',
    join(root, 'dev/sock'),
  ]);
  for (let i = 0; i < (opts.bigDir ?? 400); i++) {
    writeFileSync(join(root, `many/entry-with-a-longish-name-${String(i).padStart(4, '0')}`), `${i}\n`);
  }
}

/** Linux `dev_t` as `stat` reports it. */
export function makedev(major: number, minor: number): number {
  return (minor & 0xff) + (major & 0xfff) * 256 + (minor & ~0xff) * 4096 + Math.floor(major / 4096) * 2 ** 32;
}

/** Makes an ext image of `size` bytes from `tree` with mke2fs (extra args appended) or genext2fs. */
export function makeImage(
  path: string,
  tree: string,
  opts: { tool?: 'mke2fs' | 'genext2fs'; type?: string; args?: string[]; size?: string } = {},
): void {
  if (opts.tool === 'genext2fs') {
    mustRun('genext2fs', ['-d', tree, '-b', String(96 * 1024), '-N', '2048', path]);
    return;
  }
  mustRun('mke2fs', [
    '-q',
    '-F',
    '-t',
    opts.type ?? 'ext4',
    '-E',
    'root_owner=0:0',
    ...(opts.args ?? []),
    '-d',
    tree,
    path,
    opts.size ?? '96M',
  ]);
}

/** Reads a whole file through the FileSystem stream and hashes it. */
export async function sha256Of(fs: FileSystem, path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.read(path)) h.update(chunk);
  return h.digest('hex');
}

/**
 * The image's tree as testkit records (`ls -R` + `cat` of every file), for comparing with
 * snapshotTree of the source. Hard-link groups are named by their first path in tree order.
 */
export async function snapshotImage(fs: FileSystem, opts: { ignore?: string[] } = {}): Promise<NodeRecord[]> {
  const ignore = new Set(opts.ignore ?? []);
  const out: NodeRecord[] = [];
  const groups = new Map<string, string>();
  const walk = async (path: string) => {
    const e = await fs.stat(path);
    const rec: NodeRecord = {
      path,
      kind: e.kind,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      mtimeNs: BigInt(e.mtime) * 1_000_000_000n + BigInt(e.mtimeNsec ?? 0),
      size: e.kind === 'dir' ? 0 : e.size,
      allocated: 0,
    };
    if (e.kind === 'file') rec.sha256 = await sha256Of(fs, path);
    if (e.target !== undefined) rec.target = e.target;
    if (e.rdev) rec.rdev = makedev(e.rdev.major, e.rdev.minor);
    if (e.linkId !== undefined && e.kind !== 'dir') {
      const first = groups.get(e.linkId);
      rec.linkGroup = first ?? path;
      if (!first) groups.set(e.linkId, path);
    }
    out.push(rec);
    if (e.kind === 'dir') {
      const children = await fs.list(path);
      for (const c of children) if (!ignore.has(c.path)) await walk(c.path);
    }
  };
  await walk('/');
  return out;
}

const opened: FileDevice[] = [];

/** Opens an image file and remembers it, so `closeOpened()` in afterAll releases every handle. */
export async function openDevice(path: string, opts: { writable?: boolean } = {}): Promise<FileDevice> {
  const dev = await FileDevice.open(path, opts);
  opened.push(dev);
  return dev;
}

export async function closeOpened(): Promise<void> {
  for (const dev of opened.splice(0)) await dev.close();
}
