/**
 * Helpers of the editor tests: a host mirror that receives the same operations as the image, and
 * the comparison of the kernel-mounted image with that mirror.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlockDevice, MemoryDevice } from '@fstool/blockdev';
import type { Entry, FileSystem } from '@fstool/fs';
import { bytesSource } from '@fstool/fs';
import { hostEntry, scanDirectory } from '@fstool/fs/node';
import { inCI, mustRun, pick, runTool, snapshotTree, withLoopMount } from '@fstool/testkit/node';
import { expect } from 'vitest';

/** Fields compared between the mounted image and the mirror (dir mtimes change with every edit). */
const FIELDS = ['path', 'kind', 'mode', 'uid', 'gid', 'size', 'sha256', 'target', 'rdev', 'linkGroup'] as const;

/** Adds a host file or directory tree at `dest` (directories through the host scanner). */
export async function addHost(fs: FileSystem, host: string, dest: string): Promise<void> {
  const top = hostEntry(host, { path: dest, xattrs: 'none' });
  if (top.kind !== 'dir') {
    await fs.add(dest, top);
    return;
  }
  for await (const e of scanDirectory(host, { xattrs: 'none' }).entries()) {
    const path = e.path === '/' ? dest : `${dest === '/' ? '' : dest}${e.path}`;
    await fs.add(path, { ...e, path });
  }
}

/** A file entry with in-memory contents. */
export function fileEntry(path: string, data: Uint8Array, mode = 0o644): Entry {
  return {
    path,
    kind: 'file',
    mode,
    uid: 0,
    gid: 0,
    mtime: 1_700_000_000,
    size: data.length,
    open: () => bytesSource(data),
  };
}

/** Writes `data` to the mirror and adds the same file to the image. */
export async function putFile(fs: FileSystem, mirror: string, path: string, data: Uint8Array): Promise<void> {
  writeFileSync(join(mirror, path), data);
  await fs.add(path, fileEntry(path, data));
}

export async function putDir(fs: FileSystem, mirror: string, path: string): Promise<void> {
  mkdirSync(join(mirror, path));
  await fs.add(path, { path, kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1_700_000_000, size: 0 });
}

export async function putSymlink(fs: FileSystem, mirror: string, path: string, target: string): Promise<void> {
  symlinkSync(target, join(mirror, path));
  await fs.add(path, {
    path,
    kind: 'symlink',
    mode: 0o777,
    uid: 0,
    gid: 0,
    mtime: 1_700_000_000,
    size: target.length,
    target,
  });
}

export async function removeBoth(fs: FileSystem, mirror: string, path: string): Promise<void> {
  rmSync(join(mirror, path), { recursive: true });
  await fs.remove(path, { recursive: true });
}

/** cp -a (keeps nodes, links and times). */
export function copyTree(from: string, to: string): void {
  mustRun('cp', ['-a', from, to]);
}

/** e2fsck -fn must find nothing; returns its output for messages. */
export function fsckClean(img: string): void {
  const r = runTool('e2fsck', ['-fn', img]);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
}

/** Mounts the image read-only and compares its tree with the mirror's. */
export async function expectMountedEquals(img: string, mirror: string): Promise<void> {
  const want = pick(snapshotTree(mirror, { xattrs: false, ignore: ['/lost+found'] }), [...FIELDS]);
  const got = await withLoopMount(img, (mnt) =>
    pick(snapshotTree(mnt, { xattrs: false, ignore: ['/lost+found'] }), [...FIELDS]),
  );
  if (got === undefined) return;
  expect(got.length).toBeGreaterThan(1);
  expect(got).toEqual(want);
}

/** Free block and inode counts as dumpe2fs reports them. */
export function freeCounts(img: string): { blocks: number; inodes: number } {
  const out = mustRun('dumpe2fs', ['-h', img]);
  return {
    blocks: Number(/Free blocks:\s+(\d+)/.exec(out)?.[1]),
    inodes: Number(/Free inodes:\s+(\d+)/.exec(out)?.[1]),
  };
}

/** Mounts read-write, runs `fn`, unmounts; false when mounting is not permitted here. */
export function withRwMount(img: string, fn: (mnt: string) => void): boolean {
  const mnt = mkdtempSync(join(tmpdir(), 'fstool-rw-'));
  const r = spawnSync('mount', ['-o', 'loop', img, mnt], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmdirSync(mnt);
    if (inCI) throw new Error(`mount failed: ${r.stderr}`);
    return false;
  }
  try {
    fn(mnt);
  } finally {
    spawnSync('umount', [mnt]);
    rmdirSync(mnt);
  }
  return true;
}

export class Crash extends Error {}

/** A memory device whose writes a test intercepts (to stop the editor at a chosen write). */
export abstract class InterceptingDevice implements BlockDevice {
  readonly readOnly = false;
  constructor(readonly inner: MemoryDevice) {}
  get size() {
    return this.inner.size;
  }
  read(offset: number, into: Uint8Array) {
    return this.inner.read(offset, into);
  }
  abstract write(offset: number, data: Uint8Array): Promise<void>;
  zero(offset: number, length: number) {
    return this.write(offset, new Uint8Array(length));
  }
  flush() {
    return Promise.resolve();
  }
  close() {
    return Promise.resolve();
  }
}

/** A device that stops after `budget` writes, as if the machine lost power there. */
export class CrashingDevice extends InterceptingDevice {
  writes = 0;
  constructor(
    inner: MemoryDevice,
    private readonly budget: number,
  ) {
    super(inner);
  }
  async write(offset: number, data: Uint8Array) {
    if (this.writes >= this.budget) throw new Crash('power lost');
    this.writes++;
    await this.inner.write(offset, data);
  }
}
