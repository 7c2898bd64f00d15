/** Test helpers: generated contents, image building, tree comparison, and the mtools/dosfstools judges. */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { FileDevice } from '@fstool/blockdev/node';
import {
  type BuildReport,
  bytesSource,
  type ContentSource,
  type Entry,
  type FileSystem,
  type SourceTree,
} from '@fstool/fs';
import { runTool, snapshotTree } from '@fstool/testkit/node';
import { decodeBootSector, type Volume } from '../src/boot.js';
import { type FatOptions, fatDriver } from '../src/index.js';

/** A file of `size` bytes whose content is a cheap deterministic pattern (never all zero). */
export function patternSource(size: number, seed = 1): ContentSource {
  const fill = (offset: number, into: Uint8Array) => {
    const n = Math.max(0, Math.min(into.length, size - offset));
    for (let i = 0; i < n; i++) {
      const p = offset + i;
      into[i] = (p * 31 + seed + (p >>> 9)) & 0xff;
    }
    return n;
  };
  return { readSync: fill, read: async (o, i) => fill(o, i), close: async () => {} };
}

export function sha256Source(src: ContentSource, size: number): string {
  const h = createHash('sha256');
  const buf = new Uint8Array(1 << 20);
  for (let off = 0; off < size; ) {
    const n = src.readSync?.(off, buf.subarray(0, Math.min(buf.length, size - off))) ?? 0;
    h.update(buf.subarray(0, n));
    off += n;
  }
  return h.digest('hex');
}

/** Builds `tree` into a new sparse image file. */
export async function buildImage(
  path: string,
  size: number,
  tree: SourceTree,
  opts: FatOptions = {},
  type = 'vfat',
  warnings: string[] = [],
): Promise<BuildReport> {
  const dev = await FileDevice.create(path, { size, overwrite: true });
  try {
    return await fatDriver.build(dev, tree, opts, { type, onWarning: (m) => warnings.push(m) });
  } finally {
    await dev.close();
  }
}

/** Environment for mtools: no user config, UTF-8 names, no geometry checks. */
export const mtoolsEnv = {
  ...process.env,
  MTOOLS_SKIP_CHECK: '1',
  MTOOLSRC: '/dev/null',
  LC_ALL: 'C.UTF-8',
  LANG: 'C.UTF-8',
  TZ: 'UTC',
};

export function fsck(image: string): { code: number; out: string } {
  const r = runTool('fsck.vfat', ['-n', image]);
  return { code: r.code, out: r.stdout + r.stderr };
}

export function mtool(name: string, args: string[]): { code: number; out: string } {
  const r = runTool(name, args, { env: mtoolsEnv });
  return { code: r.code, out: r.stdout + r.stderr };
}

/** Every entry below the root of an opened filesystem with its content hash, sorted by path. */
export async function readTree(fs: FileSystem, dir = '/', out: TreeRecord[] = []): Promise<TreeRecord[]> {
  for (const e of await fs.list(dir)) {
    const rec: TreeRecord = { path: e.path, kind: e.kind, size: e.size };
    if (e.kind === 'file') {
      const h = createHash('sha256');
      for await (const chunk of fs.read(e.path)) h.update(chunk);
      rec.sha256 = h.digest('hex');
    }
    out.push(rec);
    if (e.kind === 'dir') await readTree(fs, e.path, out);
  }
  return dir === '/' ? sortRecords(out) : out;
}

export interface TreeRecord {
  path: string;
  kind: string;
  size: number;
  sha256?: string;
}

/** A host snapshot in the same shape as readTree (root dropped, sorted by path). */
export function hostRecords(root: string): TreeRecord[] {
  return sortRecords(
    snapshotTree(root, { xattrs: false })
      .filter((r) => r.path !== '/')
      .map((r) => {
        const rec: TreeRecord = { path: r.path, kind: r.kind, size: r.size };
        if (r.sha256) rec.sha256 = r.sha256;
        return rec;
      }),
  );
}

function sortRecords(recs: TreeRecord[]): TreeRecord[] {
  return recs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Opens an image file as a FAT filesystem; `done()` closes both. */
export async function openImage(
  path: string,
  writable = false,
): Promise<{ fs: FileSystem; done: () => Promise<void> }> {
  const dev = await FileDevice.open(path, { writable });
  const fs = await fatDriver.open(dev, { writable });
  return {
    fs,
    done: async () => {
      await fs.close();
      await dev.close();
    },
  };
}

/** A new image made by mkfs.fat (`kib` KiB, fixed serial), with `files` (host paths) copied into its root by mcopy. */
export function mkfsImage(image: string, kib: number, args: string[], files: string[] = []): void {
  const m = mtool('mkfs.fat', ['-C', '-i', '12345678', ...args, image, String(kib)]);
  if (m.code !== 0) throw new Error(`mkfs.fat: ${m.out}`);
  const r = files.length ? mtool('mcopy', ['-s', '-i', image, ...files, '::/']) : m;
  if (r.code !== 0) throw new Error(`mcopy: ${r.out}`);
}

/** mtools' view of an image: every path below the root, as `mdir -/ -b` lists them, sorted. */
export function mtoolsPaths(image: string): string[] {
  const r = mtool('mdir', ['-/', '-b', '-i', image, '::/']);
  if (r.code !== 0) throw new Error(`mdir: ${r.out}`);
  return r.out
    .split('\n')
    .filter((l) => l.startsWith('::/'))
    .map((l) => l.slice(2))
    .sort();
}

/** A file's contents as mtype prints them. */
export function mtype(image: string, path: string): string {
  const r = mtool('mtype', ['-i', image, `::${path}`]);
  if (r.code !== 0) throw new Error(`mtype ${path}: ${r.out}`);
  return r.out;
}

/** Where a volume's regions are, from its boot sector (for crafting damaged images). */
export function layoutOf(bytes: Uint8Array): Volume {
  return decodeBootSector(bytes.subarray(0, 512), bytes.length);
}

/** Byte offset of the short entry named `raw` (11 characters, as stored) in `len` directory bytes at `start`. */
export function shortEntryOffset(bytes: Uint8Array, start: number, len: number, raw: string): number {
  for (let at = start; at < start + len; at += 32) {
    if (String.fromCharCode(...bytes.subarray(at, at + 11)) === raw) return at;
  }
  throw new Error(`no entry ${raw} in the directory at ${start}`);
}

const T_ENTRY = 1_700_000_000;

/** A file entry of `size` pattern bytes. */
export function fileEntry(path: string, size: number, seed = 1): Entry {
  return {
    path,
    kind: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: T_ENTRY,
    size,
    open: () => patternSource(size, seed),
  };
}

/** A file entry holding `text` (UTF-8). */
export function textEntry(path: string, text: string): Entry {
  const data = new TextEncoder().encode(text);
  return { ...fileEntry(path, data.length), open: () => bytesSource(data) };
}

export function dirEntry(path: string): Entry {
  return { path, kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: T_ENTRY, size: 0 };
}

/** Writes `size` pattern bytes (as `fileEntry` gives them) to a host file. */
export function writePattern(path: string, size: number, seed = 1): void {
  const b = Buffer.alloc(size);
  patternSource(size, seed).readSync?.(0, b);
  writeFileSync(path, b);
}
