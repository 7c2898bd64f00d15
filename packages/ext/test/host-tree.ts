/**
 * A host directory holding every kind of entry the writer must carry (made as root with the real
 * tools), and a scan of it that is reused across builds.
 */
import {
  chmodSync,
  chownSync,
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { collectTree, type Entry, type SourceTree, treeFromEntries } from '@fstool/fs';
import { scanDirectory } from '@fstool/fs/node';
import { mustRun } from '@fstool/testkit/node';

const GiB = 2 ** 30;
export const ISLAND = 64 * 1024;
/** Sparse files and where their data islands are. */
export const SPARSE: Record<string, { size: number; islands: number[] }> = {
  '/sparse/one-gib': { size: GiB, islands: [0, 512 * 2 ** 20, GiB - ISLAND] },
  '/sparse/five-gib': { size: 5 * GiB, islands: [3 * GiB + 12345, 5 * GiB - ISLAND] },
};

export function islandBytes(path: string, i: number): Buffer {
  return Buffer.alloc(ISLAND, `${path}#${i};`);
}

const DEEP = 40;
export const deepPath = Array.from({ length: DEEP }, (_, i) => `level${i + 1}`).join('/');

/** Fills `root` with the test tree. Directory mtimes are fixed last, children first. */
export function makeHostTree(root: string): void {
  const p = (...x: string[]) => join(root, ...x);
  mkdirSync(p('big'));
  for (let i = 0; i < 5000; i++) writeFileSync(p('big', `entry-${String(i).padStart(5, '0')}`), `${i}\n`);
  mkdirSync(p('deep', deepPath), { recursive: true });
  writeFileSync(p('deep', deepPath, 'leaf.txt'), 'deep\n');
  mkdirSync(p('names'));
  writeFileSync(p('names', 'n'.repeat(255)), 'long name\n');
  writeFileSync(p('names', 'héllo wörld ☃ 日本語.txt'), 'utf-8\n');
  writeFileSync(p('names', 'ascii'), 'plain\n');
  mkdirSync(p('modes'));
  writeFileSync(p('modes', 'setuid'), '#!/bin/sh\n');
  chmodSync(p('modes', 'setuid'), 0o4755);
  writeFileSync(p('modes', 'setgid'), 'x');
  chmodSync(p('modes', 'setgid'), 0o2711);
  mkdirSync(p('modes', 'sticky'));
  chmodSync(p('modes', 'sticky'), 0o1777);
  mkdirSync(p('owners'));
  writeFileSync(p('owners', 'big-ids'), 'owned\n');
  chownSync(p('owners', 'big-ids'), 100000, 4000000000);
  mkdirSync(p('owners', 'dir'));
  chownSync(p('owners', 'dir'), 65536, 70000);
  mkdirSync(p('sparse'));
  for (const [path, s] of Object.entries(SPARSE)) {
    const fd = openSync(p(path), 'w');
    s.islands.forEach((off, i) => {
      writeSync(fd, islandBytes(path, i), 0, ISLAND, off);
    });
    closeSync(fd);
    mustRun('truncate', ['-s', String(s.size), p(path)]);
  }
  mkdirSync(p('links'));
  mkdirSync(p('other'));
  writeFileSync(p('links', 'first'), 'linked\n');
  linkSync(p('links', 'first'), p('other', 'second'));
  linkSync(p('links', 'first'), p('links', 'third'));
  symlinkSync('first', p('links', 'fast-symlink'));
  symlinkSync(`/${'long/'.repeat(30)}target`, p('links', 'slow-symlink'));
  mkdirSync(p('dev'));
  mustRun('mknod', ['-m', '0666', p('dev', 'null'), 'c', '1', '3']);
  mustRun('mknod', ['-m', '0660', p('dev', 'bigdev'), 'b', '259', '300000']);
  mustRun('mkfifo', ['-m', '0644', p('dev', 'fifo')]);
  mustRun('python3', [
    '-c',
    'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])',
    p('dev', 'socket'),
  ]);
  mkdirSync(p('xattrs'));
  writeFileSync(p('xattrs', 'small'), 'x\n');
  writeFileSync(p('xattrs', 'block'), 'y\n');
  writeFileSync(p('xattrs', 'shared-1'), 'z\n');
  writeFileSync(p('xattrs', 'shared-2'), 'w\n');
  const setx = (file: string, name: string, value: string) =>
    mustRun('python3', [
      '-c',
      'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())',
      p('xattrs', file),
      name,
      value,
    ]);
  setx('small', 'user.colour', 'blue');
  setx('block', 'user.big', 'B'.repeat(600));
  setx('block', 'user.small', 's');
  for (const f of ['shared-1', 'shared-2']) setx(f, 'user.shared', 'S'.repeat(300));
  // Times with nanoseconds and before 1970, set last (children change their parent's mtime).
  mustRun('touch', ['-h', '-d', '2001-02-03 04:05:06.123456789', p('names', 'ascii')]);
  mustRun('touch', ['-h', '-d', '1960-01-01 00:00:00.5', p('names', 'héllo wörld ☃ 日本語.txt')]);
  mustRun('touch', ['-h', '-d', '2020-01-01 00:00:00.25', p('links', 'slow-symlink')]);
  mustRun('touch', ['-d', '2010-10-10 10:10:10.000000001', p('modes')]);
}

/** Scans `root` once; the returned tree answers holes() from a cache so repeated builds stay fast. */
export async function scanOnce(root: string): Promise<() => SourceTree> {
  const entries = await collectTree(scanDirectory(root, { xattrs: 'user' }));
  const cached: Entry[] = [];
  for (const e of entries) {
    if (e.kind !== 'file' || !e.open) {
      cached.push(e);
      continue;
    }
    const open = e.open;
    const probe = open();
    const holes = (await probe.holes?.()) ?? [];
    await probe.close();
    cached.push({
      ...e,
      open: () => {
        const src = open();
        return {
          ...src,
          holes: async () => holes,
          read: src.read.bind(src),
          close: src.close.bind(src),
          ...(src.readSync ? { readSync: src.readSync.bind(src) } : {}),
        };
      },
    });
  }
  return () => treeFromEntries(cached);
}
