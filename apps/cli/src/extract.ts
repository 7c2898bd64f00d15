/**
 * Copying a tree out of an image onto the host (`extract`, shell `get -r`), like `tar -x`:
 * contents with their holes, modes, times, symlinks, hard links, and when running as root owners,
 * device nodes and every xattr namespace.
 *
 * Nothing is ever written outside the destination: image names that are empty, '.', '..' or hold
 * '/' or NUL are skipped with a warning, every directory we write into was made by us or checked
 * with lstat to be a real directory, and files are created with O_EXCL (never through a link).
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, symlink, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FsError } from '@fstool/blockdev';
import { basename, type Entry, type FileSystem } from '@fstool/fs';
import { writeHostXattrs } from '@fstool/fs/node';
import { walk } from './ops/tree.js';

export interface ExtractOptions {
  /** Copy owners, devices and non-user xattrs (default: when running as root). */
  privileged?: boolean;
  onWarning(message: string): void;
  /** Bytes of file data written so far, of `total` (the tree's file sizes, counted first when this is given). */
  onBytes?(written: number, total: number): void;
  /** Each path as it is written (`-v`). */
  onEntry?(path: string): void;
}

export interface ExtractReport {
  entries: number;
  bytes: number;
  skipped: number;
}

const CHUNK = 1 << 20;

/** A name that is safe as one host path component. */
function safeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/** Makes `dir` a real directory: created, or already one (never a symlink to somewhere else). */
async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const st = await lstat(dir);
    if (st.isDirectory()) return;
    await unlink(dir);
    await mkdir(dir);
  }
}

/** Removes a non-directory in the way of a new file, link or node. */
async function clear(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (st.isDirectory()) throw new FsError('EISDIR', `${path}: a directory is in the way`);
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Writes a file's contents, leaving its holes unwritten (the file is truncated to size at the end). */
async function writeContents(fs: FileSystem, e: Entry, to: string, onBytes: (n: number) => void): Promise<void> {
  const out = await open(to, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    if (e.size > 0 && !e.open) {
      // A driver whose entries carry no opener: the plain stream, holes written as zeros.
      let at = 0;
      for await (const chunk of fs.read(e.path)) {
        await out.write(chunk, 0, chunk.length, at);
        at += chunk.length;
        onBytes(chunk.length);
      }
    } else if (e.size > 0 && e.open) {
      const src = e.open();
      try {
        const holes = (await src.holes?.()) ?? [];
        const buf = new Uint8Array(Math.min(CHUNK, e.size));
        let at = 0;
        const copy = async (end: number) => {
          while (at < end) {
            const n = await src.read(at, buf.subarray(0, Math.min(buf.length, end - at)));
            if (n === 0) throw new FsError('CORRUPT', `${e.path}: contents end at ${at} of ${e.size} bytes`);
            await out.write(buf, 0, n, at);
            at += n;
            onBytes(n);
          }
        };
        for (const [off, len] of holes) {
          await copy(Math.min(off, e.size));
          at = Math.max(at, Math.min(off + len, e.size));
          onBytes(0);
        }
        await copy(e.size);
      } finally {
        await src.close();
      }
    }
    await out.truncate(e.size);
  } finally {
    await out.close();
  }
}

const run = promisify(execFile);

/**
 * Copies `from` (a directory's contents, or one object) to `dest`. A directory's contents land in
 * `dest` (created when missing); a single object becomes `dest`, or `dest/NAME` when `dest` is a directory.
 */
export async function extractTree(
  fs: FileSystem,
  from: string,
  dest: string,
  o: ExtractOptions,
): Promise<ExtractReport> {
  const privileged = o.privileged ?? process.getuid?.() === 0;
  const report: ExtractReport = { entries: 0, bytes: 0, skipped: 0 };
  let total = 0;
  if (o.onBytes) for await (const e of walk(fs, from)) if (e.kind === 'file') total += e.size;
  const onBytes = (n: number) => {
    report.bytes += n;
    o.onBytes?.(report.bytes, total);
  };
  /** First host path of each multiply-linked inode. */
  const links = new Map<number, string>();
  /** Directories get their mode and times after their contents (a read-only one could not be filled). */
  const dirs: Array<[Entry, string]> = [];
  const seen = new Set<number>();

  const meta = async (e: Entry, to: string) => {
    if (e.xattrs?.size && e.kind !== 'symlink') {
      const names = privileged ? e.xattrs : new Map([...e.xattrs].filter(([k]) => k.startsWith('user.')));
      try {
        if (names.size) writeHostXattrs(to, names);
      } catch (err) {
        o.onWarning((err as Error).message);
      }
    }
    if (privileged) await lchown(to, e.uid, e.gid);
    if (e.kind !== 'symlink') await chmod(to, e.mode & 0o7777);
    const atime = (e.atime ?? e.mtime) + (e.atimeNsec ?? 0) / 1e9;
    const mtime = e.mtime + (e.mtimeNsec ?? 0) / 1e9;
    await (e.kind === 'symlink' ? lutimes : utimes)(to, atime, mtime);
  };

  const one = async (e: Entry, to: string): Promise<void> => {
    o.onEntry?.(e.path);
    report.entries++;
    if (e.kind === 'dir') {
      if (e.ino !== undefined) {
        if (seen.has(e.ino)) throw new FsError('CORRUPT', `${e.path}: directory loop (inode ${e.ino})`);
        seen.add(e.ino);
      }
      await ensureDir(to);
      const prefix = e.path === '/' ? '/' : `${e.path}/`;
      for (const child of await fs.list(e.path)) {
        // The name as the image holds it: a '/' inside it shows as an extra path component.
        const name = child.path.startsWith(prefix) ? child.path.slice(prefix.length) : '';
        if (!safeName(name)) {
          o.onWarning(`${JSON.stringify(child.path)}: name is not safe on the host; skipped`);
          report.skipped++;
          continue;
        }
        await one(child, join(to, name));
      }
      dirs.push([e, to]);
      return;
    }
    await clear(to);
    const first = e.ino !== undefined && (e.nlink ?? 1) > 1 ? links.get(e.ino) : undefined;
    if (first !== undefined) {
      await link(first, to);
      return;
    }
    if (e.ino !== undefined && (e.nlink ?? 1) > 1) links.set(e.ino, to);
    switch (e.kind) {
      case 'file':
        await writeContents(fs, e, to, onBytes);
        break;
      case 'symlink':
        await symlink(e.target ?? '', to);
        break;
      case 'fifo':
        await run('mkfifo', ['-m', '600', '--', to]);
        break;
      case 'char':
      case 'block':
        if (!privileged) {
          o.onWarning(`${e.path}: device nodes need root; skipped`);
          report.skipped++;
          report.entries--;
          return;
        }
        await run('mknod', [
          '-m',
          '600',
          '--',
          to,
          e.kind === 'char' ? 'c' : 'b',
          String(e.rdev?.major ?? 0),
          String(e.rdev?.minor ?? 0),
        ]);
        break;
      default:
        o.onWarning(`${e.path}: a ${e.kind} cannot be recreated; skipped`);
        report.skipped++;
        report.entries--;
        return;
    }
    await meta(e, to);
  };

  const top = await fs.stat(from);
  if (top.kind === 'dir') {
    await mkdir(dest, { recursive: true });
    await one(top, dest);
  } else {
    const into = await lstat(dest).catch(() => undefined);
    await one(top, into?.isDirectory() ? join(dest, basename(top.path)) : dest);
  }
  // Post-order: children are done before their parent's mode and times are set.
  for (const [e, to] of dirs) await meta(e, to);
  return report;
}
